//! The shop's repair records: boards, tickets, every diagnosis run with its chip results and
//! telemetry, repair actions, board EEPROM images (backups and writes), meter readings at test
//! points, board history, shop statistics and the repair-history CSV.
//!
//! Owns: the database, on either of two engines behind one interface: a SQLite file (the
//! bench's own; WAL, foreign keys) or the shop's PostgreSQL server (shared by its benches);
//! the schema and its migrations on both, what is written and how it is read back, and the CSV
//! export. Every write is one transaction, so a killed process or a lost server leaves either
//! the whole record or none of it. Does not: run diagnoses, decide verdicts, draw anything or
//! choose where the database is (the app passes the path or the server's address).

mod bench;
mod codes;
mod db;
mod eeprom;
mod error;
mod export;
mod history;
mod outbox;
mod push;
mod readings;
mod schema;
pub mod server;
mod tickets;
pub mod time;

use std::path::{Path, PathBuf};

pub use bench::Populated;
pub use codes::{Action, Status};
pub use eeprom::{EepromImage, ImageKind};
pub use error::StoreError;
pub use export::{EXPORT_COLUMNS, ExportFilter, export_sql, neutralise};
pub use history::{BoardHistory, Count, RepeatFailure, Stats, TicketHistory};
pub use outbox::{Delivered, Outbox, OutboxRun};
pub use push::Pushed;
pub use readings::{At, NewReading, Reading};
pub use tickets::{
    Board, NewRepair, NewTicket, Repair, RunRecord, RunSummary, StoredRun, Telemetry, TempSample,
    Ticket, TicketFilter, TicketSort, Verification, VoltageSample,
};

use db::Conn;
pub use db::{CA_ENV, Engine};

/// Result of store operations.
pub type Result<T> = std::result::Result<T, StoreError>;

/// How long a write waits for another Hashbench writing the same file (or the same rows on
/// the server) before giving up.
const BUSY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

/// How long connecting to the shop server may take before the bench says it cannot reach it.
const CONNECT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

/// An open repair database: a SQLite file, or the shop's PostgreSQL server.
#[derive(Debug)]
pub struct Store {
    conn: Conn,
    /// The file, or the server's address without its password: what errors name.
    path: PathBuf,
    /// Passing full-board runs after the last repair a ticket needs to close `done`.
    required_passes: u32,
}

/// Passing full-board runs after the last repair a ticket needs before it closes `done`, unless
/// the shop sets another number: a repaired board passes twice (Bitmain's and Innosilicon's
/// repair guides ask for two passes before aging).
pub const DEFAULT_REQUIRED_PASSES: u32 = 2;

/// True when `db` (as given to `--db`) is a PostgreSQL server's address rather than a file.
#[must_use]
pub fn is_server_address(db: &str) -> bool {
    let db = db.trim_start();
    db.starts_with("postgres://") || db.starts_with("postgresql://")
}

impl Store {
    /// Open the database at `path`: a SQLite file (created with its folder when missing), or,
    /// when `path` is a `postgres://` address, the shop's server ([`Store::connect`]). A file
    /// from an older Hashbench is copied to `<path>.schema-v<N>.bak` and migrated; one from a
    /// newer Hashbench is refused.
    pub fn open(path: &Path) -> Result<Store> {
        Self::open_with_timeout(path, BUSY_TIMEOUT)
    }

    /// [`Store::open`] with another wait for a busy file (or locked rows on a server).
    pub fn open_with_timeout(path: &Path, busy: std::time::Duration) -> Result<Store> {
        if let Some(address) = path.to_str().filter(|p| is_server_address(p)) {
            return Self::connect_with_timeout(address, busy);
        }
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(|source| StoreError::Io {
                path: parent.to_path_buf(),
                what: "creating the database folder",
                source,
            })?;
        }
        let mut conn =
            rusqlite::Connection::open(path).map_err(|e| StoreError::from_sql(path, e))?;
        conn.busy_timeout(busy)
            .map_err(|e| StoreError::from_sql(path, e))?;
        schema::prepare(&mut conn, path, busy)?;
        Ok(Store {
            conn: Conn::Sqlite(conn),
            path: path.to_path_buf(),
            required_passes: DEFAULT_REQUIRED_PASSES,
        })
    }

    /// Connect to the shop's PostgreSQL server at `address` (a `postgres://user:password@host/db`
    /// URL or a `key=value` connection string), creating or migrating its schema.
    pub fn connect(address: &str) -> Result<Store> {
        Self::connect_with_timeout(address, BUSY_TIMEOUT)
    }

    fn connect_with_timeout(address: &str, busy: std::time::Duration) -> Result<Store> {
        let mut config: postgres::Config = address.trim().parse().map_err(|e| {
            StoreError::Invalid(format!(
                "`{}` is not a PostgreSQL address ({e}); give postgres://USER@HOST/DATABASE",
                redact(address)
            ))
        })?;
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(CONNECT_TIMEOUT);
        }
        config.application_name("hashbench");
        // A server that stops answering mid-statement (network lost) is given up after this
        // long, rather than holding the bench until TCP gives up by itself.
        config.tcp_user_timeout(CONNECT_TIMEOUT * 2);
        config.keepalives(true).keepalives_idle(CONNECT_TIMEOUT * 2);
        let place = PathBuf::from(server_name(&config));
        // A row another bench is writing blocks this one at most `busy`, then says so.
        let setup = format!(
            "SET lock_timeout = {}; SET TIME ZONE 'UTC'",
            busy.as_millis().max(1)
        );
        let tls = db::tls().map_err(StoreError::Invalid)?;
        let conn = Conn::Postgres(
            db::Server::connect(config, tls, setup)
                .map(Box::new)
                .map_err(|e| StoreError::from_db(&place, e))?,
        );
        schema::prepare_server(&conn, &place)?;
        Ok(Store {
            conn,
            path: place,
            required_passes: DEFAULT_REQUIRED_PASSES,
        })
    }

    /// The file this store reads and writes, or the server's address (without its password).
    #[must_use]
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The engine behind this store.
    #[must_use]
    pub fn engine(&self) -> Engine {
        self.conn.engine()
    }

    /// The schema version of the open database.
    pub fn schema_version(&self) -> Result<u32> {
        match self.conn.sqlite() {
            Some(c) => schema::version(c).map_err(|e| StoreError::from_sql(&self.path, e)),
            None => self
                .conn
                .query_one("SELECT version FROM hashbench_schema", db::args![])
                .and_then(|r| r.get(0))
                .map_err(|e| self.err(e)),
        }
    }

    /// This database's own bench id: where rows pushed from it say they came from.
    pub fn bench_id(&self) -> Result<String> {
        self.conn
            .query_one("SELECT id FROM bench_identity", db::args![])
            .and_then(|r| r.get(0))
            .map_err(|e| self.err(e))
    }

    /// `PRAGMA integrity_check` of a file: `ok`, or what SQLite found wrong. A server checks
    /// its own pages; asked of one, this says so.
    pub fn integrity_check(&self) -> Result<String> {
        if self.conn.sqlite().is_none() {
            return Err(StoreError::Invalid(format!(
                "{}: the integrity check reads a SQLite file; a PostgreSQL server checks its own pages",
                self.path.display()
            )));
        }
        let rows = self
            .conn
            .query("PRAGMA integrity_check", db::args![])
            .map_err(|e| self.err(e))?;
        let lines = rows
            .iter()
            .map(|r| r.get::<String>(0))
            .collect::<std::result::Result<Vec<_>, _>>()
            .map_err(|e| self.err(e))?;
        Ok(lines.join("; "))
    }

    fn err(&self, e: db::DbError) -> StoreError {
        StoreError::from_db(&self.path, e)
    }
}

/// `postgres://user@host:port/database`: the server as errors and the window name it, never
/// with a password.
fn server_name(config: &postgres::Config) -> String {
    let host = config
        .get_hosts()
        .first()
        .map_or_else(String::new, |h| match h {
            postgres::config::Host::Tcp(name) => name.clone(),
            #[cfg(unix)]
            postgres::config::Host::Unix(dir) => dir.display().to_string(),
        });
    let port = config
        .get_ports()
        .first()
        .map_or_else(String::new, |p| format!(":{p}"));
    let user = config
        .get_user()
        .map_or_else(String::new, |u| format!("{u}@"));
    let db = config.get_dbname().unwrap_or("");
    format!("postgres://{user}{host}{port}/{db}")
}

/// An address as typed, with any password replaced by `***`.
fn redact(address: &str) -> String {
    let address = address.trim();
    if let Some((scheme, rest)) = address.split_once("://") {
        if let Some((login, host)) = rest.split_once('@')
            && let Some((user, _)) = login.split_once(':')
        {
            return format!("{scheme}://{user}:***@{host}");
        }
        return address.to_owned();
    }
    address
        .split_whitespace()
        .map(|kv| {
            if kv.starts_with("password=") {
                "password=***"
            } else {
                kv
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// A new run identity for [`diagnosis::report::Provenance::run_id`]: this process's clock in
/// nanoseconds, its id and a count, so no two runs of one bench share one.
#[must_use]
pub fn run_id() -> String {
    static COUNT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let count = COUNT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    format!("{nanos:x}-{:x}-{count}", std::process::id())
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
        let file = store.conn.sqlite().unwrap();
        let pages: u64 = file
            .pragma_query_value(None, "page_count", |r| r.get(0))
            .unwrap();
        file.pragma_update(None, "max_page_count", pages + 1)
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
