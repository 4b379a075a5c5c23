//! What a diagnosis found: the structure `hashbench diagnose --json` prints, field for field.

use serde::{Deserialize, Serialize};

use crate::jig::Telemetry;

/// Overall verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Every chip, domain and sensor is fine.
    Pass,
    /// Something needs repair.
    Fail,
    /// Nothing is known to be wrong, but not everything could be proven right.
    Inconclusive,
}

impl Verdict {
    /// The word for it, as in the JSON: `pass`, `fail`, `inconclusive`.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Verdict::Pass => "pass",
            Verdict::Fail => "fail",
            Verdict::Inconclusive => "inconclusive",
        }
    }
}

/// State of one chip.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum ChipState {
    /// Returned its golden nonces.
    Ok,
    /// Some cores are dead.
    Weak,
    /// Answers but returns no nonces.
    Dead,
    /// Does not answer.
    Missing,
    /// Returns miscomputed nonces.
    HwErrors,
    /// Not enough evidence either way.
    Inconclusive,
    /// Not tested.
    Untested,
}

impl ChipState {
    /// Every state, best first.
    pub const ALL: [ChipState; 7] = [
        ChipState::Ok,
        ChipState::Weak,
        ChipState::Dead,
        ChipState::Missing,
        ChipState::HwErrors,
        ChipState::Inconclusive,
        ChipState::Untested,
    ];

    /// The state's name for people (`hw errors`, not `hw_errors`).
    #[must_use]
    pub fn label(self) -> &'static str {
        match self {
            Self::Ok => "ok",
            Self::Weak => "weak",
            Self::Dead => "dead",
            Self::Missing => "missing",
            Self::HwErrors => "hw errors",
            Self::Inconclusive => "inconclusive",
            Self::Untested => "untested",
        }
    }

    /// One letter for the board map, readable without colour.
    #[must_use]
    pub fn letter(self) -> char {
        match self {
            Self::Ok => 'o',
            Self::Weak => 'w',
            Self::Dead => 'D',
            Self::Missing => 'M',
            Self::HwErrors => 'H',
            Self::Inconclusive => '?',
            Self::Untested => '.',
        }
    }
}

/// State of one voltage domain.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DomainState {
    /// Inside the profile's band.
    Ok,
    /// Below the band.
    Low,
    /// Above the band.
    High,
    /// Near zero.
    Short,
    /// Far above nominal.
    Open,
}

/// State of one temperature sensor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SensorState {
    /// Answers with a plausible reading.
    Ok,
    /// Does not answer.
    Missing,
    /// Answers with an impossible value.
    Implausible,
    /// Not read: the jig has no documented way to read this kind (a chip's own diode).
    Unread,
}

impl SensorState {
    /// The word for people.
    #[must_use]
    pub fn label(self) -> &'static str {
        match self {
            Self::Ok => "ok",
            Self::Missing => "missing",
            Self::Implausible => "implausible",
            Self::Unread => "unread",
        }
    }
}

/// Kinds of finding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum FindingKind {
    /// A domain is shorted.
    DomainShort,
    /// The chain stops before its end.
    ChainBreak,
    /// A chip answers but hashes nothing.
    DeadChip,
    /// A chip reports another chip ID.
    WrongChipId,
    /// A chip returns miscomputed nonces.
    HwErrors,
    /// A chip has dead cores.
    WeakChip,
    /// A domain voltage is outside its band.
    DomainVoltage,
    /// Chips are lost at the high baud rate.
    MarginalHighBaud,
    /// A link loses bytes now and then.
    Intermittent,
    /// A sensor reads above the limit.
    Overtemp,
    /// A sensor does not answer or reads nonsense.
    SensorMissing,
    /// The chain lost power while the supply was on (the board's PIC switched its DC-DC off),
    /// or the PIC did not answer.
    ChainPower,
    /// No chip answers and the jig's UART saw the return line held low (a break): one chip
    /// holds RO; halving the chain finds it (Bitmain's procedure).
    ReturnLineHeld,
    /// A chip that passes at the profile's clock fails a step above it where the rest of the
    /// board passes (`--ladder`): a note.
    LowMargin,
    /// A chip that passed the cold test fails after the soak (`--soak`): it fails only warm.
    FailsHot,
    /// Two neighbouring chips answer at one address: the set-address frame went past the first
    /// of them, which should have stopped it; results cannot be put on chips.
    DuplicateAddress,
    /// A chip that passed the pattern test erred, during the aging test, far more than the rest
    /// of the board (`--aging`).
    AgingErrors,
    /// Replies were lost or corrupted evenly over the chain: the cable or the jig, no chip. A
    /// note: it does not fail the board.
    NoisyLink,
}

impl FindingKind {
    /// A note, reported and never a reason to fail: about the test set-up rather than the
    /// board (a noisy link), or a margin below the rest of the board at a clock it does not
    /// run at.
    #[must_use]
    pub fn is_note(self) -> bool {
        matches!(self, Self::NoisyLink | Self::LowMargin)
    }

    /// The kind's name for people, as the workbench and the report title a finding.
    #[must_use]
    pub fn label(self) -> &'static str {
        match self {
            Self::DomainShort => "Domain short",
            Self::ChainBreak => "Chain break",
            Self::DeadChip => "Dead chip",
            Self::WrongChipId => "Wrong chip ID",
            Self::HwErrors => "Miscomputing chip",
            Self::WeakChip => "Weak chip",
            Self::DomainVoltage => "Domain voltage",
            Self::MarginalHighBaud => "Lost at high baud",
            Self::Intermittent => "Intermittent link",
            Self::Overtemp => "Over-temperature",
            Self::SensorMissing => "Sensor",
            Self::ChainPower => "Chain power (PIC)",
            Self::NoisyLink => "Noisy link (note)",
            Self::ReturnLineHeld => "Return line held",
            Self::DuplicateAddress => "Duplicate address",
            Self::FailsHot => "Fails hot",
            Self::AgingErrors => "Errors while aging",
            Self::LowMargin => "Low clock margin (note)",
        }
    }
}

/// One thing to repair or check, with where to look.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    /// What kind.
    pub kind: FindingKind,
    /// Chips involved (chain indices).
    pub chips: Vec<usize>,
    /// Domains involved.
    pub domains: Vec<usize>,
    /// Chain indices to probe first.
    pub suspects: Vec<usize>,
    /// What was seen.
    pub message: String,
    /// What to do.
    pub hint: String,
}

/// Result for one chip.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChipResult {
    /// Chain index.
    pub index: usize,
    /// Address in the last addressing round (none if it never took one, or if which chip holds
    /// which address is not known: every pass lost a frame, or it is past two chips at one
    /// address).
    pub address: Option<u8>,
    /// Voltage domain.
    pub domain: usize,
    /// State.
    pub state: ChipState,
    /// Patterns sent for it (retries not counted).
    pub patterns: u32,
    /// Golden nonces it returned.
    pub golden: u32,
    /// Miscomputed nonces it returned.
    pub hw_errors: u32,
    /// Temperature at the chip, where a sensor sits there.
    pub temp_c: Option<f32>,
    /// The highest hash clock of the frequency ladder (`--ladder`) at which the chip was `ok`,
    /// MHz; absent without a ladder or when it was `ok` at none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub margin_mhz: Option<f64>,
    /// The lowest board supply of the ladder's supply steps (`--ladder-mv`) at which the chip
    /// was `ok` at the profile's clock, mV; absent without supply steps or when `ok` at none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub margin_mv: Option<u32>,
    /// Distinct cores that returned a golden nonce.
    #[serde(skip)]
    pub cores_ok: usize,
    /// Cores confirmed dead.
    #[serde(skip)]
    pub cores_dead: usize,
    /// Distinct cores the patterns exercised (returned or confirmed dead).
    #[serde(skip)]
    pub cores_tested: usize,
    /// Distinct cores tested that never returned a golden nonce on any try: the dead ones, and
    /// those whose misses proved nothing (the line or the chip's link lost them).
    #[serde(skip)]
    pub cores_silent: usize,
    /// Those of them it missed only in a round it lost whole (every core silent, then a core
    /// it was blamed for answered when retested: a lost configuration, not its cores), and
    /// never since in a round it answered: no proof of a silent core of its own.
    #[serde(skip)]
    pub cores_doubted: usize,
    /// Lost then found on retry.
    #[serde(skip)]
    pub transient: u32,
    /// Patterns with a try whose golden reply came back spoiled.
    #[serde(skip)]
    pub garbled: u32,
}

/// Result for one domain.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DomainResult {
    /// Domain index.
    pub index: usize,
    /// Measured voltage at preflight (chips idle), mV.
    pub voltage_mv: u32,
    /// State.
    pub state: DomainState,
    /// The reading furthest from nominal while the chips hashed (every sample within 100 ms of
    /// a job), mV; `None` when no work was sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub loaded_mv: Option<u32>,
}

/// Result for one sensor.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SensorResult {
    /// Sensor name from the profile.
    pub name: String,
    /// Highest reading, °C.
    pub temp_c: Option<f32>,
    /// State.
    pub state: SensorState,
}

/// How long the run took and how close to the wire it came.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Timing {
    /// Jig time from start to verdict, s.
    pub duration_s: f64,
    /// Bytes on the chain link, both directions, whole run.
    pub wire_bytes: u64,
    /// Baud rate of the pattern test.
    pub baud: u32,
    /// Least time the pattern test's bytes need on the wire at that baud, s.
    pub wire_bound_s: f64,
    /// Jig time the pattern test took, s.
    #[serde(skip)]
    pub pattern_test_s: f64,
}

/// Where a result came from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Provenance {
    /// Hashbench version.
    pub app_version: String,
    /// Identity (SHA-256) of the header set.
    pub pattern_set: String,
    /// Profile id and version, `id@version`.
    pub profile: String,
    /// Simulation seed (simulated runs only).
    pub seed: Option<u64>,
    /// Jig firmware.
    pub jig_firmware: String,
    /// The run's own identity, given by the app when the run ends (the engine leaves it
    /// empty): two runs with the same results, a simulated board's with one seed, are two runs
    /// wherever they are saved.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub run_id: String,
}

/// Board identity read from its EEPROM.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BoardIdentity {
    /// Serial number, if the EEPROM holds one in a known layout.
    pub serial: Option<String>,
    /// Board code, where the layout holds one (neither documented layout does).
    pub board_code: Option<String>,
    /// Chip family its chip marking names (`bm1398`), where the layout holds one.
    pub family: Option<String>,
    /// The layout the image is in, or why no documented layout explains it.
    pub layout: Option<String>,
}

/// The board as `diagnose --json` shows it: serial, board code, and its PIC when it has one.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BoardSummary {
    /// Serial number from the EEPROM.
    pub serial: Option<String>,
    /// Board code from the EEPROM.
    pub board_code: Option<String>,
    /// The PIC (`null` on a board without one).
    pub pic: Option<PicSummary>,
}

/// What the PIC said.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PicSummary {
    /// Software version, e.g. `0x89`; `null` when it did not answer.
    pub version: Option<String>,
}

/// The whole result of one diagnosis.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// Profile id.
    pub model: String,
    /// Chip family.
    pub chip_family: String,
    /// Overall verdict.
    pub verdict: Verdict,
    /// Chips the profile expects.
    pub chips_expected: usize,
    /// Chips that answered.
    pub chips_found: usize,
    /// One entry per expected chip.
    pub chips: Vec<ChipResult>,
    /// One entry per domain.
    pub domains: Vec<DomainResult>,
    /// One entry per sensor.
    pub sensors: Vec<SensorResult>,
    /// What to repair, most severe first.
    pub findings: Vec<Finding>,
    /// Timing.
    pub timing: Timing,
    /// Provenance.
    pub provenance: Provenance,
    /// Why the run stopped early, if it did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub aborted: Option<String>,
    /// Valid nonces that no chip on the chain should have found by the family's attribution rule.
    #[serde(skip)]
    pub wrong_chip_nonces: u32,
    /// Board identity from the EEPROM.
    #[serde(skip)]
    pub board: BoardIdentity,
    /// Telemetry samples taken during the run.
    #[serde(skip)]
    pub telemetry: Vec<Telemetry>,
    /// Sensor readings taken during the run: jig time (µs) and °C per sensor in profile order.
    #[serde(skip)]
    pub temperatures: Vec<(u64, Vec<Option<f32>>)>,
    /// Wire protocol version of the jig that ran it.
    #[serde(skip)]
    pub jig_protocol: Option<u16>,
    /// The run's chain traffic, every frame both ways, when asked for (`Options::capture`).
    #[serde(skip)]
    pub capture: Vec<crate::wire::CapturedFrame>,
    /// The jig that ran it and its health counters at the end of the run (`null` before the
    /// handshake; a counter is `null` when the jig could not say).
    #[serde(default)]
    pub jig: Option<JigReport>,
    /// The board: serial and board code from its EEPROM, and its PIC.
    #[serde(rename = "board", default)]
    pub board_summary: BoardSummary,
    /// The soak, when the run had one (`--soak`): the chips' states are the warm test's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub soak: Option<SoakSummary>,
    /// The aging test, when the run had one (`--aging`): each chip's work and errors per window.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aging: Option<AgingSummary>,
    /// The hash clocks of the frequency ladder, when the run had one (`--ladder`), MHz: the
    /// profile's first, then each step's.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ladder_mhz: Vec<f64>,
    /// The board supplies of the ladder's supply steps, mV: the profile's stack voltage first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ladder_mv: Vec<u32>,
    /// A count of the guided halving (`Options::halving_short`): where the RO short was and how
    /// many chips answered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub halving_step: Option<crate::halving::HalvingStep>,
}

/// The sensor census: the sensors `profile` expects against what answered in `sensors`, in one
/// line ("Sensors: 3 of 4 expected answer; missing: PCB 2"). With no run yet, only the count
/// expected.
#[must_use]
pub fn sensor_census(profile: &boards::Profile, sensors: &[SensorResult]) -> String {
    let expected = profile.sensors.len();
    if sensors.is_empty() {
        return format!("Sensors: {expected} expected (run a diagnosis to count them)");
    }
    let count = |state: SensorState| sensors.iter().filter(|s| s.state == state).count();
    let mut line = format!(
        "Sensors: {} of {expected} expected answer",
        count(SensorState::Ok)
    );
    for state in [
        SensorState::Missing,
        SensorState::Implausible,
        SensorState::Unread,
    ] {
        let names: Vec<&str> = sensors
            .iter()
            .filter(|s| s.state == state)
            .map(|s| s.name.as_str())
            .collect();
        if !names.is_empty() {
            line += &format!("; {}: {}", state.label(), names.join(", "));
        }
    }
    // A hot chip shows only on a sensor: with none read, say what was not checked.
    if expected > 0 && count(SensorState::Ok) == 0 {
        line += "; no temperature was read, so no chip was checked for overheating";
    }
    line
}

impl Report {
    /// Every chip on `scale`, in chain order: its grade and what the map writes on it (the
    /// highest ladder clock it was ok at as a percentage of the board's, or its aging error
    /// rate in percent; empty where not measured). Computed once for the whole map.
    #[must_use]
    pub fn graded(&self, scale: Scale) -> Vec<(Grade, String)> {
        match scale {
            Scale::Margin => {
                let nominal = self.ladder_mhz.first().copied();
                self.chips
                    .iter()
                    .map(|c| match nominal {
                        Some(n) if c.patterns > 0 => match c.margin_mhz {
                            // Ok above the board's clock, at it only, only below it, at no step.
                            Some(m) => {
                                let grade = if m > n * 1.001 {
                                    Grade::Good
                                } else if m >= n * 0.999 {
                                    Grade::Fair
                                } else {
                                    Grade::Poor
                                };
                                (grade, format!("{:.0}", m * 100.0 / n))
                            }
                            None => (Grade::Bad, "-".to_owned()),
                        },
                        _ => (Grade::NotMeasured, String::new()),
                    })
                    .collect()
            }
            Scale::Aging => {
                let totals = self.aging.as_ref().map(AgingSummary::totals);
                (0..self.chips.len())
                    .map(|i| {
                        match totals
                            .as_ref()
                            .and_then(|t| t.get(i))
                            .filter(|c| c.sent > 0)
                        {
                            // Under 1 %, 5 %, 20 % of its jobs erred, or more.
                            Some(c) => {
                                let rate = c.rate();
                                let grade = match rate {
                                    r if r < 0.01 => Grade::Good,
                                    r if r < 0.05 => Grade::Fair,
                                    r if r < 0.20 => Grade::Poor,
                                    _ => Grade::Bad,
                                };
                                (grade, format!("{:.0}", rate * 100.0))
                            }
                            None => (Grade::NotMeasured, String::new()),
                        }
                    })
                    .collect()
            }
        }
    }
}

/// A measurement the map can colour chips by instead of their state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scale {
    /// The highest ladder clock a chip was `ok` at, against the board's clock.
    Margin,
    /// A chip's error rate over the aging test.
    Aging,
}

impl Scale {
    /// Its name in a chip's spoken label.
    #[must_use]
    pub fn short(self) -> &'static str {
        match self {
            Self::Margin => "margin",
            Self::Aging => "aging errors",
        }
    }

    /// Title of the map in this mode.
    #[must_use]
    pub fn title(self) -> &'static str {
        match self {
            Self::Margin => "Clock margin (highest ladder clock ok, % of the board's clock)",
            Self::Aging => "Aging errors (% of each chip's known-nonce jobs)",
        }
    }

    /// Each grade's meaning on this scale, best first.
    #[must_use]
    pub fn legend(self) -> [(Grade, &'static str); 5] {
        match self {
            Self::Margin => [
                (Grade::Good, "ok above the board's clock"),
                (Grade::Fair, "ok at the board's clock only"),
                (Grade::Poor, "ok only below it"),
                (Grade::Bad, "ok at no step"),
                (Grade::NotMeasured, "not tested"),
            ],
            Self::Aging => [
                (Grade::Good, "under 1 %"),
                (Grade::Fair, "1-5 %"),
                (Grade::Poor, "5-20 %"),
                (Grade::Bad, "20 % or more"),
                (Grade::NotMeasured, "not aged"),
            ],
        }
    }
}

/// A chip on a measurement scale of the map, best first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Grade {
    /// Good.
    Good,
    /// Acceptable.
    Fair,
    /// Worth a look.
    Poor,
    /// Failing.
    Bad,
    /// Not measured on this scale.
    NotMeasured,
}

impl Grade {
    /// Its colour, red-green-blue (as the workbench and the report draw it).
    #[must_use]
    pub fn rgb(self) -> (u8, u8, u8) {
        match self {
            Self::Good => (46, 160, 67),
            Self::Fair => (170, 200, 60),
            Self::Poor => (230, 140, 20),
            Self::Bad => (210, 45, 45),
            Self::NotMeasured => (170, 170, 170),
        }
    }
}

/// One chip's known-nonce work in one window of the aging test.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgingCount {
    /// Jobs sent to it (each with one known golden nonce in its slice).
    pub sent: u32,
    /// Golden nonces it returned.
    pub golden: u32,
    /// Miscomputed nonces it returned for its own jobs.
    pub hw_errors: u32,
}

impl AgingCount {
    /// Jobs whose golden nonce did not come back, plus miscomputed nonces.
    #[must_use]
    pub fn errors(&self) -> u32 {
        self.sent.saturating_sub(self.golden) + self.hw_errors
    }

    /// [`Self::errors`] per job sent, 0 when nothing was sent.
    #[must_use]
    pub fn rate(&self) -> f64 {
        if self.sent == 0 {
            0.0
        } else {
            f64::from(self.errors()) / f64::from(self.sent)
        }
    }
}

/// One window of the aging test.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AgingWindow {
    /// Jig seconds from the start of the aging test to the start of the window.
    pub start_s: f64,
    /// Its length, jig seconds.
    pub seconds: f64,
    /// The hottest sensor at its end, °C.
    pub hottest_c: Option<f32>,
    /// Per chip, in chain order (chips not aged have nothing sent).
    pub chips: Vec<AgingCount>,
}

impl AgingWindow {
    /// The median error rate of the chips that were sent work: what the line and the board
    /// lose evenly.
    #[must_use]
    pub fn median_rate(&self) -> f64 {
        let mut rates: Vec<f64> = self
            .chips
            .iter()
            .filter(|c| c.sent > 0)
            .map(AgingCount::rate)
            .collect();
        if rates.is_empty() {
            return 0.0;
        }
        rates.sort_by(f64::total_cmp);
        rates[rates.len() / 2]
    }

    /// The chip with the highest error rate and that rate.
    #[must_use]
    pub fn worst(&self) -> Option<(usize, f64)> {
        self.chips
            .iter()
            .enumerate()
            .filter(|(_, c)| c.sent > 0)
            .map(|(i, c)| (i, c.rate()))
            .max_by(|a, b| a.1.total_cmp(&b.1))
    }
}

/// The aging test: continuous known-nonce hashing, each chip's errors over time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AgingSummary {
    /// Jig seconds of hashing.
    pub seconds: f64,
    /// The windows, in order (the last may be shorter).
    pub windows: Vec<AgingWindow>,
}

impl AgingSummary {
    /// Each chip's counts over the whole test.
    #[must_use]
    pub fn totals(&self) -> Vec<AgingCount> {
        let chips = self
            .windows
            .iter()
            .map(|w| w.chips.len())
            .max()
            .unwrap_or(0);
        let mut out = vec![AgingCount::default(); chips];
        for w in &self.windows {
            for (t, c) in out.iter_mut().zip(&w.chips) {
                t.sent += c.sent;
                t.golden += c.golden;
                t.hw_errors += c.hw_errors;
            }
        }
        out
    }

    /// One line for the summary and the report.
    #[must_use]
    pub fn describe(&self) -> String {
        let totals = self.totals();
        let sent: u64 = totals.iter().map(|c| u64::from(c.sent)).sum();
        let errors: u64 = totals.iter().map(|c| u64::from(c.errors())).sum();
        let hottest = self
            .windows
            .iter()
            .filter_map(|w| w.hottest_c)
            .reduce(f32::max)
            .map_or("unread".to_owned(), |c| format!("{c:.1} °C"));
        format!(
            "hashed {:.0} s in {} windows: {sent} known-nonce jobs, {errors} errors ({:.2} %), hottest sensor {hottest}",
            self.seconds,
            self.windows.len(),
            if sent == 0 {
                0.0
            } else {
                errors as f64 * 100.0 / sent as f64
            }
        )
    }
}

/// A soak: how long the chips hashed and how warm the board got before the second test.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SoakSummary {
    /// Jig seconds of hashing.
    pub seconds: f64,
    /// The hottest sensor at the cold test, °C.
    pub cold_c: Option<f32>,
    /// The hottest sensor after the soak, °C.
    pub hot_c: Option<f32>,
    /// The target the soak hashed towards, °C.
    pub target_c: f32,
    /// Whether it got there before the time ran out.
    pub reached: bool,
}

impl SoakSummary {
    /// One line for the summary and the report.
    #[must_use]
    pub fn describe(&self) -> String {
        let t = |c: Option<f32>| c.map_or("unread".to_owned(), |c| format!("{c:.1} °C"));
        format!(
            "hashed {:.0} s: hottest sensor {} cold, {} warm ({})",
            self.seconds,
            t(self.cold_c),
            t(self.hot_c),
            if self.reached {
                format!("reached {:.0} °C", self.target_c)
            } else {
                format!("the time ran out before {:.0} °C", self.target_c)
            }
        )
    }
}

/// The jig of a run: who it is and how it coped.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JigReport {
    /// Firmware name and version.
    pub firmware: String,
    /// Wire protocol version.
    pub protocol: u16,
    /// Longest time between two passes of the jig's main loop, µs (goal ≤ 10,000).
    pub worst_loop_gap_us: Option<u32>,
    /// Chain bytes lost to a full receive buffer.
    pub rx_dropped_bytes: Option<u32>,
    /// Chain receive errors.
    pub uart_errors: Option<u32>,
    /// Bytes for the host lost to a full USB queue.
    pub usb_dropped: Option<u32>,
}
