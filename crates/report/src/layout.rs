//! Where everything goes: the report laid out as pages of drawing operations (text, rectangles,
//! lines, the logo), in points from the page's top-left corner. Rendering is `pdf.rs`.

use boards::Profile;
use diagnosis::report::{ChipState, DomainState, Grade, Report, Scale, Verdict};
use skrifa::MetadataProvider;
use skrifa::instance::{LocationRef, Size};

use crate::{Input, ReportError, Run};

/// A colour, 0-255 per channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rgb(pub u8, pub u8, pub u8);

const BLACK: Rgb = Rgb(20, 20, 20);
const GREY: Rgb = Rgb(110, 110, 110);
const LIGHT: Rgb = Rgb(235, 235, 235);
const RULE: Rgb = Rgb(190, 190, 190);
const WHITE: Rgb = Rgb(255, 255, 255);
const RED: Rgb = Rgb(210, 45, 45);
const GREEN: Rgb = Rgb(46, 140, 67);
const AMBER: Rgb = Rgb(200, 140, 20);
/// Line colours for the temperature sensors.
const SERIES: [Rgb; 6] = [
    Rgb(31, 119, 180),
    Rgb(214, 39, 40),
    Rgb(44, 160, 44),
    Rgb(148, 103, 189),
    Rgb(255, 127, 14),
    Rgb(23, 190, 207),
];

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
            .filter_map(|op| match op {
                Op::Text { text, .. } => Some(text.as_str()),
                _ => None,
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

static REGULAR: &[u8] = include_bytes!("../../../assets/fonts/DejaVuSans.ttf");
static BOLD: &[u8] = include_bytes!("../../../assets/fonts/DejaVuSans-Bold.ttf");

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

/// Lay the report out.
pub fn lay_out(input: &Input<'_>, fonts: &Fonts) -> Vec<Page> {
    let (width, height) = input.paper.size();
    let mut doc = Doc {
        fonts,
        pages: Vec::new(),
        page: Page::default(),
        y: 40.0,
        width,
        height,
        margin: 40.0,
    };
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
    doc.paragraph(doc.left(), doc.inner(), 9.5, false, BLACK, &census);
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

fn header(doc: &mut Doc<'_>, input: &Input<'_>) {
    let top = doc.y;
    let mut x = doc.left();
    if input.shop.logo_png.is_some() {
        doc.page.ops.push(Op::Logo {
            x,
            y: top,
            side: 46.0,
        });
        x += 56.0;
    }
    let name = if input.shop.name.is_empty() {
        "Hashbench"
    } else {
        &input.shop.name
    };
    let name = doc.fit(name, 16.0, true, doc.inner() * 0.6);
    doc.text_at(x, top + 16.0, 16.0, true, BLACK, &name);
    let mut y = top + 30.0;
    for line in input.shop.lines.iter().take(3) {
        let line = doc.fit(line, 8.5, false, doc.inner() * 0.6);
        doc.text_at(x, y, 8.5, false, GREY, &line);
        y += 11.0;
    }
    let title = "Hashboard diagnostic report";
    let right = doc.left() + doc.inner();
    let w = fonts_width(doc, title, 13.0, true);
    doc.text_at(right - w, top + 15.0, 13.0, true, BLACK, title);
    let made = format!(
        "Made {} UTC",
        store::time::format_minute(input.generated_at)
    );
    let w = fonts_width(doc, &made, 8.5, false);
    doc.text_at(right - w, top + 29.0, 8.5, false, GREY, &made);
    doc.y = (y - 6.0).max(top + 50.0) + 6.0;
    let (x0, yl, iw) = (doc.left(), doc.y, doc.inner());
    doc.line(vec![(x0, yl), (x0 + iw, yl)], BLACK, 1.0, false);
    doc.y += 8.0;
}

fn fonts_width(doc: &Doc<'_>, text: &str, size: f32, bold: bool) -> f32 {
    doc.fonts.width(text, size, bold)
}

/// Label/value pairs in two columns.
fn identity(doc: &mut Doc<'_>, input: &Input<'_>) {
    let report = input.run.report;
    let profile = input.profile;
    let mut left: Vec<(&str, String)> = Vec::new();
    if let Some(t) = input.ticket {
        left.push(("Ticket", format!("#{} ({})", t.id, t.status.name())));
        if let Some(v) = &input.verification {
            left.push(("Verified", v.summary()));
        }
        left.push(("Customer", or_dash(&t.customer)));
        left.push(("Reported", or_dash(&t.symptom)));
        left.push((
            "Taken in",
            format!(
                "{} UTC by {}",
                store::time::format_minute(t.intake_at),
                or_dash(&t.technician)
            ),
        ));
    } else {
        left.push(("Ticket", "none (single run)".into()));
    }
    let serial = input
        .ticket
        .and_then(|t| t.board.serial.clone())
        .or_else(|| report.board.serial.clone())
        .unwrap_or_else(|| "(not readable)".into());
    let board_code = input
        .ticket
        .and_then(|t| t.board.board_code.clone())
        .or_else(|| report.board.board_code.clone())
        .unwrap_or_else(|| "-".into());
    let right: Vec<(&str, String)> = vec![
        ("Board", format!("{} ({})", profile.name, profile.id)),
        ("Serial", serial),
        ("Board code", board_code),
        (
            "Run",
            format!(
                "{}{} UTC",
                input.run.id.map(|i| format!("#{i}, ")).unwrap_or_default(),
                store::time::format_minute(input.run.started_at)
            ),
        ),
    ];
    let column = doc.inner() / 2.0;
    let top = doc.y;
    let rows = left.len().max(right.len());
    for (c, pairs) in [left, right].iter().enumerate() {
        let x = doc.left() + column * c as f32;
        for (i, (label, value)) in pairs.iter().enumerate() {
            let baseline = top + 10.0 + i as f32 * 13.0;
            doc.text_at(x, baseline, 9.0, true, GREY, label);
            let value = doc.fit(value, 9.0, false, column - 70.0);
            doc.text_at(x + 64.0, baseline, 9.0, false, BLACK, &value);
        }
    }
    doc.y = top + rows as f32 * 13.0 + 8.0;
}

fn or_dash(s: &str) -> String {
    if s.trim().is_empty() {
        "-".into()
    } else {
        s.to_owned()
    }
}

fn verdict(doc: &mut Doc<'_>, report: &Report) {
    let (word, color) = match (report.verdict, &report.aborted) {
        (_, Some(_)) => ("STOPPED: NOT COMPLETE", AMBER),
        (Verdict::Pass, None) => ("PASS", GREEN),
        (Verdict::Fail, None) => ("FAIL: NEEDS REPAIR", RED),
        (Verdict::Inconclusive, None) => ("INCONCLUSIVE", AMBER),
    };
    let (x, y, w) = (doc.left(), doc.y, doc.inner());
    doc.rect(x, y, w, 40.0, Some(color), None);
    doc.text_at(
        x + 10.0,
        y + 19.0,
        16.0,
        true,
        WHITE,
        &format!("Verdict: {word}"),
    );
    let mut summary = format!(
        "{} of {} chips answered; {} finding(s)",
        report.chips_found,
        report.chips_expected,
        report.findings.len()
    );
    if let Some(why) = &report.aborted {
        summary.push_str(&format!("; stopped: {why}"));
    }
    let summary = doc.fit(&summary, 9.0, false, w - 20.0);
    doc.text_at(x + 10.0, y + 33.0, 9.0, false, WHITE, &summary);
    doc.y += 48.0;
}

fn suspects(report: &Report) -> Vec<usize> {
    let mut s: Vec<usize> = report
        .findings
        .iter()
        .flat_map(|f| f.suspects.iter().copied())
        .collect();
    s.sort_unstable();
    s.dedup();
    s
}

/// The board map's cell size and height when `width` wide, pt.
fn map_size(profile: &Profile, width: f32) -> (f32, f32) {
    let layout = &profile.layout;
    let cell = (width / f32::from(layout.cols.max(1))).min(28.0);
    (cell, cell * f32::from(layout.rows.max(1)))
}

/// The board's chips at their places from the cursor, `width` wide: domains in alternate
/// bands, each chip filled, outlined and labelled as `look(chip index, cell size)` says (the
/// label centred, left out on cells too small to read). Leaves the cursor under the map.
fn chip_grid(
    doc: &mut Doc<'_>,
    profile: &Profile,
    width: f32,
    look: impl Fn(usize, f32) -> (Rgb, Option<(Rgb, f32)>, String),
) {
    let (cell, height) = map_size(profile, width);
    let (x0, y0) = (doc.left(), doc.y);
    for pos in &profile.layout.chips {
        let x = x0 + f32::from(pos.col) * cell;
        let y = y0 + f32::from(pos.row) * cell;
        if pos.domain % 2 == 1 {
            doc.rect(x, y, cell, cell, Some(LIGHT), None);
        }
        let (fill, stroke, text) = look(pos.index, cell);
        let pad = (cell * 0.08).max(0.5);
        doc.rect(
            x + pad,
            y + pad,
            cell - 2.0 * pad,
            cell - 2.0 * pad,
            Some(fill),
            stroke,
        );
        if cell >= 12.0 && !text.is_empty() {
            let size = cell * if text.len() > 2 { 0.3 } else { 0.38 };
            let w = doc.fonts.width(&text, size, true);
            doc.text_at(
                x + (cell - w) / 2.0,
                y + cell / 2.0 + size * 0.36,
                size,
                true,
                BLACK,
                &text,
            );
        }
    }
    doc.y = y0 + height + 4.0;
}

/// The board map `width` wide at the cursor; with `legend`, the states legend under it.
fn board_map(doc: &mut Doc<'_>, profile: &Profile, report: &Report, width: f32, legend: bool) {
    let (_, height) = map_size(profile, width);
    doc.ensure(height + if legend { 30.0 } else { 4.0 });
    let suspect = suspects(report);
    chip_grid(doc, profile, width, |i, cell| {
        let state = report.chips.get(i).map_or(ChipState::Untested, |c| c.state);
        let is_suspect = suspect.contains(&i);
        let stroke = is_suspect.then_some((RED, (cell * 0.09).max(0.8)));
        let mark = format!("{}{}", state.letter(), if is_suspect { "*" } else { "" });
        (state_color(state), stroke, mark)
    });
    if legend {
        let mut x = doc.left();
        let y = doc.y;
        for state in ChipState::ALL {
            doc.rect(x, y + 2.0, 8.0, 8.0, Some(state_color(state)), None);
            let label = format!("{} {}", state.letter(), state.label());
            doc.text_at(x + 11.0, y + 9.5, 8.0, false, BLACK, &label);
            x += 15.0 + doc.fonts.width(&label, 8.0, false);
        }
        let note = if suspect.is_empty() {
            "Alternate bands: voltage domains".to_owned()
        } else {
            let list: Vec<String> = suspect.iter().map(ToString::to_string).collect();
            format!("* red outline: probe first (chips {})", list.join(", "))
        };
        doc.text_at(x + 6.0, y + 9.5, 8.0, true, RED, &note);
        doc.y += 16.0;
    }
}

/// The board map coloured by a measurement (`scale`), each chip's value written on it, and
/// the scale's legend.
fn graded_map(doc: &mut Doc<'_>, profile: &Profile, report: &Report, scale: Scale, width: f32) {
    let (_, height) = map_size(profile, width);
    doc.ensure(height + 30.0);
    let rgb = |g: Grade| {
        let (r, g, b) = g.rgb();
        Rgb(r, g, b)
    };
    let graded = report.graded(scale);
    chip_grid(doc, profile, width, |i, _| {
        let (grade, text) = graded
            .get(i)
            .cloned()
            .unwrap_or((Grade::NotMeasured, String::new()));
        (rgb(grade), None, text)
    });
    let mut x = doc.left();
    let y = doc.y;
    for (grade, meaning) in scale.legend() {
        doc.rect(x, y + 2.0, 8.0, 8.0, Some(rgb(grade)), None);
        doc.text_at(x + 11.0, y + 9.5, 8.0, false, BLACK, meaning);
        x += 15.0 + doc.fonts.width(meaning, 8.0, false);
    }
    doc.y += 16.0;
}

/// A chart frame with a title, y range and ticks; returns the plot area (x, y, w, h).
/// A chart's box on the page.
#[derive(Debug, Clone, Copy)]
struct Area {
    x: f32,
    y: f32,
    w: f32,
    h: f32,
}

fn frame(
    doc: &mut Doc<'_>,
    area: Area,
    title: &str,
    y_max: f32,
    unit: &str,
) -> (f32, f32, f32, f32) {
    let Area { x, y, w, h } = area;
    doc.text_at(x, y + 9.0, 9.0, true, BLACK, &format!("{title} ({unit})"));
    let (px, py, pw, ph) = (x + 34.0, y + 16.0, w - 40.0, h - 34.0);
    doc.rect(px, py, pw, ph, None, Some((RULE, 0.6)));
    let ticks = 4;
    for i in 0..=ticks {
        let v = y_max * i as f32 / ticks as f32;
        let ty = py + ph - ph * i as f32 / ticks as f32;
        doc.line(vec![(px, ty), (px + pw, ty)], LIGHT, 0.4, false);
        let label = format!("{v:.0}");
        let lw = doc.fonts.width(&label, 7.0, false);
        doc.text_at(px - lw - 3.0, ty + 2.5, 7.0, false, GREY, &label);
    }
    (px, py, pw, ph)
}

fn charts(doc: &mut Doc<'_>, input: &Input<'_>) {
    let h = 165.0;
    doc.ensure(h + 10.0);
    let gap = 16.0;
    let w = (doc.inner() - gap) / 2.0;
    let (x0, y0) = (doc.left(), doc.y);
    voltage_chart(doc, input, Area { x: x0, y: y0, w, h });
    temperature_chart(
        doc,
        input,
        Area {
            x: x0 + w + gap,
            y: y0,
            w,
            h,
        },
    );
    doc.y = y0 + h + 6.0;
}

fn voltage_chart(doc: &mut Doc<'_>, input: &Input<'_>, area: Area) {
    let report = input.run.report;
    let band = &input.profile.voltage;
    let (low, high) = (band.low_mv() as f32, band.high_mv() as f32);
    let measured = report
        .domains
        .iter()
        .map(|d| d.voltage_mv as f32)
        .fold(0.0, f32::max);
    let y_max = (high * 1.25).max(measured * 1.05).max(1.0);
    let (px, py, pw, ph) = frame(doc, area, "Domain voltages against the band", y_max, "mV");
    let to_y = |v: f32| py + ph - ph * (v / y_max).clamp(0.0, 1.0);
    let n = report.domains.len().max(1);
    let slot = pw / n as f32;
    for d in &report.domains {
        let color = match d.state {
            DomainState::Ok => GREEN,
            DomainState::Low | DomainState::High => AMBER,
            DomainState::Short => RED,
            DomainState::Open => Rgb(150, 70, 200),
        };
        let bx = px + slot * d.index as f32;
        let top = to_y(d.voltage_mv as f32);
        doc.rect(
            bx + slot * 0.15,
            top,
            slot * 0.7,
            py + ph - top,
            Some(color),
            None,
        );
    }
    for (v, label) in [(low, "band low"), (high, "band high")] {
        let ly = to_y(v);
        doc.line(vec![(px, ly), (px + pw, ly)], RED, 0.8, true);
        let lw = doc.fonts.width(label, 6.5, false);
        doc.text_at(px + pw - lw - 2.0, ly - 2.0, 6.5, false, RED, label);
    }
    let step = (n / 8).max(1);
    for i in (0..n).step_by(step) {
        let label = i.to_string();
        let lw = doc.fonts.width(&label, 7.0, false);
        doc.text_at(
            px + slot * (i as f32 + 0.5) - lw / 2.0,
            py + ph + 9.0,
            7.0,
            false,
            GREY,
            &label,
        );
    }
    doc.text_at(
        px + pw / 2.0 - 14.0,
        py + ph + 17.0,
        7.0,
        false,
        GREY,
        "domain",
    );
}

fn temperature_chart(doc: &mut Doc<'_>, input: &Input<'_>, area: Area) {
    let temps = &input.run.telemetry.temperatures;
    let sensors = input.profile.sensors.len();
    let readings: Vec<f32> = temps
        .iter()
        .flat_map(|s| s.temps_c.iter().flatten().copied())
        .filter(|t| t.is_finite())
        .collect();
    let t_max = readings.iter().copied().fold(0.0, f32::max);
    let y_max = ((t_max / 10.0).ceil() * 10.0 + 10.0).max(50.0);
    let (px, py, pw, ph) = frame(doc, area, "Temperatures over the run", y_max, "°C");
    if readings.is_empty() {
        doc.text_at(
            px + 8.0,
            py + ph / 2.0,
            8.5,
            false,
            GREY,
            "No temperature readings in this run.",
        );
        return;
    }
    let span = temps
        .iter()
        .map(|s| s.t_s)
        .fold(0.0_f64, f64::max)
        .max(1e-3) as f32;
    for s in 0..sensors.max(temps.iter().map(|t| t.temps_c.len()).max().unwrap_or(0)) {
        let color = SERIES.get(s % SERIES.len()).copied().unwrap_or(BLACK);
        let points: Vec<(f32, f32)> = temps
            .iter()
            .filter_map(|t| {
                let v = (*t.temps_c.get(s)?)?;
                Some((
                    px + pw * (t.t_s as f32 / span),
                    py + ph - ph * (v / y_max).clamp(0.0, 1.0),
                ))
            })
            .collect();
        if points.is_empty() {
            continue;
        }
        if points.len() == 1 {
            let (cx, cy) = points[0];
            doc.rect(cx - 1.5, cy - 1.5, 3.0, 3.0, Some(color), None);
        } else {
            doc.line(points, color, 1.2, false);
        }
        let name = input
            .profile
            .sensors
            .get(s)
            .map_or_else(|| format!("sensor {s}"), |x| x.name.clone());
        let ly = py + 8.0 + 9.0 * s as f32;
        doc.rect(px + 4.0, ly - 5.0, 8.0, 2.5, Some(color), None);
        doc.text_at(px + 15.0, ly, 7.0, false, BLACK, &name);
    }
    doc.text_at(px, py + ph + 9.0, 7.0, false, GREY, "0");
    let end = format!("{span:.1} s");
    let lw = doc.fonts.width(&end, 7.0, false);
    doc.text_at(px + pw - lw, py + ph + 9.0, 7.0, false, GREY, &end);
    doc.text_at(
        px + pw / 2.0 - 20.0,
        py + ph + 17.0,
        7.0,
        false,
        GREY,
        "jig time, s",
    );
}

fn findings(doc: &mut Doc<'_>, report: &Report) {
    doc.heading("Findings and what to do");
    if report.findings.is_empty() {
        doc.paragraph(
            doc.left(),
            doc.inner(),
            9.5,
            false,
            BLACK,
            "None: every chip, domain and sensor is fine.",
        );
        return;
    }
    for (n, f) in report.findings.iter().enumerate() {
        doc.ensure(36.0);
        let title = format!("{}. {}: {}", n + 1, f.kind.label(), f.message);
        doc.paragraph(doc.left(), doc.inner(), 9.5, true, BLACK, &title);
        doc.paragraph(
            doc.left() + 12.0,
            doc.inner() - 12.0,
            9.0,
            false,
            BLACK,
            &format!("What to do: {}", f.hint),
        );
        doc.y += 4.0;
    }
}

/// The chips that are not ok; a run of missing chips is one row.
fn not_ok(doc: &mut Doc<'_>, profile: &Profile, report: &Report) {
    doc.heading("Chips that are not ok");
    let bad: Vec<&diagnosis::report::ChipResult> = report
        .chips
        .iter()
        .filter(|c| c.state != ChipState::Ok)
        .collect();
    if bad.is_empty() {
        doc.paragraph(
            doc.left(),
            doc.inner(),
            9.5,
            false,
            BLACK,
            "All chips returned their golden nonces.",
        );
        return;
    }
    let mut rows: Vec<Vec<String>> = Vec::new();
    let mut i = 0;
    while let Some(c) = bad.get(i) {
        // Consecutive chips in the same state with no result of their own collapse to a range.
        let mut j = i;
        while let Some(next) = bad.get(j + 1) {
            if next.index == bad[j].index + 1
                && next.state == c.state
                && matches!(c.state, ChipState::Missing | ChipState::Untested)
            {
                j += 1;
            } else {
                break;
            }
        }
        let pos = profile.layout.chips.get(c.index);
        if j > i {
            let last = bad[j].index;
            rows.push(vec![
                format!("{}–{}", c.index, last),
                "-".into(),
                "-".into(),
                "-".into(),
                format!("{} ({} chips)", c.state.label(), last - c.index + 1),
                "-".into(),
                "-".into(),
                "-".into(),
                "-".into(),
            ]);
        } else {
            rows.push(vec![
                c.index.to_string(),
                pos.and_then(|p| p.uref.clone())
                    .unwrap_or_else(|| "-".into()),
                pos.map_or("-".into(), |p| format!("{}/{}", p.row + 1, p.col + 1)),
                c.domain.to_string(),
                c.state.label().to_owned(),
                c.patterns.to_string(),
                c.golden.to_string(),
                c.hw_errors.to_string(),
                c.temp_c.map_or("-".into(), |t| format!("{t:.0}")),
            ]);
        }
        i = j + 1;
    }
    doc.table(
        &[
            "Chip", "U-ref", "Row/col", "Domain", "State", "Patterns", "Golden", "HW err", "°C",
        ],
        &[1.2, 1.0, 1.0, 0.9, 2.0, 1.0, 1.0, 0.9, 0.7],
        &rows,
    );
}

fn repairs(doc: &mut Doc<'_>, input: &Input<'_>) {
    if input.ticket.is_none() {
        return;
    }
    doc.heading("Repair actions");
    if input.repairs.is_empty() {
        doc.paragraph(
            doc.left(),
            doc.inner(),
            9.5,
            false,
            BLACK,
            "None recorded on this ticket.",
        );
        return;
    }
    let rows: Vec<Vec<String>> = input
        .repairs
        .iter()
        .map(|a| {
            vec![
                store::time::format_minute(a.at),
                match (a.chip, a.uref.is_empty()) {
                    (Some(c), false) => format!("{c} ({})", a.uref),
                    (Some(c), true) => c.to_string(),
                    (None, _) => "board".into(),
                },
                a.action.name().to_owned(),
                or_dash(&a.part),
                a.minutes.to_string(),
                or_dash(&a.technician),
                or_dash(&a.notes),
            ]
        })
        .collect();
    doc.table(
        &[
            "When (UTC)",
            "Chip",
            "Action",
            "Part / lot",
            "Min",
            "By",
            "Notes",
        ],
        &[2.0, 1.2, 1.0, 1.6, 0.6, 1.0, 2.6],
        &rows,
    );
}

/// The meter readings at test points, each with the range it was judged against and where
/// that range comes from; left out when none were typed.
fn readings(doc: &mut Doc<'_>, input: &Input<'_>) {
    if input.readings.is_empty() {
        return;
    }
    doc.heading("Test-point readings");
    let rows: Vec<Vec<String>> = input
        .readings
        .iter()
        .map(|r| {
            let n = &r.reading;
            vec![
                store::time::format_minute(r.at),
                n.place(),
                format!("{} mV", n.mv),
                n.range_mv
                    .map_or_else(|| "-".to_owned(), |(lo, hi)| format!("{lo}-{hi} mV")),
                n.verdict.clone(),
                or_dash(&n.source),
            ]
        })
        .collect();
    doc.table(
        &[
            "When (UTC)",
            "Point",
            "Read",
            "Expected",
            "Verdict",
            "Range from",
        ],
        &[1.8, 1.5, 1.0, 1.4, 0.9, 3.4],
        &rows,
    );
}

fn run_caption(run: &Run<'_>) -> String {
    format!(
        "{}{} UTC: {}",
        run.id.map(|i| format!("Run #{i}, ")).unwrap_or_default(),
        store::time::format_minute(run.started_at),
        run.report.verdict.name().to_uppercase()
    )
}

fn before_after(doc: &mut Doc<'_>, profile: &Profile, before: &Run<'_>, after: &Run<'_>) {
    doc.heading("Before and after the repair");
    let gap = 20.0;
    let w = (doc.inner() - gap) / 2.0;
    let layout = &profile.layout;
    let cell = (w / f32::from(layout.cols.max(1))).min(20.0);
    doc.ensure(cell * f32::from(layout.rows.max(1)) + 40.0);
    let top = doc.y;
    let left = doc.left();
    for (k, (run, label)) in [(before, "Before"), (after, "After")]
        .into_iter()
        .enumerate()
    {
        let x = left + k as f32 * (w + gap);
        let caption = format!("{label}: {}", run_caption(run));
        let caption = doc.fit(&caption, 9.0, true, w);
        doc.text_at(x, top + 10.0, 9.0, true, BLACK, &caption);
        doc.y = top + 16.0;
        let saved = doc.margin;
        // Draw the map at this column: shift the margin for the map helper.
        doc.margin = x;
        board_map(doc, profile, run.report, w, false);
        doc.margin = saved;
    }
    doc.y += 4.0;
    let mut changes: std::collections::BTreeMap<(ChipState, ChipState), usize> = Default::default();
    for (a, b) in before.report.chips.iter().zip(&after.report.chips) {
        if a.state != b.state {
            *changes.entry((a.state, b.state)).or_default() += 1;
        }
    }
    let text = if changes.is_empty() {
        "No chip changed state.".to_owned()
    } else {
        let parts: Vec<String> = changes
            .iter()
            .map(|((a, b), n)| format!("{n} chip(s) {} → {}", a.label(), b.label()))
            .collect();
        format!("Changed: {}.", parts.join("; "))
    };
    doc.paragraph(doc.left(), doc.inner(), 9.0, false, BLACK, &text);
}

fn provenance(doc: &mut Doc<'_>, input: &Input<'_>) {
    let report = input.run.report;
    let p = &report.provenance;
    doc.heading("Provenance");
    let lines = [
        format!("Hashbench {}", p.app_version),
        format!(
            "Jig firmware {}{}",
            or_dash(&p.jig_firmware),
            input
                .run
                .jig_protocol
                .map(|v| format!(", protocol {v}"))
                .unwrap_or_default()
        ),
        format!("Board profile {}", p.profile),
        format!("Pattern set {}", p.pattern_set),
        format!(
            "Pattern test at {} baud; {:.2} s on the jig clock, {} bytes on the chain link{}",
            report.timing.baud,
            report.timing.duration_s,
            report.timing.wire_bytes,
            p.seed
                .map(|s| format!("; simulated board, seed {s}"))
                .unwrap_or_default()
        ),
    ];
    let soak = report.soak.map(|s| format!("Soak: {}", s.describe()));
    let aging = report
        .aging
        .as_ref()
        .map(|a| format!("Aging: {}", a.describe()));
    let ladder = (!report.ladder_mhz.is_empty()).then(|| {
        let clocks: Vec<String> = report
            .ladder_mhz
            .iter()
            .map(|m| format!("{m:.0}"))
            .collect();
        format!(
            "Frequency ladder: pattern test at {} MHz",
            clocks.join(", ")
        )
    });
    let supply = (!report.ladder_mv.is_empty()).then(|| {
        let steps: Vec<String> = report.ladder_mv.iter().map(ToString::to_string).collect();
        format!(
            "Supply steps: pattern test with the board supply at {} mV",
            steps.join(", ")
        )
    });
    for line in lines
        .iter()
        .chain(ladder.as_ref())
        .chain(supply.as_ref())
        .chain(soak.as_ref())
        .chain(aging.as_ref())
    {
        doc.paragraph(doc.left(), doc.inner(), 8.5, false, BLACK, line);
    }
}

fn signature(doc: &mut Doc<'_>) {
    doc.ensure(60.0);
    doc.y += 26.0;
    let y = doc.y;
    let w = doc.inner();
    let x0 = doc.left();
    for (k, label) in ["Technician", "Date", "Signature"].iter().enumerate() {
        let x = x0 + w * [0.0, 0.38, 0.6][k];
        let len = w * [0.34, 0.18, 0.4][k];
        doc.line(vec![(x, y), (x + len, y)], BLACK, 0.6, false);
        doc.text_at(x, y + 10.0, 8.0, false, GREY, label);
    }
    doc.y += 16.0;
}

fn footers(doc: &mut Doc<'_>, input: &Input<'_>) {
    let n = doc.pages.len();
    let (x, y) = (doc.left(), doc.height - doc.margin + 4.0);
    let what = match input.ticket {
        Some(t) => format!("ticket #{}", t.id),
        None => "single run".to_owned(),
    };
    for (i, page) in doc.pages.iter_mut().enumerate() {
        page.ops.push(Op::Text {
            x,
            y,
            size: 7.5,
            bold: false,
            color: GREY,
            text: format!(
                "Hashbench {} · {what} · {} UTC · page {} of {n}",
                input.run.report.provenance.app_version,
                store::time::format_minute(input.generated_at),
                i + 1
            ),
        });
    }
}
