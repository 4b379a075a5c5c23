//! What the workbench remembers between sessions (eframe storage) and where its files live.

use serde::{Deserialize, Serialize};

/// Settings kept between sessions (eframe storage).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Settings {
    /// Board profile id.
    pub model: String,
    /// Faults of the simulated board, space separated (`dead:5 break:40`).
    pub faults: String,
    /// Seed of the simulated board.
    pub seed: u64,
    /// Technician name, kept between sessions and recorded with every run, ticket and repair.
    pub technician: String,
    /// Where the board is.
    pub source: Source,
    /// Dark theme.
    pub dark: bool,
    /// Passing full-board runs after the last repair before a ticket may close `done`.
    pub verify_passes: u32,
    /// Soak full runs: hash until warm (or this many minutes), then test again.
    pub soak: bool,
    /// The soak's time limit, minutes.
    pub soak_minutes: u32,
    /// Full runs test again at 85 % and 110 % of the board's clock (the frequency ladder).
    #[serde(default)]
    pub ladder: bool,
    /// Full runs end with an aging test of `aging_minutes`.
    #[serde(default)]
    pub aging: bool,
    /// The aging test's length, minutes.
    #[serde(default = "default_aging_minutes")]
    pub aging_minutes: u32,
    /// The shop server the records live on (`postgres://…`); empty: this bench's own file.
    /// `--db` overrides it for one session.
    #[serde(default)]
    pub shop_server: String,
}

/// Where the window's records can be: what `--db` named, the bench's own file, and the
/// outbox file that keeps runs while the shop server is away.
#[derive(Debug, Clone, Default)]
pub struct Places {
    /// `--db`, for this session (a file or a server's address).
    pub db: Option<std::path::PathBuf>,
    /// The bench's own database file.
    pub bench_file: Option<std::path::PathBuf>,
    /// The outbox file.
    pub outbox: Option<std::path::PathBuf>,
    /// The logs folder (for the support bundle).
    pub logs: Option<std::path::PathBuf>,
}

fn default_aging_minutes() -> u32 {
    30
}

/// Where the board is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Source {
    /// The simulated jig.
    Simulated,
    /// A jig on this serial port.
    Port(String),
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            model: "s19jpro".into(),
            faults: String::new(),
            seed: 1,
            technician: String::new(),
            source: Source::Simulated,
            dark: true,
            verify_passes: store::DEFAULT_REQUIRED_PASSES,
            soak: false,
            soak_minutes: 10,
            ladder: false,
            aging: false,
            aging_minutes: default_aging_minutes(),
            shop_server: String::new(),
        }
    }
}
