//! The test jig's firmware logic, independent of the RP2040: it runs on the jig, in the simulator
//! and in host tests with a mock clock.
//!
//! Owns: request dispatch ([`Firmware::on_host_bytes`]), the ASIC UART bridge (buffers both
//! ways, baud changes, overflow counters, timestamped receive events), `Sync`, telemetry (the
//! domain-tap ladder through a multiplexer and ADC, an INA226-class power monitor, I2C
//! temperature sensors), EEPROM reads, GPIO (power, reset, plug, fan, LED) and the safety
//! supervisor: the host lease, over-current, over-temperature and input under-voltage trips,
//! with power-on state "everything off".
//!
//! Does not: touch RP2040 registers, USB or an executor (the binary in `firmware-test-jig/rp2040`
//! does), allocate, or panic on bad frames.

#![cfg_attr(not(test), no_std)]

mod firmware;
pub mod hal;

pub use firmware::{Firmware, Limits, TAP_CHANNELS};
pub use hal::Hal;
