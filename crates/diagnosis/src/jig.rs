//! The seam between the engine and a test jig: what a jig can do, in the jig's own time.
//!
//! A real jig (RP2040 firmware over USB serial) and the simulated one implement this trait. The
//! engine sees only what a jig reports: bytes from the ASIC chain with the jig's timestamps,
//! measured voltages and currents, sensor readings and EEPROM bytes. Time is the jig's clock in
//! microseconds; the engine never sleeps, it asks the jig to wait.

use boards::SensorKind;

/// What went wrong talking to the jig (not a finding about the board).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JigError {
    /// The jig is gone (unplugged, port closed).
    #[error("the jig disconnected: {0}")]
    Disconnected(String),
    /// The jig did not answer in time.
    #[error("the jig did not answer within {after_ms} ms")]
    Timeout {
        /// How long we waited.
        after_ms: u64,
    },
    /// The jig answered something this app does not understand.
    #[error("the jig sent something unexpected: {0}")]
    Protocol(String),
    /// The jig refused a request (e.g. a baud rate above what it supports).
    #[error("the jig refused: {0}")]
    Refused(String),
    /// A device on the board did not answer (sensor or EEPROM absent).
    #[error("no answer from {0}")]
    NoDevice(String),
    /// The jig's safety supervisor cut board power.
    #[error("the jig cut board power: {0}")]
    Tripped(Trip),
}

/// Why a jig's safety supervisor cut power.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trip {
    /// The host was silent for longer than the lease.
    LeaseExpired,
    /// Input current above the jig's limit.
    OverCurrent,
    /// A temperature above the jig's limit.
    OverTemperature,
    /// Input voltage below the jig's limit.
    UnderVoltage,
    /// The jig's input power monitor (or a sensor it supervises) stopped answering.
    SensorFailed,
    /// The board was unplugged while powered.
    Unplugged,
}

impl std::fmt::Display for Trip {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::LeaseExpired => "the host lease expired",
            Self::OverCurrent => "input over-current",
            Self::OverTemperature => "over-temperature",
            Self::UnderVoltage => "input under-voltage",
            Self::SensorFailed => "the jig's power monitor stopped answering",
            Self::Unplugged => "the board was unplugged while powered",
        })
    }
}

/// Who the jig is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JigInfo {
    /// Firmware name and version, e.g. `hashbench-jig 0.1.0`.
    pub firmware: String,
    /// Wire protocol version.
    pub protocol: u16,
    /// Fastest ASIC UART rate the jig supports.
    pub max_baud: u32,
    /// True for the simulated jig.
    pub simulated: bool,
}

/// One sample of the board's electrical state.
#[derive(Debug, Clone, PartialEq)]
pub struct Telemetry {
    /// Jig time of the sample, µs.
    pub at_us: u64,
    /// Voltage of each domain's top tap above board ground, mV: the domains are stacked, so
    /// domain k's voltage is `taps_mv[k] - taps_mv[k-1]` (with `taps_mv[-1]` = 0).
    pub taps_mv: Vec<u32>,
    /// Board input voltage, mV.
    pub input_mv: u32,
    /// Board input current, mA.
    pub input_ma: u32,
}

impl Telemetry {
    /// Per-domain voltages from the cumulative taps, mV.
    #[must_use]
    pub fn domain_mv(&self) -> Vec<u32> {
        let mut below = 0;
        self.taps_mv
            .iter()
            .map(|&tap| {
                let v = tap.saturating_sub(below);
                below = tap;
                v
            })
            .collect()
    }
}

/// Where a temperature sensor is and how to reach it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SensorRef {
    /// Part.
    pub kind: SensorKind,
    /// 7-bit I2C address, for sensors on an I2C bus.
    pub i2c_address: Option<u8>,
    /// Address of the ASIC that reaches the sensor (I2C passthrough or its own diode input).
    pub via_chip_address: Option<u8>,
    /// For a sensor on an ASIC's I2C master: the chain frames that read it.
    pub path: Option<AsicSensorPath>,
}

/// The chain frames that read a sensor on an ASIC's I2C master (`bm13xx::sensor`); the jig
/// sends them and catches the chip's reply itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AsicSensorPath {
    /// Writes the chip's I2C command register (starts the device read).
    pub start: Vec<u8>,
    /// Reads the I2C command register back.
    pub poll: Vec<u8>,
    /// The chip's address.
    pub chip: u8,
    /// The device's 7-bit I2C address.
    pub device: u8,
    /// The chip's I2C command register.
    pub command_register: u8,
    /// The device register read.
    pub device_register: u8,
    /// Bytes of the chip's register reply, preamble and CRC byte included: the jig checks
    /// the CRC5 of the whole reply before it takes a reading.
    pub reply_len: u8,
}

/// Bytes the jig received from the ASIC chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Received {
    /// Jig time the first byte arrived, µs.
    pub at_us: u64,
    /// The bytes.
    pub bytes: Vec<u8>,
}

/// A test jig.
pub trait Jig {
    /// Firmware, protocol and capabilities.
    fn info(&mut self) -> Result<JigInfo, JigError>;
    /// The jig's clock, µs.
    fn now_us(&mut self) -> Result<u64, JigError>;
    /// Switch board power.
    fn set_power(&mut self, on: bool) -> Result<(), JigError>;
    /// Drive the chain's reset line (true = held in reset).
    fn set_reset(&mut self, asserted: bool) -> Result<(), JigError>;
    /// Set the jig's ASIC UART rate. Bytes already queued go out at the old rate.
    fn set_baud(&mut self, baud: u32) -> Result<(), JigError>;
    /// Queue bytes for the ASIC chain; they go out back to back at the current rate. Returns the
    /// jig time the first of them goes on the line, when the jig says (a jig busy for a moment
    /// starts them later than the host would think).
    fn send(&mut self, bytes: &[u8]) -> Result<Option<u64>, JigError>;
    /// Wait until the jig's clock reads `t_us`, appending what the chain sent meanwhile.
    fn wait_until(&mut self, t_us: u64, received: &mut Vec<Received>) -> Result<(), JigError>;
    /// Measure domain taps, input voltage and current.
    fn measure(&mut self) -> Result<Telemetry, JigError>;
    /// Read a temperature sensor, °C. An absent sensor is `JigError::NoDevice`.
    fn read_temperature(&mut self, sensor: &SensorRef) -> Result<f32, JigError>;
    /// Read `len` bytes of the board EEPROM from `offset`.
    fn read_eeprom(&mut self, offset: u8, len: u8) -> Result<Vec<u8>, JigError>;
    /// Write `bytes` to the board EEPROM from `offset`, a page at a time, each page's write
    /// cycle waited out before the next request. Reading it back is the caller's check.
    fn write_eeprom(&mut self, offset: u8, bytes: &[u8]) -> Result<(), JigError> {
        let _ = (offset, bytes);
        Err(JigError::Refused(
            "this jig cannot write the board EEPROM".into(),
        ))
    }
    /// Clear a latched safety trip: the operator started a new run. Power stays off.
    fn clear_trip(&mut self) -> Result<(), JigError> {
        Ok(())
    }
    /// Send a command to the board's PIC at I2C `address`; `Version` answers with the version
    /// byte.
    fn pic(&mut self, address: u8, command: PicCommand) -> Result<Option<u8>, JigError> {
        let _ = (address, command);
        Err(JigError::NoDevice("this jig cannot talk to a PIC".into()))
    }
    /// Set the board supply (the APW12 the jig drives over I2C), mV.
    fn set_supply_mv(&mut self, mv: u32) -> Result<(), JigError> {
        let _ = mv;
        Err(JigError::NoDevice(
            "this jig cannot set the board supply".into(),
        ))
    }
    /// The jig's health counters (worst main-loop gap, drops), when it keeps them.
    fn stats(&mut self) -> Result<Option<JigStats>, JigError> {
        Ok(None)
    }
}

/// What the engine asks of a board's PIC (the DC-DC controller of S9/S17+/S19/S19 Pro boards;
/// bmminer-mix command codes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PicCommand {
    /// Back to the loader, DC-DC off.
    Reset,
    /// Start the PIC's application.
    JumpToApp,
    /// Read the software version.
    Version,
    /// Set the board voltage code.
    SetVoltage(u8),
    /// DC-DC on or off.
    EnableDcDc(bool),
    /// Heartbeats from the jig every this many ms (0 stops).
    Heartbeat(u32),
    /// Read the voltage code the PIC holds.
    GetVoltage,
}

/// The jig's health counters since it powered on.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct JigStats {
    /// Longest time between two passes of the jig's main loop, µs (goal: 10 ms).
    pub worst_loop_gap_us: u32,
    /// Chain bytes lost to a full receive buffer.
    pub rx_dropped_bytes: u32,
    /// Chain receive errors (framing, parity, break, overrun).
    pub uart_errors: u32,
    /// Bytes for the host lost to a full USB queue.
    pub usb_dropped: u32,
    /// Heartbeats the jig sent the board's PIC, and those it did not acknowledge.
    #[serde(default)]
    pub pic_heartbeats: u32,
    /// See `pic_heartbeats`.
    #[serde(default)]
    pub pic_heartbeats_missed: u32,
}
