//! What every end-to-end test needs: run the real binary, find fixtures.

#![allow(dead_code)] // Each test file uses its own part of this.

use std::path::PathBuf;
use std::process::{Command, Output};

/// A fixture file.
pub fn fixture(path: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../fixtures")
        .join(path)
}

/// The `hashbench` binary with an empty config directory, so the user's own profiles never
/// change a test, and its own data directory, so runs are never saved into the user's records.
pub fn command() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_hashbench"));
    command.env(
        "XDG_CONFIG_HOME",
        std::env::temp_dir().join("hashbench-cli-tests-no-config"),
    );
    command.env(
        "XDG_DATA_HOME",
        std::env::temp_dir().join("hashbench-cli-tests-data"),
    );
    command
}

/// Run `hashbench` with `args` to completion.
pub fn hashbench(args: &[&str]) -> Output {
    command()
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("running hashbench {args:?}: {e}"))
}
