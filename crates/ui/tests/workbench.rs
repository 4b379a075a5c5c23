//! The workbench driven as a technician drives it, against the simulated jig.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // Fine for tests: a failure is the report.

mod common;

use std::time::Duration;

use common::until;
use diagnosis::report::{ChipState, Verdict};
use eframe::egui;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use ui::{Command, Settings, Source, Workbench};

fn workbench(model: &str, faults: &str) -> Harness<'static, Workbench> {
    let settings = Settings {
        model: model.into(),
        faults: faults.into(),
        source: Source::Simulated,
        ..Settings::default()
    };
    Harness::builder()
        .with_size(egui::vec2(1280.0, 800.0))
        .build_eframe(move |cc| Workbench::new(cc, Some(settings)))
}

/// Step the UI until the run has ended (the worker thread runs in real time).
fn until_done(h: &mut Harness<'static, Workbench>) {
    until(h, "the diagnosis to finish", |w| {
        !w.is_running() && w.report().is_some()
    });
}

#[test]
fn a_run_shows_the_dead_chip_and_the_chain_break_on_the_map_and_in_the_findings() {
    let mut h = workbench("s19jpro", "break:40 dead:5");
    h.run_steps(2);
    h.get_by_label("Run full diagnosis (F5)").click();
    until_done(&mut h);
    assert_eq!(h.state().report().unwrap().verdict, Verdict::Fail);
    h.get_by_label_contains("Verdict: FAIL");
    h.get_by_label_contains("Chain break: The chain stops after chip 39");
    h.get_by_label_contains("Dead chip: Chip 5");
    h.get_by_label("chip 5: dead");
    h.get_by_label("chip 40: missing");
    h.get_by_label("chip 39: ok");
    assert_eq!(h.state().chip_state(125), Some(ChipState::Missing));
    // Clicking a chip shows its details and repair hint.
    h.get_by_label("chip 40: missing").click();
    h.run_steps(2);
    assert_eq!(h.state().selected(), Some(40));
    h.get_by_label("Chip 40");
}

/// S2 7/7: every plot under the map has "Export chart…", and what it saves is the chart the
/// plot shows, drawn by plotters: the domains as preflight bars against the band.
#[test]
fn every_plot_exports_the_chart_it_shows_as_png_or_svg() {
    let mut h = workbench("s19jpro", "dead:5");
    h.run_steps(2);
    h.get_by_label("Run full diagnosis (F5)").click();
    until_done(&mut h);
    let charts = h.state().charts();
    let ids: Vec<&str> = charts.iter().map(|(id, _)| *id).collect();
    assert_eq!(
        ids,
        ["domains", "voltage-time", "temperatures", "nonce-rate"]
    );
    assert_eq!(
        h.query_all_by_label("Export chart…").count(),
        charts.len(),
        "one export button per plot"
    );
    let domains = charts[0].1.clone();
    let bars: usize = domains
        .series
        .iter()
        .filter(|s| s.name.starts_with("preflight"))
        .map(|s| s.points.len())
        .sum();
    assert_eq!(
        bars, 42,
        "a preflight bar for each of the S19j Pro's 42 domains"
    );
    let dir = tempfile::tempdir().unwrap();
    let (svg, png) = (dir.path().join("domains.svg"), dir.path().join("rate.png"));
    h.state_mut()
        .handle(Command::ExportChartTo(Box::new(domains), svg.clone()));
    h.state_mut().handle(Command::ExportChartTo(
        Box::new(charts[3].1.clone()),
        png.clone(),
    ));
    until(&mut h, "both charts to be written", |_| {
        svg.exists() && png.exists()
    });
    let svg = std::fs::read_to_string(&svg).unwrap();
    for words in [
        "Domain voltages against the band",
        "band low 280 mV",
        "preflight: in band",
    ] {
        assert!(svg.contains(words), "`{words}` missing from the SVG");
    }
    assert!(std::fs::read(&png).unwrap().starts_with(b"\x89PNG"));
    h.get_by_label_contains("Chart \"Nonce return rate\" saved to");
}

#[test]
fn f5_runs_and_escape_cancels() {
    let mut h = workbench("s19jpro", "");
    h.run_steps(2);
    h.key_press(egui::Key::F5);
    h.run_steps(2);
    assert!(h.state().is_running());
    h.key_press(egui::Key::Escape);
    until_done(&mut h);
    let report = h.state().report().unwrap();
    assert_eq!(report.aborted.as_deref(), Some("cancelled by the operator"));
    h.get_by_label_contains("STOPPED");
}

#[test]
fn a_bad_fault_is_explained_in_the_window() {
    let mut h = workbench("s19jpro", "melt:3");
    h.run_steps(2);
    h.get_by_label("Run full diagnosis (F5)").click();
    h.run_steps(2);
    assert!(!h.state().is_running());
    h.get_by_label_contains("unknown fault kind `melt`");
}

#[test]
fn ctrl_f_finds_a_chip_by_number() {
    let mut h = workbench("s19jpro", "");
    h.run_steps(2);
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::F);
    h.run_steps(1);
    h.get_by_label("Find chip (Ctrl+F)").type_text("77");
    h.run_steps(2);
    assert_eq!(h.state().selected(), Some(77));
}

#[test]
fn hold_power_keeps_the_board_on_until_released() {
    let mut h = workbench("bitaxe-gamma", "");
    h.run_steps(2);
    h.get_by_label("Options").click();
    h.run_steps(2);
    h.get_by_label("Hold power after the run").click();
    h.get_by_label("Run full diagnosis (F5)").click();
    until(&mut h, "the board to be held", Workbench::is_holding);
    assert_eq!(h.state().report().unwrap().verdict, Verdict::Pass);
    h.get_by_label("Board power: ON");
    h.get_by_label_contains("Holding power for probing");
    // Held for longer than the jig's 1 s lease: the worker keeps it alive.
    std::thread::sleep(Duration::from_millis(1300));
    h.run_steps(3);
    assert!(h.state().is_holding(), "{:?}", h.state().error());
    h.get_by_label("Release power").click();
    until(&mut h, "the board to be switched off", Workbench::is_idle);
    h.get_by_label("Board power: off");
    assert!(h.state().error().is_none(), "{:?}", h.state().error());
}

#[test]
fn retesting_the_failed_chips_keeps_the_rest_of_the_result() {
    let mut h = workbench("s19jpro", "weak:10:50");
    h.run_steps(2);
    h.get_by_label("Run full diagnosis (F5)").click();
    until_done(&mut h);
    assert_eq!(h.state().chip_state(10), Some(ChipState::Weak));
    let before = h.state().report().unwrap().chips[3].clone();
    h.get_by_label("Retest failed chips (1) (F6)").click();
    h.run_steps(2);
    assert!(h.state().is_running());
    until(&mut h, "the retest", |w| !w.is_running());
    let report = h.state().report().unwrap();
    // The weak chip is still weak (the board was not repaired); the others keep their results.
    assert_eq!(report.chips[10].state, ChipState::Weak);
    assert_eq!(report.chips[3], before);
    assert_eq!(report.verdict, Verdict::Fail);
    assert_eq!(
        report
            .findings
            .iter()
            .filter(|f| f.kind == diagnosis::FindingKind::WeakChip)
            .count(),
        1
    );
    h.get_by_label("Filter").click();
    h.run_steps(1);
    h.get_by_label("Filter").type_text("Retest");
    h.run_steps(2);
    h.get_by_label_contains("Retest of chips [10] started");
}

#[test]
fn power_on_asks_first_and_the_log_shows_decoded_frames() {
    let mut h = workbench("bitaxe-hex", "");
    h.run_steps(2);
    h.get_by_label("Power on…").click();
    h.run_steps(2);
    assert!(h.state().is_confirming_power(), "the confirmation opens");
    h.get_by_label("Keep it off").click();
    h.run_steps(2);
    assert!(
        h.state().is_idle(),
        "nothing switched on without confirmation"
    );
    h.get_by_label("Power on…").click();
    h.run_steps(2);
    h.get_by_label("Switch on").click();
    until(&mut h, "power on", Workbench::is_holding);
    h.get_by_label("Board power: ON");
    h.get_by_label("Release power").click();
    until(&mut h, "power off", Workbench::is_idle);

    h.get_by_label("Run full diagnosis (F5)").click();
    until_done(&mut h);
    // The log carries the chain traffic, decoded: discovery, addressing, jobs, nonces.
    h.get_by_label("Filter").click();
    h.run_steps(1);
    // Replies only: a job's line names its golden nonce too ("golden nonce 0x…").
    h.get_by_label("Filter").type_text("<- nonce 0x");
    h.run_steps(2);
    assert!(
        h.state().log().iter().any(|l| l.contains("-> job 0x")),
        "jobs are logged"
    );
    assert!(
        h.query_all_by_label_contains("<- nonce 0x").count() > 0,
        "the filtered log shows decoded nonces"
    );
    assert_eq!(
        h.query_all_by_label_contains("-> job").count(),
        0,
        "the filter hides the rest"
    );
    h.get_by_label_contains("lines");
}

#[test]
fn the_firmware_window_shows_both_ways_to_update_the_jig() {
    let mut h = workbench("s19jpro", "");
    h.run_steps(2);
    h.get_by_label_contains("(app bundles hashbench-jig");
    assert!(
        !h.state().update_needed(),
        "the simulated jig speaks the app's protocol"
    );
    h.get_by_label("Jig firmware…").click_accesskit();
    h.run_steps(2);
    h.run_steps(5);
    h.get_by_label_contains("To flash: hashbench-jig");
    // Probe search runs on its own thread and is bounded; here there is no probe.
    until(&mut h, "the probe search to end", |w| {
        !w.firmware().is_searching()
    });
    h.get_by_label_contains("No debug probe connected");
    h.get_by_label_contains("hold the BOOTSEL button");
    // No drive is mounted: the copy button does nothing.
    h.get_by_label("Copy to BOOTSEL drive").click_accesskit();
    h.run_steps(3);
    assert!(h.state().firmware().outcome.is_none() && !h.state().firmware().is_flashing());
}

/// Issue S2 4/7: with the ladder and an aging test ticked, a run tests every chip at 85 % and
/// 110 % of the board's clock and then ages it; the map can colour the chips by clock margin
/// (the chip that misses timing above the board's clock reads 100 %, the rest 110 %) and by
/// their aging error rate, and the aging plot appears.
#[test]
fn the_map_colours_chips_by_clock_margin_and_aging_errors() {
    let settings = Settings {
        model: "bitaxe-hex".into(),
        faults: "margin:2:105".into(),
        source: Source::Simulated,
        ladder: true,
        aging: true,
        aging_minutes: 1,
        ..Settings::default()
    };
    let mut h = Harness::builder()
        .with_size(egui::vec2(1280.0, 800.0))
        .build_eframe(move |cc| Workbench::new(cc, Some(settings)));
    h.run_steps(2);
    h.get_by_label("Run full diagnosis (F5)").click();
    until_done(&mut h);
    let report = h.state().report().unwrap().clone();
    assert_eq!(report.ladder_mhz.len(), 3, "{:?}", report.ladder_mhz);
    assert!(report.aging.is_some());
    h.get_by_label("chip 2: ok");
    h.get_by_label("Clock margin").click();
    h.run_steps(2);
    h.get_by_label("chip 2: margin 100 %");
    h.get_by_label("chip 1: margin 110 %");
    h.get_by_label("Aging errors").click();
    h.run_steps(2);
    h.get_by_label("chip 1: aging errors 0 %");
    h.get_by_label("State").click();
    h.run_steps(2);
    h.get_by_label("chip 2: ok");
}

/// Issue S2 4/7: a chain held at 0 by one chip's return line. The window guides the halving:
/// where to short RO to 1V8 next (highlighted on the map), a count after each short (applied on
/// the simulated board), until it names the chip and selects it; every count is a run.
#[test]
fn guided_halving_converges_on_the_chip_holding_the_return_line() {
    let mut h = workbench("s19jpro", "rostuck:90");
    h.run_steps(2);
    h.get_by_label("Run full diagnosis (F5)").click();
    until_done(&mut h);
    h.get_by_label_contains("Return line held");
    h.get_by_label("Start guided halving").click();
    h.run_steps(2);
    h.get_by_label_contains("Short the RO test point between chips 62 and 63 to 1V8");
    let counts = |w: &Workbench| w.log().iter().filter(|l| l.starts_with("Halving:")).count();
    for n in 1..=7 {
        h.get_by_label_contains("Count (short at chip").click();
        until(&mut h, &format!("count {n}"), |w| {
            !w.is_running() && counts(w) == n
        });
        h.run_steps(2);
    }
    // Said in the halving panel and in the log.
    assert_eq!(
        h.query_all_by_label_contains("Chip 90 holds the return line")
            .count(),
        2
    );
    assert_eq!(h.state().selected(), Some(90));
    assert!(h.query_by_label_contains("Count (short at").is_none());
    // The diagnosis on screen is still the one that found the held line.
    h.get_by_label_contains("Return line held");
}

/// Issue S2 5/7 (sensor census): the map shows every sensor the profile expects at the chip it
/// sits next to, coloured by what the run found, and a line counts them against the profile.
#[test]
fn the_map_shows_each_expected_sensor_and_the_census_names_the_missing_one() {
    let mut h = workbench("s19jpro", "sensor:1");
    h.run_steps(2);
    h.get_by_label_contains("Sensors: 4 expected");
    h.get_by_label("sensor PCB 2: not read yet");
    h.get_by_label("Run full diagnosis (F5)").click();
    until_done(&mut h);
    h.get_by_label_contains("Sensors: 3 of 4 expected answer; missing: PCB 2");
    h.get_by_label("sensor PCB 2: missing");
    h.get_by_label("sensor PCB 1: ok");
}

/// The board's PIC beside the map: a check reports its version, the voltage code read back and
/// the heartbeats the jig sent while it watched.
#[test]
fn the_pic_panel_checks_the_board_pic() {
    let mut h = workbench("s19pro", "");
    h.run_steps(2);
    h.get_by_label("Board PIC").click();
    h.run_steps(2);
    h.get_by_label("Check PIC").click();
    until(&mut h, "the PIC check", |w| {
        w.is_idle() && w.pic_status().is_some()
    });
    let status = *h.state().pic_status().unwrap();
    assert_eq!(status.version, Some(0x89));
    assert!(status.heartbeats >= 2, "{status:?}");
    h.run_steps(2);
    // In the panel, and in the log.
    assert_eq!(h.query_all_by_label(&status.describe()).count(), 2);
}
