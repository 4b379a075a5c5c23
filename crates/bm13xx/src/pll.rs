//! PLL frequency maths (facts §1.7, register 0x08).
//!
//! f = 25 MHz × FB_DIV / (REF_DIV × PD1 × PD2); VCO = 25 MHz × FB_DIV / REF_DIV. The register
//! holds `[flags, FB_DIV, REF_DIV, post dividers]` with flags 0x40, or 0x50 when the VCO runs at
//! 2.4 GHz or more. BM136x store the post dividers minus one (`(PD1-1)<<4 | (PD2-1)`), BM1397
//! stores them as they are.

use crate::family::Family;

/// One PLL setting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pll {
    /// Feedback divider.
    pub fb_div: u8,
    /// Reference divider.
    pub ref_div: u8,
    /// First post divider (1..=7).
    pub post_div1: u8,
    /// Second post divider (1..=7, not above `post_div1`).
    pub post_div2: u8,
}

/// Search limits for [`Pll::for_frequency`]. [I] The defaults follow the ranges the open
/// firmwares search (FB_DIV 0xA0..=0xEF, REF_DIV 1..=2, post dividers 1..=7); they are not from
/// a datasheet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PllLimits {
    /// Smallest feedback divider.
    pub fb_min: u8,
    /// Largest feedback divider.
    pub fb_max: u8,
    /// Largest reference divider.
    pub ref_max: u8,
}

impl Default for PllLimits {
    fn default() -> Self {
        Self {
            fb_min: 0xA0,
            fb_max: 0xEF,
            ref_max: 2,
        }
    }
}

impl Pll {
    /// VCO frequency in MHz.
    #[must_use]
    pub fn vco_mhz(&self) -> f64 {
        25.0 * f64::from(self.fb_div) / f64::from(self.ref_div.max(1))
    }

    /// Output frequency in MHz.
    #[must_use]
    pub fn frequency_mhz(&self) -> f64 {
        self.vco_mhz() / f64::from(self.post_div1.max(1)) / f64::from(self.post_div2.max(1))
    }

    /// The setting closest to `mhz` within `limits` (lowest VCO on ties), or `None` when nothing
    /// is within 1 %.
    #[must_use]
    pub fn for_frequency(mhz: f64, limits: PllLimits) -> Option<Self> {
        let mut best: Option<(f64, Self)> = None;
        for ref_div in 1..=limits.ref_max.max(1) {
            for post_div1 in 1..=7u8 {
                for post_div2 in 1..=post_div1 {
                    for fb_div in limits.fb_min..=limits.fb_max {
                        let pll = Self {
                            fb_div,
                            ref_div,
                            post_div1,
                            post_div2,
                        };
                        let error = (pll.frequency_mhz() - mhz).abs();
                        let better = match best {
                            None => true,
                            Some((e, b)) => {
                                error < e - 1e-9
                                    || (error <= e + 1e-9 && pll.vco_mhz() < b.vco_mhz())
                            }
                        };
                        if better {
                            best = Some((error, pll));
                        }
                    }
                }
            }
        }
        best.filter(|(error, _)| *error <= mhz * 0.01)
            .map(|(_, pll)| pll)
    }

    /// Register 0x08 value for `family`.
    #[must_use]
    pub fn register_value(&self, family: Family) -> u32 {
        let flags: u32 = if self.vco_mhz() >= 2400.0 { 0x50 } else { 0x40 };
        let post = match family {
            Family::Bm1387 | Family::Bm1397 | Family::Bm1398 => {
                (self.post_div1 << 4) | self.post_div2
            }
            _ => ((self.post_div1.saturating_sub(1)) << 4) | self.post_div2.saturating_sub(1),
        };
        flags << 24 | u32::from(self.fb_div) << 16 | u32::from(self.ref_div) << 8 | u32::from(post)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frequency_formula() {
        let pll = Pll {
            fb_div: 0xA8,
            ref_div: 2,
            post_div1: 2,
            post_div2: 2,
        };
        assert_eq!(pll.vco_mhz(), 2100.0);
        assert_eq!(pll.frequency_mhz(), 525.0);
        assert_eq!(pll.register_value(Family::Bm1366), 0x40A8_0211);
        assert_eq!(pll.register_value(Family::Bm1397), 0x40A8_0222);
    }

    #[test]
    fn search_finds_exact_settings() {
        for mhz in [400.0, 485.0, 490.0, 525.0, 600.0] {
            let pll = Pll::for_frequency(mhz, PllLimits::default()).unwrap();
            assert!(
                (pll.frequency_mhz() - mhz).abs() < mhz * 0.01,
                "{mhz}: {pll:?}"
            );
        }
        assert_eq!(Pll::for_frequency(10.0, PllLimits::default()), None);
    }
}
