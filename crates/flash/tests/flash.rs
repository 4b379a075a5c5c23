//! Firmware images, UF2 and BOOTSEL drives, checked on the real jig firmware (the bundled ELF,
//! `assets/firmware/hashbench-jig.elf`), and every failure a technician can meet, in words.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // Fine for tests: a failure is the report.

use flash::uf2::{
    BLOCK, FLAG_FAMILY_ID, MAGIC_END, MAGIC_START0, MAGIC_START1, PAYLOAD, RP2040_FAMILY,
};
use flash::{FirmwareImage, FlashError};

fn word(block: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(block[at..at + 4].try_into().unwrap())
}

/// The byte the image puts at `address`, if any.
fn image_byte(image: &FirmwareImage, address: u32) -> Option<u8> {
    image.segments.iter().find_map(|s| {
        let off = address.checked_sub(s.address)? as usize;
        s.data.get(off).copied()
    })
}

#[test]
fn the_bundled_firmware_says_who_it_is() {
    let image = flash::bundled().unwrap();
    assert_eq!(
        image.firmware,
        format!("hashbench-jig {}", env!("CARGO_PKG_VERSION"))
    );
    assert_eq!(
        image.protocol,
        jig_wire::PROTOCOL_VERSION,
        "the app and its bundled firmware speak one protocol"
    );
    assert_eq!(
        image.segments[0].address,
        flash::FLASH_START,
        "boot2 first, at the start of flash"
    );
    assert_eq!(
        image.segments[0].data.len(),
        256,
        "boot2 is one 256-byte page"
    );
    assert!(image.size() > 10_000);
}

#[test]
fn uf2_blocks_follow_the_format_and_carry_every_byte() {
    let image = flash::bundled().unwrap();
    let uf2 = flash::uf2::from_image(&image);
    assert_eq!(uf2.len() % BLOCK, 0);
    let blocks: Vec<&[u8]> = uf2.chunks(BLOCK).collect();
    let total = blocks.len() as u32;
    let mut last_address = None;
    for (n, b) in blocks.iter().enumerate() {
        assert_eq!(
            (word(b, 0), word(b, 4), word(b, 508)),
            (MAGIC_START0, MAGIC_START1, MAGIC_END),
            "block {n} magics"
        );
        assert_eq!(word(b, 8), FLAG_FAMILY_ID, "block {n} flags");
        let address = word(b, 12);
        assert_eq!(address % PAYLOAD as u32, 0, "block {n} page-aligned");
        assert!(
            last_address.is_none_or(|a| address > a),
            "block {n} in address order"
        );
        last_address = Some(address);
        assert_eq!(word(b, 16), PAYLOAD as u32, "block {n} payload size");
        assert_eq!(
            (word(b, 20), word(b, 24)),
            (n as u32, total),
            "block {n} numbering"
        );
        assert_eq!(word(b, 28), RP2040_FAMILY, "block {n} family id");
        assert!(
            b[32 + PAYLOAD..508].iter().all(|&x| x == 0),
            "block {n} padding"
        );
        for (i, &byte) in b[32..32 + PAYLOAD].iter().enumerate() {
            let expected = image_byte(&image, address + i as u32).unwrap_or(0);
            assert_eq!(
                byte,
                expected,
                "block {n} byte {i} at 0x{:08X}",
                address + i as u32
            );
        }
    }
    assert_eq!(word(blocks[0], 12), flash::FLASH_START);
    // Every image byte is in some block.
    let covered = |a: u32| {
        blocks
            .iter()
            .any(|b| (word(b, 12)..word(b, 12) + PAYLOAD as u32).contains(&a))
    };
    assert!(
        image
            .segments
            .iter()
            .all(|s| covered(s.address) && covered(s.address + s.data.len() as u32 - 1))
    );
}

fn image_error(bytes: &[u8]) -> String {
    FirmwareImage::from_elf(bytes, "jig.bin")
        .unwrap_err()
        .to_string()
}

#[test]
fn files_that_are_not_jig_firmware_are_refused_with_the_reason() {
    let uf2 = flash::uf2::from_image(&flash::bundled().unwrap());
    assert!(
        image_error(&uf2).contains("jig.bin is not a usable jig firmware: it is not an ELF file")
    );
    let mut x86 = flash::BUNDLED_ELF.to_vec();
    x86[18] = 3; // EM_386
    assert!(image_error(&x86).contains("not ARM"));
    let mut untagged = flash::BUNDLED_ELF.to_vec();
    let at = untagged
        .windows(flash::TAG.len())
        .position(|w| w == flash::TAG)
        .unwrap();
    untagged[at] = b'X';
    assert!(image_error(&untagged).contains("carries no Hashbench jig identity"));
    assert!(image_error(&flash::BUNDLED_ELF[..40]).contains("ends inside its header"));
}

const INFO: &str = "UF2 Bootloader v3.0\nModel: Raspberry Pi RP2\nBoard-ID: RPI-RP2\n";

#[test]
fn a_bootsel_drive_is_found_by_its_info_file_and_takes_the_uf2() {
    let drive = tempfile::tempdir().unwrap();
    let other = tempfile::tempdir().unwrap();
    std::fs::write(drive.path().join("INFO_UF2.TXT"), INFO).unwrap();
    std::fs::write(other.path().join("INFO_UF2.TXT"), "Board-ID: SAMD21\n").unwrap();
    let found = flash::find_drives_in(&[other.path().to_path_buf(), drive.path().to_path_buf()]);
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].board_id, "RPI-RP2");
    let uf2 = flash::uf2::from_image(&flash::bundled().unwrap());
    let written = flash::copy_uf2(&uf2, Some(drive.path())).unwrap();
    assert_eq!(std::fs::read(written).unwrap(), uf2);
    let err = flash::copy_uf2(&uf2, Some(other.path()))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("is not an RP2040 BOOTSEL drive") && err.contains("hold the BOOTSEL button"),
        "{err}"
    );
}

#[test]
fn with_no_bootsel_drive_mounted_the_message_says_how_to_enter_bootsel() {
    // CI has no RP2040 plugged in.
    let err = flash::copy_uf2(b"", None).unwrap_err();
    assert!(matches!(err, FlashError::NoBootselDrive), "{err}");
    assert!(
        err.to_string()
            .contains("hold the BOOTSEL button on its Pico"),
        "{err}"
    );
}

#[cfg(feature = "probe")]
#[test]
fn with_no_probe_the_list_is_empty_and_flashing_says_what_to_connect() {
    let probes = flash::list_probes(std::time::Duration::from_secs(10)).unwrap();
    assert!(probes.is_empty(), "CI has no debug probe: {probes:?}");
    let image = flash::bundled().unwrap();
    let err = flash::flash_with_probe(
        None,
        &image,
        std::time::Duration::from_secs(10),
        &mut |_| {},
    )
    .unwrap_err();
    assert!(matches!(err, FlashError::NoProbe));
    assert!(err.to_string().contains("Connect a CMSIS-DAP"), "{err}");
    let err = flash::flash_with_probe(
        Some("E6614C309B5A"),
        &image,
        std::time::Duration::from_secs(10),
        &mut |_| {},
    )
    .unwrap_err();
    assert!(
        err.to_string()
            .contains("no debug probe with serial E6614C309B5A"),
        "{err}"
    );
}

#[test]
fn probe_failures_that_need_hardware_still_read_as_instructions() {
    // A busy probe and a probe on the wrong chip cannot happen without hardware; their
    // messages are checked as the technician will read them.
    let busy = FlashError::ProbeBusy {
        probe: "Debug Probe (CMSIS-DAP) [2e8a:000c] serial E661".into(),
        detail: "device or resource busy".into(),
    };
    assert!(
        busy.to_string()
            .contains("Is another program (probe-rs, OpenOCD, an IDE) using it?")
    );
    let wrong = FlashError::WrongChip("no ARM debug port found".into());
    assert!(
        wrong
            .to_string()
            .contains("Check the SWD wires (SWCLK, SWDIO, GND)")
    );
    let timeout = FlashError::ProbeListTimeout(5);
    assert!(
        timeout
            .to_string()
            .contains("use the UF2 path (--uf2) instead")
    );
}
