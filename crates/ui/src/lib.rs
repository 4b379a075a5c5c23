//! The workbench GUI: what a technician sees all day on the bench PC.
//!
//! Owns: the egui application ([`Workbench`]): connection bar, run control, board map,
//! findings, plots and log. Panels read state and emit [`Command`]s; one `handle` mutates. The
//! engine runs on a named worker thread and reports through a channel drained in `App::logic`,
//! so no call on the UI thread blocks.
//!
//! The records views (tickets, board history, statistics, CSV export) read and write through
//! `store`; every finished run is saved against the current ticket.
//!
//! Does not: run the diagnosis itself, talk to a jig or define how results are stored; it asks
//! `diagnosis`, `sim` and `link` to, off the UI thread, and `store` to keep the records.

mod app;
pub mod bench;
pub mod charts;
mod firmware;
mod map;
mod pic;
mod records;
pub mod support;
mod system;
mod worker;

pub use app::{Places, Settings, Source, Workbench};
pub use firmware::FirmwarePanel;
pub use records::{RecordCommand, Records, Repaint, Tab};
pub use worker::Command;

/// Open the workbench window (glow renderer) and run until it is closed; with `run_now`, start a
/// diagnosis as soon as it shows. Runs are saved to the repair database `places` and the
/// settings name ([`Workbench::with_places`]).
pub fn run(
    settings_override: Option<Settings>,
    run_now: bool,
    places: Places,
    shop: report::Shop,
) -> eframe::Result {
    let options = eframe::NativeOptions {
        renderer: eframe::Renderer::Glow,
        viewport: eframe::egui::ViewportBuilder::default()
            .with_inner_size([1280.0, 800.0])
            .with_title("Hashbench"),
        ..Default::default()
    };
    eframe::run_native(
        "Hashbench",
        options,
        Box::new(move |cc| {
            let app = Workbench::new(cc, settings_override)
                .with_places(places)
                .with_shop(shop);
            Ok(Box::new(if run_now { app.run_at_start() } else { app }))
        }),
    )
}
