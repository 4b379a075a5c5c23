//! Every message between the app (host) and the jig, declared in one place.
//!
//! | direction | message | answer |
//! |---|---|---|
//! | host → jig | `Request { id, Hello { protocol } }` | `Response { id, Hello { protocol, firmware, max_baud } }` |
//! | host → jig | `SetPower`, `SetReset`, `SetBaud`, `Lease` (at most [`MAX_LEASE_MS`]), `ClearTrip` | `Ok` or `Error` |
//! | host → jig | `AsicSend { bytes }` | `Queued { starts_us }`: the jig time the first byte goes on the line (after what was queued before) |
//! | host → jig | `Sync { until_us }` | `Synced { now_us }` once the jig clock reaches `until_us`, after every `AsicRx` up to then |
//! | host → jig | `Measure { taps }` | `Telemetry`, once every tap is converted (the jig keeps serving the chain meanwhile) |
//! | host → jig | `Stats` | `Stats`: worst main-loop gap and every drop counter since power-on |
//! | host → jig | `ReadTemperature { sensor }` | `Temperature` or `Error(NoDevice)` |
//! | host → jig | `ReadAsicSensor { sensor, path }` | `Temperature` once the chip's I2C master answered, or `Error(NoDevice)` |
//! | host → jig | `ReadEeprom { offset, len }` | `Bytes` |
//! | host → jig | `WriteEeprom { offset, bytes }` (one page) | `Ok`, or `Busy` while the last page is stored |
//! | jig → host | `Event(AsicRx { at_us, bytes })` | chain bytes with the jig's timestamp |
//! | jig → host | `Event(Trip { reason, at_us })` | the safety supervisor cut power |
//! | jig → host | `Event(Plug { present })`, `Event(Overflow { dropped })` | |
//!
//! Request ids let answers be matched to requests; events carry no id.

use serde::{Deserialize, Serialize};

/// Version of this protocol. A jig that answers `Hello` with another version is refused.
/// 2: `Measure { taps }` answered without blocking, `Stats`, `ClearTrip` (a trip needs an
/// explicit clear; `SetPower` no longer clears it), leases bounded, trips on a failed sensor and
/// on unplugging a powered board.
/// 3: `ReadAsicSensor`: the jig reads a sensor behind an ASIC's I2C master itself (and keeps
/// watching it), with the chain frames the host built for the family.
/// 4: `WriteEeprom`: the board EEPROM written a page at a time (restore a backup, fix a CRC);
/// `PicOp::GetVoltage`; the PIC's heartbeats counted in `Stats`.
/// 5: `AsicI2cPath::reply_len`: a sensor reading behind a chip is taken only from a reply whose
/// CRC5 checks (a reply corrupted on a bad joint read 118 °C and tripped the jig).
pub const PROTOCOL_VERSION: u16 = 5;
/// The longest lease a host may ask for, ms: a host that dies leaves a powered board for at
/// most this long.
pub const MAX_LEASE_MS: u32 = 10_000;
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
    /// Take a telemetry sample of the first `taps` domain taps (0: every tap).
    Measure {
        /// Taps to convert.
        taps: u8,
    },
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
    /// reset and cuts board power. 0 uses the firmware default; more than [`MAX_LEASE_MS`] is
    /// refused.
    Lease {
        /// Lease time, ms.
        ms: u32,
    },
    /// Clear a latched safety trip (the operator saw it); power stays off until `SetPower`.
    ClearTrip,
    /// A command to the board's PIC (the DC-DC controller of S9/S17+/S19/S19 Pro boards) at
    /// I2C `address`: `55 AA cmd data…`, one byte per I2C write (bmminer-mix `send_pic_command`,
    /// `write_pic_iic`).
    Pic {
        /// 7-bit I2C address.
        address: u8,
        /// What to do.
        op: PicOp,
    },
    /// Set the APW12 supply's output voltage (I2C 0x10: `55 AA len 83 code 00 sum`, a byte per
    /// write to register 0x11, code = (15.092 V − volts) / 13 mV; bitcrane's APW notes). Only
    /// between 11.78 V and 15.09 V.
    SupplyVoltage {
        /// Output voltage, mV.
        mv: u32,
    },
    /// Set a Bitaxe's core rail through its regulator on the board bus (ESP-Miner
    /// `main/power/vcore.c`): a TPS546 (PMBus 0x24: VOUT_COMMAND in its VOUT_MODE's exponent,
    /// then OPERATION on; stacked boards give the sum of their domains) or a DS4432U current DAC
    /// (0x48, register 0xF8, ESP-Miner's transfer function).
    CoreVoltage {
        /// Which regulator.
        regulator: CoreRegulator,
        /// Output, mV.
        mv: u32,
    },
    /// The jig's health counters.
    Stats,
    /// Calibrate the tap dividers: the calibration plug puts `reference_mv` (read with a good
    /// meter) on every clip of the harness; the jig scans every tap, keeps a correction for each
    /// that reads within 5 % of the reference, and stores the corrections in its own EEPROM.
    /// Answered with `Calibrated` once the scan is done.
    Calibrate {
        /// The reference voltage, mV.
        reference_mv: u32,
        /// Store the new corrections (false: only report how far the taps read from it).
        store: bool,
    },
    /// Read a sensor on an ASIC's I2C master (S9, S19 Pro NCT218). The jig queues `path.start`
    /// on the chain, waits for the chip's I2C transfer, queues `path.poll`, finds the chip's
    /// reply among the chain bytes (which still all reach the host), and answers `Temperature`.
    /// It keeps the path and reads the sensor on its own while the board is powered, for the
    /// over-temperature supervisor, until the chain is reset or powered off (the chip addresses
    /// are gone then). A `ReadTemperature` of a sensor behind a chip is refused (`BadRequest`).
    ReadAsicSensor {
        /// Which sensor (`via_chip` set).
        sensor: SensorAddress,
        /// How to reach it.
        path: AsicI2cPath,
    },
    /// Write bytes to the board EEPROM: at most one page of [`EEPROM_PAGE`] bytes, not crossing
    /// a page boundary (AT24C02 page write, Microchip AT24C02C datasheet §6.2). The EEPROM then
    /// takes up to 5 ms to store them (t_WR): a write or read of it before then is answered
    /// `Busy`.
    WriteEeprom {
        /// First byte.
        offset: u8,
        /// The bytes.
        bytes: &'a [u8],
    },
}

/// The board EEPROM's page: the most bytes one `WriteEeprom` stores (AT24C01/02: 8 bytes).
pub const EEPROM_PAGE: usize = 8;

/// A Bitaxe core regulator (ESP-Miner `main/device_config.h` per board version).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum CoreRegulator {
    /// TI TPS546 PMBus converter at 0x24 (Ultra 207, Supra 402/403, Gamma, Hex, SupraHex).
    Tps546,
    /// DS4432U current DAC at 0x48 trimming a TPS40305 (Max, Ultra 201-205, Supra 400/401).
    Ds4432u,
}

/// PIC commands (bmminer-mix `driver-btm-c5.h` command codes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum PicOp {
    /// RESET_PIC (0x07): back to the loader, DC-DC off.
    Reset,
    /// JUMP_FROM_LOADER_TO_APP (0x06).
    JumpToApp,
    /// GET_PIC_SOFTWARE_VERSION (0x17): answered with `Bytes([version])`.
    Version,
    /// SET_VOLTAGE (0x10) with the board's voltage code.
    SetVoltage {
        /// The code (S9: 1608.42 − 170.42 × volts, bmminer-mix).
        code: u8,
    },
    /// ENABLE_VOLTAGE (0x15): the DC-DC on or off.
    EnableDcDc {
        /// On.
        on: bool,
    },
    /// SEND_HEART_BEAT (0x16) every `every_ms` while the board is powered (0 stops): the jig
    /// keeps the PIC's DC-DC alive on its own, as bmminer's heartbeat thread does.
    Heartbeat {
        /// Period, ms.
        every_ms: u32,
    },
    /// GET_VOLTAGE (0x18): answered with `Bytes([code])`, the voltage code the PIC holds
    /// (bmminer-mix `get_pic_voltage`: the command, then one byte read back).
    GetVoltage,
}

/// The jig's health counters, cumulative since power-on.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct JigStats {
    /// Longest time between two passes of the main loop, µs (USB must be polled and the
    /// watchdog fed within 10 ms).
    pub worst_loop_gap_us: u32,
    /// Chain bytes lost to a full receive buffer.
    pub rx_dropped_bytes: u32,
    /// Chain receive errors (framing, parity, break, overrun).
    pub uart_errors: u32,
    /// Bytes for the host lost to a full USB queue.
    pub usb_dropped: u32,
    /// Heartbeats the jig sent the board's PIC, and those the PIC did not acknowledge.
    pub pic_heartbeats: u32,
    /// See `pic_heartbeats`.
    pub pic_heartbeats_missed: u32,
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

/// Most bytes of one chain frame in an [`AsicI2cPath`].
pub const MAX_PATH_FRAME: usize = 12;

/// The chain frames that read one register of an I2C device through an ASIC's I2C master, built
/// by the host for the chip family (`bm13xx::sensor`). The chip's I2C command register holds
/// `[flags, device << 1 | write, register, data]` (bmminer-mix `read_temp`, `check_reg_temp`;
/// bm13xx-rs `I2CControl`): bit 31 busy, bits 31-30 clear once the transfer is done, bits 15-8
/// echo the device register and bits 7-0 carry the byte read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AsicI2cPath {
    /// The frame that writes the I2C command register (starts the device read).
    pub start: heapless::Vec<u8, MAX_PATH_FRAME>,
    /// The frame that reads the I2C command register back.
    pub poll: heapless::Vec<u8, MAX_PATH_FRAME>,
    /// The chip's address, as its reply carries it.
    pub chip: u8,
    /// The device's 7-bit I2C address (echoed in bits 23-17 of the reply, read bit 16 clear).
    pub device: u8,
    /// The chip's I2C command register, as its reply carries it.
    pub command_register: u8,
    /// The device register read (echoed in bits 15-8 of the reply).
    pub device_register: u8,
    /// Bytes of the chip's register reply, preamble and type+CRC byte included (7 on BM1387,
    /// 9, or 11 on a BM136x with version rolling on; facts §2): the jig takes a reading only
    /// from a reply whose CRC5 checks.
    pub reply_len: u8,
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
    /// The health counters.
    Stats(JigStats),
    /// The tap dividers are calibrated.
    Calibrated {
        /// Taps that read within 5 % of the reference (corrected when storing).
        taps: u8,
        /// Their largest error without any correction, mV.
        worst_raw_mv: u32,
        /// Their largest error with the corrections in force during the scan, mV.
        worst_corrected_mv: u32,
    },
    /// Chain bytes queued; the first goes on the line at this jig time (the host's model of the
    /// line follows it, so a job is never cut short by a late start it did not know about).
    Queued {
        /// Jig time, µs.
        starts_us: u64,
    },
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
    /// The input power monitor (or a supervised sensor) stopped answering: over-current and
    /// under-voltage can no longer be seen, so power is cut.
    SensorFailed,
    /// The board was unplugged while powered.
    Unplugged,
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
