//! A value with its provenance: every number in a profile says where it came from and whether a
//! source states it.

use serde::Deserialize;

/// A profile value and its source. `verified = false` marks values the facts file tags as an
/// inference [I] or disputed [C]; they must never be shown as verified.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Fact<T> {
    /// The value.
    pub value: T,
    /// Where it comes from (facts file section and source).
    pub source: String,
    /// Whether a source states this value.
    #[serde(default = "yes")]
    pub verified: bool,
}

fn yes() -> bool {
    true
}

impl<T: Copy> Fact<T> {
    /// The value.
    #[must_use]
    pub fn get(&self) -> T {
        self.value
    }
}
