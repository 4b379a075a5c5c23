//! What can go wrong with the database, each naming the file.

use std::path::{Path, PathBuf};

use rusqlite::ErrorCode;

use crate::db::DbError;

/// A store error. Every variant names the database: a file, or a server's address (without
/// its password).
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The file is not a SQLite database, or it is damaged.
    #[error(
        "{path} is not a readable Hashbench database ({detail}); restore it from a backup or choose another file with --db"
    )]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// What SQLite said.
        detail: String,
    },
    /// Written by a newer Hashbench.
    #[error(
        "{path} was written by a newer Hashbench (schema version {found}; this one knows up to {supported}); update Hashbench to open it"
    )]
    NewerSchema {
        /// The file.
        path: PathBuf,
        /// Its schema version.
        found: u32,
        /// The newest this build knows.
        supported: u32,
    },
    /// Another process holds the write lock.
    #[error(
        "{path} is busy: another Hashbench is writing to it; finish or close that one and try again (nothing was written)"
    )]
    Busy {
        /// The file.
        path: PathBuf,
    },
    /// The disk is full.
    #[error("{path}: the disk is full; nothing of this change was written")]
    DiskFull {
        /// The file.
        path: PathBuf,
    },
    /// The file or its folder cannot be written.
    #[error("{path} is read-only; nothing of this change was written")]
    ReadOnly {
        /// The file.
        path: PathBuf,
    },
    /// A row holds a value this version cannot read.
    #[error("{path}: {table} row {id}: {problem}")]
    BadRow {
        /// The file.
        path: PathBuf,
        /// Table.
        table: &'static str,
        /// Row id.
        id: i64,
        /// What is wrong with it.
        problem: String,
    },
    /// A ticket, run or board that does not exist.
    #[error("{path}: there is no {what}")]
    NotFound {
        /// The file.
        path: PathBuf,
        /// What was asked for, e.g. `ticket 12`.
        what: String,
    },
    /// A ticket asked to close `done` before enough passing runs after its last repair.
    #[error(
        "ticket {ticket} cannot close as done: {passes} passing full-board run(s) since its last repair (or intake, with none), and the verification policy asks for {required}; diagnose the board again (nothing was changed)"
    )]
    NotVerified {
        /// The ticket.
        ticket: i64,
        /// Passing runs since the last repair.
        passes: u32,
        /// What the policy asks for.
        required: u32,
    },
    /// A value given by the caller that cannot be stored.
    #[error("{0}")]
    Invalid(String),
    /// Any other error of the database.
    #[error("{path}: {detail}")]
    Sql {
        /// The file, or the server's address.
        path: PathBuf,
        /// What the engine said.
        detail: String,
    },
    /// The server cannot be reached, or dropped the connection.
    #[error("{path}: the server cannot be reached ({detail}); nothing of this change was written")]
    Unreachable {
        /// The server's address (without its password).
        path: PathBuf,
        /// What the client said.
        detail: String,
    },
    /// The TLS handshake with the server failed (its certificate is not trusted, say).
    #[error(
        "{path}: no secure connection ({detail}); a shop certificate of its own making needs its CA in {ca}=FILE.pem",
        ca = crate::db::CA_ENV
    )]
    Tls {
        /// The server's address.
        path: PathBuf,
        /// What the TLS library said.
        detail: String,
    },
    /// The server refused the login or the statement to this bench's role.
    #[error(
        "{path}: the server refused this ({detail}); ask the shop's administrator for the role"
    )]
    Denied {
        /// The server's address.
        path: PathBuf,
        /// What the server said.
        detail: String,
    },
    /// A ticket edited on another bench since this one read it: nothing was written, and what
    /// the other bench saved is given back to be shown.
    #[error(
        "ticket {ticket} was changed elsewhere since it was opened (by {by}); nothing was written: look at its current text and save again"
    )]
    Conflict {
        /// The ticket.
        ticket: i64,
        /// Who changed it (its technician field now), for the message.
        by: String,
        /// The ticket as it is now.
        current: Box<crate::Ticket>,
    },
    /// Migrating an older database failed; the copy made before is named.
    #[error(
        "{path}: migrating to schema version {to} failed ({detail}); the file as it was is kept at {backup}"
    )]
    Migration {
        /// The file.
        path: PathBuf,
        /// Target version.
        to: u32,
        /// What went wrong.
        detail: String,
        /// Where the copy is.
        backup: PathBuf,
    },
    /// A file-system error around the database.
    #[error("{path}: {what}: {source}")]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// What was being done.
        what: &'static str,
        /// The OS error.
        source: std::io::Error,
    },
    /// Writing the CSV failed.
    #[error("writing the CSV: {0}")]
    Csv(#[from] csv::Error),
}

impl StoreError {
    /// Classify a SQLite error on `path`.
    pub(crate) fn from_sql(path: &Path, e: rusqlite::Error) -> StoreError {
        let path = path.to_path_buf();
        match e.sqlite_error_code() {
            Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => StoreError::Busy { path },
            Some(ErrorCode::NotADatabase | ErrorCode::DatabaseCorrupt) => StoreError::Corrupt {
                path,
                detail: e.to_string(),
            },
            Some(ErrorCode::DiskFull) => StoreError::DiskFull { path },
            Some(ErrorCode::ReadOnly | ErrorCode::CannotOpen) => StoreError::ReadOnly { path },
            _ => StoreError::Sql {
                path,
                detail: e.to_string(),
            },
        }
    }

    /// Classify an error of either engine on `path` (a file, or a server's address).
    pub(crate) fn from_db(path: &Path, e: DbError) -> StoreError {
        let detail = e.to_string();
        let e = match e {
            DbError::Sqlite(e) => return StoreError::from_sql(path, e),
            DbError::Postgres(e) => e,
            _ => {
                return StoreError::Sql {
                    path: path.to_path_buf(),
                    detail,
                };
            }
        };
        let path = path.to_path_buf();
        if crate::db::is_tls_failure(&e) {
            return StoreError::Tls { path, detail };
        }
        let Some(code) = e.code() else {
            // No SQLSTATE: the connection itself failed (refused, closed, timed out).
            return StoreError::Unreachable { path, detail };
        };
        // PostgreSQL's error codes (Appendix A of its manual).
        match code.code() {
            // serialization_failure, deadlock_detected, lock_not_available
            "40001" | "40P01" | "55P03" => StoreError::Busy { path },
            // disk_full
            "53100" => StoreError::DiskFull { path },
            // read_only_sql_transaction
            "25006" => StoreError::ReadOnly { path },
            // insufficient_privilege, invalid_password, invalid_authorization_specification
            "42501" | "28P01" | "28000" => StoreError::Denied { path, detail },
            // admin_shutdown, crash_shutdown, cannot_connect_now, connection failures (08…)
            "57P01" | "57P02" | "57P03" => StoreError::Unreachable { path, detail },
            c if c.starts_with("08") => StoreError::Unreachable { path, detail },
            _ => StoreError::Sql { path, detail },
        }
    }

    /// True when a retry later may succeed (the file was busy).
    #[must_use]
    pub fn is_busy(&self) -> bool {
        matches!(self, StoreError::Busy { .. })
    }

    /// True when the server could not be reached: what was being written can wait in the
    /// bench's outbox and be sent when the server is back.
    #[must_use]
    pub fn is_unreachable(&self) -> bool {
        matches!(self, StoreError::Unreachable { .. })
    }
}
