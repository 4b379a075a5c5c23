//! The engine's [`diagnosis::Jig`] seam over a byte stream to a test jig.
//!
//! Owns: the host side of the jig-wire protocol ([`Client`]: handshake and version check,
//! request ids and matching, timeouts, the chain byte stream with jig timestamps, telemetry,
//! events such as safety trips and unplugs), the serial-port transport, and port discovery
//! ([`ports`]: which serial ports are jigs, by USB VID/PID/product).
//!
//! Does not: decide anything about a board, or know whether the jig at the other end is real or
//! simulated: a simulated jig is just another [`Transport`].

mod client;
pub mod ports;
mod serial;

pub use client::{Calibration, Client, Transport};
pub use serial::SerialTransport;

/// USB vendor id of the jig: pid.codes, the open-source hardware vendor id.
pub const JIG_VID: u16 = 0x1209;
/// USB product id of the jig: pid.codes test PID 0x0001 until one is allocated.
pub const JIG_PID: u16 = 0x0001;
/// USB product string of the jig.
pub const JIG_PRODUCT: &str = "Hashbench jig";
