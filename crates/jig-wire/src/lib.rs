//! The wire between the Hashbench app and its test jig, shared by both.
//!
//! Owns: every message in both directions ([`messages`]: requests with ids, responses, events,
//! telemetry, safety trips), the protocol version, and the framing ([`frame`]: postcard, CRC-16,
//! COBS, 0x00 delimiter) with a streaming decoder that survives garbage, truncation and bit errors.
//!
//! Does not: do I/O, allocate, or decide anything; the firmware and the app's link crate move
//! the bytes. `no_std` except under test.

#![cfg_attr(not(test), no_std)]

pub mod cobs;
pub mod frame;
pub mod messages;

pub use frame::{Decoder, FrameError, decode, encode};
/// The fixed-capacity vectors some messages carry.
pub use heapless;
pub use messages::*;
