//! The board's identity through the jig (S2 5/7): the EEPROM (the simulated boards hold images
//! in the layouts public sources document, the app's decoder reads them and names the profiles
//! they can be, a write goes a page at a time with each page's write cycle waited out) and the
//! PIC (version, voltage code, heartbeats).

#![allow(clippy::unwrap_used)] // Fine for tests: a failure is the report.

mod common;

use boards::{Catalog, eeprom};
use common::profile;
use diagnosis::Jig;
use diagnosis::identity::{candidates, parse_eeprom, read_image};

/// A powered simulated `id` board's EEPROM image, read through the jig.
fn image_of(jig: &mut sim::SimJig) -> Result<Vec<u8>, diagnosis::JigError> {
    jig.set_power(true).unwrap();
    read_image(jig)
}

fn ids<'a>(profiles: &[&'a boards::Profile]) -> Vec<&'a str> {
    profiles.iter().map(|p| p.id.as_str()).collect()
}

#[test]
fn each_board_names_what_its_layout_holds_and_the_profiles_it_can_be() {
    let catalog = Catalog::builtin().unwrap();
    for (id, layout, serial, can_be) in [
        ("s19pro", "X19 (XXTEA)", true, vec!["s19", "s19pro"]),
        (
            "s19jpro",
            "X19 (XXTEA)",
            true,
            vec!["s19jpro", "s19jpro120"],
        ),
        ("s21pro", "X19 (XXTEA)", true, vec!["s21pro"]),
        ("s17plus", "X19 (XXTEA)", true, vec!["s17plus"]),
        // The S9k layout holds per-chip clocks and a voltage, no serial and no chip marking.
        ("s9", "legacy (S9k layout)", false, vec![]),
    ] {
        let mut jig = sim::simulated(&profile(id), &[], 7).unwrap();
        let who = parse_eeprom(&image_of(&mut jig).unwrap());
        assert_eq!(who.layout.as_deref(), Some(layout), "{id}");
        assert_eq!(who.serial.is_some(), serial, "{id}: {who:?}");
        assert_eq!(ids(&candidates(&who, &catalog)), can_be, "{id}");
    }
}

#[test]
fn a_bitaxe_has_no_board_eeprom_to_read() {
    let mut jig = sim::simulated(&profile("bitaxe-hex"), &[], 7).unwrap();
    assert!(matches!(
        image_of(&mut jig),
        Err(diagnosis::JigError::NoDevice(_))
    ));
}

#[test]
fn an_s9_written_with_new_clocks_and_a_fixed_crc_reads_back_as_written() {
    let mut jig = sim::simulated(&profile("s9"), &[], 7).unwrap();
    let backup = image_of(&mut jig).unwrap();
    let before = eeprom::decode(&backup).unwrap();
    assert!(before.chip_mhz.iter().all(|&m| m > 300), "{before}");
    // The source's use: every chip down to 300 MHz (code 0x3C), the CRC fixed.
    let mut image = backup.clone();
    image[0x88..=0xC3].fill(0x3C);
    let (old, new) = eeprom::fix_checksum(&mut image).unwrap().unwrap();
    assert_ne!(old, new);
    let start = jig.now_us().unwrap();
    jig.write_eeprom(0, &image).unwrap();
    let took_us = jig.now_us().unwrap() - start;
    // 32 pages of 8 bytes, each stored for up to 5 ms (AT24C02 t_WR) before the next.
    assert!(took_us >= 32 * 5_000, "wrote 256 bytes in {took_us} µs");
    let read = read_image(&mut jig).unwrap();
    assert_eq!(read, image);
    let after = eeprom::decode(&read).unwrap();
    assert_eq!(after.chip_mhz, vec![300; 60]);
    assert_eq!(after.checksum, eeprom::Checksum::Valid(new));
    let changed: Vec<_> = eeprom::field_changes(&before, &after)
        .into_iter()
        .map(|c| c.0)
        .collect();
    assert_eq!(changed, ["chip frequencies", "CRC-16/Modbus"]);
}

#[test]
fn a_write_from_an_odd_offset_stays_inside_each_page() {
    let mut jig = sim::simulated(&profile("s19pro"), &[], 7).unwrap();
    let backup = image_of(&mut jig).unwrap();
    // 5 bytes from 0xF6 cross the page boundary at 0xF8: split, nothing wraps onto 0xF0.
    jig.write_eeprom(0xF6, &[1, 2, 3, 4, 5]).unwrap();
    let read = read_image(&mut jig).unwrap();
    assert_eq!(&read[0xF6..0xFB], &[1, 2, 3, 4, 5]);
    assert_eq!(&read[..0xF6], &backup[..0xF6]);
    assert_eq!(&read[0xFB..], &backup[0xFB..]);
}

/// The board's PIC checked on request (bmminer-mix's commands): its version, a voltage code set
/// and read back, and the jig's heartbeats to it counted while watched.
#[test]
fn a_pic_check_reads_the_version_sets_and_reads_back_the_code_and_counts_heartbeats() {
    let p = profile("s19pro");
    let mut jig = sim::simulated(&p, &[], 7).unwrap();
    jig.set_power(true).unwrap();
    let status = diagnosis::pic::check(&mut jig, &p, Some(0x5A))
        .unwrap()
        .expect("the S19 Pro has a PIC");
    assert_eq!(status.version, Some(0x89), "HSX19 PT1: PIC version 0x89");
    assert_eq!(status.voltage_code, Some(0x5A));
    assert!(
        (2..=4).contains(&status.heartbeats) && status.heartbeats_missed == 0,
        "{status:?}"
    );
    assert!(status.watched_ms >= 3000, "{status:?}");
    // A board without a PIC has nothing to check.
    let bitaxe = profile("bitaxe-hex");
    let mut jig = sim::simulated(&bitaxe, &[], 7).unwrap();
    jig.set_power(true).unwrap();
    assert_eq!(
        diagnosis::pic::check(&mut jig, &bitaxe, None).unwrap(),
        None
    );
}
