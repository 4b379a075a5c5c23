//! Which chip slot and core own a nonce, and when a sweep reaches it (facts §3.2, §3.3).
//!
//! A chain splits the nonce space into slots, one per chip. Families with an address field
//! (BM1387/1397/1398/1362/1366/1368) put the slot in the nonce's field view: `(nonce_h >> shift)
//! & 0xFF` divided by the address interval, so the slot follows the chip's address. BM1370 chains
//! with explicit nonce offsets sweep offset ranges of the 25-bit counter instead. Inside its slot
//! each core sweeps its own sub-slice, 2 nonces per hash clock (MUJ-REF), from the start upward
//! ([I] the order), and every version batch sweeps it again.

use bm13xx::{Family, FamilyParams};

/// How the nonce space is split between chips.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SliceRule {
    /// Slot = ((nonce_h >> shift) & 0xFF) / interval.
    AddressField {
        /// Right shift of the field view.
        shift: u8,
        /// Address interval between neighbouring chips.
        interval: u16,
    },
    /// Slot i sweeps counter values `starts[i]..starts[i+1]` of the low 25 bits of the field
    /// view (BM1370 CHIP_NONCE_OFFSET; start = offset << 9). One start of 0 is one chip owning all.
    Offsets {
        /// Counter value where each slot starts, ascending, first 0.
        starts: Vec<u32>,
    },
}

/// The header version bits a version-rolling chip rolls with mask 0xFFFF (bits 28-13, mujina
/// REFERENCE.md 0xA4; BIP320's 0x1FFFE000).
pub const ROLLED_VERSION_BITS: u32 = 0x1FFF_E000;

/// Low bits of the field view that form the BM1370 counter.
const OFFSET_COUNTER_BITS: u32 = 25;

impl SliceRule {
    /// Offsets splitting the counter evenly between `chips` chips, as the S21 Pro factory
    /// firmware does: register offset `ceil(i * 65536 / chips)` (0x03F1, …, 0xFC10 for 65 chips).
    #[must_use]
    pub fn even_offsets(chips: usize) -> Self {
        let chips = chips.max(1) as u64;
        let starts = (0..chips)
            .map(|i| (((i * 65_536).div_ceil(chips)) << 9) as u32)
            .collect();
        Self::Offsets { starts }
    }

    /// The CHIP_NONCE_OFFSET register value of `slot` (bit 31 enables the offset).
    #[must_use]
    pub fn offset_register(&self, slot: usize) -> Option<u32> {
        match self {
            Self::Offsets { starts } => starts.get(slot).map(|s| 0x8000_0000 | (s >> 9)),
            Self::AddressField { .. } => None,
        }
    }
}

/// Who owns a nonce and where in the sweep it lies.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Owner {
    /// Slot (the chip at that address or offset).
    pub slot: usize,
    /// Core id.
    pub core: u8,
    /// Fraction of the slot's sweep done when the nonce is reached, in [0, 1).
    pub position: f64,
}

/// The setup of a chain for the known-nonce test.
#[derive(Debug, Clone, PartialEq)]
pub struct ChainSetup {
    /// Chip family.
    pub family: Family,
    /// Cores per chip whose ids appear in nonces (the core field is 7 bits wide).
    pub cores: u16,
    /// How the nonce space is split.
    pub rule: SliceRule,
    /// Hash clock, MHz.
    pub freq_mhz: f64,
    /// Fraction of each slot the sweep covers before it starts the next version batch.
    pub coverage: f64,
    /// Ticket difficulty (a power of two): chips report only nonces at least this hard.
    pub ticket_difficulty: u64,
    /// Header version bits the chips roll themselves (0x1FFFE000 on BM1362 and later, 0 on
    /// midstate families). Jobs go out with these bits clear: sources do not say whether a chip
    /// ORs its rolled bits into the job's version or replaces them (mujina REFERENCE.md and
    /// ESP-Miner rebuild `version | bits << 13`; no source sends a job with them set while
    /// rolling is on), and with them clear both readings give the same versions. The block's
    /// own version is then reached by the sub-core whose counter equals its rolled bits.
    pub rolled_version_bits: u32,
    /// Versions a core hashes at once (its sub-cores, one version slot each): 8 on BM1362/66,
    /// 16 on BM1368/70 (mujina REFERENCE.md "The Parallel Hierarchy"), 1 without rolling. A
    /// header whose rolled bits, read as the version counter, are below this is found in the
    /// first version batch, as fast as one with the bits clear.
    pub version_slots: u32,
}

impl ChainSetup {
    /// A setup from a family's parameters.
    #[must_use]
    pub fn new(family: Family, params: &FamilyParams, rule: SliceRule, freq_mhz: f64) -> Self {
        let (_, mask) = family.core_field();
        Self {
            family,
            cores: params.cores.min(mask as u16 + 1),
            rule,
            freq_mhz,
            coverage: 1.0,
            ticket_difficulty: 256,
            rolled_version_bits: if family.rolls_version() {
                ROLLED_VERSION_BITS
            } else {
                0
            },
            version_slots: match family {
                Family::Bm1368 | Family::Bm1370 => 16,
                Family::Bm1362 | Family::Bm1366 => 8,
                _ => 1,
            },
        }
    }

    /// How many slots the rule defines.
    #[must_use]
    pub fn slots(&self) -> usize {
        match &self.rule {
            SliceRule::AddressField { interval, .. } => 255 / usize::from((*interval).max(1)) + 1,
            SliceRule::Offsets { starts } => starts.len(),
        }
    }

    fn core_of(&self, nonce_h: u32) -> u8 {
        let (shift, mask) = self.family.core_field();
        ((nonce_h >> shift) & mask) as u8
    }

    /// Nonces each core sweeps in `slot` per version batch.
    #[must_use]
    pub fn slot_size(&self, slot: usize) -> u64 {
        match &self.rule {
            SliceRule::AddressField { shift, interval } => {
                let (core_shift, _) = self.family.core_field();
                // Counter bits: below the chip field, without the core field where it sits there.
                let low_bits = u32::from(*shift) - if core_shift < *shift { 7 } else { 0 };
                let sub_values = if (slot + 1) * usize::from(*interval) > 256 {
                    256 - slot * usize::from(*interval)
                } else {
                    usize::from(*interval)
                };
                (sub_values as u64) << low_bits
            }
            SliceRule::Offsets { starts } => {
                let start = starts.get(slot).copied().unwrap_or(0);
                let end = starts
                    .get(slot + 1)
                    .copied()
                    .unwrap_or(1 << OFFSET_COUNTER_BITS);
                u64::from(end.saturating_sub(start))
            }
        }
    }

    /// Who owns `nonce` (the header nonce), or `None` when its core id is beyond the chip's
    /// cores (no core sweeps it).
    #[must_use]
    pub fn owner(&self, nonce: u32) -> Option<Owner> {
        let core = self.core_of(nonce.swap_bytes());
        if u16::from(core) >= self.cores {
            return None;
        }
        let (slot, counter) = self.slot_and_counter(nonce);
        let size = self.slot_size(slot).max(1);
        Some(Owner {
            slot,
            core,
            position: counter as f64 / size as f64,
        })
    }

    /// The slot whose fields `nonce` (the header nonce) carries, whatever its core id: a
    /// result from a core id no core has is still that chip's (miscomputed, or another part's
    /// arithmetic), and the chip field of the reply says so.
    #[must_use]
    pub fn slot_of(&self, nonce: u32) -> usize {
        self.slot_and_counter(nonce).0
    }

    /// The slot `nonce` lies in, and its counter within the slot.
    fn slot_and_counter(&self, nonce: u32) -> (usize, u64) {
        let nonce_h = nonce.swap_bytes();
        match &self.rule {
            SliceRule::AddressField { shift, interval } => {
                let interval = u32::from((*interval).max(1));
                let field = (nonce_h >> shift) & 0xFF;
                let (core_shift, _) = self.family.core_field();
                let low = nonce_h & ((1u32 << shift) - 1);
                let (low, low_bits) = if core_shift < *shift {
                    // BM1387: the core field is the low 7 bits; the counter is what lies between.
                    (low >> 7, u32::from(*shift) - 7)
                } else {
                    (low, u32::from(*shift))
                };
                (
                    (field / interval) as usize,
                    (u64::from(field % interval) << low_bits) | u64::from(low),
                )
            }
            SliceRule::Offsets { starts } => {
                let counter = nonce_h & ((1 << OFFSET_COUNTER_BITS) - 1);
                let slot = starts.partition_point(|&s| s <= counter).saturating_sub(1);
                (
                    slot,
                    u64::from(counter - starts.get(slot).copied().unwrap_or(0)),
                )
            }
        }
    }

    /// Seconds a core needs to sweep all of `slot` once: 2 nonces per hash clock (MUJ-REF).
    #[must_use]
    pub fn sweep_seconds(&self, slot: usize) -> f64 {
        self.slot_size(slot) as f64 / (2.0 * self.freq_mhz.max(1.0) * 1e6)
    }

    /// Seconds from the start of a job until the sweep reaches the owner's nonce.
    #[must_use]
    pub fn time_to(&self, owner: &Owner) -> f64 {
        owner.position * self.sweep_seconds(owner.slot)
    }

    /// HASH_COUNTING_NUMBER (25 MHz ticks) for the widest slot: its whole sweep less the
    /// 200-tick guard MUJ-REF subtracts because sweeps overrun their deadline by about 130
    /// ticks, so no chip sweeps into its neighbour's slot.
    #[must_use]
    pub fn hash_counting_number(&self) -> u32 {
        let widest = (0..self.slots())
            .map(|s| self.sweep_seconds(s))
            .fold(0.0, f64::max);
        ((widest * 25e6).floor() as u32)
            .saturating_sub(HCN_GUARD_TICKS)
            .max(1)
    }

    /// Fraction of the slot `slot` a sweep of `hcn` ticks covers (at most 1).
    #[must_use]
    pub fn coverage_of(&self, hcn: u32, slot: usize) -> f64 {
        (f64::from(hcn) / 25e6 / self.sweep_seconds(slot).max(f64::MIN_POSITIVE)).min(1.0)
    }
}

/// Ticks subtracted from the HASH_COUNTING_NUMBER (MUJ-REF: subtract about 200).
pub const HCN_GUARD_TICKS: u32 = 200;

/// The S19j Pro chain (BM1362, address interval 2, 525 MHz) that the crate's tests share.
#[cfg(test)]
pub(crate) fn s19jpro_chain() -> ChainSetup {
    let f = Family::Bm1362;
    ChainSetup::new(
        f,
        &f.default_params(),
        SliceRule::AddressField {
            shift: 17,
            interval: 2,
        },
        525.0,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bm1362_fields_follow_the_capture_verified_map() {
        let chain = s19jpro_chain();
        assert_eq!(chain.slots(), 128);
        assert_eq!(chain.slot_size(0), 1 << 18);
        // Field view 0x4C035275: core 0x26, chip field bits 24-17 = 0x01 -> slot 0, counter
        // (1 << 17) | 0x15275.
        let nonce = 0x4C03_5275_u32.swap_bytes();
        let owner = chain.owner(nonce).unwrap();
        assert_eq!((owner.slot, owner.core), (0, 38));
        assert!(
            (owner.position - f64::from((1 << 17) | 0x15275) / f64::from(1 << 18)).abs() < 1e-12
        );
        // Core ids from 65 up belong to no BM1362 core.
        assert_eq!(chain.owner(0x8200_0000_u32.swap_bytes()), None);
    }

    #[test]
    fn sweep_time_matches_the_factory_epoch() {
        // Factory S19j Pro HCN 0x1381 covers ~73-80 % of the slice (MUJ-REF): our full-slice time
        // at 525 MHz puts 0x1381 ticks at 76 %.
        let chain = s19jpro_chain();
        let fraction = f64::from(0x1381) / 25e6 / chain.sweep_seconds(0);
        assert!((0.73..=0.80).contains(&fraction), "{fraction}");
    }

    #[test]
    fn even_offsets_match_the_s21_pro_factory_values() {
        let rule = SliceRule::even_offsets(65);
        assert_eq!(rule.offset_register(0), Some(0x8000_0000));
        assert_eq!(rule.offset_register(1), Some(0x8000_03F1));
        assert_eq!(rule.offset_register(64), Some(0x8000_FC10));
        let f = Family::Bm1370;
        let chain = ChainSetup::new(f, &f.default_params(), rule, 600.0);
        let owner = chain
            .owner((0x2600_0000_u32 | (0x03F1 << 9)).swap_bytes())
            .unwrap();
        assert_eq!((owner.slot, owner.core, owner.position), (1, 0x13, 0.0));
    }

    #[test]
    fn bm1387_core_is_the_low_field() {
        let f = Family::Bm1387;
        let chain = ChainSetup::new(
            f,
            &f.default_params(),
            SliceRule::AddressField {
                shift: 24,
                interval: 4,
            },
            650.0,
        );
        assert_eq!(chain.slots(), 64);
        let owner = chain.owner(0x0900_0005_u32.swap_bytes()).unwrap();
        assert_eq!((owner.slot, owner.core), (2, 5));
        // Core id 0x75 (117): no BM1387 core has it (114 cores), but the chip field still
        // names address 0x34, slot 13: a result the chip there computed wrong.
        let impossible_core = 0x347C_7A75_u32.swap_bytes();
        assert_eq!(chain.owner(impossible_core), None);
        assert_eq!(chain.slot_of(impossible_core), 13);
    }
}
