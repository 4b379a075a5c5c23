//! The repair record in the window: the current ticket, the ticket list and detail, board
//! history, shop statistics and the CSV export. Reads and writes go to `store` on the UI thread:
//! each is one short SQLite statement or transaction (milliseconds), and the database waits at
//! most [`BUSY_LIMIT`] for another Hashbench before saying so.

use std::path::{Path, PathBuf};
use std::sync::mpsc::Receiver;
use std::time::{Duration, Instant};

use boards::{Catalog, Profile};
use diagnosis::report::{ChipState, Report};
use eframe::egui::{self, Color32, CornerRadius, RichText, Sense, Vec2};
use store::{
    Action, BoardHistory, ExportFilter, NewRepair, NewTicket, Repair, RunRecord, RunSummary, Stats,
    Status, Store, Ticket, TicketFilter, TicketSort, Verification,
};

use crate::map;

mod bar;
mod documents;
mod eeprom;
mod link;
mod readings;
mod views;

pub(crate) use documents::{save_dialog, write_whole};

pub use link::Repaint;

/// How long a database call waits for another Hashbench writing the same file.
const BUSY_LIMIT: Duration = Duration::from_millis(250);
/// Tickets per page of the list.
const PAGE: usize = 50;
/// How often a run that could not be saved is tried again.
const RETRY: Duration = Duration::from_secs(2);

/// The window's views.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Tab {
    /// Run, map, findings, plots.
    #[default]
    Workbench,
    /// Ticket list and detail.
    Tickets,
    /// Everything about one board.
    History,
    /// Shop statistics.
    Statistics,
}

/// What a user changes in the records.
#[derive(Debug, Clone, PartialEq)]
pub enum RecordCommand {
    /// Show this view.
    Tab(Tab),
    /// Keep the records on this shop server from now on (`None`: the bench's own file); the
    /// app reopens them and remembers the choice.
    UseDatabase(Option<String>),
    /// Ask where to save this chart (the app owns the dialog).
    ExportChart(Box<report::chart::Chart>),
    /// The verification policy: passing full-board runs after the last repair before a ticket
    /// may close `done`.
    RequiredPasses(u32),
    /// Open the new-ticket form for a board of this model (the app also reads the board's
    /// EEPROM through the jig, to fill in the serial).
    NewTicketForm(String),
    /// Close the new-ticket form.
    CancelForm,
    /// Take the board in.
    CreateTicket(NewTicket),
    /// Show a ticket's detail and make it the current ticket (runs are saved to it).
    Open(i64),
    /// Runs open a new ticket again.
    Detach,
    /// Move a ticket on.
    SetStatus(i64, Status),
    /// Save a ticket's notes.
    SaveNotes(i64, String),
    /// Record a repair action on the current ticket.
    Repair(NewRepair),
    /// Show a board's history.
    History(String),
    /// Export the repair history as CSV (asks where).
    Export,
    /// Export the repair history as CSV to this file.
    ExportTo(PathBuf),
    /// Save the ticket's report as PDF (asks where).
    SavePdf(i64),
    /// Save the ticket's report as PDF to this file.
    SavePdfTo(i64, PathBuf),
    /// Save the shop's statistics with their charts as PDF (asks where).
    SaveStatsPdf,
    /// Save the shop's statistics as PDF to this file.
    SaveStatsPdfTo(PathBuf),
    /// Open the ticket's report in the system's PDF viewer.
    OpenPdf(i64),
    /// Send the ticket's report to the system's print spooler.
    PrintPdf(i64),
    /// Print ticket `id`'s label (62 x 29 mm, with its QR code) through the OS spooler.
    PrintLabel(i64),
    /// Recompute the statistics.
    RefreshStats,
    /// Show the list page `n`.
    Page(usize),
    /// Read the board's EEPROM through the jig and keep it on the current ticket (the app
    /// starts the read; `KeepEeprom` follows).
    ReadEeprom,
    /// Write the kept image `id` to the board (the app starts it, over the latest backup).
    WriteEeprom(i64),
    /// Ask to confirm writing image `id` (or withdraw the question).
    ConfirmEeprom(Option<i64>),
    /// Show the decoded fields of image `id` (or none).
    ShowEeprom(Option<i64>),
    /// Keep these EEPROM bytes on the current ticket (read from the board, or written to it).
    KeepEeprom(store::ImageKind, Vec<u8>),
    /// Keep a meter reading at a test point on the current ticket.
    Reading(store::NewReading),
    /// A serial typed or scanned (barcode + Enter): open the board's open ticket, or take it in
    /// as a board of this model.
    Scan(String, String),
}

/// The new-ticket form.
#[derive(Debug, Clone, Default, PartialEq)]
struct Form {
    serial: String,
    model: String,
    customer: String,
    symptom: String,
    board_code: Option<String>,
}

/// The repair-action form beside the map.
#[derive(Debug, Clone, PartialEq)]
struct RepairForm {
    action: Action,
    part: String,
    minutes: String,
    notes: String,
}

impl Default for RepairForm {
    fn default() -> Self {
        Self {
            action: Action::Reflow,
            part: String::new(),
            minutes: "15".into(),
            notes: String::new(),
        }
    }
}

/// A finished run waiting for the database (it was busy).
#[derive(Debug, Clone)]
struct Pending {
    /// The ticket it goes to, once known (opened for it before the save failed).
    ticket: Option<i64>,
    report: Report,
    retest: Option<Vec<usize>>,
    started_at: i64,
    ended_at: i64,
    operator: String,
    model: String,
}

/// The records side of the window.
#[derive(Debug)]
pub struct Records {
    store: Option<Store>,
    /// What went wrong with the database, shown until the next success.
    pub error: Option<String>,
    /// What just happened (exported, saved), shown in the status line.
    pub note: Option<String>,
    /// The view shown.
    pub tab: Tab,
    current: Option<Ticket>,
    // List.
    filter: TicketFilter,
    since: String,
    until: String,
    sort: TicketSort,
    descending: bool,
    page: usize,
    list: Vec<Ticket>,
    total: u64,
    dirty: bool,
    // Detail.
    runs: Vec<RunSummary>,
    repairs: Vec<Repair>,
    /// The current ticket against the verification policy.
    verification: Option<Verification>,
    compare: Vec<i64>,
    notes: String,
    /// The board EEPROM images kept on the current ticket, the one shown decoded, and the one
    /// waiting for the technician's confirmation before it is written.
    eeprom: Vec<store::EepromImage>,
    eeprom_shown: Option<i64>,
    eeprom_confirm: Option<i64>,
    /// The meter readings kept on the current ticket, and the reading being typed.
    readings: Vec<store::Reading>,
    reading_point: boards::testpoints::Point,
    reading_mv: String,
    /// The serial field a barcode scanner types into.
    scan: String,
    // Forms.
    form: Option<Form>,
    repair: RepairForm,
    // History and statistics.
    history_serial: String,
    history: Option<BoardHistory>,
    stats: Option<Stats>,
    stats_model: String,
    pending: Vec<Pending>,
    /// The ticket and run of the latest run saved.
    last_run: Option<(i64, i64)>,
    last_retry: Option<Instant>,
    export: Option<Receiver<Option<PathBuf>>>,
    /// The shop header on reports.
    shop: report::Shop,
    /// Paper size of reports.
    pub paper: report::Paper,
    /// A save dialog for a ticket's PDF.
    pdf_dialog: Option<(i64, Receiver<Option<PathBuf>>)>,
    stats_dialog: Option<Receiver<Option<PathBuf>>>,
    /// Open and print jobs: what they said when done.
    outcomes: Vec<Receiver<Result<String, String>>>,
    /// The verification policy, kept here too: the store may be away (a lost server).
    required_passes: u32,
    /// The outbox, and the way back to a lost server.
    link: link::Link,
}

impl Records {
    /// Records kept in the database at `path`; with `None`, runs are not saved and the window
    /// says so.
    #[must_use]
    pub fn open(path: Option<&Path>) -> Records {
        let (store, error) = match path {
            None => (
                None,
                Some("No repair database: runs are not saved.".to_owned()),
            ),
            Some(path) => match Store::open_with_timeout(path, BUSY_LIMIT) {
                Ok(store) => (Some(store), None),
                // A shop server that is away: the bench works on, from its outbox.
                Err(e) if e.is_unreachable() => (
                    None,
                    Some(format!(
                        "Shop server unreachable: runs are kept in this bench's outbox and sent when it answers ({e})"
                    )),
                ),
                Err(e) => (None, Some(format!("Repair records unavailable: {e}"))),
            },
        };
        Records {
            store,
            error,
            verification: None,
            note: None,
            tab: Tab::Workbench,
            current: None,
            filter: TicketFilter::default(),
            since: String::new(),
            until: String::new(),
            sort: TicketSort::Intake,
            descending: true,
            page: 0,
            list: Vec::new(),
            total: 0,
            dirty: true,
            runs: Vec::new(),
            repairs: Vec::new(),
            compare: Vec::new(),
            eeprom: Vec::new(),
            eeprom_shown: None,
            eeprom_confirm: None,
            readings: Vec::new(),
            reading_point: boards::testpoints::Point::Clk,
            reading_mv: String::new(),
            scan: String::new(),
            notes: String::new(),
            form: None,
            repair: RepairForm::default(),
            history_serial: String::new(),
            history: None,
            stats: None,
            stats_model: String::new(),
            pending: Vec::new(),
            last_run: None,
            last_retry: None,
            export: None,
            shop: report::Shop::default(),
            paper: report::Paper::A4,
            pdf_dialog: None,
            stats_dialog: None,
            outcomes: Vec::new(),
            required_passes: store::DEFAULT_REQUIRED_PASSES,
            link: link::Link::new(path),
        }
    }

    /// Put `shop`'s header on the reports.
    pub fn set_shop(&mut self, shop: report::Shop) {
        self.shop = shop;
    }

    /// The shop header on the reports.
    #[must_use]
    pub fn shop(&self) -> &report::Shop {
        &self.shop
    }

    /// The ticket runs are saved to.
    #[must_use]
    pub fn current(&self) -> Option<&Ticket> {
        self.current.as_ref()
    }

    /// Runs of the current ticket, oldest first.
    #[must_use]
    pub fn current_runs(&self) -> &[RunSummary] {
        &self.runs
    }

    /// Repair actions of the current ticket.
    #[must_use]
    pub fn current_repairs(&self) -> &[Repair] {
        &self.repairs
    }

    /// The board history shown.
    #[must_use]
    pub fn history(&self) -> Option<&BoardHistory> {
        self.history.as_ref()
    }

    /// The open database.
    #[must_use]
    pub fn store(&self) -> Option<&Store> {
        self.store.as_ref()
    }

    /// Whether the new-ticket form is open.
    #[must_use]
    pub fn is_form_open(&self) -> bool {
        self.form.is_some()
    }

    /// Runs finished but not yet saved (the database was busy).
    #[must_use]
    pub fn unsaved(&self) -> usize {
        self.pending.len()
    }

    fn fail(&mut self, what: &str, e: &store::StoreError) {
        self.error = Some(format!("{what}: {e}"));
    }

    /// Fill the new-ticket form with what the board's EEPROM says.
    pub fn identity(&mut self, identity: &diagnosis::report::BoardIdentity, catalog: &Catalog) {
        let Some(form) = &mut self.form else { return };
        if let Some(serial) = &identity.serial
            && form.serial.is_empty()
        {
            form.serial.clone_from(serial);
        }
        // Only a board the EEPROM names alone picks the model; several of one chip family
        // leave the technician's choice.
        if let [p] = diagnosis::identity::candidates(identity, catalog)[..] {
            form.model.clone_from(&p.id);
        }
        form.board_code.clone_from(&identity.board_code);
    }

    /// Save a finished run: to the current ticket, or to a new ticket for the board's serial
    /// (which becomes current). A busy database keeps the run and tries again.
    pub fn save_run(
        &mut self,
        report: Report,
        retest: Option<Vec<usize>>,
        started_at: i64,
        operator: &str,
        model: &str,
    ) {
        if self.store.is_none() && !self.has_outbox() {
            // No database: the status line already says runs are not saved.
            return;
        }
        self.pending.push(Pending {
            ticket: None,
            report,
            retest,
            started_at,
            ended_at: store::now(),
            operator: operator.to_owned(),
            model: model.to_owned(),
        });
        self.flush();
    }

    /// Try to save runs waiting for the database (every 2 s) and take what dialogs and
    /// background jobs finished; called every frame.
    pub fn tick(&mut self, catalog: &Catalog) {
        self.tick_link();
        let outbox_due = self.store.is_some() && self.outbox_waiting() > 0;
        if (!self.pending.is_empty() || outbox_due)
            && self.last_retry.is_none_or(|t| t.elapsed() >= RETRY)
        {
            self.flush();
        }
        if let Some(rx) = &self.export
            && let Ok(chosen) = rx.try_recv()
        {
            self.export = None;
            if let Some(path) = chosen {
                self.export_to(&path);
            }
        }
        if let Some((ticket, rx)) = &self.pdf_dialog
            && let Ok(chosen) = rx.try_recv()
        {
            let ticket = *ticket;
            self.pdf_dialog = None;
            if let Some(path) = chosen {
                self.save_pdf(ticket, &path, catalog);
            }
        }
        if let Some(rx) = &self.stats_dialog
            && let Ok(chosen) = rx.try_recv()
        {
            self.stats_dialog = None;
            if let Some(path) = chosen {
                self.save_stats_pdf(&path, catalog);
            }
        }
        let mut finished = Vec::new();
        self.outcomes.retain(|rx| match rx.try_recv() {
            Ok(outcome) => {
                finished.push(outcome);
                false
            }
            Err(std::sync::mpsc::TryRecvError::Empty) => true,
            Err(std::sync::mpsc::TryRecvError::Disconnected) => false,
        });
        for outcome in finished {
            match outcome {
                Ok(note) => {
                    self.note = Some(note);
                    self.error = None;
                }
                Err(e) => self.error = Some(e),
            }
        }
    }

    fn flush(&mut self) {
        self.last_retry = Some(Instant::now());
        // Older runs first: what waits in the outbox goes before what just finished.
        if !self.send_outbox() {
            self.keep_pending_in_outbox();
            return;
        }
        while let Some(run) = self.pending.first() {
            let Some(store) = &mut self.store else {
                self.keep_pending_in_outbox();
                return;
            };
            let record = RunRecord {
                report: &run.report,
                started_at: run.started_at,
                ended_at: run.ended_at,
                operator: run.operator.clone(),
                retest_chips: run.retest.clone(),
            };
            let ticket = match (run.ticket, &self.current) {
                (Some(id), _) => Ok(id),
                (None, Some(t)) => Ok(t.id),
                (None, None) => store.create_ticket_for_run(
                    &NewTicket::for_run(&run.report, &run.model, &run.operator, run.started_at),
                    &record,
                ),
            };
            let opened = ticket.as_ref().ok().copied();
            let saved =
                ticket.and_then(|ticket| store.save_run(ticket, &record).map(|run| (ticket, run)));
            match saved {
                Ok((ticket, run)) => {
                    tracing::info!(ticket, run, "run saved");
                    self.pending.remove(0);
                    self.last_run = Some((ticket, run));
                    self.error = None;
                    self.note = Some(format!("Run {run} saved to ticket #{ticket}"));
                    self.select(ticket);
                    self.dirty = true;
                    self.stats = None;
                }
                Err(e) if self.is_lost(&e) => {
                    // A ticket opened before the server went: the run goes to it, not to a
                    // second one.
                    if let Some(first) = self.pending.first_mut() {
                        first.ticket = first.ticket.or(opened);
                    }
                    self.lost(&e);
                    self.keep_pending_in_outbox();
                    return;
                }
                Err(e) => {
                    let waiting = self.pending.len();
                    self.error = Some(format!(
                        "The run is kept in memory and saved when the database answers ({waiting} waiting): {e}"
                    ));
                    return;
                }
            }
        }
    }

    /// With the server away, move finished runs from memory to the outbox (a file), oldest
    /// first; without an outbox they stay in memory.
    fn keep_pending_in_outbox(&mut self) {
        while let Some(run) = self.pending.first() {
            let kept = {
                let run = run.clone();
                self.keep_in_outbox(&run)
            };
            if !kept {
                return;
            }
            self.pending.remove(0);
        }
    }

    /// Whether the last run is saved, so a capture can go with it.
    pub fn can_attach(&self) -> bool {
        self.pending.is_empty() && self.last_run.is_some()
    }

    /// Attach `text` (the last run's capture) to the last saved run.
    pub fn attach_capture(&mut self, text: &str) {
        let (Some(store), Some((ticket, run))) = (&mut self.store, self.last_run) else {
            return;
        };
        match store.attach_capture(run, text) {
            Ok(()) => {
                self.error = None;
                self.note = Some(format!("Capture attached to run {run} of ticket #{ticket}"));
            }
            Err(e) => self.error = Some(format!("The capture could not be attached: {e}")),
        }
    }

    /// The verification policy: passing full-board runs after the last repair before a ticket
    /// may close `done` (kept in the settings).
    pub fn set_required_passes(&mut self, passes: u32) {
        self.required_passes = passes;
        if let Some(store) = &mut self.store {
            store.set_required_passes(passes);
        }
    }

    /// The verification policy in force.
    #[must_use]
    pub fn required_passes(&self) -> u32 {
        self.store
            .as_ref()
            .map_or(self.required_passes, Store::required_passes)
    }

    /// Make `ticket` current and load its detail.
    fn select(&mut self, ticket: i64) {
        let Some(store) = &self.store else { return };
        let loaded = store.ticket(ticket).and_then(|t| {
            Ok((
                t,
                store.runs(ticket)?,
                store.repairs(ticket)?,
                store.verification(ticket)?,
                store.eeprom_images(ticket)?,
                store.readings(ticket)?,
            ))
        });
        match loaded {
            Ok((t, runs, repairs, verification, eeprom, readings)) => {
                self.readings = readings;
                if self.current.as_ref().is_none_or(|c| c.id != t.id) {
                    self.eeprom_shown = None;
                    self.eeprom_confirm = None;
                }
                self.eeprom = eeprom;
                self.verification = Some(verification);
                self.notes.clone_from(&t.notes);
                self.current = Some(t);
                self.compare = default_compare(&runs);
                self.runs = runs;
                self.repairs = repairs;
            }
            Err(e) => self.fail("Opening the ticket", &e),
        }
    }

    /// Apply a records command.
    pub fn apply(&mut self, command: RecordCommand, catalog: &Catalog, technician: &str) {
        match command {
            RecordCommand::RequiredPasses(n) => {
                self.set_required_passes(n);
                if let Some(id) = self.current.as_ref().map(|t| t.id) {
                    self.select(id);
                }
            }
            RecordCommand::Tab(tab) => {
                self.tab = tab;
                // Statistics are recomputed on opening the tab after any change.
                if tab == Tab::Statistics && self.stats.is_none() {
                    self.refresh_stats();
                }
            }
            RecordCommand::NewTicketForm(model) => {
                self.tab = Tab::Tickets;
                self.form = Some(Form {
                    model,
                    ..Form::default()
                });
            }
            RecordCommand::CancelForm => self.form = None,
            RecordCommand::CreateTicket(new) => {
                if catalog.get(&new.model).is_none() {
                    self.error = Some(format!(
                        "Pick the board's model (`{}` is not one)",
                        new.model
                    ));
                    return;
                }
                let Some(store) = &mut self.store else { return };
                match store.create_ticket(&NewTicket {
                    technician: technician.to_owned(),
                    ..new
                }) {
                    Ok(id) => {
                        self.form = None;
                        self.error = None;
                        self.note = Some(format!("Ticket #{id} opened; runs are saved to it"));
                        self.select(id);
                        self.dirty = true;
                    }
                    Err(e) => self.fail("Opening the ticket", &e),
                }
            }
            RecordCommand::Open(id) => {
                self.select(id);
                self.tab = Tab::Tickets;
            }
            RecordCommand::Detach => {
                self.current = None;
                self.runs.clear();
                self.repairs.clear();
                self.eeprom.clear();
                self.readings.clear();
            }
            RecordCommand::ShowEeprom(id) => self.eeprom_shown = id,
            RecordCommand::ConfirmEeprom(id) => self.eeprom_confirm = id,
            RecordCommand::KeepEeprom(kind, bytes) => self.keep_eeprom(kind, &bytes),
            RecordCommand::Reading(reading) => self.keep_reading(&reading),
            RecordCommand::Scan(serial, model) => self.scanned(&serial, &model, technician),
            // The app starts these on the jig.
            RecordCommand::ReadEeprom
            | RecordCommand::WriteEeprom(_)
            | RecordCommand::UseDatabase(_)
            | RecordCommand::ExportChart(_) => {}
            RecordCommand::SetStatus(id, status) => {
                let Some(store) = &mut self.store else { return };
                match store.set_status(id, status, store::now()) {
                    Ok(()) => {
                        self.note = Some(format!("Ticket #{id} is {}", status.name()));
                        self.select(id);
                        self.dirty = true;
                        self.stats = None;
                    }
                    Err(e) => self.fail("Changing the status", &e),
                }
            }
            RecordCommand::SaveNotes(id, notes) => {
                let Some(store) = &mut self.store else { return };
                let Some(t) = self.current.as_ref().filter(|t| t.id == id) else {
                    return;
                };
                match store.edit_ticket(
                    id,
                    t.revision,
                    &t.customer,
                    &t.symptom,
                    &t.technician,
                    &notes,
                ) {
                    Ok(()) => {
                        self.note = Some("Notes saved".into());
                        self.select(id);
                    }
                    // Another bench saved the ticket since it was opened here: load theirs,
                    // keep this bench's text in the box, and show both.
                    Err(store::StoreError::Conflict { current, .. }) => {
                        self.select(id);
                        self.notes = notes;
                        self.error = Some(format!(
                            "Ticket #{id} was changed on another bench since you opened it; nothing was saved. \
                             Its notes now read: \"{}\". Your text is still in the box: Save notes again to replace theirs.",
                            current.notes
                        ));
                    }
                    Err(e) => self.fail("Saving the notes", &e),
                }
            }
            RecordCommand::Repair(repair) => {
                let Some(id) = self.current.as_ref().map(|t| t.id) else {
                    self.error = Some("Open a ticket first: repairs are recorded on it.".into());
                    return;
                };
                let Some(store) = &mut self.store else { return };
                match store.add_repair(id, &repair) {
                    Ok(_) => {
                        self.note = Some(format!(
                            "{} of {} recorded on ticket #{id}",
                            repair.action.name(),
                            repair
                                .chip
                                .map_or("the board".into(), |c| format!("chip {c}"))
                        ));
                        self.repair = RepairForm::default();
                        self.select(id);
                        self.dirty = true;
                        self.stats = None;
                    }
                    Err(e) => self.fail("Recording the repair", &e),
                }
            }
            RecordCommand::History(serial) => {
                self.tab = Tab::History;
                self.history_serial.clone_from(&serial);
                let Some(store) = &self.store else { return };
                match store.board_history(&serial) {
                    Ok(h) => {
                        self.history = Some(h);
                        self.error = None;
                    }
                    Err(e) => {
                        self.history = None;
                        self.fail("Board history", &e);
                    }
                }
            }
            RecordCommand::Export => self.ask_export(),
            RecordCommand::ExportTo(path) => self.export_to(&path),
            RecordCommand::SavePdf(ticket) => self.ask_pdf(ticket),
            RecordCommand::SavePdfTo(ticket, path) => self.save_pdf(ticket, &path, catalog),
            RecordCommand::SaveStatsPdf => {
                if self.stats_dialog.is_none() {
                    let name = "hashbench-statistics.pdf".to_owned();
                    match save_dialog("Save the shop statistics", "PDF", "pdf", name) {
                        Ok(rx) => self.stats_dialog = Some(rx),
                        Err(e) => self.error = Some(e),
                    }
                }
            }
            RecordCommand::SaveStatsPdfTo(path) => self.save_stats_pdf(&path, catalog),
            RecordCommand::OpenPdf(ticket) => {
                if let Some(path) = self.temp_pdf(ticket, catalog) {
                    self.background("open-report", move || crate::system::open(&path));
                }
            }
            RecordCommand::PrintPdf(ticket) => {
                if let Some(path) = self.temp_pdf(ticket, catalog) {
                    self.background("print-report", move || crate::system::print(&path));
                }
            }
            RecordCommand::PrintLabel(ticket) => {
                if let Some(path) = self.temp_label(ticket) {
                    self.background("print-label", move || crate::system::print(&path));
                }
            }
            RecordCommand::RefreshStats => self.refresh_stats(),
            RecordCommand::Page(n) => {
                self.page = n;
                self.dirty = true;
            }
        }
    }

    fn refresh_stats(&mut self) {
        let Some(store) = &self.store else { return };
        match store.stats() {
            Ok(s) => {
                if self.stats_model.is_empty()
                    && let Some(first) = s.failures_by_position.first()
                {
                    self.stats_model.clone_from(&first.key.0);
                }
                self.stats = Some(s);
            }
            Err(e) => self.fail("Statistics", &e),
        }
    }

    fn reload_list(&mut self) {
        if !self.dirty {
            return;
        }
        self.dirty = false;
        let Some(store) = &self.store else { return };
        let mut filter = self.filter.clone();
        match (parse_day(&self.since, false), parse_day(&self.until, true)) {
            (Ok(since), Ok(until)) => {
                filter.since = since;
                filter.until = until;
            }
            (Err(e), _) | (_, Err(e)) => {
                self.error = Some(e);
                return;
            }
        }
        let listed = store.count_tickets(&filter).and_then(|total| {
            Ok((
                total,
                store.list_tickets(&filter, self.sort, self.descending, self.page * PAGE, PAGE)?,
            ))
        });
        match listed {
            Ok((total, list)) => {
                self.total = total;
                self.list = list;
            }
            Err(e) => self.fail("Listing tickets", &e),
        }
    }
}

/// The first and the latest run, ticked for comparison when a ticket opens.
fn default_compare(runs: &[RunSummary]) -> Vec<i64> {
    match (runs.first(), runs.last()) {
        (Some(a), Some(b)) if a.id != b.id => vec![a.id, b.id],
        _ => Vec::new(),
    }
}

fn parse_day(text: &str, end_of_day: bool) -> Result<Option<i64>, String> {
    if text.trim().is_empty() {
        return Ok(None);
    }
    store::time::parse_date(text).map(|d| Some(if end_of_day { d + 86_400 } else { d }))
}
