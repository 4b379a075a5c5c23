//! Chip addressing on a chain (facts §2.1 step 6).
//!
//! After chain inactive, each set-address command is taken by the first chip without an address.
//! Chip `i` (0-based, nearest the host first) gets address `i × interval`.

/// Address of chip `index` at `interval`, or `None` when it does not fit in 8 bits.
#[must_use]
pub fn address_of(index: usize, interval: u16) -> Option<u8> {
    u8::try_from(index * usize::from(interval.max(1))).ok()
}

/// Chip index of `address` at `interval`, or `None` when the address is not on the grid.
#[must_use]
pub fn index_of(address: u8, interval: u16) -> Option<usize> {
    let interval = interval.max(1);
    u16::from(address)
        .is_multiple_of(interval)
        .then(|| usize::from(u16::from(address) / interval))
}

/// The interval ESP-Miner uses for `chips` chips: 256 / chips (at least 1).
#[must_use]
pub fn interval_for_chips(chips: usize) -> u16 {
    u16::try_from(256 / chips.max(1)).unwrap_or(256).max(1)
}

/// Largest chain that fits the 8-bit address space at `interval`.
#[must_use]
pub fn max_chips(interval: u16) -> usize {
    256 / usize::from(interval.max(1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_and_intervals() {
        assert_eq!(address_of(63, 2), Some(126));
        assert_eq!(address_of(128, 2), None);
        assert_eq!(index_of(126, 2), Some(63));
        assert_eq!(index_of(3, 2), None);
        assert_eq!(interval_for_chips(65), 3);
        assert_eq!(interval_for_chips(1), 256);
        assert_eq!(index_of(0, 256), Some(0));
        assert_eq!(max_chips(2), 128);
        assert_eq!(max_chips(4), 64);
    }
}
