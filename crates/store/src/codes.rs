//! How enums are written in the database: lower-case words a person reading the file with
//! `sqlite3` understands, parsed back strictly.

use diagnosis::{ChipState, Verdict};

/// Where a ticket is in the repair.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Status {
    /// Intake done, not yet on the jig.
    Received,
    /// Being diagnosed.
    Diagnosing,
    /// Being repaired.
    Repairing,
    /// Retesting after repair.
    Verifying,
    /// Repaired and passed (closed).
    Done,
    /// Given back unrepaired (closed).
    Returned,
    /// Beyond repair (closed).
    Scrapped,
}

impl Status {
    /// Every status, in the order of the repair.
    pub const ALL: [Status; 7] = [
        Status::Received,
        Status::Diagnosing,
        Status::Repairing,
        Status::Verifying,
        Status::Done,
        Status::Returned,
        Status::Scrapped,
    ];

    /// The word stored and shown.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Status::Received => "received",
            Status::Diagnosing => "diagnosing",
            Status::Repairing => "repairing",
            Status::Verifying => "verifying",
            Status::Done => "done",
            Status::Returned => "returned",
            Status::Scrapped => "scrapped",
        }
    }

    /// Parse a stored or typed word.
    pub fn parse(word: &str) -> Result<Status, String> {
        Status::ALL
            .into_iter()
            .find(|s| s.name() == word)
            .ok_or_else(|| {
                format!(
                    "unknown ticket status `{word}`; one of: {}",
                    Status::ALL.map(Status::name).join(", ")
                )
            })
    }

    /// Done, returned or scrapped.
    #[must_use]
    pub fn is_closed(self) -> bool {
        matches!(self, Status::Done | Status::Returned | Status::Scrapped)
    }
}

/// What was done to a chip position.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    /// Reflowed in place.
    Reflow,
    /// Replaced with another chip.
    Replace,
    /// Removed, reballed and put back.
    Reball,
    /// Cleaned (flux, corrosion, debris).
    Clean,
    /// Anything else (say what in the notes).
    Other,
}

impl Action {
    /// Every action.
    pub const ALL: [Action; 5] = [
        Action::Reflow,
        Action::Replace,
        Action::Reball,
        Action::Clean,
        Action::Other,
    ];

    /// The word stored and shown.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Action::Reflow => "reflow",
            Action::Replace => "replace",
            Action::Reball => "reball",
            Action::Clean => "clean",
            Action::Other => "other",
        }
    }

    /// Parse a stored or typed word.
    pub fn parse(word: &str) -> Result<Action, String> {
        Action::ALL
            .into_iter()
            .find(|a| a.name() == word)
            .ok_or_else(|| {
                format!(
                    "unknown repair action `{word}`; one of: {}",
                    Action::ALL.map(Action::name).join(", ")
                )
            })
    }
}

pub(crate) fn parse_verdict(word: &str) -> Result<Verdict, String> {
    [Verdict::Pass, Verdict::Fail, Verdict::Inconclusive]
        .into_iter()
        .find(|v| v.name() == word)
        .ok_or_else(|| format!("unknown verdict `{word}`"))
}

pub(crate) fn state_name(s: ChipState) -> &'static str {
    match s {
        ChipState::Ok => "ok",
        ChipState::Weak => "weak",
        ChipState::Dead => "dead",
        ChipState::Missing => "missing",
        ChipState::HwErrors => "hw_errors",
        ChipState::Inconclusive => "inconclusive",
        ChipState::Untested => "untested",
    }
}

/// Chip states as one letter each (`ChipState::letter`), for a run's map thumbnail.
pub(crate) fn parse_letters(letters: &str) -> Result<Vec<ChipState>, String> {
    letters
        .chars()
        .map(|c| {
            ChipState::ALL
                .into_iter()
                .find(|s| s.letter() == c)
                .ok_or_else(|| format!("unknown chip state letter `{c}`"))
        })
        .collect()
}

/// States that count as a failure of the chip position (a missing chip is the chain's failure,
/// not its own, unless it is a suspect of the break).
pub(crate) const FAILED_STATES: &str = "('weak','dead','hw_errors')";
