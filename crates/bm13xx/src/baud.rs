//! UART baud divider maths (facts §2.3).
//!
//! Every family divides a 25 MHz clock: baud = 25 MHz / (8 × (divider + 1)). What differs is the
//! register and where the divider sits in it.

use crate::family::Family;

/// Chip reference clock.
pub const CLOCK_HZ: u32 = 25_000_000;
/// Rate chips come out of reset at (divider 26).
pub const RESET_BAUD: u32 = 115_740;

/// Baud produced by `divider`.
#[must_use]
pub fn baud_for_divider(divider: u32) -> u32 {
    CLOCK_HZ / (8 * (divider + 1))
}

/// The divider whose rate is closest to `baud`, and that rate. `None` when `baud` is zero or
/// above 3.125 Mbaud (the fastest rate from the 25 MHz clock).
#[must_use]
pub fn divider_for_baud(baud: u32) -> Option<(u32, u32)> {
    if baud == 0 || baud > CLOCK_HZ / 8 {
        return None;
    }
    let ideal = CLOCK_HZ as f64 / (8.0 * f64::from(baud)) - 1.0;
    let below = ideal as u32;
    let divider = [below, below + 1]
        .into_iter()
        .min_by_key(|&d| baud_for_divider(d).abs_diff(baud))
        .unwrap_or(below);
    Some((divider, baud_for_divider(divider)))
}

/// Relative error of `actual` against `wanted`, in parts per thousand.
#[must_use]
pub fn error_permille(wanted: u32, actual: u32) -> u32 {
    (u64::from(wanted.abs_diff(actual)) * 1000 / u64::from(wanted.max(1))) as u32
}

/// The register value that sets `divider` (5 bits on BM1387/1397/1398, 8 bits on BM136x).
/// BM1387: MISC_CONTROL 0x1C `00 20 <div> 00` (GEKKO). BM1397/1398: MISC_CONTROL 0x18 with BT8D
/// in bits 12-8 and the rest as ESP-Miner writes it (0x00006031 | div << 8). BM1362/66/68:
/// FAST_UART 0x28 = 0x11300000 | div << 8; BM1370: 0x01300000 | div << 8 (factory captures).
#[must_use]
pub fn divider_register_value(family: Family, divider: u32) -> u32 {
    match family {
        Family::Bm1387 => 0x0020_0000 | (divider & 0xFF) << 8,
        Family::Bm1397 | Family::Bm1398 => 0x0000_6031 | (divider & 0x1F) << 8,
        Family::Bm1362 | Family::Bm1366 | Family::Bm1368 => 0x1130_0000 | (divider & 0xFF) << 8,
        Family::Bm1370 => 0x0130_0000 | (divider & 0xFF) << 8,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documented_rates() {
        assert_eq!(baud_for_divider(26), RESET_BAUD);
        assert_eq!(baud_for_divider(0), 3_125_000);
        assert_eq!(baud_for_divider(2), 1_041_666);
        assert_eq!(divider_for_baud(115_200), Some((26, 115_740)));
        assert_eq!(divider_for_baud(3_125_000), Some((0, 3_125_000)));
        assert_eq!(divider_for_baud(12_000_000), None);
        assert_eq!(error_permille(115_200, 115_740), 4);
    }

    #[test]
    fn register_values_match_captures() {
        assert_eq!(divider_register_value(Family::Bm1397, 26), 0x0000_7A31);
        assert_eq!(divider_register_value(Family::Bm1397, 0), 0x0000_6031);
        assert_eq!(divider_register_value(Family::Bm1366, 2), 0x1130_0200);
        assert_eq!(divider_register_value(Family::Bm1362, 0), 0x1130_0000);
        assert_eq!(divider_register_value(Family::Bm1370, 0), 0x0130_0000);
        assert_eq!(divider_register_value(Family::Bm1387, 7), 0x0020_0700);
    }
}
