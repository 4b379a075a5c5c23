//! The jig path end to end: a simulated jig served on a pseudo-terminal by `hashbench sim`, and
//! `hashbench diagnose --port` talking to it through the real serial code.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // Fine for tests: a failure is the report.

mod common;

use common::hashbench;

use std::io::{BufRead, BufReader};
use std::process::{Child, Output, Stdio};
use std::time::Duration;

use diagnosis::Jig;
use serde_json::Value;

/// A running `hashbench sim`, killed when dropped.
struct Served {
    child: Child,
    path: String,
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn serve(args: &[&str]) -> Served {
    let mut child = common::command()
        .arg("sim")
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let path = line.trim().to_owned();
    assert!(path.starts_with("/dev/"), "sim printed `{path}`");
    Served { child, path }
}

/// `hashbench diagnose --port <served> --model <model> --json` (the EEPROM names a chip family
/// that several profiles share, so the profile is given).
fn diagnose_on(served: &Served, model: &str) -> Output {
    hashbench(&[
        "diagnose",
        "--port",
        &served.path,
        "--model",
        model,
        "--json",
    ])
}

fn json(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)))
}

/// Issue S2 2/7's goal: through the pty, a healthy S19j Pro and S19 Pro run leaves the jig with
/// a main loop that never stalled past 10 ms (USB poll and watchdog) and no byte lost anywhere.
#[test]
fn a_healthy_run_through_the_port_keeps_the_jig_loop_under_10_ms_and_loses_nothing() {
    for model in ["s19jpro", "s19pro"] {
        let served = serve(&["--model", model]);
        let out = diagnose_on(&served, model);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{model}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let jig = &json(&out)["jig"];
        assert_eq!(
            jig["protocol"],
            jig_wire::PROTOCOL_VERSION,
            "{model}: {jig}"
        );
        let gap = jig["worst_loop_gap_us"].as_u64().unwrap();
        assert!(gap > 0 && gap <= 10_000, "{model}: worst loop gap {gap} µs");
        for counter in ["rx_dropped_bytes", "uart_errors", "usb_dropped"] {
            assert_eq!(jig[counter], 0, "{model}: {counter} in {jig}");
        }
    }
}

/// The APW12's output set over its I2C moves the board's stack: 12.5 V over an S19 Pro's 38
/// domains is 329 mV a domain (bitcrane's APW protocol, modelled in the simulator).
#[test]
fn the_supply_voltage_set_over_i2c_is_what_the_domains_share() {
    let served = serve(&["--model", "s19pro"]);
    let set = hashbench(&["jig", "supply", "--port", &served.path, "--mv", "12500"]);
    assert!(
        set.status.success(),
        "{}",
        String::from_utf8_lossy(&set.stderr)
    );
    let report = json(&diagnose_on(&served, "s19pro"));
    let domains = report["domains"].as_array().unwrap();
    let mean = domains
        .iter()
        .map(|d| d["voltage_mv"].as_f64().unwrap())
        .sum::<f64>()
        / domains.len() as f64;
    assert!(
        (mean - 12_500.0 / 38.0).abs() < 4.0,
        "mean domain {mean} mV"
    );
    let refused = hashbench(&["jig", "supply", "--port", &served.path, "--mv", "16000"]);
    assert_eq!(refused.status.code(), Some(2));
}

/// A Bitaxe's core rail set through its regulator is what the chip runs at: a Gamma (TPS546)
/// at 1,150 mV and a Max (DS4432U) at 1,400 mV (ESP-Miner's defaults).
#[test]
fn the_bitaxe_core_rail_is_set_through_its_regulator() {
    for (model, regulator, mv) in [
        ("bitaxe-gamma", "tps546", 1_150.0),
        ("bitaxe-max", "ds4432u", 1_400.0),
    ] {
        let served = serve(&["--model", model]);
        let set = hashbench(&[
            "jig",
            "core",
            "--port",
            &served.path,
            "--regulator",
            regulator,
            "--mv",
            &format!("{mv}"),
        ]);
        assert!(
            set.status.success(),
            "{model}: {}",
            String::from_utf8_lossy(&set.stderr)
        );
        let report = json(&diagnose_on(&served, model));
        let core = report["domains"][0]["voltage_mv"].as_f64().unwrap();
        assert!(
            (core - mv).abs() < 10.0,
            "{model}: the core reads {core} mV, set {mv}"
        );
    }
}

/// Issue S2 2/7: per-tap calibration against a reference, kept on the jig; goal ±10 mV.
#[test]
fn calibrating_an_uncalibrated_jig_brings_every_tap_within_10_mv() {
    let served = serve(&[
        "--model",
        "s19pro",
        "--uncalibrated",
        "--calibration-plug",
        "13600",
    ]);
    let check = hashbench(&[
        "jig",
        "calibrate",
        "--port",
        &served.path,
        "--reference-mv",
        "13600",
        "--check",
    ]);
    let text = String::from_utf8_lossy(&check.stdout).to_string();
    assert!(
        check.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&check.stderr)
    );
    let worst = |text: &str, after: &str| -> u32 {
        text.split(after)
            .nth(1)
            .unwrap()
            .split_whitespace()
            .next()
            .unwrap()
            .parse()
            .unwrap()
    };
    let uncorrected = worst(&text, "worst error ");
    assert!(uncorrected > 10, "0.1 % dividers at 13.6 V: {text}");
    let cal = hashbench(&[
        "jig",
        "calibrate",
        "--port",
        &served.path,
        "--reference-mv",
        "13600",
    ]);
    let text = String::from_utf8_lossy(&cal.stdout).to_string();
    assert!(cal.status.success(), "{text}");
    assert!(worst(&text, "every tap reads within ") <= 10, "{text}");
    // Without the plug, a calibration finds no tap on the reference and says so.
    drop(served);
    let bare = serve(&["--model", "s19pro", "--uncalibrated"]);
    let none = hashbench(&[
        "jig",
        "calibrate",
        "--port",
        &bare.path,
        "--reference-mv",
        "13600",
    ]);
    assert_eq!(none.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&none.stderr).contains("calibration plug"));
}

#[test]
fn a_diagnosis_through_the_port_matches_the_in_process_one() {
    let served = serve(&["--model", "s19jpro", "--fault", "dead:5"]);
    // The EEPROM (X19 layout) names the chip family, which two profiles share: the technician
    // is asked to pick, never given a guess.
    let unsure = hashbench(&["diagnose", "--port", &served.path, "--json"]);
    assert_eq!(unsure.status.code(), Some(3));
    let why = String::from_utf8_lossy(&unsure.stderr);
    assert!(
        why.contains("chip family bm1362") && why.contains("s19jpro, s19jpro120"),
        "{why}"
    );
    let port = diagnose_on(&served, "s19jpro");
    let direct = hashbench(&[
        "diagnose", "--sim", "s19jpro", "--fault", "dead:5", "--json",
    ]);
    assert_eq!(
        port.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&port.stderr)
    );
    assert_eq!(direct.status.code(), Some(1));
    let (a, b) = (json(&port), json(&direct));
    assert_eq!(a["verdict"], b["verdict"]);
    assert_eq!(
        a["board"]["serial"], b["board"]["serial"],
        "the serial read from its EEPROM"
    );
    let states = |v: &Value| {
        v["chips"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["state"].clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(states(&a), states(&b));
    assert_eq!(a["findings"], b["findings"]);
    assert_eq!(a["timing"]["wire_bytes"], b["timing"]["wire_bytes"]);
    assert!(
        a["provenance"]["jig_firmware"]
            .as_str()
            .unwrap()
            .starts_with("hashbench-sim")
    );
}

#[test]
fn a_port_that_is_no_jig_is_refused_with_exit_code_3() {
    // A terminal pair with nothing answering at the other end.
    let (_master, slave) = serialport::TTYPort::pair().unwrap();
    let path = serialport::SerialPort::name(&slave).unwrap();
    let out = hashbench(&["diagnose", "--port", &path, "--model", "s19jpro"]);
    assert_eq!(out.status.code(), Some(3));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("does not answer as a Hashbench jig"),
        "{stderr}"
    );
    let out = hashbench(&[
        "diagnose",
        "--port",
        "/dev/hashbench-no-such-port",
        "--model",
        "s19jpro",
    ]);
    assert_eq!(out.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot open the jig port"));
}

#[test]
fn a_silent_host_loses_the_lease_and_is_told_why_on_reconnect() {
    let served = serve(&["--model", "bitaxe-gamma"]);
    let open = || {
        link::Client::connect(
            link::SerialTransport::open(&served.path).unwrap(),
            Duration::from_secs(3),
        )
        .unwrap()
    };
    let mut jig = open();
    jig.set_power(true).unwrap();
    let t = jig.now_us().unwrap();
    let mut rx = Vec::new();
    jig.wait_until(t + 10_000, &mut rx).unwrap();
    // The host stalls for longer than the 1 s lease.
    std::thread::sleep(Duration::from_millis(1600));
    drop(jig);
    let mut again = open();
    assert_eq!(
        again.trip().map(|(reason, _)| reason),
        Some(jig_wire::TripReason::LeaseExpired)
    );
    let t = again.now_us().unwrap();
    let err = again.wait_until(t + 1000, &mut rx).unwrap_err();
    assert!(err.to_string().contains("lease"), "{err}");
}

#[test]
fn ports_probe_finds_a_jig_that_is_not_a_usb_device() {
    let served = serve(&["--model", "bitaxe-hex"]);
    let listed = hashbench(&["ports", "--json"]);
    assert!(listed.status.success());
    // A pseudo-terminal is not listed by USB ids; probing it directly answers the handshake.
    let firmware = hashbench::serve::probe(&served.path).expect("the simulated jig answers");
    assert!(firmware.starts_with("hashbench-sim"), "{firmware}");
    let (_master, slave) = serialport::TTYPort::pair().unwrap();
    assert_eq!(
        hashbench::serve::probe(&serialport::SerialPort::name(&slave).unwrap()),
        None
    );
}
