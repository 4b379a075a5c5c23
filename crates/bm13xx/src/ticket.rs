//! Ticket mask (register 0x14; 0x18 on BM1387): the minimum difficulty of reported nonces.
//!
//! The mask for difficulty 2^N is 2^N − 1 with the bits of each byte reversed, sent MSB first;
//! only powers of two exist (facts §3.4). Difficulty 1 is hard-wired in the chips.

/// The difficulty is not a power of two between 1 and 2^32.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NotAPowerOfTwo(pub u64);

impl core::fmt::Display for NotAPowerOfTwo {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(
            f,
            "ticket difficulty {} is not a power of two from 1 to 2^32",
            self.0
        )
    }
}

impl core::error::Error for NotAPowerOfTwo {}

/// The register value for a power-of-two difficulty, e.g. 256 → 0x0000_00FF.
pub fn mask_for_difficulty(difficulty: u64) -> Result<u32, NotAPowerOfTwo> {
    if difficulty == 0 || !difficulty.is_power_of_two() || difficulty > 1 << 32 {
        return Err(NotAPowerOfTwo(difficulty));
    }
    let plain = (difficulty - 1) as u32;
    let bytes = plain.to_be_bytes().map(u8::reverse_bits);
    Ok(u32::from_be_bytes(bytes))
}

/// The difficulty a mask register value asks for, or `None` when the value is not a mask this
/// encoding produces.
#[must_use]
pub fn difficulty_for_mask(mask: u32) -> Option<u64> {
    let plain = u32::from_be_bytes(mask.to_be_bytes().map(u8::reverse_bits));
    let difficulty = u64::from(plain) + 1;
    difficulty.is_power_of_two().then_some(difficulty)
}

/// Extra zero bits the mask requires beyond difficulty 1.
#[must_use]
pub fn mask_bits(difficulty: u64) -> u32 {
    difficulty.max(1).trailing_zeros()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_masks() {
        assert_eq!(mask_for_difficulty(1), Ok(0));
        assert_eq!(mask_for_difficulty(256), Ok(0x0000_00FF));
        assert_eq!(mask_for_difficulty(16), Ok(0x0000_00F0));
        assert_eq!(mask_for_difficulty(512), Ok(0x0000_80FF));
        assert_eq!(mask_for_difficulty(1 << 32), Ok(0xFFFF_FFFF));
        assert_eq!(mask_for_difficulty(300), Err(NotAPowerOfTwo(300)));
        assert_eq!(mask_for_difficulty(0), Err(NotAPowerOfTwo(0)));
    }

    #[test]
    fn masks_round_trip() {
        for bits in 0..=32 {
            let d = 1u64 << bits;
            assert_eq!(
                difficulty_for_mask(mask_for_difficulty(d).unwrap()),
                Some(d)
            );
            assert_eq!(mask_bits(d), bits);
        }
        assert_eq!(difficulty_for_mask(0x0000_0001), None);
    }
}
