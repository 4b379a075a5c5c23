//! The workbench application: state, commands, and the panels that draw it.

use std::time::Instant;

use boards::{Catalog, Profile};
use diagnosis::Step;
use diagnosis::report::{ChipState, Report, Scale, Verdict};
use eframe::egui::{self, Color32, Key, RichText};

use crate::map;
use crate::records::Tab;
use crate::worker::{self, Command, Event, Job, Running, Target};

mod panels;
mod plots;
mod run;
mod settings;

use run::{map_scale, step_seconds};
pub use settings::{Places, Settings, Source};

/// The run options' explanations.
const LADDER_HELP: &str = "After the pattern test, test again at 85 % and 110 % of the board's clock: each chip's clock margin (map: Colour by clock margin)";
const SOAK_HELP: &str = "After the pattern test, hash until a sensor reads 60 °C (or the minutes pass), then test again: chips that fail only warm are named";
const AGING_HELP: &str = "At the end, keep every chip hashing known-nonce work for the minutes given and plot each chip's error rate: a chip that passed and errs far more than the board is named";

const SETTINGS_KEY: &str = "hashbench-settings";

/// Telemetry kept for the plots: (jig seconds, domain mV).
type Sample = (f64, Vec<u32>);

/// The application.
pub struct Workbench {
    settings: Settings,
    /// Where the records can be.
    places: Places,
    catalog: Catalog,
    ports: Vec<link::ports::Port>,
    running: Option<Running>,
    report: Option<Report>,
    states: Vec<ChipState>,
    step: Option<(Step, f32, String)>,
    telemetry: Vec<Sample>,
    log: Vec<String>,
    selected: Option<usize>,
    selected_finding: Option<usize>,
    error: Option<String>,
    started: Option<Instant>,
    autorun: bool,
    ctx: egui::Context,
    /// Input voltage and current of the last sample, mV and mA.
    input: Option<(u32, u32)>,
    /// The chip-number field (Ctrl+F).
    find: String,
    /// Hold the board powered after the next run.
    hold_power: bool,
    /// The job the worker is doing.
    job: Job,
    /// A diagnosis is in progress (the worker may stay on afterwards, holding power).
    busy: bool,
    /// Since when the board is held powered.
    holding: Option<Instant>,
    /// The power-on confirmation is open.
    confirm_power: bool,
    /// Only log lines containing this are shown.
    log_filter: String,
    /// Who the jig said it is.
    jig_info: Option<diagnosis::jig::JigInfo>,
    /// Sensor readings over jig time.
    temperatures: Vec<(f64, Vec<Option<f32>>)>,
    /// Golden nonces returned so far, over jig time.
    golden: Vec<(f64, u32)>,
    last_golden: u32,
    /// When the ports were last listed, and whether the chosen jig port was there.
    last_scan: Option<Instant>,
    port_present: bool,
    /// Tickets, history, statistics: the repair database.
    records: crate::records::Records,
    /// When the running job started (unix seconds), for its record.
    run_started_at: i64,
    /// The jig-firmware window.
    firmware: crate::firmware::FirmwarePanel,
    /// The board's PIC, beside the map.
    pic: crate::pic::PicPanel,
    /// The firmware this app bundles: name and version, protocol.
    bundled: Option<(String, u16)>,
    /// The jig refused the handshake because it speaks another protocol.
    protocol_refused: bool,
    /// The last run's chain traffic as a capture (JSON lines), for "Save capture…" and
    /// "Attach capture".
    capture: Option<String>,
    /// The save dialog for the capture, while it is open.
    capture_dialog: Option<std::sync::mpsc::Receiver<Option<std::path::PathBuf>>>,
    /// A save dialog for the support bundle, and whether it takes the open ticket along.
    bundle_dialog: Option<std::sync::mpsc::Receiver<Option<std::path::PathBuf>>>,
    /// The export dialog open for a chart, and the chart.
    chart_dialog: Option<(
        std::sync::mpsc::Receiver<Option<std::path::PathBuf>>,
        Box<report::chart::Chart>,
    )>,
    bundle_ticket: bool,
    /// The guided halving for a return line held low, once started.
    halving: Option<diagnosis::halving::Halving>,
    /// The map's colour mode: chip states (`None`) or a measurement of the last run.
    map_scale: Option<Scale>,
    /// Aging windows as they close: (jig seconds from the aging start at the window's end,
    /// the board's median chip error %, the worst chip and its error %).
    aging: Vec<AgingPoint>,
}

/// An aging window on the plot: (jig seconds from the aging start at its end, the board's
/// median chip error %, the worst chip and its error %).
type AgingPoint = (f64, f64, Option<(usize, f64)>);

fn aging_point(w: &diagnosis::report::AgingWindow) -> AgingPoint {
    (
        w.start_s + w.seconds,
        w.median_rate() * 100.0,
        w.worst().map(|(i, r)| (i, r * 100.0)),
    )
}

impl std::fmt::Debug for Workbench {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Workbench")
            .field("settings", &self.settings)
            .field("running", &self.running.is_some())
            .finish()
    }
}

impl Workbench {
    /// The app, with settings from storage unless `settings` overrides them (`--demo`). With no
    /// jig plugged in it starts on the simulated jig.
    pub fn new(cc: &eframe::CreationContext<'_>, settings: Option<Settings>) -> Self {
        let mut loaded: Settings = cc
            .storage
            .and_then(|s| eframe::get_value(s, SETTINGS_KEY))
            .unwrap_or_default();
        let ports = link::ports::list().unwrap_or_default();
        let jig = ports
            .iter()
            .find(|p| p.kind == link::ports::PortKind::Jig)
            .map(|p| p.path.clone());
        if let Source::Port(path) = &loaded.source
            && jig.as_deref() != Some(path.as_str())
        {
            loaded.source = jig.map_or(Source::Simulated, Source::Port);
        }
        let settings = settings.unwrap_or(loaded);
        cc.egui_ctx.set_visuals(if settings.dark {
            egui::Visuals::dark()
        } else {
            egui::Visuals::light()
        });
        // Bench-friendly sizes: readable from a stool a metre away.
        cc.egui_ctx.set_zoom_factor(1.25);
        let catalog = Catalog::builtin().unwrap_or_else(|_| Catalog::empty());
        let mut app = Self {
            settings,
            places: Places::default(),
            catalog,
            ports,
            running: None,
            report: None,
            states: Vec::new(),
            step: None,
            telemetry: Vec::new(),
            log: Vec::new(),
            selected: None,
            selected_finding: None,
            error: None,
            started: None,
            autorun: false,
            ctx: cc.egui_ctx.clone(),
            input: None,
            find: String::new(),
            hold_power: false,
            job: Job::default(),
            busy: false,
            holding: None,
            confirm_power: false,
            log_filter: String::new(),
            jig_info: None,
            temperatures: Vec::new(),
            golden: Vec::new(),
            last_golden: 0,
            last_scan: None,
            port_present: true,
            records: crate::records::Records::open(None),
            run_started_at: 0,
            firmware: crate::firmware::FirmwarePanel::default(),
            pic: crate::pic::PicPanel::default(),
            bundled: None,
            protocol_refused: false,
            map_scale: None,
            halving: None,
            aging: Vec::new(),
            capture: None,
            capture_dialog: None,
            bundle_dialog: None,
            chart_dialog: None,
            bundle_ticket: false,
        };
        // The bundled image is read once, by the firmware panel.
        app.bundled = app.firmware.image_identity();
        app.reset_states();
        app
    }

    /// Save runs to, and show tickets from, the repair database at `db` (`None`: runs are not
    /// saved, and the window says so).
    ///
    /// Records on the shop server keep runs it cannot take in the bench's `outbox` file, and
    /// show other benches' changes as they are made.
    #[must_use]
    pub fn with_records(
        mut self,
        db: Option<&std::path::Path>,
        outbox: Option<&std::path::Path>,
    ) -> Self {
        self.open_records(db, outbox);
        self
    }

    fn open_records(&mut self, db: Option<&std::path::Path>, outbox: Option<&std::path::Path>) {
        let on_server = db
            .and_then(std::path::Path::to_str)
            .is_some_and(store::is_server_address);
        let mut records = crate::records::Records::open(db);
        if let Some(outbox) = outbox.filter(|_| on_server) {
            records = records.with_outbox(outbox);
        }
        // The shop header and paper stay what they were.
        records.set_shop(self.records.shop().clone());
        records.paper = self.records.paper;
        self.records = records;
        self.records
            .set_required_passes(self.settings.verify_passes);
        let ctx = self.ctx.clone();
        self.records
            .watch(std::sync::Arc::new(move || ctx.request_repaint()));
    }

    /// Open the records where `places` and the settings say: `--db`, else the shop server
    /// the settings name, else the bench's own file.
    #[must_use]
    pub fn with_places(mut self, places: Places) -> Self {
        self.places = places;
        let db = self.records_place();
        let outbox = self.places.outbox.clone();
        self.open_records(db.as_deref(), outbox.as_deref());
        self
    }

    fn records_place(&self) -> Option<std::path::PathBuf> {
        self.places.db.clone().or_else(|| {
            let server = self.settings.shop_server.trim();
            if server.is_empty() {
                self.places.bench_file.clone()
            } else {
                Some(std::path::PathBuf::from(server))
            }
        })
    }

    /// Move the records to the shop server at `address` (`None`: the bench's own file), and
    /// remember it.
    fn use_database(&mut self, address: Option<String>) {
        self.settings.shop_server = address.unwrap_or_default();
        self.places.db = None;
        let db = self.records_place();
        let outbox = self.places.outbox.clone();
        self.open_records(db.as_deref(), outbox.as_deref());
    }

    /// Change the simulated board's faults (as typed in the Faults field): the simulator's way
    /// of "repairing" a board between runs.
    pub fn set_faults(&mut self, faults: &str) {
        faults.clone_into(&mut self.settings.faults);
    }

    /// Put `shop`'s header on the reports this window makes.
    #[must_use]
    pub fn with_shop(mut self, shop: report::Shop) -> Self {
        self.records.set_shop(shop);
        self
    }

    /// Whether the jig needs the firmware this app bundles (it speaks another protocol).
    #[must_use]
    pub fn update_needed(&self) -> bool {
        update_needed(
            self.jig_info.as_ref().map(|i| i.protocol),
            self.protocol_refused,
            self.bundled.as_ref().map(|b| b.1),
        )
    }

    /// The jig-firmware window.
    #[must_use]
    pub fn firmware(&self) -> &crate::firmware::FirmwarePanel {
        &self.firmware
    }

    /// The repair records.
    #[must_use]
    pub fn records(&self) -> &crate::records::Records {
        &self.records
    }

    /// The board profiles the window knows.
    #[must_use]
    pub fn catalog(&self) -> &Catalog {
        &self.catalog
    }

    /// Start a diagnosis as soon as the window shows.
    #[must_use]
    pub fn run_at_start(mut self) -> Self {
        self.autorun = true;
        self
    }

    /// The current board profile.
    #[must_use]
    pub fn profile(&self) -> Option<&Profile> {
        self.catalog.get(&self.settings.model)
    }

    /// Whether a diagnosis is running.
    #[must_use]
    pub fn is_running(&self) -> bool {
        self.busy
    }

    /// Whether the board is held powered for probing.
    #[must_use]
    pub fn is_holding(&self) -> bool {
        self.holding.is_some()
    }

    /// The log lines (progress and decoded chain frames).
    #[must_use]
    pub fn log(&self) -> &[String] {
        &self.log
    }

    /// Whether the power-on confirmation is open.
    #[must_use]
    pub fn is_confirming_power(&self) -> bool {
        self.confirm_power
    }

    /// The last check of the board's PIC.
    #[must_use]
    pub fn pic_status(&self) -> Option<&diagnosis::pic::PicStatus> {
        self.pic.status(&self.settings.model)
    }

    /// Whether the worker is gone (no run, no held board).
    #[must_use]
    pub fn is_idle(&self) -> bool {
        self.running.is_none()
    }

    /// The last report.
    #[must_use]
    pub fn report(&self) -> Option<&Report> {
        self.report.as_ref()
    }

    /// Show `report` and `telemetry` (jig seconds, domain mV) as if a run had produced them: for
    /// benchmarks and screenshots.
    pub fn show_results(&mut self, report: Report, telemetry: Vec<(f64, Vec<u32>)>) {
        self.states = report.chips.iter().map(|c| c.state).collect();
        self.report = Some(report);
        self.telemetry = telemetry;
    }

    /// The state shown for chip `index`.
    #[must_use]
    pub fn chip_state(&self, index: usize) -> Option<ChipState> {
        self.states.get(index).copied()
    }

    /// The selected chip.
    #[must_use]
    pub fn selected(&self) -> Option<usize> {
        self.selected
    }

    /// The error shown to the user, if any.
    #[must_use]
    pub fn error(&self) -> Option<&str> {
        self.error.as_deref()
    }

    fn reset_states(&mut self) {
        let n = self.profile().map_or(0, |p| p.chips.value);
        self.states = vec![ChipState::Untested; n];
    }

    /// The capture of `report`'s traffic, or `None` when the run sent nothing.
    fn capture_of(&self, report: &Report) -> Option<String> {
        if report.capture.is_empty() {
            return None;
        }
        let profile = self.catalog.get(&self.settings.model)?;
        let header = diagnosis::capture::CaptureHeader {
            capture: diagnosis::capture::FORMAT,
            family: profile.family.value.name().to_owned(),
            profile: profile.id.clone(),
            app_version: env!("CARGO_PKG_VERSION").to_owned(),
        };
        Some(diagnosis::capture::to_json_lines(&header, &report.capture))
    }

    /// What a support bundle of this window holds now (see [`crate::support`]).
    #[must_use]
    pub fn support_bundle(&self) -> crate::support::Bundle {
        let mut versions = crate::support::base_versions();
        if let Some(info) = &self.jig_info {
            versions.push(("jig firmware".into(), info.firmware.clone()));
            versions.push(("jig protocol".into(), info.protocol.to_string()));
            versions.push(("jig simulated".into(), info.simulated.to_string()));
        }
        versions.push(("board profile".into(), self.settings.model.clone()));
        versions.push((
            "records".into(),
            match self.records.store() {
                Some(store) => format!("{:?} at {}", store.engine(), store.path().display()),
                None => "none open".into(),
            },
        ));
        versions.push((
            "outbox waiting".into(),
            self.records.outbox_waiting().to_string(),
        ));
        // The shop server's address without a password.
        let mut settings = self.settings.clone();
        if let Some((scheme, rest)) = settings.shop_server.split_once("://")
            && let Some((login, host)) = rest.split_once('@')
        {
            let user = login.split(':').next().unwrap_or("");
            settings.shop_server = format!("{scheme}://{user}@{host}");
        }
        let ticket_json = self
            .bundle_ticket
            .then(|| self.records.current())
            .flatten()
            .and_then(|t| {
                serde_json::to_string_pretty(&serde_json::json!({
                    "ticket": t,
                    "runs": self.records.current_runs(),
                    "repairs": self.records.current_repairs(),
                }))
                .ok()
            });
        crate::support::Bundle {
            versions,
            settings_json: serde_json::to_string_pretty(&settings).unwrap_or_default(),
            logs: self.places.logs.clone(),
            capture: self.capture.clone(),
            ticket_json,
        }
    }

    /// Write the support bundle to the file the save dialog chose, on a named thread.
    fn poll_bundle_dialog(&mut self) {
        let Some(rx) = &self.bundle_dialog else {
            return;
        };
        let Ok(chosen) = rx.try_recv() else { return };
        self.bundle_dialog = None;
        let Some(path) = chosen else { return };
        let bundle = self.support_bundle();
        tracing::info!(path = %path.display(), ticket = bundle.ticket_json.is_some(), "support bundle");
        self.records.background("support-bundle", move || {
            crate::support::write(&path, &bundle).map(|names| {
                format!(
                    "Support bundle saved to {} ({} files)",
                    path.display(),
                    names.len()
                )
            })
        });
    }

    /// Export the chart to the file its dialog chose.
    fn poll_chart_dialog(&mut self) {
        let Some((rx, _)) = &self.chart_dialog else {
            return;
        };
        let Ok(chosen) = rx.try_recv() else { return };
        let Some((_, chart)) = self.chart_dialog.take() else {
            return;
        };
        if let Some(path) = chosen {
            self.handle(Command::ExportChartTo(chart, path));
        }
    }

    /// Write the capture to the file the save dialog chose, on a named thread.
    fn poll_capture_dialog(&mut self) {
        let Some(rx) = &self.capture_dialog else {
            return;
        };
        let Ok(chosen) = rx.try_recv() else { return };
        self.capture_dialog = None;
        let (Some(path), Some(text)) = (chosen, self.capture.clone()) else {
            return;
        };
        self.records.background("save-capture", move || {
            let partial = path.with_extension("jsonl.partial");
            std::fs::write(&partial, text)
                .and_then(|()| std::fs::rename(&partial, &path))
                .map(|()| format!("Capture saved to {}", path.display()))
                .map_err(|e| format!("cannot write {}: {e}", path.display()))
        });
    }

    /// Apply a command: the one place state changes because of the user.
    pub fn handle(&mut self, command: Command) {
        match command {
            Command::Run => self.start(Job {
                hold_power: self.hold_power,
                soak_s: self
                    .settings
                    .soak
                    .then(|| u64::from(self.settings.soak_minutes.max(1)) * 60),
                ladder: self.settings.ladder.then(|| vec![85.0, 110.0]),
                aging_s: self
                    .settings
                    .aging
                    .then(|| u64::from(self.settings.aging_minutes.max(1)) * 60),
                ..Job::default()
            }),
            Command::Retest(chips) => self.start(Job {
                hold_power: self.hold_power,
                only_chips: Some(chips),
                ..Job::default()
            }),
            Command::CheckPic(code) => self.start(Job {
                pic: Some(code),
                ..Job::default()
            }),
            Command::StartHalving => {
                use diagnosis::halving::{Halving, Search};
                let chips = self.profile().map_or(0, |p| p.chips.value);
                let held = self.report.as_ref().is_some_and(|r| {
                    r.findings
                        .iter()
                        .any(|f| f.kind == diagnosis::FindingKind::ReturnLineHeld)
                });
                let search = if held { Search::HeldLine } else { Search::Stop };
                self.halving = Some(Halving::for_search(chips, search));
                self.log.push("Guided halving started".to_owned());
            }
            Command::HalvingCount => {
                if let Some(m) = self.halving.as_ref().and_then(|h| h.next_short()) {
                    self.start(Job {
                        halving_short: Some(m),
                        ..Job::default()
                    });
                }
            }
            Command::StopHalving => self.halving = None,
            Command::PowerOn => self.confirm_power = true,
            Command::SaveCapture => {
                if self.capture.is_some() && self.capture_dialog.is_none() {
                    let name = format!("hashbench-{}-capture.jsonl", self.settings.model);
                    match crate::records::save_dialog(
                        "Save the run's chain traffic",
                        "Capture (JSON lines)",
                        "jsonl",
                        name,
                    ) {
                        Ok(rx) => self.capture_dialog = Some(rx),
                        Err(e) => self.error = Some(e),
                    }
                }
            }
            Command::SaveBundle => {
                if self.bundle_dialog.is_none() {
                    match crate::records::save_dialog(
                        "Save a support bundle",
                        "Zip archive",
                        "zip",
                        "hashbench-support.zip".into(),
                    ) {
                        Ok(rx) => self.bundle_dialog = Some(rx),
                        Err(e) => self.error = Some(e),
                    }
                }
            }
            Command::ExportChart(chart) => {
                if self.chart_dialog.is_none() {
                    match crate::charts::export_dialog(&chart) {
                        Ok(rx) => self.chart_dialog = Some((rx, chart)),
                        Err(e) => self.error = Some(e),
                    }
                }
            }
            Command::ExportChartTo(chart, path) => {
                tracing::info!(chart = %chart.title, path = %path.display(), "chart exported");
                self.records
                    .background("export-chart", move || crate::charts::write(&path, &chart));
            }
            Command::AttachCapture => {
                if let Some(text) = &self.capture {
                    self.records.attach_capture(text);
                }
            }
            Command::PowerOnConfirmed => {
                self.confirm_power = false;
                self.start(Job {
                    hold_power: true,
                    power_only: true,
                    ..Job::default()
                });
            }
            Command::Release => {
                if let Some(running) = &self.running {
                    running.release();
                    self.log.push("Switching the held board off".into());
                }
            }
            Command::Cancel => {
                if let Some(running) = &self.running {
                    running.cancel();
                    self.log.push("Cancel requested".into());
                }
            }
            Command::FirmwareWindow => self.firmware.show_window(),
            Command::Select(chip) => self.selected = chip,
            Command::SelectFinding(f) => self.selected_finding = f,
            Command::Records(command) => {
                if let crate::records::RecordCommand::NewTicketForm(_) = &command {
                    // Fill the serial from the board's EEPROM where the jig can read it.
                    if self.running.is_none() {
                        self.start(Job {
                            identify: true,
                            ..Job::default()
                        });
                    }
                }
                let command = match command {
                    crate::records::RecordCommand::UseDatabase(address) => {
                        self.use_database(address);
                        return;
                    }
                    crate::records::RecordCommand::ExportChart(chart) => {
                        self.handle(Command::ExportChart(chart));
                        return;
                    }
                    crate::records::RecordCommand::NewTicketForm(_) => {
                        crate::records::RecordCommand::NewTicketForm(self.settings.model.clone())
                    }
                    crate::records::RecordCommand::Scan(serial, _) => {
                        crate::records::RecordCommand::Scan(serial, self.settings.model.clone())
                    }
                    crate::records::RecordCommand::ReadEeprom => {
                        self.start(Job {
                            eeprom: Some(crate::worker::EepromJob::Read),
                            ..Job::default()
                        });
                        return;
                    }
                    crate::records::RecordCommand::WriteEeprom(id) => {
                        let backup = self.records.eeprom_backup().map(|b| b.bytes.clone());
                        let image = self.records.eeprom_bytes(id).map(<[u8]>::to_vec);
                        match (image, backup) {
                            (Some(mut image), Some(over)) => {
                                // A legacy image goes with its CRC fixed; bytes no layout
                                // explains never go.
                                match boards::eeprom::fix_checksum(&mut image) {
                                    Ok(_) => self.start(Job {
                                        eeprom: Some(crate::worker::EepromJob::Write {
                                            image,
                                            over,
                                        }),
                                        ..Job::default()
                                    }),
                                    Err(e) => {
                                        self.error = Some(format!("Not written: {e}"));
                                    }
                                }
                            }
                            _ => {
                                self.error =
                                    Some("Read the board's EEPROM before writing it".into());
                            }
                        }
                        return;
                    }
                    other => other,
                };
                self.records
                    .apply(command, &self.catalog, &self.settings.technician);
                self.settings.verify_passes = self.records.required_passes();
            }
        }
    }
}

impl eframe::App for Workbench {
    fn logic(&mut self, _ctx: &egui::Context, _frame: &mut eframe::Frame) {
        if std::mem::take(&mut self.autorun) {
            self.handle(Command::Run);
        }
        self.drain();
        self.rescan();
        self.records.tick(&self.catalog);
        self.poll_capture_dialog();
        self.poll_bundle_dialog();
        self.poll_chart_dialog();
        self.firmware.tick();
    }

    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        let mut commands = Vec::new();
        if ui.input(|i| i.key_pressed(Key::F5)) {
            commands.push(Command::Run);
        }
        if ui.input(|i| i.key_pressed(Key::Escape)) {
            commands.push(Command::Cancel);
        }
        // The views, from the keyboard: Ctrl+1 to Ctrl+4.
        for (key, tab) in [
            (Key::Num1, Tab::Workbench),
            (Key::Num2, Tab::Tickets),
            (Key::Num3, Tab::History),
            (Key::Num4, Tab::Statistics),
        ] {
            if ui.input(|i| i.modifiers.command && i.key_pressed(key)) {
                commands.push(Command::Records(crate::records::RecordCommand::Tab(tab)));
            }
        }
        // The open ticket's report and label: Ctrl+P and Ctrl+Shift+L.
        if let Some(id) = self.records.current().map(|t| t.id) {
            if ui.input(|i| i.modifiers.command && !i.modifiers.shift && i.key_pressed(Key::P)) {
                commands.push(Command::Records(crate::records::RecordCommand::PrintPdf(
                    id,
                )));
            }
            if ui.input(|i| i.modifiers.command && i.modifiers.shift && i.key_pressed(Key::L)) {
                commands.push(Command::Records(crate::records::RecordCommand::PrintLabel(
                    id,
                )));
            }
        }
        egui::Panel::top("connection").show(ui, |ui| commands.extend(self.connection_bar(ui)));
        egui::Panel::top("records").show(ui, |ui| {
            let more = self.records.status_line(ui);
            commands.extend(more.into_iter().map(Command::Records));
        });
        if self.records.tab == Tab::Workbench {
            egui::Panel::bottom("log")
                .resizable(true)
                .default_size(340.0)
                .show(ui, |ui| {
                    commands.extend(self.plots(ui));
                    ui.horizontal(|ui| {
                        ui.label("Log");
                        let label = ui.label("Filter");
                        ui.add(
                            egui::TextEdit::singleline(&mut self.log_filter)
                                .hint_text("e.g. nonce, chip 0x50, Round")
                                .desired_width(200.0),
                        )
                        .labelled_by(label.id);
                        let shown: Vec<&String> = self
                            .log
                            .iter()
                            .filter(|l| l.contains(self.log_filter.as_str()))
                            .collect();
                        ui.label(format!("{} of {} lines", shown.len(), self.log.len()));
                        if ui.button("Copy log").clicked() {
                            let text: Vec<&str> = shown.iter().map(|l| l.as_str()).collect();
                            ui.ctx().copy_text(text.join("\n"));
                        }
                        ui.separator();
                        if ui
                            .button("Save support bundle…")
                            .on_hover_text(
                                "A zip for whoever helps you: versions, settings, logs and the last run's capture; no customer data unless ticked",
                            )
                            .clicked()
                        {
                            commands.push(Command::SaveBundle);
                        }
                        ui.checkbox(&mut self.bundle_ticket, "with the open ticket (customer data)");
                    });
                    let shown: Vec<&String> = self
                        .log
                        .iter()
                        .filter(|l| l.contains(self.log_filter.as_str()))
                        .collect();
                    let row = ui.text_style_height(&egui::TextStyle::Monospace);
                    egui::ScrollArea::vertical()
                        .id_salt("log")
                        .stick_to_bottom(true)
                        .show_rows(ui, row, shown.len(), |ui, range| {
                            for line in shown.get(range).unwrap_or_default() {
                                ui.monospace(line.as_str());
                            }
                        });
                });
            egui::Panel::right("findings")
                .resizable(true)
                .default_size(380.0)
                .show(ui, |ui| {
                    commands.extend(self.findings_panel(ui));
                    if let Some(profile) = self.catalog.get(&self.settings.model) {
                        let form = self.records.repair_form(
                            ui,
                            self.selected,
                            profile,
                            &self.settings.technician,
                        );
                        commands.extend(form.into_iter().map(Command::Records));
                        let idle = self.running.is_none();
                        commands.extend(self.pic.show(ui, profile, idle));
                    }
                });
            egui::CentralPanel::default().show(ui, |ui| {
                let Some(profile) = self.catalog.get(&self.settings.model) else {
                    return;
                };
                ui.label(
                    RichText::new(format!(
                        "{} ({}), {} chips in {} domains",
                        profile.name, profile.id, profile.chips.value, profile.domains.value
                    ))
                    .strong(),
                );
                if profile.layout.generic {
                    ui.label("Generic layout: real chip positions are not known for this board.");
                } else {
                    ui.label(format!("Chip places: {}", profile.layout.note));
                }
                let scale = map_scale(ui, &mut self.map_scale, self.report.as_ref());
                map::legend(ui, scale);
                let sensors = self
                    .report
                    .as_ref()
                    .map_or(&[][..], |r| r.sensors.as_slice());
                ui.label(map::census(profile, sensors)).on_hover_text(
                    "Dots on the map: each expected sensor, at the chip it sits next to",
                );
                let suspects: Vec<usize> = self
                    .report
                    .iter()
                    .flat_map(|r| r.findings.iter().flat_map(|f| f.suspects.iter().copied()))
                    .collect();
                let mut highlight: Vec<usize> = self
                    .selected_finding
                    .and_then(|n| self.report.as_ref().and_then(|r| r.findings.get(n)))
                    .map(|f| {
                        let mut chips = f.chips.clone();
                        chips.extend(f.domains.iter().flat_map(|&d| profile.chips_in_domain(d)));
                        chips
                    })
                    .unwrap_or_default();
                // The halving's next short: the two chips the RO test point lies between.
                if let Some(m) = self.halving.as_ref().and_then(|h| h.next_short()) {
                    highlight.extend([m - 1, m]);
                }
                let view = map::MapView {
                    profile,
                    states: &self.states,
                    chips: self.report.as_ref().map(|r| r.chips.as_slice()),
                    suspects: &suspects,
                    highlight: &highlight,
                    selected: self.selected,
                    scale: scale.zip(self.report.as_ref()),
                    sensors,
                };
                if let Some(chip) = map::show(ui, &view) {
                    commands.push(Command::Select(Some(chip)));
                }
            });
        } else {
            egui::CentralPanel::default().show(ui, |ui| {
                let more = match self.records.tab {
                    Tab::Tickets => self.records.tickets_view(ui, &self.catalog),
                    Tab::History => self.records.history_view(ui, &self.catalog),
                    Tab::Statistics | Tab::Workbench => self.records.stats_view(ui, &self.catalog),
                };
                commands.extend(more.into_iter().map(Command::Records));
            });
        }
        let jig = self.jig_info.clone();
        let busy = self.running.is_some();
        self.firmware.window(ui.ctx(), jig.as_ref(), busy);
        for command in commands {
            self.handle(command);
        }
        if self.running.is_some() || self.firmware.is_flashing() {
            ui.ctx()
                .request_repaint_after(std::time::Duration::from_millis(100));
        }
    }

    fn save(&mut self, storage: &mut dyn eframe::Storage) {
        eframe::set_value(storage, SETTINGS_KEY, &self.settings);
    }
}

/// The jig needs the bundled firmware when it speaks another protocol: seen in its handshake,
/// or it refused ours.
fn update_needed(jig: Option<u16>, refused: bool, bundled: Option<u16>) -> bool {
    refused || matches!((jig, bundled), (Some(j), Some(b)) if j != b)
}

#[cfg(test)]
mod tests {
    use super::update_needed;

    #[test]
    fn an_update_is_needed_when_the_protocols_differ() {
        assert!(!update_needed(Some(1), false, Some(1)));
        assert!(update_needed(Some(1), false, Some(2)));
        assert!(
            update_needed(None, true, Some(1)),
            "the jig refused the handshake"
        );
        assert!(!update_needed(None, false, Some(1)), "no jig seen yet");
    }
}
