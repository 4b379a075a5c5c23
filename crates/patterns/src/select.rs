//! Usable patterns per slot, and their selection spread over a chip's cores.

use std::collections::BTreeSet;

use bm13xx::header::Header;

use crate::headers::HeaderSet;
use crate::setup::{ChainSetup, Owner};

/// One known-nonce test: a job whose golden nonce a given slot and core must return.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Pattern {
    /// Index of the header in the set.
    pub record: usize,
    /// Block height of the header.
    pub height: u32,
    /// The job: the header with its nonce zeroed and the bits the chips roll cleared from its
    /// version ([`ChainSetup::rolled_version_bits`]).
    pub header: Header,
    /// The nonce the owner must return.
    pub golden: u32,
    /// The version bits the chip rolls in to reach the block's version (its reply carries them
    /// `>> 13`); 0 when the block's version has the rolled bits clear.
    pub rolled: u32,
    /// Share difficulty of the golden nonce.
    pub difficulty: f64,
    /// Who must return it, and when.
    pub owner: Owner,
}

/// How much of a chip a set of patterns exercises.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Coverage {
    /// Patterns.
    pub patterns: usize,
    /// Distinct cores among them.
    pub cores: usize,
}

impl Coverage {
    /// The coverage of `patterns`.
    #[must_use]
    pub fn of(patterns: &[Pattern]) -> Self {
        let cores: BTreeSet<u8> = patterns.iter().map(|p| p.owner.core).collect();
        Self {
            patterns: patterns.len(),
            cores: cores.len(),
        }
    }
}

/// The job of a known header: nonce zero, and the bits the chips roll cleared from its version.
fn job_with_clear_rolled_bits(known: &crate::KnownHeader, rolled: u32) -> Header {
    let mut job = known.job_header();
    let version = bm13xx::header::fields::version(&job);
    bm13xx::header::fields::set_version(&mut job, version & !rolled);
    job
}

/// Every usable pattern of a chain setup, grouped by slot: the golden nonce is at least as hard
/// as the ticket, lies on a real core, inside the swept part of its slot, and a version-rolling
/// chip reaches the header's version in its first version batch
/// ([`ChainSetup::version_slots`]).
#[derive(Debug, Clone)]
pub struct PatternPool {
    by_slot: Vec<Vec<Pattern>>,
}

impl PatternPool {
    /// Sort the set's headers into slots for `setup`.
    #[must_use]
    pub fn build(set: &HeaderSet, setup: &ChainSetup) -> Self {
        let mut by_slot: Vec<Vec<Pattern>> = vec![Vec::new(); setup.slots()];
        let ticket = setup.ticket_difficulty as f64;
        for (record, known) in set.records().iter().enumerate() {
            if known.difficulty < ticket {
                continue;
            }
            // The version counter that reaches the block's version: only those hashed in the
            // first version batch (one per sub-core) are used.
            let version = bm13xx::header::fields::version(&known.header);
            let counter = (version & setup.rolled_version_bits) >> 13;
            if counter >= setup.version_slots.max(1) {
                continue;
            }
            let Some(owner) = setup.owner(known.golden()) else {
                continue;
            };
            if owner.position >= setup.coverage {
                continue;
            }
            if let Some(slot) = by_slot.get_mut(owner.slot) {
                slot.push(Pattern {
                    record,
                    height: known.height,
                    header: job_with_clear_rolled_bits(known, setup.rolled_version_bits),
                    rolled: version & setup.rolled_version_bits,
                    golden: known.golden(),
                    difficulty: known.difficulty,
                    owner,
                });
            }
        }
        for slot in &mut by_slot {
            slot.sort_by(|a, b| a.owner.position.total_cmp(&b.owner.position));
        }
        Self { by_slot }
    }

    /// The usable patterns of `slot`, earliest in the sweep first.
    #[must_use]
    pub fn slot(&self, slot: usize) -> &[Pattern] {
        self.by_slot
            .get(slot)
            .map(Vec::as_slice)
            .unwrap_or_default()
    }

    /// Number of slots.
    #[must_use]
    pub fn slots(&self) -> usize {
        self.by_slot.len()
    }
}

/// Up to `n` patterns from `candidates` that exercise as many cores as possible: cores not in
/// `tested` first, one pattern per core in a round, earliest in the sweep first within a round.
/// `used` records are skipped.
#[must_use]
pub fn spread(
    candidates: &[Pattern],
    n: usize,
    tested: &BTreeSet<u8>,
    used: &BTreeSet<usize>,
) -> Vec<Pattern> {
    let mut remaining: Vec<&Pattern> = candidates
        .iter()
        .filter(|p| !used.contains(&p.record))
        .collect();
    let mut chosen = Vec::with_capacity(n.min(remaining.len()));
    // The first round skips cores already tested; later rounds take every core again.
    let mut round_cores = tested.clone();
    while chosen.len() < n && !remaining.is_empty() {
        let before = chosen.len();
        remaining.retain(|p| {
            if chosen.len() < n && !round_cores.contains(&p.owner.core) {
                round_cores.insert(p.owner.core);
                chosen.push(**p);
                false
            } else {
                true
            }
        });
        if chosen.len() == before {
            // Every remaining pattern is on a core this round already has: start a new round,
            // which always picks at least one pattern.
            round_cores.clear();
        }
    }
    chosen
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s19jpro_pool() -> (ChainSetup, PatternPool) {
        let setup = crate::setup::s19jpro_chain();
        let pool = PatternPool::build(HeaderSet::mainnet(), &setup);
        (setup, pool)
    }

    #[test]
    fn every_pattern_belongs_to_its_slot_and_a_real_core() {
        let (setup, pool) = s19jpro_pool();
        for slot in 0..pool.slots() {
            for p in pool.slot(slot) {
                let owner = setup.owner(p.golden).unwrap();
                assert_eq!(owner.slot, slot);
                assert!(u16::from(owner.core) < setup.cores);
                assert!(p.difficulty >= 256.0);
                assert_eq!(bm13xx::header::fields::nonce(&p.header), 0);
            }
        }
    }

    #[test]
    fn every_s19j_pro_slot_has_patterns() {
        let (_, pool) = s19jpro_pool();
        let coverage: Vec<Coverage> = (0..126).map(|s| Coverage::of(pool.slot(s))).collect();
        // Only headers a BM1362 reaches in its first version batch are usable (the block's rolled
        // version bits, as a counter, below 8): 1,787 of the set at 126 slots, at least 5 each.
        // The pattern test moves chips between slots to reach enough cores.
        let least = coverage.iter().min_by_key(|c| c.patterns).unwrap();
        let total: usize = coverage.iter().map(|c| c.patterns).sum();
        assert_eq!(least.patterns, 5, "{least:?}");
        assert_eq!(total, 1787);
    }

    #[test]
    fn jobs_leave_the_rolled_bits_clear_and_the_first_batch_reaches_the_block() {
        let (setup, pool) = s19jpro_pool();
        let set = HeaderSet::mainnet();
        let mut rolled = 0;
        for slot in 0..pool.slots() {
            for p in pool.slot(slot) {
                let version = bm13xx::header::fields::version(&p.header);
                assert_eq!(version & setup.rolled_version_bits, 0);
                let block = bm13xx::header::fields::version(&set.records()[p.record].header);
                assert_eq!(block & !setup.rolled_version_bits, version);
                assert!((block & setup.rolled_version_bits) >> 13 < 8);
                if block != version {
                    rolled += 1;
                }
            }
        }
        assert!(rolled > 0, "some blocks were mined with rolled versions");
    }

    #[test]
    fn spread_prefers_new_cores() {
        let (_, pool) = s19jpro_pool();
        let slot = pool.slot(3);
        let picked = spread(slot, 10, &BTreeSet::new(), &BTreeSet::new());
        let cov = Coverage::of(&picked);
        assert_eq!(cov.patterns, 10.min(slot.len()));
        assert_eq!(cov.cores, cov.patterns.min(Coverage::of(slot).cores));

        // Cores already tested are only taken once no untested core is left.
        let tested: BTreeSet<u8> = picked.iter().map(|p| p.owner.core).collect();
        let used: BTreeSet<usize> = picked.iter().map(|p| p.record).collect();
        let more = spread(slot, 5, &tested, &used);
        let untested_left = slot
            .iter()
            .filter(|p| !tested.contains(&p.owner.core))
            .count();
        if untested_left >= 5 {
            assert!(more.iter().all(|p| !tested.contains(&p.owner.core)));
        }
        assert!(more.iter().all(|p| !used.contains(&p.record)));
        // Asking for everything gives every unused pattern once.
        let all = spread(slot, usize::MAX, &BTreeSet::new(), &BTreeSet::new());
        assert_eq!(all.len(), slot.len());
    }
}
