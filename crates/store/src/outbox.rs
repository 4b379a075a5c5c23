//! A bench's outbox: runs finished while the shop server could not be reached, kept in a small
//! SQLite file on the bench until the server answers, then delivered exactly once.
//!
//! Each run is written to the file (one transaction) before the bench says it is kept, so
//! closing the window or a power cut loses nothing. Delivery saves the run on the server under
//! the origin every save gives a run (`run/<digest of its ticket, report and times>`; a ticket
//! it opens `intake/<digest of the report and times>`), then deletes the entry here. A
//! delivery cut short between the two, or a run whose direct save reached the server although
//! its answer was lost, is found on the server by its origin: never saved twice.

use std::path::{Path, PathBuf};

use diagnosis::Report;

use crate::db::{Conn, args};
use crate::{NewTicket, Result, RunRecord, Store, StoreError};

/// A run waiting for the server.
#[derive(Debug, Clone, PartialEq)]
pub struct OutboxRun {
    /// The server's ticket it belongs to; `None`: open a ticket for the board (by its serial)
    /// when delivered.
    pub ticket: Option<i64>,
    /// The engine's report.
    pub report: Report,
    /// Chips of a retest; `None` for a full run.
    pub retest_chips: Option<Vec<usize>>,
    /// When it started, unix seconds.
    pub started_at: i64,
    /// When it ended.
    pub ended_at: i64,
    /// Who ran it.
    pub operator: String,
    /// The board's profile id (for a ticket opened on delivery).
    pub model: String,
}

impl OutboxRun {
    /// The run as the store saves it.
    #[must_use]
    pub fn record(&self) -> RunRecord<'_> {
        RunRecord {
            report: &self.report,
            started_at: self.started_at,
            ended_at: self.ended_at,
            operator: self.operator.clone(),
            retest_chips: self.retest_chips.clone(),
        }
    }
}

/// One delivered run: the outbox entry, and the ticket and run it became on the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Delivered {
    /// The entry (gone from the outbox now).
    pub entry: i64,
    /// The ticket on the server.
    pub ticket: i64,
    /// The run on the server.
    pub run: i64,
}

/// The outbox file.
#[derive(Debug)]
pub struct Outbox {
    conn: Conn,
    path: PathBuf,
}

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS outbox (
    id          INTEGER PRIMARY KEY,
    ticket      INTEGER,
    report      TEXT NOT NULL,
    retest      TEXT,
    started_at  INTEGER NOT NULL,
    ended_at    INTEGER NOT NULL,
    operator    TEXT NOT NULL,
    model       TEXT NOT NULL,
    serial      TEXT,                   -- the board's identity and the telemetry are not in
    board_code  TEXT,                   -- the report's JSON: kept beside it
    telemetry   TEXT NOT NULL,
    queued_at   INTEGER NOT NULL
);
";

impl Outbox {
    /// Open (or create) the outbox at `path`.
    pub fn open(path: &Path) -> Result<Outbox> {
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(|source| StoreError::Io {
                path: parent.to_path_buf(),
                what: "creating the outbox folder",
                source,
            })?;
        }
        let sql = |e| StoreError::from_sql(path, e);
        let conn = rusqlite::Connection::open(path).map_err(sql)?;
        conn.busy_timeout(std::time::Duration::from_secs(5))
            .map_err(sql)?;
        conn.pragma_update(None, "synchronous", "FULL")
            .map_err(sql)?;
        conn.execute_batch(&format!("BEGIN IMMEDIATE; {SCHEMA} COMMIT;"))
            .map_err(sql)?;
        Ok(Outbox {
            conn: Conn::Sqlite(conn),
            path: path.to_path_buf(),
        })
    }

    /// The file.
    #[must_use]
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Keep `run` until the server answers; returns its entry number.
    pub fn put(&mut self, run: &OutboxRun) -> Result<i64> {
        let report = serde_json::to_string(&run.report)
            .map_err(|e| StoreError::Invalid(format!("the report cannot be kept: {e}")))?;
        let retest = run
            .retest_chips
            .as_ref()
            .map(serde_json::to_string)
            .transpose()
            .map_err(|e| StoreError::Invalid(format!("retest chips: {e}")))?;
        let telemetry = serde_json::to_string(&crate::Telemetry::from_report(&run.report))
            .map_err(|e| StoreError::Invalid(format!("the telemetry cannot be kept: {e}")))?;
        self.conn
            .insert(
                "INSERT INTO outbox (ticket, report, retest, started_at, ended_at, operator, model, \
                 serial, board_code, telemetry, queued_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
                args![
                    run.ticket,
                    report,
                    retest,
                    run.started_at,
                    run.ended_at,
                    &run.operator,
                    &run.model,
                    &run.report.board.serial,
                    &run.report.board.board_code,
                    telemetry,
                    crate::now()
                ],
            )
            .map_err(|e| self.err(e))
    }

    /// How many runs wait.
    pub fn waiting(&self) -> Result<u64> {
        self.conn
            .query_one("SELECT count(*) FROM outbox", args![])
            .and_then(|r| r.get(0))
            .map_err(|e| self.err(e))
    }

    /// The runs waiting, oldest first, with their entry numbers.
    pub fn runs(&self) -> Result<Vec<(i64, OutboxRun)>> {
        Ok(self
            .entries()?
            .into_iter()
            .map(|(id, run, _)| (id, run))
            .collect())
    }

    /// The runs waiting with their downsampled telemetry (JSON, as the store keeps it).
    fn entries(&self) -> Result<Vec<(i64, OutboxRun, String)>> {
        let rows = self
            .conn
            .query(
                "SELECT id, ticket, report, retest, started_at, ended_at, operator, model, \
                 serial, board_code, telemetry FROM outbox ORDER BY id",
                args![],
            )
            .map_err(|e| self.err(e))?;
        let mut runs = Vec::with_capacity(rows.len());
        for r in rows {
            let read = || -> std::result::Result<(i64, OutboxRun, String), String> {
                let field = |e: crate::db::DbError| e.to_string();
                let id: i64 = r.get(0).map_err(field)?;
                let report: String = r.get(2).map_err(field)?;
                let retest: Option<String> = r.get(3).map_err(field)?;
                let mut report: Report =
                    serde_json::from_str(&report).map_err(|e| format!("report: {e}"))?;
                report.board.serial = r.get(8).map_err(field)?;
                report.board.board_code = r.get(9).map_err(field)?;
                Ok((
                    id,
                    OutboxRun {
                        ticket: r.get(1).map_err(field)?,
                        report,
                        retest_chips: retest
                            .as_deref()
                            .map(serde_json::from_str)
                            .transpose()
                            .map_err(|e| format!("retest: {e}"))?,
                        started_at: r.get(4).map_err(field)?,
                        ended_at: r.get(5).map_err(field)?,
                        operator: r.get(6).map_err(field)?,
                        model: r.get(7).map_err(field)?,
                    },
                    r.get(10).map_err(field)?,
                ))
            };
            let id: i64 = r.get(0).unwrap_or(0);
            runs.push(read().map_err(|problem| StoreError::BadRow {
                path: self.path.clone(),
                table: "outbox",
                id,
                problem,
            })?);
        }
        Ok(runs)
    }

    /// Deliver every waiting run to `target`, oldest first, each exactly once (see the
    /// module's notes). Stops at the first run that cannot be delivered (the server went
    /// away again): what was delivered before it is gone from the outbox, it and the rest
    /// wait. Returns what was delivered.
    pub fn deliver(&mut self, target: &mut Store) -> Result<Vec<Delivered>> {
        let mut delivered = Vec::new();
        for (entry, run, telemetry) in self.entries()? {
            // The intake and the run carry the origins a direct save gives them: one that
            // reached the server although its answer was lost is found, not saved again.
            let ticket = match run.ticket {
                Some(t) => t,
                None => target.create_ticket_for_run(
                    &NewTicket::for_run(&run.report, &run.model, &run.operator, run.started_at),
                    &run.record(),
                )?,
            };
            let saved = target.save_run_from(ticket, &run.record(), Some(&telemetry))?;
            self.conn
                .execute("DELETE FROM outbox WHERE id = ?1", args![entry])
                .map_err(|e| self.err(e))?;
            delivered.push(Delivered {
                entry,
                ticket,
                run: saved,
            });
        }
        Ok(delivered)
    }

    fn err(&self, e: crate::db::DbError) -> StoreError {
        StoreError::from_db(&self.path, e)
    }
}
