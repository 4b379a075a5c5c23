//! The repair-history CSV: one row per repair action and one per closed ticket (RFC 4180,
//! UTF-8), for billing and the shop's own spreadsheets.

use std::borrow::Cow;
use std::io::Write;

use rusqlite::types::ValueRef;

use crate::codes::Status;
use crate::{Result, Store};

/// The CSV's columns, in order (documented in the README).
pub const EXPORT_COLUMNS: [&str; 23] = [
    "record",
    "ticket",
    "serial",
    "model",
    "board_code",
    "customer",
    "symptom",
    "status",
    "technician",
    "intake_utc",
    "closed_utc",
    "time_spent_min",
    "runs",
    "first_verdict",
    "last_verdict",
    "chip",
    "uref",
    "action",
    "part",
    "action_technician",
    "action_utc",
    "action_minutes",
    "notes",
];

/// The query behind the export. Its parameters `:since`, `:until` (unix seconds) and `:status`
/// are NULL when not filtering; the benchmark hands the same text to `sqlite3 -csv`.
pub const EXPORT_SQL: &str = "
WITH verdicts AS (
  SELECT t.id AS ticket,
    (SELECT count(*) FROM runs r WHERE r.ticket_id = t.id) AS runs,
    (SELECT r.verdict FROM runs r WHERE r.ticket_id = t.id ORDER BY r.started_at, r.id LIMIT 1) AS first_verdict,
    (SELECT r.verdict FROM runs r WHERE r.ticket_id = t.id ORDER BY r.started_at DESC, r.id DESC LIMIT 1) AS last_verdict
  FROM tickets t
)
SELECT record, ticket, serial, model, board_code, customer, symptom, status, technician,
       intake_utc, closed_utc, time_spent_min, runs, first_verdict, last_verdict, chip, uref,
       action, part, action_technician, action_utc, action_minutes, notes
FROM (
  SELECT 'repair' AS record, t.id AS ticket, b.serial, b.model, b.board_code, t.customer, t.symptom,
         t.status, t.technician,
         strftime('%Y-%m-%dT%H:%M:%SZ', t.intake_at, 'unixepoch') AS intake_utc,
         strftime('%Y-%m-%dT%H:%M:%SZ', t.closed_at, 'unixepoch') AS closed_utc,
         t.time_spent_s / 60 AS time_spent_min, v.runs, v.first_verdict, v.last_verdict,
         a.chip, a.uref, a.action, a.part, a.technician AS action_technician,
         strftime('%Y-%m-%dT%H:%M:%SZ', a.at, 'unixepoch') AS action_utc, a.minutes AS action_minutes,
         a.notes, 0 AS kind, a.at AS sort_at, a.id AS sort_id
  FROM repair_actions a JOIN tickets t ON t.id = a.ticket_id JOIN boards b ON b.id = t.board_id
       JOIN verdicts v ON v.ticket = t.id
  WHERE (:since IS NULL OR a.at >= :since) AND (:until IS NULL OR a.at < :until)
    AND (:status IS NULL OR t.status = :status)
  UNION ALL
  SELECT 'ticket', t.id, b.serial, b.model, b.board_code, t.customer, t.symptom, t.status, t.technician,
         strftime('%Y-%m-%dT%H:%M:%SZ', t.intake_at, 'unixepoch'),
         strftime('%Y-%m-%dT%H:%M:%SZ', t.closed_at, 'unixepoch'),
         t.time_spent_s / 60, v.runs, v.first_verdict, v.last_verdict,
         NULL, NULL, NULL, NULL, NULL, NULL, NULL, t.notes, 1, t.closed_at, t.id
  FROM tickets t JOIN boards b ON b.id = t.board_id JOIN verdicts v ON v.ticket = t.id
  WHERE t.closed_at IS NOT NULL
    AND (:since IS NULL OR t.closed_at >= :since) AND (:until IS NULL OR t.closed_at < :until)
    AND (:status IS NULL OR t.status = :status)
)
ORDER BY ticket, kind, sort_at, sort_id
";

/// Which rows to export. Repair actions are chosen by when they were done, tickets by when
/// they were closed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ExportFilter {
    /// At or after (unix seconds).
    pub since: Option<i64>,
    /// Before (unix seconds).
    pub until: Option<i64>,
    /// Only tickets with this status.
    pub status: Option<Status>,
}

/// A cell a spreadsheet would run as a formula (`=`, `+`, `-`, `@`, tab, CR first) gets a
/// leading `'`, so it shows as the text it is.
#[must_use]
pub fn neutralise(cell: &str) -> Cow<'_, str> {
    match cell.as_bytes().first() {
        Some(b'=' | b'+' | b'-' | b'@' | b'\t' | b'\r') => Cow::Owned(format!("'{cell}")),
        _ => Cow::Borrowed(cell),
    }
}

impl Store {
    /// Write the repair history as CSV to `out`; returns the number of data rows.
    pub fn export_csv(&self, out: impl Write, filter: &ExportFilter) -> Result<u64> {
        let mut csv = csv::WriterBuilder::new()
            .terminator(csv::Terminator::CRLF)
            .from_writer(out);
        csv.write_record(EXPORT_COLUMNS)?;
        let mut stmt = self.conn.prepare(EXPORT_SQL).map_err(|e| self.err(e))?;
        let status = filter.status.map(Status::name);
        let mut rows = stmt
            .query(rusqlite::named_params! {
                ":since": filter.since,
                ":until": filter.until,
                ":status": status,
            })
            .map_err(|e| self.err(e))?;
        let mut count = 0;
        let mut number = itoa_buffer();
        while let Some(row) = rows.next().map_err(|e| self.err(e))? {
            for i in 0..EXPORT_COLUMNS.len() {
                let cell = row.get_ref(i).map_err(|e| self.err(e))?;
                match cell {
                    ValueRef::Null => csv.write_field("")?,
                    ValueRef::Integer(n) => {
                        number.clear();
                        use std::fmt::Write as _;
                        let _ = write!(number, "{n}");
                        csv.write_field(&number)?;
                    }
                    ValueRef::Real(x) => csv.write_field(x.to_string())?,
                    ValueRef::Text(bytes) | ValueRef::Blob(bytes) => {
                        csv.write_field(neutralise(&String::from_utf8_lossy(bytes)).as_bytes())?;
                    }
                }
            }
            csv.write_record(None::<&[u8]>)?;
            count += 1;
        }
        csv.flush().map_err(|e| crate::StoreError::Csv(e.into()))?;
        Ok(count)
    }
}

impl Store {
    /// Export to the file at `path`: written beside it first and renamed into place, so a
    /// failed export never leaves half a file where the old one was.
    pub fn export_csv_file(&self, path: &std::path::Path, filter: &ExportFilter) -> Result<u64> {
        let partial = path.with_extension("csv.partial");
        let io = |what, source| crate::StoreError::Io {
            path: partial.clone(),
            what,
            source,
        };
        let file = std::fs::File::create(&partial).map_err(|e| io("creating the CSV", e))?;
        let rows = match self.export_csv(std::io::BufWriter::new(file), filter) {
            Ok(rows) => rows,
            Err(e) => {
                let _ = std::fs::remove_file(&partial);
                return Err(e);
            }
        };
        std::fs::rename(&partial, path).map_err(|source| crate::StoreError::Io {
            path: path.to_path_buf(),
            what: "moving the CSV into place",
            source,
        })?;
        Ok(rows)
    }
}

fn itoa_buffer() -> String {
    String::with_capacity(24)
}
