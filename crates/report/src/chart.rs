//! Charts drawn with plotters: one description ([`Chart`]: title, axes, line and bar series,
//! horizontal rules) drawn the same way for the PDF (as SVG, kept as vector paths and real
//! text), for "Export chart…" in the window (SVG or PNG) and for the statistics. Text is set in
//! the embedded DejaVu Sans through plotters' `ab_glyph` back end, so no system font is looked
//! up and a PNG looks the same on every bench PC. The builders for the charts the report and
//! the window share (domain voltages, temperatures, the shop's failure counts) live here too.

use std::sync::OnceLock;

use diagnosis::report::{DomainState, Report};
use plotters::backend::{BitMapBackend, DrawingBackend, SVGBackend};
use plotters::chart::ChartBuilder;
use plotters::coord::Shift;
use plotters::drawing::{DrawingArea, IntoDrawingArea};
use plotters::element::{Circle, PathElement, Rectangle, Text};
use plotters::series::{DashedLineSeries, LineSeries};
use plotters::style::text_anchor::{HPos, Pos, VPos};
use plotters::style::{Color, FontStyle, IntoFont, RGBColor, TextStyle, register_font};

/// A colour, 0-255 per channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rgb(pub u8, pub u8, pub u8);

/// Colours for series that have no meaning of their own (sensors, lines over time).
pub const PALETTE: [Rgb; 6] = [
    Rgb(31, 119, 180),
    Rgb(214, 39, 40),
    Rgb(44, 160, 44),
    Rgb(148, 103, 189),
    Rgb(255, 127, 14),
    Rgb(23, 190, 207),
];

const RED: Rgb = Rgb(210, 45, 45);
const GREEN: Rgb = Rgb(46, 140, 67);
const AMBER: Rgb = Rgb(200, 140, 20);
const PURPLE: Rgb = Rgb(150, 70, 200);
const LOADED: Rgb = Rgb(70, 110, 170);

/// How a series is drawn.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Mark {
    /// Points joined in order (a single point is drawn as a dot).
    Line,
    /// A bar from zero to each point, `width` wide in x units, centred on its x.
    Bars {
        /// Bar width, x units.
        width: f64,
    },
}

/// One named series of (x, y) points.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    /// Its name in the legend.
    pub name: String,
    /// Line or bars.
    pub mark: Mark,
    /// Its colour.
    pub color: Rgb,
    /// The points, in x order for a line.
    pub points: Vec<(f64, f64)>,
}

/// A named horizontal line across the chart (a band limit), dashed.
#[derive(Debug, Clone, PartialEq)]
pub struct Rule {
    /// Its name in the legend.
    pub name: String,
    /// Where, y units.
    pub y: f64,
    /// Its colour.
    pub color: Rgb,
}

/// A chart: what it shows, independent of where it is drawn.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Chart {
    /// Caption above the plot.
    pub title: String,
    /// The x axis' name and unit.
    pub x_label: String,
    /// The y axis' name and unit.
    pub y_label: String,
    /// The data.
    pub series: Vec<Series>,
    /// Horizontal rules.
    pub rules: Vec<Rule>,
    /// x values always on the axis (the whole chain, say), whatever the data.
    pub x_include: Vec<f64>,
    /// The x axis counts things (domain, chip): whole-number ticks.
    pub x_whole: bool,
    /// The y axis counts things (tickets): whole-number ticks.
    pub y_whole: bool,
    /// The y axis starts at zero (bars, counts), rather than near the lowest value.
    pub y_from_zero: bool,
    /// The y axis spans at least this much (a 1 °C wobble does not fill the chart).
    pub y_span_at_least: f64,
    /// Said in the plot when no series has a point.
    pub empty_note: String,
}

/// Why a chart could not be drawn or encoded.
#[derive(Debug, thiserror::Error)]
pub enum ChartError {
    /// plotters refused a drawing step.
    #[error("the chart \"{title}\" could not be drawn: {reason}")]
    Draw {
        /// The chart's title.
        title: String,
        /// plotters' words.
        reason: String,
    },
    /// The embedded font could not be handed to plotters.
    #[error("the chart font (embedded DejaVu Sans) could not be loaded")]
    Font,
    /// The PNG encoder failed.
    #[error("the chart could not be encoded as PNG: {0}")]
    Png(String),
    /// Too small to hold axes and a caption.
    #[error(
        "a chart is at least {MIN_W} × {MIN_H} and at most 8000 × 8000 pixels; asked for {0} × {1}"
    )]
    Size(u32, u32),
}

/// The smallest chart drawn.
pub const MIN_W: u32 = 120;
/// The smallest chart drawn.
pub const MIN_H: u32 = 90;

/// The family name the chart's text is registered under in plotters and asked for in its SVG.
const FAMILY: &str = "sans-serif";

/// Hand DejaVu Sans to plotters once per process (its font table is global).
fn fonts() -> Result<(), ChartError> {
    static DONE: OnceLock<bool> = OnceLock::new();
    let ok = *DONE.get_or_init(|| {
        register_font(FAMILY, FontStyle::Normal, crate::layout::REGULAR).is_ok()
            && register_font(FAMILY, FontStyle::Bold, crate::layout::BOLD).is_ok()
    });
    if ok { Ok(()) } else { Err(ChartError::Font) }
}

fn rgb(c: Rgb) -> RGBColor {
    RGBColor(c.0, c.1, c.2)
}

impl Chart {
    /// The chart as an SVG document, `width` × `height` pixels.
    pub fn svg(&self, width: u32, height: u32) -> Result<String, ChartError> {
        self.svg_scaled(width, height, 1.0)
    }

    /// As [`Chart::svg`], with every font size, line width and margin times `scale` (the PDF
    /// draws at twice its size in points, for finer coordinates than plotters' whole pixels).
    pub(crate) fn svg_scaled(
        &self,
        width: u32,
        height: u32,
        scale: f64,
    ) -> Result<String, ChartError> {
        check_size(width, height, scale)?;
        fonts()?;
        let mut svg = String::new();
        {
            let root = SVGBackend::with_string(&mut svg, (width, height)).into_drawing_area();
            self.draw(&root, scale)?;
            root.present().map_err(|e| self.fail(e))?;
        }
        Ok(svg)
    }

    /// The chart as a PNG image, `width` × `height` pixels; sizes scale with the width (600
    /// pixels is the SVG's look).
    pub fn png(&self, width: u32, height: u32) -> Result<Vec<u8>, ChartError> {
        let scale = f64::from(width) / 600.0;
        check_size(width, height, scale)?;
        fonts()?;
        let len = (width as usize) * (height as usize) * 3;
        let mut pixels = vec![0_u8; len];
        {
            let root = BitMapBackend::with_buffer(&mut pixels, (width, height)).into_drawing_area();
            self.draw(&root, scale)?;
            root.present().map_err(|e| self.fail(e))?;
        }
        let mut out = Vec::new();
        let mut encoder = png::Encoder::new(&mut out, width, height);
        encoder.set_color(png::ColorType::Rgb);
        encoder.set_depth(png::BitDepth::Eight);
        let mut writer = encoder
            .write_header()
            .map_err(|e| ChartError::Png(e.to_string()))?;
        writer
            .write_image_data(&pixels)
            .map_err(|e| ChartError::Png(e.to_string()))?;
        writer
            .finish()
            .map_err(|e| ChartError::Png(e.to_string()))?;
        Ok(out)
    }

    /// The chart's words: title, axis names, series and rule names (what a reader of the PDF
    /// finds as text).
    #[must_use]
    pub fn words(&self) -> Vec<&str> {
        let mut words = vec![
            self.title.as_str(),
            self.x_label.as_str(),
            self.y_label.as_str(),
        ];
        words.extend(self.series.iter().map(|s| s.name.as_str()));
        words.extend(self.rules.iter().map(|r| r.name.as_str()));
        words
    }

    fn has_points(&self) -> bool {
        self.series.iter().any(|s| !s.points.is_empty())
    }

    fn fail(&self, e: impl std::fmt::Display) -> ChartError {
        ChartError::Draw {
            title: self.title.clone(),
            reason: e.to_string(),
        }
    }

    /// The axes' ranges: every point (bars with their width), rule and included x; y from
    /// zero, with room above the highest value for the legend.
    fn ranges(&self) -> ((f64, f64), (f64, f64)) {
        let finite = |v: &f64| v.is_finite();
        let mut xs: Vec<f64> = self.x_include.iter().copied().filter(finite).collect();
        let mut ys: Vec<f64> = if self.y_from_zero {
            vec![0.0]
        } else {
            Vec::new()
        };
        for s in &self.series {
            let half = match s.mark {
                Mark::Line => 0.0,
                Mark::Bars { width } => width / 2.0,
            };
            for &(x, y) in s
                .points
                .iter()
                .filter(|(x, y)| x.is_finite() && y.is_finite())
            {
                xs.extend([x - half, x + half]);
                ys.push(y);
            }
        }
        ys.extend(self.rules.iter().map(|r| r.y).filter(finite));
        let (mut x0, mut x1) = min_max(&xs).unwrap_or((0.0, 1.0));
        if x1 - x0 < 1e-9 {
            (x0, x1) = (x0 - 0.5, x1 + 0.5);
        }
        let (mut y0, mut y1) = min_max(&ys).unwrap_or((0.0, 1.0));
        let short = self.y_span_at_least - (y1 - y0);
        if short > 0.0 {
            y1 += if self.y_from_zero { short } else { short / 2.0 };
            y0 -= if self.y_from_zero { 0.0 } else { short / 2.0 };
        }
        let span = (y1 - y0).max(1.0);
        // A little room above the highest value, and below the lowest when y is not counted
        // from zero.
        let below = if self.y_from_zero { 0.0 } else { span * 0.08 };
        ((x0, x1), (y0 - below, y1 + span * 0.08))
    }

    fn draw<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
        scale: f64,
    ) -> Result<(), ChartError> {
        let px = |v: f64| (v * scale).round().max(1.0) as u32;
        let font = |size: f64| (FAMILY, size * scale).into_font();
        root.fill(&plotters::style::WHITE)
            .map_err(|e| self.fail(e))?;
        // The legend goes in rows under the plot, where it never covers a bar or a line.
        let entries = self.legend();
        let label_font: TextStyle<'_> = font(10.5).into();
        let (width, height) = root.dim_in_pixel();
        let swatch = px(16.0);
        let widths = entries
            .iter()
            .map(|(name, _)| {
                root.estimate_text_size(name, &label_font)
                    .map(|(w, _)| w + swatch + px(18.0))
                    .map_err(|e| self.fail(e))
            })
            .collect::<Result<Vec<u32>, ChartError>>()?;
        let rows = flow(&widths, width.saturating_sub(px(16.0)));
        let row_h = px(15.0);
        let legend_h = if rows.is_empty() {
            0
        } else {
            row_h * rows.len() as u32 + px(6.0)
        };
        let (top, bottom) = root.split_vertically(height.saturating_sub(legend_h));
        self.plot(&top, scale)?;
        let text = label_font.pos(Pos::new(HPos::Left, VPos::Center));
        for (r, row) in rows.iter().enumerate() {
            let y = (row_h * r as u32 + row_h / 2) as i32;
            let mut x = px(12.0) as i32;
            for &i in row {
                let (Some((name, mark)), Some(w)) = (entries.get(i), widths.get(i)) else {
                    continue;
                };
                let (x1, half) = (x + swatch as i32, (px(4.0) as i32).max(1));
                let drawn = match mark {
                    Swatch::Bar(c) => bottom.draw(&Rectangle::new(
                        [(x, y - half), (x1, y + half)],
                        rgb(*c).filled(),
                    )),
                    Swatch::Line(c) => bottom.draw(&PathElement::new(
                        vec![(x, y), (x1, y)],
                        rgb(*c).stroke_width(px(1.5)),
                    )),
                    Swatch::Dashed(c) => {
                        let dash = swatch as i32 / 3;
                        bottom
                            .draw(&PathElement::new(
                                vec![(x, y), (x + dash, y)],
                                rgb(*c).stroke_width(px(1.5)),
                            ))
                            .and_then(|()| {
                                bottom.draw(&PathElement::new(
                                    vec![(x1 - dash, y), (x1, y)],
                                    rgb(*c).stroke_width(px(1.5)),
                                ))
                            })
                    }
                };
                drawn.map_err(|e| self.fail(e))?;
                bottom
                    .draw(&Text::new(
                        name.as_str(),
                        (x1 + px(5.0) as i32, y),
                        text.clone(),
                    ))
                    .map_err(|e| self.fail(e))?;
                x += *w as i32;
            }
        }
        Ok(())
    }

    /// What the legend lists: every series with a point, then the rules.
    fn legend(&self) -> Vec<(String, Swatch)> {
        let series = self
            .series
            .iter()
            .filter(|s| !s.points.is_empty())
            .map(|s| {
                let mark = match s.mark {
                    Mark::Line => Swatch::Line(s.color),
                    Mark::Bars { .. } => Swatch::Bar(s.color),
                };
                (s.name.clone(), mark)
            });
        let rules = self
            .rules
            .iter()
            .map(|r| (r.name.clone(), Swatch::Dashed(r.color)));
        series.chain(rules).collect()
    }

    /// The caption, axes, grid, series and rules in `area`.
    fn plot<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
        scale: f64,
    ) -> Result<(), ChartError> {
        let px = |v: f64| (v * scale).round().max(1.0) as u32;
        let font = |size: f64| (FAMILY, size * scale).into_font();
        let ((x0, x1), (y0, y1)) = self.ranges();
        let mut chart = ChartBuilder::on(area)
            .caption(&self.title, font(14.0).style(FontStyle::Bold))
            .margin(px(8.0))
            .x_label_area_size(px(36.0))
            .y_label_area_size(px(52.0))
            .build_cartesian_2d(x0..x1, y0..y1)
            .map_err(|e| self.fail(e))?;
        let whole = |v: &f64| format!("{v:.0}");
        // As many decimals as the y span needs, and no more.
        let decimals = match y1 - y0 {
            s if s >= 20.0 => 0,
            s if s >= 2.0 => 1,
            _ => 2,
        };
        let decimals = if self.y_whole { 0 } else { decimals };
        let y_format = move |v: &f64| format!("{v:.decimals$}");
        let mut mesh = chart.configure_mesh();
        mesh.x_desc(self.x_label.as_str())
            .y_desc(self.y_label.as_str())
            .label_style(font(11.0))
            .axis_desc_style(font(12.0))
            .bold_line_style(RGBColor(225, 225, 225).stroke_width(px(1.0)))
            .light_line_style(plotters::style::TRANSPARENT)
            .axis_style(RGBColor(120, 120, 120).stroke_width(px(1.0)))
            .y_label_formatter(&y_format);
        // Counts: at most one tick per whole number, as on a whole x axis.
        let y_ticks = if self.y_whole {
            ((y1 - y0).floor().max(1.0) as usize + 1).min(6)
        } else {
            6
        };
        mesh.y_labels(y_ticks);
        if self.x_whole {
            // At most one tick per whole number, so no two ticks round to the same label.
            let per_unit = (x1 - x0).ceil().max(1.0) as usize + 1;
            mesh.x_labels(per_unit.min(12)).x_label_formatter(&whole);
        } else {
            mesh.x_labels(8);
        }
        mesh.draw().map_err(|e| self.fail(e))?;
        let line = |c: Rgb| rgb(c).stroke_width(px(1.5));
        for s in self.series.iter().filter(|s| !s.points.is_empty()) {
            let color = rgb(s.color);
            match s.mark {
                Mark::Line if s.points.len() == 1 => chart
                    .draw_series(
                        s.points
                            .iter()
                            .map(|&p| Circle::new(p, px(2.5), color.filled())),
                    )
                    .map_err(|e| self.fail(e))?,
                Mark::Line => chart
                    .draw_series(LineSeries::new(s.points.iter().copied(), line(s.color)))
                    .map_err(|e| self.fail(e))?,
                Mark::Bars { width } => {
                    let base = y0.max(0.0);
                    chart
                        .draw_series(s.points.iter().map(|&(x, y)| {
                            Rectangle::new(
                                [(x - width / 2.0, base), (x + width / 2.0, y)],
                                color.filled(),
                            )
                        }))
                        .map_err(|e| self.fail(e))?
                }
            };
        }
        for r in &self.rules {
            chart
                .draw_series(DashedLineSeries::new(
                    [(x0, r.y), (x1, r.y)],
                    px(6.0),
                    px(4.0),
                    line(r.color),
                ))
                .map_err(|e| self.fail(e))?;
        }
        if !self.has_points() {
            let middle = ((x0 + x1) / 2.0, (y0 + y1) / 2.0);
            let style = font(12.0)
                .color(&RGBColor(110, 110, 110))
                .pos(Pos::new(HPos::Center, VPos::Center));
            chart
                .plotting_area()
                .draw(&Text::new(self.empty_note.as_str(), middle, style))
                .map_err(|e| self.fail(e))?;
        }
        Ok(())
    }
}

/// A legend entry's sample.
#[derive(Debug, Clone, Copy)]
enum Swatch {
    Bar(Rgb),
    Line(Rgb),
    Dashed(Rgb),
}

/// Entries of `widths` flowed into rows no wider than `room` (an entry wider than the room
/// gets a row of its own).
fn flow(widths: &[u32], room: u32) -> Vec<Vec<usize>> {
    let mut rows: Vec<Vec<usize>> = Vec::new();
    let mut used = 0;
    for (i, &w) in widths.iter().enumerate() {
        match rows.last_mut() {
            Some(row) if used + w <= room => {
                row.push(i);
                used += w;
            }
            _ => {
                rows.push(vec![i]);
                used = w;
            }
        }
    }
    rows
}

fn check_size(width: u32, height: u32, scale: f64) -> Result<(), ChartError> {
    // Big enough in pixels, and at the scale drawn (the room the axes and caption take).
    let (w, h) = (f64::from(width) / scale, f64::from(height) / scale);
    let small = |w: f64, h: f64| w < f64::from(MIN_W) || h < f64::from(MIN_H);
    if small(w, h) || small(f64::from(width), f64::from(height)) || width > 8000 || height > 8000 {
        return Err(ChartError::Size(width, height));
    }
    Ok(())
}

fn min_max(values: &[f64]) -> Option<(f64, f64)> {
    let lo = values.iter().copied().reduce(f64::min)?;
    let hi = values.iter().copied().reduce(f64::max)?;
    Some((lo, hi))
}

/// Each domain's preflight voltage (coloured by its state) and, where measured, its worst
/// reading under hashing load, against the profile's band.
#[must_use]
pub fn domain_voltages(report: &Report, band_mv: (u32, u32)) -> Chart {
    let groups = [
        ("preflight: in band", GREEN),
        ("preflight: low or high", AMBER),
        ("preflight: short", RED),
        ("preflight: open", PURPLE),
    ];
    let group = |s: DomainState| match s {
        DomainState::Ok => 0,
        DomainState::Low | DomainState::High => 1,
        DomainState::Short => 2,
        DomainState::Open => 3,
    };
    let loaded_any = report.domains.iter().any(|d| d.loaded_mv.is_some());
    let (offset, width) = if loaded_any { (0.2, 0.4) } else { (0.0, 0.7) };
    let mut series: Vec<Series> = groups
        .iter()
        .enumerate()
        .map(|(g, &(name, color))| Series {
            name: name.to_owned(),
            mark: Mark::Bars { width },
            color,
            points: report
                .domains
                .iter()
                .filter(|d| group(d.state) == g)
                .map(|d| (d.index as f64 - offset, f64::from(d.voltage_mv)))
                .collect(),
        })
        .filter(|s| !s.points.is_empty())
        .collect();
    if loaded_any {
        series.push(Series {
            name: "under load (worst)".into(),
            mark: Mark::Bars { width },
            color: LOADED,
            points: report
                .domains
                .iter()
                .filter_map(|d| Some((d.index as f64 + offset, f64::from(d.loaded_mv?))))
                .collect(),
        });
    }
    Chart {
        title: "Domain voltages against the band".into(),
        x_label: "domain".into(),
        y_label: "mV".into(),
        series,
        rules: band_rules(band_mv),
        x_include: Vec::new(),
        x_whole: true,
        y_from_zero: true,
        y_span_at_least: 0.0,
        y_whole: false,
        empty_note: "No domain was measured in this run.".into(),
    }
}

/// The profile's voltage band as two rules.
#[must_use]
pub fn band_rules((low, high): (u32, u32)) -> Vec<Rule> {
    vec![
        Rule {
            name: format!("band low {low} mV"),
            y: f64::from(low),
            color: RED,
        },
        Rule {
            name: format!("band high {high} mV"),
            y: f64::from(high),
            color: RED,
        },
    ]
}

/// Temperatures over time, one line per sensor: `samples` are (seconds, a reading per
/// sensor, `None` where a sensor did not answer); sensors beyond `names` are numbered.
#[must_use]
pub fn temperatures(names: &[String], samples: &[(f64, Vec<Option<f32>>)]) -> Chart {
    let sensors = samples
        .iter()
        .map(|(_, r)| r.len())
        .max()
        .unwrap_or(0)
        .max(names.len());
    let series = (0..sensors)
        .map(|n| Series {
            name: names
                .get(n)
                .cloned()
                .unwrap_or_else(|| format!("sensor {n}")),
            mark: Mark::Line,
            color: PALETTE[n % PALETTE.len()],
            points: samples
                .iter()
                .filter_map(|(t, r)| {
                    let c = (*r.get(n)?)?;
                    c.is_finite().then_some((*t, f64::from(c)))
                })
                .collect(),
        })
        .filter(|s| !s.points.is_empty())
        .collect();
    Chart {
        title: "Temperatures over the run".into(),
        x_label: "jig time, s".into(),
        y_label: "°C".into(),
        series,
        rules: Vec::new(),
        x_include: vec![0.0],
        x_whole: false,
        y_from_zero: false,
        y_span_at_least: 20.0,
        y_whole: false,
        empty_note: "No temperature readings in this run.".into(),
    }
}

/// Lines over time: one series per (name, points), coloured in order.
#[must_use]
pub fn lines(
    title: &str,
    x_label: &str,
    y_label: &str,
    series: Vec<(String, Vec<(f64, f64)>)>,
) -> Chart {
    Chart {
        title: title.to_owned(),
        x_label: x_label.to_owned(),
        y_label: y_label.to_owned(),
        series: series
            .into_iter()
            .enumerate()
            .map(|(n, (name, points))| Series {
                name,
                mark: Mark::Line,
                color: PALETTE[n % PALETTE.len()],
                points,
            })
            .collect(),
        rules: Vec::new(),
        x_include: Vec::new(),
        x_whole: false,
        y_from_zero: false,
        y_span_at_least: 0.0,
        y_whole: false,
        empty_note: "Nothing recorded yet.".into(),
    }
}

/// Tickets with a failure on `model`, counted per chain position or per domain (the shop's
/// statistics): `counts` are (model, position) → tickets; `positions` puts the whole chain
/// (0 to positions − 1) on the axis, so a cluster shows where it sits.
#[must_use]
pub fn failure_counts(
    title: &str,
    what: &str,
    counts: &[store::Count<(String, usize)>],
    model: &str,
    positions: usize,
) -> Chart {
    let points: Vec<(f64, f64)> = counts
        .iter()
        .filter(|c| c.key.0 == model)
        .map(|c| (c.key.1 as f64, c.count as f64))
        .collect();
    Chart {
        title: title.to_owned(),
        x_label: what.to_owned(),
        y_label: "tickets".into(),
        series: vec![Series {
            name: format!("{model}: tickets with a failure"),
            mark: Mark::Bars { width: 0.8 },
            color: PALETTE[0],
            points,
        }],
        rules: Vec::new(),
        x_include: if positions > 0 {
            vec![-0.5, positions as f64 - 0.5]
        } else {
            Vec::new()
        },
        x_whole: true,
        y_from_zero: true,
        y_span_at_least: 0.0,
        y_whole: true,
        empty_note: format!("No failures recorded on {model}."),
    }
}
