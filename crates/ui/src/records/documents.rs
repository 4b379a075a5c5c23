//! The records' documents: the ticket's report and label as PDF (saved, opened, printed), the
//! shop statistics as PDF, the repair-history CSV, the native save dialog they share, and the
//! named threads that do slow work off the UI thread.

use super::*;

impl Records {
    pub(super) fn export_filter(&self) -> Result<ExportFilter, String> {
        Ok(ExportFilter {
            since: parse_day(&self.since, false)?,
            until: parse_day(&self.until, true)?,
            status: self.filter.status,
        })
    }

    /// Ask where to save the CSV.
    pub(super) fn ask_export(&mut self) {
        if self.export.is_some() {
            return;
        }
        match save_dialog(
            "Export repair history",
            "CSV",
            "csv",
            "repair-history.csv".into(),
        ) {
            Ok(rx) => self.export = Some(rx),
            Err(e) => self.error = Some(e),
        }
    }

    /// The ticket's report as PDF bytes.
    pub(super) fn pdf(&self, ticket: i64, catalog: &Catalog) -> Result<Vec<u8>, String> {
        let Some(store) = &self.store else {
            return Err("No repair database: there is no ticket to report on.".into());
        };
        report::ticket_pdf(
            store,
            catalog,
            ticket,
            None,
            self.paper,
            &self.shop,
            store::now(),
        )
        .map_err(|e| format!("The report could not be made: {e}"))
    }

    /// Write the ticket's report to a file in the temporary folder, for a viewer or the printer.
    pub(super) fn temp_pdf(&mut self, ticket: i64, catalog: &Catalog) -> Option<PathBuf> {
        let path = std::env::temp_dir().join(format!("hashbench-ticket-{ticket}.pdf"));
        let written = self.pdf(ticket, catalog).and_then(|pdf| {
            std::fs::write(&path, pdf).map_err(|e| format!("cannot write {}: {e}", path.display()))
        });
        match written {
            Ok(()) => Some(path),
            Err(e) => {
                self.error = Some(e);
                None
            }
        }
    }

    /// Ticket `ticket`'s label as a PDF in the temporary folder, for the spooler.
    pub(super) fn temp_label(&mut self, ticket: i64) -> Option<PathBuf> {
        let path = std::env::temp_dir().join(format!("hashbench-label-{ticket}.pdf"));
        let made = match &self.store {
            Some(store) => store
                .ticket(ticket)
                .map_err(|e| e.to_string())
                .and_then(|t| {
                    report::label_pdf(&t, &self.shop, store::now()).map_err(|e| e.to_string())
                })
                .and_then(|pdf| {
                    std::fs::write(&path, pdf)
                        .map_err(|e| format!("cannot write {}: {e}", path.display()))
                }),
            None => Err("No repair database: there is no ticket to label.".into()),
        };
        match made {
            Ok(()) => Some(path),
            Err(e) => {
                self.error = Some(format!("The label: {e}"));
                None
            }
        }
    }

    /// Run `job` on a named thread; its outcome shows in the status line.
    pub(crate) fn background(
        &mut self,
        name: &str,
        job: impl FnOnce() -> Result<String, String> + Send + 'static,
    ) {
        let (tx, rx) = std::sync::mpsc::channel();
        match std::thread::Builder::new()
            .name(name.into())
            .spawn(move || {
                let _ = tx.send(job());
            }) {
            Ok(_) => self.outcomes.push(rx),
            Err(e) => self.error = Some(format!("Could not start {name}: {e}")),
        }
    }

    /// Ask where to save the ticket's report.
    pub(super) fn ask_pdf(&mut self, ticket: i64) {
        if self.pdf_dialog.is_some() {
            return;
        }
        let name = format!("hashbench-ticket-{ticket}.pdf");
        match save_dialog("Save the diagnostic report", "PDF", "pdf", name) {
            Ok(rx) => self.pdf_dialog = Some((ticket, rx)),
            Err(e) => self.error = Some(e),
        }
    }

    pub(super) fn save_pdf(&mut self, ticket: i64, path: &Path, catalog: &Catalog) {
        let written = self
            .pdf(ticket, catalog)
            .and_then(|pdf| write_whole(path, &pdf));
        match written {
            Ok(()) => {
                self.error = None;
                self.note = Some(format!(
                    "Report of ticket #{ticket} saved to {}",
                    path.display()
                ));
            }
            Err(e) => self.error = Some(e),
        }
    }

    /// Write the statistics shown, with their charts, as PDF to `path`.
    pub(super) fn save_stats_pdf(&mut self, path: &Path, catalog: &Catalog) {
        let Some(stats) = &self.stats else {
            self.error = Some("Open Statistics first: there are no statistics to save.".into());
            return;
        };
        let input = report::StatsInput {
            shop: &self.shop,
            stats,
            catalog,
            app_version: env!("CARGO_PKG_VERSION"),
            generated_at: store::now(),
            paper: self.paper,
        };
        let written = report::stats_pdf(&input)
            .map_err(|e| format!("The statistics could not be made: {e}"))
            .and_then(|pdf| write_whole(path, &pdf));
        match written {
            Ok(()) => {
                self.error = None;
                self.note = Some(format!("Statistics saved to {}", path.display()));
            }
            Err(e) => self.error = Some(e),
        }
    }

    /// Export the repair history (with the list's status and date filters) to `path`.
    pub(super) fn export_to(&mut self, path: &Path) {
        let Some(store) = &self.store else { return };
        let filter = match self.export_filter() {
            Ok(f) => f,
            Err(e) => {
                self.error = Some(e);
                return;
            }
        };
        let written = store.export_csv_file(path, &filter);
        match written {
            Ok(rows) => {
                self.error = None;
                self.note = Some(format!("{rows} rows exported to {}", path.display()));
            }
            Err(e) => self.error = Some(format!("Export failed: {e}")),
        }
    }
}

/// Write `bytes` to `path` whole or not at all (a `.partial` file beside it, then renamed).
pub(crate) fn write_whole(path: &Path, bytes: &[u8]) -> Result<(), String> {
    let mut partial = path.as_os_str().to_owned();
    partial.push(".partial");
    let partial = PathBuf::from(partial);
    std::fs::write(&partial, bytes)
        .and_then(|()| std::fs::rename(&partial, path))
        .map_err(|e| format!("cannot write {}: {e}", path.display()))
}

/// A native save dialog on its own thread, so the window keeps drawing; the chosen path (or
/// `None` when cancelled) arrives on the receiver.
pub(crate) fn save_dialog(
    title: &'static str,
    kind: &'static str,
    extension: &'static str,
    name: String,
) -> Result<Receiver<Option<PathBuf>>, String> {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::Builder::new()
        .name("save-dialog".into())
        .spawn(move || {
            let chosen = rfd::FileDialog::new()
                .set_title(title)
                .add_filter(kind, &[extension])
                .set_file_name(name)
                .save_file();
            let _ = tx.send(chosen);
        })
        .map(|_| rx)
        .map_err(|e| format!("Could not open the save dialog: {e}"))
}
