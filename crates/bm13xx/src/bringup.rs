//! The register writes that bring a chain from reset to hashing, per family, each with the
//! source it comes from (docs/bringup.md has the same table beside ESP-Miner's and the factory's).
//!
//! A chip out of reset answers register reads but reports no nonce: mujina measured a BM1370's
//! MISC_CONTROL (0x18) at 0x0000C100 after power-on, every report-enable bit (31-28) clear. The
//! writes below are the ones open firmware and captured factory firmware make before work is
//! sent: the soft-reset pairing (0xA8 then 0x18, "open core"), the core mailbox (0x3C) with the
//! clock words and core enable 0x800082AA, the analog mux (0x54) and IO drive (0x58).
//!
//! Sources, named in every entry:
//! - ESPM: bitaxeorg/ESP-Miner `components/asic/bm1366.c`, `bm1368.c`, `bm1370.c`, `bm1397.c`
//!   (`BM13xx_init`), snapshot 5c27713.
//! - MUJ: 256foundation/mujina `mujina-miner/src/asic/bm13xx/REFERENCE.md` "Multi-Chip
//!   Initialization" (captured S19j Pro BM1362 and S21 Pro BM1370 factory bring-up), 1a69ef4.
//! - GEKKO: kanoi/cgminer `driver-gekko.c` (BM1387/BM1397 init and PLL words).
//!
//! The engine sends these phases in order: [`Phase::BeforeDiscovery`], discovery,
//! [`Phase::AfterDiscovery`], chain inactive and set address, [`Phase::AfterAddressing`], the
//! ticket mask, [`Phase::PerChip`] for every chip found, [`Phase::AfterPerChip`], the PLL ramp
//! ([`crate::pll::ramp`]), the hash counting number, [`Phase::Mining`].

use crate::family::Family;
use crate::registers as reg;

/// When in the bring-up a write is made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// After reset, before the discovery read (version rolling, so replies are 11 bytes).
    BeforeDiscovery,
    /// After discovery, before chain inactive: the reset-state normalisation.
    AfterDiscovery,
    /// After every chip has its address: chain-wide configuration (broadcast).
    AfterAddressing,
    /// To each chip by its address, in address order, ending in core enable.
    PerChip,
    /// Broadcast after the per-chip pass.
    AfterPerChip,
    /// After the PLL ramp and the hash counting number, before the first job.
    Mining,
}

/// One register write of the bring-up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Write {
    /// The register.
    pub register: u8,
    /// The value.
    pub value: u32,
    /// What it does, as far as the sources know.
    pub why: &'static str,
    /// Where the value comes from.
    pub source: &'static str,
}

const fn w(register: u8, value: u32, why: &'static str, source: &'static str) -> Write {
    Write {
        register,
        value,
        why,
        source,
    }
}

/// Core mailbox word: all cores, write, core register `creg`, `value` (MUJ 0x3C layout).
const fn core_write(creg: u8, value: u8) -> u32 {
    0x8000_8000 | (creg as u32) << 8 | value as u32
}

/// Core enable through the mailbox: core register 0x02 = 0xAA on every model (MUJ; ESPM).
pub const CORE_ENABLE: u32 = core_write(0x02, 0xAA);

const ROLLING: Write = w(
    reg::VERSION_ROLLING,
    reg::VERSION_ROLLING_FULL_MASK,
    "version rolling: auto midstates, 8 per job, mask 0xFFFF (replies become 11 bytes)",
    "ESPM BM13xx_init (3 writes before discovery); MUJ step 1",
);

const BM1362_BEFORE: [Write; 3] = [ROLLING, ROLLING, ROLLING];
const BM1362_AFTER_DISCOVERY: [Write; 2] = [
    w(
        reg::SOFT_RESET_CONTROL,
        0x0000_0000,
        "soft reset: the BM1362 reset default",
        "MUJ step 3 (S19j Pro capture)",
    ),
    w(
        reg::MISC_CONTROL,
        0xB000_C100,
        "open core: report enables 1011",
        "MUJ step 3 (S19j Pro capture)",
    ),
];
const BM1362_AFTER_ADDRESSING: [Write; 4] = [
    w(
        reg::CORE_REGISTER_CONTROL,
        core_write(0x05, 0x40),
        "core clock select 0x40",
        "MUJ step 5 (S19j Pro capture)",
    ),
    w(
        reg::CORE_REGISTER_CONTROL,
        core_write(0x00, 0x08),
        "core clock delay 0x08",
        "MUJ step 5 (S19j Pro capture)",
    ),
    w(
        reg::ANALOG_MUX,
        0x0000_0003,
        "analog mux: select 3 (no temperature read)",
        "MUJ step 5 (S19j Pro capture)",
    ),
    w(
        reg::IO_DRIVER_STRENGTH,
        0x0001_1111,
        "IO drive strength, every field 1",
        "MUJ step 5 (S19j Pro capture)",
    ),
];
const BM1362_PER_CHIP: [Write; 5] = [
    w(
        reg::SOFT_RESET_CONTROL,
        0x0000_0002,
        "soft reset: CORE_SRST_FAST before core configuration",
        "MUJ step 9 (S19j Pro capture)",
    ),
    w(
        reg::MISC_CONTROL,
        0xB000_C100,
        "open core, per chip",
        "MUJ step 9 (S19j Pro capture)",
    ),
    w(
        reg::CORE_REGISTER_CONTROL,
        core_write(0x05, 0x40),
        "core clock select 0x40",
        "MUJ step 9 (S19j Pro capture)",
    ),
    w(
        reg::CORE_REGISTER_CONTROL,
        core_write(0x00, 0x08),
        "core clock delay 0x08",
        "MUJ step 9 (S19j Pro capture)",
    ),
    w(
        reg::CORE_REGISTER_CONTROL,
        CORE_ENABLE,
        "core enable",
        "MUJ step 9 (S19j Pro capture)",
    ),
];
const MINING_ROLLING: [Write; 1] = [w(
    reg::VERSION_ROLLING,
    reg::VERSION_ROLLING_FULL_MASK,
    "version rolling once more before the first job",
    "MUJ step 10 (S19j Pro capture); ESPM BM1366_init, BM1368_init",
)];

const BM1366_AFTER_DISCOVERY: [Write; 2] = [
    w(
        reg::SOFT_RESET_CONTROL,
        0x0007_0000,
        "soft reset: the BM1366/68/70 reset default",
        "ESPM BM1366_init",
    ),
    w(
        reg::MISC_CONTROL,
        0xFF0F_C100,
        "open core, broadcast constant",
        "ESPM BM1366_init",
    ),
];
const BM1366_AFTER_ADDRESSING: [Write; 4] = [
    w(
        reg::CORE_REGISTER_CONTROL,
        core_write(0x05, 0x40),
        "core clock select 0x40",
        "ESPM BM1366_init",
    ),
    w(
        reg::CORE_REGISTER_CONTROL,
        core_write(0x00, 0x20),
        "core clock delay 0x20",
        "ESPM BM1366_init",
    ),
    w(
        reg::ANALOG_MUX,
        0x0000_0003,
        "analog mux: select 3",
        "ESPM BM1366_init",
    ),
    w(
        reg::IO_DRIVER_STRENGTH,
        0x0211_1111,
        "IO drive strength",
        "ESPM BM1366_init",
    ),
];
const BM1366_PER_CHIP: [Write; 5] = [
    w(
        reg::SOFT_RESET_CONTROL,
        0x0007_01F0,
        "soft reset: bring-up bits set before core configuration",
        "ESPM BM1366_init",
    ),
    w(
        reg::MISC_CONTROL,
        0xF000_C100,
        "open core, per chip",
        "ESPM BM1366_init",
    ),
    w(
        reg::CORE_REGISTER_CONTROL,
        core_write(0x05, 0x40),
        "core clock select 0x40",
        "ESPM BM1366_init",
    ),
    w(
        reg::CORE_REGISTER_CONTROL,
        core_write(0x00, 0x20),
        "core clock delay 0x20",
        "ESPM BM1366_init",
    ),
    w(
        reg::CORE_REGISTER_CONTROL,
        CORE_ENABLE,
        "core enable",
        "ESPM BM1366_init",
    ),
];

const BM1368_AFTER_DISCOVERY: [Write; 2] = [
    w(
        reg::SOFT_RESET_CONTROL,
        0x0007_0000,
        "soft reset: the reset default",
        "ESPM BM1368_init",
    ),
    w(
        reg::MISC_CONTROL,
        0xFF0F_C100,
        "open core, broadcast constant",
        "ESPM BM1368_init",
    ),
];
const BM1368_AFTER_ADDRESSING: [Write; 4] = [
    w(
        reg::CORE_REGISTER_CONTROL,
        core_write(0x0B, 0x00),
        "core clock select 0x00",
        "ESPM BM1368_init",
    ),
    w(
        reg::CORE_REGISTER_CONTROL,
        core_write(0x00, 0x18),
        "core clock delay 0x18",
        "ESPM BM1368_init",
    ),
    w(
        reg::ANALOG_MUX,
        0x0000_0003,
        "analog mux: select 3",
        "ESPM BM1368_init",
    ),
    w(
        reg::IO_DRIVER_STRENGTH,
        0x0211_1111,
        "IO drive strength",
        "ESPM BM1368_init",
    ),
];
const BM1368_PER_CHIP: [Write; 5] = [
    w(
        reg::SOFT_RESET_CONTROL,
        0x0007_01F0,
        "soft reset: bring-up bits set before core configuration",
        "ESPM BM1368_init",
    ),
    w(
        reg::MISC_CONTROL,
        0xF000_C100,
        "open core, per chip",
        "ESPM BM1368_init",
    ),
    w(
        reg::CORE_REGISTER_CONTROL,
        core_write(0x0B, 0x00),
        "core clock select 0x00",
        "ESPM BM1368_init",
    ),
    w(
        reg::CORE_REGISTER_CONTROL,
        core_write(0x00, 0x18),
        "core clock delay 0x18",
        "ESPM BM1368_init",
    ),
    w(
        reg::CORE_REGISTER_CONTROL,
        CORE_ENABLE,
        "core enable",
        "ESPM BM1368_init",
    ),
];

const BM1370_AFTER_DISCOVERY: [Write; 3] = [
    w(
        reg::VERSION_ROLLING,
        reg::VERSION_ROLLING_FULL_MASK,
        "version rolling once more after counting",
        "ESPM BM1370_init",
    ),
    w(
        reg::SOFT_RESET_CONTROL,
        0x0007_0000,
        "soft reset: the reset default",
        "ESPM BM1370_init; MUJ step 3 (S21 Pro capture)",
    ),
    w(
        reg::MISC_CONTROL,
        0xF000_C100,
        "open core: report enables 1111",
        "ESPM BM1370_init; MUJ step 3 (S21 Pro capture)",
    ),
];
const BM1370_AFTER_ADDRESSING: [Write; 4] = [
    w(
        reg::CORE_REGISTER_CONTROL,
        core_write(0x0B, 0x00),
        "core clock select 0x00",
        "ESPM BM1370_init; MUJ step 5",
    ),
    w(
        reg::CORE_REGISTER_CONTROL,
        core_write(0x00, 0x0C),
        "core clock delay 0x0C",
        "ESPM BM1370_init; MUJ step 5",
    ),
    w(
        reg::IO_DRIVER_STRENGTH,
        0x0001_1111,
        "IO drive strength, every field 1",
        "ESPM BM1370_init; MUJ step 5",
    ),
    w(
        reg::PLL3,
        0x5AA5_5AA5,
        "ring-oscillator pads off (fixed guard value)",
        "MUJ step 6 (S21 Pro capture)",
    ),
];
const BM1370_PER_CHIP: [Write; 5] = [
    w(
        reg::SOFT_RESET_CONTROL,
        0x0007_01F0,
        "soft reset: bring-up bits set before core configuration",
        "ESPM BM1370_init",
    ),
    w(
        reg::MISC_CONTROL,
        0xF000_C100,
        "open core, per chip",
        "ESPM BM1370_init",
    ),
    w(
        reg::CORE_REGISTER_CONTROL,
        core_write(0x0B, 0x00),
        "core clock select 0x00",
        "ESPM BM1370_init",
    ),
    w(
        reg::CORE_REGISTER_CONTROL,
        core_write(0x00, 0x0C),
        "core clock delay 0x0C",
        "ESPM BM1370_init",
    ),
    w(
        reg::CORE_REGISTER_CONTROL,
        CORE_ENABLE,
        "core enable",
        "ESPM BM1370_init",
    ),
];
const BM1370_AFTER_PER_CHIP: [Write; 4] = [
    w(
        0xB9,
        0x0000_4480,
        "unknown analog setting (from an S21 Pro dump)",
        "ESPM BM1370_init",
    ),
    w(
        reg::ANALOG_MUX,
        0x0000_0002,
        "analog mux: select 2 (temperature diode)",
        "ESPM BM1370_init; MUJ 0x54",
    ),
    w(
        0xB9,
        0x0000_4480,
        "repeated, as ESP-Miner does",
        "ESPM BM1370_init",
    ),
    w(
        reg::CORE_REGISTER_CONTROL,
        core_write(0x0D, 0xEE),
        "nonce bin overflow control on",
        "ESPM BM1370_init; MUJ 0x3C",
    ),
];

/// BM1397 register addresses of the clock-order block (ESPM `bm1397.h`).
const CLOCK_ORDER_CONTROL_0: u8 = 0x80;
const CLOCK_ORDER_CONTROL_1: u8 = 0x84;
const ORDERED_CLOCK_ENABLE: u8 = 0x20;

const BM1397_AFTER_ADDRESSING: [Write; 6] = [
    w(
        CLOCK_ORDER_CONTROL_0,
        0,
        "clock order control 0",
        "ESPM BM1397_init; GEKKO BM1397 init",
    ),
    w(
        CLOCK_ORDER_CONTROL_1,
        0,
        "clock order control 1",
        "ESPM BM1397_init; GEKKO BM1397 init",
    ),
    w(
        ORDERED_CLOCK_ENABLE,
        1,
        "ordered clock enable",
        "ESPM BM1397_init; GEKKO BM1397 init",
    ),
    w(
        reg::CORE_REGISTER_CONTROL,
        0x8000_8074,
        "core register control (value as sent; meaning not documented)",
        "ESPM BM1397_init; GEKKO BM1397 init",
    ),
    w(
        reg::PLL3,
        0xC070_0111,
        "PLL3 at 2.8 GHz (UART clock source for high baud)",
        "ESPM BM1397_init",
    ),
    w(
        reg::FAST_UART,
        0x0600_000F,
        "fast UART configuration: PLL3 divider 6",
        "ESPM BM1397_init",
    ),
];

const NONE: [Write; 0] = [];

/// The writes of `phase` for `family`. Per-chip writes go to each chip's address; every other
/// phase is broadcast. BM1387 has none: GEKKO and bmminer send only addressing, the ticket mask,
/// the PLL and the baud rate. BM1398 takes the BM1397's ([I]: no open BM1398 bring-up exists;
/// the S19 fixture logs show the same register names).
#[must_use]
pub fn writes(family: Family, phase: Phase) -> &'static [Write] {
    use Family as F;
    use Phase as P;
    match (family, phase) {
        (F::Bm1362 | F::Bm1366 | F::Bm1368 | F::Bm1370, P::BeforeDiscovery) => &BM1362_BEFORE,
        (F::Bm1362, P::AfterDiscovery) => &BM1362_AFTER_DISCOVERY,
        (F::Bm1362, P::AfterAddressing) => &BM1362_AFTER_ADDRESSING,
        (F::Bm1362, P::PerChip) => &BM1362_PER_CHIP,
        (F::Bm1366, P::AfterDiscovery) => &BM1366_AFTER_DISCOVERY,
        (F::Bm1366, P::AfterAddressing) => &BM1366_AFTER_ADDRESSING,
        (F::Bm1366, P::PerChip) => &BM1366_PER_CHIP,
        (F::Bm1368, P::AfterDiscovery) => &BM1368_AFTER_DISCOVERY,
        (F::Bm1368, P::AfterAddressing) => &BM1368_AFTER_ADDRESSING,
        (F::Bm1368, P::PerChip) => &BM1368_PER_CHIP,
        (F::Bm1370, P::AfterDiscovery) => &BM1370_AFTER_DISCOVERY,
        (F::Bm1370, P::AfterAddressing) => &BM1370_AFTER_ADDRESSING,
        (F::Bm1370, P::PerChip) => &BM1370_PER_CHIP,
        (F::Bm1370, P::AfterPerChip) => &BM1370_AFTER_PER_CHIP,
        (F::Bm1362 | F::Bm1366 | F::Bm1368, P::Mining) => &MINING_ROLLING,
        (F::Bm1397 | F::Bm1398, P::AfterAddressing) => &BM1397_AFTER_ADDRESSING,
        _ => &NONE,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::command::{Command, Dest};

    fn hex(s: &str) -> std::vec::Vec<u8> {
        let s: std::string::String = s.chars().filter(|c| !c.is_whitespace()).collect();
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    fn frame(family: Family, dest: Dest, write: &Write) -> std::vec::Vec<u8> {
        Command::WriteRegister {
            dest,
            register: write.register,
            value: write.value,
        }
        .encode(family)
        .as_bytes()
        .to_vec()
    }

    /// The bring-up frames as ESP-Miner writes them out literally in its comments and arrays
    /// (`bm1370.c`, `bm1366.c`): same bytes, CRC included.
    #[test]
    fn frames_match_esp_miner_literals() {
        let f = Family::Bm1370;
        let per_chip = writes(f, Phase::PerChip);
        assert_eq!(
            frame(f, Dest::Chip(0), &per_chip[0]),
            hex("55 AA 41 09 00 A8 00 07 01 F0 15")
        );
        assert_eq!(
            frame(f, Dest::Chip(0), &per_chip[1]),
            hex("55 AA 41 09 00 18 F0 00 C1 00 0C")
        );
        assert_eq!(
            frame(f, Dest::Chip(0), &per_chip[2]),
            hex("55 AA 41 09 00 3C 80 00 8B 00 1A")
        );
        assert_eq!(
            frame(f, Dest::Chip(0), &per_chip[3]),
            hex("55 AA 41 09 00 3C 80 00 80 0C 19")
        );
        assert_eq!(
            frame(f, Dest::Chip(0), &per_chip[4]),
            hex("55 AA 41 09 00 3C 80 00 82 AA 05")
        );
        let after = writes(f, Phase::AfterDiscovery);
        assert_eq!(
            frame(f, Dest::All, &after[2]),
            hex("55 AA 51 09 00 18 F0 00 C1 00 04")
        );
        let post = writes(f, Phase::AfterPerChip);
        assert_eq!(
            frame(f, Dest::All, &post[0]),
            hex("55 AA 51 09 00 B9 00 00 44 80 0D")
        );
        assert_eq!(
            frame(f, Dest::All, &post[1]),
            hex("55 AA 51 09 00 54 00 00 00 02 18")
        );
        assert_eq!(
            frame(f, Dest::All, &post[3]),
            hex("55 AA 51 09 00 3C 80 00 8D EE 1B")
        );
        let addressing = writes(f, Phase::AfterAddressing);
        assert_eq!(
            frame(f, Dest::All, &addressing[0]),
            hex("55 AA 51 09 00 3C 80 00 8B 00 12")
        );
        assert_eq!(
            frame(f, Dest::All, &addressing[2]),
            hex("55 AA 51 09 00 58 00 01 11 11 0D")
        );

        let f = Family::Bm1366;
        let addressing = writes(f, Phase::AfterAddressing);
        assert_eq!(
            frame(f, Dest::All, &addressing[0]),
            hex("55 AA 51 09 00 3C 80 00 85 40 0C")
        );
        assert_eq!(
            frame(f, Dest::All, &addressing[1]),
            hex("55 AA 51 09 00 3C 80 00 80 20 19")
        );
        assert_eq!(
            frame(f, Dest::All, &addressing[2]),
            hex("55 AA 51 09 00 54 00 00 00 03 1D")
        );
        assert_eq!(
            frame(f, Dest::All, &addressing[3]),
            hex("55 AA 51 09 00 58 02 11 11 11 06")
        );
        let after = writes(f, Phase::AfterDiscovery);
        assert_eq!(
            frame(f, Dest::All, &after[0]),
            hex("55 AA 51 09 00 A8 00 07 00 00 03")
        );
        assert_eq!(
            frame(f, Dest::All, &writes(f, Phase::BeforeDiscovery)[0]),
            hex("55 AA 51 09 00 A4 90 00 FF FF 1C")
        );
    }

    #[test]
    fn every_version_rolling_family_opens_its_cores() {
        for family in crate::ALL_FAMILIES {
            let per_chip = writes(family, Phase::PerChip);
            let opens = per_chip
                .iter()
                .any(|w| w.register == reg::MISC_CONTROL && w.value & 0xF000_0000 != 0);
            let enables = per_chip
                .iter()
                .any(|w| w.register == reg::CORE_REGISTER_CONTROL && w.value == CORE_ENABLE);
            assert_eq!(opens && enables, family.rolls_version(), "{family}");
            for phase in [
                Phase::BeforeDiscovery,
                Phase::AfterDiscovery,
                Phase::AfterAddressing,
                Phase::PerChip,
                Phase::AfterPerChip,
                Phase::Mining,
            ] {
                for write in writes(family, phase) {
                    assert!(!write.source.is_empty() && !write.why.is_empty());
                }
            }
        }
    }

    /// docs/bringup.md carries these tables between its `<!-- bringup tables -->` markers; this
    /// test renders them from the code and fails when the page has drifted. `HASHBENCH_BLESS=1`
    /// rewrites the page's tables from the code.
    #[test]
    fn the_docs_tables_are_the_code() {
        use std::fmt::Write as _;
        let phases = [
            (Phase::BeforeDiscovery, "before discovery"),
            (Phase::AfterDiscovery, "after discovery"),
            (Phase::AfterAddressing, "after addressing"),
            (Phase::PerChip, "per chip"),
            (Phase::AfterPerChip, "after the per-chip pass"),
            (Phase::Mining, "before the first job"),
        ];
        let mut tables = std::string::String::new();
        for family in crate::ALL_FAMILIES {
            let _ = writeln!(tables, "\n#### {}\n", family.name().to_uppercase());
            let rows: std::vec::Vec<(&str, &Write)> = phases
                .iter()
                .flat_map(|(p, name)| writes(family, *p).iter().map(move |w| (*name, w)))
                .collect();
            if rows.is_empty() {
                let _ = writeln!(
                    tables,
                    "No writes beyond addressing, ticket mask, PLL ramp, hash counting number and baud."
                );
                continue;
            }
            let _ = writeln!(tables, "| phase | register | value | why | source |");
            let _ = writeln!(tables, "|---|---|---|---|---|");
            for (phase, w) in rows {
                let _ = writeln!(
                    tables,
                    "| {phase} | 0x{:02X} | 0x{:08X} | {} | {} |",
                    w.register, w.value, w.why, w.source
                );
            }
        }
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/bringup.md");
        let page = std::fs::read_to_string(path).unwrap();
        let (open, close) = ("<!-- bringup tables -->", "<!-- end bringup tables -->");
        let start = page.find(open).unwrap() + open.len();
        let end = page.find(close).unwrap();
        if page[start..end] != tables {
            if std::env::var_os("HASHBENCH_BLESS").is_some() {
                let fresh = std::format!("{}{tables}{}", &page[..start], &page[end..]);
                std::fs::write(path, fresh).unwrap();
            } else {
                panic!("docs/bringup.md is out of date (HASHBENCH_BLESS=1 rewrites it):\n{tables}");
            }
        }
    }
}
