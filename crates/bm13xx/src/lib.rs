//! The Bitmain BM13xx ASIC serial protocol, as pure functions over byte slices.
//!
//! Owns: the chip families and their differing facts ([`family`]), command frames with CRC5
//! ([`command`]), job frames with CRC16 in both formats ([`job`]), replies and per-family nonce
//! fields ([`reply`]), the per-family bring-up writes with their sources ([`bringup`]), the
//! frames that read a sensor through a chip's I2C master ([`sensor`]),
//! streaming framers that resynchronise after garbage ([`framer`]), block
//! header hashing ([`header`]) and the register maths (ticket mask, baud divider, PLL,
//! addressing). Every fact comes from `facts/bm13xx-protocol-and-boards.md` with its tag; values
//! the sources dispute are parameters ([`family::FamilyParams`]), not constants.
//!
//! Does not: do I/O, allocate, keep time, or know about boards, jigs or diagnosis. It is
//! `no_std` and never panics on bad bytes: every decoder returns an error or a garbage event.

#![cfg_attr(not(test), no_std)]

pub mod address;
pub mod baud;
pub mod bringup;
pub mod command;
pub mod crc;
pub mod family;
pub mod framer;
pub mod header;
pub mod job;
pub mod pll;
pub mod registers;
pub mod reply;
pub mod sensor;
pub mod ticket;

pub use command::{Command, Dest};
pub use family::{ALL_FAMILIES, Family, FamilyParams, JobFormat};
pub use framer::{Direction, Event, Framer, ReplyLen};
pub use reply::{NonceFields, NonceReply, RegisterReply, Reply};
