//! Where everything goes: the report laid out as pages of drawing operations (text, rectangles,
//! lines, the logo), in points from the page's top-left corner. Rendering is `pdf.rs`. Here:
//! the page primitives (colours, operations, fonts, the page cursor) and the order of the
//! sections; the sections themselves are in `sections.rs`, `maps.rs` and `charts.rs`.

use boards::Profile;
use diagnosis::report::{ChipState, Grade, Report, Scale, Verdict};
use skrifa::MetadataProvider;
use skrifa::instance::{LocationRef, Size};

use crate::{Input, ReportError, Run};

mod charts;
mod maps;
mod sections;
mod stats;

use charts::charts;
use maps::{before_after, board_map, graded_map, map_size};
use sections::{
    findings, footers, header, identity, not_ok, provenance, readings, repairs, signature, verdict,
};

use crate::chart::Chart;
pub use crate::chart::Rgb;

const BLACK: Rgb = Rgb(20, 20, 20);
const GREY: Rgb = Rgb(110, 110, 110);
const LIGHT: Rgb = Rgb(235, 235, 235);
const RULE: Rgb = Rgb(190, 190, 190);
const WHITE: Rgb = Rgb(255, 255, 255);
const RED: Rgb = Rgb(210, 45, 45);
const GREEN: Rgb = Rgb(46, 140, 67);
const AMBER: Rgb = Rgb(200, 140, 20);

/// Colour of a chip state (as on the workbench map).
fn state_color(state: ChipState) -> Rgb {
    match state {
        ChipState::Ok => Rgb(46, 160, 67),
        ChipState::Weak => Rgb(230, 140, 20),
        ChipState::Dead => Rgb(210, 45, 45),
        ChipState::Missing => Rgb(90, 90, 100),
        ChipState::HwErrors => Rgb(150, 70, 200),
        ChipState::Inconclusive => Rgb(220, 200, 40),
        ChipState::Untested => Rgb(170, 170, 170),
    }
}

/// One drawing operation.
#[derive(Debug, Clone, PartialEq)]
pub enum Op {
    /// Text with its baseline at `y`.
    Text {
        /// Left edge.
        x: f32,
        /// Baseline.
        y: f32,
        /// Font size, pt.
        size: f32,
        /// Bold face.
        bold: bool,
        /// Colour.
        color: Rgb,
        /// The text.
        text: String,
    },
    /// A rectangle, filled and/or outlined.
    Rect {
        /// Left.
        x: f32,
        /// Top.
        y: f32,
        /// Width.
        w: f32,
        /// Height.
        h: f32,
        /// Fill.
        fill: Option<Rgb>,
        /// Outline colour and width.
        stroke: Option<(Rgb, f32)>,
    },
    /// A polyline.
    Line {
        /// Points.
        points: Vec<(f32, f32)>,
        /// Colour.
        color: Rgb,
        /// Width.
        width: f32,
        /// Dashed.
        dashed: bool,
    },
    /// A chart (plotters, as SVG) in the box at `x`, `y`, `w` × `h`.
    Chart {
        /// Left.
        x: f32,
        /// Top.
        y: f32,
        /// Width.
        w: f32,
        /// Height.
        h: f32,
        /// What it shows.
        chart: Box<Chart>,
    },
    /// The shop logo.
    Logo {
        /// Left.
        x: f32,
        /// Top.
        y: f32,
        /// Side of the square it fits in.
        side: f32,
    },
}

/// One page.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Page {
    /// What is drawn, in order.
    pub ops: Vec<Op>,
}

impl Page {
    /// The page's text, one line per text operation.
    #[must_use]
    pub fn text(&self) -> String {
        let lines: Vec<&str> = self
            .ops
            .iter()
            .flat_map(|op| match op {
                Op::Text { text, .. } => vec![text.as_str()],
                Op::Chart { chart, .. } => chart.words(),
                _ => Vec::new(),
            })
            .collect();
        lines.join("\n")
    }
}

/// The embedded fonts and their metrics.
#[derive(Debug)]
pub struct Fonts {
    /// DejaVu Sans.
    pub regular: &'static [u8],
    /// DejaVu Sans Bold.
    pub bold: &'static [u8],
}

pub(crate) static REGULAR: &[u8] = include_bytes!("../../../assets/fonts/DejaVuSans.ttf");
pub(crate) static BOLD: &[u8] = include_bytes!("../../../assets/fonts/DejaVuSans-Bold.ttf");

impl Fonts {
    /// The fonts built into the binary.
    pub fn load() -> Result<Fonts, ReportError> {
        for data in [REGULAR, BOLD] {
            skrifa::FontRef::new(data).map_err(|_| ReportError::Font)?;
        }
        Ok(Fonts {
            regular: REGULAR,
            bold: BOLD,
        })
    }

    /// Width of `text` at `size` (advance widths, no kerning: a little generous).
    #[must_use]
    pub fn width(&self, text: &str, size: f32, bold: bool) -> f32 {
        let Ok(font) = skrifa::FontRef::new(if bold { self.bold } else { self.regular }) else {
            return text.chars().count() as f32 * size * 0.6;
        };
        let charmap = font.charmap();
        let metrics = font.glyph_metrics(Size::new(size), LocationRef::default());
        text.chars()
            .map(|c| {
                charmap
                    .map(c)
                    .and_then(|g| metrics.advance_width(g))
                    .unwrap_or(size * 0.6)
            })
            .sum()
    }
}

/// The page being filled and the pages done.
struct Doc<'f> {
    fonts: &'f Fonts,
    pages: Vec<Page>,
    page: Page,
    /// Next free line's top.
    y: f32,
    width: f32,
    height: f32,
    margin: f32,
}

impl Doc<'_> {
    fn left(&self) -> f32 {
        self.margin
    }

    fn inner(&self) -> f32 {
        self.width - 2.0 * self.margin
    }

    /// Room for the footer.
    fn bottom(&self) -> f32 {
        self.height - self.margin - 14.0
    }

    /// Start a new page unless `needed` points still fit on this one.
    fn ensure(&mut self, needed: f32) {
        if self.y + needed > self.bottom() {
            self.new_page();
        }
    }

    fn new_page(&mut self) {
        let done = std::mem::take(&mut self.page);
        self.pages.push(done);
        self.y = self.margin;
    }

    fn text_at(&mut self, x: f32, baseline: f32, size: f32, bold: bool, color: Rgb, text: &str) {
        if text.is_empty() {
            return;
        }
        self.page.ops.push(Op::Text {
            x,
            y: baseline,
            size,
            bold,
            color,
            text: text.to_owned(),
        });
    }

    fn rect(
        &mut self,
        x: f32,
        y: f32,
        w: f32,
        h: f32,
        fill: Option<Rgb>,
        stroke: Option<(Rgb, f32)>,
    ) {
        self.page.ops.push(Op::Rect {
            x,
            y,
            w,
            h,
            fill,
            stroke,
        });
    }

    fn line(&mut self, points: Vec<(f32, f32)>, color: Rgb, width: f32, dashed: bool) {
        self.page.ops.push(Op::Line {
            points,
            color,
            width,
            dashed,
        });
    }

    /// `text` cut to fit `width` with an ellipsis.
    fn fit(&self, text: &str, size: f32, bold: bool, width: f32) -> String {
        if self.fonts.width(text, size, bold) <= width {
            return text.to_owned();
        }
        let mut cut: String = text.to_owned();
        while !cut.is_empty() && self.fonts.width(&format!("{cut}…"), size, bold) > width {
            cut.pop();
        }
        format!("{cut}…")
    }

    /// Words of `text` broken into lines of at most `width`.
    fn wrap(&self, text: &str, size: f32, bold: bool, width: f32) -> Vec<String> {
        let mut lines = Vec::new();
        let mut line = String::new();
        for word in text.split_whitespace() {
            let candidate = if line.is_empty() {
                word.to_owned()
            } else {
                format!("{line} {word}")
            };
            if self.fonts.width(&candidate, size, bold) <= width || line.is_empty() {
                line = candidate;
            } else {
                lines.push(std::mem::replace(&mut line, word.to_owned()));
            }
        }
        if !line.is_empty() {
            lines.push(line);
        }
        lines
            .into_iter()
            .map(|l| self.fit(&l, size, bold, width))
            .collect()
    }

    /// A wrapped paragraph at `x`, `width` wide, moving down.
    fn paragraph(&mut self, x: f32, width: f32, size: f32, bold: bool, color: Rgb, text: &str) {
        let leading = size * 1.3;
        for line in self.wrap(text, size, bold, width) {
            self.ensure(leading);
            let baseline = self.y + size;
            self.text_at(x, baseline, size, bold, color, &line);
            self.y += leading;
        }
    }

    /// A paragraph of body text across the page.
    fn body(&mut self, text: &str) {
        self.paragraph(self.left(), self.inner(), 9.5, false, BLACK, text);
    }

    fn heading(&mut self, text: &str) {
        self.ensure(40.0);
        self.y += 8.0;
        let baseline = self.y + 12.0;
        self.text_at(self.left(), baseline, 12.0, true, BLACK, text);
        self.y += 16.0;
        let (x, y, w) = (self.left(), self.y, self.inner());
        self.line(vec![(x, y), (x + w, y)], RULE, 0.6, false);
        self.y += 5.0;
    }

    /// A table: header row and rows, columns `widths` (fractions of the inner width).
    fn table(&mut self, headers: &[&str], widths: &[f32], rows: &[Vec<String>]) {
        let size = 8.5;
        let row_h = 13.0;
        let total: f32 = widths.iter().sum();
        let columns: Vec<f32> = widths.iter().map(|w| w / total * self.inner()).collect();
        let header = |doc: &mut Doc<'_>| {
            let (x0, y) = (doc.left(), doc.y);
            doc.rect(x0, y, doc.inner(), row_h, Some(LIGHT), None);
            let mut x = x0 + 3.0;
            for (h, w) in headers.iter().zip(&columns) {
                let cell = doc.fit(h, size, true, w - 5.0);
                doc.text_at(x, y + 9.5, size, true, BLACK, &cell);
                x += w;
            }
            doc.y += row_h;
        };
        self.ensure(row_h * 2.0);
        header(self);
        for row in rows {
            if self.y + row_h > self.bottom() {
                self.new_page();
                header(self);
            }
            let mut x = self.left() + 3.0;
            let y = self.y;
            for (cell, w) in row.iter().zip(&columns) {
                let cell = self.fit(cell, size, false, w - 5.0);
                self.text_at(x, y + 9.5, size, false, BLACK, &cell);
                x += w;
            }
            let (x0, w) = (self.left(), self.inner());
            self.line(
                vec![(x0, y + row_h), (x0 + w, y + row_h)],
                LIGHT,
                0.5,
                false,
            );
            self.y += row_h;
        }
    }
}

impl<'f> Doc<'f> {
    /// An empty document on `paper`.
    fn new(fonts: &'f Fonts, paper: crate::Paper) -> Doc<'f> {
        let (width, height) = paper.size();
        Doc {
            fonts,
            pages: Vec::new(),
            page: Page::default(),
            y: 40.0,
            width,
            height,
            margin: 40.0,
        }
    }
}

/// Lay the shop's statistics out.
pub fn lay_out_stats(input: &crate::StatsInput<'_>, fonts: &Fonts) -> Vec<Page> {
    let mut doc = Doc::new(fonts, input.paper);
    stats::statistics(&mut doc, input);
    doc.pages
}

/// Lay the report out.
pub fn lay_out(input: &Input<'_>, fonts: &Fonts) -> Vec<Page> {
    let mut doc = Doc::new(fonts, input.paper);
    header(&mut doc, input);
    identity(&mut doc, input);
    verdict(&mut doc, input.run.report);
    doc.heading("Board map");
    let width = doc.inner();
    board_map(&mut doc, input.profile, input.run.report, width, true);
    let census = if input.run.report.sensors.is_empty() {
        format!(
            "Sensors: {} expected; none read in this run",
            input.profile.sensors.len()
        )
    } else {
        diagnosis::report::sensor_census(input.profile, &input.run.report.sensors)
    };
    doc.body(&census);
    // The measurements the run made, each as its own map (the workbench's colour modes).
    for scale in [Scale::Margin, Scale::Aging] {
        let report = input.run.report;
        let has = match scale {
            Scale::Margin => !report.ladder_mhz.is_empty(),
            Scale::Aging => report.aging.is_some(),
        };
        if has {
            // The heading stays with its map.
            doc.ensure(map_size(input.profile, width).1 + 60.0);
            doc.heading(scale.title());
            graded_map(&mut doc, input.profile, report, scale, width);
        }
    }
    charts(&mut doc, input);
    findings(&mut doc, input.run.report);
    not_ok(&mut doc, input.profile, input.run.report);
    repairs(&mut doc, input);
    readings(&mut doc, input);
    if let Some(before) = &input.before {
        before_after(&mut doc, input.profile, before, &input.run);
    }
    provenance(&mut doc, input);
    signature(&mut doc);
    let last = std::mem::take(&mut doc.page);
    doc.pages.push(last);
    footers(&mut doc, input);
    doc.pages
}
