//! The BM13xx chip families and the facts that differ between them.
//!
//! Every value here carries its source tag from the facts file. Values that sources dispute ([C])
//! are not baked into the protocol code: they live in [`FamilyParams`], whose defaults are
//! documented and which a board profile may override.

use core::fmt;
use core::str::FromStr;

/// A BM13xx chip family.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Family {
    /// S9 generation. No preamble, own command codes, 7-byte replies.
    Bm1387,
    /// S17 generation. Midstate jobs, 9-byte replies.
    Bm1397,
    /// S19 / S19 Pro. Same protocol as the BM1397 [I: facts §1 treat them together].
    Bm1398,
    /// S19j Pro. Full-header jobs, version rolling in the chip.
    Bm1362,
    /// S19k Pro, S19 XP, Bitaxe Ultra/Hex.
    Bm1366,
    /// S21, Bitaxe Supra/SupraHex.
    Bm1368,
    /// S21 Pro, Bitaxe Gamma.
    Bm1370,
}

/// How a family receives work.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobFormat {
    /// The host sends SHA-256 midstates of the first 64 header bytes (BM1387/1397/1398).
    Midstate,
    /// The host sends the whole header; the chip computes its own midstates (BM1362 and later).
    FullHeader,
}

/// How to find which chip produced a nonce, from the nonce alone (facts §3.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NonceChipRule {
    /// The chip's address sits in the field view of the nonce: `(nonce_h >> shift) & 0xFF`,
    /// rounded down to the chain's address interval.
    AddressField {
        /// Right shift applied to the field view.
        shift: u8,
    },
    /// No fixed field: chips sweep explicit offset ranges (BM1370 CHIP_NONCE_OFFSET), so the
    /// owner is found from the chain setup, not from the nonce bits.
    OffsetRange,
}

/// Parameters of a family where sources disagree or the value is an inference. Defaults are
/// documented per field; board profiles may override them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FamilyParams {
    /// Small cores (hashing units) per chip used for expected-rate maths. [C] BM1368 1276 (ESPM)
    /// vs 1280 (GEKKO); BM1370 2040 (ESPM) vs 2048 (GEKKO): defaults follow ESP-Miner.
    pub small_cores: u16,
    /// Big cores per chip; the core field of a nonce ranges over these.
    pub cores: u16,
    /// The length byte sent in full-header job frames. [C] ESP-Miner sends 0x56 (the true
    /// count), Bitmain factory firmware 0x36, GEKKO 0xFF for BM1370; [I] chips ignore it. Default
    /// 0x56. Midstate families always send the true count.
    pub job_length_byte: u8,
    /// The `num_midstates` byte of full-header jobs. [C] ESP-Miner and factory send 0x01, GEKKO
    /// 0x00 for BM1370. Default 0x01.
    pub full_header_midstates_byte: u8,
    /// Where the chip is found in a nonce. [C] for BM1397 and BM1368 (facts §3.2, §8).
    pub nonce_chip_rule: NonceChipRule,
}

/// Where the job id and the sub-core/midstate index sit in the reply's job byte (facts §1.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobByteLayout {
    /// BM1387: the job id is the whole byte (GEKKO steps by 1, max 0x7F). [I]
    Whole,
    /// BM1397/1398: job id in bits 7-2, midstate index in bits 1-0 (ESP-Miner).
    /// [C] BMRS reads bits 1-0 as a small core instead.
    MidstateLow2,
    /// BM1362/1366: job id in bits 7-3, sub-core in bits 2-0.
    SubcoreLow3,
    /// BM1368/1370: job id = (byte & 0xF0) >> 1, sub-core in bits 3-0.
    SubcoreLow4,
}

/// Every family, in generation order.
pub const ALL_FAMILIES: [Family; 7] = [
    Family::Bm1387,
    Family::Bm1397,
    Family::Bm1398,
    Family::Bm1362,
    Family::Bm1366,
    Family::Bm1368,
    Family::Bm1370,
];

impl Family {
    /// Lower-case name as used on the command line, e.g. `bm1370`.
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Self::Bm1387 => "bm1387",
            Self::Bm1397 => "bm1397",
            Self::Bm1398 => "bm1398",
            Self::Bm1362 => "bm1362",
            Self::Bm1366 => "bm1366",
            Self::Bm1368 => "bm1368",
            Self::Bm1370 => "bm1370",
        }
    }

    /// The chip ID in the top 16 bits of register 0x00 (facts §2.2). BM1387 and BM1398 values
    /// come from single secondary sources; see [`Family::chip_id_verified`].
    #[must_use]
    pub const fn chip_id(self) -> u16 {
        match self {
            Self::Bm1387 => 0x1387,
            Self::Bm1397 => 0x1397,
            Self::Bm1398 => 0x1398,
            Self::Bm1362 => 0x1362,
            Self::Bm1366 => 0x1366,
            Self::Bm1368 => 0x1368,
            Self::Bm1370 => 0x1370,
        }
    }

    /// Whether the chip-ID value is confirmed by a captured reply (facts §2.2). BM1387's full
    /// reply was never captured; BM1398's comes from a fixture log line only.
    #[must_use]
    pub const fn chip_id_verified(self) -> bool {
        !matches!(self, Self::Bm1387 | Self::Bm1398)
    }

    /// Whether frames from the host start with `55 AA` and replies with `AA 55`. BM1387 frames
    /// are bare (GEKKO, facts §1.2).
    #[must_use]
    pub const fn has_preamble(self) -> bool {
        !matches!(self, Self::Bm1387)
    }

    /// The job format (facts §1.5).
    #[must_use]
    pub const fn job_format(self) -> JobFormat {
        match self {
            Self::Bm1387 | Self::Bm1397 | Self::Bm1398 => JobFormat::Midstate,
            Self::Bm1362 | Self::Bm1366 | Self::Bm1368 | Self::Bm1370 => JobFormat::FullHeader,
        }
    }

    /// Whether the chip rolls version bits itself once register 0xA4 is written (facts §3.5).
    #[must_use]
    pub const fn rolls_version(self) -> bool {
        matches!(self.job_format(), JobFormat::FullHeader)
    }

    /// Reply length in bytes, preamble included. BM136x chips switch from 9 to 11 bytes when
    /// version rolling (0xA4) is written (facts §1.6).
    #[must_use]
    pub const fn reply_len(self, version_rolling: bool) -> usize {
        match self {
            Self::Bm1387 => 7,
            Self::Bm1397 | Self::Bm1398 => 9,
            Self::Bm1362 | Self::Bm1366 | Self::Bm1368 | Self::Bm1370 => {
                if version_rolling {
                    11
                } else {
                    9
                }
            }
        }
    }

    /// Layout of the job byte in nonce replies.
    #[must_use]
    pub const fn job_byte_layout(self) -> JobByteLayout {
        match self {
            Self::Bm1387 => JobByteLayout::Whole,
            Self::Bm1397 | Self::Bm1398 => JobByteLayout::MidstateLow2,
            Self::Bm1362 | Self::Bm1366 => JobByteLayout::SubcoreLow3,
            Self::Bm1368 | Self::Bm1370 => JobByteLayout::SubcoreLow4,
        }
    }

    /// Bits of the core id in the field view of a nonce: `(nonce_h >> shift) & mask`.
    /// BM1387: `nonce & 0x7F` (BMM); all later families: bits 31-25.
    #[must_use]
    pub const fn core_field(self) -> (u8, u32) {
        match self {
            Self::Bm1387 => (0, 0x7F),
            _ => (25, 0x7F),
        }
    }

    /// The documented defaults for the disputed parameters of this family.
    #[must_use]
    pub const fn default_params(self) -> FamilyParams {
        let (cores, small_cores) = match self {
            Self::Bm1387 => (114, 114),
            Self::Bm1397 => (168, 672),
            Self::Bm1398 => (156, 623),
            Self::Bm1362 => (65, 514),
            Self::Bm1366 => (112, 894),
            Self::Bm1368 => (80, 1276),
            Self::Bm1370 => (128, 2040),
        };
        let nonce_chip_rule = match self {
            // BMM: chip = nonce >> (24 + log2(interval)); with the interval rounding this is
            // the top byte of the nonce.
            Self::Bm1387 => NonceChipRule::AddressField { shift: 24 },
            Self::Bm1370 => NonceChipRule::OffsetRange,
            // ESP-Miner: ((nonce_h >> 17) & 0xFF) / interval; capture-verified on BM1362/66.
            _ => NonceChipRule::AddressField { shift: 17 },
        };
        FamilyParams {
            small_cores,
            cores,
            job_length_byte: 0x56,
            full_header_midstates_byte: 0x01,
            nonce_chip_rule,
        }
    }

    /// UART clock divider register and how to build its value (facts §2.3).
    #[must_use]
    pub const fn baud_register(self) -> u8 {
        match self {
            Self::Bm1387 => crate::registers::bm1387::MISC_CONTROL,
            Self::Bm1397 | Self::Bm1398 => crate::registers::MISC_CONTROL,
            _ => crate::registers::FAST_UART,
        }
    }
}

impl fmt::Display for Family {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The text named no known family.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UnknownFamily;

impl fmt::Display for UnknownFamily {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("unknown chip family (expected one of bm1387, bm1397, bm1398, bm1362, bm1366, bm1368, bm1370)")
    }
}

impl core::error::Error for UnknownFamily {}

impl FromStr for Family {
    type Err = UnknownFamily;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ALL_FAMILIES
            .into_iter()
            .find(|f| f.name().eq_ignore_ascii_case(s.trim()))
            .ok_or(UnknownFamily)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for family in ALL_FAMILIES {
            assert_eq!(family.name().parse::<Family>(), Ok(family));
        }
        assert_eq!("BM1370".parse::<Family>(), Ok(Family::Bm1370));
        assert_eq!("bm1385".parse::<Family>(), Err(UnknownFamily));
    }

    #[test]
    fn reply_lengths_follow_version_rolling() {
        assert_eq!(Family::Bm1387.reply_len(true), 7);
        assert_eq!(Family::Bm1397.reply_len(true), 9);
        assert_eq!(Family::Bm1370.reply_len(false), 9);
        assert_eq!(Family::Bm1370.reply_len(true), 11);
    }
}
