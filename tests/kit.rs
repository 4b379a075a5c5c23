//! The builder's kit: `firmware-test-jig/kit/netlist.toml` is the jig's one schematic source.
//! This test checks it (every pin of every part on exactly one net, every net joining two pins
//! or more, the RP2040's GPIOs exactly those the firmware drives, the supply enable on the pin
//! the panic handler cuts) and draws `schematic.svg` from it; a drawing that differs from the
//! committed one fails (`HASHBENCH_BLESS=1` redraws it).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // Fine for tests: a failure is the report.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

#[derive(Debug, serde::Deserialize)]
struct Netlist {
    part: Vec<Part>,
    nets: BTreeMap<String, Vec<String>>,
}

#[derive(Debug, serde::Deserialize)]
struct Part {
    #[serde(rename = "ref")]
    reference: String,
    value: String,
    rating: String,
    pins: Vec<String>,
}

fn kit() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../firmware-test-jig/kit")
}

fn netlist() -> Netlist {
    toml::from_str(&std::fs::read_to_string(kit().join("netlist.toml")).unwrap()).unwrap()
}

/// Every problem with the netlist, as sentences.
fn problems(n: &Netlist) -> Vec<String> {
    let mut out = Vec::new();
    let mut pins: BTreeMap<String, usize> = BTreeMap::new();
    let mut refs = BTreeSet::new();
    for p in &n.part {
        if !refs.insert(p.reference.clone()) {
            out.push(format!("{} is listed twice", p.reference));
        }
        for pin in &p.pins {
            pins.insert(format!("{}.{pin}", p.reference), 0);
        }
    }
    for (net, members) in &n.nets {
        if members.len() < 2 {
            out.push(format!("net {net} joins {} pin(s)", members.len()));
        }
        for m in members {
            match pins.get_mut(m) {
                Some(count) => *count += 1,
                None => out.push(format!("net {net}: {m} is no pin of a listed part")),
            }
        }
    }
    for (pin, count) in pins {
        if count != 1 {
            out.push(format!("{pin} is on {count} nets"));
        }
    }
    out
}

#[test]
fn the_netlist_is_complete_and_consistent() {
    let n = netlist();
    assert!(problems(&n).is_empty(), "{:#?}", problems(&n));
}

#[test]
fn the_check_catches_a_dangling_pin_and_a_one_pin_net() {
    let mut n = netlist();
    n.nets.insert("ORPHAN".into(), vec!["U1.GP0".into()]);
    n.part[0].pins.push("GP22".into());
    let found = problems(&n);
    assert!(
        found.contains(&"net ORPHAN joins 1 pin(s)".to_owned()),
        "{found:?}"
    );
    assert!(
        found.contains(&"U1.GP0 is on 2 nets".to_owned()),
        "{found:?}"
    );
    assert!(
        found.contains(&"U1.GP22 is on 0 nets".to_owned()),
        "{found:?}"
    );
}

/// The GPIOs the RP2040 firmware takes (`pins.gpioN`), and its supply-enable constant.
fn firmware_gpios() -> (BTreeSet<u32>, u32) {
    let main = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../firmware-test-jig/rp2040/src/main.rs"),
    )
    .unwrap();
    let mut used = BTreeSet::new();
    for piece in main.split("pins.gpio").skip(1) {
        let digits: String = piece.chars().take_while(char::is_ascii_digit).collect();
        used.insert(digits.parse().unwrap());
    }
    let psu = main
        .lines()
        .find_map(|l| l.strip_prefix("const PSU_EN_GPIO: u32 = "))
        .and_then(|v| v.trim_end_matches(';').parse().ok())
        .unwrap();
    (used, psu)
}

#[test]
fn the_rp2040_pins_are_the_firmwares() {
    let n = netlist();
    let mut wired = BTreeSet::new();
    let mut psu_net = None;
    for (net, members) in &n.nets {
        for m in members {
            if let Some(gp) = m.strip_prefix("U1.GP") {
                let gp: u32 = gp.parse().unwrap();
                wired.insert(gp);
                if net == "PSU_EN_N" {
                    psu_net = Some(gp);
                }
            }
        }
    }
    let (used, psu) = firmware_gpios();
    assert_eq!(wired, used, "netlist GPIOs vs the firmware's pins.gpioN");
    assert_eq!(
        psu_net,
        Some(psu),
        "the supply enable is the pin the panic handler cuts"
    );
    // Active low with a pull-up: a jig in reset (pins floating) keeps the supply off.
    assert!(n.nets["PSU_EN_N"].iter().any(|m| m.starts_with("R2.")));
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// The diagram: one box a part (reference, value, rating), each pin labelled with its net, in
/// two columns; parts sharing a net name are joined by that name, as global labels in a
/// schematic.
fn svg(n: &Netlist) -> String {
    let net_of: BTreeMap<&str, &str> = n
        .nets
        .iter()
        .flat_map(|(net, members)| members.iter().map(move |m| (m.as_str(), net.as_str())))
        .collect();
    let (width, column, row, head) = (1200, 590, 16, 54);
    let mut y = [20usize, 20usize];
    let mut body = String::new();
    for p in &n.part {
        let col = usize::from(y[1] < y[0]);
        let x = 10 + col * (column + 10);
        let height = head + row * p.pins.len() + 8;
        let top = y[col];
        let _ = writeln!(
            body,
            r##"<rect x="{x}" y="{top}" width="{column}" height="{height}" fill="#fbfbf8" stroke="#333"/>"##
        );
        let _ = writeln!(
            body,
            r#"<text x="{}" y="{}" font-weight="bold">{} — {}</text>"#,
            x + 8,
            top + 18,
            escape(&p.reference),
            escape(&p.value)
        );
        let _ = writeln!(
            body,
            r##"<text x="{}" y="{}" font-size="11" fill="#555">{}</text>"##,
            x + 8,
            top + 36,
            escape(&p.rating)
        );
        for (i, pin) in p.pins.iter().enumerate() {
            let key = format!("{}.{pin}", p.reference);
            let net = net_of.get(key.as_str()).copied().unwrap_or("(unconnected)");
            let py = top + head + row * i;
            let _ = writeln!(
                body,
                r#"<text x="{}" y="{py}" font-family="monospace" font-size="12">{:<8} ── {}</text>"#,
                x + 16,
                escape(pin),
                escape(net)
            );
        }
        y[col] = top + height + 12;
    }
    let height = y[0].max(y[1]) + 10;
    format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" font-family=\"sans-serif\" font-size=\"13\">\n\
         <rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n{body}</svg>\n"
    )
}

#[test]
fn the_schematic_drawing_is_the_netlists() {
    let drawn = svg(&netlist());
    let path = kit().join("schematic.svg");
    if std::env::var_os("HASHBENCH_BLESS").is_some() {
        std::fs::write(&path, &drawn).unwrap();
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == drawn,
        "firmware-test-jig/kit/schematic.svg is not drawn from netlist.toml: rerun with HASHBENCH_BLESS=1"
    );
}
