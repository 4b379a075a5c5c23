//! The simulated jig: the real jig firmware logic (`jig-logic`) running on simulated jig hardware
//! in front of the simulated board, on a virtual clock. The engine reaches it through
//! `link::Client`, exactly as it reaches a real jig, over an in-memory transport or a
//! pseudo-terminal.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::rc::Rc;
use std::time::Duration;

use boards::SensorKind;
use embedded_hal::i2c::{ErrorKind, ErrorType, I2c, NoAcknowledgeSource, Operation};
use jig_logic::{Firmware, Hal, Limits, TAP_CHANNELS};

use crate::board::{Board, Ns};
use crate::rng::Rng;

/// Fastest UART rate of the jig (RP2040 at 3.125 Mbaud, the BM136x factory rate).
pub const MAX_BAUD: u32 = 3_125_000;
/// ADC step at the pin, µV (a 16-bit converter such as the ADS1115 at ±4.096 V).
const ADC_STEP_UV: u32 = 125;
/// One ADS1115 conversion at 860 samples/s, ns: a read before it ends gets the previous result.
const ADC_CONVERSION_NS: Ns = 1_163_000;
/// I2C bit time of the board bus (100 kHz), ns: every transfer takes its real time (9 bits a
/// byte, address included), so a firmware path that reads sensors in a loop shows its cost.
const I2C_BIT_NS: Ns = 10_000;
/// The simulated jig's main loop runs at least this often while time passes, ns. [I] The real
/// loop passes every few µs; one pass a millisecond keeps the simulation fast and still shows a
/// path that blocks (its time adds to the gap the firmware measures).
const LOOP_STEP_NS: Ns = 1_000_000;

/// The jig's hardware around the board: clock, UART, tap multiplexer, I2C bus.
#[derive(Debug)]
pub struct Hardware {
    board: Board,
    now: Ns,
    baud: u32,
    tx_free_at: Ns,
    delivered_upto: usize,
    mux: u8,
    taps: Vec<u32>,
    input: (u32, u32),
    noise: Rng,
    tap_ratio_milli: u32,
    /// The conversion in progress: its result and when it is ready.
    adc: (u32, Ns),
    /// Each tap divider's error, ppm: 0.1 % parts (the kit's BOM), drawn once per jig.
    divider_ppm: Vec<i32>,
    /// The jig's own EEPROM: one tap correction each (`None`: never written).
    cal: Vec<Option<i32>>,
    /// The calibration plug: this reference on every clip of the harness, mV.
    reference_mv: Option<u32>,
    /// The last finished conversion (what a read before the next one ends returns).
    adc_last: u32,
    /// Bytes the host sent to the chain.
    pub tx_bytes: u64,
    /// Bytes the chain sent to the host.
    pub rx_bytes: u64,
}

impl Hardware {
    fn new(board: Board, limits: &Limits) -> Self {
        Self {
            board,
            now: 0,
            baud: 115_200,
            tx_free_at: 0,
            delivered_upto: 0,
            mux: 0,
            taps: Vec::new(),
            input: (0, 0),
            noise: Rng::new(0x4A16),
            tap_ratio_milli: limits.tap_ratio_milli,
            adc: (0, 0),
            adc_last: 0,
            divider_ppm: {
                let mut rng = Rng::new(0xCA1B);
                (0..TAP_CHANNELS)
                    .map(|_| (rng.unit() * 2000.0 - 1000.0).round() as i32)
                    .collect()
            },
            cal: Vec::new(),
            reference_mv: None,
            tx_bytes: 0,
            rx_bytes: 0,
        }
    }

    /// Run the board up to `t` (ns).
    pub fn advance_to(&mut self, t: Ns) {
        let t = t.max(self.now);
        self.board.advance(t);
        self.now = t;
    }

    /// The virtual clock, ns.
    #[must_use]
    pub fn now_ns(&self) -> Ns {
        self.now
    }

    /// The board (for tests of the simulator itself; the engine never sees it).
    #[must_use]
    pub fn board(&self) -> &Board {
        &self.board
    }

    fn sample(&mut self) {
        let (taps, input_mv, input_ma) = self.board.electrical(self.now);
        self.taps = taps;
        self.input = (input_mv, input_ma);
    }
}

type Shared = Rc<RefCell<Hardware>>;

/// The jig HAL over the simulated hardware.
#[derive(Debug)]
pub struct SimHal(Shared);

impl Hal for SimHal {
    fn now_us(&mut self) -> u64 {
        self.0.borrow().now / 1000
    }

    fn set_power(&mut self, on: bool) {
        let mut hw = self.0.borrow_mut();
        let now = hw.now;
        hw.board.set_power(on, now);
    }

    fn set_reset(&mut self, asserted: bool) {
        let mut hw = self.0.borrow_mut();
        let now = hw.now;
        hw.board.set_reset(asserted, now);
    }

    fn set_baud(&mut self, baud: u32) -> bool {
        let mut hw = self.0.borrow_mut();
        if baud == 0 || baud > MAX_BAUD {
            return false;
        }
        hw.baud = baud;
        true
    }

    fn uart_write(&mut self, bytes: &[u8]) -> usize {
        let mut hw = self.0.borrow_mut();
        let hw = &mut *hw;
        let start = hw.now.max(hw.tx_free_at);
        let duration = (bytes.len() as f64 * 10.0 * 1e9 / f64::from(hw.baud)) as Ns;
        hw.board.host_bytes(bytes, start, hw.baud);
        hw.tx_free_at = start + duration;
        hw.tx_bytes += bytes.len() as u64;
        bytes.len()
    }

    fn uart_read(&mut self, buf: &mut [u8]) -> (usize, u64) {
        let mut hw = self.0.borrow_mut();
        let hw = &mut *hw;
        let Some((start, end, bytes)) = hw.board.delivered.get(hw.delivered_upto) else {
            return (0, hw.now / 1000);
        };
        if *end > hw.now || bytes.len() > buf.len() {
            return (0, hw.now / 1000);
        }
        let (start, n) = (*start, bytes.len());
        if crate::board::same_baud(hw.board.chain_baud, hw.baud) {
            buf[..n].copy_from_slice(bytes);
        } else {
            // The jig samples at the wrong rate: framing errors and junk bytes.
            for slot in &mut buf[..n] {
                *slot = hw.noise.next_u64() as u8;
            }
        }
        hw.delivered_upto += 1;
        hw.rx_bytes += n as u64;
        (n, start / 1000)
    }

    fn rx_faults(&mut self) -> (u32, u32) {
        // The simulated UART has no receive ring of its own; it sees a break when a chip holds
        // the return line low.
        (0, self.0.borrow().board.line_breaks)
    }

    fn mux_select(&mut self, channel: u8) {
        let mut hw = self.0.borrow_mut();
        if channel == 0 {
            hw.sample();
        }
        hw.mux = channel;
    }

    fn cal_load(&mut self, tap: u8) -> Option<i32> {
        self.0.borrow().cal.get(usize::from(tap)).copied().flatten()
    }

    fn cal_store(&mut self, tap: u8, ppm: i32) -> bool {
        let mut hw = self.0.borrow_mut();
        let tap = usize::from(tap);
        if hw.cal.len() <= tap {
            hw.cal.resize(tap + 1, None);
        }
        hw.cal[tap] = Some(ppm);
        true
    }

    fn adc_start(&mut self) -> bool {
        let mut hw = self.0.borrow_mut();
        let mux = usize::from(hw.mux);
        let tap_mv = match hw.reference_mv {
            Some(mv) => mv,
            None => hw.taps.get(mux).copied().unwrap_or(0),
        };
        // What the divider really passes: its error, then the ADC's 125 µV steps.
        let err = i64::from(hw.divider_ppm.get(mux).copied().unwrap_or(0));
        let tap_uv = i64::from(tap_mv) * 1000 * (1_000_000 + err) / 1_000_000;
        let pin_uv = tap_uv.max(0) as u64 * 1000 / u64::from(hw.tap_ratio_milli.max(1));
        let value = (pin_uv as u32) / ADC_STEP_UV * ADC_STEP_UV;
        hw.adc = (value, hw.now + ADC_CONVERSION_NS);
        true
    }

    fn adc_read_uv(&mut self) -> Option<u32> {
        let mut hw = self.0.borrow_mut();
        if hw.now >= hw.adc.1 {
            hw.adc_last = hw.adc.0;
        }
        Some(hw.adc_last)
    }

    fn plug_present(&mut self) -> bool {
        true
    }

    fn set_led(&mut self, _on: bool) {}

    fn set_fan(&mut self, _percent: u8) {}
}

/// A device on the simulated I2C bus did not acknowledge.
#[derive(Debug, Clone, Copy)]
pub struct Nack;

impl embedded_hal::i2c::Error for Nack {
    fn kind(&self) -> ErrorKind {
        ErrorKind::NoAcknowledge(NoAcknowledgeSource::Address)
    }
}

/// The jig's I2C bus: the INA226 power monitor at 0x40, the board EEPROM at 0x50 and the board's
/// I2C temperature sensors.
#[derive(Debug)]
pub struct SimI2c(Shared);

impl ErrorType for SimI2c {
    type Error = Nack;
}

impl I2c for SimI2c {
    fn transaction(&mut self, address: u8, operations: &mut [Operation<'_>]) -> Result<(), Nack> {
        let mut hw = self.0.borrow_mut();
        // The transfer's time on the bus: per operation an address byte and its data, 9 bits each.
        let bytes: usize = operations
            .iter()
            .map(|op| {
                1 + match op {
                    Operation::Write(b) => b.len(),
                    Operation::Read(b) => b.len(),
                }
            })
            .sum();
        let done = hw.now + bytes as Ns * 9 * I2C_BIT_NS;
        hw.advance_to(done);
        let has_sensor_at = |a: u8| {
            hw.board
                .profile
                .sensors
                .iter()
                .any(|s| s.i2c_address == Some(a))
        };
        if address == 0x24 && !has_sensor_at(0x24) {
            // A Bitaxe's TPS546 (PMBus): VOUT_MODE reads 0x17 (2^-9 V); VOUT_COMMAND then
            // OPERATION on sets the core rail (ESP-Miner `TPS546.c`).
            let mut register = 0u8;
            for op in operations.iter_mut() {
                match op {
                    Operation::Write(bytes) => {
                        register = bytes.first().copied().unwrap_or(0);
                        if let [0x21, lo, hi] = bytes[..] {
                            let word = u16::from_le_bytes([lo, hi]);
                            hw.board.supply_mv = Some((u32::from(word) * 1000) >> 9);
                        }
                    }
                    Operation::Read(buf) => {
                        let value = if register == 0x20 { 0x17 } else { 0 };
                        buf.iter_mut().for_each(|b| *b = value);
                    }
                }
            }
            return Ok(());
        }
        if address == 0x48 && !has_sensor_at(0x48) {
            // A Bitaxe's DS4432U current DAC trimming its TPS40305: OUT0 at register 0xF8
            // (ESP-Miner `DS4432U.c`, the transfer function inverted).
            for op in operations.iter() {
                if let Operation::Write([0xF8, code]) = op {
                    let steps = f64::from(code & 0x7F);
                    let sink = code & 0x80 != 0;
                    let i = steps * 98.921e-6 / 127.0 * if sink { 1.0 } else { -1.0 };
                    let vout = 0.6 + 4750.0 * (0.6 / 3320.0 - i);
                    hw.board.supply_mv = Some((vout * 1000.0).round() as u32);
                }
            }
            return Ok(());
        }
        if address == 0x10 {
            // The APW12 supply: every byte written to register 0x11 on its own (bitcrane).
            for op in operations.iter() {
                if let Operation::Write([0x11, b]) = op {
                    hw.board.apw_byte(*b);
                }
            }
            return Ok(());
        }
        if address == 0x50 {
            let now = hw.now;
            return hw.board.eeprom_transaction(operations, now);
        }
        if hw.board.pic.as_ref().is_some_and(|p| p.address == address) {
            if !hw.board.powered {
                return Err(Nack);
            }
            let now = hw.now;
            let Some(pic) = hw.board.pic.as_mut() else {
                return Err(Nack);
            };
            for op in operations {
                match op {
                    Operation::Write(bytes) => bytes.iter().for_each(|&b| pic.write(b, now)),
                    Operation::Read(buf) => buf.iter_mut().for_each(|slot| *slot = pic.read()),
                }
            }
            return Ok(());
        }
        let mut register = 0u8;
        for op in operations {
            match op {
                Operation::Write(bytes) => register = bytes.first().copied().unwrap_or(0),
                Operation::Read(buf) => {
                    let value: Vec<u8> = match address {
                        0x40 => {
                            if !hw.board.powered {
                                vec![0, 0]
                            } else {
                                hw.sample();
                                let (mv, ma) = hw.input;
                                match register {
                                    0x02 => {
                                        ((mv * 100 / 125).min(0xFFFF) as u16).to_be_bytes().to_vec()
                                    }
                                    // 500 µΩ shunt, 2.5 µV per bit: 0.2 bit per mA.
                                    0x01 => (((u64::from(ma) / 5).min(32_767)) as i16)
                                        .to_be_bytes()
                                        .to_vec(),
                                    _ => vec![0, 0],
                                }
                            }
                        }
                        _ => {
                            let sensor = hw.board.profile.sensors.iter().position(|s| {
                                s.i2c_address == Some(address) && s.host_chip.is_none()
                            });
                            let Some(index) = sensor else {
                                return Err(Nack);
                            };
                            let kind = hw.board.profile.sensors[index].kind;
                            let now = hw.now;
                            let Some(t) = hw.board.temperature(index, now) else {
                                return Err(Nack);
                            };
                            match kind {
                                SensorKind::Lm75a | SensorKind::Tmp75 | SensorKind::Tmp1075 => {
                                    ((f64::from(t) * 256.0).round() as i16)
                                        .to_be_bytes()
                                        .to_vec()
                                }
                                _ => vec![(t.round() as i8) as u8],
                            }
                        }
                    };
                    for (slot, v) in buf
                        .iter_mut()
                        .zip(value.into_iter().chain(std::iter::repeat(0xFF)))
                    {
                        *slot = v;
                    }
                }
            }
        }
        Ok(())
    }
}

/// The simulated jig: firmware logic, hardware and board, behind a byte stream.
#[derive(Debug)]
pub struct SimTransport {
    firmware: Firmware<SimHal, SimI2c>,
    hardware: Shared,
    out: VecDeque<u8>,
    /// Host writes left before the jig restarts (a watchdog reset, a brown-out).
    restart_after: Option<usize>,
    /// The jig restarted: its USB device is gone until the host opens it again.
    restarted: bool,
    /// Fault injection: garbage in front of every n-th read.
    garbage: Option<(usize, Vec<u8>, usize)>,
}

impl SimTransport {
    /// A jig with `board` mounted, at power-on.
    #[must_use]
    pub fn new(board: Board) -> Self {
        Self::with_calibration(board, true)
    }

    /// A jig whose EEPROM holds no tap calibration: its 0.1 % dividers read up to ±14 mV off
    /// at 13.6 V until `hashbench jig calibrate` (with the calibration plug) corrects them.
    #[must_use]
    pub fn uncalibrated(board: Board) -> Self {
        Self::with_calibration(board, false)
    }

    /// The calibration plug on the harness: `mv` on every clip (or taken off with `None`).
    pub fn plug_calibration(&mut self, mv: Option<u32>) {
        self.hardware.borrow_mut().reference_mv = mv;
    }

    fn with_calibration(board: Board, calibrated: bool) -> Self {
        let limits = Limits::default();
        let mut hardware = Hardware::new(board, &limits);
        if calibrated {
            // Calibrated at the factory: each tap's correction undoes its divider's error.
            hardware.cal = hardware
                .divider_ppm
                .iter()
                .map(|&e| {
                    let e = f64::from(e);
                    Some((1e12 / (1e6 + e) - 1e6).round() as i32)
                })
                .collect();
        }
        let hardware = Rc::new(RefCell::new(hardware));
        let name = concat!("hashbench-sim ", env!("CARGO_PKG_VERSION"));
        let firmware = Firmware::new(
            SimHal(hardware.clone()),
            SimI2c(hardware.clone()),
            limits,
            name,
            true,
        );
        Self {
            firmware,
            hardware,
            out: VecDeque::new(),
            restart_after: None,
            restarted: false,
            garbage: None,
        }
    }

    /// Fault injection: `bytes` of garbage appear on the serial line in front of every
    /// `every`-th read, as from a noisy hub or a program typing into the port.
    pub fn inject_garbage_every(&mut self, every: usize, bytes: &[u8]) {
        self.garbage = Some((every.max(1), bytes.to_vec(), 0));
    }

    /// Fault injection: the jig restarts after `writes` more host writes. Its firmware starts
    /// again from power-on (board power off, chain in reset) and its USB device re-enumerates,
    /// so the open port fails from then on, as with a real RP2040.
    pub fn restart_after_writes(&mut self, writes: usize) {
        self.restart_after = Some(writes);
    }

    /// The restarted jig's USB device is back: the host can open it again.
    pub fn replug(&mut self) {
        self.restarted = false;
    }

    fn restart(&mut self) {
        let name = concat!("hashbench-sim ", env!("CARGO_PKG_VERSION"));
        self.firmware = Firmware::new(
            SimHal(self.hardware.clone()),
            SimI2c(self.hardware.clone()),
            Limits::default(),
            name,
            true,
        );
        self.out.clear();
        self.restarted = true;
    }

    fn gone() -> std::io::Error {
        std::io::Error::new(
            std::io::ErrorKind::BrokenPipe,
            "the jig restarted (its USB device re-enumerated)",
        )
    }

    /// The simulated hardware (tests of the simulator).
    #[must_use]
    pub fn hardware(&self) -> std::cell::Ref<'_, Hardware> {
        self.hardware.borrow()
    }

    /// The jig time a pending `Sync` waits for.
    #[must_use]
    pub fn pending_sync_us(&self) -> Option<u64> {
        self.firmware.pending_sync()
    }

    /// Let `us` of jig time pass (the pseudo-terminal server follows the wall clock while the
    /// host is silent, so the lease runs out as on a real jig).
    pub fn idle(&mut self, us: u64) {
        let t = self.hardware.borrow().now + us * 1000;
        self.run_until(t);
    }

    /// Run the main loop until jig time `t` (ns), a pass at least every `LOOP_STEP_NS`.
    fn run_until(&mut self, t: Ns) {
        loop {
            let now = self.hardware.borrow().now;
            if now >= t {
                break;
            }
            let next = t.min(now + LOOP_STEP_NS);
            self.hardware.borrow_mut().advance_to(next);
            self.poll();
        }
        self.poll();
    }

    fn poll(&mut self) {
        let out = &mut self.out;
        self.firmware.poll(&mut |b: &[u8]| out.extend(b));
    }

    /// Run the jig until its pending `Sync` is due, or until a request it is working on over
    /// several passes (a telemetry sample) is answered.
    pub fn run_pending_sync(&mut self) {
        if let Some(until) = self.firmware.pending_sync() {
            self.run_until(until * 1000);
            return;
        }
        // A sample takes about 1.2 ms a tap: give it a second of jig time at most.
        let deadline = self.hardware.borrow().now + 1_000_000_000;
        while self.firmware.busy() && self.out.is_empty() {
            let now = self.hardware.borrow().now;
            if now >= deadline {
                break;
            }
            self.hardware
                .borrow_mut()
                .advance_to(now + LOOP_STEP_NS / 10);
            self.poll();
        }
        self.poll();
    }
}

impl link::Transport for SimTransport {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        if self.restarted {
            return Err(Self::gone());
        }
        if let Some(left) = self.restart_after.as_mut() {
            if *left == 0 {
                self.restart_after = None;
                self.restart();
                return Err(Self::gone());
            }
            *left -= 1;
        }
        let out = &mut self.out;
        self.firmware
            .on_host_bytes(bytes, &mut |b: &[u8]| out.extend(b));
        Ok(())
    }

    fn read(&mut self, buf: &mut [u8], _timeout: Duration) -> std::io::Result<usize> {
        if self.restarted {
            return Err(Self::gone());
        }
        if self.out.is_empty() {
            self.run_pending_sync();
        }
        if let Some((every, bytes, count)) = self.garbage.as_mut() {
            *count += 1;
            if (*count).is_multiple_of(*every) {
                for &b in bytes.iter().rev() {
                    self.out.push_front(b);
                }
            }
        }
        let n = buf.len().min(self.out.len());
        for (slot, b) in buf.iter_mut().zip(self.out.drain(..n)) {
            *slot = b;
        }
        Ok(n)
    }
}

/// A simulated jig as the engine sees it.
pub type SimJig = link::Client<SimTransport>;

/// Connect to a simulated jig with `board` mounted.
pub fn connect(board: Board) -> Result<SimJig, diagnosis::JigError> {
    link::Client::connect(SimTransport::new(board), Duration::from_secs(5))
}

/// Taps the firmware scans; the board's domains use the first ones.
pub const TAPS: usize = TAP_CHANNELS;

/// How long the host may be silent before the served jig's clock follows the wall clock.
const IDLE_AFTER: Duration = Duration::from_millis(50);

/// Serve a simulated jig with `board` mounted on a new pseudo-terminal. `on_ready` gets the path
/// a client opens (e.g. `/dev/pts/7`); then this runs until the process ends. The jig's clock is
/// virtual: it jumps to each `Sync` the host asks for, and while the host is silent it follows
/// the wall clock, so a host that stops talking sees the lease expire as on a real jig.
#[cfg(unix)]
pub fn serve(jig: SimTransport, on_ready: impl FnOnce(&str)) -> std::io::Result<()> {
    let (mut master, slave) = serialport::TTYPort::pair().map_err(std::io::Error::other)?;
    let path = serialport::SerialPort::name(&slave).unwrap_or_default();
    serialport::SerialPort::set_timeout(&mut master, Duration::from_millis(5))
        .map_err(std::io::Error::other)?;
    on_ready(&path);
    // `slave` stays open for as long as this serves: the client's end of the terminal.
    let served = pump(jig, &mut master);
    drop(slave);
    served
}

/// Windows has no pseudo-terminals: serve on one end of a virtual null-modem pair instead
/// (`serve_on_port`, `hashbench sim --on COM5` with com0com's COM5/COM6, the client on COM6).
#[cfg(not(unix))]
pub fn serve(jig: SimTransport, on_ready: impl FnOnce(&str)) -> std::io::Result<()> {
    let _ = (jig, on_ready);
    Err(std::io::Error::new(
        std::io::ErrorKind::Unsupported,
        "a pseudo-terminal needs a Unix system: on Windows, serve on one end of a virtual null-modem pair (hashbench sim --on COM5) and open the other",
    ))
}

/// Serve a simulated jig on the serial port `name` (one end of a virtual null-modem pair, or a
/// real cable to another computer); the client opens the other end. As [`serve`] otherwise.
pub fn serve_on_port(
    jig: SimTransport,
    name: &str,
    on_ready: impl FnOnce(&str),
) -> std::io::Result<()> {
    let mut port = serialport::new(name, 115_200)
        .timeout(Duration::from_millis(5))
        .open()
        .map_err(std::io::Error::other)?;
    on_ready(name);
    pump(jig, &mut *port)
}

/// Move bytes between the client's port and the simulated jig until the port fails.
fn pump<P: std::io::Read + std::io::Write + ?Sized>(
    jig: SimTransport,
    port: &mut P,
) -> std::io::Result<()> {
    use std::time::Instant;

    use link::Transport;

    let mut jig = jig;
    let mut buf = [0u8; 4096];
    let mut last_heard = Instant::now();
    let mut last_tick = Instant::now();
    loop {
        match port.read(&mut buf) {
            Ok(0) => {}
            Ok(n) => {
                jig.write(buf.get(..n).unwrap_or_default())?;
                last_heard = Instant::now();
            }
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::TimedOut
                        | std::io::ErrorKind::WouldBlock
                        | std::io::ErrorKind::Interrupted
                ) => {}
            // EIO: no client has the terminal open; wait for one.
            Err(e) if e.raw_os_error() == Some(5) => std::thread::sleep(Duration::from_millis(20)),
            Err(e) => return Err(e),
        }
        let now = Instant::now();
        if jig.pending_sync_us().is_none() && now.duration_since(last_heard) > IDLE_AFTER {
            jig.idle(now.duration_since(last_tick).as_micros() as u64);
        }
        last_tick = now;
        loop {
            let n = jig.read(&mut buf, Duration::ZERO)?;
            if n == 0 {
                break;
            }
            port.write_all(buf.get(..n).unwrap_or_default())?;
        }
    }
}
