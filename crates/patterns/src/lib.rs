//! Known-nonce work: real mainnet block headers whose nonce is known, turned into chip tests.
//!
//! Owns: the embedded header set and its identity ([`headers`]), the rule that says which chip
//! slot and core own a nonce on a chain and when the sweep reaches it ([`setup`]), pools of
//! usable patterns per slot and their selection spread over cores ([`select`]), and the
//! verification of a returned nonce against the job it answers ([`verify`]).
//!
//! Does not: do I/O (the header set is compiled in), talk to a jig, keep time, or decide chip
//! verdicts; the diagnosis engine does that with what this crate computes.

pub mod headers;
pub mod select;
pub mod setup;
pub mod verify;

pub use headers::{HeaderSet, KnownHeader};
pub use select::{Coverage, Pattern, PatternPool};
pub use setup::{ChainSetup, Owner, SliceRule};
pub use verify::{NonceVerdict, classify, verify};
