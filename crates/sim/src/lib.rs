//! A simulated hashboard and test jig that speak only bytes and measurements.
//!
//! Owns: a model of a hashboard from its profile (chips with addresses, registers, chip IDs and
//! cores; command relay down the chain and replies back; chain-inactive and set-address
//! semantics; baud changes; the time every byte takes; sweeps that take the time a real chip
//! would and return a golden nonce only if its owning core is alive and the sweep reaches it;
//! stacked domain voltages; thermal lag; sensors; EEPROM), faults injected by name, and the
//! simulated jig that puts the board behind the engine's [`diagnosis::jig::Jig`] seam on a
//! virtual clock, running the real jig firmware logic (`jig-logic`) on simulated jig hardware.
//! Deterministic per seed.
//!
//! Does not: decide anything about the board (the engine does, from the same bytes and
//! measurements a real jig gives), touch real hardware, or sleep: time is virtual.

mod asic;
pub mod board;
mod chip;
mod eeprom;
pub mod fault;
pub mod jig;
pub mod rng;

pub use board::Board;
pub use fault::{Fault, FaultError, Line};
pub use jig::{SimJig, SimTransport, serve, serve_on_port};

/// A simulated jig (the real firmware logic on simulated hardware) with a `profile` board
/// carrying `faults`, for `seed`, connected through the same client a real jig uses.
pub fn simulated(
    profile: &boards::Profile,
    faults: &[Fault],
    seed: u64,
) -> Result<SimJig, diagnosis::JigError> {
    jig::connect(Board::new(profile, faults, seed))
}
