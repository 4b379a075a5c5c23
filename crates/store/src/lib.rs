//! The shop's repair records: boards, tickets, every diagnosis run with its chip results and
//! telemetry, repair actions, board EEPROM images (backups and writes), meter readings at test
//! points, board history, shop statistics and the repair-history CSV.
//!
//! Owns: the SQLite file (schema, migrations, WAL, foreign keys), what is written to it and how
//! it is read back, and the CSV export. Every write is one transaction, so a killed process
//! leaves either the whole record or none of it. Does not: run diagnoses, decide verdicts, draw
//! anything or choose where the file lives (the app passes the path).

mod bench;
mod codes;
mod eeprom;
mod error;
mod export;
mod history;
mod readings;
mod schema;
mod tickets;
pub mod time;

use std::path::{Path, PathBuf};

pub use bench::Populated;
pub use codes::{Action, Status};
pub use eeprom::{EepromImage, ImageKind};
pub use error::StoreError;
pub use export::{EXPORT_COLUMNS, EXPORT_SQL, ExportFilter, neutralise};
pub use history::{BoardHistory, Count, RepeatFailure, Stats, TicketHistory};
pub use readings::{At, NewReading, Reading};
pub use tickets::{
    Board, NewRepair, NewTicket, Repair, RunRecord, RunSummary, StoredRun, Telemetry, TempSample,
    Ticket, TicketFilter, TicketSort, Verification, VoltageSample,
};

use rusqlite::Connection;

/// Result of store operations.
pub type Result<T> = std::result::Result<T, StoreError>;

/// How long a write waits for another Hashbench writing the same file before giving up.
const BUSY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

/// An open repair database.
#[derive(Debug)]
pub struct Store {
    conn: Connection,
    path: PathBuf,
    /// Passing full-board runs after the last repair a ticket needs to close `done`.
    required_passes: u32,
}

/// Passing full-board runs after the last repair a ticket needs before it closes `done`, unless
/// the shop sets another number: a repaired board passes twice (Bitmain's and Innosilicon's
/// repair guides ask for two passes before aging).
pub const DEFAULT_REQUIRED_PASSES: u32 = 2;

impl Store {
    /// Open (or create) the database at `path`, creating its folder. A database from an older
    /// Hashbench is copied to `<path>.schema-v<N>.bak` and migrated; one from a newer Hashbench
    /// is refused.
    pub fn open(path: &Path) -> Result<Store> {
        Self::open_with_timeout(path, BUSY_TIMEOUT)
    }

    /// [`Store::open`] with another wait for a busy file.
    pub fn open_with_timeout(path: &Path, busy: std::time::Duration) -> Result<Store> {
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(|source| StoreError::Io {
                path: parent.to_path_buf(),
                what: "creating the database folder",
                source,
            })?;
        }
        let conn = Connection::open(path).map_err(|e| StoreError::from_sql(path, e))?;
        let mut store = Store {
            conn,
            path: path.to_path_buf(),
            required_passes: DEFAULT_REQUIRED_PASSES,
        };
        store
            .conn
            .busy_timeout(busy)
            .map_err(|e| StoreError::from_sql(path, e))?;
        schema::prepare(&mut store.conn, path, busy)?;
        Ok(store)
    }

    /// The file this store reads and writes.
    #[must_use]
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The schema version of the open file.
    pub fn schema_version(&self) -> Result<u32> {
        schema::version(&self.conn).map_err(|e| self.err(e))
    }

    /// `PRAGMA integrity_check`: `ok`, or what SQLite found wrong.
    pub fn integrity_check(&self) -> Result<String> {
        let rows: Vec<String> = {
            let mut stmt = self
                .conn
                .prepare("PRAGMA integrity_check")
                .map_err(|e| self.err(e))?;
            stmt.query_map([], |r| r.get(0))
                .map_err(|e| self.err(e))?
                .collect::<rusqlite::Result<_>>()
                .map_err(|e| self.err(e))?
        };
        Ok(rows.join("; "))
    }

    fn err(&self, e: rusqlite::Error) -> StoreError {
        StoreError::from_sql(&self.path, e)
    }
}

/// Now, in seconds since 1970-01-01 UTC.
#[must_use]
pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A full disk: SQLite answers SQLITE_FULL, here forced by capping the file's pages.
    #[test]
    fn a_full_disk_is_said_plainly_and_loses_nothing_committed() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("shop.db");
        let mut store = Store::open(&path).unwrap();
        let new = |i: usize| NewTicket {
            serial: Some(format!("SN{i}")),
            model: "s19jpro".into(),
            customer: "x".repeat(2000),
            ..NewTicket::default()
        };
        let first = store.create_ticket(&new(0)).unwrap();
        let pages: u64 = store
            .conn
            .pragma_query_value(None, "page_count", |r| r.get(0))
            .unwrap();
        store
            .conn
            .pragma_update(None, "max_page_count", pages + 1)
            .unwrap();
        let err = (1..50)
            .map(|i| store.create_ticket(&new(i)))
            .find_map(Result::err)
            .expect("the capped file fills up");
        assert!(matches!(err, StoreError::DiskFull { .. }), "{err}");
        assert!(
            err.to_string()
                .contains("the disk is full; nothing of this change was written")
        );
        drop(store);
        let store = Store::open(&path).unwrap();
        assert_eq!(store.ticket(first).unwrap().customer.len(), 2000);
        assert_eq!(store.integrity_check().unwrap(), "ok");
    }
}
