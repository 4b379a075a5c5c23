//! Captures checked by an independent reader: for every board profile, a simulated diagnosis is
//! captured with `hashbench diagnose --capture`, and this file, written from the sources alone
//! (ESP-Miner `bm13xx.h`/`mining.c`/`bm1397.py`, mujina REFERENCE.md; no Hashbench decoder),
//! checks what a real chain would receive:
//! - every job frame's CRC16, and the block it rebuilds: a real mainnet header (in the shipped
//!   set) whose proof of work holds, so the job is winnable; full-header jobs carry the block's
//!   version with the rolled bits 28-13 clear, and the block's own rolled bits are reached in the
//!   first version batch; midstate jobs carry the block's midstate, H7 … H0 big-endian;
//! - BM136x chains are opened: MISC_CONTROL report enables and the core enable 0x800082AA for
//!   every chip that answered, after a soft-reset write;
//! - the PLL ramps in 6.25 MHz steps from the reset clock to the profile's frequency;
//! - `hashbench decode --capture` reads the capture back.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // Fine for tests: a failure is the report.

mod common;

use std::collections::{BTreeSet, HashMap};

use serde_json::Value;
use sha2::{Digest, Sha256};

/// One line of a capture, read with serde_json only.
struct Line {
    dir: String,
    bytes: Vec<u8>,
}

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

fn read_capture(path: &std::path::Path) -> (Value, Vec<Line>) {
    let text = std::fs::read_to_string(path).unwrap();
    let mut lines = text.lines();
    let header: Value = serde_json::from_str(lines.next().unwrap()).unwrap();
    let frames = lines
        .map(|l| {
            let v: Value = serde_json::from_str(l).unwrap();
            Line {
                dir: v["dir"].as_str().unwrap().to_owned(),
                bytes: unhex(v["hex"].as_str().unwrap()),
            }
        })
        .collect();
    (header, frames)
}

/// CRC-16/CCITT-FALSE (ESP-Miner `crc16_false`).
fn crc16(bytes: &[u8]) -> u16 {
    let mut crc: u16 = 0xFFFF;
    for &b in bytes {
        crc ^= u16::from(b) << 8;
        for _ in 0..8 {
            crc = if crc & 0x8000 != 0 {
                (crc << 1) ^ 0x1021
            } else {
                crc << 1
            };
        }
    }
    crc
}

fn sha256d(bytes: &[u8]) -> [u8; 32] {
    Sha256::digest(Sha256::digest(bytes)).into()
}

/// Proof of work: the hash, read little-endian, at most the nBits target.
fn meets_nbits(header: &[u8; 80]) -> bool {
    let hash = sha256d(header);
    let nbits = u32::from_le_bytes([header[72], header[73], header[74], header[75]]);
    let exponent = (nbits >> 24) as usize;
    let mantissa = nbits & 0x00FF_FFFF;
    let mut target = [0u8; 32]; // big-endian
    for (i, b) in mantissa.to_be_bytes()[1..].iter().enumerate() {
        let at = 32 + i;
        if at >= exponent && at - exponent < 32 {
            target[at - exponent] = *b;
        }
    }
    let mut big = hash;
    big.reverse();
    big <= target
}

/// The SHA-256 state after the first 64 bytes, from the `sha2` block function.
fn midstate(first: &[u8]) -> [u32; 8] {
    let mut state = [
        0x6a09_e667,
        0xbb67_ae85,
        0x3c6e_f372,
        0xa54f_f53a,
        0x510e_527f,
        0x9b05_688c,
        0x1f83_d9ab,
        0x5be0_cd19,
    ];
    let mut block = [0u8; 64];
    block.copy_from_slice(&first[..64]);
    sha2::block_api::compress256(&mut state, &[block]);
    state
}

/// The shipped mainnet header set, by what a job carries in clear.
struct Blocks {
    by_prev_merkle: HashMap<Vec<u8>, [u8; 80]>,
    by_tail: HashMap<Vec<u8>, Vec<[u8; 80]>>,
}

fn blocks() -> Blocks {
    let mut by_prev_merkle = HashMap::new();
    let mut by_tail: HashMap<Vec<u8>, Vec<[u8; 80]>> = HashMap::new();
    for r in patterns::HeaderSet::mainnet().records() {
        by_prev_merkle.insert(r.header[4..68].to_vec(), r.header);
        by_tail
            .entry(r.header[64..76].to_vec())
            .or_default()
            .push(r.header);
    }
    Blocks {
        by_prev_merkle,
        by_tail,
    }
}

/// What a chain of this family must be sent, from the sources.
struct Family {
    name: String,
    preamble: bool,
    full_header: bool,
    /// Version slots a core hashes in one batch (mujina "The Parallel Hierarchy").
    slots: u32,
    pll_register: u8,
}

fn family(name: &str) -> Family {
    let (full_header, slots) = match name {
        "bm1362" | "bm1366" => (true, 8),
        "bm1368" | "bm1370" => (true, 16),
        _ => (false, 1),
    };
    Family {
        name: name.to_owned(),
        preamble: name != "bm1387",
        full_header,
        slots,
        pll_register: if name == "bm1387" { 0x0C } else { 0x08 },
    }
}

/// A register write seen on the wire: (broadcast, chip address, register, value).
type Write = (bool, u8, u8, u32);

/// Check every job of a capture; returns (jobs, register writes).
fn check_jobs(f: &Family, blocks: &Blocks, lines: &[Line]) -> (usize, Vec<Write>) {
    let mut jobs = 0;
    let mut writes = Vec::new();
    for line in lines.iter().filter(|l| l.dir == "tx") {
        let body = if f.preamble {
            assert_eq!(line.bytes[..2], [0x55, 0xAA], "{}: preamble", f.name);
            &line.bytes[2..]
        } else {
            &line.bytes[..]
        };
        let header = body[0];
        if header >> 5 & 3 == 2 {
            // A command: header, length, address, register, value.
            let write_code = if f.name == "bm1387" { 8 } else { 1 };
            if header & 0x0F == write_code {
                let v = u32::from_be_bytes([body[4], body[5], body[6], body[7]]);
                writes.push((header & 0x10 != 0, body[2], body[3], v));
            }
            continue;
        }
        assert_eq!(
            header, 0x21,
            "{}: not a job or command: {:02X?}",
            f.name, line.bytes
        );
        jobs += 1;
        let n = body.len();
        assert_eq!(
            u16::from_be_bytes([body[n - 2], body[n - 1]]),
            crc16(&body[..n - 2]),
            "{}: job CRC16",
            f.name
        );
        if f.full_header {
            assert_eq!(n, 86, "{}: full-header job length", f.name);
            // Merkle root and previous hash with their 4-byte words in reverse order.
            let mut prev_merkle = Vec::new();
            for field in [&body[48..80], &body[16..48]] {
                for w in (0..8).rev() {
                    prev_merkle.extend_from_slice(&field[w * 4..w * 4 + 4]);
                }
            }
            let block = blocks
                .by_prev_merkle
                .get(&prev_merkle)
                .unwrap_or_else(|| panic!("{}: a job rebuilds no mainnet block", f.name));
            assert_eq!(body[8..12], block[72..76], "{}: nBits", f.name);
            assert_eq!(body[12..16], block[68..72], "{}: nTime", f.name);
            let sent = u32::from_le_bytes([body[80], body[81], body[82], body[83]]);
            let version = u32::from_le_bytes([block[0], block[1], block[2], block[3]]);
            assert_eq!(
                sent & 0x1FFF_E000,
                0,
                "{}: a job carries rolled version bits",
                f.name
            );
            assert_eq!(
                sent,
                version & !0x1FFF_E000,
                "{}: the block's version",
                f.name
            );
            assert!(
                (version & 0x1FFF_E000) >> 13 < f.slots,
                "{}: the block's version is not reached in the first batch",
                f.name
            );
            assert!(meets_nbits(block), "{}: not winnable", f.name);
        } else {
            let count = usize::from(body[3]);
            assert_eq!(n, 20 + 32 * count + 2, "{}: midstate job length", f.name);
            // nBits, nTime, merkle tail as they sit in the header.
            let mut tail = body[16..20].to_vec();
            tail.extend_from_slice(&body[12..16]);
            tail.extend_from_slice(&body[8..12]);
            let candidates = blocks
                .by_tail
                .get(&tail)
                .unwrap_or_else(|| panic!("{}: a job's tail is no mainnet block's", f.name));
            let mut wire = [0u32; 8];
            for (k, chunk) in body[20..52].as_chunks::<4>().0.iter().enumerate() {
                wire[7 - k] = u32::from_be_bytes(*chunk);
            }
            let block = candidates
                .iter()
                .find(|b| midstate(&b[..64]) == wire)
                .unwrap_or_else(|| panic!("{}: the midstate is no block's (H7..H0 BE)", f.name));
            assert!(meets_nbits(block), "{}: not winnable", f.name);
        }
    }
    (jobs, writes)
}

/// The frequency a PLL word sets, MHz (mujina 0x08; gekko's BM1387 word).
fn pll_mhz(f: &Family, v: u32) -> f64 {
    let fb = f64::from((v >> 16) & 0xFFF);
    let refdiv = f64::from((v >> 8) & 0x3F);
    let (p1, p2) = if f.full_header {
        (f64::from((v >> 4 & 7) + 1), f64::from((v & 7) + 1))
    } else {
        (f64::from(v >> 4 & 0xF), f64::from(v & 0xF))
    };
    25.0 * fb / (refdiv * p1 * p2)
}

fn check_bring_up(f: &Family, writes: &[Write], profile_mhz: f64, chips: usize) {
    let pll: Vec<f64> = writes
        .iter()
        .filter(|w| w.0 && w.2 == f.pll_register)
        .map(|w| pll_mhz(f, w.3))
        .collect();
    assert!(!pll.is_empty(), "{}: no PLL write", f.name);
    let mut from = 50.0; // the reset clock ESP-Miner assumes
    for mhz in &pll {
        if (*mhz - 50.0).abs() < 6.25 + 1e-6 {
            from = 50.0; // a ramp starts again after a reset
        }
        assert!(
            (mhz - from).abs() <= 6.25 + 0.02 * mhz,
            "{}: PLL jumps from {from} to {mhz} MHz",
            f.name
        );
        from = *mhz;
    }
    let last = pll.last().unwrap();
    assert!(
        (last - profile_mhz).abs() <= profile_mhz * 0.01,
        "{}: ends at {last}",
        f.name
    );
    if f.full_header {
        let opened: BTreeSet<u8> = writes
            .iter()
            .filter(|w| !w.0 && w.2 == 0x18 && w.3 & 0xF000_0000 != 0)
            .map(|w| w.1)
            .collect();
        let enabled: BTreeSet<u8> = writes
            .iter()
            .filter(|w| !w.0 && w.2 == 0x3C && w.3 == 0x8000_82AA)
            .map(|w| w.1)
            .collect();
        assert!(
            opened.len() >= chips,
            "{}: report enables on {opened:?}",
            f.name
        );
        assert_eq!(opened, enabled, "{}: core enable", f.name);
        assert!(
            writes.iter().any(|w| w.2 == 0xA8),
            "{}: no soft-reset write",
            f.name
        );
        assert!(
            writes
                .iter()
                .any(|w| w.0 && w.2 == 0xA4 && w.3 == 0x9000_FFFF),
            "{}: version rolling",
            f.name
        );
    }
}

/// The profile's hash clock, from its TOML file (`frequency_mhz = { value = 525.0, ... }`).
fn profile_mhz(id: &str) -> f64 {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../assets/boards")
        .join(format!("{id}.toml"));
    let text = std::fs::read_to_string(path).unwrap();
    let line = text
        .lines()
        .find(|l| l.starts_with("frequency_mhz"))
        .unwrap();
    let value = line.split("value = ").nth(1).unwrap();
    value.split(',').next().unwrap().trim().parse().unwrap()
}

#[test]
fn every_profile_sends_winnable_jobs_and_a_real_bring_up() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("records.db");
    let profiles: Value =
        serde_json::from_slice(&common::hashbench(&["profiles", "--json"]).stdout).unwrap();
    let blocks = blocks();
    let profiles = profiles["profiles"].as_array().unwrap();
    assert_eq!(profiles.len(), 16);
    for (k, p) in profiles.iter().enumerate() {
        let id = p["id"].as_str().unwrap();
        let path = dir.path().join(format!("{id}.jsonl"));
        // Odd and even seeds: the simulated chips roll versions by OR on one, replace on the other.
        let seed = (k + 1).to_string();
        let out = common::hashbench(&[
            "--db",
            db.to_str().unwrap(),
            "diagnose",
            "--sim",
            id,
            "--seed",
            &seed,
            "--capture",
            path.to_str().unwrap(),
        ]);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{id}: {}",
            String::from_utf8_lossy(&out.stdout)
        );
        let (header, lines) = read_capture(&path);
        assert_eq!(header["capture"], 1);
        assert_eq!(header["profile"], id);
        let f = family(header["family"].as_str().unwrap());
        let (jobs, writes) = check_jobs(&f, &blocks, &lines);
        assert!(jobs > 0, "{id}: no job");
        let mhz = profile_mhz(id);
        let chips = p["chips"].as_u64().unwrap() as usize;
        check_bring_up(&f, &writes, mhz, chips);
        assert!(
            lines.iter().any(|l| l.dir == "rx"),
            "{id}: no reply captured"
        );

        let decoded = common::hashbench(&["decode", "--capture", path.to_str().unwrap(), "--json"]);
        assert_eq!(
            decoded.status.code(),
            Some(0),
            "{id}: {}",
            String::from_utf8_lossy(&decoded.stderr)
        );
        let decoded: Value = serde_json::from_slice(&decoded.stdout).unwrap();
        let frames = decoded["frames"].as_array().unwrap();
        assert_eq!(
            frames.iter().filter(|f| f["kind"] == "job").count(),
            jobs,
            "{id}"
        );
        assert!(
            frames
                .iter()
                .all(|f| f["crc_ok"] == true || f["kind"] == "garbage")
        );
    }
}

#[test]
fn a_bad_capture_is_named_with_its_line() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.jsonl");
    std::fs::write(
        &path,
        "{\"capture\": 1, \"family\": \"bm1370\", \"profile\": \"x\", \"app_version\": \"hand\"}\n{\"t_us\": 1, \"dir\": \"tx\", \"hex\": \"55ZZ\"}\n",
    )
    .unwrap();
    let out = common::hashbench(&["decode", "--capture", path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("line 2") && err.contains("ZZ"), "{err}");
}
