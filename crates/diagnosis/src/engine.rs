//! The diagnosis, step by step: preflight, enumeration, addressing and configuration, baud,
//! the known-nonce pattern test, accounting, verdict.

use std::collections::{BTreeSet, HashMap};

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
    /// Patterns that missed every try where that proves no dead core (see `Evidence`).
    pub(crate) unresolved: u32,
    /// Patterns that answered when the chip was retested before being blamed.
    pub(crate) recovered: u32,
    /// Times a retest cleared the chip of a blame.
    pub(crate) retested: u32,
    /// Cores of its unresolved misses.
    pub(crate) missed: BTreeSet<u8>,
    /// Dead cores proven only by the line's loss rate (every try missed on a noisy line):
    /// counted dead, and retried before the chip is let go undecided.
    pub(crate) noisy_dead: BTreeSet<u8>,
    pub(crate) state: Option<ChipState>,
    pub(crate) chip_id: Option<u16>,
}

impl ChipTrack {
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
    /// Chain frames that failed their CRC and bytes that were no frame, over the whole run.
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
    /// Chips left out of the pattern test (a retest of other chips).
    pub(crate) excluded: Vec<usize>,
    /// The board has a PIC: its version when it answered, `None` inside when it did not.
    pub(crate) pic: Option<Option<u8>>,
    /// The domains had power at some sample (so losing it later means something).
    pub(crate) chain_power_seen: bool,
    /// The chain lost power with the supply on.
    pub(crate) chain_power_lost: bool,
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
    /// Golden nonces of the aging test (not evidence; counted for the nonce-rate plot).
    aging_golden: u32,
    /// Jig time the last job left the jig (0 after a reset): the chips hash for a while after.
    last_job_us: u64,
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
        current: Step::Preflight,
        only_chips: options.only_chips.clone(),
        chip_mhz: options.config.pll_reset_mhz,
        clock_mhz: profile.frequency_mhz.value,
        sensors_read: false,
        sensor_hosts: Vec::new(),
        aging_golden: 0,
        last_job_us: 0,
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
                transient: track.transient,
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
            self.learned.found = self
                .learned
                .discovery_counts
                .iter()
                .copied()
                .max()
                .unwrap_or(0);
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

    /// Run the pattern test again from nothing (the chips keep their addresses and IDs), from
    /// the first round's slots, whose patterns the pool covers best.
    fn test_afresh(&mut self) -> Flow {
        let Some(setup) = self.setup.clone() else {
            return Ok(());
        };
        let found = self.learned.found;
        for c in self.learned.chips.iter_mut().take(found) {
            *c = ChipTrack {
                address: c.address,
                slot: c.slot,
                chip_id: c.chip_id,
                ..ChipTrack::default()
            };
        }
        if (0..found).any(|i| self.learned.chips[i].slot != i) {
            self.rotate(0, &setup)?;
        }
        self.pattern_test()
    }

    /// The frequency ladder: the pattern test again at each of `steps` (percent of the
    /// profile's clock), then back to the profile's clock. The chips' states stay the first
    /// test's; each step's are kept for `margin_mhz` and `low_margin`.
    fn ladder(&mut self, steps: &[f64], supply_steps: &[u32]) -> Flow {
        let found = self.learned.found;
        let nominal = self.profile.frequency_mhz.value;
        let first: Vec<ChipTrack> = self.learned.chips.clone();
        let states = |chips: &[ChipTrack]| chips.iter().map(|c| c.state).collect::<Vec<_>>();
        self.learned.ladder = vec![(self.chip_mhz, states(&first))];
        for (n, &pct) in steps.iter().enumerate() {
            let target = nominal * pct / 100.0;
            self.step(
                Step::Ladder,
                n as f32 / steps.len().max(1) as f32,
                format!("Pattern test at {target:.0} MHz ({pct:.0} % of {nominal:.0})"),
            )?;
            self.clock_mhz = target;
            self.set_hash_clock(target, found)?;
            self.test_afresh()?;
            let at = (self.chip_mhz, states(&self.learned.chips));
            self.learned.ladder.push(at);
        }
        if !steps.is_empty() {
            self.step(Step::Ladder, 1.0, format!("Back to {nominal:.0} MHz"))?;
            self.clock_mhz = nominal;
            self.set_hash_clock(nominal, found)?;
        }
        self.supply_ladder(supply_steps)?;
        // The first test's evidence stands, on the chips' present addresses and slots.
        for (c, before) in self.learned.chips.iter_mut().zip(first) {
            *c = ChipTrack {
                address: c.address,
                slot: c.slot,
                ..before
            };
        }
        Ok(())
    }

    /// The supply steps of the ladder: the pattern test again at the profile's clock with the
    /// board supply at each of `steps` (mV), then the supply back at the profile's stack
    /// voltage (domains × nominal). Each step's states are kept for `margin_mv`.
    fn supply_ladder(&mut self, steps: &[u32]) -> Flow {
        if steps.is_empty() {
            return Ok(());
        }
        let domains = self.profile.domains.value;
        let home = self.profile.voltage.nominal_mv.value * domains as u32;
        if domains < 2 {
            self.wire.note(|| {
                "ladder: no supply steps on a board of one domain (its core rail is its own)"
                    .to_owned()
            });
            return Ok(());
        }
        let states = |chips: &[ChipTrack]| chips.iter().map(|c| c.state).collect::<Vec<_>>();
        let first: Vec<ChipTrack> = self.learned.chips.clone();
        self.learned.supply_ladder = vec![(home, states(&first))];
        for (n, &mv) in steps.iter().enumerate() {
            self.step(
                Step::Ladder,
                n as f32 / steps.len() as f32,
                format!("Pattern test with the supply at {mv} mV"),
            )?;
            self.wire.jig().set_supply_mv(mv)?;
            self.wire.drain(self.cfg.power_settle_ms * 1000)?;
            self.sample()?;
            self.test_afresh()?;
            let at = (mv, states(&self.learned.chips));
            self.learned.supply_ladder.push(at);
        }
        self.step(Step::Ladder, 1.0, format!("Supply back to {home} mV"))?;
        self.wire.jig().set_supply_mv(home)?;
        self.wire.drain(self.cfg.power_settle_ms * 1000)?;
        for (c, before) in self.learned.chips.iter_mut().zip(first) {
            *c = ChipTrack {
                address: c.address,
                slot: c.slot,
                ..before
            };
        }
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

    /// Keep the chips hashing (one known-nonce job every `soak_job_ms`, sensors read every
    /// `soak_read_s`) until the hottest sensor reaches the soak target or `limit_s` pass, then
    /// run the pattern test again from nothing. The cold states are kept for `fails_hot`.
    fn soak(&mut self, limit_s: u64) -> Flow {
        let Some(setup) = self.setup.clone() else {
            return Ok(());
        };
        let target = self.cfg.soak_target_c;
        self.step(
            Step::Soak,
            0.0,
            format!("Hashing until a sensor reads {target:.0} °C (at most {limit_s} s)"),
        )?;
        let cold_c = self.hottest();
        let cold: Vec<Option<ChipState>> = self.learned.chips.iter().map(|c| c.state).collect();
        let pool = PatternPool::build(HeaderSet::mainnet(), &setup);
        let start = self.wire.now();
        let limit_us = limit_s.saturating_mul(1_000_000);
        let read_every_us = self.cfg.soak_read_s * 1_000_000;
        let mut next_read = start + read_every_us;
        let found = self.learned.found;
        let mut reached = false;
        for k in 0usize.. {
            let elapsed = self.wire.now().saturating_sub(start);
            if elapsed >= limit_us {
                break;
            }
            if (self.cancel)() {
                return Err(Stop::Cancelled);
            }
            // Work for each chip in turn, from its own slot (the results are not evidence).
            let chip = k % found.max(1);
            let slot = pool.slot(self.learned.chips[chip].slot);
            if let Some(p) = slot.get((k / found.max(1)) % slot.len().max(1)) {
                self.send_jobs(&setup, &[(chip, *p)])?;
            }
            self.wait_ms(self.cfg.soak_job_ms)?;
            if self.wire.now() >= next_read {
                next_read = self.wire.now() + read_every_us;
                self.read_sensors()?;
                self.sample()?;
                let hot = self.hottest();
                let warmth = match (hot, cold_c) {
                    (Some(h), Some(c)) if target > c => ((h - c) / (target - c)).clamp(0.0, 1.0),
                    _ => 0.0,
                };
                let time = elapsed as f32 / limit_us.max(1) as f32;
                self.step(
                    Step::Soak,
                    warmth.max(time) * 0.5,
                    format!(
                        "Soaking: {:.0} of {limit_s} s, hottest sensor {}",
                        elapsed as f64 / 1e6,
                        hot.map_or("unread".to_owned(), |t| format!("{t:.1} °C"))
                    ),
                )?;
                if hot.is_some_and(|t| t >= target) {
                    reached = true;
                    break;
                }
            }
        }
        let seconds = self.wire.now().saturating_sub(start) as f64 / 1e6;
        let hot_c = self.hottest();
        self.wire
            .note(|| format!("soaked {seconds:.0} s: hottest sensor {cold_c:?} -> {hot_c:?} °C"));
        // Test again, warm, from nothing: the cold evidence says nothing about a warm chip.
        self.step(Step::Soak, 0.5, "Testing again, warm")?;
        self.test_afresh()?;
        self.learned.soak = Some(SoakRun {
            seconds,
            cold_c,
            hot_c: self.hottest(),
            reached,
            cold,
        });
        Ok(())
    }

    /// The aging test: a round of known-nonce work, one job per chip from its own slot, every
    /// `aging_round_ms` for `limit_s` of jig time, the sensors read every `soak_read_s`; per
    /// chip and window of `aging_window_s`, the jobs sent, the golden nonces back and the
    /// miscomputed ones. The chips' evidence and states stay the pattern test's.
    fn aging(&mut self, limit_s: u64) -> Flow {
        let Some(setup) = self.setup.clone() else {
            return Ok(());
        };
        let found = self.learned.found;
        let chips: Vec<usize> = (0..found)
            .filter(|i| self.only_chips.as_ref().is_none_or(|only| only.contains(i)))
            .filter(|&i| self.learned.chips[i].address.is_some())
            .collect();
        let window_s = self.cfg.aging_window_s.max(1);
        self.step(
            Step::Aging,
            0.0,
            format!(
                "Hashing known-nonce work on {} chips for {limit_s} s, errors counted every {window_s} s",
                chips.len()
            ),
        )?;
        let before: Vec<ChipTrack> = self.learned.chips.clone();
        let wrong_before = self.learned.wrong_chip_nonces;
        // Hours of jobs would fill memory with frames: the log and capture keep none of them.
        self.wire.note(|| {
            "aging: the frame log and capture pause here (the windows' counts are in the report)"
                .to_owned()
        });
        let paused = self.wire.pause_recording();
        let pool = PatternPool::build(HeaderSet::mainnet(), &setup);
        let start = self.wire.now();
        let limit_us = limit_s.saturating_mul(1_000_000);
        let window_us = window_s * 1_000_000;
        let round_us = self.cfg.aging_round_ms.max(1) * 1000;
        let read_every_us = self.cfg.soak_read_s.max(1) * 1_000_000;
        let mut next_read = start + read_every_us;
        let mut window_start = start;
        let mut counts = vec![AgingCount::default(); found];
        self.learned.aging = Some(AgingSummary {
            seconds: 0.0,
            windows: Vec::new(),
        });
        let mut round = 0u64;
        let result = loop {
            let now = self.wire.now();
            let window_done = now.saturating_sub(window_start) >= window_us;
            let over = now.saturating_sub(start) >= limit_us;
            if window_done || (over && counts.iter().any(|c| c.sent > 0)) {
                self.close_window(start, window_start, &mut counts)?;
                window_start = self.wire.now();
                let fraction = (now.saturating_sub(start) as f32 / limit_us.max(1) as f32).min(1.0);
                let last = self.learned.aging.as_ref().and_then(|a| a.windows.last());
                let said = last.map_or(String::new(), |w| {
                    let worst = w.worst().map_or(String::new(), |(i, r)| {
                        format!(", worst chip {i} at {:.1} %", r * 100.0)
                    });
                    format!(
                        ": board median {:.1} % errors{worst}",
                        w.median_rate() * 100.0
                    )
                });
                self.step(
                    Step::Aging,
                    fraction,
                    format!(
                        "Aging: {:.0} of {limit_s} s{said}",
                        now.saturating_sub(start) as f64 / 1e6
                    ),
                )?;
            }
            if over {
                break Ok(());
            }
            if (self.cancel)() {
                break Err(Stop::Cancelled);
            }
            let k = usize::try_from(round).unwrap_or(usize::MAX);
            let jobs: Vec<(usize, Pattern)> = chips
                .iter()
                .filter_map(|&i| {
                    let slot = pool.slot(self.learned.chips[i].slot);
                    slot.get(k % slot.len().max(1)).map(|p| (i, *p))
                })
                .collect();
            let outcomes = match self.send_jobs(&setup, &jobs) {
                Ok(o) => o,
                Err(e) => break Err(e),
            };
            for ((i, _), o) in jobs.iter().zip(&outcomes) {
                let c = &mut counts[*i];
                c.sent += 1;
                c.golden += u32::from(o.golden);
                self.aging_golden += u32::from(o.golden);
                c.hw_errors += u32::from(o.hw);
            }
            round += 1;
            let next = start + round * round_us;
            if self.wire.now() < next
                && let Err(e) = self.wire.wait_until(next)
            {
                break Err(e.into());
            }
            if self.wire.now() >= next_read {
                next_read = self.wire.now() + read_every_us;
                if let Err(e) = self.read_sensors().and_then(|()| self.sample().map(|_| ())) {
                    break Err(e);
                }
            }
        };
        self.wire.resume_recording(paused);
        self.wire
            .note(|| format!("aging: {round} rounds of work sent"));
        // The pattern test's evidence stands; aging's errors are in its own counts.
        for (c, b) in self.learned.chips.iter_mut().zip(before) {
            *c = ChipTrack {
                address: c.address,
                slot: c.slot,
                ..b
            };
        }
        self.learned.wrong_chip_nonces = wrong_before;
        let seconds = self.wire.now().saturating_sub(start) as f64 / 1e6;
        if let Some(a) = self.learned.aging.as_mut() {
            a.seconds = seconds;
        }
        result
    }

    /// Close an aging window: keep its counts (and the hottest sensor now), show it.
    fn close_window(&mut self, start: u64, window_start: u64, counts: &mut [AgingCount]) -> Flow {
        let window = AgingWindow {
            start_s: window_start.saturating_sub(start) as f64 / 1e6,
            seconds: self.wire.now().saturating_sub(window_start) as f64 / 1e6,
            hottest_c: self.hottest(),
            chips: counts.to_vec(),
        };
        counts.fill(AgingCount::default());
        let p = Progress {
            step: Step::Aging,
            fraction: 0.0,
            message: String::new(),
            chips: Vec::new(),
            telemetry: None,
            frames: self.wire.take_log(),
            temperatures: None,
            golden: self.golden_total(),
            aging: Some(window.clone()),
        };
        // A chip that erred far more than the board is configured again: a register write lost
        // on a noisy line then costs it one window (the finding needs two, or a clean line).
        let flagged: Vec<u8> = (0..window.chips.len())
            .filter(|&i| findings::aging_flagged(self.cfg, &window, i))
            .filter_map(|i| self.learned.chips.get(i).and_then(|c| c.address))
            .collect();
        if let Some(a) = self.learned.aging.as_mut() {
            a.windows.push(window);
        }
        (self.progress)(&p);
        if !flagged.is_empty() {
            for &address in &flagged {
                self.configure_chip(address)?;
            }
            self.write_offsets(self.learned.found)?;
            self.wire.drain(1000)?;
        }
        Ok(())
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
        self.board = match crate::identity::read_image(self.wire.jig()) {
            Ok(bytes) => crate::identity::parse_eeprom(&bytes),
            Err(JigError::NoDevice(_)) => BoardIdentity::default(),
            Err(e) => return Err(e.into()),
        };
        Ok(())
    }

    fn read_sensors(&mut self) -> Flow {
        let (lo, hi) = self.cfg.plausible_c;
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
            let Some(result) = self.learned.sensors.get_mut(i) else {
                continue;
            };
            if let Some(t) = reading {
                let plausible = t.is_finite() && t > lo && t < hi && t != -1.0 && t != 127.0;
                if plausible && result.state != SensorState::Implausible {
                    result.state = SensorState::Ok;
                    result.temp_c = Some(result.temp_c.map_or(t, |m| m.max(t)));
                } else if !plausible {
                    result.state = SensorState::Implausible;
                    result.temp_c = Some(t);
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

    fn release_reset(&mut self) -> Flow {
        self.sensor_hosts.clear();
        self.wire.jig().set_reset(true)?;
        self.wait_ms(self.cfg.reset_low_ms)?;
        self.wire.jig().set_reset(false)?;
        self.wait_ms(self.cfg.reset_wait_ms)?;
        self.chip_mhz = self.cfg.pll_reset_mhz;
        // Version rolling before discovery (BM1362 and later): replies become 11 bytes.
        self.broadcast(Phase::BeforeDiscovery)?;
        self.wire.drain(1000)?;
        self.wire.set_version_rolling(self.family.rolls_version());
        Ok(())
    }

    /// The bring-up writes of `phase` for this family, broadcast (`bm13xx::bringup`).
    /// Write `register` on every chip. A broadcast lost on the host's line would leave every
    /// chip misconfigured at once (no ticket mask, no hash counting number, a PLL step missed),
    /// which looks like a board of dead chips; a register write is idempotent, so each goes out
    /// `broadcast_copies` times.
    fn write_all(&mut self, register: u8, value: u32) -> Flow {
        for _ in 0..self.cfg.broadcast_copies.max(1) {
            self.wire.command(Command::WriteRegister {
                dest: Dest::All,
                register,
                value,
            })?;
        }
        Ok(())
    }

    fn broadcast(&mut self, phase: Phase) -> Flow {
        for write in bringup::writes(self.family, phase) {
            self.write_all(write.register, write.value)?;
        }
        Ok(())
    }

    /// The per-chip bring-up pass, to every chip found, in address order.
    fn per_chip(&mut self, found: usize) -> Flow {
        let mut addresses: Vec<u8> = self
            .learned
            .chips
            .iter()
            .take(found)
            .filter_map(|c| c.address)
            .collect();
        addresses.sort_unstable();
        for address in addresses {
            self.configure_chip(address)?;
        }
        Ok(())
    }

    /// The per-chip bring-up writes to the chip at `address`.
    fn configure_chip(&mut self, address: u8) -> Flow {
        for write in bringup::writes(self.family, Phase::PerChip) {
            self.wire.command(Command::WriteRegister {
                dest: Dest::Chip(address),
                register: write.register,
                value: write.value,
            })?;
        }
        Ok(())
    }

    /// Step the hash clock to `target` MHz in 6.25 MHz writes, waiting after each as ESP-Miner
    /// does; returns the frequency reached.
    fn ramp_pll(&mut self, target: f64) -> Flow<f64> {
        let pll_reg = if self.family == Family::Bm1387 {
            reg::bm1387::PLL_PARAMETER
        } else {
            reg::PLL0
        };
        let mut reached = self.chip_mhz;
        for mhz in bm13xx::pll::ramp(self.chip_mhz, target) {
            let Some((value, actual)) = bm13xx::pll::register_for(self.family, mhz) else {
                continue;
            };
            self.write_all(pll_reg, value)?;
            self.wire.drain(self.cfg.pll_step_ms * 1000)?;
            reached = actual;
            self.chip_mhz = actual;
        }
        Ok(reached)
    }

    fn enumerate(&mut self) -> Flow {
        self.release_reset()?;
        let quiet = self.cfg.discovery_quiet_ms * 1000;
        let expected = self.family.chip_id();
        for round in 0..self.cfg.discovery_rounds.max(1) {
            let mut replies = Vec::new();
            // A round with no reply at all is a read that never reached the chain (a frame
            // corrupted on the host's line), not a chain that lost every chip: ask again.
            for _ in 0..3 {
                replies = self.wire.ask(
                    Command::ReadRegister {
                        dest: Dest::All,
                        register: reg::CHIP_ADDRESS,
                    },
                    quiet,
                )?;
                if !replies.is_empty() {
                    break;
                }
            }
            let ids: Vec<u16> = replies
                .iter()
                .filter_map(|a| match a.reply {
                    Reply::Register(r) if r.register == reg::CHIP_ADDRESS => Some(r.chip_id()),
                    _ => None,
                })
                .collect();
            self.learned.discovery_counts.push(ids.len());
            let wrong = ids.iter().filter(|&&id| id != expected).count();
            self.step(
                Step::Enumeration,
                (round + 1) as f32 / self.cfg.discovery_rounds.max(1) as f32,
                format!(
                    "Found {} of {} chips ({wrong} with another chip ID)",
                    ids.len(),
                    self.profile.chips.value
                ),
            )?;
        }
        Ok(())
    }

    fn address_of_slot(&self, slot: usize) -> Option<u8> {
        bm13xx::address::address_of(slot, self.profile.address_interval.value)
    }

    fn slice_rule(&self, chips: usize) -> SliceRule {
        let interval = self.profile.address_interval.value;
        if self.profile.nonce_offsets.value {
            return SliceRule::even_offsets(chips);
        }
        match self.params.nonce_chip_rule {
            bm13xx::family::NonceChipRule::AddressField { shift } => {
                SliceRule::AddressField { shift, interval }
            }
            bm13xx::family::NonceChipRule::OffsetRange if self.profile.chips.value == 1 => {
                SliceRule::Offsets { starts: vec![0] }
            }
            // [C] ESP-Miner reads BM1370 chips by the BM1366 field when no offsets are written.
            bm13xx::family::NonceChipRule::OffsetRange => SliceRule::AddressField {
                shift: 17,
                interval,
            },
        }
    }

    /// Reset the chain, address chip i at `slots[i]`, configure it and (optionally) switch to
    /// `baud`. The chip count comes from the address check.
    fn bring_up(&mut self, slots: &[usize], baud: u32, reset: bool) -> Flow {
        // A reset (or the first addressing) leaves the chips with no work.
        self.last_job_us = 0;
        let expected = self.profile.chips.value;
        let mut found = 0;
        let mut previous: Option<usize> = None;
        self.learned.duplicate_address = None;
        for attempt in 0..self.cfg.addressing_attempts.max(1) {
            if reset || attempt > 0 {
                self.wire.set_baud(115_200)?;
                self.release_reset()?;
            }
            // Normalise the reset state and open the cores (BM136x), then address the chain.
            self.broadcast(Phase::AfterDiscovery)?;
            for _ in 0..3 {
                self.wire.command(Command::ChainInactive)?;
            }
            for &slot in slots.iter().take(expected) {
                let address = self.address_of_slot(slot).unwrap_or(0);
                self.wire.command(Command::SetAddress { address })?;
            }
            for (i, &slot) in slots.iter().enumerate().take(expected) {
                if let Some(track) = self.learned.chips.get_mut(i) {
                    track.slot = slot;
                }
            }
            self.wire.drain(1000)?;
            let mut check = self.check_addresses(slots, self.cfg.address_check_tries)?;
            // An address that missed every read on a noisy line may still hold its chip: ask it
            // again before moving chips onto it (a shift on a chip that is there makes two
            // chips share an address).
            if let [j] = check.missing[..]
                && let Some(address) = slots.get(j).and_then(|&s| self.address_of_slot(s))
                && self.answers_at(address, 2 * self.cfg.address_check_tries)?
            {
                check.missing.clear();
            }
            if let [j] = check.missing[..]
                && check.found == expected
            {
                // One set-address lost: every chip from there on holds the next chip's
                // address and the last holds none. Move them back one by one through register
                // 0 (each target is free when written), give the last its address, and check.
                if self.repair_shift(slots, j, expected)? {
                    check = self.check_addresses(slots, self.cfg.address_check_tries)?;
                }
            } else if check.missing.is_empty()
                && check.found + 1 == expected
                && (self.learned.discovery_counts.iter().any(|&c| c >= expected)
                    // A chip with no address answers at 0, its power-on address: address 0
                    // answering twice is that chip before it is two chips sharing chip 0's.
                    || (check.doubled == [0]
                        && slots.first().and_then(|&s| self.address_of_slot(s)) == Some(0)))
            {
                // The last set-address lost: the last chip holds none. Give it its address.
                if self.repair_shift(slots, expected - 1, expected)? {
                    check = self.check_addresses(slots, self.cfg.address_check_tries)?;
                }
            }
            let AddressCheck {
                found: answered,
                missing,
                doubled,
            } = check;
            let gaps = missing.len();
            found = answered;
            // Two chips at one address and the last address empty (the repair above gives a
            // chip left without an address its own, so this is not that), seen again on a
            // second check: a chip forwards the set-address it took. A reply lost on a noisy
            // line can hide the second answer once, not every time.
            let mut confirmed = false;
            if doubled.len() == 1 && gaps == 0 && answered + 1 == expected {
                for _ in 0..2 {
                    let again = self.check_addresses(slots, self.cfg.address_check_tries)?;
                    if again.found == answered && again.doubled == doubled {
                        confirmed = true;
                        break;
                    }
                }
            }
            if let ([j], true) = (&doubled[..], confirmed) {
                let j = *j;
                let address = slots
                    .get(j)
                    .and_then(|&s| self.address_of_slot(s))
                    .unwrap_or(0);
                self.learned.duplicate_address = Some((j, address));
                self.wire
                    .note(|| format!("chips {j} and {} answer at address 0x{address:02X}", j + 1));
                found = expected;
                break;
            }
            // A set-address frame lost on the way shifts every chip after it by one address:
            // an address that never answers with later ones answering. Address again (every
            // chip relays, so a chip that answers nothing would also stop the ones after it).
            // The last chip missing its address leaves no gap, but fewer chips than counted.
            let counted = self
                .learned
                .discovery_counts
                .iter()
                .max()
                .copied()
                .unwrap_or(0);
            // A chain shorter than counted is taken once two passes agree on it (a break stays
            // where it is; a lost frame moves).
            if gaps == 0 && (answered >= counted.min(expected) || previous == Some(answered)) {
                break;
            }
            previous = Some(answered);
            self.wire
                .note(|| format!("addressing left {gaps} gap(s): addressing again"));
            self.learned.addressing_retries += 1;
            if attempt + 1 == self.cfg.addressing_attempts.max(1) {
                // Every pass lost a frame: which chip holds which address is not known, so no
                // result can be put on a chip.
                self.learned.addressing_failed = true;
            }
        }
        self.learned.found = found;
        for (i, track) in self.learned.chips.iter_mut().enumerate() {
            track.address = if i < found {
                slots.get(i).and_then(|&s| {
                    bm13xx::address::address_of(s, self.profile.address_interval.value)
                })
            } else {
                None
            };
        }
        self.configure(found)?;
        if baud > 115_200 && found > 0 {
            self.switch_baud(baud)?;
        }
        Ok(())
    }

    /// Undo the shift one lost set-address frame leaves (chips `j..expected-1` one slot up, the
    /// last chip unaddressed). [I] Re-addressing through register 0, as the rotation does.
    fn repair_shift(&mut self, slots: &[usize], j: usize, expected: usize) -> Flow<bool> {
        let id = u32::from(self.family.chip_id()) << 16;
        // The chip left without an address answers at 0 too: a write to a chip at address 0
        // would move both. Then only a fresh addressing pass can sort them out.
        let through_zero = (j + 1..expected)
            .filter_map(|k| slots.get(k))
            .any(|&s| self.address_of_slot(s) == Some(0));
        if through_zero {
            return Ok(false);
        }
        for k in j..expected.saturating_sub(1) {
            let (Some(&to_slot), Some(&from_slot)) = (slots.get(k), slots.get(k + 1)) else {
                break;
            };
            let (Some(from), Some(to)) = (
                self.address_of_slot(from_slot),
                self.address_of_slot(to_slot),
            ) else {
                break;
            };
            self.wire.command(Command::WriteRegister {
                dest: Dest::Chip(from),
                register: reg::CHIP_ADDRESS,
                value: id | u32::from(to),
            })?;
        }
        if let Some(last) = slots
            .get(expected.saturating_sub(1))
            .and_then(|&s| self.address_of_slot(s))
        {
            self.wire.command(Command::SetAddress { address: last })?;
        }
        self.wire.drain(1000)?;
        Ok(true)
    }

    /// Read register 0 again of every chip that reported another ID than the family's: one
    /// reply corrupted on a bad joint can pass the CRC, a part of another kind reports its ID
    /// every time. A chip that gives the family's ID on any of three reads is the family's part.
    fn confirm_chip_ids(&mut self) -> Flow {
        let family_id = self.family.chip_id();
        let wrong: Vec<(usize, u8)> = (0..self.learned.found)
            .filter_map(|i| {
                let c = &self.learned.chips[i];
                match (c.chip_id, c.address) {
                    (Some(id), Some(a)) if id != family_id => Some((i, a)),
                    _ => None,
                }
            })
            .collect();
        for (i, address) in wrong {
            for _ in 0..3 {
                if self.read_ids_at(address)?.contains(&family_id) {
                    self.learned.chips[i].chip_id = Some(family_id);
                    self.wire.note(|| {
                        format!("chip {i} reports the family's ID on a second read: the first was corrupted")
                    });
                    break;
                }
            }
        }
        Ok(())
    }

    /// Whether a chip answers a read of register 0 at `address`, asked up to `tries` times.
    fn answers_at(&mut self, address: u8, tries: usize) -> Flow<bool> {
        for _ in 0..tries {
            if !self.read_ids_at(address)?.is_empty() {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// Read register 0 at `address` once: the chip IDs of the replies from that address.
    fn read_ids_at(&mut self, address: u8) -> Flow<Vec<u16>> {
        let reply_us = (self.family.reply_len(self.family.rolls_version()) as f64
            * self.wire.byte_us()) as u64;
        let settle = reply_us * 4
            + self.relay_us(self.profile.chips.value) * 2
            + self.cfg.discovery_quiet_ms * 1000;
        self.wire.command(Command::ReadRegister {
            dest: Dest::Chip(address),
            register: reg::CHIP_ADDRESS,
        })?;
        let replies = self.wire.drain(settle)?;
        Ok(replies
            .iter()
            .filter_map(|a| match a.reply {
                Reply::Register(r)
                    if r.register == reg::CHIP_ADDRESS && r.chip_address == address =>
                {
                    Some(r.chip_id())
                }
                _ => None,
            })
            .collect())
    }

    /// Read register 0 of every chip at its slot's address; returns how many chips answered,
    /// which addresses never did and which answered twice. Records chip IDs.
    fn check_addresses(&mut self, slots: &[usize], tries: usize) -> Flow<AddressCheck> {
        let expected = self.profile.chips.value.min(slots.len());
        let addresses: Vec<u8> = slots
            .iter()
            .take(expected)
            .map(|&s| self.address_of_slot(s).unwrap_or(0))
            .collect();
        let mut answered: Vec<Option<u16>> = vec![None; expected];
        // Per position: reads sent and replies seen (a reply late for one pass arrives in the
        // next; two chips at one address answer one read twice).
        let mut reads_to = vec![0u32; expected];
        let mut replies_at = vec![0u32; expected];
        let reply_us = (self.family.reply_len(self.family.rolls_version()) as f64
            * self.wire.byte_us()) as u64;
        for _ in 0..tries.max(1) {
            let pending: Vec<usize> = (0..expected).filter(|&i| answered[i].is_none()).collect();
            if pending.is_empty() {
                break;
            }
            for &i in &pending {
                reads_to[i] += 1;
                self.wire.command(Command::ReadRegister {
                    dest: Dest::Chip(addresses[i]),
                    register: reg::CHIP_ADDRESS,
                })?;
            }
            let settle =
                reply_us * 4 + self.relay_us(expected) * 2 + self.cfg.discovery_quiet_ms * 1000;
            let replies = self.wire.drain(settle)?;
            for a in replies {
                if let Reply::Register(r) = a.reply {
                    if r.register != reg::CHIP_ADDRESS {
                        continue;
                    }
                    if let Some(i) = addresses.iter().position(|&x| x == r.chip_address) {
                        answered[i] = Some(r.chip_id());
                        replies_at[i] += 1;
                    }
                }
            }
        }
        let found = answered
            .iter()
            .rposition(Option::is_some)
            .map_or(0, |i| i + 1);
        for (track, id) in self.learned.chips.iter_mut().zip(&answered).take(found) {
            if let Some(id) = id {
                track.chip_id = Some(*id);
            }
        }
        Ok(AddressCheck {
            found,
            missing: (0..found).filter(|&i| answered[i].is_none()).collect(),
            doubled: (0..expected)
                .filter(|&i| replies_at[i] > reads_to[i])
                .collect(),
        })
    }

    /// Estimated relay delay to chip `index` and back is within this, µs ([I] 4 bit times a chip).
    fn relay_us(&self, index: usize) -> u64 {
        (index as f64 * 4.0 * 1e6 / f64::from(self.wire.baud())) as u64
    }

    fn configure(&mut self, found: usize) -> Flow {
        if found == 0 {
            return Ok(());
        }
        let ticket_reg = if self.family == Family::Bm1387 {
            reg::bm1387::TICKET_MASK
        } else {
            reg::TICKET_MASK
        };
        self.broadcast(Phase::AfterAddressing)?;
        let mask = bm13xx::ticket::mask_for_difficulty(self.cfg.ticket_difficulty).unwrap_or(0xFF);
        self.write_all(ticket_reg, mask)?;
        self.per_chip(found)?;
        self.broadcast(Phase::AfterPerChip)?;
        if !self.sensors_read {
            // Read the board once before the hash clock rises: a board that is already hot (or
            // trips the jig) is reported with every sensor, not only the first one read.
            self.sensors_read = true;
            self.read_sensors()?;
            self.sample()?;
        }
        self.set_hash_clock(self.clock_mhz, found)
    }

    /// Ramp the hash clock to `target_mhz` and set up the work for it: the hash counting
    /// number (the sweep's length), which patterns every slot covers in time, the nonce offsets.
    fn set_hash_clock(&mut self, target_mhz: f64, found: usize) -> Flow {
        let hcn_reg = if self.family == Family::Bm1387 {
            reg::bm1387::HASH_COUNTING_NUMBER
        } else {
            reg::HASH_COUNTING_NUMBER
        };
        let freq_mhz = self.ramp_pll(target_mhz)?;
        // The domains under the hash clock (and, on a PIC board, that the chain still has power).
        self.sample()?;
        let rule = self.slice_rule(found);
        let mut setup = ChainSetup::new(self.family, &self.params, rule, freq_mhz);
        setup.ticket_difficulty = self.cfg.ticket_difficulty;
        let hcn = setup.hash_counting_number();
        // Patterns must lie in the part of every slot the sweep covers before its deadline.
        setup.coverage = (0..setup.slots())
            .map(|s| setup.coverage_of(hcn, s))
            .fold(1.0, f64::min);
        self.write_all(hcn_reg, hcn)?;
        self.broadcast(Phase::Mining)?;
        self.setup = Some(setup);
        self.write_offsets(found)?;
        self.wire.drain(1000)?;
        Ok(())
    }

    fn write_offsets(&mut self, found: usize) -> Flow {
        let Some(setup) = &self.setup else {
            return Ok(());
        };
        if !self.profile.nonce_offsets.value {
            return Ok(());
        }
        let writes: Vec<(u8, u32)> = (0..found)
            .filter_map(|i| {
                let track = self.learned.chips.get(i)?;
                Some((track.address?, setup.rule.offset_register(track.slot)?))
            })
            .collect();
        let mut pending = writes;
        for _ in 0..self.cfg.offset_write_passes.max(1) {
            for &(address, value) in &pending {
                self.wire.command(Command::WriteRegister {
                    dest: Dest::Chip(address),
                    register: reg::CHIP_NONCE_OFFSET,
                    value,
                })?;
            }
            // Read every chip's offset back: a write lost on the host's line leaves a chip
            // hashing its old nonce range, which the pattern test would take for dead cores.
            let quiet = self.cfg.discovery_quiet_ms * 1000 / 4;
            let replies = self.wire.ask(
                Command::ReadRegister {
                    dest: Dest::All,
                    register: reg::CHIP_NONCE_OFFSET,
                },
                quiet.max(2_000),
            )?;
            let holds: HashMap<u8, u32> = replies
                .iter()
                .filter_map(|a| match a.reply {
                    Reply::Register(r) if r.register == reg::CHIP_NONCE_OFFSET => {
                        Some((r.chip_address, r.value))
                    }
                    _ => None,
                })
                .collect();
            pending.retain(|(address, value)| holds.get(address) != Some(value));
            if pending.is_empty() {
                break;
            }
            self.wire.note(|| {
                format!(
                    "{} nonce offset(s) did not take: writing again",
                    pending.len()
                )
            });
        }
        Ok(())
    }

    fn switch_baud(&mut self, baud: u32) -> Flow<u32> {
        let Some((divider, actual)) = bm13xx::baud::divider_for_baud(baud) else {
            return Ok(self.wire.baud());
        };
        let register = self.family.baud_register();
        let value = bm13xx::baud::divider_register_value(self.family, divider);
        // (The second copy reaches chips already at the new rate and means nothing to them.)
        self.write_all(register, value)?;
        self.wire.drain(self.cfg.baud_drain_ms * 1000)?;
        self.wire.set_baud(actual)?;
        // The BM1387 keeps its I2C master enable beside the divider that was just broadcast:
        // enable it again on the sensor hosts (bmminer sets both in one write).
        for chip in std::mem::take(&mut self.sensor_hosts) {
            self.enable_sensor_host(chip)?;
        }
        Ok(actual)
    }

    fn raise_baud(&mut self, wanted: Option<u32>) -> Flow {
        let max = self.info.as_ref().map_or(115_200, |i| i.max_baud);
        let target = wanted.unwrap_or(self.profile.high_baud.value).min(max);
        let found = self.learned.found;
        // With two chips at one address there is no pattern test to speed up (and one address
        // fewer answers at any rate).
        if target <= 115_200 || found == 0 || self.learned.duplicate_address.is_some() {
            self.pattern_baud = self.wire.baud();
            return Ok(());
        }
        let actual = self.switch_baud(target)?;
        let slots: Vec<usize> = self.learned.chips.iter().map(|c| c.slot).collect();
        let high_found = self.check_addresses(&slots[..found], 2)?.found;
        if high_found < found {
            self.learned.marginal = Some((high_found, actual));
            self.step(
                Step::Baud,
                0.5,
                format!("Only {high_found} of {found} chips answer at {actual} baud: falling back to 115200"),
            )?;
            self.bring_up(&slots, 115_200, true)?;
        }
        self.pattern_baud = self.wire.baud();
        self.step(
            Step::Baud,
            1.0,
            format!("Pattern test at {} baud", self.pattern_baud),
        )
    }

    // ---------------------------------------------------------------------------------------
    // The pattern test.

    fn pattern_test(&mut self) -> Flow {
        let Some(setup) = self.setup.clone() else {
            return Ok(());
        };
        self.learned.pattern_tested = true;
        if let Some(only) = &self.only_chips {
            self.learned.excluded = (0..self.learned.found)
                .filter(|i| !only.contains(i))
                .collect();
        }
        let pool = PatternPool::build(HeaderSet::mainnet(), &setup);
        let needed = stats::cores_needed(setup.cores, self.cfg);
        // More rounds for chips still undecided; a single-slot chain keeps its slot (fresh
        // patterns from the same pool) instead of rotating.
        let rounds = self.cfg.max_rounds.max(1);
        let rotates = setup.slots() > 1;
        let mut setup = setup;
        for round in 0..rounds {
            let found = self.learned.found;
            let undecided: Vec<usize> = (0..found)
                .filter(|&i| {
                    self.learned.chips[i].state.is_none() && !self.learned.excluded.contains(&i)
                })
                .collect();
            if undecided.is_empty() {
                break;
            }
            if round > 0 && rotates {
                setup = self.rotate(round, &setup)?;
            }
            let mut picks: Vec<Vec<Pattern>> = Vec::with_capacity(undecided.len());
            for &i in &undecided {
                let c = &self.learned.chips[i];
                let have = c.cores_ok.len() + c.cores_dead.len();
                let want = needed.saturating_sub(have).max(4) + 2;
                let budget = self
                    .cfg
                    .max_patterns_per_chip
                    .saturating_sub(c.patterns as usize);
                let tested: BTreeSet<u8> = c.cores_ok.union(&c.cores_dead).copied().collect();
                picks.push(spread(
                    pool.slot(c.slot),
                    want.min(budget),
                    &tested,
                    &c.used,
                ));
            }
            if picks.iter().all(Vec::is_empty) {
                break;
            }
            self.test_round(&setup, &undecided, &picks)?;
            let chips: Vec<(usize, ChipState)> = undecided
                .iter()
                .filter_map(|&i| {
                    let c = &mut self.learned.chips[i];
                    c.state = stats::decide(&c.evidence(), setup.cores, self.cfg);
                    c.state.map(|s| (i, s))
                })
                .collect();
            let decided = (0..found)
                .filter(|&i| self.learned.chips[i].state.is_some())
                .count();
            let p = Progress {
                step: self.test_step(),
                fraction: decided as f32 / found.max(1) as f32,
                message: format!("Round {}: {decided} of {found} chips decided", round + 1),
                chips,
                telemetry: None,
                frames: self.wire.take_log(),
                temperatures: None,
                golden: self.golden_total(),
                aging: None,
            };
            if (self.cancel)() {
                return Err(Stop::Cancelled);
            }
            (self.progress)(&p);
            self.sample()?;
            // Retest the chips just called dead or weak; one that answers goes on being tested.
            self.confirm_blamed(&setup, &pool, false)?;
        }
        // Last, the chips still undecided only for misses a noisy line may have caused.
        self.confirm_blamed(&setup, &pool, true)?;
        self.follow_lossy_links(&setup, &pool)
    }

    /// Chips that lost more replies than the rest of the board, but not so many more that the
    /// difference decides (see `Config::link_suspect_p`), get more work of their slot: the
    /// first tries' losses of that work are counted like the rest, so a flaky chip's link
    /// stands out and a chip that was merely unlucky on a noisy line does not.
    fn follow_lossy_links(&mut self, setup: &ChainSetup, pool: &PatternPool) -> Flow {
        let found = self.learned.found;
        if found < 2 || self.cfg.link_followup_patterns == 0 {
            return Ok(());
        }
        let all = self
            .learned
            .chips
            .iter()
            .take(found)
            .fold((0, 0), |(l, s), c| {
                (l + u64::from(c.transient), s + u64::from(c.patterns))
            });
        let mut suspects: Vec<(f64, usize)> = (0..found)
            .filter(|i| !self.learned.excluded.contains(i))
            .filter_map(|i| {
                let c = &self.learned.chips[i];
                let own = (u64::from(c.transient), u64::from(c.patterns));
                let p = crate::findings::excess_loss_p(self.cfg, own, all);
                (p < self.cfg.link_suspect_p && p >= self.cfg.intermittent_p && c.golden > 0)
                    .then_some((p, i))
            })
            .collect();
        suspects.sort_by(|a, b| a.0.total_cmp(&b.0));
        suspects.truncate(self.cfg.link_followup_chips);
        if suspects.is_empty() {
            return Ok(());
        }
        let chips: Vec<usize> = suspects.iter().map(|&(_, i)| i).collect();
        self.step(
            self.test_step(),
            1.0,
            format!(
                "More work for {} chip(s) that lost more replies than the line",
                chips.len()
            ),
        )?;
        let picks: Vec<Vec<Pattern>> = chips
            .iter()
            .map(|&i| {
                let c = &self.learned.chips[i];
                let budget = self
                    .cfg
                    .max_patterns_per_chip
                    .saturating_sub(c.patterns as usize);
                spread(
                    pool.slot(c.slot),
                    self.cfg.link_followup_patterns.min(budget),
                    &BTreeSet::new(),
                    &c.used,
                )
            })
            .collect();
        if picks.iter().all(Vec::is_empty) {
            return Ok(());
        }
        self.test_round(setup, &chips, &picks)?;
        for &i in &chips {
            // Judged again on everything it answered (a miss on every try counts as before).
            let c = &mut self.learned.chips[i];
            c.state = stats::decide(&c.evidence(), setup.cores, self.cfg);
        }
        Ok(())
    }

    /// Before a chip is called dead or weak, configure it again and send it work for the cores
    /// it missed once more. A register write or a job corrupted on the host's line looks, from
    /// the host, exactly like a dead core (the chip just stays silent); a second, independent
    /// chance tells them apart. A core that answers now was never dead: the chip's earlier
    /// misses prove nothing, so it is only ever called `ok` on new evidence.
    fn confirm_blamed(&mut self, setup: &ChainSetup, pool: &PatternPool, last: bool) -> Flow {
        let found = self.learned.found;
        let blamed: Vec<usize> = (0..found)
            .filter(|&i| {
                let c = &self.learned.chips[i];
                let suspect = match c.state {
                    Some(ChipState::Dead | ChipState::Weak) => true,
                    // Undecided with more misses than the line explains: perhaps a chip that
                    // missed its configuration in this round.
                    None => {
                        c.unresolved >= self.cfg.confirm_unresolved
                            || last && (c.unresolved > 0 || !c.noisy_dead.is_empty())
                    }
                    _ => false,
                };
                suspect && !self.learned.excluded.contains(&i)
            })
            .collect();
        if blamed.is_empty() {
            return Ok(());
        }
        self.step(
            self.test_step(),
            1.0,
            format!("Retesting {} chip(s) before blaming them", blamed.len()),
        )?;
        let mut batch: Vec<(usize, Pattern)> = Vec::new();
        for &i in &blamed {
            if let Some(address) = self.learned.chips[i].address {
                self.configure_chip(address)?;
            }
            let c = &self.learned.chips[i];
            // Work for the cores it missed first (the same headers again where its slot has
            // them), then for any other core of its slot.
            let slot = pool.slot(c.slot);
            let mut picks: Vec<Pattern> = slot
                .iter()
                .filter(|p| {
                    c.cores_dead.contains(&p.owner.core) || c.missed.contains(&p.owner.core)
                })
                .take(self.cfg.confirm_patterns)
                .cloned()
                .collect();
            if picks.len() < self.cfg.confirm_patterns {
                let taken: BTreeSet<usize> = picks.iter().map(|p| p.record).collect();
                picks.extend(
                    slot.iter()
                        .filter(|p| !taken.contains(&p.record))
                        .take(self.cfg.confirm_patterns - picks.len())
                        .cloned(),
                );
            }
            batch.extend(picks.into_iter().map(|p| (i, p)));
        }
        self.write_offsets(found)?;
        self.wire.drain(1000)?;
        let outcome = self.send_jobs(setup, &batch)?;
        // Per chip: retested cores of unresolved misses, and how many of them answered.
        let mut missed_retest: HashMap<usize, (u32, u32)> = HashMap::new();
        // Chips with a core the line's loss rate had called dead that answers now.
        let mut noisy_answered: BTreeSet<usize> = BTreeSet::new();
        for ((i, p), o) in batch.iter().zip(&outcome) {
            let c = &mut self.learned.chips[*i];
            c.used.insert(p.record);
            c.patterns += 1;
            if c.missed.contains(&p.owner.core) && !c.cores_dead.contains(&p.owner.core) {
                let e = missed_retest.entry(*i).or_default();
                e.0 += 1;
                e.1 += u32::from(o.golden);
            }
            if o.golden {
                c.golden += 1;
                if c.noisy_dead.remove(&p.owner.core) {
                    // A core the line's loss rate had called dead answers: those misses were
                    // the line's after all, and prove nothing about the rest of the chip.
                    c.cores_dead.remove(&p.owner.core);
                    noisy_answered.insert(*i);
                } else if c.cores_dead.remove(&p.owner.core) || c.golden == 1 {
                    // A core (or a chip) it had been blamed for on a clean line.
                    c.recovered += 1;
                } else if c.missed.remove(&p.owner.core) {
                    // One unresolved miss explained: that core works.
                    c.unresolved = c.unresolved.saturating_sub(1);
                }
                c.cores_ok.insert(p.owner.core);
            }
        }
        for &i in &blamed {
            let c = &mut self.learned.chips[i];
            if let Some(&(tried, answered)) = missed_retest.get(&i)
                && tried > 0
                && answered == tried
            {
                // Every core it had missed on a noisy line answers now: those misses were the
                // line's, all of them.
                c.unresolved = 0;
                c.missed.clear();
                if c.state.is_none() {
                    c.state = stats::decide(&c.evidence(), setup.cores, self.cfg);
                }
            }
            if c.recovered > 0 {
                // A core it was blamed for answers now: its misses were the line's or a lost
                // write's (a chip that missed its configuration misses everything in a round),
                // and none of them proves a dead core any more. Its answers stand; it is judged
                // again on the rounds to come.
                c.cores_dead.clear();
                c.noisy_dead.clear();
                c.missed.clear();
                c.unresolved = 0;
                c.recovered = 0;
                c.retested += 1;
                c.state = None;
            } else if noisy_answered.contains(&i) {
                // Judged again on what stands (it may have been called weak for that core).
                c.state = stats::decide(&c.evidence(), setup.cores, self.cfg);
            }
        }
        Ok(())
    }

    /// Give every chip a new slot for round `round`: rewrite offsets (BM1370) or addresses.
    fn rotate(&mut self, round: usize, setup: &ChainSetup) -> Flow<ChainSetup> {
        let found = self.learned.found;
        let slots = setup.slots();
        let targets: Vec<usize> = (0..found).map(|i| (i + round) % slots).collect();
        if let SliceRule::Offsets { .. } = setup.rule {
            for (i, &slot) in targets.iter().enumerate() {
                self.learned.chips[i].slot = slot;
            }
            self.write_offsets(found)?;
            self.wire.drain(0)?;
            return Ok(setup.clone());
        }
        let interval = self.profile.address_interval.value;
        let occupied: BTreeSet<usize> = (0..found).map(|i| self.learned.chips[i].slot).collect();
        let free = (0..slots).any(|s| !occupied.contains(&s));
        let mut moved = false;
        let current: Vec<usize> = (0..found).map(|i| self.learned.chips[i].slot).collect();
        if free
            && found < slots
            && let Some(moves) = readdress_order(&current, &targets, slots)
        {
            // [I] Re-address in place through register 0, each write to an address no chip
            // holds at that moment (a cycle goes through a free slot): the next round's shift
            // and the way back to the first round's slots alike, without a reset (which would
            // walk the PLL up from its reset clock again).
            let mut address: Vec<Option<u8>> =
                (0..found).map(|i| self.learned.chips[i].address).collect();
            for (i, slot) in moves {
                let (Some(old), Some(new)) =
                    (address[i], bm13xx::address::address_of(slot, interval))
                else {
                    continue;
                };
                let value = u32::from(self.family.chip_id()) << 16 | u32::from(new);
                self.wire.command(Command::WriteRegister {
                    dest: Dest::Chip(old),
                    register: reg::CHIP_ADDRESS,
                    value,
                })?;
                address[i] = Some(new);
            }
            self.wire.drain(0)?;
            let answered = self.confirm_addresses(&targets)?;
            moved = answered == found;
        }
        let mut all_slots: Vec<usize> = targets.clone();
        all_slots.extend((found..self.profile.chips.value).map(|i| (i + round) % slots));
        if !moved {
            // Fall back to what the protocol guarantees: reset and set every address again.
            let baud = self.pattern_baud;
            self.bring_up(&all_slots, baud, true)?;
            return Ok(self.setup.clone().unwrap_or_else(|| setup.clone()));
        }
        for (i, &slot) in targets.iter().enumerate() {
            self.learned.chips[i].slot = slot;
            self.learned.chips[i].address = bm13xx::address::address_of(slot, interval);
        }
        Ok(setup.clone())
    }

    /// Read register 0 at each target address; how many chips answered at their new address.
    fn confirm_addresses(&mut self, targets: &[usize]) -> Flow<usize> {
        let interval = self.profile.address_interval.value;
        let addresses: Vec<u8> = targets
            .iter()
            .filter_map(|&s| bm13xx::address::address_of(s, interval))
            .collect();
        for &a in &addresses {
            self.wire.command(Command::ReadRegister {
                dest: Dest::Chip(a),
                register: reg::CHIP_ADDRESS,
            })?;
        }
        // Every chip answers once: wait for all of them on the line, then until it is quiet.
        let reply_us = (self.family.reply_len(self.family.rolls_version()) as f64
            * self.wire.byte_us()) as u64;
        let all_us = reply_us * addresses.len() as u64 + self.relay_us(targets.len()) * 2 + 500;
        let mut replies = self.wire.drain(all_us)?;
        loop {
            let more = self.wire.wait_until(self.wire.now() + reply_us * 4 + 100)?;
            if more.is_empty() {
                break;
            }
            replies.extend(more);
        }
        let seen: BTreeSet<u8> = replies
            .iter()
            .filter_map(|a| match a.reply {
                Reply::Register(r) if r.register == reg::CHIP_ADDRESS => Some(r.chip_address),
                _ => None,
            })
            .collect();
        Ok(addresses.iter().filter(|a| seen.contains(a)).count())
    }

    /// Send each chip's patterns (interleaved), retry misses, and record the evidence.
    fn test_round(&mut self, setup: &ChainSetup, chips: &[usize], picks: &[Vec<Pattern>]) -> Flow {
        let mut schedule: Vec<(usize, Pattern)> = Vec::new();
        let longest = picks.iter().map(Vec::len).max().unwrap_or(0);
        for k in 0..longest {
            for (&chip, list) in chips.iter().zip(picks) {
                if let Some(p) = list.get(k) {
                    schedule.push((chip, *p));
                }
            }
        }
        let mut tries: Vec<u8> = vec![0; schedule.len()];
        let mut golden: Vec<bool> = vec![false; schedule.len()];
        let mut hw_on_own: Vec<bool> = vec![false; schedule.len()];
        for (chip, p) in &schedule {
            let c = &mut self.learned.chips[*chip];
            c.patterns += 1;
            c.used.insert(p.record);
        }
        // A miss in a batch whose replies came through clean (no bad CRC, no stray bytes).
        let mut clean_miss: Vec<bool> = vec![false; schedule.len()];
        let mut todo: Vec<usize> = (0..schedule.len()).collect();
        for attempt in 0..self.cfg.tries_per_pattern.max(1) {
            if todo.is_empty() {
                break;
            }
            if attempt > 0 {
                // Retry in the other order: a reply lost to a neighbour's corrupted one on the
                // line is not lost again the same way.
                todo.reverse();
            }
            let noise_before = self.wire.stats.bad_crc + self.wire.stats.garbage_bytes;
            let batch: Vec<(usize, Pattern)> = todo.iter().map(|&k| schedule[k]).collect();
            let outcome = self.send_jobs(setup, &batch)?;
            let clean = self.wire.stats.bad_crc + self.wire.stats.garbage_bytes == noise_before;
            if self.learned.loaded_domains.is_empty() {
                // The domains while the chips hash the first batch's last work: a part that
                // leaks only under load pulls its domain down now, not at preflight.
                let loaded = self.sample()?;
                self.learned.loaded_domains = self.judge_domains(&loaded);
            }
            for (slot, &k) in todo.iter().enumerate() {
                tries[k] += 1;
                if outcome[slot].golden {
                    golden[k] = true;
                } else if clean {
                    clean_miss[k] = true;
                }
                if outcome[slot].hw {
                    hw_on_own[k] = true;
                }
            }
            todo.retain(|&k| !golden[k]);
        }
        // The board's rate of losing a reply at the first try, so far: a miss on every try of a
        // noisy line is the line's only while losing them all that way is not too unlikely.
        let (lost, sent) = self.learned.chips.iter().fold((0u64, 0u64), |(l, s), c| {
            (l + u64::from(c.transient), s + u64::from(c.patterns))
        });
        let loss = (lost as f64 / sent.max(1) as f64).max(self.cfg.intermittent_floor);
        let all_lost_by_noise = loss.powi(i32::from(self.cfg.tries_per_pattern.max(1)));
        let noise_cannot = all_lost_by_noise < self.cfg.noise_miss_risk;
        // Whether chip `c` loses replies like the rest of the board (the line's noise) and few
        // enough that a miss on every try is not its loss: then a miss is a dead core even on
        // a noisy line. A chip that loses more than the board's rate explains (its own link or
        // relay) keeps its misses unresolved.
        let tries_all = i32::from(self.cfg.tries_per_pattern.max(1));
        let like_the_line = |c: &ChipTrack| {
            let n = u64::from(c.patterns);
            let t = u64::from(c.transient);
            let own = t as f64 / n.max(1) as f64;
            let excess = t > 0 && 1.0 - stats::binomial_at_most(n, loss, t - 1) < self.cfg.ok_risk;
            !excess && own.max(loss).powi(tries_all) < self.cfg.noise_miss_risk
        };
        let answered: BTreeSet<usize> = schedule
            .iter()
            .zip(&golden)
            .filter(|(_, g)| **g)
            .map(|((chip, _), _)| *chip)
            .collect();
        for (k, (chip, p)) in schedule.iter().enumerate() {
            let c = &mut self.learned.chips[*chip];
            if golden[k] {
                c.golden += 1;
                if c.noisy_dead.remove(&p.owner.core) {
                    // The core the line's loss rate had called dead answers: it works.
                    c.cores_dead.remove(&p.owner.core);
                }
                if !c.cores_dead.contains(&p.owner.core) {
                    c.cores_ok.insert(p.owner.core);
                }
                if tries[k] > 1 && !hw_on_own[k] {
                    // Lost, then found on retry, with nothing miscomputed in between.
                    c.transient += 1;
                }
            } else if !hw_on_own[k] {
                let every_try = tries[k] >= self.cfg.tries_per_pattern;
                let sure = (clean_miss[k] || noise_cannot && every_try) && c.transient == 0;
                // A chip that answered nothing this round may have lost its configuration on
                // the host's line (it then misses everything): its misses prove nothing.
                let answered_this_round = answered.contains(chip);
                if sure || noise_cannot && every_try && answered_this_round && like_the_line(c) {
                    // Every try missed, one of them on a clean line, from a chip whose replies
                    // were never seen lost, and it sent nothing wrong instead: the core is dead.
                    // Or every try missed on a line that loses too few replies for that, from
                    // a chip that loses no more than the line: dead, retried once more later.
                    c.cores_ok.remove(&p.owner.core);
                    c.cores_dead.insert(p.owner.core);
                    if !sure {
                        c.noisy_dead.insert(p.owner.core);
                    }
                } else {
                    // Misses on a corrupted line, or from a chip that loses replies, prove
                    // nothing about the core (its patterns still count towards calling it dead).
                    c.unresolved += 1;
                    c.missed.insert(p.owner.core);
                }
            }
        }
        Ok(())
    }

    /// Send jobs back to back, as close to the wire as the sweeps allow, and collect what comes
    /// back. Golden nonces are matched by value; anything else is verified against the job it
    /// answers (by job id) and attributed to the chip whose slice it lies in.
    fn send_jobs(&mut self, setup: &ChainSetup, jobs: &[(usize, Pattern)]) -> Flow<Vec<Outcome>> {
        let family = self.family;
        let ids = job_ids(family);
        let mut batch = Batch {
            outcome: vec![Outcome::default(); jobs.len()],
            sent: Vec::with_capacity(jobs.len()),
            by_golden: HashMap::with_capacity(jobs.len()),
            slot_to_chip: (0..self.learned.found)
                .map(|i| (self.learned.chips[i].slot, i))
                .collect(),
        };
        let reply_us =
            self.family.reply_len(self.family.rolls_version()) as f64 * self.wire.byte_us();
        let mut last_golden_us = 0.0f64;
        let mut latest_expected = 0.0f64;
        let lookahead_us = 8.0 * 88.0 * self.wire.byte_us();
        for (k, (chip, p)) in jobs.iter().enumerate() {
            if k % 256 == 0 && (self.cancel)() {
                return Err(Stop::Cancelled);
            }
            let job_id = ids[k % ids.len()];
            let frame = job_for_header(family, &self.params, job_id, &p.header);
            let t_job = frame.as_bytes().len() as f64 * self.wire.byte_us();
            // The previous job must have reached its golden nonce before this one lands.
            let earliest = (last_golden_us - t_job).ceil();
            let mut wait_to = if earliest > self.wire.tx_done() {
                earliest as u64
            } else {
                0
            };
            let backlog = self.wire.tx_done() - self.wire.now() as f64;
            if backlog > lookahead_us {
                wait_to = wait_to.max((self.wire.tx_done() - lookahead_us) as u64);
            }
            if wait_to > self.wire.now() {
                let arrived = self.wire.wait_until(wait_to)?;
                self.absorb(setup, &arrived, &mut batch);
            }
            self.wire.send(frame.as_bytes())?;
            self.last_job_us = self.wire.tx_done().ceil() as u64;
            self.wire.note(|| {
                format!(
                    "-> job 0x{job_id:02X}: block {} for chip {chip}, golden nonce 0x{:08X}",
                    p.height, p.golden
                )
            });
            let end = self.wire.tx_done();
            // Timing margin for model error: 5 % of the sweep time plus two bit times.
            let sweep_us = setup.time_to(&p.owner) * 1e6;
            last_golden_us = end + sweep_us * 1.05 + 2.0 * self.wire.byte_us() / 10.0;
            let expected = end
                + sweep_us
                + 2.0 * self.relay_us(*chip) as f64
                + reply_us * 4.0
                + self.cfg.reply_margin_us as f64;
            latest_expected = latest_expected.max(expected);
            batch.by_golden.insert(p.golden, k);
            batch.sent.push(Sent {
                job_id,
                header: p.header,
                golden: p.golden,
                chip: *chip,
                at_us: end,
            });
        }
        let arrived = self.wire.wait_until(latest_expected.ceil() as u64)?;
        self.absorb(setup, &arrived, &mut batch);
        Ok(batch.outcome)
    }

    fn absorb(&mut self, setup: &ChainSetup, arrived: &[Arrived], batch: &mut Batch) {
        let interval = self.profile.address_interval.value;
        for a in arrived {
            let Reply::Nonce(n) = a.reply else { continue };
            let fields = n.fields(self.family, &self.params, interval);
            let version_bits = fields.version_bits.unwrap_or(0);
            // The golden nonce of a job we sent, found with the version we sent.
            if let Some(&k) = batch.by_golden.get(&fields.nonce)
                && let Some(s) = batch.sent.get(k)
            {
                let version = bm13xx::header::fields::version(&s.header) | version_bits;
                if patterns::verify(
                    &s.header,
                    version,
                    fields.nonce,
                    s.golden,
                    setup.ticket_difficulty,
                ) == NonceVerdict::Golden
                {
                    batch.outcome[k].golden = true;
                    continue;
                }
            }
            // Otherwise: the latest job sent with this id before the reply came.
            let Some(k) = batch
                .sent
                .iter()
                .rposition(|s| s.job_id == fields.job_id && s.at_us <= a.at_us as f64 + 1.0)
            else {
                continue;
            };
            let s = &batch.sent[k];
            let version = bm13xx::header::fields::version(&s.header) | version_bits;
            let slot_to_chip = &batch.slot_to_chip;
            let verdict =
                patterns::classify(setup, &s.header, version, fields.nonce, s.golden, |slot| {
                    slot_to_chip.contains_key(&slot)
                });
            if let NonceVerdict::WrongChip { .. } = verdict {
                self.learned.wrong_chip_nonces += 1;
                continue;
            }
            let owner_chip = setup
                .owner(fields.nonce)
                .and_then(|o| slot_to_chip.get(&o.slot).copied())
                .unwrap_or(s.chip);
            let job_chip = s.chip;
            let Some(track) = self.learned.chips.get_mut(owner_chip) else {
                continue;
            };
            match verdict {
                NonceVerdict::Golden => batch.outcome[k].golden = true,
                NonceVerdict::OtherValid { .. } | NonceVerdict::WrongChip { .. } => {
                    track.other_valid += 1
                }
                NonceVerdict::FailsDiff1 | NonceVerdict::BelowTicket { .. } => {
                    track.hw_errors += 1;
                    if owner_chip == job_chip {
                        batch.outcome[k].hw = true;
                    }
                }
            }
        }
    }

    // ---------------------------------------------------------------------------------------
    // The report.

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
        self.learned.bad_frames = self.wire.stats.bad_crc;
        self.learned.garbage_bytes = self.wire.stats.garbage_bytes;
        let mut chips = chip_results(self.profile, &self.learned);
        // Behind an intermittent link the chips' misses are the link's: lost work and lost
        // replies, not dead cores. They are not judged (inconclusive), and the link is named.
        // (A chip that only loses its own replies leaves the chips behind it alone.)
        let link = findings::intermittent(self.cfg, &self.learned, &chips);
        let behind = link.step.map(|(s, ..)| s).or(if link.from_counts {
            link.chips.first().copied()
        } else {
            None
        });
        if self.learned.addressing_failed || self.learned.duplicate_address.is_some() {
            for c in chips.iter_mut().filter(|c| c.state != ChipState::Missing) {
                c.state = ChipState::Inconclusive;
            }
        }
        if let Some(first) = behind {
            for c in chips.iter_mut().filter(|c| c.index >= first) {
                // A corrupted reply passes CRC5 one time in 32: a miscomputed nonce there is
                // the link's too.
                if matches!(
                    c.state,
                    ChipState::Dead | ChipState::Weak | ChipState::HwErrors
                ) {
                    c.state = ChipState::Inconclusive;
                }
            }
        }
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
            domains: std::mem::take(&mut self.learned.domains),
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

/// The order of address writes that takes the chips from slots `current` to slots `targets`
/// (chip index order) among `slots`, each write to a slot no chip holds then: chips whose
/// target is free go first; a cycle moves one chip to a slot nobody holds or wants, then goes
/// on. `None` when no such slot exists.
fn readdress_order(
    current: &[usize],
    targets: &[usize],
    slots: usize,
) -> Option<Vec<(usize, usize)>> {
    let mut at: Vec<usize> = current.to_vec();
    let mut held: BTreeSet<usize> = at.iter().copied().collect();
    let wanted: BTreeSet<usize> = targets.iter().copied().collect();
    let mut moves = Vec::new();
    let mut pending: Vec<usize> = (0..at.len()).filter(|&i| at[i] != targets[i]).collect();
    while !pending.is_empty() {
        let before = pending.len();
        pending.retain(|&i| {
            if held.contains(&targets[i]) {
                return true;
            }
            held.remove(&at[i]);
            held.insert(targets[i]);
            at[i] = targets[i];
            moves.push((i, targets[i]));
            false
        });
        if pending.len() == before {
            // A cycle: park its first chip where nobody is or will be.
            let i = pending[0];
            let park = (0..slots).find(|s| !held.contains(s) && !wanted.contains(s))?;
            held.remove(&at[i]);
            held.insert(park);
            at[i] = park;
            moves.push((i, park));
        }
    }
    Some(moves)
}

/// A batch of jobs in flight: what was sent, how to find a golden nonce's job, which chip has
/// each slot, and what each job got back.
struct Batch {
    outcome: Vec<Outcome>,
    sent: Vec<Sent>,
    by_golden: HashMap<u32, usize>,
    slot_to_chip: HashMap<usize, usize>,
}

#[derive(Debug, Clone, Copy, Default)]
struct Outcome {
    golden: bool,
    hw: bool,
}

#[derive(Debug, Clone, Copy)]
struct Sent {
    job_id: u8,
    header: bm13xx::header::Header,
    golden: u32,
    chip: usize,
    at_us: f64,
}

/// Job ids a family can tell apart in its replies (facts §1.5).
fn job_ids(family: Family) -> Vec<u8> {
    match family.job_byte_layout() {
        bm13xx::family::JobByteLayout::Whole => (0..128).collect(),
        bm13xx::family::JobByteLayout::MidstateLow2 => (0..128).step_by(4).collect(),
        bm13xx::family::JobByteLayout::SubcoreLow3 | bm13xx::family::JobByteLayout::SubcoreLow4 => {
            (0..128).step_by(8).collect()
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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::readdress_order;

    /// Apply `moves` to `current`, checking each lands on a slot nobody holds.
    fn apply(current: &[usize], moves: &[(usize, usize)]) -> Vec<usize> {
        let mut at = current.to_vec();
        for &(i, slot) in moves {
            assert!(
                !at.contains(&slot),
                "chip {i} written onto slot {slot}, held: {at:?}"
            );
            at[i] = slot;
        }
        at
    }

    #[test]
    fn the_next_rounds_shift_and_the_way_back_need_no_reset() {
        // 126 chips in 128 slots, as on an S19j Pro: round 3 (wrapping past the last slot)
        // to round 4, and round 7 back to round 0.
        let round = |r: usize| (0..126).map(|i| (i + r) % 128).collect::<Vec<_>>();
        for (from, to) in [(3, 4), (7, 0), (0, 1), (6, 7)] {
            let moves = readdress_order(&round(from), &round(to), 128).unwrap();
            assert_eq!(
                apply(&round(from), &moves),
                round(to),
                "round {from} to {to}"
            );
        }
    }

    #[test]
    fn a_full_cycle_goes_through_a_free_slot_and_none_is_refused() {
        // Two chips swapping places in three slots: one is parked in the free slot first.
        let moves = readdress_order(&[0, 1], &[1, 0], 3).unwrap();
        assert_eq!(moves.len(), 3);
        assert_eq!(apply(&[0, 1], &moves), [1, 0]);
        assert_eq!(readdress_order(&[0, 1], &[1, 0], 2), None);
    }
}
