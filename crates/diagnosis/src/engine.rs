//! The diagnosis, step by step: preflight, enumeration, addressing and configuration, baud,
//! the known-nonce pattern test, accounting, verdict. This file holds the run, its steps in
//! order, the board's measurements and the report; `chain` brings the chain up, `pattern` runs
//! the pattern test, `procedures` the ladder, supply steps, soak and aging.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use bm13xx::bringup::{self, Phase};
use bm13xx::job::job_for_header;
use bm13xx::reply::Reply;
use bm13xx::{Command, Dest, Family, FamilyParams, registers as reg};
use boards::{Profile, SensorKind};
use patterns::select::spread;
use patterns::setup::SliceRule;
use patterns::{ChainSetup, HeaderSet, NonceVerdict, Pattern, PatternPool};

use crate::config::Config;
use crate::findings;
use crate::halving::HalvingStep;
use crate::jig::{AsicSensorPath, Jig, JigError, JigInfo, PicCommand, SensorRef, Telemetry, Trip};
use crate::report::{
    AgingCount, AgingSummary, AgingWindow, BoardIdentity, BoardSummary, ChipResult, ChipState,
    DomainResult, DomainState, JigReport, PicSummary, Provenance, Report, SensorResult,
    SensorState, SoakSummary, Timing, Verdict,
};
use crate::stats::{self, Evidence};
use crate::wire::{Arrived, Wire};

mod chain;
mod pattern;
mod procedures;

/// The steps of a diagnosis, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Step {
    /// Power, domain voltages, sensors, EEPROM.
    Preflight,
    /// Chip discovery at 115200.
    Enumeration,
    /// Addresses, ticket mask, frequency, sweep.
    Configuration,
    /// Raising the UART rate.
    Baud,
    /// The known-nonce pattern test.
    PatternTest,
    /// The pattern test at other hash clocks (`--ladder`).
    Ladder,
    /// Hashing until the board is warm, then the pattern test again (`--soak`).
    Soak,
    /// Continuous known-nonce hashing, each chip's errors over time (`--aging`).
    Aging,
    /// Findings and verdict.
    Verdict,
}

impl Step {
    /// Every step, in order.
    pub const ALL: [Step; 9] = [
        Step::Preflight,
        Step::Enumeration,
        Step::Configuration,
        Step::Baud,
        Step::PatternTest,
        Step::Ladder,
        Step::Soak,
        Step::Aging,
        Step::Verdict,
    ];

    /// Name shown to the technician.
    #[must_use]
    pub fn label(self) -> &'static str {
        match self {
            Self::Preflight => "Preflight: power, voltages, sensors",
            Self::Enumeration => "Enumeration at 115200",
            Self::Configuration => "Addressing and configuration",
            Self::Baud => "Raise the baud rate",
            Self::PatternTest => "Known-nonce pattern test",
            Self::Ladder => "Frequency ladder",
            Self::Soak => "Soak: hash until warm, test again",
            Self::Aging => "Aging: hash known work, count each chip's errors",
            Self::Verdict => "Verdict",
        }
    }
}

/// A progress report.
#[derive(Debug, Clone, PartialEq)]
pub struct Progress {
    /// Current step.
    pub step: Step,
    /// Fraction of the step done, 0..=1.
    pub fraction: f32,
    /// What is happening.
    pub message: String,
    /// Chips whose state is now known: (chain index, state).
    pub chips: Vec<(usize, ChipState)>,
    /// A telemetry sample, when one was taken.
    pub telemetry: Option<Telemetry>,
    /// Decoded chain frames since the last event (with `Options::frame_log`).
    pub frames: Vec<String>,
    /// Sensor readings (°C, in profile order; `None` where a sensor gave nothing), when taken.
    pub temperatures: Option<Vec<Option<f32>>>,
    /// Golden nonces returned so far in the run.
    pub golden: u32,
    /// A window of the aging test, when one closed (for the live error-rate plot).
    pub aging: Option<AgingWindow>,
}

/// What the caller asks for.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Baud rate for the pattern test (default: the profile's high rate, capped by the jig).
    pub baud: Option<u32>,
    /// Thresholds.
    pub config: Config,
    /// Hashbench version, for provenance.
    pub app_version: String,
    /// Simulation seed, for provenance.
    pub seed: Option<u64>,
    /// Leave the board powered and configured after a run that finished, for probing; the
    /// caller keeps the jig's lease alive and switches power off when done.
    pub hold_power: bool,
    /// Run the pattern test only for these chips (a retest); the others stay untested.
    pub only_chips: Option<Vec<usize>>,
    /// Decode every frame into the progress events' `frames` (for the workbench's log).
    pub frame_log: bool,
    /// Keep every frame of chain traffic in the report (`Report::capture`).
    pub capture: bool,
    /// After the pattern test, keep the chips hashing until the hottest sensor reaches
    /// `Config::soak_target_c` or this many seconds of jig time pass, then test again: chips
    /// that pass cold and fail warm are named (`fails_hot`).
    pub soak_s: Option<u64>,
    /// After the pattern test, test again at each of these shares of the profile's hash clock,
    /// percent (e.g. 85 and 110), and back: each chip's `margin_mhz` and `low_margin` notes.
    pub ladder: Option<Vec<f64>>,
    /// After the pattern test (and any frequency ladder), test again at the profile's clock
    /// with the board supply at each of these, mV (Bitmain's PT2 steps the supply at a fixed
    /// clock), then set it back to the profile's stack voltage: each chip's `margin_mv`. Only
    /// boards of stacked domains on the jig's supply; a Bitaxe's core rail is not stepped.
    pub ladder_mv: Option<Vec<u32>>,
    /// At the end, keep the chips hashing known-nonce work for this many seconds of jig time,
    /// counting each chip's missed and miscomputed nonces per window (`Config::aging_window_s`):
    /// a chip that errs far more than the board is named (`aging_errors`).
    pub aging_s: Option<u64>,
    /// Only count the chips at 115200 (power, preflight, discovery) with the technician's RO
    /// test point between chips `M - 1` and `M` shorted to 1V8: a step of the guided halving
    /// ([`crate::halving`]). The report has no findings, is `inconclusive` and carries the count
    /// in `halving_step`.
    pub halving_short: Option<usize>,
}

enum Stop {
    Cancelled,
    Jig(JigError),
    /// The chain lost power with the supply on (the PIC's DC-DC): nothing more can be tested.
    ChainPowerLost,
}

impl From<JigError> for Stop {
    fn from(e: JigError) -> Self {
        Self::Jig(e)
    }
}

type Flow<T = ()> = Result<T, Stop>;

#[derive(Debug, Clone, Default)]
pub(crate) struct ChipTrack {
    pub(crate) address: Option<u8>,
    pub(crate) slot: usize,
    used: BTreeSet<usize>,
    pub(crate) cores_ok: BTreeSet<u8>,
    pub(crate) cores_dead: BTreeSet<u8>,
    pub(crate) patterns: u32,
    pub(crate) golden: u32,
    pub(crate) hw_errors: u32,
    pub(crate) other_valid: u32,
    pub(crate) transient: u32,
    /// Patterns with a try whose golden reply came back spoiled (a frame failing its CRC or
    /// bytes that were no frame, when that reply was due).
    pub(crate) garbled: u32,
    /// Patterns that missed every try where that proves no dead core (see `Evidence`).
    pub(crate) unresolved: u32,
    /// Patterns that answered when the chip was retested before being blamed.
    pub(crate) recovered: u32,
    /// Times a retest cleared the chip of a blame.
    pub(crate) retested: u32,
    /// Cores of its unresolved misses.
    pub(crate) missed: BTreeSet<u8>,
    /// Those of them it was blamed for in a round a retest showed it had lost whole (a core it
    /// was blamed for answered): they stay unresolved misses, but are no silent core of its own
    /// until they miss again in a round it answered (see `ChipResult::cores_doubted`).
    pub(crate) doubted: BTreeSet<u8>,
    /// Dead cores proven only by the line's loss rate (every try missed on a noisy line):
    /// counted dead, and retried before the chip is let go undecided.
    pub(crate) noisy_dead: BTreeSet<u8>,
    /// Register reads sent to it after the pattern test found a step in the losses, and how
    /// many of them no reply came back for (`Engine::probe_past_steps`).
    pub(crate) reads: u32,
    pub(crate) reads_lost: u32,
    /// Its replies lost then found, spoiled, and its patterns, when it was first given more
    /// work for its losses (`Engine::follow_up`): what picked it (see
    /// `Config::link_replicate_p`).
    pub(crate) before_follow_up: Option<(u32, u32, u32)>,
    /// The chip IDs the replies to those reads carried (register 0), and how many of each.
    pub(crate) read_ids: BTreeMap<u16, u32>,
    /// Its silent cores tried again after the pattern test (`Engine::retest_silent_cores`).
    pub(crate) core_retest: CoreRetest,
    pub(crate) state: Option<ChipState>,
    pub(crate) chip_id: Option<u16>,
}

impl ChipTrack {
    /// The chip's ID as the register reads past a step gave it (`read_ids`), where most of
    /// them agree: `(id, replies with it, replies)`. That ID is the chip's, whatever one read
    /// at a check of the addresses says: a reply corrupted on the way passes the CRC (five
    /// bits) now and then, and a wrong-ID part a bit away from the family's (0x1362 and
    /// 0x1366) was taken for the family's part on one such reply at a check after the reads
    /// and never read again (tuning seed 21110, an S19k Pro with joints at 31 and 35: chip
    /// 40, past both, gave 0x1362 on 648 reads and was recorded as 0x1366). [I] Two thirds of
    /// its replies and three at least: a corrupted reply passes the CRC one time in 32.
    pub(crate) fn id_from_reads(&self) -> Option<(u16, u32, u32)> {
        let all: u32 = self.read_ids.values().sum();
        let (&id, &n) = self.read_ids.iter().max_by_key(|&(_, &n)| n)?;
        (n >= 3 && 3 * n >= 2 * all).then_some((id, n, all))
    }
}

/// The silent cores of a chip past a step in the losses, tried again pass after pass beside
/// cores of it that answered (controls): how often a working core of it is heard in a pass.
#[derive(Debug, Clone, Default)]
pub(crate) struct CoreRetest {
    /// Per slot it was moved to, what was tried there.
    pub(crate) phases: Vec<RetestPhase>,
    /// Every core tried.
    pub(crate) cores: BTreeSet<u8>,
    /// Those of them that answered.
    pub(crate) answered: BTreeSet<u8>,
    /// Whether it proved the chip weak (`findings::weak_by_retest`).
    pub(crate) proven: bool,
}

impl CoreRetest {
    /// Passes over every slot.
    pub(crate) fn passes(&self) -> u32 {
        self.phases.iter().map(|p| p.passes).sum()
    }

    /// Controls sent and answered over every slot.
    pub(crate) fn controls(&self) -> (u32, u32) {
        self.phases.iter().fold((0, 0), |(a, n), p| {
            (a + p.controls_answered, n + p.controls)
        })
    }
}

/// One slot's part of a [`CoreRetest`]: the silent cores tried there (each in every pass until
/// it answers), the passes, and the controls sent and answered in them.
#[derive(Debug, Clone, Default)]
pub(crate) struct RetestPhase {
    pub(crate) cores: BTreeSet<u8>,
    pub(crate) passes: u32,
    pub(crate) controls: u32,
    pub(crate) controls_answered: u32,
}

impl ChipTrack {
    /// Distinct cores its patterns exercised: returned a golden nonce or confirmed dead.
    fn tested_cores(&self) -> BTreeSet<u8> {
        self.cores_ok.union(&self.cores_dead).copied().collect()
    }

    /// Patterns it may still get before it is called inconclusive.
    fn budget(&self, cfg: &Config) -> usize {
        cfg.max_patterns_per_chip
            .saturating_sub(self.patterns as usize)
    }

    /// Its unresolved misses settled on what it showed since: a missed core that returned a
    /// golden nonce works (a dead core never answers), and the misses left unexplained count
    /// one per core (a core missed on several patterns is one core that may be dead).
    fn settle_misses(&mut self) {
        let ok = &self.cores_ok;
        self.missed.retain(|core| !ok.contains(core));
        self.doubted.retain(|core| !ok.contains(core));
        let left = u32::try_from(self.missed.len()).unwrap_or(u32::MAX);
        self.unresolved = self.unresolved.min(left);
    }

    fn evidence(&self) -> Evidence {
        Evidence {
            patterns: self.patterns,
            golden: self.golden,
            hw_errors: self.hw_errors,
            cores_ok: self.cores_ok.len(),
            cores_dead: self.cores_dead.len(),
            unresolved: self.unresolved,
        }
    }
}

/// What one address check saw.
struct AddressCheck {
    /// Chips that answered: one past the last position that did.
    found: usize,
    /// Positions before that whose address never answered.
    missing: Vec<usize>,
    /// Positions whose address answered more often than it was read (two chips there).
    doubled: Vec<usize>,
    /// Per position: the reads sent to its address, and whether one was answered.
    reads: Vec<(u32, bool)>,
}

/// A soak and the cold test before it.
#[derive(Debug, Clone, Default)]
pub(crate) struct SoakRun {
    /// Jig seconds of hashing.
    pub(crate) seconds: f64,
    /// The hottest sensor at the cold test and after the soak, °C.
    pub(crate) cold_c: Option<f32>,
    pub(crate) hot_c: Option<f32>,
    /// Whether the board reached the soak target before the time ran out.
    pub(crate) reached: bool,
    /// Each chip's state in the cold test.
    pub(crate) cold: Vec<Option<ChipState>>,
}

/// What the engine learned, for the findings.
#[derive(Debug, Default)]
pub(crate) struct Learned {
    pub(crate) domains: Vec<DomainResult>,
    /// The domains measured while the chips hash (after the pattern test), if it ran.
    pub(crate) loaded_domains: Vec<DomainResult>,
    /// Each domain's furthest reading from its band (or nominal) over every sample taken while
    /// the chips hashed, the whole run (pattern test, ladder, soak, aging), with its jig time.
    pub(crate) watched_domains: Vec<(DomainResult, u64)>,
    /// How many samples were taken while the chips hashed.
    pub(crate) watched_samples: u32,
    /// Jig time the run started, µs.
    pub(crate) start_us: u64,
    pub(crate) sensors: Vec<SensorResult>,
    pub(crate) chips: Vec<ChipTrack>,
    pub(crate) found: usize,
    pub(crate) discovery_counts: Vec<usize>,
    /// The most chips any addressing pass of the run heard at their addresses.
    pub(crate) most_addressed: usize,
    /// The chain was reset and set up again once because no chip returned anything.
    pub(crate) set_up_again: bool,
    /// Rounds sent again on a chain set up again because the chips at its end fell silent.
    pub(crate) tails_set_up_again: u32,
    /// Bring-ups addressed again because an address did not answer.
    pub(crate) addressing_retries: u32,
    /// No addressing pass came out whole: chip identities are not known.
    pub(crate) addressing_failed: bool,
    /// Two chips answered every read at one address, pass after pass: the chain position of
    /// the first of them and the address.
    pub(crate) duplicate_address: Option<(usize, u8)>,
    /// The soak, when one ran: how long, how warm, and each chip's state before it.
    pub(crate) soak: Option<SoakRun>,
    /// The frequency ladder, when one ran: each step's clock (MHz) and the chips' states there,
    /// the profile's clock first.
    pub(crate) ladder: Vec<(f64, Vec<Option<ChipState>>)>,
    /// The supply ladder, when one ran: each step's supply (mV) and the chips' states there,
    /// the profile's stack voltage first.
    pub(crate) supply_ladder: Vec<(u32, Vec<Option<ChipState>>)>,
    /// The aging test's windows, when one ran (kept as they close: a run cut short keeps what
    /// was measured), and its jig seconds.
    pub(crate) aging: Option<AgingSummary>,
    pub(crate) bad_frames: u64,
    pub(crate) garbage_bytes: u64,
    /// Frames failing their CRC and stray bytes during the register reads past a step: left
    /// out of `bad_frames` and `garbage_bytes`, which weigh the errors the chips made on their
    /// work (`findings::miscomputing_behind_link`); the reads are counted on their own.
    pub(crate) read_bad_frames: u64,
    pub(crate) read_garbage_bytes: u64,
    /// Receive errors (framing, break) the jig's UART counted during the run, if it could say.
    pub(crate) uart_errors: Option<u32>,
    /// (chips answering at the high rate, that rate), when fewer than at 115200.
    pub(crate) marginal: Option<(usize, u32)>,
    pub(crate) pattern_tested: bool,
    /// Valid nonces that no chip on this chain should have found (attribution rule contradicted).
    pub(crate) wrong_chip_nonces: u32,
    /// The jig's safety supervisor cut power because of the board.
    pub(crate) trip: Option<Trip>,
    /// Sensors the engine asked about (a run cut short leaves some unasked).
    pub(crate) sensors_asked: Vec<bool>,
    /// Each sensor's fastest heating between two readings half a second or more apart, °C/s
    /// (`heating_rate`).
    pub(crate) sensor_rise: Vec<f32>,
    /// The rise behind each `sensor_rise`, as measured: (°C, s).
    pub(crate) sensor_rise_step: Vec<(f32, f32)>,
    /// How far each sensor warmed over the run: its highest temperature less its first, °C.
    pub(crate) sensor_warmed: Vec<f32>,
    /// Each sensor's reads that gave a temperature (a plausible reading no further from its
    /// last than a board changes), and all its reads.
    pub(crate) sensor_answers: Vec<(u32, u32)>,
    /// Per sensor: readings outside what any board reads.
    pub(crate) sensor_implausible: Vec<u32>,
    /// The pattern test's pauses to let the board cool: how many, and the jig time, s.
    pub(crate) cooling: (u32, f64),
    /// Chips left out of the pattern test (a retest of other chips).
    pub(crate) excluded: Vec<usize>,
    /// The board has a PIC: its version when it answered, `None` inside when it did not.
    pub(crate) pic: Option<Option<u8>>,
    /// The domains had power at some sample (so losing it later means something).
    pub(crate) chain_power_seen: bool,
    /// The chain lost power with the supply on.
    pub(crate) chain_power_lost: bool,
}

impl Learned {
    /// The most chips any discovery counted.
    pub(crate) fn counted(&self) -> usize {
        self.discovery_counts.iter().copied().max().unwrap_or(0)
    }
}

struct Engine<'a, 'j> {
    wire: Wire<'j>,
    profile: &'a Profile,
    family: Family,
    params: FamilyParams,
    cfg: &'a Config,
    progress: &'a mut dyn FnMut(&Progress),
    cancel: &'a dyn Fn() -> bool,
    info: Option<JigInfo>,
    setup: Option<ChainSetup>,
    learned: Learned,
    telemetry: Vec<Telemetry>,
    temperatures: Vec<(u64, Vec<Option<f32>>)>,
    board: BoardIdentity,
    pattern_baud: u32,
    pattern_time_us: u64,
    pattern_bytes: (u64, u64),
    /// Copies of each configuration write this set-up (`Engine::link_write_copies`).
    write_copies: usize,
    current: Step,
    only_chips: Option<Vec<usize>>,
    /// The hash clock the chips run at now (the PLL ramp starts here), MHz.
    chip_mhz: f64,
    /// The hash clock the chips are brought up to, MHz: the profile's, or a ladder step's
    /// (a re-addressing in the middle of a step comes back to it).
    clock_mhz: f64,
    /// The sensors were read after addressing, before the first PLL ramp.
    sensors_read: bool,
    /// Chips whose I2C master was enabled since the last reset.
    sensor_hosts: Vec<u8>,
    /// Chips whose I2C master was enabled once more since the last reset, after a read through
    /// them brought nothing back.
    sensor_hosts_again: Vec<u8>,
    /// Golden nonces of the aging test (not evidence; counted for the nonce-rate plot).
    aging_golden: u32,
    /// Jig time the last job left the jig (0 after a reset): the chips hash for a while after.
    last_job_us: u64,
    /// Jig time the sensors are next read between batches of work (`keep_cool`).
    next_cool_check_us: u64,
    /// Per sensor, a rise waiting for the next reading to hold it: (heating rate °C/s, from
    /// °C, to °C, over s).
    pending_rise: Vec<Option<(f32, f32, f32, f32)>>,
    /// Per sensor, the readings taken as temperatures, with their jig times, µs.
    sensor_history: Vec<Vec<(u64, f32)>>,
}

/// How fast a sensor heats, °C/s, from a rise of `degrees` over `seconds`. A rise faster than a
/// whole board warms (`board_rise_c_per_s`) is taken over `hot_settle_s` at most: the patch
/// around a chip that lost its heatsink does most of its heating within that, so a reading
/// late after it spreads the same rise over a longer time (tuning seed 374, an S19k Pro with
/// its clock line open after chip 5: the sensor by hot chip 3 rose 22 °C in the 7.4 s between
/// two readings, 3.0 °C/s on average, just under `hot_rise_c_per_s`; a whole board warms
/// under 7.4 °C in that time).
pub(crate) fn heating_rate(cfg: &Config, degrees: f32, seconds: f32) -> f32 {
    if seconds <= 0.0 {
        return 0.0;
    }
    let rate = degrees / seconds;
    if rate > cfg.board_rise_c_per_s {
        degrees / seconds.min(cfg.hot_settle_s)
    } else {
        rate
    }
}

/// A reading inside `plausible_c` and none of the values a failed read gives (exactly -1 or
/// 127, ESP-Miner's "TEMP:FAIL" values).
fn plausible(cfg: &Config, t: f32) -> bool {
    let (lo, hi) = cfg.plausible_c;
    t.is_finite() && t > lo && t < hi && t != -1.0 && t != 127.0
}

/// Run a full diagnosis of the board on `jig` as `profile`. Always returns a report: a run that
/// could not finish says why in `aborted` and is `inconclusive`.
pub fn run(
    jig: &mut dyn Jig,
    profile: &Profile,
    options: &Options,
    progress: &mut dyn FnMut(&Progress),
    cancel: &dyn Fn() -> bool,
) -> Report {
    let start_us = jig.now_us().unwrap_or(0);
    let wire = match Wire::new(jig, profile.family.value) {
        Ok(wire) => wire,
        Err(e) => return empty_report(profile, options, &e.to_string()),
    };
    let mut engine = Engine {
        wire,
        profile,
        family: profile.family.value,
        params: profile.params,
        cfg: &options.config,
        progress,
        cancel,
        info: None,
        setup: None,
        learned: Learned::default(),
        telemetry: Vec::new(),
        temperatures: Vec::new(),
        board: BoardIdentity::default(),
        pattern_baud: 115_200,
        pattern_time_us: 0,
        pattern_bytes: (0, 0),
        write_copies: options.config.write_copies,
        current: Step::Preflight,
        only_chips: options.only_chips.clone(),
        chip_mhz: options.config.pll_reset_mhz,
        clock_mhz: profile.frequency_mhz.value,
        sensors_read: false,
        sensor_hosts: Vec::new(),
        sensor_hosts_again: Vec::new(),
        aging_golden: 0,
        last_job_us: 0,
        next_cool_check_us: 0,
        pending_rise: Vec::new(),
        sensor_history: Vec::new(),
    };
    engine.learned.chips = vec![ChipTrack::default(); profile.chips.value];
    engine.learned.start_us = start_us;
    if options.frame_log {
        engine.wire.log_frames();
    }
    if options.capture {
        engine.wire.capture();
    }
    let aborted = match engine.steps(options) {
        Ok(()) => None,
        Err(Stop::Cancelled) => Some("cancelled by the operator".to_owned()),
        // A trip the board caused is a finding about the board: the run ends, with a verdict.
        Err(Stop::Jig(JigError::Tripped(trip))) if trip != Trip::LeaseExpired => {
            engine.learned.trip = Some(trip);
            None
        }
        Err(Stop::Jig(e)) => Some(e.to_string()),
        // A board that drops its own chain power is a finding; the run ends with a verdict.
        Err(Stop::ChainPowerLost) => {
            engine.learned.chain_power_lost = true;
            None
        }
    };
    // Leave the board safe: chain in reset, power off; unless the caller holds it for probing.
    if !(options.hold_power && aborted.is_none() && engine.learned.trip.is_none()) {
        let _ = engine.wire.jig().set_reset(true);
        let _ = engine.wire.jig().set_power(false);
    }
    engine.report(options, start_us, aborted)
}

fn empty_report(profile: &Profile, options: &Options, why: &str) -> Report {
    let learned = Learned {
        chips: vec![ChipTrack::default(); profile.chips.value],
        ..Learned::default()
    };
    let chips = chip_results(profile, &learned);
    Report {
        model: profile.id.clone(),
        chip_family: profile.family.value.name().to_owned(),
        verdict: Verdict::Inconclusive,
        chips_expected: profile.chips.value,
        chips_found: 0,
        chips,
        domains: Vec::new(),
        sensors: Vec::new(),
        findings: Vec::new(),
        timing: Timing {
            duration_s: 0.0,
            wire_bytes: 0,
            baud: 115_200,
            wire_bound_s: 0.0,
            pattern_test_s: 0.0,
        },
        provenance: provenance(profile, options, ""),
        aborted: Some(why.to_owned()),
        wrong_chip_nonces: 0,
        board: BoardIdentity::default(),
        telemetry: Vec::new(),
        temperatures: Vec::new(),
        jig_protocol: None,
        capture: Vec::new(),
        jig: None,
        board_summary: BoardSummary::default(),
        soak: None,
        aging: None,
        ladder_mhz: Vec::new(),
        ladder_mv: Vec::new(),
        halving_step: None,
    }
}

fn provenance(profile: &Profile, options: &Options, firmware: &str) -> Provenance {
    Provenance {
        app_version: options.app_version.clone(),
        pattern_set: HeaderSet::mainnet().identity().to_owned(),
        profile: format!("{}@{}", profile.id, profile.version),
        seed: options.seed,
        jig_firmware: firmware.to_owned(),
        run_id: String::new(),
    }
}

fn chip_results(profile: &Profile, learned: &Learned) -> Vec<ChipResult> {
    (0..profile.chips.value)
        .map(|i| {
            let track = learned.chips.get(i).cloned().unwrap_or_default();
            let state = if i >= learned.found {
                ChipState::Missing
            } else {
                track.state.unwrap_or(
                    if learned.pattern_tested && !learned.excluded.contains(&i) {
                        ChipState::Inconclusive
                    } else {
                        ChipState::Untested
                    },
                )
            };
            let temp_c = profile
                .sensors
                .iter()
                .zip(&learned.sensors)
                .filter(|(s, _)| s.near_chip == i)
                .filter_map(|(_, r)| r.temp_c)
                .fold(None, |acc: Option<f32>, t| {
                    Some(acc.map_or(t, |a| a.max(t)))
                });
            ChipResult {
                index: i,
                address: track.address,
                domain: profile.domain_of(i).unwrap_or(0),
                state,
                patterns: track.patterns,
                golden: track.golden,
                hw_errors: track.hw_errors,
                temp_c,
                margin_mhz: learned
                    .ladder
                    .iter()
                    .filter(|(_, states)| states.get(i).copied().flatten() == Some(ChipState::Ok))
                    .map(|(mhz, _)| *mhz)
                    .reduce(f64::max),
                margin_mv: learned
                    .supply_ladder
                    .iter()
                    .filter(|(_, states)| states.get(i).copied().flatten() == Some(ChipState::Ok))
                    .map(|(mv, _)| *mv)
                    .min(),
                cores_ok: track.cores_ok.len(),
                cores_dead: track.cores_dead.len(),
                cores_tested: track.cores_ok.len() + track.cores_dead.len(),
                cores_silent: track
                    .cores_dead
                    .union(&track.missed)
                    .filter(|core| !track.cores_ok.contains(core))
                    .count(),
                cores_doubted: track
                    .doubted
                    .iter()
                    .filter(|core| !track.cores_ok.contains(core))
                    .count(),
                transient: track.transient,
                garbled: track.garbled,
            }
        })
        .collect()
}

impl Engine<'_, '_> {
    fn step(&mut self, step: Step, fraction: f32, message: impl Into<String>) -> Flow {
        if (self.cancel)() {
            return Err(Stop::Cancelled);
        }
        let p = Progress {
            step,
            fraction,
            message: message.into(),
            chips: Vec::new(),
            telemetry: None,
            frames: self.wire.take_log(),
            temperatures: None,
            golden: self.golden_total(),
            aging: None,
        };
        (self.progress)(&p);
        Ok(())
    }

    fn steps(&mut self, options: &Options) -> Flow {
        self.step(Step::Preflight, 0.0, "Powering the board")?;
        self.preflight()?;
        self.step(Step::Enumeration, 0.0, "Counting chips at 115200")?;
        self.enumerate()?;
        if let Some(m) = options.halving_short {
            self.learned.found = self.learned.counted();
            self.wire.note(|| {
                format!(
                    "halving: {} chips counted with RO shorted to 1V8 between chips {} and {m}",
                    self.learned.found,
                    m.saturating_sub(1)
                )
            });
            return Ok(());
        }
        self.step(
            Step::Configuration,
            0.0,
            "Addressing and configuring the chain",
        )?;
        let slots: Vec<usize> = (0..self.profile.chips.value).collect();
        self.bring_up(&slots, 115_200, false)?;
        self.step(Step::Baud, 0.0, "Raising the baud rate")?;
        self.raise_baud(options.baud)?;
        // Two chips at one address: no result could be put on a chip.
        if self.learned.found > 0 && self.learned.duplicate_address.is_none() {
            self.step(Step::PatternTest, 0.0, "Sending known-nonce work")?;
            let t0 = self.wire.now();
            let (tx0, rx0) = (self.wire.stats.tx_bytes, self.wire.stats.rx_bytes);
            self.pattern_test()?;
            self.pattern_time_us = self.wire.now() - t0;
            self.pattern_bytes = (
                self.wire.stats.tx_bytes - tx0,
                self.wire.stats.rx_bytes - rx0,
            );
        }
        if (options.ladder.is_some() || options.ladder_mv.is_some())
            && self.learned.pattern_tested
            && self.learned.found > 0
        {
            self.ladder(
                options.ladder.as_deref().unwrap_or_default(),
                options.ladder_mv.as_deref().unwrap_or_default(),
            )?;
        }
        self.read_sensors()?;
        self.confirm_rises()?;
        if let Some(limit_s) = options.soak_s
            && self.learned.pattern_tested
            && self.learned.found > 0
        {
            self.soak(limit_s)?;
        }
        if let Some(limit_s) = options.aging_s
            && self.learned.pattern_tested
            && self.learned.found > 0
        {
            self.aging(limit_s)?;
        }
        self.sample()?;
        // The IDs the verdict will name, read again where they are not the family's.
        self.confirm_chip_ids()?;
        self.step(Step::Verdict, 1.0, "Deciding")?;
        Ok(())
    }

    /// The step a pattern test reports under: its own, or the ladder's or soak's it runs in.
    fn test_step(&self) -> Step {
        match self.current {
            Step::Ladder | Step::Soak => self.current,
            _ => Step::PatternTest,
        }
    }

    /// The hottest plausible sensor reading so far, °C.
    fn hottest(&self) -> Option<f32> {
        self.learned
            .sensors
            .iter()
            .filter(|s| s.state == SensorState::Ok)
            .filter_map(|s| s.temp_c)
            .reduce(f32::max)
    }

    fn golden_total(&self) -> u32 {
        self.learned.chips.iter().map(|c| c.golden).sum::<u32>() + self.aging_golden
    }

    fn wait_ms(&mut self, ms: u64) -> Flow<Vec<Arrived>> {
        let t = self.wire.now() + ms * 1000;
        Ok(self.wire.wait_until(t)?)
    }

    /// Start the board's PIC ([`start_pic`]) and remember what it said.
    fn start_pic(&mut self) -> Flow {
        if self.profile.pic.is_none() {
            return Ok(());
        }
        let started = start_pic(self.wire.jig(), self.profile)?;
        self.learned.pic = Some(started);
        Ok(())
    }

    fn sample(&mut self) -> Flow<Telemetry> {
        let t = self.wire.jig().measure()?;
        self.telemetry.push(t.clone());
        if self.last_job_us > 0
            && self.wire.now().saturating_sub(self.last_job_us) <= self.cfg.hashing_window_ms * 1000
        {
            self.watch_domains(&t);
        }
        if self.profile.pic.is_some() && !t.taps_mv.is_empty() {
            let domains = self.profile.domains.value;
            let top = t
                .taps_mv
                .get(domains.saturating_sub(1))
                .copied()
                .unwrap_or(0);
            let full = u64::from(self.profile.voltage.nominal_mv.value) * domains as u64;
            let up = u64::from(top) * 5 > full;
            if up {
                self.learned.chain_power_seen = true;
            } else if self.learned.chain_power_seen && u64::from(t.input_mv) * 2 > full {
                // The supply is there, the stack is not: the PIC switched its DC-DC off.
                return Err(Stop::ChainPowerLost);
            }
        }
        let p = Progress {
            step: self.current,
            fraction: 1.0,
            message: String::new(),
            chips: Vec::new(),
            telemetry: Some(t.clone()),
            frames: self.wire.take_log(),
            temperatures: None,
            golden: self.golden_total(),
            aging: None,
        };
        (self.progress)(&p);
        Ok(t)
    }

    /// Keep, per domain, the reading of `t` (taken while the chips hash) when it is further out
    /// than the worst so far: out of band before in band, then further from nominal.
    fn watch_domains(&mut self, t: &Telemetry) {
        let nominal = i64::from(self.profile.voltage.nominal_mv.value);
        let badness = |d: &DomainResult| {
            let out = match d.state {
                DomainState::Ok => 0,
                DomainState::Low | DomainState::High => 1,
                DomainState::Short | DomainState::Open => 2,
            };
            (out, (i64::from(d.voltage_mv) - nominal).abs())
        };
        let judged = self.judge_domains(t);
        self.learned.watched_samples += 1;
        let watched = &mut self.learned.watched_domains;
        if watched.len() != judged.len() {
            *watched = judged.into_iter().map(|d| (d, t.at_us)).collect();
            return;
        }
        for (w, d) in watched.iter_mut().zip(judged) {
            if badness(&d) > badness(&w.0) {
                *w = (d, t.at_us);
            }
        }
    }

    /// Each domain's state in telemetry `t` (the jig scans every tap channel it has; the board
    /// uses the first `domains` of them).
    fn judge_domains(&self, t: &Telemetry) -> Vec<DomainResult> {
        let band = &self.profile.voltage;
        let nominal = f64::from(band.nominal_mv.value);
        let mut domain_mv = t.domain_mv();
        domain_mv.resize(self.profile.domains.value, 0);
        domain_mv
            .into_iter()
            .enumerate()
            .map(|(index, mv)| {
                let v = f64::from(mv);
                let state = if v < self.cfg.short_fraction * nominal {
                    DomainState::Short
                } else if v > self.cfg.open_fraction * nominal {
                    DomainState::Open
                } else if mv < band.low_mv() {
                    DomainState::Low
                } else if mv > band.high_mv() {
                    DomainState::High
                } else {
                    DomainState::Ok
                };
                DomainResult {
                    index,
                    voltage_mv: mv,
                    state,
                    loaded_mv: None,
                }
            })
            .collect()
    }

    // ---------------------------------------------------------------------------------------
    // Preflight.

    fn preflight(&mut self) -> Flow {
        let info = self.wire.jig().info()?;
        self.info = Some(info);
        self.wire.jig().set_reset(true)?;
        self.wire.set_baud(115_200)?;
        // A trip latched before this run (the jig says so when the app connects) is cleared by
        // the operator's starting the run; power-ons within a run never clear one.
        self.wire.jig().clear_trip()?;
        self.wire.jig().set_power(true)?;
        self.start_pic()?;
        self.wait_ms(self.cfg.power_settle_ms)?;
        let t = self.sample()?;
        self.learned.domains = self.judge_domains(&t);
        self.learned.sensors = self
            .profile
            .sensors
            .iter()
            .map(|s| SensorResult {
                name: s.name.clone(),
                temp_c: None,
                state: SensorState::Missing,
            })
            .collect();
        self.learned.sensors_asked = vec![false; self.profile.sensors.len()];
        self.learned.sensor_rise = vec![0.0; self.profile.sensors.len()];
        self.learned.sensor_rise_step = vec![(0.0, 0.0); self.profile.sensors.len()];
        self.learned.sensor_answers = vec![(0, 0); self.profile.sensors.len()];
        self.learned.sensor_implausible = vec![0; self.profile.sensors.len()];
        self.pending_rise = vec![None; self.profile.sensors.len()];
        self.sensor_history = vec![Vec::new(); self.profile.sensors.len()];
        self.board = match crate::identity::read_image(self.wire.jig()) {
            Ok(bytes) => crate::identity::parse_eeprom(&bytes),
            Err(JigError::NoDevice(_)) => BoardIdentity::default(),
            Err(e) => return Err(e.into()),
        };
        Ok(())
    }

    fn read_sensors(&mut self) -> Flow {
        let mut readings: Vec<Option<f32>> = vec![None; self.profile.sensors.len()];
        for (i, sensor) in self.profile.sensors.iter().enumerate() {
            // From the first of two chips at one address on, a chip's address is not known.
            if let (Some(host), Some((k, _))) = (sensor.host_chip, self.learned.duplicate_address)
                && host >= k
            {
                if let Some(result) = self.learned.sensors.get_mut(i) {
                    result.state = SensorState::Unread;
                }
                continue;
            }
            let via_chip_address = match sensor.host_chip {
                Some(host) => match self.learned.chips.get(host).and_then(|c| c.address) {
                    Some(address) if host < self.learned.found => Some(address),
                    // The host ASIC is not on the chain: nothing can reach the sensor.
                    _ => continue,
                },
                None => None,
            };
            if sensor.kind == SensorKind::AsicDiode {
                // No open source says how a chip's diode is read off the chain (mujina: "an
                // external sensor reads the diode"): not read, and said so.
                if let Some(result) = self.learned.sensors.get_mut(i) {
                    result.state = SensorState::Unread;
                }
                continue;
            }
            let path = match (via_chip_address, sensor.i2c_address) {
                (Some(chip), Some(device)) => {
                    self.enable_sensor_host(chip)?;
                    let register = bm13xx::sensor::NCT218_LOCAL;
                    let (start, poll) =
                        bm13xx::sensor::read_frames(self.family, chip, device, register);
                    Some(AsicSensorPath {
                        start: start.as_bytes().to_vec(),
                        poll: poll.as_bytes().to_vec(),
                        chip,
                        device,
                        command_register: bm13xx::sensor::command_register(self.family),
                        device_register: register,
                        reply_len: u8::try_from(self.wire.reply_len()).unwrap_or(u8::MAX),
                    })
                }
                _ => None,
            };
            let r = SensorRef {
                kind: sensor.kind,
                i2c_address: sensor.i2c_address,
                via_chip_address,
                path,
            };
            let asked = self.wire.jig().read_temperature(&r);
            if let Some(flag) = self.learned.sensors_asked.get_mut(i) {
                *flag |= !matches!(asked, Err(JigError::Tripped(_)));
            }
            let reading = match asked {
                Ok(t) => Some(t),
                Err(JigError::NoDevice(_)) => None,
                Err(e) => return Err(e.into()),
            };
            if let Some(slot) = readings.get_mut(i) {
                *slot = reading;
            }
            // A read through a chip that brought nothing back may follow a lost enable write:
            // the BM1387's I2C master then stays off, and every later read of the sensor fails
            // as a missing one's would (tuning seeds 39248, 49984 and 51152, healthy S9s on a
            // noisy host line: a sensor answered 1 of 5 reads and was called missing). The
            // enable (the divider it carries is the chain's own, bmminer writes both at once)
            // goes out again before the next read through that chip, once per reset: a
            // missing sensor's every read would otherwise send one more write, and past a bad
            // joint each is a write a chip may take corrupted.
            if reading.is_none()
                && let Some(chip) = via_chip_address
                && !self.sensor_hosts_again.contains(&chip)
            {
                self.sensor_hosts.retain(|&h| h != chip);
                self.sensor_hosts_again.push(chip);
            }
            // A reading further from the sensor's last than a board can change in the time
            // between is a corrupted reply (a read through the chain): not a temperature.
            let possible = reading.is_some_and(|t| self.possible(i, t));
            let temperature = reading.filter(|&t| possible && plausible(self.cfg, t));
            // Only a temperature is an answer: past a bad joint a missing sensor's reads come
            // back as corrupted replies half the time, values all over the scale (tuning seed 5
            // of `joint:1:20000 sensor:0 txnoise:300` on an S9: 12 of 24, so it passed).
            if let Some(count) = self.learned.sensor_answers.get_mut(i) {
                *count = (count.0 + u32::from(temperature.is_some()), count.1 + 1);
            }
            if let Some(t) = temperature {
                self.note_rise(i, t);
                if let Some(history) = self.sensor_history.get_mut(i) {
                    history.push((self.wire.now(), t));
                }
            }
            let Some(result) = self.learned.sensors.get_mut(i) else {
                continue;
            };
            if let Some(t) = reading {
                let plausible = plausible(self.cfg, t);
                let wrong = match self.learned.sensor_implausible.get_mut(i) {
                    Some(n) => {
                        *n += u32::from(!plausible);
                        *n
                    }
                    None => u32::from(!plausible),
                };
                let answered = self
                    .learned
                    .sensor_answers
                    .get(i)
                    .map_or(0, |&(answered, _)| answered);
                // A sensor read through the chain gets a corrupted reply past its CRC now and
                // then (a bad joint): it is implausible only while such readings are at least
                // as many as its temperatures (a broken sensor reads nothing else; tuning
                // seed 5 of `joint:1:20000 sensor:0 txnoise:300` on an S9: one -94 °C among
                // good readings named a working sensor).
                if wrong * 2 >= answered {
                    if !plausible {
                        result.state = SensorState::Implausible;
                        result.temp_c = Some(t);
                    }
                } else if result.state == SensorState::Implausible {
                    // Its temperature: the highest reading taken as one.
                    result.state = SensorState::Ok;
                    result.temp_c = self
                        .sensor_history
                        .get(i)
                        .and_then(|h| h.iter().map(|&(_, t)| t).reduce(f32::max));
                } else {
                    result.state = SensorState::Ok;
                    if plausible && possible {
                        result.temp_c = Some(result.temp_c.map_or(t, |m| m.max(t)));
                    }
                }
            }
        }
        let p = Progress {
            step: self.current,
            fraction: 1.0,
            message: String::new(),
            chips: Vec::new(),
            telemetry: None,
            frames: self.wire.take_log(),
            temperatures: Some(readings.clone()),
            golden: self.golden_total(),
            aging: None,
        };
        self.temperatures.push((self.wire.now(), readings));
        (self.progress)(&p);
        Ok(())
    }

    /// Whether sensor `i` can read `t` now, given its last reading taken as a temperature: no
    /// board sensor changes faster than `sensor_rise_max_c_per_s` (half as much again, and
    /// 2 °C, for the readings' own noise and resolution).
    fn possible(&self, i: usize, t: f32) -> bool {
        let now = self.wire.now();
        self.sensor_history
            .get(i)
            .and_then(|h| h.last())
            .is_none_or(|&(at, last)| {
                let dt = now.saturating_sub(at) as f32 / 1e6;
                (t - last).abs() <= 1.5 * self.cfg.sensor_rise_max_c_per_s * dt + 2.0
            })
    }

    /// Sensor `i`'s rise to `t` (read now) since its last reading half a second or more
    /// before, kept where it is the fastest so far once the reading after it holds at least
    /// half of it (a corrupted reading does not: the next one falls back).
    fn note_rise(&mut self, i: usize, t: f32) {
        let now = self.wire.now();
        let before = self.sensor_history.get(i).and_then(|h| {
            h.iter()
                .rev()
                .find(|(at, _)| now.saturating_sub(*at) >= 500_000)
                .copied()
        });
        let (Some(rise), Some(step), Some(pending)) = (
            self.learned.sensor_rise.get_mut(i),
            self.learned.sensor_rise_step.get_mut(i),
            self.pending_rise.get_mut(i),
        ) else {
            return;
        };
        if let Some((rate, from, to, seconds)) = pending.take()
            && t >= from + 0.5 * (to - from)
            && rate > *rise
        {
            *rise = rate;
            *step = (to - from, seconds);
        }
        // The sensor's first reading, taken at power-up: a board under test gets no colder
        // than that. A reading well below it is no temperature (before the jig checked a
        // reply's CRC5 and the command register read back as written, past a bad joint they
        // read 0 °C), and the way back from it to the board's temperature is no rise (seed 7
        // of `joint:1:20000 sensor:0 txnoise:300` on an S9: 0 -> 41 °C over 13 s, 3.1 °C/s,
        // reported as an overheating chip on a board with none).
        let first = self
            .sensor_history
            .get(i)
            .and_then(|h| h.first())
            .map(|&(_, c)| c);
        let before = before.filter(|&(_, earlier)| first.is_none_or(|c| earlier >= c - 5.0));
        if let Some((at, earlier)) = before {
            let seconds = (now - at) as f32 / 1e6;
            let rate = heating_rate(self.cfg, t - earlier, seconds);
            if rate > 0.0 {
                *pending = Some((rate, earlier, t, seconds));
            }
        }
    }

    /// A sensor's fast rise waits for the next reading to hold it: when one waits, read the
    /// sensors again half a second on.
    fn confirm_rises(&mut self) -> Flow {
        let hot = self.cfg.hot_rise_c_per_s;
        if self
            .pending_rise
            .iter()
            .flatten()
            .any(|&(rate, ..)| rate >= hot)
        {
            self.wait_ms(500)?;
            self.read_sensors()?;
        }
        Ok(())
    }

    /// Between batches of work: read the sensors when they could have climbed to
    /// `cool_at_c` since the last reading, and when one has, stop the work and let the board
    /// cool (to `cool_to_c`, or until it stops cooling, at most `cool_max_s` in a run).
    fn keep_cool(&mut self) -> Flow {
        if self.wire.now() < self.next_cool_check_us || self.profile.sensors.is_empty() {
            return Ok(());
        }
        let hottest = self.read_now()?;
        let cfg = self.cfg;
        let Some(mut hottest) = hottest else {
            self.next_cool_check_us = self.wire.now() + 3_000_000;
            return Ok(());
        };
        if hottest >= cfg.cool_at_c && self.learned.cooling.1 < cfg.cool_max_s as f64 {
            let start = self.wire.now();
            let was = self.current;
            self.learned.cooling.0 += 1;
            self.wire
                .note(|| format!("cooling: hottest sensor {hottest:.1} °C"));
            let mut last = hottest;
            loop {
                self.step(
                    was,
                    0.0,
                    format!(
                        "Cooling down: hottest sensor {hottest:.1} °C, work resumes at {:.0} °C",
                        cfg.cool_to_c
                    ),
                )?;
                self.wait_ms(1000)?;
                let Some(now_c) = self.read_now()? else { break };
                hottest = now_c;
                let spent = self.learned.cooling.1 + (self.wire.now() - start) as f64 / 1e6;
                let settled = hottest > last - 0.5 && hottest < cfg.cool_at_c - 3.0;
                if hottest <= cfg.cool_to_c || settled || spent >= cfg.cool_max_s as f64 {
                    break;
                }
                last = last.min(hottest);
            }
            self.learned.cooling.1 += (self.wire.now() - start) as f64 / 1e6;
            self.current = was;
        }
        let headroom = (cfg.cool_at_c - hottest).max(0.0);
        let wait_s = (headroom / cfg.sensor_rise_max_c_per_s).clamp(0.25, 0.5);
        self.next_cool_check_us = self.wire.now() + (f64::from(wait_s) * 1e6) as u64;
        Ok(())
    }

    /// Read the sensors; the hottest reading of this read taken as a temperature, °C.
    fn read_now(&mut self) -> Flow<Option<f32>> {
        let asked_at = self.wire.now();
        self.read_sensors()?;
        Ok(self
            .sensor_history
            .iter()
            .filter_map(|h| h.last())
            .filter(|(at, _)| *at >= asked_at)
            .map(|(_, t)| *t)
            .reduce(f32::max))
    }

    /// Let the chip at `chip` drive its I2C master, once per bring-up (`bm13xx::sensor::enable`:
    /// bmminer's MISC_CONTROL write on the S9; nothing on later families).
    fn enable_sensor_host(&mut self, chip: u8) -> Flow {
        if self.sensor_hosts.contains(&chip) {
            return Ok(());
        }
        let divider = bm13xx::baud::divider_for_baud(self.wire.baud()).map_or(26, |(d, _)| d);
        if let Some(frame) = bm13xx::sensor::enable(self.family, chip, divider) {
            self.wire
                .note(|| format!("-> enable the I2C master of chip 0x{chip:02X}"));
            self.wire.send(frame.as_bytes())?;
            self.wire.drain(0)?;
        }
        self.sensor_hosts.push(chip);
        Ok(())
    }

    // ---------------------------------------------------------------------------------------
    // Enumeration and bring-up.

    fn report(mut self, options: &Options, start_us: u64, aborted: Option<String>) -> Report {
        let end_us = self.wire.now();
        let firmware = self
            .info
            .as_ref()
            .map(|i| i.firmware.clone())
            .unwrap_or_default();
        // A jig that was lost mid-run cannot say; its counters are then unknown.
        let stats = self.wire.jig().stats().ok().flatten();
        self.learned.uart_errors = stats.map(|s| s.uart_errors);
        let board_summary = BoardSummary {
            serial: self.board.serial.clone(),
            board_code: self.board.board_code.clone(),
            pic: self.learned.pic.map(|v| PicSummary {
                version: v.map(|v| format!("0x{v:02X}")),
            }),
        };
        let jig = self.info.as_ref().map(|info| JigReport {
            firmware: info.firmware.clone(),
            protocol: info.protocol,
            worst_loop_gap_us: stats.map(|s| s.worst_loop_gap_us),
            rx_dropped_bytes: stats.map(|s| s.rx_dropped_bytes),
            uart_errors: stats.map(|s| s.uart_errors),
            usb_dropped: stats.map(|s| s.usb_dropped),
        });
        if aborted.is_some() {
            // Undecided chips of an aborted run stay untested, not inconclusive.
            self.learned.pattern_tested = false;
        }
        self.learned.bad_frames = self
            .wire
            .stats
            .bad_crc
            .saturating_sub(self.learned.read_bad_frames);
        self.learned.garbage_bytes = self
            .wire
            .stats
            .garbage_bytes
            .saturating_sub(self.learned.read_garbage_bytes);
        let mut chips = chip_results(self.profile, &self.learned);
        // Behind an intermittent link the chips' misses are the link's: lost work and lost
        // replies, not dead cores. They are not judged (inconclusive), and the link is named.
        // (A chip that only loses its own replies leaves the chips behind it alone.)
        let behind = findings::behind_link(self.profile, self.cfg, &self.learned, &chips);
        if self.learned.addressing_failed || self.learned.duplicate_address.is_some() {
            for c in chips.iter_mut().filter(|c| c.state != ChipState::Missing) {
                c.state = ChipState::Inconclusive;
            }
        }
        // Nor does the report say which address a chip holds where that is not known: on any
        // chip when every addressing pass lost a frame, past the first of two chips at one
        // address otherwise (the second holds the first's address, the rest are one off).
        let known_up_to = if self.learned.addressing_failed {
            Some(0)
        } else {
            self.learned.duplicate_address.map(|(k, _)| k + 1)
        };
        if let Some(known) = known_up_to {
            for c in chips.iter_mut().skip(known) {
                c.address = None;
            }
        }
        let no_link = behind.is_none();
        if let Some(behind) = behind {
            let first = behind.first();
            // A chip past the link that returned nothing of work the others there mostly got
            // back is dead whatever the link lost.
            // Replies corrupted on the joint that pass CRC5 (one in 32) carry a garbled chip
            // field and land on any chip, before the joint too: a chip there with a few such
            // errors, far below what a miscomputing chip shows, is the link's.
            for c in chips.iter_mut().filter(|c| c.index < first) {
                if c.state == ChipState::HwErrors
                    && !findings::errors_own(
                        self.cfg,
                        c.hw_errors,
                        c.golden,
                        findings::ErrorsSeen::BeforeLink,
                    )
                {
                    c.state = if c.golden >= c.patterns {
                        ChipState::Ok
                    } else {
                        ChipState::Inconclusive
                    };
                }
            }
            let behind_count = self.learned.found.saturating_sub(first).max(1);
            let bad_frames = self.learned.bad_frames;
            let cores = self.setup.as_ref().map(|s| s.cores);
            let silence: Vec<Option<f64>> = (0..chips.len())
                .map(|i| {
                    behind
                        .stretch_of(i)
                        .and_then(|(stretch, _)| findings::link_silence(&chips, stretch, i))
                })
                .collect();
            let share: Vec<f64> = (0..chips.len())
                .map(|i| behind.stretch_of(i).map_or(1.0, |(_, share)| share))
                .collect();
            for c in chips.iter_mut().filter(|c| c.index >= first) {
                // A chip there whose silent cores are far more than the other chips there show
                // (taken at their worst but one in twenty) and than a chip just under the weak
                // threshold would add is weak whatever the link lost (tuning seed 2706: chip 59,
                // 48 % of its cores dead, past a joint at 18 where the others lost under 5 %).
                // Or whose silent cores, tried again beside controls, stayed silent far more
                // than working cores would (`Engine::retest_silent_cores`).
                let proven_weak = c.golden > 0
                    && c.hw_errors * 10 <= c.golden
                    && matches!(c.state, ChipState::Weak | ChipState::Inconclusive)
                    && cores.is_some_and(|cores| {
                        silence.get(c.index).copied().flatten().is_some_and(|link| {
                            // Its cores missed only in a round it lost whole say nothing of
                            // them (`ChipResult::cores_doubted`).
                            let silent = c.cores_silent.saturating_sub(c.cores_doubted);
                            crate::stats::weak_behind_link(
                                cores,
                                (silent as u64, (c.cores_ok + silent) as u64),
                                link,
                                self.cfg,
                            )
                        }) || self.learned.chips.get(c.index).is_some_and(|t| {
                            findings::weak_by_retest(self.cfg, cores, &t.core_retest)
                        })
                    });
                if proven_weak {
                    c.state = ChipState::Weak;
                    continue;
                }
                // ... unless its register reads were lost far more often than its stretch's:
                // then its link is worse than theirs, and its silence may be that.
                let proven_dead = c.state == ChipState::Dead
                    && c.golden == 0
                    && share.get(c.index).is_some_and(|&share| {
                        findings::dead_behind_link_patterns(self.cfg, share)
                            .is_some_and(|n| c.patterns >= n)
                    })
                    && !behind.stretch_of(c.index).is_some_and(|(stretch, _)| {
                        findings::reads_lost_beyond_stretch(
                            self.cfg,
                            &self.learned,
                            stretch,
                            c.index,
                        )
                    });
                // A chip there miscomputes when the link cannot explain its errors and they are
                // at least the share of its results that makes a miscomputing chip anywhere (a
                // few errors among many good nonces are a stale reply's or the link's: held-out
                // seed 1003280, 3 errors and 64 good nonces).
                let proven_miscomputing = c.state == ChipState::HwErrors
                    && findings::errors_own(
                        self.cfg,
                        c.hw_errors,
                        c.golden,
                        findings::ErrorsSeen::PastLink {
                            bad_frames,
                            behind: behind_count,
                        },
                    );
                // A corrupted reply passes CRC5 one time in 32: a miscomputed nonce there is
                // the link's too.
                if !proven_dead
                    && !proven_miscomputing
                    && matches!(
                        c.state,
                        ChipState::Dead | ChipState::Weak | ChipState::HwErrors
                    )
                {
                    c.state = ChipState::Inconclusive;
                }
            }
        }
        // Past a chip whose own link loses far more than the rest, a chip that returned nothing
        // is dead only when the others past it returned enough of theirs for nothing at all to
        // be unlikely (held-out seed 1002430, a Bitaxe Hex with a joint at chip 4: chip 5, the
        // only chip past it, returned nothing and was called dead). Weak and miscomputing chips
        // there are judged as anywhere: the losses of a link spoil whole jobs, not cores.
        if no_link
            && let Some(start) =
                findings::past_lossy_chip(self.profile, self.cfg, &self.learned, &chips)
        {
            let found = self.learned.found;
            let silent: Vec<(usize, f64)> = chips
                .iter()
                .filter(|c| (start..found).contains(&c.index) && c.state == ChipState::Dead)
                .map(|c| {
                    let others = findings::returned_share(&chips, start..found, Some(c.index));
                    (c.index, others)
                })
                .collect();
            for (i, share) in silent {
                let proven = findings::dead_behind_link_patterns(self.cfg, share)
                    .is_some_and(|n| chips.get(i).is_some_and(|c| c.patterns >= n));
                if let Some(c) = chips.get_mut(i).filter(|_| !proven) {
                    c.state = ChipState::Inconclusive;
                }
            }
        }
        // With no bad link, the same for a chain whose replies came back corrupted at all: a
        // corrupted reply passes CRC5 one time in 32 as a nonce of any chip, and a chip with a
        // few errors, far below a miscomputing chip's share and no more than those explain, is
        // the line's (tuning seed 927, Bitaxe Supra Hex: 2 errors among 69 good nonces on a
        // chain with 46 bad frames). Bytes that were no frame at all show the line corrupting
        // too: a corrupted reply then also comes back as a stray nonce now and then (held-out
        // seed 1003040, opened: an S9 at 1000 ppm, 116 stray bytes and no bad frame, and chip 0
        // called miscomputing for 2 errors among 50 good nonces).
        if no_link {
            let bad_frames = self.learned.bad_frames;
            let garbage = self.learned.garbage_bytes;
            let found = self.learned.found;
            for c in chips.iter_mut() {
                if c.state == ChipState::HwErrors
                    && !findings::errors_own(
                        self.cfg,
                        c.hw_errors,
                        c.golden,
                        findings::ErrorsSeen::WholeChain {
                            bad_frames,
                            garbage,
                            found,
                        },
                    )
                {
                    c.state = if c.golden >= c.patterns {
                        ChipState::Ok
                    } else {
                        ChipState::Inconclusive
                    };
                }
            }
        }
        // A chip whose domain sagged so far that it returned nothing was not tested.
        let browned = findings::browned_out(self.profile, &self.learned, &chips);
        for c in chips.iter_mut().filter(|c| {
            browned.contains(&c.domain)
                && matches!(
                    c.state,
                    ChipState::Dead | ChipState::Weak | ChipState::HwErrors
                )
        }) {
            c.state = ChipState::Inconclusive;
        }
        self.learned.sensor_warmed = self
            .sensor_history
            .iter()
            .map(|h| {
                h.first().map_or(0.0, |&(_, first)| {
                    h.iter().map(|&(_, t)| t).fold(first, f32::max) - first
                })
            })
            .collect();
        let mut findings = findings::build(self.profile, self.cfg, &self.learned, &chips);
        let halving_step = options.halving_short.map(|short_at| HalvingStep {
            short_at,
            count: self.learned.found,
        });
        if halving_step.is_some() {
            // A count with a short in place says where the held line is, nothing more: the
            // guided halving reads it.
            findings.clear();
        }
        let verdict = if aborted.is_some() || halving_step.is_some() {
            Verdict::Inconclusive
        } else if findings.iter().any(|f| !f.kind.is_note())
            || chips.iter().any(|c| {
                matches!(
                    c.state,
                    ChipState::Weak | ChipState::Dead | ChipState::Missing | ChipState::HwErrors
                )
            })
        {
            Verdict::Fail
        } else if chips
            .iter()
            .any(|c| matches!(c.state, ChipState::Inconclusive | ChipState::Untested))
        {
            Verdict::Inconclusive
        } else {
            Verdict::Pass
        };
        let (tx, rx) = self.pattern_bytes;
        let baud = self.pattern_baud;
        Report {
            model: self.profile.id.clone(),
            chip_family: self.family.name().to_owned(),
            verdict,
            chips_expected: self.profile.chips.value,
            chips_found: self.learned.found,
            chips,
            domains: {
                // Preflight readings, each with its worst reading under load beside it.
                let mut domains = std::mem::take(&mut self.learned.domains);
                let loaded: Vec<u32> = if self.learned.watched_domains.is_empty() {
                    self.learned
                        .loaded_domains
                        .iter()
                        .map(|d| d.voltage_mv)
                        .collect()
                } else {
                    self.learned
                        .watched_domains
                        .iter()
                        .map(|(d, _)| d.voltage_mv)
                        .collect()
                };
                for (d, mv) in domains.iter_mut().zip(loaded) {
                    d.loaded_mv = Some(mv);
                }
                domains
            },
            sensors: std::mem::take(&mut self.learned.sensors),
            findings,
            timing: Timing {
                duration_s: end_us.saturating_sub(start_us) as f64 / 1e6,
                wire_bytes: self.wire.stats.tx_bytes + self.wire.stats.rx_bytes,
                baud,
                wire_bound_s: tx.max(rx) as f64 * 10.0 / f64::from(baud),
                pattern_test_s: self.pattern_time_us as f64 / 1e6,
            },
            provenance: provenance(self.profile, options, &firmware),
            aborted,
            wrong_chip_nonces: self.learned.wrong_chip_nonces,
            board: std::mem::take(&mut self.board),
            telemetry: std::mem::take(&mut self.telemetry),
            temperatures: std::mem::take(&mut self.temperatures),
            jig_protocol: self.info.as_ref().map(|i| i.protocol),
            capture: self.wire.take_capture(),
            jig,
            board_summary,
            soak: self.learned.soak.as_ref().map(|s| SoakSummary {
                seconds: s.seconds,
                cold_c: s.cold_c,
                hot_c: s.hot_c,
                target_c: self.cfg.soak_target_c,
                reached: s.reached,
            }),
            aging: self.learned.aging.take(),
            ladder_mhz: self.learned.ladder.iter().map(|(mhz, _)| *mhz).collect(),
            ladder_mv: self
                .learned
                .supply_ladder
                .iter()
                .map(|(mv, _)| *mv)
                .collect(),
            halving_step,
        }
    }
}

/// Start the board's PIC, as the factory fixture does before any chip can answer (HSX19 PT1: PIC
/// reset, app, version, DC-DC on, heartbeat; bmminer-mix `enable_pic_dac`,
/// `pic_heart_beat_each_chain`); the jig then sends the heartbeats itself. Call it right after
/// switching the supply on. Returns the PIC's version, or `None` when the PIC did not answer; a
/// board without a PIC gets nothing.
pub fn start_pic(jig: &mut dyn Jig, profile: &Profile) -> Result<Option<u8>, JigError> {
    let Some(pic) = &profile.pic else {
        return Ok(None);
    };
    let address = pic.address.value;
    let mut steps = vec![
        PicCommand::Reset,
        PicCommand::JumpToApp,
        PicCommand::Version,
    ];
    steps.extend(
        pic.voltage_code
            .as_ref()
            .map(|c| PicCommand::SetVoltage(c.value)),
    );
    steps.extend([PicCommand::EnableDcDc(true), PicCommand::Heartbeat(1000)]);
    let (mut version, mut answered) = (None, true);
    for command in steps {
        match jig.pic(address, command) {
            Ok(Some(v)) if command == PicCommand::Version => version = Some(v),
            Ok(_) => {}
            Err(JigError::NoDevice(_)) => answered = false,
            Err(e) => return Err(e),
        }
        // bmminer-mix waits 100 ms after a reset and after the jump to the application.
        if matches!(command, PicCommand::Reset | PicCommand::JumpToApp) {
            let now = jig.now_us()?;
            jig.wait_until(now + 100_000, &mut Vec::new())?;
        }
    }
    Ok(if answered { version } else { None })
}
