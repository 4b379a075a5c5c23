//! Guided halving for a return line held low (Bitmain's procedure for a chain that finds 0
//! chips: facts §6.1 step 4, S19MG p12, rongbtc): the technician shorts the RO test point
//! between chips `m - 1` and `m` to 1V8, which holds chip `m - 1`'s return input idle, and the
//! chain is counted again. Chips `0..m` then answer unless one of them holds the line: a count of
//! `m` clears them, a count of 0 puts the culprit among them. Each step halves the chips that
//! may hold the line, so a 126-chip chain takes 7 counts. The same search serves a chain that
//! stops somewhere it cannot say (a count that varies; facts §6.1 "partial count: bisect"): a
//! count short of `m` puts the fault before `m`.
//!
//! Pure: it says where to short next and what a count means; the caller shorts, counts and
//! keeps the steps.

use serde::{Deserialize, Serialize};

/// One count with the short in place.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct HalvingStep {
    /// The RO test point shorted to 1V8: between chips `short_at - 1` and `short_at`.
    pub short_at: usize,
    /// Chips counted with the short in place.
    pub count: usize,
}

/// A count that fits no chip holding the line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HalvingError {
    /// More chips counted than there are before the short.
    #[error(
        "{count} chips counted with RO shorted to 1V8 between chips {} and {short_at}: no more than {short_at} can answer with the short in place. Check the short (the right test point, a firm contact) and count again",
        short_at.saturating_sub(1)
    )]
    Unexpected {
        /// Where the short was.
        short_at: usize,
        /// What was counted.
        count: usize,
    },
    /// A count for a short other than the one asked for.
    #[error("the count was taken with the short at chip {got}, the step asked for chip {asked}")]
    WrongStep {
        /// The short asked for.
        asked: usize,
        /// The short the count was taken with.
        got: usize,
    },
    /// The search is over.
    #[error("the halving already found chip {0}")]
    Done(usize),
}

/// What the halving looks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum Search {
    /// The chip holding the return line low (the chain counts 0, the line is held).
    #[default]
    HeldLine,
    /// Where the chain stops (it counts no chip, or a count that does not say where).
    Stop,
}

/// The search: which chips may still be the fault, and the counts so far.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Halving {
    /// The first chip that may be the fault.
    lo: usize,
    /// The last chip that may be the fault.
    hi: usize,
    /// What it looks for.
    search: Search,
    /// The counts so far, in order.
    pub steps: Vec<HalvingStep>,
}

impl Halving {
    /// A search for the chip holding the return line on a chain of `chips` (at least one).
    #[must_use]
    pub fn new(chips: usize) -> Self {
        Self::for_search(chips, Search::HeldLine)
    }

    /// A search for `search` on a chain of `chips` (at least one).
    #[must_use]
    pub fn for_search(chips: usize, search: Search) -> Self {
        Self {
            lo: 0,
            hi: chips.saturating_sub(1),
            search,
            steps: Vec::new(),
        }
    }

    /// The chips that may still hold the line, first and last.
    #[must_use]
    pub fn candidates(&self) -> (usize, usize) {
        (self.lo, self.hi)
    }

    /// Where to short next (between chips `m - 1` and `m`), or `None` when one chip is left.
    #[must_use]
    pub fn next_short(&self) -> Option<usize> {
        // The middle of the candidates, rounded up: a count of `m` clears `lo..m`, 0 keeps them.
        (self.lo < self.hi).then(|| self.lo + (self.hi - self.lo).div_ceil(2))
    }

    /// The chip holding the line, once one candidate is left.
    #[must_use]
    pub fn culprit(&self) -> Option<usize> {
        (self.lo == self.hi).then_some(self.lo)
    }

    /// Take the count made with the short at `short_at`.
    ///
    /// # Errors
    /// A count for another step, after the search ended, or that fits no single chip holding
    /// the line: nothing is changed.
    pub fn record(&mut self, short_at: usize, count: usize) -> Result<(), HalvingError> {
        let Some(asked) = self.next_short() else {
            return Err(HalvingError::Done(self.lo));
        };
        if short_at != asked {
            return Err(HalvingError::WrongStep {
                asked,
                got: short_at,
            });
        }
        if count == short_at {
            self.lo = short_at;
        } else if count < short_at {
            // A held line counts 0; a chain that stops before the short counts the chips
            // before its break: either way the fault is before the short.
            self.hi = short_at - 1;
        } else {
            return Err(HalvingError::Unexpected { short_at, count });
        }
        self.steps.push(HalvingStep { short_at, count });
        Ok(())
    }

    /// What to do now, for people.
    #[must_use]
    pub fn instruction(&self) -> String {
        let may = match self.search {
            Search::HeldLine => "may hold the line",
            Search::Stop => "may be where the chain stops",
        };
        match (self.next_short(), self.culprit(), self.search) {
            (Some(m), _, _) => format!(
                "Short the RO test point between chips {} and {m} to 1V8 and count again (chips {}-{} {may})",
                m - 1,
                self.lo,
                self.hi
            ),
            (None, Some(0), Search::Stop) => "The chain stops at chip 0 or before it: nothing counts even with RO shorted right after chip 0. Check the level shifter and the I/O connector, then chip 0's CLK, CI, RO and RST joints; replace chip 0 if they are good (Bitmain's guide)".to_owned(),
            (None, Some(k), Search::Stop) => format!(
                "The chain stops at chip {k}: the chips before it count with RO shorted right before it, and no more with the short after it. Probe CLK, CO, RI, BO and RST between chips {} and {k}; reflow chip {k}, replace it if that does not help",
                k - 1
            ),
            (None, Some(0), Search::HeldLine) => "Chip 0 or the path before it holds the return line: the chain counts 0 even with RO shorted right after chip 0. Check the level shifter and the I/O connector, then chip 0's RO/RI joints; replace chip 0 if they are good (Bitmain's guide)".to_owned(),
            (None, Some(k), Search::HeldLine) => {
                let after = if self.steps.iter().any(|s| s.short_at == k + 1) {
                    ", and 0 with the short right after it".to_owned()
                } else {
                    String::new()
                };
                format!(
                    "Chip {k} holds the return line: the chips before it count with RO shorted right before it{after}. Replace chip {k} (check its RO/RI joints first)"
                )
            }
            (None, None, _) => "No chip is left to test".to_owned(),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    /// What a chain counts with the short at `m` when chip `stuck` holds RO.
    fn count(stuck: usize, m: usize) -> usize {
        if stuck < m { 0 } else { m }
    }

    /// Follow the instructions on a chain of `chips` whose chip `stuck` holds the line.
    fn halve(chips: usize, stuck: usize) -> Halving {
        let mut h = Halving::new(chips);
        while let Some(m) = h.next_short() {
            h.record(m, count(stuck, m)).unwrap();
        }
        h
    }

    #[test]
    fn converges_on_every_chip_of_a_126_chip_chain_in_seven_counts() {
        for stuck in 0..126 {
            let h = halve(126, stuck);
            assert_eq!(h.culprit(), Some(stuck));
            assert!(h.steps.len() <= 7, "chip {stuck}: {} steps", h.steps.len());
        }
    }

    #[test]
    fn a_chain_that_stops_converges_on_its_first_silent_chip() {
        // A break at chip b: with the short at m the chips before min(m, b) answer.
        for b in [0, 1, 40, 125] {
            let mut h = Halving::for_search(126, Search::Stop);
            while let Some(m) = h.next_short() {
                h.record(m, m.min(b)).unwrap();
            }
            assert_eq!(h.culprit(), Some(b));
            assert!(h.instruction().starts_with("The chain stops at chip"));
        }
    }

    #[test]
    fn the_first_short_is_in_the_middle() {
        let h = Halving::new(126);
        assert_eq!(h.next_short(), Some(63));
        assert!(h.instruction().contains("between chips 62 and 63"));
    }

    #[test]
    fn a_count_above_the_short_changes_nothing() {
        let mut h = Halving::new(126);
        let e = h.record(63, 70).unwrap_err();
        assert_eq!(
            e.to_string().split(':').next().unwrap(),
            "70 chips counted with RO shorted to 1V8 between chips 62 and 63"
        );
        assert_eq!(
            h.record(10, 10),
            Err(HalvingError::WrongStep { asked: 63, got: 10 })
        );
        assert_eq!(h, Halving::new(126));
    }

    #[test]
    fn a_single_chip_needs_no_count() {
        let h = Halving::new(1);
        assert_eq!((h.next_short(), h.culprit()), (None, Some(0)));
        assert!(h.instruction().starts_with("Chip 0 or the path before it"));
    }
}
