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

/// The step of a frequency ramp, MHz: ESP-Miner `do_frequency_transition` (`STEP_SIZE 6.25`)
/// and the S19j Pro factory bring-up (mujina REFERENCE.md "Multi-Chip Initialization" step 8:
/// 56.25 MHz to 525 MHz, 6.25 MHz a write).
pub const RAMP_STEP_MHZ: f64 = 6.25;

/// `x` rounded down to an integer (no_std has no `f64::floor`); exact well inside ±2^53.
fn floor(x: f64) -> i64 {
    let t = x as i64;
    if (t as f64) > x { t - 1 } else { t }
}

/// `x` rounded up to an integer.
fn ceil(x: f64) -> i64 {
    -floor(-x)
}

/// The frequencies a ramp from `from_mhz` to `to_mhz` writes, in order: every multiple of
/// [`RAMP_STEP_MHZ`] strictly between them, then `to_mhz` itself (ESP-Miner's walk).
pub fn ramp(from_mhz: f64, to_mhz: f64) -> impl Iterator<Item = f64> {
    let up = to_mhz >= from_mhz;
    let (first, last) = if up {
        (
            floor(from_mhz / RAMP_STEP_MHZ) + 1,
            ceil(to_mhz / RAMP_STEP_MHZ) - 1,
        )
    } else {
        (
            ceil(from_mhz / RAMP_STEP_MHZ) - 1,
            floor(to_mhz / RAMP_STEP_MHZ) + 1,
        )
    };
    let count = if up {
        last - first + 1
    } else {
        first - last + 1
    }
    .max(0);
    let sign = if up { 1 } else { -1 };
    (0..count)
        .map(move |i| (first + sign * i) as f64 * RAMP_STEP_MHZ)
        .chain(core::iter::once(to_mhz))
        .filter(move |f| (*f - from_mhz).abs() > 1e-9)
}

/// The PLL register value for `mhz` on `family` and the frequency it gives, or `None` when no
/// divider setting comes within 1 %.
///
/// BM1387 uses GEKKO's word `{00, f·4/25, 02, 21}`: feedback divider f·4/25, reference divider
/// 2, post dividers 2 and 1, no VCO flag (cgminer driver-gekko, BM1387 frequency setting), so
/// the frequency moves in 6.25 MHz steps. Later families search the divider space
/// ([`Pll::for_frequency`]) and set the VCO flag.
#[must_use]
pub fn register_for(family: Family, mhz: f64) -> Option<(u32, f64)> {
    if family == Family::Bm1387 {
        let fb = floor(mhz * 4.0 / 25.0 + 0.5) as f64;
        if !(1.0..=255.0).contains(&fb) {
            return None;
        }
        let fb = fb as u32;
        return Some((fb << 16 | 0x0221, f64::from(fb) * 6.25));
    }
    let pll = Pll::for_frequency(mhz, PllLimits::default())?;
    Some((pll.register_value(family), pll.frequency_mhz()))
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

    /// mujina REFERENCE.md step 8 (S19j Pro factory capture): the ramp's first and last PLL
    /// writes are 0x40A20255 (56.25 MHz) and 0x40A80230 (525 MHz).
    #[test]
    fn ramp_matches_the_factory_capture() {
        let steps: std::vec::Vec<f64> = ramp(50.0, 525.0).collect();
        assert_eq!(steps.first(), Some(&56.25));
        assert_eq!(steps.last(), Some(&525.0));
        assert_eq!(steps.len(), 76);
        assert!(
            steps
                .windows(2)
                .all(|w| (w[1] - w[0] - RAMP_STEP_MHZ).abs() < 1e-9)
        );
        assert_eq!(
            register_for(Family::Bm1362, 56.25),
            Some((0x40A2_0255, 56.25))
        );
        let (value, mhz) = register_for(Family::Bm1362, 525.0).unwrap();
        assert_eq!(mhz, 525.0);
        // The factory picked post dividers 4 x 1; ours 2 x 2 gives the same clock and VCO.
        assert_eq!(value & 0xFFFF_FF00, 0x40A8_0200);
        // Down, and a target between steps.
        let down: std::vec::Vec<f64> = ramp(525.0, 500.0).collect();
        assert_eq!(down, [518.75, 512.5, 506.25, 500.0]);
        let odd: std::vec::Vec<f64> = ramp(480.0, 490.0).collect();
        assert_eq!(odd, [481.25, 487.5, 490.0]);
        assert_eq!(ramp(525.0, 525.0).count(), 0);
    }

    /// GEKKO's BM1387 word: {00, f*4/25, 02, 21}.
    #[test]
    fn bm1387_word_is_gekkos() {
        assert_eq!(
            register_for(Family::Bm1387, 650.0),
            Some((0x0068_0221, 650.0))
        );
        assert_eq!(
            register_for(Family::Bm1387, 56.25),
            Some((0x0009_0221, 56.25))
        );
    }
}
