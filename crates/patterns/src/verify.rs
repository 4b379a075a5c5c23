//! Verify a returned nonce against the job it answers.
//!
//! Every chip checks difficulty 1 before it reports, and the ticket mask adds bits; a nonce that
//! fails either was miscomputed (a hardware error, facts §3.4). A nonce that passes is the
//! golden nonce of the job or another valid share, which proves the chip hashes too.

use bm13xx::header::{self, Header};

/// What a returned nonce proves.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum NonceVerdict {
    /// The known answer of the job.
    Golden,
    /// A valid share other than the golden nonce (another version or a second solution).
    OtherValid {
        /// Its share difficulty.
        difficulty: f64,
    },
    /// The hash fails difficulty 1: the chip miscomputed.
    FailsDiff1,
    /// The hash passes difficulty 1 but not the ticket mask the chip was given.
    BelowTicket {
        /// Its share difficulty.
        difficulty: f64,
    },
    /// A valid nonce that, by the chain's attribution rule, no chip on this chain should have
    /// found: its core or slot is not there. Either the rule (a disputed fact for some
    /// families) is wrong for this board, or a chip sweeps outside its slice.
    WrongChip {
        /// The slot the rule names, if any.
        slot: Option<usize>,
    },
}

impl NonceVerdict {
    /// Whether the nonce is a hardware error.
    #[must_use]
    pub fn is_hw_error(&self) -> bool {
        matches!(self, Self::FailsDiff1 | Self::BelowTicket { .. })
    }
}

/// Verify `nonce`, found with `version` (the job's version with any rolled bits), against the job
/// `job` (nonce field ignored) whose golden nonce is `golden`, for a chain at `ticket_difficulty`.
#[must_use]
pub fn verify(
    job: &Header,
    version: u32,
    nonce: u32,
    golden: u32,
    ticket_difficulty: u64,
) -> NonceVerdict {
    let mut h = *job;
    header::fields::set_version(&mut h, version);
    header::fields::set_nonce(&mut h, nonce);
    let hash = header::sha256d(&h);
    if !header::meets_diff1(&hash) {
        return NonceVerdict::FailsDiff1;
    }
    let difficulty = header::difficulty(&hash);
    // The golden nonce meeting difficulty 1 with the version the chip reports is the block's
    // header (any other version would pass with odds of 2^-32): a version-rolling chip reaches
    // it in the version slot of the block's rolled bits.
    if nonce == golden {
        return NonceVerdict::Golden;
    }
    // The ticket mask compares whole bits: require the leading zeros it asks for.
    let need = 32 + bm13xx::ticket::mask_bits(ticket_difficulty);
    if header::leading_zero_bits(&hash) < need {
        return NonceVerdict::BelowTicket { difficulty };
    }
    NonceVerdict::OtherValid { difficulty }
}

/// Like [`verify`], and then check the nonce against the chain: a valid nonce must lie on a real
/// core of a slot for which `slot_has_chip` is true, or it is [`NonceVerdict::WrongChip`].
#[must_use]
pub fn classify(
    setup: &crate::ChainSetup,
    job: &Header,
    version: u32,
    nonce: u32,
    golden: u32,
    slot_has_chip: impl Fn(usize) -> bool,
) -> NonceVerdict {
    let verdict = verify(job, version, nonce, golden, setup.ticket_difficulty);
    if verdict.is_hw_error() {
        return verdict;
    }
    match setup.owner(nonce) {
        Some(owner) if slot_has_chip(owner.slot) => verdict,
        owner => NonceVerdict::WrongChip {
            slot: owner.map(|o| o.slot),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::HeaderSet;

    #[test]
    fn the_golden_nonce_verifies_and_a_corrupted_one_does_not() {
        let known = HeaderSet::mainnet()
            .records()
            .iter()
            .find(|r| r.height == 830_000)
            .unwrap();
        let job = known.job_header();
        let v = header::fields::version(&job);
        assert_eq!(
            verify(&job, v, known.golden(), known.golden(), 256),
            NonceVerdict::Golden
        );
        assert_eq!(
            verify(&job, v, known.golden() ^ 0x0000_0100, known.golden(), 256),
            NonceVerdict::FailsDiff1
        );
        // The right nonce under a different version is a miscomputation too.
        assert_eq!(
            verify(&job, v ^ 0x2000, known.golden(), known.golden(), 256),
            NonceVerdict::FailsDiff1
        );
        assert!(NonceVerdict::FailsDiff1.is_hw_error());
    }

    #[test]
    fn a_valid_nonce_from_a_slot_without_a_chip_is_from_the_wrong_chip() {
        let setup = crate::setup::s19jpro_chain();
        let known = HeaderSet::mainnet()
            .records()
            .iter()
            .find(|r| r.difficulty >= 256.0 && setup.owner(r.golden()).is_some())
            .unwrap();
        let slot = setup.owner(known.golden()).unwrap().slot;
        let job = known.job_header();
        let v = header::fields::version(&job);
        let with_chip = |s: usize| s == slot;
        assert_eq!(
            classify(&setup, &job, v, known.golden(), known.golden(), with_chip),
            NonceVerdict::Golden
        );
        let without = |s: usize| s != slot;
        assert_eq!(
            classify(&setup, &job, v, known.golden(), known.golden(), without),
            NonceVerdict::WrongChip { slot: Some(slot) }
        );
        assert_eq!(
            classify(
                &setup,
                &job,
                v,
                known.golden() ^ 0x100,
                known.golden(),
                without
            ),
            NonceVerdict::FailsDiff1
        );
    }

    #[test]
    fn a_share_below_the_ticket_is_a_hardware_error() {
        // An early block whose hash barely meets difficulty 1 is below a 2^20 ticket.
        let known = HeaderSet::mainnet()
            .records()
            .iter()
            .find(|r| r.difficulty < 16.0)
            .unwrap();
        let job = known.job_header();
        let v = header::fields::version(&job);
        let verdict = verify(&job, v, known.golden() ^ 1, known.golden() ^ 2, 1 << 20);
        assert!(verdict.is_hw_error());
        let verdict = verify(&job, v, known.golden(), known.golden() ^ 2, 1 << 20);
        assert!(
            matches!(verdict, NonceVerdict::BelowTicket { .. }),
            "{verdict:?}"
        );
    }
}
