//! Bitcoin block-header hashing as the chips do it: SHA-256 midstates and double SHA-256.
//!
//! Built on the `sha2` crate's no_std compression function, so midstate jobs and full headers
//! share one implementation and nothing allocates.

/// An 80-byte block header in wire byte order (the bytes that are hashed).
pub type Header = [u8; 80];

/// SHA-256 initial state.
pub const SHA256_IV: [u32; 8] = [
    0x6a09_e667,
    0xbb67_ae85,
    0x3c6e_f372,
    0xa54f_f53a,
    0x510e_527f,
    0x9b05_688c,
    0x1f83_d9ab,
    0x5be0_cd19,
];

/// SHA-256 state after the first 64 header bytes.
#[must_use]
pub fn midstate(first_block: &[u8; 64]) -> [u32; 8] {
    let mut state = SHA256_IV;
    sha2::block_api::compress256(&mut state, core::slice::from_ref(first_block));
    state
}

fn state_bytes(state: &[u32; 8]) -> [u8; 32] {
    let mut out = [0u8; 32];
    for (chunk, word) in out.as_chunks_mut::<4>().0.iter_mut().zip(state) {
        *chunk = word.to_be_bytes();
    }
    out
}

/// Double SHA-256 of a header given the midstate of its first 64 bytes and its last 16 bytes
/// (merkle tail, time, nBits, nonce).
#[must_use]
pub fn sha256d_from_midstate(mid: &[u32; 8], tail: &[u8; 16]) -> [u8; 32] {
    let mut block = [0u8; 64];
    block[..16].copy_from_slice(tail);
    block[16] = 0x80;
    // Message length: 80 bytes = 640 bits.
    block[62] = 0x02;
    block[63] = 0x80;
    let mut state = *mid;
    sha2::block_api::compress256(&mut state, core::slice::from_ref(&block));

    let mut second = [0u8; 64];
    second[..32].copy_from_slice(&state_bytes(&state));
    second[32] = 0x80;
    // 32 bytes = 256 bits.
    second[62] = 0x01;
    second[63] = 0x00;
    let mut out = SHA256_IV;
    sha2::block_api::compress256(&mut out, core::slice::from_ref(&second));
    state_bytes(&out)
}

/// Splits a header into its first block and its 16-byte tail.
#[must_use]
pub fn split(header: &Header) -> ([u8; 64], [u8; 16]) {
    let mut first = [0u8; 64];
    let mut tail = [0u8; 16];
    first.copy_from_slice(&header[..64]);
    tail.copy_from_slice(&header[64..]);
    (first, tail)
}

/// Double SHA-256 of a full header, in digest byte order.
#[must_use]
pub fn sha256d(header: &Header) -> [u8; 32] {
    let (first, tail) = split(header);
    sha256d_from_midstate(&midstate(&first), &tail)
}

/// True when the hash, read as a little-endian 256-bit number, has its top 32 bits zero: the
/// difficulty-1 check that every chip applies before it reports a nonce (facts §3.4).
#[must_use]
pub fn meets_diff1(hash: &[u8; 32]) -> bool {
    hash[28..32] == [0, 0, 0, 0]
}

/// Leading zero bits of the hash read as a little-endian 256-bit number.
#[must_use]
pub fn leading_zero_bits(hash: &[u8; 32]) -> u32 {
    let mut zeros = 0;
    for &byte in hash.iter().rev() {
        if byte == 0 {
            zeros += 8;
        } else {
            return zeros + byte.leading_zeros();
        }
    }
    zeros
}

/// Share difficulty of a hash: the difficulty-1 target (0xFFFF × 2^208) divided by the hash read
/// as a little-endian number. A zero hash gives infinity.
#[must_use]
pub fn difficulty(hash: &[u8; 32]) -> f64 {
    let mut value = 0.0_f64;
    for &byte in hash.iter().rev() {
        value = value * 256.0 + f64::from(byte);
    }
    let mut diff1 = 65535.0_f64;
    for _ in 0..26 {
        diff1 *= 256.0;
    }
    diff1 / value
}

/// Header field accessors (all little-endian, as serialised).
pub mod fields {
    use super::Header;

    fn word(header: &Header, at: usize) -> u32 {
        let mut bytes = [0u8; 4];
        bytes.copy_from_slice(&header[at..at + 4]);
        u32::from_le_bytes(bytes)
    }

    /// Block version.
    #[must_use]
    pub fn version(header: &Header) -> u32 {
        word(header, 0)
    }
    /// Block time.
    #[must_use]
    pub fn time(header: &Header) -> u32 {
        word(header, 68)
    }
    /// Compact target.
    #[must_use]
    pub fn nbits(header: &Header) -> u32 {
        word(header, 72)
    }
    /// Nonce.
    #[must_use]
    pub fn nonce(header: &Header) -> u32 {
        word(header, 76)
    }
    /// Replace the version.
    pub fn set_version(header: &mut Header, version: u32) {
        header[0..4].copy_from_slice(&version.to_le_bytes());
    }
    /// Replace the nonce.
    pub fn set_nonce(header: &mut Header, nonce: u32) {
        header[76..80].copy_from_slice(&nonce.to_le_bytes());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Genesis block header.
    const GENESIS: &str = "0100000000000000000000000000000000000000000000000000000000000000000000003ba3edfd7a7b12b27ac72c3e67768f617fc81bc3888a51323a9fb8aa4b1e5e4a29ab5f49ffff001d1dac2b7c";

    fn hex80(s: &str) -> Header {
        let mut out = [0u8; 80];
        for (i, byte) in out.iter_mut().enumerate() {
            *byte = u8::from_str_radix(&s[2 * i..2 * i + 2], 16).unwrap();
        }
        out
    }

    #[test]
    fn genesis_hash_matches_the_well_known_block_hash() {
        let mut hash = sha256d(&hex80(GENESIS));
        hash.reverse();
        let shown: String = hash.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(
            shown,
            "000000000019d6689c085ae165831e934ff763ae46a2a6c172b3f1b60a8ce26f"
        );
        assert!(meets_diff1(&sha256d(&hex80(GENESIS))));
        assert_eq!(fields::nonce(&hex80(GENESIS)), 0x7c2b_ac1d);
        assert_eq!(fields::nbits(&hex80(GENESIS)), 0x1d00_ffff);
    }

    #[test]
    fn difficulty_of_genesis_is_above_one() {
        let d = difficulty(&sha256d(&hex80(GENESIS)));
        assert!((d - 2536.0).abs() < 1.0, "{d}");
        assert!(leading_zero_bits(&sha256d(&hex80(GENESIS))) >= 32);
    }
}
