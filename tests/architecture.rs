//! Architecture invariants, checked on every test run (see ARCHITECTURE.md):
//! - pure crates never depend, directly or through another crate, on a GUI, serial, database,
//!   async-runtime or other I/O crate;
//! - every crate root opens with a `//!` paragraph saying what it owns and what it does not do;
//! - the simulator uses none of the engine's protocol code (it referees the engine).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // Fine for tests: a failure is the report.

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

/// Crates that must stay pure: no I/O, usable from the no_std firmware or the engine.
/// Add a crate here in the commit that creates it.
const PURE_CRATES: &[&str] = &["bm13xx", "jig-wire", "jig-logic", "patterns", "diagnosis"];

/// Packages a pure crate must never pull in.
const FORBIDDEN: &[&str] = &[
    "egui",
    "eframe",
    "egui_plot",
    "egui_extras",
    "egui_kittest",
    "winit",
    "wgpu",
    "glow",
    "serialport",
    "rusqlite",
    "libsqlite3-sys",
    "postgres",
    "tokio-postgres",
    "native-tls",
    "tokio",
    "mio",
    "async-std",
    "reqwest",
    "directories",
    "rfd",
    "probe-rs",
    "nusb",
    "krilla",
    "plotters",
];

fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn cargo_metadata() -> Value {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let out = Command::new(cargo)
        .args(["metadata", "--format-version", "1", "--locked"])
        .current_dir(workspace_root())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "cargo metadata: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// Names of every package that `root` (a package name) reaches through normal dependencies.
fn normal_closure(metadata: &Value, root: &str) -> BTreeSet<String> {
    let packages = metadata["packages"].as_array().unwrap();
    let name_of: HashMap<&str, &str> = packages
        .iter()
        .map(|p| (p["id"].as_str().unwrap(), p["name"].as_str().unwrap()))
        .collect();
    let nodes: HashMap<&str, &Value> = metadata["resolve"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| (n["id"].as_str().unwrap(), n))
        .collect();
    let root_id = packages
        .iter()
        .find(|p| p["name"] == root)
        .unwrap_or_else(|| panic!("no package {root}"))["id"]
        .as_str()
        .unwrap();
    let mut seen = BTreeSet::new();
    let mut stack = vec![root_id];
    while let Some(id) = stack.pop() {
        for dep in nodes[id]["deps"].as_array().unwrap() {
            let normal = dep["dep_kinds"]
                .as_array()
                .unwrap()
                .iter()
                .any(|k| k["kind"].is_null());
            let dep_id = dep["pkg"].as_str().unwrap();
            if normal && seen.insert(name_of[dep_id].to_owned()) {
                stack.push(dep_id);
            }
        }
    }
    seen
}

/// The forbidden packages in `root`'s normal-dependency closure.
fn violations(metadata: &Value, root: &str) -> Vec<String> {
    normal_closure(metadata, root)
        .into_iter()
        .filter(|name| FORBIDDEN.contains(&name.as_str()))
        .collect()
}

#[test]
fn pure_crates_depend_on_no_io_crate() {
    let metadata = cargo_metadata();
    for krate in PURE_CRATES {
        let bad = violations(&metadata, krate);
        assert!(
            bad.is_empty(),
            "pure crate `{krate}` depends on {bad:?}; move that code to an I/O crate above it"
        );
    }
}

#[test]
fn the_check_catches_a_forbidden_dependency() {
    // A synthetic graph: pure -> helper -> serialport. The check must see through `helper`, and
    // must ignore dev-dependencies (egui_kittest).
    let metadata = serde_json::json!({
        "packages": [
            {"id": "pure", "name": "pure"}, {"id": "helper", "name": "helper"},
            {"id": "sp", "name": "serialport"}, {"id": "kt", "name": "egui_kittest"}
        ],
        "resolve": {"nodes": [
            {"id": "pure", "deps": [
                {"pkg": "helper", "dep_kinds": [{"kind": null}]},
                {"pkg": "kt", "dep_kinds": [{"kind": "dev"}]}
            ]},
            {"id": "helper", "deps": [{"pkg": "sp", "dep_kinds": [{"kind": null}]}]},
            {"id": "sp", "deps": []},
            {"id": "kt", "deps": []}
        ]}
    });
    assert_eq!(violations(&metadata, "pure"), ["serialport"]);
}

fn crate_roots(dir: &Path) -> Vec<PathBuf> {
    let mut roots = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let src = entry.unwrap().path().join("src");
        for root in ["lib.rs", "main.rs"] {
            if src.join(root).exists() {
                roots.push(src.join(root));
            }
        }
    }
    roots
}

#[test]
fn every_crate_root_says_what_it_owns() {
    let root = workspace_root();
    let mut roots = crate_roots(&root.join("crates"));
    roots.extend(crate_roots(&root.join("firmware-test-jig")));
    roots.extend(crate_roots(&root.join("tools")));
    roots.push(root.join("app/src/lib.rs"));
    roots.push(root.join("app/src/main.rs"));
    assert!(roots.len() >= 3);
    for path in roots {
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(
            text.starts_with("//! "),
            "{} must open with a `//!` paragraph",
            path.display()
        );
        if path.ends_with("lib.rs") {
            assert!(
                text.lines()
                    .take_while(|l| l.starts_with("//!"))
                    .any(|l| l.contains("not")),
                "{}: the opening paragraph must also say what the crate does not do",
                path.display()
            );
        }
    }
}

/// Paths of `krate` that the Rust files under `dir` name, other than those in `allowed`
/// (`use krate::…`, `krate::…` in code; comment lines are skipped).
fn foreign_paths(dir: &Path, krate: &str, allowed: &[&str]) -> Vec<String> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().and_then(|e| e.to_str()) != Some("rs") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        for (n, line) in text.lines().enumerate() {
            let code = line.trim_start();
            if code.starts_with("//") {
                continue;
            }
            let mut rest = code;
            while let Some(at) = rest.find(&format!("{krate}::")) {
                let tail = &rest[at + krate.len() + 2..];
                let item: String = tail
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':' || *c == '{')
                    .collect();
                if !allowed.iter().any(|a| item == *a) {
                    found.push(format!("{}:{}: {krate}::{item}", path.display(), n + 1));
                }
                rest = tail;
            }
        }
    }
    found
}

/// The simulator referees the engine: its chips read host bytes, rebuild jobs, hash and build
/// replies with their own code (`crates/sim/src/asic.rs`). Were it to call the engine's
/// encoders, decoders or tables (`bm13xx` framing, jobs, replies, CRCs, registers, PLL and
/// ticket maths; `patterns` ownership; `boards::eeprom`'s CRC, XXTEA and layouts), a shared
/// mistake would pass unseen. Only the family name and the public header table may cross.
#[test]
fn the_simulator_uses_none_of_the_engines_protocol_code() {
    let sim = workspace_root().join("crates/sim/src");
    let mut found = foreign_paths(&sim, "bm13xx", &["Family"]);
    found.extend(foreign_paths(&sim, "patterns", &["HeaderSet"]));
    // Profiles are the board's description; the EEPROM decoder is the app's reading of it.
    found.extend(foreign_paths(&sim, "boards", &[]).into_iter().filter(|f| {
        f.rsplit(": ")
            .next()
            .is_some_and(|item| item.contains("eeprom"))
    }));
    assert!(
        found.is_empty(),
        "the simulator uses engine code: {found:#?}"
    );
}

#[test]
fn the_simulator_check_catches_a_borrowed_decoder() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("board.rs"),
        "use bm13xx::Family;\n// bm13xx::job is named in a comment: fine\nuse bm13xx::job::decode_job;\nlet x = bm13xx::crc::crc5(&b);\n",
    )
    .unwrap();
    let found = foreign_paths(dir.path(), "bm13xx", &["Family"]);
    assert_eq!(found.len(), 2, "{found:?}");
    assert!(
        found[0].ends_with(":3: bm13xx::job::decode_job"),
        "{found:?}"
    );
}

/// The sources names a profile may cite, each of which `docs/sources.md` must list.
const SOURCE_NAMES: [&str; 16] = [
    "ESP-Miner",
    "MUJ-REF",
    "HSX19",
    "BMM",
    "bmminer-mix",
    "zeusbtc",
    "d-central",
    "eastcoastasic",
    "lys-sz",
    "rongbtc",
    "azic.pt",
    "S19MG",
    "Brit Tester",
    "hashsource",
    "skot",
    "GEKKO",
];

/// S2 7/7: profiles cite `docs/sources.md` (its short names and sections), never files outside
/// the repository.
#[test]
fn every_profile_cites_only_sources_and_sections_docs_sources_lists() {
    let root = workspace_root();
    let sources = std::fs::read_to_string(root.join("docs/sources.md")).unwrap();
    let mut problems = Vec::new();
    let mut cited = BTreeSet::new();
    for entry in std::fs::read_dir(root.join("assets/boards")).unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        for outside in ["facts §", "facts file", "../shared", "design notes"] {
            if text.contains(outside) {
                problems.push(format!("{name} cites `{outside}`, outside the repository"));
            }
        }
        for (i, _) in text.match_indices("sources §") {
            let section: String = text[i + "sources §".len()..]
                .chars()
                .take_while(|c| c.is_ascii_digit() || *c == '.')
                .collect();
            let section = section.trim_end_matches('.').to_owned();
            if !sources.contains(&format!("### §{section} ")) {
                problems.push(format!(
                    "{name} cites sources §{section}, which docs/sources.md lacks"
                ));
            }
        }
        for source in SOURCE_NAMES {
            if text.contains(source) {
                cited.insert(source);
            }
        }
    }
    for source in &cited {
        if !sources.contains(source) {
            problems.push(format!(
                "profiles cite {source}, which docs/sources.md does not list"
            ));
        }
    }
    assert!(cited.len() >= 10, "the names list went stale: {cited:?}");
    assert!(problems.is_empty(), "{problems:#?}");
}

/// The store's files that name a database driver: the one connection over both engines, what
/// only a file has (its migrations, the outbox) and what only a server has.
const DRIVER_FILES: &[&str] = &[
    "db.rs",
    "schema.rs",
    "server.rs",
    "outbox.rs",
    "error.rs",
    "lib.rs",
];

/// Files among `files` (name, text) that name `rusqlite` or `postgres` outside the driver files.
fn driver_names(files: &[(String, String)]) -> Vec<String> {
    files
        .iter()
        .filter(|(name, _)| !DRIVER_FILES.contains(&name.as_str()))
        .filter(|(_, text)| {
            text.lines()
                .filter(|l| !l.trim_start().starts_with("//"))
                .any(|l| l.contains("rusqlite") || l.contains("postgres::"))
        })
        .map(|(name, _)| name.clone())
        .collect()
}

/// The records (tickets, runs, history, export, images, readings, push) are written once for
/// both engines: they go through `db.rs` and name neither driver.
#[test]
fn the_record_code_names_neither_database_driver() {
    let dir = workspace_root().join("crates/store/src");
    let files: Vec<(String, String)> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "rs"))
        .map(|p| {
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                std::fs::read_to_string(&p).unwrap(),
            )
        })
        .collect();
    assert!(files.iter().any(|(n, _)| n == "tickets.rs"));
    assert_eq!(driver_names(&files), Vec::<String>::new());
    // The check sees a driver named in record code.
    let borrowed = vec![(
        "tickets.rs".to_owned(),
        "let tx = self.conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate);"
            .to_owned(),
    )];
    assert_eq!(driver_names(&borrowed), vec!["tickets.rs".to_owned()]);
}
