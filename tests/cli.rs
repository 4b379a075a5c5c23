//! The `hashbench` command line, run as a user runs it: the real binary, real files.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // Fine for tests: a failure is the report.

mod common;

use common::{fixture, hashbench};

use serde_json::Value;

/// The command succeeds and prints one JSON document; return it.
fn json(args: &[&str]) -> Value {
    let out = hashbench(args);
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// The command fails with exit code 2 and a message on stderr naming every one of `expected`.
fn check_bad_input(args: &[&str], expected: &[&str]) {
    let out = hashbench(args);
    assert_eq!(out.status.code(), Some(2), "{args:?}");
    assert!(out.stdout.is_empty(), "{args:?} printed to stdout");
    let stderr = String::from_utf8_lossy(&out.stderr);
    for needle in expected {
        assert!(
            stderr.contains(needle),
            "{args:?}: stderr `{stderr}` should mention `{needle}`"
        );
    }
}

#[test]
fn decode_the_bm1370_nonce_from_the_issue() {
    let v = json(&[
        "decode",
        "--family",
        "bm1370",
        "--from",
        "chip",
        "--json",
        "AA554C0352750CD205A29C",
    ]);
    let frames = v["frames"].as_array().unwrap();
    assert_eq!(frames.len(), 1);
    let f = &frames[0];
    assert_eq!(f["offset"], 0);
    assert_eq!(f["kind"], "nonce");
    assert_eq!(f["crc_ok"], true);
    assert_eq!(f["nonce"], 0x7552_034C_u32);
    assert_eq!(f["core"], 38);
    assert_eq!(f["job_id"], 0x68);
    assert_eq!(f["subcore"], 2);
    assert_eq!(f["version_bits"], 0x00B4_4000);
    // BM1370 chips sweep offset ranges, so the nonce names no chip by itself.
    assert!(f.get("chip_address").is_none());
}

#[test]
fn decode_a_chip_capture_file_with_line_faults() {
    let file = fixture("decode/bm1370-chip.hex");
    let v = json(&[
        "decode",
        "--family",
        "bm1370",
        "--json",
        "--file",
        file.to_str().unwrap(),
    ]);
    let kinds: Vec<(u64, &str, bool)> = v["frames"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["offset"].as_u64().unwrap(),
                f["kind"].as_str().unwrap(),
                f["crc_ok"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        kinds,
        [
            (0, "register", true),
            (11, "garbage", false),
            (19, "nonce", true),
            (30, "nonce", false)
        ]
    );
    assert_eq!(v["frames"][0]["chip_id"], 0x1370);
    assert_eq!(v["frames"][1]["bytes"], "FF 00 AA 55 4C 03 52 75");
}

#[test]
fn decode_a_host_capture_file() {
    let file = fixture("decode/bm1370-host.hex");
    let v = json(&[
        "decode",
        "--family",
        "bm1370",
        "--from",
        "host",
        "--json",
        "--file",
        file.to_str().unwrap(),
    ]);
    let frames = v["frames"].as_array().unwrap();
    let names: Vec<&str> = frames
        .iter()
        .map(|f| {
            f["command_name"]
                .as_str()
                .unwrap_or(f["kind"].as_str().unwrap())
        })
        .collect();
    assert_eq!(
        names,
        [
            "write_register",
            "write_register",
            "write_register",
            "read_register",
            "chain_inactive",
            "set_address",
            "set_address",
            "set_address",
            "write_register",
            "job"
        ]
    );
    assert!(frames.iter().all(|f| f["crc_ok"] == true));
    assert_eq!(frames[0]["register"], 0xA4);
    assert_eq!(frames[0]["value"], 0x9000_FFFF_u32);
    assert_eq!(frames[0]["broadcast"], true);
    assert_eq!(frames[6]["chip_address"], 2);
    assert_eq!(frames[9]["job_id"], 0x68);
    assert_eq!(frames[9]["nbits"], 0x1702_3A04);
}

#[test]
fn decode_prints_one_line_per_frame() {
    let out = hashbench(&[
        "decode",
        "--family",
        "bm1397",
        "AA 55 13 97 18 00 00 00 06",
        "AA55139718000000",
    ]);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2, "{text}");
    assert!(
        lines[0].contains("register") && lines[0].contains("chip_id=0x1397"),
        "{text}"
    );
    assert!(lines[1].contains("garbage"), "{text}");
}

#[test]
fn decode_refuses_bad_input_with_exit_code_2() {
    check_bad_input(
        &["decode", "--family", "bm1370", "AA 5G"],
        &["argument 1", "column 5", "'G'", "not a hex digit"],
    );
    check_bad_input(&["decode", "--family", "bm1370", "AA5"], &["odd number"]);
    check_bad_input(
        &["decode", "--family", "bm9999", "AA55"],
        &["bm9999", "bm1370"],
    );
    check_bad_input(&["decode", "--family", "bm1370"], &["no bytes to decode"]);
    check_bad_input(
        &[
            "decode",
            "--family",
            "bm1370",
            "--file",
            "/nonexistent/capture.hex",
        ],
        &["/nonexistent/capture.hex"],
    );
}

#[test]
fn profiles_lists_every_model() {
    let v = json(&["profiles", "--json"]);
    let profiles = v["profiles"].as_array().unwrap();
    assert_eq!(profiles.len(), 16);
    let s19jpro = profiles.iter().find(|p| p["id"] == "s19jpro").unwrap();
    assert_eq!(s19jpro["chip_family"], "bm1362");
    assert_eq!(s19jpro["chips"], 126);
    assert_eq!(s19jpro["domains"], 42);
    assert!(
        s19jpro["unverified"]
            .as_array()
            .unwrap()
            .contains(&Value::from("voltage.nominal_mv"))
    );
    // The S19j Pro's chip places are generic; the Bitaxe Hex's come from its PCB file, with
    // its test pads.
    assert_eq!(s19jpro["layout"], "generic");
    assert_eq!(s19jpro["test_pads"], 0);
    let hex = profiles.iter().find(|p| p["id"] == "bitaxe-hex").unwrap();
    assert_eq!(hex["layout"], "pcb");
    assert_eq!(hex["test_pads"], 15);
    assert!(
        !hex["unverified"]
            .as_array()
            .unwrap()
            .contains(&Value::from("layout"))
    );
}

#[test]
fn a_bad_profile_override_is_named() {
    let dir =
        std::env::temp_dir().join(format!("hashbench-cli-bad-profiles-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::copy(
        fixture("profiles/bad-unknown-field.toml"),
        dir.join("mine.toml"),
    )
    .unwrap();
    check_bad_input(
        &["profiles", "--profiles-dir", dir.to_str().unwrap()],
        &["mine.toml", "high_bauds", "unknown field"],
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn flash_lists_what_it_would_flash_and_where() {
    let out = hashbench(&["flash", "--list", "--probe-timeout", "10"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains(&format!(
            "Firmware: hashbench-jig 0.1.0 (protocol {})",
            jig_wire::PROTOCOL_VERSION
        )),
        "{text}"
    );
    assert!(text.contains("built into Hashbench"), "{text}");
    assert!(text.contains("Debug probes: none"), "{text}");
    assert!(text.contains("BOOTSEL drives: none"), "{text}");
}

#[test]
fn flash_copies_the_uf2_to_a_bootsel_drive() {
    let drive = tempfile::tempdir().unwrap();
    std::fs::write(
        drive.path().join("INFO_UF2.TXT"),
        "UF2 Bootloader v3.0\nModel: Raspberry Pi RP2\nBoard-ID: RPI-RP2\n",
    )
    .unwrap();
    let out = hashbench(&["flash", "--uf2", drive.path().to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let uf2 = std::fs::read(drive.path().join("HASHBENCH.UF2")).unwrap();
    assert_eq!(uf2.len() % 512, 0);
    assert_eq!(
        &uf2[..8],
        &[0x55, 0x46, 0x32, 0x0A, 0x57, 0x51, 0x5D, 0x9E],
        "UF2 magic"
    );
}

#[test]
fn flash_refuses_what_it_cannot_do_and_says_why() {
    let not_a_drive = tempfile::tempdir().unwrap();
    let bad = fixture("decode/bm1370-chip.hex");
    check_bad_input(
        &["flash", "--uf2", not_a_drive.path().to_str().unwrap()],
        &["is not an RP2040 BOOTSEL drive", "hold the BOOTSEL button"],
    );
    check_bad_input(
        &["flash", "--uf2"],
        &[
            "no RP2040 BOOTSEL drive (RPI-RP2) is mounted",
            "hold the BOOTSEL button",
        ],
    );
    check_bad_input(
        &["flash", "--file", bad.to_str().unwrap(), "--list"],
        &["bm1370-chip.hex is not a usable jig firmware: it is not an ELF file"],
    );
    check_bad_input(
        &["flash", "--probe", "NOSUCHPROBE", "--probe-timeout", "10"],
        &["no debug probe with serial NOSUCHPROBE"],
    );
}
