//! The jig-firmware window: which firmware the app bundles and the jig runs, and updating it
//! through a debug probe or the BOOTSEL drive. Probe listing and flashing run on named threads;
//! the listing gives up after a few seconds (it can hang on a machine without a USB bus).

use std::path::PathBuf;
use std::sync::mpsc::{Receiver, channel};
use std::time::Duration;

use eframe::egui::{self, Color32, RichText};
use flash::{Drive, FirmwareImage, ProbeInfo};

/// How long to wait for the list of debug probes.
const PROBE_LIST_TIMEOUT: Duration = Duration::from_secs(5);

/// What the flashing thread reports.
#[derive(Debug)]
enum Flashing {
    Progress(String, f32),
    Done(Result<String, String>),
}

/// The firmware window's state.
#[derive(Debug)]
pub struct FirmwarePanel {
    /// The window is open.
    pub open: bool,
    image: Result<FirmwareImage, String>,
    source: String,
    probes: Option<Result<Vec<ProbeInfo>, String>>,
    probe_rx: Option<Receiver<Result<Vec<ProbeInfo>, String>>>,
    chosen: Option<usize>,
    drives: Vec<Drive>,
    file_rx: Option<Receiver<Option<PathBuf>>>,
    job: Option<Receiver<Flashing>>,
    progress: Option<(String, f32)>,
    /// What the last update did.
    pub outcome: Option<Result<String, String>>,
}

impl Default for FirmwarePanel {
    fn default() -> Self {
        Self {
            open: false,
            image: flash::bundled().map_err(|e| e.to_string()),
            source: "built into Hashbench".into(),
            probes: None,
            probe_rx: None,
            chosen: None,
            drives: Vec::new(),
            file_rx: None,
            job: None,
            progress: None,
            outcome: None,
        }
    }
}

impl FirmwarePanel {
    /// Name, version and protocol of the image the panel would flash (at start: the bundled
    /// one), for the status line.
    #[must_use]
    pub fn image_identity(&self) -> Option<(String, u16)> {
        self.image
            .as_ref()
            .ok()
            .map(|i| (i.firmware.clone(), i.protocol))
    }

    /// Open the window and look for probes and drives.
    pub fn show_window(&mut self) {
        self.open = true;
        self.drives = flash::find_drives();
        if self.probe_rx.is_none() && self.probes.is_none() {
            self.find_probes();
        }
    }

    /// Whether the probe search is still running.
    #[must_use]
    pub fn is_searching(&self) -> bool {
        self.probe_rx.is_some()
    }

    /// Whether a flash is running (the jig must not be used meanwhile).
    #[must_use]
    pub fn is_flashing(&self) -> bool {
        self.job.is_some()
    }

    fn find_probes(&mut self) {
        let (tx, rx) = channel();
        let spawned = std::thread::Builder::new()
            .name("probe-finder".into())
            .spawn(move || {
                let _ = tx.send(flash::list_probes(PROBE_LIST_TIMEOUT).map_err(|e| e.to_string()));
            });
        match spawned {
            Ok(_) => {
                self.probes = None;
                self.probe_rx = Some(rx);
            }
            Err(e) => self.probes = Some(Err(format!("could not start the probe search: {e}"))),
        }
    }

    fn pick_file(&mut self) {
        let (tx, rx) = channel();
        let spawned = std::thread::Builder::new()
            .name("firmware-dialog".into())
            .spawn(move || {
                let chosen = rfd::FileDialog::new()
                    .set_title("Jig firmware (ELF)")
                    .pick_file();
                let _ = tx.send(chosen);
            });
        if spawned.is_ok() {
            self.file_rx = Some(rx);
        }
    }

    /// Use the firmware in `path` instead of the bundled one.
    pub fn use_file(&mut self, path: &std::path::Path) {
        let what = path.display().to_string();
        self.image = std::fs::read(path)
            .map_err(|e| format!("cannot read {what}: {e}"))
            .and_then(|bytes| FirmwareImage::from_elf(&bytes, &what).map_err(|e| e.to_string()));
        self.source = what;
    }

    fn start(&mut self, probe: Option<Option<String>>) {
        let Ok(image) = self.image.clone() else {
            return;
        };
        let (tx, rx) = channel();
        let drives = self.drives.clone();
        let spawned = std::thread::Builder::new()
            .name("flash".into())
            .spawn(move || {
                let outcome = match probe {
                    Some(serial) => {
                        let mut report = |p: flash::Progress| {
                            let _ = tx.send(Flashing::Progress(p.stage.to_owned(), p.fraction));
                        };
                        flash::flash_with_probe(
                            serial.as_deref(),
                            &image,
                            PROBE_LIST_TIMEOUT,
                            &mut report,
                        )
                        .map(|()| {
                            format!(
                                "Flashed, verified and reset: the jig runs {}.",
                                image.firmware
                            )
                        })
                    }
                    None => {
                        let _ = tx.send(Flashing::Progress("copying".into(), 0.0));
                        let mount = drives.first().map(|d| d.mount.clone());
                        flash::copy_uf2(&flash::uf2::from_image(&image), mount.as_deref()).map(
                            |p| {
                                format!(
                                    "Copied to {}; the jig restarts into {} by itself.",
                                    p.display(),
                                    image.firmware
                                )
                            },
                        )
                    }
                };
                let _ = tx.send(Flashing::Done(outcome.map_err(|e| e.to_string())));
            });
        match spawned {
            Ok(_) => {
                self.job = Some(rx);
                self.outcome = None;
                self.progress = Some(("starting".into(), 0.0));
            }
            Err(e) => self.outcome = Some(Err(format!("could not start flashing: {e}"))),
        }
    }

    /// Take what the threads reported; called every frame.
    pub fn tick(&mut self) {
        if let Some(rx) = &self.probe_rx
            && let Ok(found) = rx.try_recv()
        {
            self.chosen = found.as_ref().ok().filter(|p| p.len() == 1).map(|_| 0);
            self.probes = Some(found);
            self.probe_rx = None;
        }
        if let Some(rx) = &self.file_rx
            && let Ok(chosen) = rx.try_recv()
        {
            self.file_rx = None;
            if let Some(path) = chosen {
                self.use_file(&path);
            }
        }
        if let Some(rx) = &self.job {
            let events: Vec<Flashing> = rx.try_iter().collect();
            for event in events {
                match event {
                    Flashing::Progress(stage, f) => self.progress = Some((stage, f)),
                    Flashing::Done(outcome) => {
                        self.outcome = Some(outcome);
                        self.job = None;
                        self.progress = None;
                    }
                }
            }
        }
    }

    /// Draw the window (when open). `busy`: the jig is in use by a diagnosis.
    pub fn window(
        &mut self,
        ctx: &egui::Context,
        jig: Option<&diagnosis::jig::JigInfo>,
        busy: bool,
    ) {
        if !self.open {
            return;
        }
        let mut open = self.open;
        egui::Window::new("Jig firmware")
            .open(&mut open)
            .default_width(520.0)
            .show(ctx, |ui| self.contents(ui, jig, busy));
        self.open = open;
    }

    fn contents(&mut self, ui: &mut egui::Ui, jig: Option<&diagnosis::jig::JigInfo>, busy: bool) {
        match &self.image {
            Ok(image) => {
                ui.label(format!(
                    "To flash: {} (protocol {}), {} bytes, {}",
                    image.firmware,
                    image.protocol,
                    image.size(),
                    self.source
                ));
                if let Some(info) = jig {
                    let same = info.protocol == image.protocol;
                    ui.label(format!(
                        "The jig runs {} (protocol {}){}",
                        info.firmware,
                        info.protocol,
                        if same { "" } else { ": update needed" }
                    ));
                }
            }
            Err(e) => {
                ui.colored_label(Color32::from_rgb(230, 80, 60), e);
            }
        }
        if ui.button("Use another firmware file…").clicked() {
            self.pick_file();
        }
        ui.separator();
        ui.strong("Through a debug probe (SWD)");
        match &self.probes {
            None => {
                ui.horizontal(|ui| {
                    ui.spinner();
                    ui.label("Looking for debug probes…");
                });
            }
            Some(Err(e)) => {
                ui.colored_label(Color32::from_rgb(230, 80, 60), e);
            }
            Some(Ok(probes)) if probes.is_empty() => {
                ui.label("No debug probe connected (CMSIS-DAP / Debug Probe / Picoprobe, ST-Link, J-Link).");
            }
            Some(Ok(probes)) => {
                for (i, p) in probes.iter().enumerate() {
                    ui.radio_value(&mut self.chosen, Some(i), p.to_string());
                }
            }
        }
        let serial = match (&self.probes, self.chosen) {
            (Some(Ok(probes)), Some(i)) => probes.get(i).map(|p| p.serial.clone()),
            _ => None,
        };
        let idle = self.job.is_none() && !busy && self.image.is_ok();
        ui.horizontal(|ui| {
            if ui
                .add_enabled(
                    idle && serial.is_some(),
                    egui::Button::new("Flash with probe"),
                )
                .clicked()
            {
                self.start(Some(serial.clone().flatten()));
            }
            if ui
                .add_enabled(self.probe_rx.is_none(), egui::Button::new("Search again"))
                .clicked()
            {
                self.find_probes();
            }
        });
        ui.separator();
        ui.strong("Without a probe: UF2 to the BOOTSEL drive");
        if self.drives.is_empty() {
            ui.label(flash::ENTER_BOOTSEL);
        } else {
            for d in &self.drives {
                ui.label(format!(
                    "BOOTSEL drive: {} ({})",
                    d.mount.display(),
                    d.board_id
                ));
            }
        }
        ui.horizontal(|ui| {
            if ui
                .add_enabled(
                    idle && self.drives.len() == 1,
                    egui::Button::new("Copy to BOOTSEL drive"),
                )
                .clicked()
            {
                self.start(None);
            }
            if ui.button("Look for the drive again").clicked() {
                self.drives = flash::find_drives();
            }
        });
        if busy {
            ui.label("A diagnosis is using the jig: wait for it to finish.");
        }
        if let Some((stage, f)) = &self.progress {
            ui.add(egui::ProgressBar::new(*f).text(format!("{stage} {:.0} %", f * 100.0)));
        }
        match &self.outcome {
            Some(Ok(done)) => {
                ui.label(RichText::new(done).strong());
            }
            Some(Err(e)) => {
                ui.colored_label(Color32::from_rgb(230, 80, 60), e);
            }
            None => {}
        }
    }
}
