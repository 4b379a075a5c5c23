//! `hashbench diagnose` as a user runs it: the JSON contract, the summary and the exit codes.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // Fine for tests: a failure is the report.

mod common;

use common::hashbench;

use std::collections::BTreeSet;

use serde_json::Value;

/// Run `diagnose --json` with `args`, check the exit code, return the object.
fn diagnose_json(args: &[&str], code: i32) -> Value {
    let mut all = vec!["diagnose", "--json"];
    all.extend_from_slice(args);
    let out = hashbench(&all);
    assert_eq!(
        out.status.code(),
        Some(code),
        "{all:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// `value` is an object with exactly these keys.
fn check_keys(value: &Value, keys: &[&str]) {
    let got: BTreeSet<&str> = value
        .as_object()
        .unwrap_or_else(|| panic!("not an object: {value}"))
        .keys()
        .map(String::as_str)
        .collect();
    let want: BTreeSet<&str> = keys.iter().copied().collect();
    assert_eq!(got, want, "keys of {value}");
}

/// `value` is one of `allowed` strings.
fn check_enum(value: &Value, allowed: &[&str]) {
    let s = value
        .as_str()
        .unwrap_or_else(|| panic!("not a string: {value}"));
    assert!(allowed.contains(&s), "{s} is not one of {allowed:?}");
}

fn check_indices(value: &Value) {
    assert!(
        value.as_array().unwrap().iter().all(Value::is_u64),
        "not a list of indices: {value}"
    );
}

/// Every field of the contract, with its type and allowed values.
fn check_contract(v: &Value) {
    check_keys(
        v,
        &[
            "model",
            "chip_family",
            "verdict",
            "chips_expected",
            "chips_found",
            "chips",
            "domains",
            "sensors",
            "findings",
            "timing",
            "provenance",
            "jig",
            "board",
        ],
    );
    assert!(v["model"].is_string() && v["chip_family"].is_string());
    check_enum(&v["verdict"], &["pass", "fail", "inconclusive"]);
    assert!(v["chips_expected"].is_u64() && v["chips_found"].is_u64());
    let chips = v["chips"].as_array().unwrap();
    assert_eq!(chips.len() as u64, v["chips_expected"].as_u64().unwrap());
    for (i, c) in chips.iter().enumerate() {
        check_keys(
            c,
            &[
                "index",
                "address",
                "domain",
                "state",
                "patterns",
                "golden",
                "hw_errors",
                "temp_c",
            ],
        );
        assert_eq!(c["index"].as_u64(), Some(i as u64));
        assert!(c["address"].is_u64() || c["address"].is_null());
        assert!(
            c["domain"].is_u64()
                && c["patterns"].is_u64()
                && c["golden"].is_u64()
                && c["hw_errors"].is_u64()
        );
        assert!(c["temp_c"].is_number() || c["temp_c"].is_null());
        check_enum(
            &c["state"],
            &[
                "ok",
                "weak",
                "dead",
                "missing",
                "hw_errors",
                "inconclusive",
                "untested",
            ],
        );
    }
    for d in v["domains"].as_array().unwrap() {
        // `loaded_mv`: the worst reading while the chips hashed (absent when no work was sent).
        if d.get("loaded_mv").is_some() {
            check_keys(d, &["index", "voltage_mv", "state", "loaded_mv"]);
            assert!(d["loaded_mv"].is_u64());
        } else {
            check_keys(d, &["index", "voltage_mv", "state"]);
        }
        assert!(d["index"].is_u64() && d["voltage_mv"].is_u64());
        check_enum(&d["state"], &["ok", "low", "high", "short", "open"]);
    }
    for s in v["sensors"].as_array().unwrap() {
        check_keys(s, &["name", "temp_c", "state"]);
        assert!(s["name"].is_string() && (s["temp_c"].is_number() || s["temp_c"].is_null()));
        check_enum(&s["state"], &["ok", "missing", "implausible"]);
    }
    for f in v["findings"].as_array().unwrap() {
        check_keys(
            f,
            &["kind", "chips", "domains", "suspects", "message", "hint"],
        );
        check_enum(
            &f["kind"],
            &[
                "chain_break",
                "dead_chip",
                "weak_chip",
                "hw_errors",
                "domain_short",
                "domain_voltage",
                "sensor_missing",
                "wrong_chip_id",
                "marginal_high_baud",
                "intermittent",
                "overtemp",
            ],
        );
        check_indices(&f["chips"]);
        check_indices(&f["domains"]);
        check_indices(&f["suspects"]);
        assert!(f["message"].is_string() && f["hint"].is_string());
    }
    check_keys(
        &v["timing"],
        &["duration_s", "wire_bytes", "baud", "wire_bound_s"],
    );
    assert!(v["timing"]["duration_s"].is_f64() && v["timing"]["wire_bound_s"].is_f64());
    assert!(v["timing"]["wire_bytes"].is_u64() && v["timing"]["baud"].is_u64());
    check_keys(
        &v["provenance"],
        &[
            "app_version",
            "pattern_set",
            "profile",
            "seed",
            "jig_firmware",
            "run_id",
        ],
    );
    // The run's own identity: two runs of one simulated board and seed are two runs.
    assert!(
        v["provenance"]["run_id"]
            .as_str()
            .is_some_and(|id| !id.is_empty())
    );
    assert_eq!(
        v["provenance"]["pattern_set"],
        "3bd670a2cf4d218f925a55fb5a17fe7233fb3fcfc8c806296c4c27a5523c863e"
    );
    assert!(v["provenance"]["seed"].is_u64() || v["provenance"]["seed"].is_null());
    check_keys(
        &v["jig"],
        &[
            "firmware",
            "protocol",
            "worst_loop_gap_us",
            "rx_dropped_bytes",
            "uart_errors",
            "usb_dropped",
        ],
    );
    assert!(v["jig"]["firmware"].is_string() && v["jig"]["protocol"].is_u64());
    check_keys(&v["board"], &["serial", "board_code", "pic"]);
    if !v["board"]["pic"].is_null() {
        check_keys(&v["board"]["pic"], &["version"]);
    }
    for counter in [
        "worst_loop_gap_us",
        "rx_dropped_bytes",
        "uart_errors",
        "usb_dropped",
    ] {
        assert!(v["jig"][counter].is_u64() || v["jig"][counter].is_null());
    }
}

#[test]
fn a_healthy_board_passes_with_exit_code_0() {
    let v = diagnose_json(&["--sim", "s19jpro", "--seed", "3"], 0);
    check_contract(&v);
    assert_eq!(v["verdict"], "pass");
    assert_eq!(v["model"], "s19jpro");
    assert_eq!(v["chip_family"], "bm1362");
    assert_eq!(v["chips_found"], 126);
    assert_eq!(v["findings"].as_array().unwrap().len(), 0);
    assert_eq!(v["provenance"]["seed"], 3);
    assert_eq!(v["provenance"]["profile"], "s19jpro@1");
    assert_eq!(v["timing"]["baud"], 3_125_000);
}

#[test]
fn a_chain_break_fails_with_exit_code_1_and_names_its_suspects() {
    let v = diagnose_json(
        &[
            "--sim", "s19jpro", "--fault", "break:40", "--fault", "dead:5",
        ],
        1,
    );
    check_contract(&v);
    assert_eq!(v["verdict"], "fail");
    assert_eq!(v["chips_found"], 40);
    let findings = v["findings"].as_array().unwrap();
    let brk = findings
        .iter()
        .find(|f| f["kind"] == "chain_break")
        .unwrap();
    assert_eq!(brk["suspects"], serde_json::json!([40, 39]));
    assert!(
        findings
            .iter()
            .any(|f| f["kind"] == "dead_chip" && f["chips"] == serde_json::json!([5]))
    );
    assert_eq!(v["chips"][5]["state"], "dead");
    assert_eq!(v["chips"][40]["state"], "missing");
}

#[test]
fn the_baud_rate_can_be_chosen() {
    let v = diagnose_json(&["--sim", "bitaxe-gamma", "--baud", "115200"], 0);
    check_contract(&v);
    assert_eq!(v["timing"]["baud"], 115_200);
}

#[test]
fn the_summary_shows_the_verdict_the_map_and_the_findings() {
    let out = hashbench(&["diagnose", "--sim", "s19jpro", "--fault", "break:40"]);
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("Verdict: FAIL"), "{text}");
    assert!(text.contains("chips found 40 of 126"), "{text}");
    assert!(text.contains("Board map"), "{text}");
    assert!(
        text.contains(" M*"),
        "the first missing chip is marked as a suspect: {text}"
    );
    assert!(text.contains("[chain_break]"), "{text}");
}

/// `diagnose` cannot run: exit code 3, a message naming the problem, nothing on stdout.
fn check_could_not_run(args: &[&str], expected: &[&str]) {
    let out = hashbench(args);
    assert_eq!(out.status.code(), Some(3), "{args:?}");
    assert!(out.stdout.is_empty());
    let stderr = String::from_utf8_lossy(&out.stderr);
    for needle in expected {
        assert!(
            stderr.contains(needle),
            "{args:?}: `{stderr}` should mention `{needle}`"
        );
    }
}

#[test]
fn a_diagnosis_that_cannot_run_exits_3() {
    check_could_not_run(
        &["diagnose", "--sim", "s99"],
        &["unknown board profile `s99`", "s19jpro"],
    );
    check_could_not_run(
        &["diagnose", "--sim", "s19jpro", "--fault", "dead:126"],
        &["dead:126", "chip 126 does not exist"],
    );
    check_could_not_run(
        &["diagnose", "--sim", "s19jpro", "--fault", "melt:1"],
        &["unknown fault kind"],
    );
    check_could_not_run(&["diagnose"], &["--sim"]);
    check_could_not_run(
        &["diagnose", "--sim", "s19jpro", "--seed", "minus-one"],
        &["minus-one"],
    );
}
