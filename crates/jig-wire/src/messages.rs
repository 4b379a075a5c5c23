//! Every message between the app (host) and the jig, declared in one place.
//!
//! | direction | message | answer |
//! |---|---|---|
//! | host → jig | `Request { id, Hello { protocol } }` | `Response { id, Hello { protocol, firmware, max_baud } }` |
//! | host → jig | `SetPower`, `SetReset`, `SetBaud`, `Lease` | `Ok` or `Error` |
//! | host → jig | `AsicSend { bytes }` | `Ok` (bytes queued for the chain) |
//! | host → jig | `Sync { until_us }` | `Synced { now_us }` once the jig clock reaches `until_us`, after every `AsicRx` up to then |
//! | host → jig | `Measure` | `Telemetry` |
//! | host → jig | `ReadTemperature { sensor }` | `Temperature` or `Error(NoDevice)` |
//! | host → jig | `ReadEeprom { offset, len }` | `Bytes` |
//! | jig → host | `Event(AsicRx { at_us, bytes })` | chain bytes with the jig's timestamp |
//! | jig → host | `Event(Trip { reason, at_us })` | the safety supervisor cut power |
//! | jig → host | `Event(Plug { present })`, `Event(Overflow { dropped })` | |
//!
//! Request ids let answers be matched to requests; events carry no id.

use serde::{Deserialize, Serialize};

/// Version of this protocol. A jig that answers `Hello` with another version is refused.
pub const PROTOCOL_VERSION: u16 = 1;
/// Most chain bytes in one `AsicSend` or `AsicRx`.
pub const MAX_ASIC_BYTES: usize = 256;
/// Most domain taps one `Telemetry` carries.
pub const MAX_TAPS: usize = 64;

/// A request from the host.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Request<'a> {
    /// First message: the host's protocol version.
    Hello {
        /// Host protocol version.
        protocol: u16,
    },
    /// Board power on or off.
    SetPower {
        /// On.
        on: bool,
    },
    /// Chain reset line.
    SetReset {
        /// Held in reset.
        asserted: bool,
    },
    /// ASIC UART rate.
    SetBaud {
        /// Baud.
        baud: u32,
    },
    /// Bytes for the chain.
    AsicSend {
        /// The bytes.
        #[serde(borrow)]
        bytes: &'a [u8],
    },
    /// Answer once the jig clock reaches `until_us`.
    Sync {
        /// Jig time, µs.
        until_us: u64,
    },
    /// Take a telemetry sample.
    Measure,
    /// Read a temperature sensor.
    ReadTemperature {
        /// Which sensor.
        sensor: SensorAddress,
    },
    /// Read the board EEPROM.
    ReadEeprom {
        /// First byte.
        offset: u8,
        /// How many bytes (at most 64).
        len: u8,
    },
    /// The host lease: with no valid frame from the host for `ms`, the jig holds the chain in
    /// reset and cuts board power. 0 uses the firmware default.
    Lease {
        /// Lease time, ms.
        ms: u32,
    },
}

/// Where a temperature sensor is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SensorAddress {
    /// Part: 0 LM75A, 1 TMP75, 2 TMP451, 3 NCT218, 4 EMC2101, 5 TMP1075, 6 ASIC diode.
    pub kind: u8,
    /// 7-bit I2C address, if on a bus.
    pub i2c_address: Option<u8>,
    /// Address of the ASIC that reaches it, if any.
    pub via_chip: Option<u8>,
}

/// What went wrong, as the jig reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum DeviceError {
    /// The protocol versions differ.
    VersionMismatch {
        /// The jig's version.
        jig: u16,
    },
    /// A device on the board did not answer.
    NoDevice,
    /// The request is out of range (e.g. a baud rate above the jig's limit).
    OutOfRange,
    /// Refused because a safety trip is latched (power off until the host clears it).
    Tripped,
    /// The jig could not parse the request.
    BadRequest,
    /// The transmit buffer is full; try again.
    Busy,
}

/// One telemetry sample.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Telemetry {
    /// Jig time, µs.
    pub at_us: u64,
    /// Cumulative domain taps, mV.
    pub taps_mv: heapless::Vec<u16, MAX_TAPS>,
    /// Board input voltage, mV.
    pub input_mv: u32,
    /// Board input current, mA.
    pub input_ma: u32,
}

/// The jig's answer to a request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Response<'a> {
    /// Handshake answer.
    Hello {
        /// Jig protocol version.
        protocol: u16,
        /// Firmware name and version.
        #[serde(borrow)]
        firmware: &'a str,
        /// Fastest ASIC UART rate.
        max_baud: u32,
        /// True for a simulated jig.
        simulated: bool,
    },
    /// Done.
    Ok,
    /// The jig clock reached the requested time.
    Synced {
        /// Jig time, µs.
        now_us: u64,
    },
    /// A telemetry sample.
    Telemetry(Telemetry),
    /// A temperature, in hundredths of °C.
    Temperature {
        /// Hundredths of °C.
        centi_c: i32,
    },
    /// Bytes read.
    Bytes(#[serde(borrow)] &'a [u8]),
    /// The request failed.
    Error(DeviceError),
}

/// Why the safety supervisor cut power.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum TripReason {
    /// No valid frame from the host within the lease.
    LeaseExpired,
    /// Input current above the limit.
    OverCurrent,
    /// A temperature above the limit.
    OverTemperature,
    /// Input voltage below the limit.
    UnderVoltage,
}

/// Something the jig reports on its own.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Event<'a> {
    /// Bytes from the chain, with the jig time of the first one.
    AsicRx {
        /// Jig time, µs.
        at_us: u64,
        /// The bytes.
        #[serde(borrow)]
        bytes: &'a [u8],
    },
    /// The safety supervisor cut power.
    Trip {
        /// Why.
        reason: TripReason,
        /// Jig time, µs.
        at_us: u64,
    },
    /// The board plug changed.
    Plug {
        /// A board is present.
        present: bool,
    },
    /// Chain bytes were lost because a buffer was full.
    Overflow {
        /// Bytes lost since the last report.
        dropped: u32,
    },
}

/// A frame from the host.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HostFrame<'a> {
    /// Request id, echoed in the response.
    pub id: u16,
    /// The request.
    #[serde(borrow)]
    pub request: Request<'a>,
}

/// A frame from the jig.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum JigFrame<'a> {
    /// The answer to request `id`.
    Response {
        /// Request id.
        id: u16,
        /// The answer.
        #[serde(borrow)]
        response: Response<'a>,
    },
    /// An event.
    Event(#[serde(borrow)] Event<'a>),
}
