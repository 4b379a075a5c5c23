//! Frame-time benchmark: the real workbench UI, headless, with a 126-chip map and an hour of
//! telemetry at 10 Hz over 42 domains.

use std::time::{Duration, Instant};

use diagnosis::Report;
use eframe::App;
use eframe::egui::{self, RawInput, Rect, Vec2};

use crate::app::{Settings, Source, Workbench};

/// CPU time of each of `frames` frames (layout, painting, tessellation) of the workbench showing
/// `report` for `model` and one hour of 10 Hz telemetry.
#[must_use]
pub fn frame_times(model: &str, report: Report, frames: usize) -> Vec<Duration> {
    let ctx = egui::Context::default();
    let cc = eframe::CreationContext::_new_kittest(ctx.clone());
    let mut frame = eframe::Frame::_new_kittest();
    let settings = Settings {
        model: model.to_owned(),
        source: Source::Simulated,
        ..Settings::default()
    };
    let mut app = Workbench::new(&cc, Some(settings));
    let domains = app.profile().map_or(42, |p| p.domains.value);
    let nominal = app.profile().map_or(320, |p| p.voltage.nominal_mv.value);
    let telemetry: Vec<(f64, Vec<u32>)> = (0..36_000)
        .map(|i| {
            let t = f64::from(i) / 10.0;
            (
                t,
                (0..domains)
                    .map(|d| nominal + ((i as usize + d * 7) % 11) as u32)
                    .collect(),
            )
        })
        .collect();
    app.show_results(report, telemetry);
    let mut times = Vec::with_capacity(frames);
    for i in 0..frames {
        let input = RawInput {
            screen_rect: Some(Rect::from_min_size(
                egui::Pos2::ZERO,
                Vec2::new(1280.0, 800.0),
            )),
            time: Some(i as f64 / 60.0),
            ..RawInput::default()
        };
        let start = Instant::now();
        app.logic(&ctx, &mut frame);
        let mut output = ctx.run_ui(input, |ui| app.ui(ui, &mut frame));
        let _ = ctx.tessellate(output.shapes, output.pixels_per_point);
        // No renderer here to upload font textures to: drop them knowingly.
        output.textures_delta.clear();
        times.push(start.elapsed());
    }
    times
}

/// The `p`-th percentile (0..=100) of `times`.
#[must_use]
pub fn percentile(times: &[Duration], p: f64) -> Duration {
    let mut sorted = times.to_vec();
    sorted.sort_unstable();
    let rank = ((p / 100.0) * (sorted.len().saturating_sub(1)) as f64).round() as usize;
    sorted.get(rank).copied().unwrap_or_default()
}
