//! The window's link to its records when they live on the shop server: the bench's outbox for
//! runs finished while the server is away, connecting again in the background (the window
//! never waits on a server that does not answer), and the other benches' changes heard and
//! shown.

use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, TryRecvError};
use std::time::{Duration, Instant};

use store::{Outbox, OutboxRun, Store};

use eframe::egui;

use super::{BUSY_LIMIT, RecordCommand, Records};

/// How often a lost server is tried again.
const RECONNECT: Duration = Duration::from_secs(5);

/// Asks the window to draw again (a change was heard, the server is back).
pub type Repaint = std::sync::Arc<dyn Fn() + Send + Sync>;

/// The link's state.
#[derive(Default)]
pub(super) struct Link {
    /// The database asked for (a file or a server's address).
    pub(super) address: Option<PathBuf>,
    /// This bench's outbox (a file in its data directory), if it could be opened.
    pub(super) outbox: Option<Outbox>,
    /// Runs in it, as of its last change or look (read from the file then, not every frame).
    waiting: u64,
    /// When the file was last looked at (a `diagnose` on this bench may add to it).
    looked: Option<Instant>,
    /// A connection being made in the background, and when the last one was started.
    connecting: Option<Receiver<Result<Store, store::StoreError>>>,
    last_attempt: Option<Instant>,
    /// Ticket numbers other benches changed (0: many), and the listener hearing them.
    changes: Option<(Receiver<i64>, store::server::Listener)>,
    repaint: Option<Repaint>,
    /// The shop server's address as typed in the window.
    typed: String,
}

impl std::fmt::Debug for Link {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Link")
            .field("address", &self.address)
            .field("outbox", &self.outbox)
            .field("connecting", &self.connecting.is_some())
            .field("listening", &self.changes.is_some())
            .finish_non_exhaustive()
    }
}

impl Link {
    /// The link to the records at `address`.
    pub(super) fn new(address: Option<&Path>) -> Link {
        Link {
            address: address.map(Path::to_path_buf),
            ..Link::default()
        }
    }

    /// Whether the records are on a server (which can be away, and which other benches write).
    fn is_server(&self) -> bool {
        self.address
            .as_deref()
            .and_then(Path::to_str)
            .is_some_and(store::is_server_address)
    }
}

impl Records {
    /// The line above the ticket list: where the records are, the outbox, and a field to move
    /// the bench onto the shop server (or back to its own file).
    pub(super) fn database_line(&mut self, ui: &mut egui::Ui) -> Vec<RecordCommand> {
        let mut commands = Vec::new();
        ui.horizontal_wrapped(|ui| {
            let place = match (&self.store, &self.link.address) {
                (Some(store), _) => store.path().display().to_string(),
                (None, Some(address)) => format!("{} (not connected)", redacted(address)),
                (None, None) => "none".into(),
            };
            ui.label(format!("Records: {place}"));
            let waiting = self.outbox_waiting();
            if waiting > 0 {
                ui.colored_label(
                    egui::Color32::from_rgb(200, 120, 0),
                    format!("{waiting} run(s) in the outbox"),
                );
            }
            ui.separator();
            let label = ui.label("Shop server");
            ui.add(
                egui::TextEdit::singleline(&mut self.link.typed)
                    .hint_text("postgres://bench@server/shop")
                    .desired_width(260.0),
            )
            .labelled_by(label.id);
            let typed = self.link.typed.trim().to_owned();
            if ui
                .add_enabled(
                    store::is_server_address(&typed),
                    egui::Button::new("Use server"),
                )
                .on_hover_text("Keep this bench's records on the shop server from now on")
                .clicked()
            {
                commands.push(RecordCommand::UseDatabase(Some(typed)));
            }
            if self.link.is_server()
                && ui
                    .button("Use this bench's file")
                    .on_hover_text("Back to the database file on this bench")
                    .clicked()
            {
                commands.push(RecordCommand::UseDatabase(None));
            }
        });
        commands
    }

    /// Keep runs the server cannot take in the outbox at `path` (see [`Outbox`]).
    pub fn with_outbox(mut self, path: &Path) -> Records {
        match Outbox::open(path) {
            Ok(outbox) => {
                let waiting = outbox.waiting().unwrap_or(0);
                self.link.outbox = Some(outbox);
                self.link.waiting = waiting;
                if waiting > 0 {
                    self.note = Some(format!(
                        "{waiting} run(s) in this bench's outbox: sent when the shop server answers"
                    ));
                }
            }
            Err(e) => self.error = Some(format!("The bench's outbox cannot be opened: {e}")),
        }
        self
    }

    /// Draw again with `repaint` when another bench changes a ticket or the server is back;
    /// starts listening now when the records are on a server.
    pub fn watch(&mut self, repaint: Repaint) {
        self.link.repaint = Some(repaint);
        self.listen();
    }

    /// Whether runs the server cannot take have an outbox to wait in.
    pub(super) fn has_outbox(&self) -> bool {
        self.link.outbox.is_some()
    }

    /// Runs waiting in the outbox.
    #[must_use]
    pub fn outbox_waiting(&self) -> u64 {
        self.link.waiting
    }

    fn listen(&mut self) {
        let (Some(store), Some(repaint)) = (&self.store, &self.link.repaint) else {
            return;
        };
        let (tx, rx) = std::sync::mpsc::channel();
        let repaint = repaint.clone();
        match store.listen(move |ticket| {
            let _ = tx.send(ticket);
            repaint();
        }) {
            Ok(Some(listener)) => self.link.changes = Some((rx, listener)),
            Ok(None) => {}
            Err(e) => {
                self.error = Some(format!(
                    "Other benches' changes will not show until reopened: {e}"
                ));
            }
        }
    }

    /// The server stopped answering: keep working from the outbox and connect again in the
    /// background.
    pub(super) fn lost(&mut self, e: &store::StoreError) {
        tracing::warn!(error = %e, "shop server lost");
        self.store = None;
        self.link.changes = None;
        self.error = Some(match &self.link.outbox {
            Some(_) => format!(
                "Shop server unreachable: runs are kept in this bench's outbox and sent when it answers ({e})"
            ),
            None => format!("Shop server unreachable and no outbox: runs wait in memory ({e})"),
        });
    }

    /// Whether the failure `e` means the server is away (as opposed to a refusal).
    pub(super) fn is_lost(&self, e: &store::StoreError) -> bool {
        self.link.is_server() && e.is_unreachable()
    }

    /// Put a finished run in the outbox; false when there is none (it stays in memory).
    pub(super) fn keep_in_outbox(&mut self, run: &super::Pending) -> bool {
        let Some(outbox) = &mut self.link.outbox else {
            return false;
        };
        match outbox.put(&OutboxRun {
            ticket: run.ticket.or(self.current.as_ref().map(|t| t.id)),
            report: run.report.clone(),
            retest_chips: run.retest.clone(),
            started_at: run.started_at,
            ended_at: run.ended_at,
            operator: run.operator.clone(),
            model: run.model.clone(),
        }) {
            Ok(entry) => {
                let waiting = outbox.waiting().unwrap_or(self.link.waiting + 1);
                self.link.waiting = waiting;
                tracing::info!(entry, waiting, "run kept in the outbox");
                self.note = Some(format!(
                    "Run kept in this bench's outbox ({waiting} waiting): sent when the shop server answers"
                ));
                true
            }
            Err(e) => {
                self.error = Some(format!("The run could not be kept in the outbox: {e}"));
                false
            }
        }
    }

    /// Send what the outbox holds; false when the server went away again.
    pub(super) fn send_outbox(&mut self) -> bool {
        let (Some(outbox), Some(store)) = (&mut self.link.outbox, &mut self.store) else {
            return true;
        };
        // Read from the file: a `hashbench diagnose` on this bench may have added to it.
        self.link.waiting = outbox.waiting().unwrap_or(self.link.waiting);
        if self.link.waiting == 0 {
            return true;
        }
        let delivered = outbox.deliver(store);
        self.link.waiting = outbox.waiting().unwrap_or(self.link.waiting);
        match delivered {
            Ok(sent) => {
                if !sent.is_empty() {
                    tracing::info!(sent = sent.len(), "outbox sent");
                }
                if let Some(last) = sent.last() {
                    self.note = Some(format!(
                        "{} run(s) from this bench's outbox saved on the shop server",
                        sent.len()
                    ));
                    self.last_run = Some((last.ticket, last.run));
                    self.select(last.ticket);
                    self.dirty = true;
                    self.stats = None;
                }
                true
            }
            Err(e) if self.is_lost(&e) => {
                self.lost(&e);
                false
            }
            Err(e) => {
                self.error = Some(format!("Sending the outbox: {e}"));
                false
            }
        }
    }

    /// Called every frame: take a finished background connection, start the next one when
    /// due, and show what other benches changed.
    pub(super) fn tick_link(&mut self) {
        // Look at the outbox file now and then: another Hashbench on this bench (a `diagnose`
        // that lost the server) may have added to it.
        if let Some(outbox) = &self.link.outbox
            && self.link.looked.is_none_or(|t| t.elapsed() >= super::RETRY)
        {
            self.link.looked = Some(Instant::now());
            self.link.waiting = outbox.waiting().unwrap_or(self.link.waiting);
        }
        if let Some(rx) = &self.link.connecting {
            match rx.try_recv() {
                Ok(Ok(mut store)) => {
                    tracing::info!(server = %store.path().display(), "shop server back");
                    self.link.connecting = None;
                    store.set_required_passes(self.required_passes);
                    self.store = Some(store);
                    self.error = None;
                    self.note = Some("Shop server reachable again".into());
                    self.dirty = true;
                    self.listen();
                    if let Some(id) = self.current.as_ref().map(|t| t.id) {
                        self.refresh(id);
                    }
                    self.flush();
                }
                Ok(Err(e)) => {
                    self.link.connecting = None;
                    self.error = Some(format!(
                        "Shop server still unreachable; runs are kept in the outbox ({} waiting): {e}",
                        self.outbox_waiting()
                    ));
                }
                Err(TryRecvError::Empty) => {}
                Err(TryRecvError::Disconnected) => self.link.connecting = None,
            }
        }
        if self.store.is_none()
            && self.link.connecting.is_none()
            && self.link.is_server()
            && self
                .link
                .last_attempt
                .is_none_or(|t| t.elapsed() >= RECONNECT)
        {
            self.connect_in_background();
        }
        let mut heard = Vec::new();
        if let Some((rx, _)) = &self.link.changes {
            while let Ok(ticket) = rx.try_recv() {
                heard.push(ticket);
            }
        }
        if !heard.is_empty() {
            self.dirty = true;
            self.stats = None;
            if let Some(id) = self.current.as_ref().map(|t| t.id)
                && heard.iter().any(|&t| t == id || t == 0)
            {
                self.refresh(id);
            }
        }
    }

    fn connect_in_background(&mut self) {
        let Some(address) = self.link.address.clone() else {
            return;
        };
        self.link.last_attempt = Some(Instant::now());
        let (tx, rx) = std::sync::mpsc::channel();
        let repaint = self.link.repaint.clone();
        let started = std::thread::Builder::new()
            .name("db-connect".into())
            .spawn(move || {
                let _ = tx.send(Store::open_with_timeout(&address, BUSY_LIMIT));
                if let Some(repaint) = repaint {
                    repaint();
                }
            });
        if started.is_ok() {
            self.link.connecting = Some(rx);
        }
    }

    /// Load ticket `id` again as it is now, keeping notes being typed here.
    fn refresh(&mut self, id: i64) {
        let draft = self
            .current
            .as_ref()
            .filter(|t| t.notes != self.notes)
            .map(|_| self.notes.clone());
        self.select(id);
        if let Some(draft) = draft {
            self.notes = draft;
        }
    }
}

/// An address as the window shows it: a server's without its password.
fn redacted(address: &Path) -> String {
    let text = address.display().to_string();
    match text.split_once("://") {
        Some((scheme, rest)) => match rest.split_once('@') {
            Some((login, host)) => {
                let user = login.split(':').next().unwrap_or("");
                format!("{scheme}://{user}@{host}")
            }
            None => text,
        },
        None => text,
    }
}
