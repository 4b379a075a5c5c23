//! The window's plots. Each is described once as a [`report::chart::Chart`] (the description
//! the PDF draws with plotters), shown here with egui_plot, and carries an "Export chart…"
//! button that saves that same description as PNG or SVG through plotters.

use std::path::{Path, PathBuf};
use std::sync::mpsc::Receiver;

use eframe::egui;
use egui_plot::{Bar, BarChart, HLine, Legend, Line, Plot, PlotPoints};
use report::chart::{Chart, Mark, Rgb};

/// A PNG export's size in pixels (three times the SVG's, for print).
pub const PNG_SIZE: (u32, u32) = (1800, 1050);
/// An SVG export's size in pixels.
pub const SVG_SIZE: (u32, u32) = (600, 350);

fn color(c: Rgb) -> egui::Color32 {
    egui::Color32::from_rgb(c.0, c.1, c.2)
}

/// Show `chart` as an egui plot `height` high under the id `id`, with its export button and
/// title underneath; true when the button was pressed.
pub(crate) fn show(ui: &mut egui::Ui, id: &'static str, height: f32, chart: &Chart) -> bool {
    let mut plot = Plot::new(id)
        .height(height)
        .legend(Legend::default())
        .x_axis_label(chart.x_label.as_str())
        .y_axis_label(chart.y_label.as_str());
    for &x in &chart.x_include {
        plot = plot.include_x(x);
    }
    if chart.y_from_zero {
        plot = plot.include_y(0.0);
    }
    plot.show(ui, |plot| {
        for s in &chart.series {
            match s.mark {
                Mark::Line => {
                    let points: PlotPoints<'static> =
                        s.points.iter().map(|&(x, y)| [x, y]).collect();
                    plot.line(Line::new(s.name.clone(), points).color(color(s.color)));
                }
                Mark::Bars { width } => {
                    // Each bar says what it is on hover: "domain 3 preflight: in band: 312 mV".
                    let bars = s
                        .points
                        .iter()
                        .map(|&(x, y)| {
                            Bar::new(x, y).width(width).name(format!(
                                "{} {:.0} {}: {y:.0} {}",
                                chart.x_label,
                                x.round(),
                                s.name,
                                chart.y_label
                            ))
                        })
                        .collect();
                    plot.bar_chart(BarChart::new(s.name.clone(), bars).color(color(s.color)));
                }
            }
        }
        for r in &chart.rules {
            plot.hline(HLine::new(r.name.clone(), r.y).color(color(r.color)));
        }
    });
    // The title and the export on one line under the plot (the plots share a short panel).
    ui.horizontal(|ui| {
        let export = ui
            .small_button("Export chart…")
            .on_hover_text(format!("Save \"{}\" as PNG or SVG", chart.title))
            .clicked();
        ui.add(egui::Label::new(egui::RichText::new(chart.title.as_str()).strong()).truncate());
        export
    })
    .inner
}

/// A save dialog for a chart, on its own thread; the chosen path arrives on the receiver.
pub(crate) fn export_dialog(chart: &Chart) -> Result<Receiver<Option<PathBuf>>, String> {
    let (tx, rx) = std::sync::mpsc::channel();
    let name = format!("{}.png", file_stem(&chart.title));
    std::thread::Builder::new()
        .name("chart-dialog".into())
        .spawn(move || {
            let chosen = rfd::FileDialog::new()
                .set_title("Export chart")
                .add_filter("PNG image", &["png"])
                .add_filter("SVG drawing", &["svg"])
                .set_file_name(name)
                .save_file();
            let _ = tx.send(chosen);
        })
        .map(|_| rx)
        .map_err(|e| format!("Could not open the save dialog: {e}"))
}

/// A file name from a chart title: "Domain voltages against the band" →
/// "domain-voltages-against-the-band".
fn file_stem(title: &str) -> String {
    let words: Vec<String> = title
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect();
    if words.is_empty() {
        "chart".into()
    } else {
        words.join("-")
    }
}

/// Write `chart` to `path`: SVG when it ends in `.svg`, PNG when it ends in `.png` or has no
/// extension (`.png` is added). The file appears whole or not at all.
pub fn write(path: &Path, chart: &Chart) -> Result<String, String> {
    let ext = path.extension().map(|e| e.to_string_lossy().to_lowercase());
    let (path, bytes) = match ext.as_deref() {
        Some("svg") => (
            path.to_owned(),
            chart.svg(SVG_SIZE.0, SVG_SIZE.1).map(String::into_bytes),
        ),
        Some("png") => (path.to_owned(), chart.png(PNG_SIZE.0, PNG_SIZE.1)),
        None => (
            path.with_extension("png"),
            chart.png(PNG_SIZE.0, PNG_SIZE.1),
        ),
        Some(other) => {
            return Err(format!(
                "Cannot export a chart as .{other} ({}): choose a name ending in .png or .svg",
                path.display()
            ));
        }
    };
    let bytes = bytes.map_err(|e| e.to_string())?;
    crate::records::write_whole(&path, &bytes)?;
    Ok(format!(
        "Chart \"{}\" saved to {}",
        chart.title,
        path.display()
    ))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn chart() -> Chart {
        report::chart::lines(
            "Nonce return rate",
            "s",
            "golden/s",
            vec![("nonce return rate".into(), vec![(0.0, 10.0), (1.0, 12.0)])],
        )
    }

    #[test]
    fn the_file_name_follows_the_title() {
        assert_eq!(
            file_stem("Domain voltages against the band"),
            "domain-voltages-against-the-band"
        );
        assert_eq!(file_stem("Temperatures (°C)"), "temperatures-c");
        assert_eq!(file_stem("…"), "chart");
    }

    #[test]
    fn the_extension_picks_the_format_and_anything_else_is_refused_by_name() {
        let dir = tempfile::tempdir().unwrap();
        write(&dir.path().join("rate.svg"), &chart()).unwrap();
        let svg = std::fs::read_to_string(dir.path().join("rate.svg")).unwrap();
        assert!(svg.starts_with("<svg") && svg.contains("nonce return rate"));
        write(&dir.path().join("rate"), &chart()).unwrap();
        let png = std::fs::read(dir.path().join("rate.png")).unwrap();
        assert!(png.starts_with(b"\x89PNG"));
        let refused = write(&dir.path().join("rate.jpg"), &chart()).unwrap_err();
        assert!(
            refused.contains(".jpg") && refused.contains(".png or .svg"),
            "{refused}"
        );
        assert!(!dir.path().join("rate.jpg").exists());
    }
}
