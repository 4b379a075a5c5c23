//! The diagnosis engine: from the bytes and measurements a jig reports to chip states, findings
//! with repair hints, and a verdict.
//!
//! Owns: the steps of a diagnosis (preflight, enumeration, addressing and configuration, baud,
//! the pipelined known-nonce pattern test, accounting, verdict), the statistics that decide each
//! chip ([`stats`]), every threshold ([`config::Config`]), the findings, the report structure,
//! the capture format of a run's chain traffic ([`capture`]), the guided halving's search for a
//! held return line ([`halving`]), the board's identity read from its EEPROM ([`identity`]),
//! the PIC checked on request ([`pic`]), and the [`jig::Jig`] seam it drives.
//!
//! Does not: do I/O or keep time itself (the jig's clock is the only clock and all traffic goes
//! through the `Jig` trait), read simulator internals, render anything, or store results.

pub mod capture;
pub mod config;
pub mod engine;
mod findings;
pub mod halving;
pub mod identity;
pub mod jig;
pub mod pic;
pub mod report;
pub mod stats;
pub mod wire;

pub use config::Config;
pub use engine::{Options, Progress, Step, run};
pub use jig::{Jig, JigError};
pub use report::{ChipState, FindingKind, Report, Verdict};
