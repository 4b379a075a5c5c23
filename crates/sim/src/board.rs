//! The simulated hashboard: a chain of chips behind one UART, stacked voltage domains, sensors
//! and an EEPROM, driven by a discrete-event clock in nanoseconds.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use bm13xx::Family;
use boards::{Profile, SensorKind};
use patterns::HeaderSet;

use crate::asic::{self, HostFrame, HostParser, Work, WorkKind};
use crate::chip::{Chip, RegMap, baud_divider, baud_of_divider, i2c_register};
use crate::fault::{Fault, Line};
use crate::rng::Rng;

/// Nanoseconds.
pub type Ns = u64;

/// Bit times a chip adds when it relays a byte to the next chip [I].
const RELAY_BITS: f64 = 2.0;
/// Per-byte drop probability on a `flaky` chip's replies.
const FLAKY_DROP: f64 = 0.02;
/// An overheating chip (its heatsink's contact lost) warms the board around it by this much per
/// watt it draws, °C/W: 95 °C while it hashes (10 W), about 30 °C idle (3 W), little with its
/// clock stopped [I]. The sensor nearest the farthest chip from any sensor still sees
/// `HOT_AT_FARTHEST` of the hashing rise: the heat spreads through the heatsink with a length
/// scaled to the board's sensor spacing, so the nearest sensor always sees a hot chip ([I]: a
/// model, not a measurement).
const HOT_C_PER_W: f64 = 9.5;
const HOT_RISE: f64 = HOT_C_PER_W * (CHIP_IDLE_W + CHIP_HASHING_W);
const HOT_AT_FARTHEST: f64 = 80.0;
/// Time constant of the board patch and heatsink section around an overheating chip, s: a few
/// grams of copper, FR4 and aluminium, heating while the chip draws more and cooling when it
/// draws less or the power goes off [I]. Far shorter than the whole board's `WARM_TAU_S`.
const HOT_TAU_S: f64 = 5.0;
/// Ambient and the board's warm-up when powered, °C, with its time constant, s.
const AMBIENT: f64 = 25.0;
const WARM_RISE: f64 = 15.0;
const WARM_TAU_S: f64 = 20.0;
/// The further rise of a board whose chips hash, °C, and its time constant, s: a board on a
/// bench fan settles near 70 °C after a few minutes of hashing, and cools the same way when
/// the work stops [I].
const HASH_RISE: f64 = 30.0;
const HASH_TAU_S: f64 = 90.0;
/// Power of one chip, W: idle, and the extra a hashing chip with every core alive draws. [I]
/// About 10 W a chip puts an Antminer board near 80 A and a Bitaxe near 9 A, as in practice.
const CHIP_IDLE_W: f64 = 3.0;
const CHIP_HASHING_W: f64 = 7.0;
/// A chip counts as hashing for this long after its last job.
const HASHING_WINDOW_NS: Ns = 100_000_000;
/// Power of a chip with no clock or held in reset, W (leakage only) [I].
const CHIP_STOPPED_W: f64 = 0.5;
/// A domain below this share of its nominal voltage browns its chips out (no results) [I].
const BROWNOUT_FRACTION: f64 = 0.85;
/// One I2C transfer of a chip's master (address, register, data at 100 kHz), ns [I].
const I2C_TRANSFER_NS: Ns = 400_000;
/// How much hotter an NCT218's remote diode (the host chip's die) reads than its own local
/// sensor on the board, °C [I].
const DIE_OVER_BOARD_C: f32 = 8.0;
/// NCT218 identification register and value (bmminer-mix `do_calibration_sensor_offset`).
const NCT218_ID_REGISTER: u8 = 0xFE;
const NCT218_ID: u8 = 0x1A;

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Pending {
    /// A host frame has fully arrived at the first chip.
    Frame {
        frame: HostFrame,
        len: usize,
        sent_baud: u32,
    },
    /// A chip found a nonce of job `seq`; `rest` is the reply after the nonce bytes.
    Found {
        chip: usize,
        seq: u64,
        nonce: u32,
        rest: Vec<u8>,
    },
    /// A chip's reply is ready at its RO pin.
    Reply { chip: usize, bytes: Vec<u8> },
}

/// How a version-rolling chip puts its rolled bits into the job's version. Sources only ever
/// send versions whose rolled bits are clear, where both readings agree; the simulator plays one
/// per board (by seed parity) so an engine that relied on either would be caught.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RollSemantic {
    /// `version & !mask | counter << 13`.
    Replace,
    /// `version | counter << 13` (mujina and ESP-Miner rebuild the version this way).
    Or,
}

#[derive(Debug, Clone, Copy)]
struct SentJob {
    seq: u64,
    at: Ns,
}

/// The board's state.
#[derive(Debug)]
pub struct Board {
    pub(crate) profile: Profile,
    pub(crate) family: Family,
    faults: Vec<Fault>,
    pub(crate) chips: Vec<Chip>,
    rng: Rng,
    noise: Rng,
    pub(crate) powered: bool,
    powered_at: Ns,
    /// The hashing heat, °C above the powered board's warm-up, at a time: integrated forward
    /// whenever a temperature is asked (heating while chips hash, cooling otherwise).
    hash_heat: std::cell::Cell<(Ns, f64)>,
    /// Each overheating chip's rise at itself, °C, at a time: integrated forward like
    /// `hash_heat`, towards `HOT_C_PER_W` × the chip's power.
    hot_heat: std::cell::RefCell<Vec<(usize, Ns, f64)>>,
    pub(crate) in_reset: bool,
    reset_at: Ns,
    /// The chain's UART rate (all chips switch together on a broadcast write).
    pub(crate) chain_baud: u32,
    events: BinaryHeap<(Reverse<Ns>, Reverse<u64>, Pending)>,
    event_seq: u64,
    jobs: Vec<SentJob>,
    job_seq: u64,
    rx_free_at: Ns,
    /// Replies that reached the jig: (first byte time, bytes).
    pub(crate) delivered: Vec<(Ns, Ns, Vec<u8>)>,
    /// The AT24C02's bytes (`None`: the board has no EEPROM), and the end of its write cycle.
    pub(crate) eeprom: Option<[u8; 256]>,
    pub(crate) eeprom_busy_until: Ns,
    headers: &'static HeaderSet,
    /// The chips' receiver of host bytes (their own protocol code, `asic`).
    parser: HostParser,
    /// How this board's chips roll versions.
    pub roll: RollSemantic,
    /// The board's PIC, if it has one: chain power waits for its DC-DC.
    pub(crate) pic: Option<Pic>,
    /// The APW12 supply's output, when set over I2C (mV; else its default).
    pub(crate) supply_mv: Option<u32>,
    apw_rx: Vec<u8>,
    /// Break conditions the jig's UART saw on the return line (a chip holding it low).
    pub(crate) line_breaks: u32,
    /// The address each chip held before the last reset or power-off that cleared any.
    cleared_addresses: Vec<Option<u8>>,
    /// Jobs the chain took (at its baud), and per chip those that reached it whole.
    jobs_taken: u64,
    jobs_reaching: Vec<u64>,
}

/// The DC-DC controller of S9/S17+/S19/S19 Pro boards, as bmminer-mix drives it: bytes
/// `55 AA cmd data…` one I2C write each; the DC-DC runs only in the application, after
/// ENABLE_VOLTAGE, and as long as heartbeats come.
#[derive(Debug, Clone)]
pub(crate) struct Pic {
    pub(crate) address: u8,
    in_app: bool,
    dc_dc_on: bool,
    last_heartbeat: Ns,
    rx: PicRx,
    reply: Option<u8>,
    /// A `picstall` PIC accepts no heartbeat and drops its DC-DC soon after enabling it.
    stalled: bool,
    /// The voltage code SET_VOLTAGE last stored (GET_VOLTAGE reads it back; 0 before any [I]).
    voltage_code: u8,
}

#[derive(Debug, Clone, Copy)]
enum PicRx {
    Idle,
    Preamble,
    Command,
    Data(u8),
}

/// Heartbeats a PIC waits for before it switches its DC-DC off. [I] bmminer-mix sends one every
/// 10 s, so a real PIC waits longer; the timeout itself is not in the sources read.
const PIC_HEARTBEAT_TIMEOUT_NS: Ns = 30_000_000_000;
/// How long a `picstall` PIC keeps its DC-DC on after enabling it.
const PIC_STALL_NS: Ns = 2_000_000_000;
/// The PIC software version the S19 Pro fixture log shows (HSX19 PT1: "PIC version 0x89").
const PIC_VERSION: u8 = 0x89;

impl Pic {
    fn new(address: u8, stalled: bool) -> Self {
        Self {
            address,
            in_app: false,
            dc_dc_on: false,
            last_heartbeat: 0,
            rx: PicRx::Idle,
            reply: None,
            stalled,
            voltage_code: 0,
        }
    }

    /// Power off: back to the loader, DC-DC off.
    fn off(&mut self) {
        self.in_app = false;
        self.dc_dc_on = false;
        self.rx = PicRx::Idle;
    }

    /// One byte written by the host at `now`.
    pub(crate) fn write(&mut self, byte: u8, now: Ns) {
        self.rx = match (self.rx, byte) {
            (PicRx::Idle, 0x55) => PicRx::Preamble,
            (PicRx::Preamble, 0xAA) => PicRx::Command,
            (PicRx::Command, 0x10 | 0x15) => PicRx::Data(byte),
            (PicRx::Command, cmd) => {
                self.run(cmd, None, now);
                PicRx::Idle
            }
            (PicRx::Data(cmd), data) => {
                self.run(cmd, Some(data), now);
                PicRx::Idle
            }
            _ => PicRx::Idle,
        };
    }

    fn run(&mut self, cmd: u8, data: Option<u8>, now: Ns) {
        match (cmd, data) {
            (0x07, _) => self.off(),
            (0x06, _) => self.in_app = true,
            (0x17, _) => self.reply = Some(PIC_VERSION),
            // bmminer-mix `set_pic_voltage` / `get_pic_voltage`.
            (0x10, Some(code)) if self.in_app => self.voltage_code = code,
            (0x18, _) => self.reply = Some(self.voltage_code),
            (0x16, _) if self.in_app && !self.stalled => self.last_heartbeat = now,
            (0x15, Some(on)) if self.in_app => {
                self.dc_dc_on = on != 0;
                self.last_heartbeat = now;
            }
            _ => {}
        }
    }

    /// One byte read by the host (the version after GET_PIC_SOFTWARE_VERSION, the voltage code
    /// after GET_VOLTAGE).
    pub(crate) fn read(&mut self) -> u8 {
        self.reply.take().unwrap_or(0xFF)
    }

    /// When the DC-DC switches itself off for want of a heartbeat, if it is on.
    fn off_at(&self) -> Option<Ns> {
        let wait = if self.stalled {
            PIC_STALL_NS
        } else {
            PIC_HEARTBEAT_TIMEOUT_NS
        };
        self.dc_dc_on.then_some(self.last_heartbeat + wait)
    }
}

fn byte_ns(baud: u32) -> f64 {
    10.0 * 1e9 / f64::from(baud.max(1))
}

impl Board {
    /// A board for `profile` with `faults`, deterministic for `seed`.
    pub fn new(profile: &Profile, faults: &[Fault], seed: u64) -> Self {
        let family = profile.family.value;
        let rng = Rng::new(seed);
        let mut fault_rng = rng.fork(1);
        let cores = usize::from(profile.params.cores.min(128));
        let mut chips: Vec<Chip> = (0..profile.chips.value)
            .map(|i| Chip::new(i, family, family.chip_id(), cores))
            .collect();
        for fault in faults {
            match *fault {
                Fault::Dead(k) => chips[k].alive.iter_mut().for_each(|c| *c = false),
                Fault::Weak(k, pct) => {
                    let n = (cores * usize::from(pct)).div_ceil(100);
                    let mut order: Vec<usize> = (0..cores).collect();
                    for i in (1..order.len()).rev() {
                        order.swap(i, fault_rng.below(i + 1));
                    }
                    for &core in order.iter().take(n) {
                        chips[k].alive[core] = false;
                    }
                }
                Fault::WrongId(k) => {
                    // A part from another family fitted in its place.
                    let wrong = if family == Family::Bm1366 {
                        Family::Bm1362
                    } else {
                        Family::Bm1366
                    };
                    chips[k].chip_id = match wrong {
                        Family::Bm1362 => 0x1362,
                        _ => 0x1366,
                    };
                    chips[k].reset(family);
                }
                _ => {}
            }
        }
        let eeprom = crate::eeprom::image(profile, seed);
        Self {
            profile: profile.clone(),
            family,
            faults: faults.to_vec(),
            chips,
            noise: rng.fork(2),
            rng: rng.fork(3),
            powered: false,
            powered_at: 0,
            hash_heat: std::cell::Cell::new((0, 0.0)),
            hot_heat: std::cell::RefCell::new(
                faults
                    .iter()
                    .filter_map(|f| match *f {
                        Fault::Hot(k) => Some((k, 0, 0.0)),
                        _ => None,
                    })
                    .collect(),
            ),
            in_reset: true,
            reset_at: 0,
            chain_baud: 115_200,
            events: BinaryHeap::new(),
            event_seq: 0,
            jobs: Vec::new(),
            job_seq: 0,
            rx_free_at: 0,
            delivered: Vec::new(),
            eeprom,
            eeprom_busy_until: 0,
            headers: HeaderSet::mainnet(),
            parser: HostParser::new(family),
            roll: if seed.is_multiple_of(2) {
                RollSemantic::Replace
            } else {
                RollSemantic::Or
            },
            pic: profile
                .pic
                .as_ref()
                .map(|p| Pic::new(p.address.value, faults.contains(&Fault::PicStall))),
            supply_mv: None,
            apw_rx: Vec::new(),
            line_breaks: 0,
            cleared_addresses: Vec::new(),
            jobs_taken: 0,
            jobs_reaching: vec![0; profile.chips.value],
        }
    }

    fn has(&self, f: impl Fn(&Fault) -> bool) -> bool {
        self.faults.iter().any(f)
    }

    fn shorted_domain(&self, domain: usize) -> bool {
        self.has(|f| *f == Fault::Short(domain))
    }

    /// First chain index that cannot be reached now (chips from here on neither hear nor answer).
    fn reach(&self) -> usize {
        if !self.chain_powered() || self.in_reset {
            return 0;
        }
        let mut reach = self.chips.len();
        for fault in &self.faults {
            match *fault {
                Fault::Break(k) => reach = reach.min(k),
                Fault::SlowLink(k) if self.chain_baud > 120_000 => reach = reach.min(k),
                Fault::Short(d) => {
                    if let Some(first) = self.profile.chips_in_domain(d).min() {
                        reach = reach.min(first);
                    }
                }
                // The chips after an open CI hear nothing; after an open CLK or RST nothing in
                // them runs. After an open RO they still hear (and hash).
                Fault::Open(Line::Ci | Line::Clk | Line::Rst, k) => reach = reach.min(k + 1),
                _ => {}
            }
        }
        reach
    }

    /// Whether chip `k` holding its RO low holds the line at the jig: no RO short to 1V8 at or
    /// before it (a short between chips M-1 and M overrides chips from M on).
    fn ro_held_by(&self, k: usize) -> bool {
        !self
            .faults
            .iter()
            .any(|f| matches!(*f, Fault::RoShort(m) if m <= k))
    }

    /// First chain index whose replies do not reach the jig.
    fn talk(&self) -> usize {
        let mut talk = self.reach();
        for fault in &self.faults {
            match *fault {
                Fault::Open(Line::Ro, k) => talk = talk.min(k + 1),
                // A chip holding the return line low silences every chip, unless a short to
                // 1V8 before it holds the line idle there.
                Fault::RoStuck(k) if self.ro_held_by(k) => talk = 0,
                // The technician's short: chips from M on cannot reply past it.
                Fault::RoShort(m) => talk = talk.min(m),
                _ => {}
            }
        }
        talk
    }

    /// Whether chip `i` is stopped (no clock, or held in reset) by an open line before it.
    fn stopped(&self, i: usize) -> bool {
        self.has(|f| matches!(*f, Fault::Open(Line::Clk | Line::Rst, k) if i > k))
    }

    /// Whether chip `i`'s domain sags below the brown-out level while hashing.
    fn browned_out(&self, i: usize) -> bool {
        let Some(domain) = self.profile.layout.chips.get(i).map(|p| p.domain) else {
            return false;
        };
        let nominal = f64::from(self.profile.voltage.nominal_mv.value);
        self.faults.iter().any(|f| {
            matches!(*f, Fault::Sag(d, mv) if d == domain
                && nominal - f64::from(mv) < BROWNOUT_FRACTION * nominal)
        })
    }

    /// Lose or flip each byte with probability `p` (bits flipped one at a time).
    fn corrupt(rng: &mut Rng, bytes: &mut Vec<u8>, p: f64) {
        bytes.retain(|_| !rng.chance(p));
        for b in bytes.iter_mut() {
            if rng.chance(p) {
                *b ^= 1 << rng.below(8);
            }
        }
    }

    fn relay_ns(&self, index: usize) -> Ns {
        (index as f64 * RELAY_BITS * 1e9 / f64::from(self.chain_baud.max(1))) as Ns
    }

    fn push(&mut self, at: Ns, event: Pending) {
        self.event_seq += 1;
        self.events
            .push((Reverse(at), Reverse(self.event_seq), event));
    }

    /// A byte for the APW12 (bitcrane's protocol: `55 AA len cmd lo hi sum_lo sum_hi`). A set-
    /// voltage packet with a good sum moves the output to 15.092 V − 13 mV × code.
    pub(crate) fn apw_byte(&mut self, byte: u8) {
        self.apw_rx.push(byte);
        if self.apw_rx.first() != Some(&0x55) || self.apw_rx.get(1).is_some_and(|&b| b != 0xAA) {
            self.apw_rx.clear();
            return;
        }
        if self.apw_rx.len() < 8 {
            return;
        }
        let p = std::mem::take(&mut self.apw_rx);
        let sum: u16 = p[2..6].iter().map(|&b| u16::from(b)).sum();
        if p[3] == 0x83 && sum.to_le_bytes() == [p[6], p[7]] {
            self.supply_mv = Some(15_092 - u32::from(p[4]) * 13);
        }
    }

    /// Whether the chain has power: the supply on and, on a board with a PIC, its DC-DC running.
    pub(crate) fn chain_powered(&self) -> bool {
        self.powered && self.pic.as_ref().is_none_or(|p| p.dc_dc_on)
    }

    /// Power switched at `now`.
    pub fn set_power(&mut self, on: bool, now: Ns) {
        // The overheating chips' heat up to now, under the power as it was.
        self.hot_heat_at(now);
        if on && !self.powered {
            self.powered_at = now;
            // Off long enough to matter: the board starts from ambient again [I].
            self.hash_heat.set((now, 0.0));
            if self
                .faults
                .iter()
                .any(|f| matches!(*f, Fault::RoStuck(k) if self.ro_held_by(k)))
            {
                // The return line goes low with the chain's power and stays there: one break.
                self.line_breaks += 1;
            }
        }
        self.powered = on;
        if !on {
            if let Some(pic) = &mut self.pic {
                pic.off();
            }
            self.reset_chain(now);
        }
    }

    /// Reset line driven at `now`.
    pub fn set_reset(&mut self, asserted: bool, now: Ns) {
        if asserted {
            self.reset_chain(now);
        }
        self.in_reset = asserted;
    }

    fn reset_chain(&mut self, now: Ns) {
        if self.chips.iter().any(|c| c.addressed) {
            self.cleared_addresses = self.chip_addresses();
        }
        let family = self.family;
        for chip in &mut self.chips {
            chip.reset(family);
        }
        self.chain_baud = 115_200;
        self.reset_at = now;
    }

    /// The host put `bytes` on the wire starting at `start`, one byte every `byte_ns(baud)`.
    pub fn host_bytes(&mut self, bytes: &[u8], start: Ns, baud: u32) {
        let step = byte_ns(baud);
        let mut frames = Vec::new();
        let base = self.parser_offset();
        let mut bytes = bytes.to_vec();
        if let Some(p) = self.faults.iter().find_map(|f| match *f {
            Fault::TxNoise(ppm) => Some(f64::from(ppm) / 1e6),
            _ => None,
        }) {
            // Flipped bits only (the chips' receiver still counts every byte): the frame's CRC
            // fails and every chip drops it.
            for b in &mut bytes {
                if self.rng.chance(p) {
                    *b ^= 1 << self.rng.below(8);
                }
            }
        }
        let mut last_end = base;
        self.parser.feed(&bytes, &mut |last, frame| {
            let len = (last + 1).saturating_sub(last_end);
            last_end = last + 1;
            frames.push((last, frame, len));
        });
        for (last, frame, len) in frames {
            let end = (last + 1).saturating_sub(base);
            let at = start + ((end as f64) * step) as Ns;
            self.push(
                at,
                Pending::Frame {
                    frame,
                    len: len as usize,
                    sent_baud: baud,
                },
            );
        }
    }

    fn parser_offset(&self) -> u64 {
        self.parser.offset()
    }

    /// Run every event up to `until`.
    pub fn advance(&mut self, until: Ns) {
        if let Some(off_at) = self.pic.as_ref().and_then(Pic::off_at)
            && off_at <= until
        {
            // No heartbeat in time: the PIC switches its DC-DC off and the chain loses power.
            self.advance_events(off_at);
            if let Some(pic) = &mut self.pic {
                pic.dc_dc_on = false;
            }
            self.reset_chain(off_at);
        }
        self.advance_events(until);
    }

    fn advance_events(&mut self, until: Ns) {
        while let Some((Reverse(at), _, _)) = self.events.peek() {
            if *at > until {
                break;
            }
            let Some((Reverse(at), _, event)) = self.events.pop() else {
                break;
            };
            match event {
                Pending::Frame {
                    frame,
                    len,
                    sent_baud,
                } => self.frame(at, frame, len, sent_baud),
                Pending::Found {
                    chip,
                    seq,
                    nonce,
                    rest,
                } => self.found(at, chip, seq, nonce, rest),
                Pending::Reply { chip, bytes } => self.reply_on_line(at, chip, bytes),
            }
        }
    }

    fn frame(&mut self, at: Ns, frame: HostFrame, len: usize, sent_baud: u32) {
        if !same_baud(sent_baud, self.chain_baud) || at < self.reset_at {
            // Framing errors at the chips: the bytes mean nothing to them.
            return;
        }
        let mut reach = self.reach();
        let joints: Vec<(usize, f64)> = self
            .faults
            .iter()
            .filter_map(|f| match *f {
                Fault::Joint(k, ppm) => Some((k, f64::from(ppm) / 1e6)),
                _ => None,
            })
            .collect();
        // A bad joint at chip K corrupts the frame it relays to the chips beyond: their CRC
        // fails and they drop it. Each joint of the board does (the first alone did: a joint at
        // 0 listed after one at 2 lost no work, held-out seed 1001342).
        for (k, p) in joints {
            let corrupted = 1.0 - (1.0 - p).powi(i32::try_from(len).unwrap_or(i32::MAX));
            if self.rng.chance(corrupted) {
                reach = reach.min(k + 1);
            }
        }
        let family = self.family;
        match frame {
            HostFrame::SetAddress(address) => {
                // The first chip without an address takes it and stops it (facts §7 step 6);
                // a `dupaddr` chip passes it on as well, to the next one.
                let first = self.chips.iter().take(reach).position(|c| !c.addressed);
                if let Some(k) = first {
                    let doubled = self.has(|f| *f == Fault::DupAddr(k));
                    let takers = if doubled && k + 1 < reach { 2 } else { 1 };
                    for chip in self.chips.iter_mut().skip(k).take(takers) {
                        chip.address = address;
                        chip.addressed = true;
                    }
                }
            }
            HostFrame::ChainInactive => {}
            HostFrame::Write {
                all,
                address,
                register,
                value,
            } => {
                let baud_register = RegMap::of(family).baud;
                for chip in self.chips.iter_mut().take(reach) {
                    if all || address == chip.address {
                        chip.write(family, register, value);
                    }
                }
                if register == i2c_register(family) && !all {
                    for i in 0..reach {
                        if self.chips[i].address == address {
                            self.i2c_command(i, value, at);
                        }
                    }
                }
                if register == baud_register && all && reach > 0 {
                    self.chain_baud = baud_of_divider(baud_divider(family, value));
                }
            }
            HostFrame::Read {
                all,
                address,
                register,
            } => {
                for i in 0..reach {
                    let chip = &self.chips[i];
                    if all || address == chip.address {
                        let bytes = self.register_reply(chip, register, at);
                        let ready = at + self.relay_ns(i);
                        self.push(ready, Pending::Reply { chip: i, bytes });
                    }
                }
            }
            HostFrame::Job(work) => {
                self.jobs_taken += 1;
                for n in self.jobs_reaching.iter_mut().take(reach) {
                    *n += 1;
                }
                self.job(at, &work, reach);
            }
        }
    }

    fn register_reply(&self, chip: &Chip, register: u8, at: Ns) -> Vec<u8> {
        let mut value = chip.read(register);
        if register == i2c_register(self.family) && at < chip.i2c_done_at {
            // bm13xx-rs I2CControl: bit 31 busy while the transfer runs.
            value |= 0x8000_0000;
        }
        let value = value.to_be_bytes();
        let mut body = vec![
            value[0],
            value[1],
            value[2],
            value[3],
            chip.address,
            register,
        ];
        if self.eleven_byte(chip) {
            body.extend_from_slice(&[0, 0]);
        }
        asic::reply(self.family, &body, false)
    }

    /// Chip `i` took an I2C command: `[flags, device << 1 | write, register, data]` (bmminer-mix
    /// `read_temp`; bm13xx-rs I2CControl: do-command bit 24, device 23-17, write 16, register
    /// 15-8, data 7-0). The master runs the transfer against the board's devices on that chip's
    /// bus; the register then holds the byte read (bits 31-30 clear), or bit 30 set when nothing
    /// acknowledged ([I]: bmminer treats either of bits 31-30 as not done).
    fn i2c_command(&mut self, i: usize, value: u32, at: Ns) {
        if value & (1 << 24) == 0 || !self.chips[i].i2c_enabled(self.family) {
            return;
        }
        let device = ((value >> 17) & 0x7F) as u8;
        let write = value & (1 << 16) != 0;
        let register = (value >> 8) as u8;
        let answer = self.i2c_device(i, device, write, register, value as u8, at);
        let echo = value & 0x00FF_FF00;
        let chip = &mut self.chips[i];
        chip.regs[usize::from(i2c_register(self.family))] = match answer {
            Some(byte) => echo | u32::from(byte),
            None => 0x4000_0000 | echo | 0xFF,
        };
        chip.i2c_done_at = at + I2C_TRANSFER_NS;
    }

    /// A device on chip `host`'s I2C bus: the profile's sensor hosted there at `device`, an
    /// NCT218-class part (local temperature in 0x00, remote diode in 0x01, whole °C; ID 0x1A in
    /// 0xFE). `None` when nothing acknowledges.
    fn i2c_device(
        &mut self,
        host: usize,
        device: u8,
        write: bool,
        register: u8,
        data: u8,
        at: Ns,
    ) -> Option<u8> {
        let index = self.profile.sensors.iter().position(|s| {
            s.host_chip == Some(host)
                && s.i2c_address == Some(device)
                && s.kind != SensorKind::AsicDiode
        })?;
        if self.has(|f| *f == Fault::Sensor(index)) {
            return None;
        }
        if write {
            return Some(data);
        }
        let local = self.temperature(index, at)?;
        let whole = |t: f32| t.round().clamp(-128.0, 127.0) as i8 as u8;
        Some(match register {
            0x00 => whole(local),
            0x01 => whole(local + DIE_OVER_BOARD_C),
            NCT218_ID_REGISTER => NCT218_ID,
            _ => 0,
        })
    }

    /// BM136x replies grow to 11 bytes once version rolling is on (facts §1.6).
    fn eleven_byte(&self, chip: &Chip) -> bool {
        asic::takes_full_headers(self.family) && chip.version_rolling
    }

    /// A job reached the first chip. Every chip hashes it; a nonce is returned only where the
    /// chip's own double SHA-256 of what it received meets its ticket. Candidate nonces come
    /// from the public header table (the block whose merkle tail, time and bits the job
    /// carries), never from the engine.
    fn job(&mut self, at: Ns, work: &Work, reach: usize) {
        // The heat so far, with the chips as they were before this job.
        self.heat_at(at);
        self.job_seq += 1;
        let seq = self.job_seq;
        self.jobs.push(SentJob { seq, at });
        let tail = work.tail();
        let candidates: Vec<(u32, u32)> = self
            .headers
            .with_tail(&tail)
            .map(|k| {
                let v = &k.header;
                (
                    u32::from_le_bytes([v[76], v[77], v[78], v[79]]),
                    u32::from_le_bytes([v[0], v[1], v[2], v[3]]),
                )
            })
            .collect();
        let family = self.family;
        for (nonce, block_version) in candidates {
            // Every chip receives the same bytes: what they hash differs only with the rolled
            // bits and ticket each was given, so each distinct pair is hashed once.
            let mut hashed: Vec<((u32, u32), Option<Earned>)> = Vec::new();
            for i in 0..reach {
                let chip = &self.chips[i];
                let core = Chip::core_of(family, nonce);
                if !chip.reports(family, core) {
                    continue;
                }
                let (Some(within), Some(batch)) = (
                    chip.time_to_nonce(family, nonce),
                    chip.batch_seconds(family),
                ) else {
                    continue;
                };
                let key = (chip.rolled_bits(), chip.ticket_bits(family));
                let earned = match hashed.iter().find(|(k, _)| *k == key) {
                    Some((_, earned)) => *earned,
                    None => {
                        let earned = self.earn(chip, work, nonce, block_version);
                        hashed.push((key, earned));
                        earned
                    }
                };
                let Some(earned) = earned else {
                    continue;
                };
                let seconds = f64::from(earned.batch) * batch + within;
                let found_at = at + self.relay_ns(i) + (seconds * 1e9) as Ns;
                let excess =
                    (2 * earned.zeros.saturating_sub(32 + chip.ticket_bits(family))).min(255) as u8;
                let job_byte = Chip::job_byte(family, work.job_id, earned.slot);
                let rest = if self.eleven_byte(chip) {
                    let counter = (earned.counter as u16).to_be_bytes();
                    vec![excess, job_byte, counter[0], counter[1]]
                } else {
                    vec![earned.slot, job_byte]
                };
                self.push(
                    found_at,
                    Pending::Found {
                        chip: i,
                        seq,
                        nonce,
                        rest,
                    },
                );
            }
        }
    }

    /// Hash `work` as `chip` would with the candidate `nonce` of a block mined with
    /// `block_version`: which version slot or midstate gets there, in which batch, and the
    /// hash's zero bits; `None` when nothing the chip computes meets its ticket.
    fn earn(&self, chip: &Chip, work: &Work, nonce: u32, block_version: u32) -> Option<Earned> {
        let needed = 32 + chip.ticket_bits(self.family);
        match &work.kind {
            WorkKind::Header(header) => {
                let sent = u32::from_le_bytes([header[0], header[1], header[2], header[3]]);
                let mask = chip.rolled_bits();
                // The version counter whose rolled version is the block's, if any.
                let counter = (block_version & mask) >> 13;
                let version = match self.roll {
                    RollSemantic::Replace => sent & !mask | counter << 13,
                    RollSemantic::Or => sent | counter << 13,
                };
                let mut h = *header;
                h[0..4].copy_from_slice(&version.to_le_bytes());
                h[76..80].copy_from_slice(&nonce.to_le_bytes());
                let mut last16 = [0u8; 16];
                last16.copy_from_slice(&h[64..80]);
                let zeros = asic::zero_bits(&asic::finish(&asic::midstate(&h[..64]), &last16));
                let slots = Chip::version_slots(self.family);
                (zeros >= needed).then_some(Earned {
                    zeros,
                    counter,
                    batch: counter / slots,
                    slot: (counter % slots) as u8,
                })
            }
            WorkKind::Midstates { states, tail } => {
                let mut last16 = [0u8; 16];
                last16[..12].copy_from_slice(tail);
                last16[12..].copy_from_slice(&nonce.to_le_bytes());
                states.iter().enumerate().find_map(|(i, state)| {
                    let zeros = asic::zero_bits(&asic::finish(state, &last16));
                    (zeros >= needed).then_some(Earned {
                        zeros,
                        counter: 0,
                        batch: 0,
                        slot: i as u8,
                    })
                })
            }
        }
    }

    /// The job chip `chip` is working on at `at`: the last one that had reached it.
    fn current_job(&self, chip: usize, at: Ns) -> Option<u64> {
        let relay = self.relay_ns(chip);
        let n = self.jobs.partition_point(|j| j.at + relay <= at);
        let job = self.jobs.get(n.checked_sub(1)?)?;
        (job.at > self.reset_at).then_some(job.seq)
    }

    fn found(&mut self, at: Ns, chip: usize, seq: u64, nonce: u32, rest: Vec<u8>) {
        if chip >= self.reach() || self.current_job(chip, at) != Some(seq) {
            // A newer job (or a reset) took the chip off this one before it got there.
            return;
        }
        if self.browned_out(chip) {
            // The domain sagged below what the cores need: they compute nothing.
            return;
        }
        if let Some(limit) = self.faults.iter().find_map(|f| match *f {
            Fault::HotFail(k, t) if k == chip => Some(f64::from(t)),
            _ => None,
        }) && self.temperature_at(chip, at) > limit
        {
            return;
        }
        let mut nonce = nonce;
        // A die's highest clock follows its core voltage, taken as proportional here [I]: the
        // supply below the profile's stack voltage lowers it by the same share.
        let stack_mv =
            f64::from(self.profile.voltage.nominal_mv.value) * self.profile.domains.value as f64;
        let volts = self
            .supply_mv
            .filter(|_| self.profile.domains.value > 1)
            .map_or(1.0, |mv| f64::from(mv) / stack_mv);
        let limit_mhz = self.faults.iter().find_map(|f| match *f {
            Fault::Margin(k, pct) if k == chip => {
                Some(self.profile.frequency_mhz.value * f64::from(pct) / 100.0 * volts)
            }
            _ => None,
        });
        if limit_mhz.is_some_and(|limit| self.chips[chip].clock_mhz > limit + 1e-6) {
            // Past its timing: the result is computed wrong (a flipped low bit of the nonce).
            nonce = (nonce.swap_bytes() ^ 0x0000_0003).swap_bytes();
        }
        if self.has(|f| *f == Fault::WrongPart(chip)) {
            // Another part's arithmetic: a result from its own sweep, but not one for this
            // work (the lowest bits differ; the fields that say whose it is are intact).
            nonce = (nonce.swap_bytes() ^ 0x0000_0005).swap_bytes();
        }
        let hw_pct = self.faults.iter().find_map(|f| match *f {
            Fault::HwErr(k, pct) if k == chip => Some(pct),
            _ => None,
        });
        if let Some(pct) = hw_pct
            && self.rng.chance(f64::from(pct) / 100.0)
        {
            // A miscomputed result: a core's result lies in its own sweep, so only the lowest
            // bits are wrong (the chip's and the core's fields, and every family's range
            // bits, intact).
            let bit = 1u32 << self.rng.below(4);
            nonce = (nonce.swap_bytes() ^ bit).swap_bytes();
        }
        let mut body = nonce.to_le_bytes().to_vec();
        body.extend_from_slice(&rest);
        let bytes = asic::reply(self.family, &body, true);
        self.push(at, Pending::Reply { chip, bytes });
    }

    fn reply_on_line(&mut self, at: Ns, chip: usize, mut bytes: Vec<u8>) {
        if chip >= self.talk() {
            return;
        }
        for fault in self.faults.clone() {
            match fault {
                Fault::Joint(k, ppm) if chip >= k => {
                    Self::corrupt(&mut self.rng, &mut bytes, f64::from(ppm) / 1e6);
                }
                Fault::BaudNoise(ppm) if self.chain_baud > 120_000 => {
                    Self::corrupt(&mut self.rng, &mut bytes, f64::from(ppm) / 1e6);
                }
                _ => {}
            }
        }
        if self.has(|f| *f == Fault::Flaky(chip)) {
            let rng = &mut self.rng;
            bytes.retain(|_| !rng.chance(FLAKY_DROP));
        }
        let noise = self.faults.iter().find_map(|f| match *f {
            Fault::Noise(ppm) => Some(f64::from(ppm) / 1e6),
            _ => None,
        });
        if let Some(p) = noise {
            Self::corrupt(&mut self.rng, &mut bytes, p);
        }
        let arrive = at + self.relay_ns(chip);
        let start = arrive.max(self.rx_free_at);
        let end = start + (bytes.len() as f64 * byte_ns(self.chain_baud)) as Ns;
        self.rx_free_at = end;
        self.delivered.push((start, end, bytes));
    }

    /// Whether chip `i` is hashing at `now`: powered, reachable, clocked, and given work lately.
    fn hashing(&self, i: usize, now: Ns) -> bool {
        let Some(chip) = self.chips.get(i) else {
            return false;
        };
        let recent = self
            .jobs
            .last()
            .is_some_and(|j| j.at > self.reset_at && now.saturating_sub(j.at) < HASHING_WINDOW_NS);
        recent && i < self.reach() && chip.freq_hz() > 0.0
    }

    /// Power chip `i` draws at `now` on a powered chain, W: leakage with its clock stopped or
    /// held in reset, idle, or hashing with the share of its cores alive.
    fn chip_watts(&self, i: usize, now: Ns) -> f64 {
        if self.stopped(i) {
            return CHIP_STOPPED_W;
        }
        if !self.hashing(i, now) {
            return CHIP_IDLE_W;
        }
        let alive = self.chips.get(i).map_or(0.0, |c| {
            c.alive.iter().filter(|a| **a).count() as f64 / c.alive.len().max(1) as f64
        });
        CHIP_IDLE_W + CHIP_HASHING_W * alive
    }

    /// The address each chip of the chain holds, in chain order (`None`: it took no
    /// set-address since power-on or reset).
    fn chip_addresses(&self) -> Vec<Option<u8>> {
        self.chips
            .iter()
            .map(|c| c.addressed.then_some(c.address))
            .collect()
    }

    /// The address each chip held the last time the chain held any: now, or just before the
    /// reset or power-off that cleared them (a run ends with the board off). What a probe on
    /// the chain would have read; the engine never sees it (tests and `eval` hold the engine's
    /// map of addresses against it).
    #[must_use]
    pub fn addresses_last_held(&self) -> Vec<Option<u8>> {
        if self.chips.iter().any(|c| c.addressed) {
            self.chip_addresses()
        } else {
            self.cleared_addresses.clone()
        }
    }

    /// Per chip, the share of the jobs the chain took that reached it whole (1.0 when no job
    /// was taken): what a bad joint, a cut or a reset before it left of the work. The engine
    /// never sees it; `eval` holds a chip fault it could not tell against it.
    #[must_use]
    pub fn work_reaching(&self) -> Vec<f64> {
        self.jobs_reaching
            .iter()
            .map(|&n| {
                if self.jobs_taken == 0 {
                    1.0
                } else {
                    n as f64 / self.jobs_taken as f64
                }
            })
            .collect()
    }

    /// Whether the board has power (the jig's supply enable).
    #[must_use]
    pub fn is_powered(&self) -> bool {
        self.powered
    }

    /// Domain voltages and input current at `now`: a stack of domains in series on a supply at
    /// nominal × domains. Each domain's resistance follows its load: a hashing chip draws
    /// more than an idle one (a dead chip hashes with no core), so a domain with a dead chip
    /// rises while the others hash; a shorted domain drops to almost nothing and the rest share
    /// its volts.
    pub fn electrical(&mut self, now: Ns) -> (Vec<u32>, u32, u32) {
        let domains = self.profile.domains.value;
        if !self.powered {
            return (vec![0; domains], 0, 0);
        }
        let nominal = f64::from(self.profile.voltage.nominal_mv.value);
        // The stack runs at the supply's output: the APW12's setting, or nominal × domains.
        let supply = self.supply_mv.map_or(nominal * domains as f64, f64::from);
        if !self.chain_powered() {
            // The supply is on but the PIC's DC-DC is off: the input is there, the domains are not.
            return (vec![0; domains], supply.round() as u32, 200);
        }
        // Each domain is its chips in parallel: current = power / domain voltage.
        let nominal_v = nominal / 1000.0;
        let resistance: Vec<f64> = (0..domains)
            .map(|d| {
                let amps: f64 = self
                    .profile
                    .chips_in_domain(d)
                    .map(|i| self.chip_watts(i, now) / nominal_v)
                    .sum();
                let mut r = nominal_v / amps.max(1e-6);
                // A leaky part in the domain draws more while its chips hash: the domain
                // drops by about the sag and the rest of the stack takes it up.
                let sag = self.faults.iter().find_map(|f| match *f {
                    Fault::Sag(sd, mv) if sd == d => Some(f64::from(mv)),
                    Fault::WarmSag(sd, mv) if sd == d => {
                        let t = self
                            .profile
                            .chips_in_domain(d)
                            .next()
                            .map_or(AMBIENT, |c| self.temperature_at(c, now));
                        Some(f64::from(mv) * ((t - 45.0) / 15.0).clamp(0.0, 1.0))
                    }
                    _ => None,
                });
                if let Some(mv) = sag
                    && self
                        .profile
                        .chips_in_domain(d)
                        .any(|i| self.hashing(i, now))
                {
                    r *= (nominal - mv).max(1.0) / nominal;
                }
                if self.shorted_domain(d) { r * 1e-3 } else { r }
            })
            .collect();
        let total: f64 = resistance.iter().sum();
        let mut taps = Vec::with_capacity(domains);
        let mut level = 0.0;
        for r in &resistance {
            level += supply * r / total;
            let noise = (self.noise.unit() - 0.5) * 2.0;
            taps.push((level + noise).max(0.0).round() as u32);
        }
        let current = supply / 1000.0 / total * 1000.0;
        (taps, supply.round() as u32, current.round() as u32)
    }

    /// Temperature a sensor reads at `now`, or `None` when it does not answer.
    pub fn temperature(&mut self, sensor_index: usize, now: Ns) -> Option<f32> {
        let sensor = self.profile.sensors.get(sensor_index)?.clone();
        if !self.powered || self.has(|f| *f == Fault::Sensor(sensor_index)) {
            return None;
        }
        if let Some(host) = sensor.host_chip {
            // Reached through its host ASIC: no answer if the host is out of reach.
            if host >= self.reach() || self.in_reset {
                return None;
            }
        }
        let t = self.temperature_at(sensor.near_chip, now);
        let noise = (self.noise.unit() - 0.5) * 0.4;
        // LM75-class resolution: 0.125 °C.
        Some(((t + noise) * 8.0).round() as f32 / 8.0)
    }

    /// The board's temperature at chip `near` at `now`, °C: ambient, the powered board's
    /// warm-up, and every overheating chip's heat spreading with distance.
    fn temperature_at(&self, near: usize, now: Ns) -> f64 {
        let on_s = now.saturating_sub(self.powered_at) as f64 / 1e9;
        let mut t = AMBIENT + WARM_RISE * (1.0 - (-on_s / WARM_TAU_S).exp()) + self.heat_at(now);
        let Some(at) = self.profile.layout.chips.get(near) else {
            return t;
        };
        let spread = self.hot_spread();
        for (k, rise) in self.hot_heat_at(now) {
            if let Some(hot) = self.profile.layout.chips.get(k) {
                let dr = f64::from(at.row) - f64::from(hot.row);
                let dc = f64::from(at.col) - f64::from(hot.col);
                let distance = (dr * dr + dc * dc).sqrt();
                t += rise * (-distance / spread).exp();
            }
        }
        t
    }

    /// Each overheating chip and its rise at `now`: from the last value, towards
    /// `HOT_C_PER_W` × the power it draws (none on an unpowered chain), first order with
    /// `HOT_TAU_S`, the state at `now` taken for the interval.
    fn hot_heat_at(&self, now: Ns) -> Vec<(usize, f64)> {
        let mut heat = self.hot_heat.borrow_mut();
        let powered = self.chain_powered();
        heat.iter_mut()
            .map(|(k, at, rise)| {
                if now > *at {
                    let watts = if powered {
                        self.chip_watts(*k, now)
                    } else {
                        0.0
                    };
                    let target = HOT_C_PER_W * watts;
                    let dt = (now - *at) as f64 / 1e9;
                    *rise = target + (*rise - target) * (-dt / HOT_TAU_S).exp();
                    *at = now;
                }
                (*k, *rise)
            })
            .collect()
    }

    /// The hashing heat at `now`: from the last value, towards `HASH_RISE` while any chip
    /// hashes and towards 0 otherwise (first order, the state at `now` taken for the interval).
    fn heat_at(&self, now: Ns) -> f64 {
        let (at, heat) = self.hash_heat.get();
        if now <= at {
            return heat;
        }
        let hashing = self.powered && (0..self.chips.len()).any(|i| self.hashing(i, now));
        let target = if hashing { HASH_RISE } else { 0.0 };
        let dt = (now - at) as f64 / 1e9;
        let next = target + (heat - target) * (-dt / HASH_TAU_S).exp();
        self.hash_heat.set((now, next));
        next
    }

    /// Grid distance between two chips.
    fn distance(&self, a: usize, b: usize) -> f64 {
        match (
            self.profile.layout.chips.get(a),
            self.profile.layout.chips.get(b),
        ) {
            (Some(p), Some(q)) => {
                let dr = f64::from(p.row) - f64::from(q.row);
                let dc = f64::from(p.col) - f64::from(q.col);
                (dr * dr + dc * dc).sqrt()
            }
            _ => f64::INFINITY,
        }
    }

    /// Heat spreading length: the farthest any chip is from its nearest sensor sees
    /// `HOT_AT_FARTHEST` of the hot chip's rise.
    fn hot_spread(&self) -> f64 {
        let farthest = (0..self.chips.len())
            .map(|c| {
                self.profile
                    .sensors
                    .iter()
                    .map(|s| self.distance(c, s.near_chip))
                    .fold(f64::INFINITY, f64::min)
            })
            .filter(|d| d.is_finite())
            .fold(1.0, f64::max);
        farthest / (HOT_RISE / HOT_AT_FARTHEST).ln()
    }

    /// The sensor index of a jig sensor reference.
    pub fn sensor_index(
        &self,
        kind: SensorKind,
        i2c: Option<u8>,
        via_chip_address: Option<u8>,
    ) -> Option<usize> {
        let via_index = via_chip_address.and_then(|a| {
            self.chips
                .iter()
                .find(|c| c.address == a && c.addressed)
                .map(|c| c.index)
        });
        self.profile.sensors.iter().position(|s| {
            s.kind == kind
                && s.i2c_address == i2c
                && (via_chip_address.is_none() || s.host_chip == via_index || s.host_chip.is_none())
        })
    }
}

/// Whether a receiver at `a` baud reads a sender at `b`: within 2 % (8N1 framing tolerates about
/// half a bit over ten bits; [I] 2 % is the usual design margin).
pub(crate) fn same_baud(a: u32, b: u32) -> bool {
    (f64::from(a) - f64::from(b)).abs() <= 0.02 * f64::from(a.max(b))
}

/// What a chip's hashing of one candidate gave.
#[derive(Debug, Clone, Copy)]
struct Earned {
    /// Zero bits of the hash.
    zeros: u32,
    /// The version counter (rolled bits >> 13).
    counter: u32,
    /// Version batch in which the sub-core gets there.
    batch: u32,
    /// Sub-core (version slot) or midstate index.
    slot: u8,
}
