//! The engine against simulated boards: healthy boards pass, and every fault is found at the
//! right chip or domain with the right finding.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // Fine for tests: a failure is the report.

use boards::{Profile, SensorKind};
use diagnosis::report::{ChipState, FindingKind, SensorState, Verdict};
use diagnosis::{Config, Options, Report};

mod common;
use common::{diagnose, profile};

fn describe(r: &Report) -> String {
    let findings: Vec<String> = r
        .findings
        .iter()
        .map(|f| format!("{:?} {:?} {:?}: {}", f.kind, f.chips, f.suspects, f.message))
        .collect();
    let odd: Vec<String> = r
        .chips
        .iter()
        .filter(|c| c.state != ChipState::Ok)
        .take(6)
        .map(|c| format!("{}:{:?}", c.index, c.state))
        .collect();
    format!(
        "{} verdict {:?}, found {}/{}, chips {odd:?}, findings {findings:#?}",
        r.model, r.verdict, r.chips_found, r.chips_expected
    )
}

/// A healthy board: pass, every chip ok, no finding.
fn check_pass(r: &Report) {
    assert_eq!(r.verdict, Verdict::Pass, "{}", describe(r));
    assert!(r.findings.is_empty(), "{}", describe(r));
    assert!(
        r.chips.iter().all(|c| c.state == ChipState::Ok),
        "{}",
        describe(r)
    );
    assert_eq!(r.chips_found, r.chips_expected);
}

/// The run fails with a finding of `kind` that names `chip` among its chips or suspects.
fn check_finding_at_chip(r: &Report, kind: FindingKind, chip: usize) {
    assert_eq!(r.verdict, Verdict::Fail, "{}", describe(r));
    assert!(
        r.findings
            .iter()
            .any(|f| f.kind == kind && (f.chips.contains(&chip) || f.suspects.contains(&chip))),
        "expected {kind:?} at chip {chip}: {}",
        describe(r)
    );
}

/// The run fails with a finding of `kind` that names `domain`.
fn check_finding_at_domain(r: &Report, kind: FindingKind, domain: usize) {
    assert_eq!(r.verdict, Verdict::Fail, "{}", describe(r));
    assert!(
        r.findings
            .iter()
            .any(|f| f.kind == kind && f.domains.contains(&domain)),
        "expected {kind:?} at domain {domain}: {}",
        describe(r)
    );
}

fn positions(p: &Profile) -> Vec<usize> {
    let last = p.chips.value - 1;
    let mut v = vec![0, last / 2, last];
    v.dedup();
    v
}

macro_rules! healthy {
    ($($name:ident: $id:literal,)*) => {$(
        #[test]
        fn $name() {
            for seed in 0..50 {
                check_pass(&diagnose($id, &[], seed));
            }
        }
    )*};
}

healthy! {
    healthy_s9_passes_50_seeds: "s9",
    healthy_s17plus_passes_50_seeds: "s17plus",
    healthy_s19_passes_50_seeds: "s19",
    healthy_s19pro_passes_50_seeds: "s19pro",
    healthy_s19jpro_passes_50_seeds: "s19jpro",
    healthy_s19jpro120_passes_50_seeds: "s19jpro120",
    healthy_s19kpro_passes_50_seeds: "s19kpro",
    healthy_s19xp_passes_50_seeds: "s19xp",
    healthy_s21_passes_50_seeds: "s21",
    healthy_s21pro_passes_50_seeds: "s21pro",
    healthy_bitaxe_max_passes_50_seeds: "bitaxe-max",
    healthy_bitaxe_ultra_passes_50_seeds: "bitaxe-ultra",
    healthy_bitaxe_supra_passes_50_seeds: "bitaxe-supra",
    healthy_bitaxe_gamma_passes_50_seeds: "bitaxe-gamma",
    healthy_bitaxe_hex_passes_50_seeds: "bitaxe-hex",
    healthy_bitaxe_suprahex_passes_50_seeds: "bitaxe-suprahex",
}

/// Boards the fault tests cover: one per chip family and layout style.
const FAULT_BOARDS: [&str; 5] = ["s19jpro", "s21pro", "s9", "s19pro", "bitaxe-hex"];

#[test]
fn dead_chips_are_found_where_they_are() {
    for id in FAULT_BOARDS {
        for k in positions(&profile(id)) {
            let r = diagnose(id, &[&format!("dead:{k}")], 3);
            check_finding_at_chip(&r, FindingKind::DeadChip, k);
            assert_eq!(r.chips[k].state, ChipState::Dead, "{}", describe(&r));
        }
    }
}

#[test]
fn a_chain_break_names_the_last_found_and_first_missing_chip() {
    for id in FAULT_BOARDS {
        for k in positions(&profile(id)) {
            let r = diagnose(id, &[&format!("break:{k}")], 4);
            assert_eq!(r.chips_found, k, "{}", describe(&r));
            let f = r
                .findings
                .iter()
                .find(|f| f.kind == FindingKind::ChainBreak)
                .expect("chain break");
            assert_eq!(f.suspects[0], k, "{}", describe(&r));
            if k > 0 {
                assert_eq!(f.suspects[1], k - 1);
            }
            assert!(r.chips[k..].iter().all(|c| c.state == ChipState::Missing));
        }
    }
}

#[test]
fn weak_chips_at_ten_percent_or_more_are_never_ok() {
    for id in ["s19jpro", "s21pro", "s19pro"] {
        let p = profile(id);
        for pct in [10, 25, 50] {
            for seed in 0..6 {
                let k = positions(&p)[(seed as usize) % 3];
                let r = diagnose(id, &[&format!("weak:{k}:{pct}")], seed);
                let state = r.chips[k].state;
                assert!(
                    matches!(state, ChipState::Weak | ChipState::Inconclusive),
                    "weak:{k}:{pct} seed {seed}: {}",
                    describe(&r)
                );
                assert_ne!(r.verdict, Verdict::Pass, "{}", describe(&r));
                if state == ChipState::Weak {
                    check_finding_at_chip(&r, FindingKind::WeakChip, k);
                }
            }
        }
    }
}

#[test]
fn hardware_errors_are_found_at_their_chip() {
    for id in FAULT_BOARDS {
        for k in positions(&profile(id)) {
            for pct in [25, 100] {
                let r = diagnose(id, &[&format!("hwerr:{k}:{pct}")], 5);
                check_finding_at_chip(&r, FindingKind::HwErrors, k);
                assert_eq!(r.chips[k].state, ChipState::HwErrors, "{}", describe(&r));
            }
        }
    }
}

#[test]
fn a_shorted_domain_explains_the_chips_it_takes_down() {
    for id in FAULT_BOARDS {
        let p = profile(id);
        let last = p.domains.value - 1;
        for d in [0, last / 2, last] {
            let r = diagnose(id, &[&format!("short:{d}")], 6);
            check_finding_at_domain(&r, FindingKind::DomainShort, d);
            let first = p.chips_in_domain(d).min().unwrap();
            assert_eq!(r.chips_found, first, "{}", describe(&r));
            // The short explains the break: no separate chain-break finding blames a chip.
            assert!(
                r.findings.iter().all(|f| f.kind != FindingKind::ChainBreak),
                "{}",
                describe(&r)
            );
            let f = r
                .findings
                .iter()
                .find(|f| f.kind == FindingKind::DomainShort)
                .unwrap();
            assert!(p.chips_in_domain(d).all(|c| f.chips.contains(&c)));
            assert!(
                f.message.contains(&format!("Domain {d} is shorted")),
                "{}",
                f.message
            );
        }
    }
}

#[test]
fn a_missing_sensor_is_named() {
    for id in FAULT_BOARDS {
        let p = profile(id);
        for (s, sensor) in p.sensors.iter().enumerate() {
            if sensor.kind == SensorKind::AsicDiode {
                continue; // not read at all: `a_chip_diode_is_reported_unread`
            }
            let r = diagnose(id, &[&format!("sensor:{s}")], 7);
            check_finding_at_chip(&r, FindingKind::SensorMissing, sensor.near_chip);
            assert!(
                r.findings.iter().any(|f| f.message.contains(&sensor.name)),
                "{}",
                describe(&r)
            );
        }
    }
}

#[test]
fn a_wrong_chip_id_is_found_at_its_chip() {
    for id in FAULT_BOARDS {
        for k in positions(&profile(id)) {
            check_finding_at_chip(
                &diagnose(id, &[&format!("wrongid:{k}")], 8),
                FindingKind::WrongChipId,
                k,
            );
        }
    }
}

#[test]
fn a_flaky_link_is_intermittent_at_its_chip() {
    for id in FAULT_BOARDS {
        for k in positions(&profile(id)) {
            let r = diagnose(id, &[&format!("flaky:{k}")], 9);
            check_finding_at_chip(&r, FindingKind::Intermittent, k);
        }
    }
}

/// A flaky chip on a line that loses 2 % of its replies anyway can lose only a few more than
/// that in the pattern test (7 of 53 here): it is given more work until its own link stands
/// out. Both boards passed before that follow-up (tuning seeds 1234 and 1235 of `eval`).
#[test]
fn a_flaky_chip_on_a_noisy_line_is_given_more_work_until_it_stands_out() {
    for (id, k, seed) in [("s19", 65, 1234), ("s19pro", 83, 1235)] {
        let r = diagnose(id, &[&format!("flaky:{k}"), "baudnoise:1000"], seed);
        check_finding_at_chip(&r, FindingKind::Intermittent, k);
    }
}

#[test]
fn a_slow_link_is_marginal_at_high_baud_and_the_test_falls_back() {
    for id in ["s19jpro", "s21pro", "s19pro"] {
        let p = profile(id);
        for k in positions(&p) {
            let r = diagnose(id, &[&format!("slowlink:{k}")], 10);
            check_finding_at_chip(&r, FindingKind::MarginalHighBaud, k);
            assert_eq!(r.chips_found, p.chips.value, "{}", describe(&r));
            assert_eq!(r.timing.baud, 115_200);
            assert!(
                r.chips.iter().all(|c| c.state == ChipState::Ok),
                "{}",
                describe(&r)
            );
        }
    }
}

#[test]
fn an_overheating_chip_is_in_the_region_of_the_hot_sensor() {
    // The S21 Pro has no sensor the jig can read (`a_chip_diode_is_reported_unread`).
    for id in FAULT_BOARDS.into_iter().filter(|&id| id != "s21pro") {
        for k in positions(&profile(id)) {
            check_finding_at_chip(
                &diagnose(id, &[&format!("hot:{k}")], 11),
                FindingKind::Overtemp,
                k,
            );
        }
    }
}

/// Issue S2 2/7: boards with a PIC get chain power only once the PIC runs its application with
/// the DC-DC enabled and keeps receiving heartbeats. A PIC that takes no heartbeat drops the
/// chain: the engine says so, and blames no chip.
#[test]
fn a_pic_that_takes_no_heartbeat_drops_the_chain_and_no_chip_is_blamed() {
    for id in ["s9", "s19pro"] {
        let healthy = diagnose(id, &[], 5);
        check_pass(&healthy);
        assert_eq!(
            healthy
                .board_summary
                .pic
                .as_ref()
                .and_then(|p| p.version.clone()),
            Some("0x89".to_owned()),
            "the PIC's version is reported"
        );
        let r = diagnose(id, &["picstall"], 5);
        assert_eq!(r.verdict, Verdict::Fail, "{}", describe(&r));
        assert!(
            r.findings.iter().any(|f| f.kind == FindingKind::ChainPower
                && f.message.contains("PIC switched its DC-DC off")),
            "{}",
            describe(&r)
        );
        assert!(
            r.chips.iter().all(|c| !matches!(
                c.state,
                ChipState::Dead | ChipState::Weak | ChipState::Missing | ChipState::HwErrors
            )),
            "no chip is blamed for the lost power: {}",
            describe(&r)
        );
    }
    // A board without a PIC reports none.
    assert_eq!(diagnose("s19jpro", &[], 5).board_summary.pic, None);
}

#[test]
fn combined_faults_are_each_found() {
    let r = diagnose(
        "s19jpro",
        &[
            "dead:5",
            "weak:20:25",
            "sensor:2",
            "hwerr:60:50",
            "wrongid:3",
            "break:100",
        ],
        12,
    );
    check_finding_at_chip(&r, FindingKind::DeadChip, 5);
    check_finding_at_chip(&r, FindingKind::WeakChip, 20);
    check_finding_at_chip(&r, FindingKind::HwErrors, 60);
    check_finding_at_chip(&r, FindingKind::WrongChipId, 3);
    check_finding_at_chip(&r, FindingKind::ChainBreak, 100);
    check_finding_at_chip(
        &r,
        FindingKind::SensorMissing,
        profile("s19jpro").sensors[2].near_chip,
    );

    let r = diagnose("s21pro", &["short:7", "slowlink:10", "flaky:20"], 13);
    check_finding_at_domain(&r, FindingKind::DomainShort, 7);
    check_finding_at_chip(&r, FindingKind::MarginalHighBaud, 10);
    check_finding_at_chip(&r, FindingKind::Intermittent, 20);
}

#[test]
fn an_overheating_chip_whose_nearest_sensor_is_missing_is_in_the_region_of_the_next() {
    let p = profile("s19jpro");
    let k = 40;
    let at = |c: usize| {
        let q = &p.layout.chips[c];
        (f64::from(q.row), f64::from(q.col))
    };
    let distance = |a: usize, b: usize| {
        let ((ar, ac), (br, bc)) = (at(a), at(b));
        ((ar - br).powi(2) + (ac - bc).powi(2)).sqrt()
    };
    let nearest = (0..p.sensors.len())
        .min_by(|&a, &b| {
            distance(k, p.sensors[a].near_chip).total_cmp(&distance(k, p.sensors[b].near_chip))
        })
        .unwrap();
    let r = diagnose(
        "s19jpro",
        &[&format!("hot:{k}"), &format!("sensor:{nearest}")],
        11,
    );
    check_finding_at_chip(&r, FindingKind::Overtemp, k);
}

/// A hot chip shows only on a sensor: a board whose sensors all sit past a short (an S9's
/// are read through chips 25 and 62) was checked for no overheating, and the census says so.
#[test]
fn with_no_sensor_read_the_census_says_no_chip_was_checked_for_overheating() {
    let r = diagnose("s9", &["short:4"], 2112);
    assert!(
        r.sensors.iter().all(|s| s.state != SensorState::Ok),
        "{:?}",
        r.sensors
    );
    let census = diagnosis::report::sensor_census(&profile("s9"), &r.sensors);
    assert!(
        census.ends_with("no temperature was read, so no chip was checked for overheating"),
        "{census}"
    );
    let r = diagnose("s9", &[], 2112);
    let census = diagnosis::report::sensor_census(&profile("s9"), &r.sensors);
    assert_eq!(census, "Sensors: 2 of 2 expected answer");
}

/// Issue S2 3/7: "over-temperature does not hide other faults (cool down and finish, or mark
/// the rest untested and say so)".
#[test]
fn an_overheating_chip_does_not_hide_the_rest_of_the_board() {
    // On a slow line the pattern test hashes long enough for the patch around hot chip 61 to
    // pass the cooling threshold: the test stops, lets the board cool, and goes on, so dead
    // chip 30 is found too, and the sensor that rose fastest names chip 61's region.
    let r = diagnose("s9", &["hot:61", "dead:30", "slowlink:0"], 13);
    check_finding_at_chip(&r, FindingKind::Overtemp, 61);
    check_finding_at_chip(&r, FindingKind::DeadChip, 30);
    let hot = r
        .findings
        .iter()
        .find(|f| f.kind == FindingKind::Overtemp && f.chips.contains(&61))
        .unwrap();
    assert!(
        hot.message
            .contains("°C/s; a whole board warms under 1 °C/s")
            && hot.message.contains("to let the board cool"),
        "{}",
        describe(&r)
    );
    assert!(
        r.chips.iter().all(|c| c.state != ChipState::Untested),
        "{}",
        describe(&r)
    );

    // Without the pauses, the jig's own limit cuts the power: the verdict says why, the chips
    // it cut short are not passed and said to be, and sensors the run never reached are not
    // blamed.
    let config = Config {
        cool_max_s: 0,
        ..Config::default()
    };
    let options = Options {
        config,
        ..Options::default()
    };
    let r = common::diagnose_with("s9", &["hot:61", "dead:30", "slowlink:0"], 13, options);
    check_finding_at_chip(&r, FindingKind::Overtemp, 61);
    assert!(
        r.aborted.is_none(),
        "a trip the board caused is a verdict, not a failed run"
    );
    assert!(
        r.findings.iter().any(|f| f.kind == FindingKind::Overtemp
            && f.message.contains("The jig cut power before")
            && f.message.contains("not passed")),
        "{}",
        describe(&r)
    );
    assert!(
        r.findings
            .iter()
            .all(|f| f.kind != FindingKind::SensorMissing),
        "{}",
        describe(&r)
    );
}

#[test]
fn the_same_seed_gives_the_same_report() {
    let a = diagnose("s19jpro", &["weak:7:30", "flaky:50"], 21);
    let b = diagnose("s19jpro", &["weak:7:30", "flaky:50"], 21);
    assert_eq!(a, b);
}

#[test]
fn a_dead_chips_domain_rises_while_the_others_hash() {
    let p = profile("s19jpro");
    let r = diagnose("s19jpro", &["dead:40"], 14);
    let d = p.domain_of(40).unwrap();
    let domains = |t: &diagnosis::jig::Telemetry| t.domain_mv()[..p.domains.value].to_vec();
    let preflight = domains(r.telemetry.first().unwrap());
    let spread = preflight.iter().max().unwrap() - preflight.iter().min().unwrap();
    // A domain is the difference of two taps, each read in 3.75 mV steps (125 µV behind 30:1)
    // after its calibration: idle domains agree within two steps and the noise.
    assert!(spread <= 16, "idle domains are balanced: {preflight:?}");
    let during = r
        .telemetry
        .iter()
        .map(|t| t.domain_mv())
        .find(|v| v[d] > v[(d + 1) % v.len()] + 30);
    assert!(
        during.is_some(),
        "domain {d} should rise while chip 40 idles and the rest hash"
    );
}

/// A jig that disconnects after `left` waits, and remembers what it was told last.
struct Unplugged {
    inner: sim::SimJig,
    left: usize,
    powered: bool,
}

impl diagnosis::Jig for Unplugged {
    fn info(&mut self) -> Result<diagnosis::jig::JigInfo, diagnosis::JigError> {
        self.inner.info()
    }
    fn now_us(&mut self) -> Result<u64, diagnosis::JigError> {
        self.inner.now_us()
    }
    fn set_power(&mut self, on: bool) -> Result<(), diagnosis::JigError> {
        self.powered = on;
        self.inner.set_power(on)
    }
    fn set_reset(&mut self, asserted: bool) -> Result<(), diagnosis::JigError> {
        self.inner.set_reset(asserted)
    }
    fn set_baud(&mut self, baud: u32) -> Result<(), diagnosis::JigError> {
        self.inner.set_baud(baud)
    }
    fn send(&mut self, bytes: &[u8]) -> Result<Option<u64>, diagnosis::JigError> {
        self.inner.send(bytes)
    }
    fn wait_until(
        &mut self,
        t_us: u64,
        received: &mut Vec<diagnosis::jig::Received>,
    ) -> Result<(), diagnosis::JigError> {
        if self.left == 0 {
            return Err(diagnosis::JigError::Disconnected("USB cable pulled".into()));
        }
        self.left -= 1;
        self.inner.wait_until(t_us, received)
    }
    fn measure(&mut self) -> Result<diagnosis::jig::Telemetry, diagnosis::JigError> {
        self.inner.measure()
    }
    fn read_temperature(
        &mut self,
        sensor: &diagnosis::jig::SensorRef,
    ) -> Result<f32, diagnosis::JigError> {
        self.inner.read_temperature(sensor)
    }
    fn read_eeprom(&mut self, offset: u8, len: u8) -> Result<Vec<u8>, diagnosis::JigError> {
        self.inner.read_eeprom(offset, len)
    }
}

#[test]
fn a_jig_lost_mid_run_gives_an_aborted_report_and_a_board_left_unpowered() {
    let p = profile("s19jpro");
    let mut jig = Unplugged {
        inner: sim::simulated(&p, &[], 15).unwrap(),
        left: 40,
        powered: false,
    };
    let options = Options {
        baud: None,
        config: Config::default(),
        app_version: "test".into(),
        seed: Some(15),
        ..Options::default()
    };
    let r = diagnosis::run(&mut jig, &p, &options, &mut |_| {}, &|| false);
    assert_eq!(r.verdict, Verdict::Inconclusive);
    assert!(
        r.aborted.as_deref().unwrap().contains("USB cable pulled"),
        "{:?}",
        r.aborted
    );
    assert!(
        !jig.powered,
        "the engine switches board power off when it stops"
    );
    assert!(
        r.chips
            .iter()
            .all(|c| c.state != ChipState::Ok || c.patterns > 0)
    );
}

#[test]
fn a_cancelled_run_stops_and_says_so() {
    let p = profile("s19jpro");
    let mut jig = sim::simulated(&p, &[], 16).unwrap();
    let options = Options {
        baud: None,
        config: Config::default(),
        app_version: "test".into(),
        seed: Some(16),
        ..Options::default()
    };
    let mut in_pattern_test = false;
    let cancel = std::cell::Cell::new(false);
    let r = diagnosis::run(
        &mut jig,
        &p,
        &options,
        &mut |progress| {
            if progress.step == diagnosis::Step::PatternTest && !progress.chips.is_empty() {
                in_pattern_test = true;
                cancel.set(true);
            }
        },
        &|| cancel.get(),
    );
    assert!(in_pattern_test);
    assert_eq!(r.verdict, Verdict::Inconclusive);
    assert_eq!(r.aborted.as_deref(), Some("cancelled by the operator"));
    // Chips decided before the cancel keep their state; the rest are untested, not ok.
    assert!(r.chips.iter().any(|c| c.state == ChipState::Ok));
    assert!(
        r.chips
            .iter()
            .all(|c| matches!(c.state, ChipState::Ok | ChipState::Untested)),
        "{}",
        describe(&r)
    );
}

#[test]
fn a_retest_tests_only_the_chips_asked_for() {
    let p = profile("s19jpro");
    let faults = [
        sim::Fault::parse("dead:5", &p).unwrap(),
        sim::Fault::parse("weak:9:50", &p).unwrap(),
    ];
    let mut jig = sim::simulated(&p, &faults, 17).unwrap();
    let options = Options {
        only_chips: Some(vec![5]),
        seed: Some(17),
        ..Options::default()
    };
    let r = diagnosis::run(&mut jig, &p, &options, &mut |_| {}, &|| false);
    assert_eq!(r.chips[5].state, ChipState::Dead, "{}", describe(&r));
    assert!(
        r.chips
            .iter()
            .filter(|c| c.index != 5)
            .all(|c| c.state == ChipState::Untested && c.patterns == 0),
        "{}",
        describe(&r)
    );
    check_finding_at_chip(&r, FindingKind::DeadChip, 5);
    assert!(
        r.findings.iter().all(|f| f.kind != FindingKind::WeakChip),
        "chip 9 was not retested"
    );
}

/// Issue S2 2/7: the S9's and the S19 Pro's NCT218 sit on I2C masters inside chips. The jig
/// firmware reads them over the chain itself (the simulated chips run the I2C transfer; the
/// simulated jig hardware has no shortcut to them), so they read the board's temperature.
#[test]
fn sensors_behind_chips_are_read_through_the_chain() {
    for id in ["s9", "s19pro"] {
        let p = profile(id);
        let r = diagnose(id, &[], 5);
        check_pass(&r);
        for (sensor, result) in p.sensors.iter().zip(&r.sensors) {
            if sensor.host_chip.is_none() {
                continue;
            }
            let t = result.temp_c.unwrap_or(f32::NAN);
            assert!(
                result.state == SensorState::Ok && (20.0..60.0).contains(&t),
                "{id} {}: {result:?}",
                sensor.name
            );
        }
    }
}

/// No open source says how an S21 Pro chip's diode is read off the board (mujina: the BM1370
/// routes it to an external sensor): the report lists the diodes as unread and blames nothing.
#[test]
fn a_chip_diode_is_reported_unread() {
    let r = diagnose("s21pro", &["sensor:0"], 5);
    check_pass(&r);
    assert!(
        r.sensors.iter().all(|s| s.state == SensorState::Unread),
        "{:?}",
        r.sensors
    );
}
