//! Faults of the whole system, through the real firmware logic and the real link client: the
//! jig restarting mid-run, garbage on the serial line, line noise. None may leave the board
//! powered without a host, or end in anything but a clear, stopped report.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // Fine for tests: a failure is the report.

use boards::{Catalog, Profile};
use diagnosis::report::{ChipState, Verdict};
use diagnosis::{Options, Report};

fn profile(id: &str) -> Profile {
    Catalog::builtin().unwrap().get(id).unwrap().clone()
}

fn run(jig: &mut sim::SimJig, p: &Profile) -> Report {
    let options = Options {
        app_version: "test".into(),
        seed: Some(1),
        ..Options::default()
    };
    diagnosis::run(jig, p, &options, &mut |_| {}, &|| false)
}

#[test]
fn a_jig_that_restarts_mid_run_leaves_the_board_off_and_the_report_says_so() {
    let p = profile("s19jpro");
    for writes in [5, 60, 400] {
        let mut jig = sim::simulated(&p, &[], 1).unwrap();
        jig.transport().restart_after_writes(writes);
        let r = run(&mut jig, &p);
        assert_eq!(r.verdict, Verdict::Inconclusive, "after {writes} writes");
        let why = r.aborted.as_deref().unwrap_or_default();
        assert!(
            why.contains("the jig restarted"),
            "after {writes} writes: {why}"
        );
        assert!(
            !jig.transport().hardware().board().is_powered(),
            "after {writes} writes: a restarted jig powers the board off"
        );
        assert!(
            r.chips
                .iter()
                .all(|c| c.state != ChipState::Dead && c.state != ChipState::Weak),
            "nothing is blamed on a chip"
        );
    }
}

#[test]
fn garbage_on_the_serial_line_is_skipped_and_the_run_still_passes() {
    // Bytes from nowhere (a noisy USB hub, a terminal program typing into the port) arrive in
    // front of and between the jig's frames: the decoder resynchronises on the delimiters.
    let p = profile("bitaxe-gamma");
    let mut jig = sim::simulated(&p, &[], 2).unwrap();
    jig.transport()
        .inject_garbage_every(7, b"\x13\x37garbage\xff\x00\x55\xaa");
    let r = run(&mut jig, &p);
    assert_eq!(r.verdict, Verdict::Pass, "{:?} {:?}", r.aborted, r.findings);
    assert!(
        jig.stats.dropped_frames > 10,
        "the garbage reached the decoder: {:?}",
        jig.stats
    );
}

#[test]
fn a_noisy_chain_line_is_not_blamed_on_a_chip() {
    for (id, seed) in [("s19jpro", 1), ("s21pro", 1), ("s9", 2)] {
        let p = profile(id);
        let r = {
            let faults = [sim::Fault::Noise(1_000)];
            let mut jig = sim::simulated(&p, &faults, seed).unwrap();
            run(&mut jig, &p)
        };
        assert!(
            r.chips
                .iter()
                .all(|c| !matches!(c.state, ChipState::Dead | ChipState::Weak)),
            "{id}: a healthy chip called dead or weak under noise"
        );
        assert!(
            r.findings
                .iter()
                .all(|f| f.kind != diagnosis::FindingKind::Intermittent),
            "{id}: {:?}",
            r.findings
        );
    }
}

#[test]
fn after_a_restart_mid_run_the_jig_is_opened_again_and_the_next_run_passes() {
    let p = profile("s21pro");
    let mut jig = sim::simulated(&p, &[], 3).unwrap();
    jig.transport().restart_after_writes(80);
    let first = run(&mut jig, &p);
    assert!(first.aborted.is_some(), "the first run stops");
    // Unplugged and plugged back: the host opens the port afresh, as the workbench does at
    // every run.
    let mut transport = jig.into_transport();
    transport.replug();
    let mut jig = link::Client::connect(transport, std::time::Duration::from_secs(5)).unwrap();
    let second = run(&mut jig, &p);
    assert_eq!(second.verdict, Verdict::Pass, "{:?}", second.aborted);
    assert!(
        !jig.transport().hardware().board().is_powered(),
        "off after the run"
    );
}
