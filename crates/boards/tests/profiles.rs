//! Board profiles: the built-in set, overrides, and the errors a bad file gets.

#![allow(clippy::unwrap_used, clippy::expect_used)] // Fine for tests: a failure is the report.

use std::path::PathBuf;

use boards::{Catalog, Profile, ProfileError};

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures/profiles")
        .join(name)
}

/// Loading `name` fails, and the message names the file and every one of `expected`.
fn check_error(name: &str, expected: &[&str]) {
    let path = fixture(name);
    let text = std::fs::read_to_string(&path).unwrap();
    let err = Profile::from_toml(name, &text).expect_err(name).to_string();
    assert!(err.starts_with(name), "{err}");
    for needle in expected {
        assert!(err.contains(needle), "`{err}` should mention `{needle}`");
    }
}

#[test]
fn the_builtin_models_are_the_ones_the_cli_promises() {
    let catalog = Catalog::builtin().unwrap();
    let ids: Vec<&str> = catalog.iter().map(|p| p.id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "s9",
            "s17plus",
            "s19",
            "s19pro",
            "s19jpro",
            "s19jpro120",
            "s19kpro",
            "s19xp",
            "s21",
            "s21pro",
            "bitaxe-max",
            "bitaxe-ultra",
            "bitaxe-supra",
            "bitaxe-gamma",
            "bitaxe-hex",
            "bitaxe-suprahex"
        ]
    );
}

#[test]
fn every_builtin_profile_is_consistent() {
    for p in Catalog::builtin().unwrap().iter() {
        assert_eq!(p.layout.chips.len(), p.chips.value, "{}", p.id);
        assert_eq!(
            p.domains.value * p.chips_per_domain.value,
            p.chips.value,
            "{}",
            p.id
        );
        for domain in 0..p.domains.value {
            assert_eq!(
                p.chips_in_domain(domain).count(),
                p.chips_per_domain.value,
                "{} domain {domain}",
                p.id
            );
        }
        let last = p.chips.value - 1;
        assert!(
            p.address_of(last).is_some(),
            "{}: last chip has no address",
            p.id
        );
        assert!(!p.sensors.is_empty(), "{}", p.id);
        // A layout is the board's PCB only where a public design file gives it (the open
        // Bitaxes); every other profile lists its generic layout as unverified.
        let generic = p.unverified().iter().any(|(field, _)| *field == "layout");
        assert_eq!(generic, p.layout.generic, "{}", p.id);
        assert_eq!(!generic, p.id.starts_with("bitaxe-"), "{}", p.id);
        if !generic {
            assert!(p.layout.note.contains("sources §5.4"), "{}", p.id);
        }
    }
}

/// `profile`'s chips in chain order as (U-reference, row, column).
fn placed(profile: &Profile) -> Vec<(String, u16, u16)> {
    profile
        .layout
        .chips
        .iter()
        .map(|c| (c.uref.clone().unwrap_or_default(), c.row, c.col))
        .collect()
}

#[test]
fn the_bitaxe_hex_is_laid_out_as_its_pcb_file() {
    // skot/bitaxeHex bitaxeHex.kicad_pcb rev 304: the chain enters U12 (x 108, y 97) and runs
    // U13 (78, 97), U20 (78, 125), U18 (108, 125), U22 (108, 153), U25 (78, 153).
    let catalog = Catalog::builtin().unwrap();
    let hex = catalog.get("bitaxe-hex").unwrap();
    let chain = |list: &[(&str, u16, u16)]| -> Vec<(String, u16, u16)> {
        list.iter().map(|&(u, r, c)| (u.to_owned(), r, c)).collect()
    };
    assert_eq!(
        placed(hex),
        chain(&[
            ("U12", 0, 1),
            ("U13", 0, 0),
            ("U20", 1, 0),
            ("U18", 1, 1),
            ("U22", 2, 1),
            ("U25", 2, 0),
        ])
    );
    assert!(!hex.layout.generic);
    // Its two TMP1075s, at the addresses ESP-Miner reads, above and below the chips.
    let sensors: Vec<(Option<u8>, usize)> = hex
        .sensors
        .iter()
        .map(|s| (s.i2c_address, s.near_chip))
        .collect();
    assert_eq!(sensors, [(Some(0x4A), 1), (Some(0x4B), 5)]);
    // The SupraHex has the same places under other references.
    let supra = catalog.get("bitaxe-suprahex").unwrap();
    let refs: Vec<String> = placed(supra).into_iter().map(|(u, _, _)| u).collect();
    assert_eq!(refs, ["U28", "U12", "U13", "U18", "U25", "U27"]);
    let places = |p: &Profile| -> Vec<(u16, u16)> {
        placed(p).into_iter().map(|(_, r, c)| (r, c)).collect()
    };
    assert_eq!(places(supra), places(hex));
}

#[test]
fn a_point_is_read_at_the_pad_the_design_gives() {
    use boards::testpoints::{Point, pad};
    let catalog = Catalog::builtin().unwrap();
    let hex = catalog.get("bitaxe-hex").unwrap();
    let at = |chip: Option<usize>, domain: Option<usize>, point| {
        pad(hex, chip, domain, point).map(boards::testpoints::Pad::describe)
    };
    assert_eq!(
        at(None, Some(1), Point::Ldo1v8).as_deref(),
        Some("TP45 on the back (net /BM1366-2/1V8)")
    );
    // A domain's supply between its own rails, as the design pairs the pads.
    assert_eq!(
        at(None, Some(0), Point::Domain).as_deref(),
        Some("TP18 (+) and TP19 (-) on the back (net /VDD1)")
    );
    assert_eq!(
        at(Some(2), None, Point::Clk).as_deref(),
        Some("TP71 on the back (net /BM1366-2/CLKI2)")
    );
    // Points the design gives no pad for have none.
    assert_eq!(at(Some(3), None, Point::Clk), None);
    assert_eq!(at(Some(0), None, Point::Bo), None);
    // An Antminer profile has no design file, so no pads.
    assert!(catalog.get("s19jpro").unwrap().test_pads.is_none());
}

#[test]
fn known_board_facts() {
    let catalog = Catalog::builtin().unwrap();
    let s19jpro = catalog.get("s19jpro").unwrap();
    assert_eq!(
        (
            s19jpro.chips.value,
            s19jpro.domains.value,
            s19jpro.address_interval.value
        ),
        (126, 42, 2)
    );
    assert_eq!(s19jpro.family.value, bm13xx::Family::Bm1362);
    assert_eq!(s19jpro.domain_of(125), Some(41));
    assert_eq!(s19jpro.address_of(125), Some(250));
    // The S19j Pro domain voltage is an inference in the facts file and must say so.
    assert!(!s19jpro.voltage.nominal_mv.verified);

    let s9 = catalog.get("s9").unwrap();
    assert_eq!(
        (
            s9.chips.value,
            s9.address_interval.value,
            s9.voltage.nominal_mv.value
        ),
        (63, 4, 400)
    );
    assert!(s9.voltage.nominal_mv.verified);

    let s19xp = catalog.get("s19xp").unwrap();
    assert!(!s19xp.family.verified, "the S19 XP chip family is disputed");

    let hex = catalog.get("bitaxe-hex").unwrap();
    assert_eq!(
        (
            hex.chips.value,
            hex.domains.value,
            hex.address_interval.value
        ),
        (6, 3, 42)
    );
}

#[test]
fn malformed_profiles_name_file_field_and_problem() {
    check_error(
        "bad-domain-product.toml",
        &["chips_per_domain", "1 domains x 2 chips = 2", "1 chips"],
    );
    check_error(
        "bad-family.toml",
        &["family", "bm1385", "unknown chip family"],
    );
    check_error("bad-type.toml", &["chips", "invalid type", "line"]);
    check_error("bad-unknown-field.toml", &["high_bauds", "unknown field"]);
    check_error(
        "bad-sensor-chip.toml",
        &["sensors[0].near_chip", "chip 7 does not exist"],
    );
    check_error(
        "bad-test-pad.toml",
        &[
            "test_pads.pads[1].domain",
            "1V8 is read at a domain",
            "give `domain` and no `chip`",
        ],
    );
}

#[test]
fn a_directory_overrides_builtin_profiles() {
    let dir = std::env::temp_dir().join(format!("hashbench-profiles-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::copy(
        fixture("override-gamma.toml"),
        dir.join("override-gamma.toml"),
    )
    .unwrap();
    let mut catalog = Catalog::builtin().unwrap();
    assert_eq!(catalog.override_from_dir(&dir).unwrap(), 1);
    let gamma = catalog.get("bitaxe-gamma").unwrap();
    assert_eq!(gamma.name, "Bitaxe Gamma (shop calibrated)");
    assert_eq!(gamma.voltage.tolerance_mv.value, 60);
    assert!(
        catalog
            .origin("bitaxe-gamma")
            .unwrap()
            .ends_with("override-gamma.toml")
    );
    assert_eq!(catalog.iter().count(), 16);

    // A bad file in the directory is an error that names it; a missing directory is not.
    std::fs::copy(fixture("bad-family.toml"), dir.join("zz-bad.toml")).unwrap();
    let err = Catalog::builtin()
        .unwrap()
        .override_from_dir(&dir)
        .unwrap_err();
    assert!(matches!(err, ProfileError::Invalid { .. }));
    assert!(err.to_string().contains("zz-bad.toml"), "{err}");
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!(
        Catalog::builtin().unwrap().override_from_dir(&dir).unwrap(),
        0
    );
}
