//! Laid-out pages to PDF bytes with krilla.

use krilla::color::rgb;
use krilla::geom::{PathBuilder, Point, Size};
use krilla::metadata::{DateTime, Metadata};
use krilla::num::NormalizedF32;
use krilla::page::PageSettings;
use krilla::paint::{Fill, Stroke, StrokeDash};
use krilla::surface::Surface;
use krilla::text::{Font, TextDirection};
use krilla::{Data, Document};

use crate::layout::{Fonts, Op, Page, Rgb};
use crate::{Input, ReportError};

fn color(c: Rgb) -> krilla::paint::Paint {
    rgb::Color::new(c.0, c.1, c.2).into()
}

fn fill(c: Rgb) -> Fill {
    Fill {
        paint: color(c),
        opacity: NormalizedF32::ONE,
        rule: Default::default(),
    }
}

/// The PDF creation date of a unix time (UTC).
fn date(t: i64) -> DateTime {
    let day = store::time::format_date(t);
    let mut parts = day.split('-').map(|p| p.parse::<u16>().unwrap_or(1));
    let (y, m, d) = (
        parts.next().unwrap_or(1970),
        parts.next().unwrap_or(1),
        parts.next().unwrap_or(1),
    );
    let secs = t.rem_euclid(86_400);
    DateTime::new(y)
        .month(u8::try_from(m).unwrap_or(1))
        .day(u8::try_from(d).unwrap_or(1))
        .hour(u8::try_from(secs / 3600).unwrap_or(0))
        .minute(u8::try_from((secs % 3600) / 60).unwrap_or(0))
        .second(u8::try_from(secs % 60).unwrap_or(0))
        .utc_offset_hour(0)
}

/// What a document says about itself, and its page size.
pub(crate) struct Meta {
    pub(crate) title: String,
    pub(crate) creator: String,
    pub(crate) made_at: i64,
    /// Width and height, pt.
    pub(crate) size: (f32, f32),
}

/// Write `pages` as a PDF.
pub fn write(input: &Input<'_>, fonts: &Fonts, pages: &[Page]) -> Result<Vec<u8>, ReportError> {
    let title = match input.ticket {
        Some(t) => format!("Hashboard diagnostic report, ticket #{}", t.id),
        None => format!("Hashboard diagnostic report, {}", input.profile.name),
    };
    let meta = Meta {
        title,
        creator: format!("Hashbench {}", input.run.report.provenance.app_version),
        made_at: input.generated_at,
        size: input.paper.size(),
    };
    write_document(&meta, fonts, pages, input.shop.logo_png.as_deref())
}

/// Write `pages` of one size as a PDF, with the shop's logo where a page asks for it.
pub(crate) fn write_document(
    meta: &Meta,
    fonts: &Fonts,
    pages: &[Page],
    logo_png: Option<&[u8]>,
) -> Result<Vec<u8>, ReportError> {
    let regular = Font::new(Data::from(fonts.regular), 0).ok_or(ReportError::Font)?;
    let bold = Font::new(Data::from(fonts.bold), 0).ok_or(ReportError::Font)?;
    let logo = match logo_png {
        Some(png) => Some(
            krilla::image::Image::from_png(Data::from(png.to_vec()), true)
                .map_err(ReportError::Logo)?,
        ),
        None => None,
    };
    let (width, height) = meta.size;
    let svg_options = svg_options(fonts);
    let mut document = Document::new();
    document.set_metadata(
        Metadata::new()
            .title(meta.title.clone())
            .creator(meta.creator.clone())
            .creation_date(date(meta.made_at)),
    );
    for page in pages {
        let settings = PageSettings::from_wh(width, height)
            .ok_or_else(|| ReportError::Pdf("bad page size".into()))?;
        let mut pdf_page = document.start_page_with(settings);
        let mut surface = pdf_page.surface();
        for op in &page.ops {
            if let Op::Chart { x, y, w, h, chart } = op {
                draw_chart(&mut surface, (*x, *y, *w, *h), chart, &svg_options)?;
            } else {
                draw(&mut surface, op, &regular, &bold, logo.as_ref());
            }
        }
        surface.finish();
        pdf_page.finish();
    }
    document
        .finish()
        .map_err(|e| ReportError::Pdf(format!("{e:?}")))
}

/// How a chart's SVG is read back: its text in the embedded DejaVu Sans, the same faces
/// plotters measured it with.
fn svg_options(fonts: &Fonts) -> usvg::Options<'static> {
    let mut db = usvg::fontdb::Database::new();
    db.load_font_data(fonts.regular.to_vec());
    db.load_font_data(fonts.bold.to_vec());
    db.set_sans_serif_family("DejaVu Sans");
    usvg::Options {
        font_family: "DejaVu Sans".into(),
        fontdb: std::sync::Arc::new(db),
        ..usvg::Options::default()
    }
}

/// Points are drawn at this many SVG pixels each: plotters places on whole pixels.
const CHART_SCALE: f32 = 2.0;

/// A chart drawn by plotters as SVG, placed as vector paths and real text in its box.
fn draw_chart(
    surface: &mut Surface<'_>,
    (x, y, w, h): (f32, f32, f32, f32),
    chart: &crate::chart::Chart,
    options: &usvg::Options<'_>,
) -> Result<(), ReportError> {
    let svg = chart.svg_scaled(
        (w * CHART_SCALE).round() as u32,
        (h * CHART_SCALE).round() as u32,
        f64::from(CHART_SCALE),
    )?;
    let fail = |reason: String| ReportError::ChartSvg {
        title: chart.title.clone(),
        reason,
    };
    let tree = usvg::Tree::from_str(&svg, options).map_err(|e| fail(e.to_string()))?;
    let size = Size::from_wh(w, h).ok_or_else(|| fail(format!("bad size {w} × {h}")))?;
    surface.push_transform(&krilla::geom::Transform::from_translate(x, y));
    let drawn =
        krilla_svg::SurfaceExt::draw_svg(surface, &tree, size, krilla_svg::SvgSettings::default());
    surface.pop();
    drawn.ok_or_else(|| fail("krilla-svg refused it".into()))
}

fn draw(
    surface: &mut Surface<'_>,
    op: &Op,
    regular: &Font,
    bold: &Font,
    logo: Option<&krilla::image::Image>,
) {
    match op {
        Op::Text {
            x,
            y,
            size,
            bold: is_bold,
            color: c,
            text,
        } => {
            surface.set_fill(Some(fill(*c)));
            surface.set_stroke(None);
            surface.draw_text(
                Point::from_xy(*x, *y),
                if *is_bold {
                    bold.clone()
                } else {
                    regular.clone()
                },
                *size,
                text,
                false,
                TextDirection::Auto,
            );
        }
        Op::Rect {
            x,
            y,
            w,
            h,
            fill: f,
            stroke,
        } => {
            let mut pb = PathBuilder::new();
            if let Some(rect) = krilla::geom::Rect::from_xywh(*x, *y, w.max(0.01), h.max(0.01)) {
                pb.push_rect(rect);
            }
            let Some(path) = pb.finish() else { return };
            surface.set_fill(f.map(fill));
            surface.set_stroke(stroke.map(|(c, width)| Stroke {
                paint: color(c),
                width,
                ..Stroke::default()
            }));
            surface.draw_path(&path);
        }
        Op::Line {
            points,
            color: c,
            width,
            dashed,
        } => {
            let mut pb = PathBuilder::new();
            let mut it = points.iter();
            let Some(&(x0, y0)) = it.next() else { return };
            pb.move_to(x0, y0);
            for &(x, y) in it {
                pb.line_to(x, y);
            }
            let Some(path) = pb.finish() else { return };
            surface.set_fill(None);
            surface.set_stroke(Some(Stroke {
                paint: color(*c),
                width: *width,
                dash: dashed.then(|| StrokeDash {
                    array: vec![3.0, 2.0],
                    offset: 0.0,
                }),
                ..Stroke::default()
            }));
            surface.draw_path(&path);
        }
        Op::Chart { .. } => {}
        Op::Logo { x, y, side } => {
            let Some(image) = logo else { return };
            let (iw, ih) = image.size();
            let scale = side / (iw.max(ih).max(1) as f32);
            let size = Size::from_wh(iw as f32 * scale, ih as f32 * scale);
            if let Some(size) = size {
                surface.push_transform(&krilla::geom::Transform::from_translate(*x, *y));
                surface.draw_image(image.clone(), size);
                surface.pop();
            }
        }
    }
}
