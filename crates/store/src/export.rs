//! The repair-history CSV: one row per repair action and one per closed ticket (RFC 4180,
//! UTF-8), for billing and the shop's own spreadsheets.

use std::borrow::Cow;
use std::io::Write;

use crate::codes::Status;
use crate::db::{DbError, Engine, Value, args};
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

/// The query behind the export, with `UTC(x)` where a time is written as ISO 8601 UTC text.
/// Its parameters `?1` since, `?2` until (unix seconds) and `?3` status are NULL when not
/// filtering.
const EXPORT_TEMPLATE: &str = "
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
         UTC(t.intake_at) AS intake_utc,
         UTC(t.closed_at) AS closed_utc,
         t.time_spent_s / 60 AS time_spent_min, v.runs, v.first_verdict, v.last_verdict,
         a.chip, a.uref, a.action, a.part, a.technician AS action_technician,
         UTC(a.at) AS action_utc, a.minutes AS action_minutes,
         a.notes, 0 AS kind, a.at AS sort_at, a.id AS sort_id
  FROM repair_actions a JOIN tickets t ON t.id = a.ticket_id JOIN boards b ON b.id = t.board_id
       JOIN verdicts v ON v.ticket = t.id
  WHERE (CAST(?1 AS BIGINT) IS NULL OR a.at >= ?1) AND (CAST(?2 AS BIGINT) IS NULL OR a.at < ?2)
    AND (CAST(?3 AS TEXT) IS NULL OR t.status = ?3)
  UNION ALL
  SELECT 'ticket', t.id, b.serial, b.model, b.board_code, t.customer, t.symptom, t.status, t.technician,
         UTC(t.intake_at),
         UTC(t.closed_at),
         t.time_spent_s / 60, v.runs, v.first_verdict, v.last_verdict,
         NULL, NULL, NULL, NULL, NULL, NULL, NULL, t.notes, 1, t.closed_at, t.id
  FROM tickets t JOIN boards b ON b.id = t.board_id JOIN verdicts v ON v.ticket = t.id
  WHERE t.closed_at IS NOT NULL
    AND (CAST(?1 AS BIGINT) IS NULL OR t.closed_at >= ?1) AND (CAST(?2 AS BIGINT) IS NULL OR t.closed_at < ?2)
    AND (CAST(?3 AS TEXT) IS NULL OR t.status = ?3)
) AS records
ORDER BY ticket, kind, sort_at, sort_id
";

/// The export query for `engine`: the same query, with each engine's way of writing a time.
/// The benchmark hands the SQLite text to `sqlite3 -csv` (unbound parameters are NULL there).
#[must_use]
pub fn export_sql(engine: Engine) -> String {
    let mut out = String::with_capacity(EXPORT_TEMPLATE.len() + 512);
    let mut rest = EXPORT_TEMPLATE;
    while let Some(at) = rest.find("UTC(") {
        out.push_str(&rest[..at]);
        let after = &rest[at + 4..];
        let Some(end) = after.find(')') else {
            break;
        };
        let column = &after[..end];
        match engine {
            Engine::Sqlite => {
                out.push_str("strftime('%Y-%m-%dT%H:%M:%SZ', ");
                out.push_str(column);
                out.push_str(", 'unixepoch')");
            }
            Engine::Postgres => {
                out.push_str("to_char(to_timestamp(");
                out.push_str(column);
                out.push_str(") AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')");
            }
        }
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    out
}

/// What stops an export half-way: the database, or the CSV's writer.
enum ExportError {
    Db(DbError),
    Csv(csv::Error),
}

impl From<DbError> for ExportError {
    fn from(e: DbError) -> ExportError {
        ExportError::Db(e)
    }
}

impl From<csv::Error> for ExportError {
    fn from(e: csv::Error) -> ExportError {
        ExportError::Csv(e)
    }
}

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
        let status = filter.status.map(Status::name);
        let mut count = 0;
        let mut number = String::with_capacity(24);
        self.conn
            .for_each(
                &export_sql(self.engine()),
                args![filter.since, filter.until, status],
                |row| {
                    for i in 0..EXPORT_COLUMNS.len() {
                        match row.value(i) {
                            Value::Null => csv.write_field("")?,
                            Value::Int(n) => {
                                number.clear();
                                use std::fmt::Write as _;
                                let _ = write!(number, "{n}");
                                csv.write_field(&number)?;
                            }
                            Value::Real(x) => csv.write_field(x.to_string())?,
                            Value::Text(text) => csv.write_field(neutralise(text).as_bytes())?,
                            Value::Blob(bytes) => csv.write_field(
                                neutralise(&String::from_utf8_lossy(bytes)).as_bytes(),
                            )?,
                        }
                    }
                    csv.write_record(None::<&[u8]>)?;
                    count += 1;
                    Ok::<_, ExportError>(())
                },
            )
            .map_err(|e| match e {
                ExportError::Db(e) => self.err(e),
                ExportError::Csv(e) => crate::StoreError::Csv(e),
            })?;
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
