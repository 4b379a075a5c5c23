//! The test jig's firmware logic, independent of the RP2040: it runs on the jig, in the simulator
//! and in host tests with a mock clock.
//!
//! Owns: request dispatch ([`Firmware::on_host_bytes`]), the ASIC UART bridge (buffers both
//! ways, baud changes, overflow counters, timestamped receive events, the line time of queued
//! bytes), `Sync`, telemetry stepped one conversion a pass of the main loop (the domain-tap
//! ladder through a multiplexer and ADC with per-tap corrections kept in the jig's EEPROM, an
//! INA226-class power monitor, I2C temperature sensors), EEPROM reads, the board's PIC
//! (bmminer's commands, heartbeats kept by the jig), GPIO (power, reset, plug, fan, LED), the
//! health counters (worst main-loop gap, every drop) and the safety supervisor: a bounded host
//! lease, over-current, periodic over-temperature, input under-voltage, a silent power monitor
//! and unplugging a powered board, each cutting power first and latched until the host clears
//! it, with power-on state "everything off".
//!
//! Does not: touch RP2040 registers, USB or an executor (the binary in `firmware-test-jig/rp2040`
//! does), allocate, block the main loop on the ADC, or panic on bad frames.

#![cfg_attr(not(test), no_std)]

mod firmware;
pub mod hal;

pub use firmware::{Firmware, Limits, TAP_CHANNELS};
pub use hal::Hal;
