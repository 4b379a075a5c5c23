//! What can go wrong with the database, each naming the file.

use std::path::{Path, PathBuf};

use rusqlite::ErrorCode;

/// A store error. Every variant names the database file.
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
    /// Any other SQLite error.
    #[error("{path}: {source}")]
    Sql {
        /// The file.
        path: PathBuf,
        /// SQLite's error.
        source: rusqlite::Error,
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
            _ => StoreError::Sql { path, source: e },
        }
    }

    /// True when a retry later may succeed (the file was busy).
    #[must_use]
    pub fn is_busy(&self) -> bool {
        matches!(self, StoreError::Busy { .. })
    }
}
