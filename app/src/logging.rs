//! Structured logs: JSON lines in `logs/` of the data directory, a file a day, the last 7 kept
//! (`HASHBENCH_LOG` sets the level, e.g. `debug`; default `info`). What goes in: what the
//! program did (commands, runs and their verdicts, saves, the outbox, the shop server lost and
//! back, support bundles), never a password and never a customer's name or notes.

use std::path::{Path, PathBuf};

use tracing_appender::rolling::{RollingFileAppender, Rotation};

/// The logs folder: `logs/` in the OS data directory.
#[must_use]
pub fn logs_dir() -> Option<PathBuf> {
    directories::ProjectDirs::from("org", "Hashbench", "hashbench")
        .map(|d| d.data_dir().join("logs"))
}

/// Start logging to `dir`; keep the guard until the program ends (it writes what is queued).
/// Logging is best effort: a folder that cannot be written leaves the program unlogged, never
/// stopped.
#[must_use]
pub fn start(dir: Option<&Path>) -> Option<tracing_appender::non_blocking::WorkerGuard> {
    let dir = dir?;
    std::fs::create_dir_all(dir).ok()?;
    let appender = RollingFileAppender::builder()
        .rotation(Rotation::DAILY)
        .filename_prefix("hashbench")
        .filename_suffix("log")
        .max_log_files(7)
        .build(dir)
        .ok()?;
    let (writer, guard) = tracing_appender::non_blocking(appender);
    let filter = tracing_subscriber::EnvFilter::try_from_env("HASHBENCH_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .json()
        .with_writer(writer)
        .with_env_filter(filter)
        .with_ansi(false)
        .with_thread_names(true)
        .try_init()
        .ok()?;
    Some(guard)
}
