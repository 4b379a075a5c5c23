//! The firmware state machine.

use embedded_hal::i2c::I2c;
use jig_wire::frame::{Decoder, MAX_FRAME};
use jig_wire::{
    AsicI2cPath, CoreRegulator, DeviceError, Event, HostFrame, JigFrame, JigStats, MAX_LEASE_MS,
    PROTOCOL_VERSION, PicOp, Request, Response, SensorAddress, Telemetry, TripReason,
};

use crate::hal::Hal;

/// Multiplexer channels of the domain-tap ladder.
pub const TAP_CHANNELS: usize = 64;
/// I2C address of the INA226-class input power monitor.
const INA226: u8 = 0x40;
/// I2C address of the board EEPROM (AT24C02 class).
const EEPROM: u8 = 0x50;
/// Chain bytes buffered before they must go to the host.
const RX_CAPACITY: usize = 1024;
/// Host bytes buffered for the chain.
const TX_CAPACITY: usize = 4096;
/// An `AsicRx` event goes out when this many bytes are waiting, or when the line has been quiet
/// this long.
const RX_FLUSH_BYTES: usize = 128;
const RX_FLUSH_QUIET_US: u64 = 200;
/// Sensors behind chips the jig keeps reading (the S19 Pro has four).
const ASIC_PATHS: usize = 4;
/// Wait between the chip's I2C command and its read-back, µs (bmminer-mix `check_reg_temp`
/// sleeps 1 ms).
const ASIC_I2C_WAIT_US: u64 = 1_000;
/// How long a read-back may take to come back once it left, µs (the reply crosses the chain's
/// relays; bmminer gives a register read 2 tries).
const ASIC_REPLY_TIMEOUT_US: u64 = 20_000;
/// Read-backs before a chip-hosted sensor counts as not answering (bmminer `wait_iic_ok`: 2).
const ASIC_POLLS: u8 = 2;
/// The device register the chip's I2C command register is left reading after each reading
/// (`marker_frame`): the NCT218's ID register, which bmminer reads too (facts §5.1, BMM
/// `read_temp()`: register 0xFE reads the sensor ID, 0x1A), and its die revision where 0xFE is
/// the register read.
const MARK_REGISTER: u8 = 0xFE;
const MARK_REGISTER_ALT: u8 = 0xFF;

/// Safety limits and calibration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Lease time when the host sets none, ms.
    pub default_lease_ms: u32,
    /// Input current trip, mA.
    pub max_input_ma: u32,
    /// Input voltage trip (below), mV; checked once power has been on for `settle_ms`.
    pub min_input_mv: u32,
    /// Temperature trip, hundredths of °C, for every I2C sensor read.
    pub max_temp_centi: i32,
    /// Power settle time before the under-voltage check, ms.
    pub settle_ms: u32,
    /// How often the supervisor samples the power monitor, ms.
    pub supervise_ms: u32,
    /// Tap divider: tap mV = ADC mV × ratio / 1000.
    pub tap_ratio_milli: u32,
    /// INA226 shunt resistance, µΩ.
    pub shunt_micro_ohm: u32,
    /// Fastest ASIC UART rate.
    pub max_baud: u32,
    /// Wait after switching the tap multiplexer before a conversion, µs (CD74HC4067 switching
    /// plus the divider's RC).
    pub mux_settle_us: u32,
    /// One ADC conversion, µs (ADS1115 at 860 samples/s: 1.163 ms, with margin).
    pub adc_conversion_us: u32,
    /// How often a powered board's temperature sensors are read by the supervisor, ms (one
    /// sensor a time, round robin, among those the host has read).
    pub temp_supervise_ms: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            default_lease_ms: 1000,
            max_input_ma: 150_000,
            min_input_mv: 300,
            max_temp_centi: 11_000,
            settle_ms: 200,
            supervise_ms: 10,
            tap_ratio_milli: 30_000,
            shunt_micro_ohm: 500,
            max_baud: 3_125_000,
            mux_settle_us: 20,
            adc_conversion_us: 1_200,
            temp_supervise_ms: 250,
        }
    }
}

/// The jig.
#[derive(Debug)]
pub struct Firmware<H, I> {
    hal: H,
    i2c: I,
    limits: Limits,
    name: &'static str,
    simulated: bool,
    decoder: Decoder,
    lease_ms: u32,
    last_host_us: u64,
    power_on_at: Option<u64>,
    tripped: Option<TripReason>,
    rx: heapless::Deque<u8, RX_CAPACITY>,
    rx_first_us: u64,
    rx_last_us: u64,
    rx_dropped: u32,
    tx: heapless::Deque<u8, TX_CAPACITY>,
    sync: Option<(u16, u64)>,
    last_supervise_us: u64,
    plug: bool,
    /// A telemetry sample in progress: one step per pass of the main loop.
    measuring: Option<Measuring>,
    /// Health counters.
    stats: JigStats,
    /// The chain UART's rate, and when the bytes queued so far will have left, µs.
    baud: u32,
    tx_end_us: u64,
    /// When the main loop last passed, µs.
    last_poll_us: Option<u64>,
    /// Sensors the host read: the supervisor watches them while the board is powered.
    watched: heapless::Vec<SensorAddress, 8>,
    watch_next: usize,
    last_temp_us: u64,
    /// The PIC kept alive: (I2C address, period µs, last heartbeat µs).
    pic_heartbeat: Option<(u8, u64, u64)>,
    /// Since when a sensor has read above the limit (the trip follows within the grace).
    hot_since: Option<u64>,
    /// Sensors behind chips, with the frames that reach them (forgotten on reset and power off).
    asic_paths: heapless::Vec<(SensorAddress, AsicI2cPath), ASIC_PATHS>,
    /// The chip-hosted sensor read in progress.
    asic_read: Option<AsicRead>,
    /// A host read of a chip-hosted sensor waiting for the one in progress: (id, path slot).
    asic_wanted: Option<(u16, usize)>,
    /// The marker read after the last reading (`mark_asic_register`) runs on its chip's I2C
    /// master until this jig time, µs: no start goes out before.
    asic_mark_until_us: u64,
    /// Per-tap corrections, ppm of the reading (from the jig's EEPROM).
    cal: [i32; TAP_CHANNELS],
    /// Corrections still to store: the next tap, and not before this jig time.
    cal_writes: Option<(u8, u64)>,
    /// The board EEPROM stores its last page until this jig time (t_WR).
    eeprom_busy_until: u64,
}

/// Time between a sensor read above the temperature limit and the trip, µs.
const OVERTEMP_GRACE_US: u64 = 50_000;

/// The APW12 supply on the board bus (skot/bitcrane_test_scripts `apw_protocol.md`,
/// `APW_PSU.py`): address 0x10, every byte written to register 0x11 on its own.
mod apw {
    pub const ADDRESS: u8 = 0x10;
    pub const REGISTER: u8 = 0x11;
    pub const SET_VOLTAGE: u8 = 0x83;
    /// Output at code 0, mV, and the step a code lowers it, µV (bitcrane's fit).
    pub const TOP_MV: u32 = 15_092;
    pub const STEP_UV: u32 = 13_000;
}

/// Bitaxe core regulators (ESP-Miner `main/power/TPS546.c`, `DS4432U.c`).
mod core_rail {
    pub const TPS546: u8 = 0x24;
    pub const OPERATION: u8 = 0x01;
    pub const OPERATION_ON: u8 = 0x80;
    pub const VOUT_MODE: u8 = 0x20;
    pub const VOUT_COMMAND: u8 = 0x21;
    pub const DS4432U: u8 = 0x48;
    pub const DS4432U_OUT0: u8 = 0xF8;
    /// TPS40305 feedback voltage and the Bitaxe's divider (R14, R15), µV and Ω.
    pub const VFB_UV: i64 = 600_000;
    pub const RA_OHM: i64 = 4_750;
    pub const RB_OHM: i64 = 3_320;
    /// The DAC's full-scale current, nA ((Vrfs / Rfs) × 127 / 16 with R16 = 80 kΩ).
    pub const IFS_NA: i64 = 98_921;
    /// Output with the DAC at 0, mV; the DAC sinks below it and sources above.
    pub const VNOM_MV: u32 = 1_451;
    /// ESP-Miner's range for the DS4432U boards, mV.
    pub const DS_MIN_MV: u32 = 46;
    pub const DS_MAX_MV: u32 = 2_390;
}

/// PIC command bytes (bmminer-mix `driver-btm-c5.h`).
mod pic {
    pub const PREAMBLE: [u8; 2] = [0x55, 0xAA];
    pub const SET_VOLTAGE: u8 = 0x10;
    pub const ENABLE_VOLTAGE: u8 = 0x15;
    pub const SEND_HEART_BEAT: u8 = 0x16;
    pub const GET_VERSION: u8 = 0x17;
    pub const GET_VOLTAGE: u8 = 0x18;
    pub const JUMP_TO_APP: u8 = 0x06;
    pub const RESET: u8 = 0x07;
}

/// Where a telemetry sample stands.
#[derive(Debug)]
struct Measuring {
    id: u16,
    taps: u8,
    channel: u8,
    /// Converting (else settling after a multiplexer switch) until this jig time, µs.
    converting: bool,
    until_us: u64,
    /// Each tap as read, µV at the tap, before its correction.
    raw_uv: heapless::Vec<u32, { jig_wire::MAX_TAPS }>,
    /// A calibration scan against this reference, mV, and whether to store the corrections
    /// (else a telemetry sample).
    calibrate: Option<(u32, bool)>,
}

/// A read of a sensor behind a chip, over passes of the main loop.
#[derive(Debug)]
struct AsicRead {
    /// Which of `asic_paths`.
    slot: usize,
    /// The host request to answer, if the host asked (else the supervisor did).
    id: Option<u16>,
    /// Waiting for the chip's transfer (else for its read-back) until this jig time, µs.
    waiting: bool,
    until_us: u64,
    /// Read-backs sent.
    polls: u8,
    /// The last chain bytes received while a read-back is out: one reply's worth.
    window: heapless::Vec<u8, MAX_REPLY_LEN>,
}

/// The longest chip reply, preamble included: 11 bytes on a BM136x with version rolling on
/// (facts §2).
const MAX_REPLY_LEN: usize = 11;

/// The CRC5 of BM13xx chip frames: polynomial x^5+x^2+1, initial value 0x1F, most significant
/// bit first, no reflection or output XOR (ESP-Miner `components/asic/crc.c` `crc5()`; facts
/// §1.3). Run over a reply's bytes after the preamble, its type+CRC byte included, it leaves 0
/// (ESP-Miner `receive_work()`). The chip-protocol crate has its own; the firmware keeps to
/// the wire crate.
fn crc5(bytes: &[u8]) -> u8 {
    bytes.iter().fold(0x1F, |crc, &byte| {
        (0..8).rev().fold(crc, |crc: u8, bit| {
            let feedback = ((crc >> 4) ^ (byte >> bit)) & 1;
            (((crc << 1) | feedback) ^ (feedback << 2)) & 0x1F
        })
    })
}

/// The start frame `start` made to read `MARK_REGISTER` of the same device instead of
/// `device_register` (`MARK_REGISTER_ALT` where that is the one read): the command word's bits
/// 15-8 (the third byte before the CRC, big-endian; facts §1.2) replaced and its CRC5 made again
/// over the bytes after the preamble (facts §1.3: a command's last byte is the CRC5 of the
/// bytes after `55 AA` up to it). `None` when `start` is not such a frame (its last byte is
/// not that CRC5): no marker, the read goes as before.
fn marker_frame(
    start: &[u8],
    device_register: u8,
) -> Option<heapless::Vec<u8, { jig_wire::MAX_PATH_FRAME }>> {
    let body = if start.starts_with(&[0x55, 0xAA]) {
        2
    } else {
        0
    };
    let (&crc, framed) = start.split_last()?;
    let covered = framed.get(body..)?;
    if covered.len() < 4 || crc5(covered) != crc {
        return None;
    }
    let mut marker = heapless::Vec::from_slice(start).ok()?;
    let at = start.len().checked_sub(3)?;
    *marker.get_mut(at)? = if device_register == MARK_REGISTER {
        MARK_REGISTER_ALT
    } else {
        MARK_REGISTER
    };
    let last = marker.len() - 1;
    let fresh = crc5(marker.get(body..last)?);
    *marker.get_mut(last)? = fresh;
    Some(marker)
}

/// A stored correction beyond this is no divider's error but a broken one: ignored, ppm.
const MAX_CORRECTION_PPM: i32 = 50_000;
/// An AT24C02 EEPROM's write time (the jig's own, between two stored corrections, and the
/// board's, between two pages), µs: t_WR is 5 ms at most.
const EEPROM_WRITE_US: u64 = 6_000;

/// Encode `frame` and hand it to `out`.
fn emit(frame: &JigFrame<'_>, out: &mut impl FnMut(&[u8])) {
    let mut buf = [0u8; MAX_FRAME];
    if let Ok(n) = jig_wire::encode(frame, &mut buf) {
        out(buf.get(..n).unwrap_or_default());
    }
}

fn respond(id: u16, response: Response<'_>, out: &mut impl FnMut(&[u8])) {
    emit(&JigFrame::Response { id, response }, out);
}

impl<H: Hal, I: I2c> Firmware<H, I> {
    /// The firmware at power-on: board power off, chain in reset.
    pub fn new(mut hal: H, i2c: I, limits: Limits, name: &'static str, simulated: bool) -> Self {
        hal.set_power(false);
        hal.set_reset(true);
        hal.set_fan(0);
        let now = hal.now_us();
        let plug = hal.plug_present();
        Self {
            hal,
            i2c,
            limits,
            name,
            simulated,
            decoder: Decoder::new(),
            lease_ms: limits.default_lease_ms,
            last_host_us: now,
            power_on_at: None,
            tripped: None,
            rx: heapless::Deque::new(),
            rx_first_us: 0,
            rx_last_us: 0,
            rx_dropped: 0,
            tx: heapless::Deque::new(),
            sync: None,
            last_supervise_us: now,
            plug,
            measuring: None,
            stats: JigStats::default(),
            baud: 115_200,
            tx_end_us: now,
            last_poll_us: None,
            watched: heapless::Vec::new(),
            watch_next: 0,
            last_temp_us: now,
            pic_heartbeat: None,
            hot_since: None,
            asic_paths: heapless::Vec::new(),
            asic_read: None,
            asic_wanted: None,
            asic_mark_until_us: 0,
            cal: [0; TAP_CHANNELS],
            cal_writes: None,
            eeprom_busy_until: 0,
        }
        .with_calibration()
    }

    /// Load the tap corrections from the jig's EEPROM (once, before the main loop runs).
    fn with_calibration(mut self) -> Self {
        for tap in 0..TAP_CHANNELS {
            let ppm = self.hal.cal_load(tap as u8).unwrap_or(0);
            self.cal[tap] = if ppm.abs() <= MAX_CORRECTION_PPM {
                ppm
            } else {
                0
            };
        }
        self
    }

    /// The tap corrections in force, ppm.
    #[must_use]
    pub fn calibration(&self) -> &[i32; TAP_CHANNELS] {
        &self.cal
    }

    /// Send `55 AA cmd data…` to the PIC at `address`, a byte per I2C write, as bmminer does.
    fn pic_send(&mut self, address: u8, cmd: u8, data: &[u8]) -> bool {
        pic::PREAMBLE
            .iter()
            .chain(core::iter::once(&cmd))
            .chain(data)
            .all(|b| self.i2c.write(address, core::slice::from_ref(b)).is_ok())
    }

    /// Set a Bitaxe core rail to `mv` (ESP-Miner `TPS546_set_vout`, `DS4432U_set_voltage`).
    fn core_voltage(&mut self, regulator: CoreRegulator, mv: u32) -> Result<(), DeviceError> {
        let nack = |_| DeviceError::NoDevice;
        match regulator {
            CoreRegulator::Tps546 => {
                // VOUT_COMMAND is ULINEAR16 in the exponent VOUT_MODE gives (5-bit two's
                // complement; the TPS546's default 0x17 is 2^-9 V).
                let mut mode = [0u8; 1];
                self.i2c
                    .write_read(core_rail::TPS546, &[core_rail::VOUT_MODE], &mut mode)
                    .map_err(nack)?;
                let exponent =
                    i32::from((mode[0] & 0x1F) as i8) - if mode[0] & 0x10 != 0 { 32 } else { 0 };
                let value = if exponent < 0 {
                    (u64::from(mv) << (-exponent) as u32) / 1000
                } else {
                    u64::from(mv) / (1000u64 << exponent as u32)
                };
                let word = u16::try_from(value).map_err(|_| DeviceError::OutOfRange)?;
                let [lo, hi] = word.to_le_bytes();
                self.i2c
                    .write(core_rail::TPS546, &[core_rail::VOUT_COMMAND, lo, hi])
                    .map_err(nack)?;
                self.i2c
                    .write(
                        core_rail::TPS546,
                        &[core_rail::OPERATION, core_rail::OPERATION_ON],
                    )
                    .map_err(nack)
            }
            CoreRegulator::Ds4432u => {
                if !(core_rail::DS_MIN_MV..=core_rail::DS_MAX_MV).contains(&mv) {
                    return Err(DeviceError::OutOfRange);
                }
                // The current that moves the TPS40305's feedback node to give `mv`, in steps of
                // IFS / 127, rounded up; the top bit says sink (below nominal).
                let vout_uv = i64::from(mv) * 1000;
                let i_na = core_rail::VFB_UV * 1000 / core_rail::RB_OHM
                    - (vout_uv - core_rail::VFB_UV) * 1000 / core_rail::RA_OHM;
                let steps = (i_na.unsigned_abs() * 127)
                    .div_ceil(core_rail::IFS_NA as u64)
                    .min(127) as u8;
                let code = if mv < core_rail::VNOM_MV {
                    steps | 0x80
                } else {
                    steps
                };
                self.i2c
                    .write(core_rail::DS4432U, &[core_rail::DS4432U_OUT0, code])
                    .map_err(nack)
            }
        }
    }

    fn pic_op(&mut self, address: u8, op: PicOp) -> Result<Option<u8>, DeviceError> {
        let ok = |sent: bool| {
            if sent {
                Ok(None)
            } else {
                Err(DeviceError::NoDevice)
            }
        };
        match op {
            PicOp::Reset => ok(self.pic_send(address, pic::RESET, &[])),
            PicOp::JumpToApp => ok(self.pic_send(address, pic::JUMP_TO_APP, &[])),
            PicOp::SetVoltage { code } => ok(self.pic_send(address, pic::SET_VOLTAGE, &[code])),
            PicOp::EnableDcDc { on } => {
                ok(self.pic_send(address, pic::ENABLE_VOLTAGE, &[u8::from(on)]))
            }
            PicOp::Version | PicOp::GetVoltage => {
                let command = if op == PicOp::Version {
                    pic::GET_VERSION
                } else {
                    pic::GET_VOLTAGE
                };
                if !self.pic_send(address, command, &[]) {
                    return Err(DeviceError::NoDevice);
                }
                let mut v = [0u8; 1];
                self.i2c
                    .read(address, &mut v)
                    .map_err(|_| DeviceError::NoDevice)?;
                Ok(Some(v[0]))
            }
            PicOp::Heartbeat { every_ms } => {
                let now = self.hal.now_us();
                self.pic_heartbeat =
                    (every_ms > 0).then_some((address, u64::from(every_ms) * 1000, now));
                if every_ms > 0 && !self.pic_send(address, pic::SEND_HEART_BEAT, &[]) {
                    return Err(DeviceError::NoDevice);
                }
                Ok(None)
            }
        }
    }

    /// The health counters (also reported to the host on `Stats`).
    #[must_use]
    pub fn stats(&mut self) -> JigStats {
        let (lost, errors) = self.hal.rx_faults();
        JigStats {
            rx_dropped_bytes: self.stats.rx_dropped_bytes.saturating_add(lost),
            uart_errors: errors,
            ..self.stats
        }
    }

    /// Bytes for the host that the USB queue could not take (the binary counts them).
    pub fn note_usb_dropped(&mut self, bytes: u32) {
        self.stats.usb_dropped = self.stats.usb_dropped.saturating_add(bytes);
    }

    /// The hardware (for the simulator and tests).
    pub fn hal(&mut self) -> &mut H {
        &mut self.hal
    }

    /// Why power was cut, if a safety trip is latched.
    #[must_use]
    pub fn tripped(&self) -> Option<TripReason> {
        self.tripped
    }

    /// Whether board power is on.
    #[must_use]
    pub fn powered(&self) -> bool {
        self.power_on_at.is_some()
    }

    /// Whether a request is still being worked on over passes of the main loop (a telemetry
    /// sample, a sensor read through a chip).
    #[must_use]
    pub fn busy(&self) -> bool {
        self.measuring.is_some()
            || self.asic_wanted.is_some()
            || self.asic_read.as_ref().is_some_and(|r| r.id.is_some())
    }

    /// The jig time a pending `Sync` waits for.
    #[must_use]
    pub fn pending_sync(&self) -> Option<u64> {
        self.sync.map(|(_, t)| t)
    }

    /// Bytes from the host; frames go to the dispatcher, answers to `out`.
    pub fn on_host_bytes(&mut self, bytes: &[u8], out: &mut impl FnMut(&[u8])) {
        let mut decoder = core::mem::take(&mut self.decoder);
        decoder.feed(bytes, |payload| {
            let Ok(payload) = payload else { return };
            match jig_wire::decode::<HostFrame<'_>>(payload) {
                Ok(frame) => {
                    self.last_host_us = self.hal.now_us();
                    self.dispatch(frame.id, frame.request, out);
                }
                // A frame with a good CRC that is no request of this protocol: say so, no id.
                Err(_) => respond(u16::MAX, Response::Error(DeviceError::BadRequest), out),
            }
        });
        self.decoder = decoder;
    }

    fn power(&mut self, on: bool) {
        self.hal.set_power(on);
        if on {
            self.hal.set_fan(100);
            self.power_on_at = Some(self.hal.now_us());
        } else {
            self.hal.set_reset(true);
            self.hal.set_fan(0);
            self.power_on_at = None;
            self.pic_heartbeat = None;
            self.forget_asic_paths();
        }
        self.hal.set_led(on);
    }

    /// The chips lost their addresses (reset or power off): the sensors behind them are out of
    /// reach until the host reads them again. A host read in progress is answered by
    /// `step_asic_read` (`NoDevice`).
    fn forget_asic_paths(&mut self) {
        self.asic_paths.clear();
        if let Some(read) = self.asic_read.as_mut() {
            read.polls = ASIC_POLLS;
            read.waiting = false;
            read.until_us = 0;
        }
    }

    fn dispatch(&mut self, id: u16, request: Request<'_>, out: &mut impl FnMut(&[u8])) {
        match request {
            Request::Hello { protocol } => {
                if protocol != PROTOCOL_VERSION {
                    return respond(
                        id,
                        Response::Error(DeviceError::VersionMismatch {
                            jig: PROTOCOL_VERSION,
                        }),
                        out,
                    );
                }
                respond(
                    id,
                    Response::Hello {
                        protocol: PROTOCOL_VERSION,
                        firmware: self.name,
                        max_baud: self.limits.max_baud,
                        simulated: self.simulated,
                    },
                    out,
                );
                if let Some(reason) = self.tripped {
                    // Tell a (re)connecting host why the board is off.
                    emit(
                        &JigFrame::Event(Event::Trip {
                            reason,
                            at_us: self.last_host_us,
                        }),
                        out,
                    );
                }
            }
            Request::SetPower { on } => {
                // A latched trip keeps the board off until the host clears it explicitly.
                if on && (self.tripped.is_some() || !self.plug_ok()) {
                    return respond(id, Response::Error(DeviceError::Tripped), out);
                }
                self.power(on);
                respond(id, Response::Ok, out);
            }
            Request::Pic { address, op } => match self.pic_op(address, op) {
                Ok(Some(byte)) => respond(id, Response::Bytes(&[byte]), out),
                Ok(None) => respond(id, Response::Ok, out),
                Err(e) => respond(id, Response::Error(e), out),
            },
            Request::SupplyVoltage { mv } => {
                let lowest = apw::TOP_MV - 255 * apw::STEP_UV / 1000;
                if !(lowest..=apw::TOP_MV).contains(&mv) {
                    return respond(id, Response::Error(DeviceError::OutOfRange), out);
                }
                let code = ((apw::TOP_MV - mv) * 1000 + apw::STEP_UV / 2) / apw::STEP_UV;
                // 55 AA, then LEN CMD PARAM_LO PARAM_HI and the 16-bit sum of those, LSB first.
                let body = [6u8, apw::SET_VOLTAGE, code as u8, 0];
                let sum: u16 = body.iter().map(|&b| u16::from(b)).sum();
                let [lo, hi] = sum.to_le_bytes();
                let sent = [0x55, 0xAA, body[0], body[1], body[2], body[3], lo, hi]
                    .iter()
                    .all(|&b| self.i2c.write(apw::ADDRESS, &[apw::REGISTER, b]).is_ok());
                if sent {
                    respond(id, Response::Ok, out);
                } else {
                    respond(id, Response::Error(DeviceError::NoDevice), out);
                }
            }
            Request::CoreVoltage { regulator, mv } => match self.core_voltage(regulator, mv) {
                Ok(()) => respond(id, Response::Ok, out),
                Err(e) => respond(id, Response::Error(e), out),
            },
            Request::ClearTrip => {
                self.tripped = None;
                respond(id, Response::Ok, out);
            }
            Request::Stats => {
                let stats = self.stats();
                respond(id, Response::Stats(stats), out);
            }
            Request::SetReset { asserted } => {
                self.hal.set_reset(asserted || !self.powered());
                if asserted {
                    self.forget_asic_paths();
                }
                respond(id, Response::Ok, out);
            }
            Request::SetBaud { baud } => {
                if baud == 0 || baud > self.limits.max_baud || !self.hal.set_baud(baud) {
                    return respond(id, Response::Error(DeviceError::OutOfRange), out);
                }
                self.baud = baud;
                respond(id, Response::Ok, out);
            }
            Request::AsicSend { bytes } => match self.queue_chain(bytes) {
                Some(starts_us) => respond(id, Response::Queued { starts_us }, out),
                None => respond(id, Response::Error(DeviceError::Busy), out),
            },
            Request::Sync { until_us } => {
                self.sync = Some((id, until_us));
                self.poll(out);
            }
            Request::Measure { taps } => {
                if self.measuring.is_some() {
                    return respond(id, Response::Error(DeviceError::Busy), out);
                }
                let taps = if taps == 0 {
                    TAP_CHANNELS as u8
                } else {
                    taps.min(TAP_CHANNELS as u8)
                };
                if !self.powered() {
                    return self.finish_measure(id, heapless::Vec::new(), out);
                }
                // One step a pass of the main loop: switch, settle, convert, read (a blocking
                // scan of 64 taps took about 99 ms, past the watchdog and USB's 10 ms).
                self.hal.mux_select(0);
                let now = self.hal.now_us();
                self.measuring = Some(Measuring {
                    id,
                    taps,
                    channel: 0,
                    converting: false,
                    until_us: now + u64::from(self.limits.mux_settle_us),
                    raw_uv: heapless::Vec::new(),
                    calibrate: None,
                });
            }
            Request::Calibrate {
                reference_mv,
                store,
            } => {
                if self.measuring.is_some() || self.powered() || reference_mv == 0 {
                    // Calibrate with the board off and the calibration plug on the harness.
                    return respond(id, Response::Error(DeviceError::Busy), out);
                }
                self.hal.mux_select(0);
                let now = self.hal.now_us();
                self.measuring = Some(Measuring {
                    id,
                    taps: TAP_CHANNELS as u8,
                    channel: 0,
                    converting: false,
                    until_us: now + u64::from(self.limits.mux_settle_us),
                    raw_uv: heapless::Vec::new(),
                    calibrate: Some((reference_mv, store)),
                });
            }
            Request::ReadTemperature { sensor } if sensor.via_chip.is_some() => {
                // Behind a chip only `ReadAsicSensor` says how to reach it.
                respond(id, Response::Error(DeviceError::BadRequest), out);
            }
            Request::ReadTemperature { sensor } => match self.temperature(sensor) {
                Some(centi_c) => {
                    respond(id, Response::Temperature { centi_c }, out);
                    if !self.watched.contains(&sensor) {
                        let _ = self.watched.push(sensor);
                    }
                    self.note_temperature(centi_c);
                }
                None => respond(id, Response::Error(DeviceError::NoDevice), out),
            },
            Request::ReadAsicSensor { sensor, path } => {
                if sensor.via_chip.is_none() || path.start.is_empty() || path.poll.is_empty() {
                    return respond(id, Response::Error(DeviceError::BadRequest), out);
                }
                if !self.powered() {
                    return respond(id, Response::Error(DeviceError::NoDevice), out);
                }
                let slot = match self.asic_paths.iter().position(|(s, _)| *s == sensor) {
                    Some(slot) => {
                        if let Some(known) = self.asic_paths.get_mut(slot) {
                            known.1 = path;
                        }
                        slot
                    }
                    None => {
                        if self.asic_paths.is_full() {
                            // The host re-addressed the chain: its newest word wins.
                            self.evict_oldest_path();
                        }
                        let _ = self.asic_paths.push((sensor, path));
                        self.asic_paths.len() - 1
                    }
                };
                if self.asic_wanted.is_some() {
                    return respond(id, Response::Error(DeviceError::Busy), out);
                }
                match self.asic_read.as_mut() {
                    // The supervisor is reading this one: answer the host with it.
                    Some(read) if read.slot == slot && read.id.is_none() => read.id = Some(id),
                    Some(_) => self.asic_wanted = Some((id, slot)),
                    None => self.start_asic_read(slot, Some(id)),
                }
            }
            Request::ReadEeprom { .. } | Request::WriteEeprom { .. }
                if self.hal.now_us() < self.eeprom_busy_until =>
            {
                // Still storing the last page: it would not acknowledge its address.
                respond(id, Response::Error(DeviceError::Busy), out);
            }
            Request::WriteEeprom { offset, bytes } => {
                let page = usize::from(offset) % jig_wire::EEPROM_PAGE;
                if bytes.is_empty() || page + bytes.len() > jig_wire::EEPROM_PAGE {
                    // A page write wraps inside its page: bytes past the boundary would land
                    // at its start (datasheet §6.2), never what the host meant.
                    return respond(id, Response::Error(DeviceError::OutOfRange), out);
                }
                let mut frame = [0u8; 1 + jig_wire::EEPROM_PAGE];
                frame[0] = offset;
                frame[1..=bytes.len()].copy_from_slice(bytes);
                match self.i2c.write(EEPROM, &frame[..=bytes.len()]) {
                    Ok(()) => {
                        self.eeprom_busy_until = self.hal.now_us() + EEPROM_WRITE_US;
                        respond(id, Response::Ok, out);
                    }
                    Err(_) => respond(id, Response::Error(DeviceError::NoDevice), out),
                }
            }
            Request::ReadEeprom { offset, len } => {
                let mut buf = [0u8; 64];
                let n = usize::from(len).min(buf.len());
                match self.i2c.write_read(EEPROM, &[offset], &mut buf[..n]) {
                    Ok(()) => respond(id, Response::Bytes(&buf[..n]), out),
                    Err(_) => respond(id, Response::Error(DeviceError::NoDevice), out),
                }
            }
            Request::Lease { ms } => {
                if ms > MAX_LEASE_MS {
                    return respond(id, Response::Error(DeviceError::OutOfRange), out);
                }
                self.lease_ms = if ms == 0 {
                    self.limits.default_lease_ms
                } else {
                    ms
                };
                respond(id, Response::Ok, out);
            }
        }
    }

    fn plug_ok(&mut self) -> bool {
        self.hal.plug_present()
    }

    /// Queue chain bytes after everything queued before; the jig time the first goes on the
    /// line, or `None` when the transmit buffer cannot take them all.
    fn queue_chain(&mut self, bytes: &[u8]) -> Option<u64> {
        if self.tx.capacity() - self.tx.len() < bytes.len() {
            return None;
        }
        for &b in bytes {
            let _ = self.tx.push_back(b);
        }
        // When these bytes go out: after everything queued before, 10 bits a byte.
        let now = self.hal.now_us();
        let starts_us = now.max(self.tx_end_us);
        let byte_ns = 10_000_000_000u64 / u64::from(self.baud.max(1));
        self.tx_end_us = starts_us + (bytes.len() as u64 * byte_ns).div_ceil(1000);
        self.pump_tx();
        Some(starts_us)
    }

    /// A reading in hundredths of °C from a sensor on a powered board: past the limit, the
    /// supervisor cuts power within `OVERTEMP_GRACE_US`, long enough for the host to read the
    /// board's other sensors (the hot one may not be the nearest), far shorter than any
    /// heatsink's time constant.
    fn note_temperature(&mut self, centi_c: i32) {
        if centi_c > self.limits.max_temp_centi && self.powered() {
            let now = self.hal.now_us();
            self.hot_since.get_or_insert(now);
        }
    }

    /// Drop the path the host taught first; a read in progress on it ends as not answering.
    fn evict_oldest_path(&mut self) {
        if self.asic_paths.is_empty() {
            return;
        }
        self.asic_paths.remove(0);
        if let Some(read) = self.asic_read.as_mut() {
            if read.slot == 0 {
                read.slot = usize::MAX;
                read.until_us = 0;
            } else {
                read.slot -= 1;
            }
        }
        if let Some((_, slot)) = self.asic_wanted.as_mut() {
            *slot = slot.wrapping_sub(1);
        }
    }

    /// Start reading the sensor behind a chip: the chip's I2C command goes on the chain now.
    fn start_asic_read(&mut self, slot: usize, id: Option<u16>) {
        let Some(start) = self.asic_paths.get(slot).map(|(_, p)| p.start.clone()) else {
            return;
        };
        // The marker read after the last reading still runs: a command now would land while
        // its master is busy. Try again on the next pass (the supervisor) or wait for it.
        if self.hal.now_us() < self.asic_mark_until_us {
            if let Some(id) = id {
                self.asic_wanted = Some((id, slot));
            }
            return;
        }
        // A full transmit buffer: try again on the next pass (the supervisor) or say so.
        if self.queue_chain(&start).is_none() {
            if let Some(id) = id {
                self.asic_wanted = Some((id, slot));
            }
            return;
        }
        self.asic_read = Some(AsicRead {
            slot,
            id,
            waiting: true,
            until_us: self.tx_end_us + ASIC_I2C_WAIT_US,
            polls: 0,
            window: heapless::Vec::new(),
        });
    }

    /// One step of the chip-hosted sensor read in progress.
    fn step_asic_read(&mut self, now: u64, out: &mut impl FnMut(&[u8])) {
        let Some(read) = self.asic_read.as_mut() else {
            match self.asic_wanted.take() {
                Some((id, slot)) if slot < self.asic_paths.len() => {
                    self.start_asic_read(slot, Some(id));
                }
                // The chain was reset meanwhile.
                Some((id, _)) => respond(id, Response::Error(DeviceError::NoDevice), out),
                None => {}
            }
            return;
        };
        if now < read.until_us {
            return;
        }
        if read.polls >= ASIC_POLLS || self.asic_paths.get(read.slot).is_none() {
            // No answer that bmminer would take, twice: the sensor (or its chip) is not there.
            if let Some(id) = self.asic_read.take().and_then(|r| r.id) {
                respond(id, Response::Error(DeviceError::NoDevice), out);
            }
            return;
        }
        let slot = read.slot;
        let Some(poll) = self.asic_paths.get(slot).map(|(_, p)| p.poll.clone()) else {
            return;
        };
        if self.queue_chain(&poll).is_none() {
            return;
        }
        let tx_end = self.tx_end_us;
        if let Some(read) = self.asic_read.as_mut() {
            read.polls += 1;
            read.waiting = false;
            read.window.clear();
            read.until_us = tx_end + ASIC_REPLY_TIMEOUT_US;
        }
    }

    /// Chain bytes seen while a read-back is out: the chip's reply carries the command register
    /// (`[prefix] v31-24 v23-16 v15-8 v7-0 chip register …`; replies start `AA 55` where commands
    /// start `55 AA`, facts §1.2). Every byte still goes to the host. Returns the finished
    /// reading, hundredths of °C, with the host request to answer.
    fn sniff_asic_reply(&mut self, bytes: &[u8]) -> Option<(Option<u16>, i32)> {
        let read = self.asic_read.as_mut()?;
        if read.waiting {
            return None;
        }
        let slot = read.slot;
        let (_, path) = self.asic_paths.get(slot)?;
        let prefix: &[u8] = if path.poll.starts_with(&[0x55, 0xAA]) {
            &[0xAA, 0x55]
        } else {
            &[]
        };
        // The whole reply, its CRC byte included: a reply corrupted on the way (a bad joint
        // between the chip and the jig) is no reading. One read 118 °C where the sensor read
        // 50 °C and the jig cut power (tuning seed 5363, S19 Pro past a joint).
        let need = usize::from(path.reply_len).clamp(prefix.len() + 7, MAX_REPLY_LEN);
        let mut found = None;
        for &b in bytes {
            if read.window.len() == need {
                read.window.remove(0);
            }
            let _ = read.window.push(b);
            let w = &read.window;
            let after_preamble = w.get(prefix.len()..).unwrap_or_default();
            if w.len() == need
                && w.starts_with(prefix)
                && after_preamble.get(4) == Some(&path.chip)
                && after_preamble.get(5) == Some(&path.command_register)
                && crc5(after_preamble) == 0
            {
                let v = w.get(prefix.len()..prefix.len() + 4).unwrap_or_default();
                let value = v.iter().fold(0u32, |acc, &x| acc << 8 | u32::from(x));
                found = Some(value);
                break;
            }
        }
        let value = found?;
        let [_, device, echoed, byte] = value.to_be_bytes();
        // The command as the start frame wrote it (its four bytes before the CRC): a chip whose
        // master never ran (its I2C host enable lost on the way) reads it back unchanged, the
        // device address and register echoed and data 0: no reading of 0 °C.
        let written = path
            .start
            .len()
            .checked_sub(5)
            .and_then(|at| path.start.get(at..at + 4))
            .map(|b| b.iter().fold(0u32, |acc, &x| acc << 8 | u32::from(x)));
        // bmminer-mix `check_reg_temp`: done when bits 31-30 are clear, the device register is
        // echoed in bits 15-8, and the byte is neither 0xFF nor 0x7F (no sensor answered). And
        // the device read is the one asked for (a chip's reset value is no reading).
        if value & 0xC000_0000 == 0
            && device == path.device << 1
            && echoed == path.device_register
            && byte != 0xFF
            && byte != 0x7F
            && Some(value) != written
        {
            // NCT218 standard range: whole °C, two's complement.
            let centi_c = i32::from(byte as i8) * 100;
            let id = self.asic_read.take().and_then(|r| r.id);
            self.mark_asic_register(slot);
            Some((id, centi_c))
        } else {
            // Busy or not yet the byte: read back again after the chip's transfer time.
            read.waiting = true;
            read.until_us = self.hal.now_us() + ASIC_I2C_WAIT_US;
            None
        }
    }

    /// After a reading, leave the chip's I2C command register reading another register of the
    /// same device (`marker_frame`). A start lost on its way to the chip next time (a bad
    /// joint before it) then leaves that read in the register, which no read-back takes for a
    /// reading; without it the register still held the last reading, device and register
    /// echoed as asked, and the jig gave it again as new: a stale low reading on a warming
    /// board made a sensor past two joints look as if it rose 4 °C in 0.5 s, an overheating
    /// chip on a board with none (sweep `eval --sweep s19pro --fault joint:18:10000 --fault
    /// joint:20:17000 --fault txnoise:300`, sim seeds 12 and 14: sensor ASIC 58 diode read
    /// 31 °C three times over 9 s while the diodes beside it warmed to 34-35 °C). Only a start
    /// and its marker both lost give a stale reading now.
    fn mark_asic_register(&mut self, slot: usize) {
        let Some(marker) = self
            .asic_paths
            .get(slot)
            .and_then(|(_, p)| marker_frame(&p.start, p.device_register))
        else {
            return;
        };
        if self.queue_chain(&marker).is_some() {
            self.asic_mark_until_us = self.tx_end_us + ASIC_I2C_WAIT_US;
        }
    }

    fn pump_tx(&mut self) {
        let (a, b) = self.tx.as_slices();
        let first = self.hal.uart_write(a);
        let second = if first == a.len() {
            self.hal.uart_write(b)
        } else {
            0
        };
        for _ in 0..first + second {
            self.tx.pop_front();
        }
    }

    fn pull_rx(&mut self, out: &mut impl FnMut(&[u8])) {
        let mut buf = [0u8; 256];
        loop {
            let (n, at) = self.hal.uart_read(&mut buf);
            if n == 0 {
                break;
            }
            // Bytes after a quiet gap start a new event, so every event's timestamp is its own;
            // and a full event's worth goes out at once, so a burst never overflows the buffer.
            let gap = at.saturating_sub(self.rx_last_us) >= RX_FLUSH_QUIET_US;
            if !self.rx.is_empty() && (gap || self.rx.len() >= RX_FLUSH_BYTES) {
                self.flush_rx(out);
            }
            if self.rx.is_empty() {
                self.rx_first_us = at;
            }
            self.rx_last_us = at;
            if let Some((id, centi_c)) = self.sniff_asic_reply(buf.get(..n).unwrap_or_default()) {
                if let Some(id) = id {
                    respond(id, Response::Temperature { centi_c }, out);
                }
                self.note_temperature(centi_c);
            }
            for &b in buf.get(..n).unwrap_or_default() {
                if self.rx.push_back(b).is_err() {
                    self.rx_dropped += 1;
                    self.stats.rx_dropped_bytes = self.stats.rx_dropped_bytes.saturating_add(1);
                }
            }
        }
    }

    fn flush_rx(&mut self, out: &mut impl FnMut(&[u8])) {
        while !self.rx.is_empty() {
            let mut chunk = [0u8; jig_wire::MAX_ASIC_BYTES];
            let mut n = 0;
            while n < chunk.len() {
                let Some(b) = self.rx.pop_front() else { break };
                chunk[n] = b;
                n += 1;
            }
            emit(
                &JigFrame::Event(Event::AsicRx {
                    at_us: self.rx_first_us,
                    bytes: &chunk[..n],
                }),
                out,
            );
            self.rx_first_us = self.rx_last_us;
        }
        if self.rx_dropped > 0 {
            emit(
                &JigFrame::Event(Event::Overflow {
                    dropped: core::mem::take(&mut self.rx_dropped),
                }),
                out,
            );
        }
    }

    /// Do the periodic work: move chain bytes both ways, report received bytes, answer a due
    /// `Sync`, and supervise safety. Call it often (every loop of the firmware's main task).
    pub fn poll(&mut self, out: &mut impl FnMut(&[u8])) {
        let now = self.hal.now_us();
        if let Some(last) = self.last_poll_us {
            let gap = now.saturating_sub(last).min(u64::from(u32::MAX)) as u32;
            self.stats.worst_loop_gap_us = self.stats.worst_loop_gap_us.max(gap);
        }
        self.last_poll_us = Some(now);
        self.pump_tx();
        self.pull_rx(out);
        let quiet = now.saturating_sub(self.rx_last_us) >= RX_FLUSH_QUIET_US;
        if self.rx.len() >= RX_FLUSH_BYTES || (!self.rx.is_empty() && quiet) {
            self.flush_rx(out);
        }
        if let Some((id, until)) = self.sync
            && now >= until
        {
            self.flush_rx(out);
            self.sync = None;
            respond(id, Response::Synced { now_us: now }, out);
        }
        self.step_measure(now, out);
        self.step_asic_read(now, out);
        self.store_calibration(now);
        self.supervise(now, out);
    }

    /// One step of the telemetry sample in progress.
    fn step_measure(&mut self, now: u64, out: &mut impl FnMut(&[u8])) {
        let Some(m) = self.measuring.as_mut() else {
            return;
        };
        if now < m.until_us {
            return;
        }
        if !m.converting {
            m.converting = true;
            m.until_us = now + u64::from(self.limits.adc_conversion_us);
            if !self.hal.adc_start() {
                // A converter that does not answer reads 0 on this tap.
                m.until_us = now;
            }
            return;
        }
        let uv = self.hal.adc_read_uv().unwrap_or(0);
        let tap_uv = u64::from(uv) * u64::from(self.limits.tap_ratio_milli) / 1000;
        let _ = m.raw_uv.push(tap_uv.min(u64::from(u32::MAX)) as u32);
        m.channel += 1;
        if m.channel < m.taps && (self.power_on_at.is_some() || m.calibrate.is_some()) {
            m.converting = false;
            m.until_us = now + u64::from(self.limits.mux_settle_us);
            let channel = m.channel;
            self.hal.mux_select(channel);
            return;
        }
        if let Some(m) = self.measuring.take() {
            if let Some((reference_mv, store)) = m.calibrate {
                return self.finish_calibration(m.id, reference_mv, store, &m.raw_uv, now, out);
            }
            let mut taps = heapless::Vec::new();
            if self.powered() {
                for (k, &raw) in m.raw_uv.iter().enumerate() {
                    let ppm = i64::from(self.cal.get(k).copied().unwrap_or(0));
                    let uv = i64::from(raw) * (1_000_000 + ppm) / 1_000_000;
                    let mv = (uv + 500) / 1000;
                    let _ = taps.push(mv.clamp(0, i64::from(u16::MAX)) as u16);
                }
            }
            self.finish_measure(m.id, taps, out);
        }
    }

    /// Corrections from a scan of every tap at `reference_mv`; stored over the next passes.
    fn finish_calibration(
        &mut self,
        id: u16,
        reference_mv: u32,
        store: bool,
        raw_uv: &[u32],
        now: u64,
        out: &mut impl FnMut(&[u8]),
    ) {
        let reference_uv = i64::from(reference_mv) * 1000;
        let mut taps = 0u8;
        let (mut worst_raw, mut worst_corrected) = (0i64, 0i64);
        for (k, &raw) in raw_uv.iter().enumerate() {
            let raw = i64::from(raw);
            // A clip that is not on the reference (or a dead divider) keeps its correction.
            if raw == 0 || (raw - reference_uv).abs() * 20 > reference_uv {
                continue;
            }
            let Some(slot) = self.cal.get_mut(k) else {
                continue;
            };
            let corrected = raw * (1_000_000 + i64::from(*slot)) / 1_000_000;
            worst_raw = worst_raw.max((raw - reference_uv).abs());
            worst_corrected = worst_corrected.max((corrected - reference_uv).abs());
            if store {
                *slot = (reference_uv * 1_000_000 / raw - 1_000_000) as i32;
            }
            taps += 1;
        }
        if store {
            self.cal_writes = Some((0, now));
        }
        let mv = |uv: i64| ((uv + 500) / 1000) as u32;
        respond(
            id,
            Response::Calibrated {
                taps,
                worst_raw_mv: mv(worst_raw),
                worst_corrected_mv: mv(worst_corrected),
            },
            out,
        );
    }

    /// Store one correction a pass, an EEPROM write time apart.
    fn store_calibration(&mut self, now: u64) {
        let Some((tap, not_before)) = self.cal_writes else {
            return;
        };
        if now < not_before {
            return;
        }
        let ppm = self.cal.get(usize::from(tap)).copied().unwrap_or(0);
        let _ = self.hal.cal_store(tap, ppm);
        // The write cycle runs from the end of this transfer.
        let written = self.hal.now_us();
        let next = tap + 1;
        self.cal_writes =
            (usize::from(next) < TAP_CHANNELS).then_some((next, written + EEPROM_WRITE_US));
    }

    fn finish_measure(
        &mut self,
        id: u16,
        taps_mv: heapless::Vec<u16, { jig_wire::MAX_TAPS }>,
        out: &mut impl FnMut(&[u8]),
    ) {
        let (input_mv, input_ma) = if self.powered() {
            self.input().unwrap_or((0, 0))
        } else {
            (0, 0)
        };
        let telemetry = Telemetry {
            at_us: self.hal.now_us(),
            taps_mv,
            input_mv,
            input_ma,
        };
        respond(id, Response::Telemetry(telemetry), out);
    }

    fn trip(&mut self, reason: TripReason, now: u64, out: &mut impl FnMut(&[u8])) {
        self.power(false);
        self.hot_since = None;
        self.tripped = Some(reason);
        emit(&JigFrame::Event(Event::Trip { reason, at_us: now }), out);
    }

    fn supervise(&mut self, now: u64, out: &mut impl FnMut(&[u8])) {
        let plug = self.hal.plug_present();
        if plug != self.plug {
            self.plug = plug;
            emit(&JigFrame::Event(Event::Plug { present: plug }), out);
            if !plug && self.powered() {
                // A board pulled while powered: cut power at once, before the arc does damage.
                return self.trip(TripReason::Unplugged, now, out);
            }
        }
        let Some(on_at) = self.power_on_at else {
            return;
        };
        if now.saturating_sub(self.last_host_us) > u64::from(self.lease_ms) * 1000 {
            return self.trip(TripReason::LeaseExpired, now, out);
        }
        if self
            .hot_since
            .is_some_and(|t| now.saturating_sub(t) >= OVERTEMP_GRACE_US)
        {
            return self.trip(TripReason::OverTemperature, now, out);
        }
        if let Some((address, every, last)) = self.pic_heartbeat
            && now.saturating_sub(last) >= every
        {
            // A missed heartbeat is the PIC's to notice (it switches its DC-DC off); the host
            // sees the chain lose power.
            let sent = self.pic_send(address, pic::SEND_HEART_BEAT, &[]);
            self.stats.pic_heartbeats = self.stats.pic_heartbeats.saturating_add(1);
            if !sent {
                self.stats.pic_heartbeats_missed =
                    self.stats.pic_heartbeats_missed.saturating_add(1);
            }
            self.pic_heartbeat = Some((address, every, now));
        }
        if now.saturating_sub(self.last_supervise_us) >= u64::from(self.limits.supervise_ms) * 1000
        {
            self.last_supervise_us = now;
            match self.input() {
                Some((_, ma)) if ma > self.limits.max_input_ma => {
                    return self.trip(TripReason::OverCurrent, now, out);
                }
                Some((mv, _))
                    if now.saturating_sub(on_at) > u64::from(self.limits.settle_ms) * 1000
                        && mv < self.limits.min_input_mv =>
                {
                    return self.trip(TripReason::UnderVoltage, now, out);
                }
                Some(_) => {}
                // A monitor that does not answer hides over-current and under-voltage.
                None => return self.trip(TripReason::SensorFailed, now, out),
            }
        }
        let sensors = self.watched.len() + self.asic_paths.len();
        if sensors > 0
            && now.saturating_sub(self.last_temp_us)
                >= u64::from(self.limits.temp_supervise_ms) * 1000
        {
            self.last_temp_us = now;
            let k = self.watch_next % sensors;
            self.watch_next = k + 1;
            if let Some(sensor) = self.watched.get(k).copied() {
                if let Some(centi) = self.temperature(sensor)
                    && centi > self.limits.max_temp_centi
                {
                    self.trip(TripReason::OverTemperature, now, out);
                }
            } else if self.asic_read.is_none() && self.asic_wanted.is_none() {
                // Behind a chip: the reading arrives over the next passes; a hot one starts the
                // grace above.
                self.start_asic_read(k - self.watched.len(), None);
            }
        }
    }

    /// Input voltage (mV) and current (mA) from the INA226: bus voltage register 0x02 (1.25 mV
    /// per bit), shunt voltage register 0x01 (2.5 µV per bit, signed).
    fn input(&mut self) -> Option<(u32, u32)> {
        let mut bus = [0u8; 2];
        let mut shunt = [0u8; 2];
        self.i2c.write_read(INA226, &[0x02], &mut bus).ok()?;
        self.i2c.write_read(INA226, &[0x01], &mut shunt).ok()?;
        let mv = u32::from(u16::from_be_bytes(bus)) * 125 / 100;
        let shunt_nv = i64::from(i16::from_be_bytes(shunt)) * 2500;
        let ma = (shunt_nv / i64::from(self.limits.shunt_micro_ohm.max(1))).max(0) as u32;
        Some((mv, ma))
    }

    /// A sensor in hundredths of °C. LM75A/TMP75/TMP1075: register 0x00, 16-bit two's complement
    /// in 1/256 °C. TMP451/NCT218/EMC2101: register 0x00 (local) as whole °C.
    fn temperature(&mut self, sensor: SensorAddress) -> Option<i32> {
        let centi = match (sensor.via_chip, sensor.i2c_address) {
            // Behind a chip: read over passes of the main loop (`start_asic_read`).
            (Some(_), _) => return None,
            (None, Some(address)) => match sensor.kind {
                0 | 1 | 5 => {
                    let mut raw = [0u8; 2];
                    self.i2c.write_read(address, &[0x00], &mut raw).ok()?;
                    i32::from(i16::from_be_bytes(raw)) * 100 / 256
                }
                2..=4 => {
                    let mut raw = [0u8; 1];
                    self.i2c.write_read(address, &[0x00], &mut raw).ok()?;
                    i32::from(raw[0] as i8) * 100
                }
                _ => return None,
            },
            (None, None) => return None,
        };
        Some(centi)
    }
}

#[cfg(test)]
mod tests {
    use super::crc5;

    #[test]
    fn a_captured_reply_leaves_a_crc5_residue_of_zero_and_a_corrupted_one_does_not() {
        // BM1397 chip-ID reply `AA 55 13 97 18 00 00 00 06` (skot/ESP-Miner sniff; bm13xx-rs
        // `response.rs` doctest), after its preamble.
        let reply = [0x13, 0x97, 0x18, 0x00, 0x00, 0x00, 0x06];
        assert_eq!(crc5(&reply), 0);
        let mut corrupted = reply;
        corrupted[3] ^= 0x40;
        assert_ne!(crc5(&corrupted), 0);
    }
}
