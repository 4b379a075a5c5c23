//! The header set: 21,781 verified mainnet headers (see `assets/headers/README.md`).

use std::collections::HashMap;
use std::sync::OnceLock;

use bm13xx::header::{self, Header};
use sha2::{Digest, Sha256};

/// The embedded set: records of height (u32 LE) + 80-byte header.
static MAINNET: &[u8] = include_bytes!("../../../assets/headers/mainnet-headers.bin");
const RECORD: usize = 84;

/// The header set file is not a whole number of records.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("header set of {len} bytes is not a whole number of {RECORD}-byte records")]
pub struct BadHeaderSet {
    /// Length of the data.
    pub len: usize,
}

/// One mainnet header and what is known about it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct KnownHeader {
    /// Block height.
    pub height: u32,
    /// The header as mined (with its nonce).
    pub header: Header,
    /// Share difficulty of the header's hash.
    pub difficulty: f64,
}

impl KnownHeader {
    /// The nonce the header was mined with: the golden nonce of its job.
    #[must_use]
    pub fn golden(&self) -> u32 {
        header::fields::nonce(&self.header)
    }

    /// The header with its nonce zeroed: the job.
    #[must_use]
    pub fn job_header(&self) -> Header {
        let mut h = self.header;
        header::fields::set_nonce(&mut h, 0);
        h
    }
}

/// A set of known headers with a stable identity.
#[derive(Debug)]
pub struct HeaderSet {
    records: Vec<KnownHeader>,
    identity: String,
    /// Record index by header bytes 64..76 (merkle tail, time, nBits): what a midstate job
    /// carries in clear. Built on first use.
    by_tail: OnceLock<HashMap<[u8; 12], Vec<usize>>>,
}

impl HeaderSet {
    /// The embedded mainnet set, parsed once per process.
    pub fn mainnet() -> &'static HeaderSet {
        static SET: OnceLock<HeaderSet> = OnceLock::new();
        // The embedded file is checked by a test; an empty set is the safe result if it were not.
        SET.get_or_init(|| Self::from_bytes(MAINNET).unwrap_or_else(|_| Self::empty()))
    }

    fn empty() -> Self {
        Self {
            records: Vec::new(),
            identity: String::new(),
            by_tail: OnceLock::new(),
        }
    }

    /// Parse records of height (u32 LE) + 80-byte header.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, BadHeaderSet> {
        if !bytes.len().is_multiple_of(RECORD) {
            return Err(BadHeaderSet { len: bytes.len() });
        }
        let records = bytes
            .as_chunks::<RECORD>()
            .0
            .iter()
            .map(|r| {
                let mut h = [0u8; 80];
                h.copy_from_slice(&r[4..]);
                KnownHeader {
                    height: u32::from_le_bytes([r[0], r[1], r[2], r[3]]),
                    header: h,
                    difficulty: header::difficulty(&header::sha256d(&h)),
                }
            })
            .collect();
        let identity = Sha256::digest(bytes)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        Ok(Self {
            records,
            identity,
            by_tail: OnceLock::new(),
        })
    }

    /// SHA-256 of the set's bytes, as hex: recorded with every run.
    #[must_use]
    pub fn identity(&self) -> &str {
        &self.identity
    }

    /// The headers.
    #[must_use]
    pub fn records(&self) -> &[KnownHeader] {
        &self.records
    }

    fn tail_index(&self) -> &HashMap<[u8; 12], Vec<usize>> {
        self.by_tail.get_or_init(|| {
            let mut index: HashMap<[u8; 12], Vec<usize>> =
                HashMap::with_capacity(self.records.len());
            for (i, r) in self.records.iter().enumerate() {
                let mut tail = [0u8; 12];
                tail.copy_from_slice(&r.header[64..76]);
                index.entry(tail).or_default().push(i);
            }
            index
        })
    }

    /// The records whose header bytes 64..76 (merkle tail, time, nBits) are `tail`.
    pub fn with_tail(&self, tail: &[u8; 12]) -> impl Iterator<Item = &KnownHeader> {
        self.tail_index()
            .get(tail)
            .into_iter()
            .flatten()
            .filter_map(|&i| self.records.get(i))
    }

    /// Find the record whose job (nonce zeroed) matches `job`, comparing everything but the nonce.
    #[must_use]
    pub fn find_job(&self, job: &Header) -> Option<&KnownHeader> {
        let mut tail = [0u8; 12];
        tail.copy_from_slice(&job[64..76]);
        self.with_tail(&tail).find(|r| r.header[..76] == job[..76])
    }
}

/// The 256-bit target of a compact nBits value, little-endian, or `None` when nBits is negative,
/// zero or overflows.
#[must_use]
pub fn target_from_nbits(nbits: u32) -> Option<[u8; 32]> {
    let exponent = (nbits >> 24) as usize;
    let mantissa = nbits & 0x007F_FFFF;
    if nbits & 0x0080_0000 != 0 || mantissa == 0 {
        return None;
    }
    let mut target = [0u8; 32];
    let bytes = mantissa.to_le_bytes();
    for (i, &b) in bytes.iter().take(3).enumerate() {
        // Byte i of the mantissa sits at position exponent - 3 + i.
        let pos = (exponent + i).checked_sub(3);
        match pos {
            Some(p) if p < 32 => target[p] = b,
            Some(_) if b != 0 => return None,
            _ => {}
        }
    }
    Some(target)
}

/// Whether a hash (digest order, read as little-endian) is at or below `target` (little-endian).
#[must_use]
pub fn meets_target(hash: &[u8; 32], target: &[u8; 32]) -> bool {
    for i in (0..32).rev() {
        if hash[i] != target[i] {
            return hash[i] < target[i];
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_header_meets_its_proof_of_work() {
        let set = HeaderSet::mainnet();
        assert_eq!(set.records().len(), 21_781);
        let limit = target_from_nbits(0x1d00_ffff).unwrap();
        for r in set.records() {
            let nbits = header::fields::nbits(&r.header);
            let target = target_from_nbits(nbits)
                .unwrap_or_else(|| panic!("height {}: bad nBits {nbits:08x}", r.height));
            assert!(
                meets_target(&target, &limit),
                "height {}: target above the mainnet limit",
                r.height
            );
            assert!(
                meets_target(&header::sha256d(&r.header), &target),
                "height {} fails its proof of work",
                r.height
            );
            assert!(r.difficulty >= 1.0);
        }
        assert!(set.records().windows(2).all(|w| w[0].height < w[1].height));
    }

    #[test]
    fn the_set_has_a_stable_identity() {
        assert_eq!(
            HeaderSet::mainnet().identity(),
            "3bd670a2cf4d218f925a55fb5a17fe7233fb3fcfc8c806296c4c27a5523c863e"
        );
    }

    #[test]
    fn genesis_is_the_first_record() {
        let genesis = &HeaderSet::mainnet().records()[0];
        assert_eq!(genesis.height, 0);
        assert_eq!(genesis.golden(), 0x7c2b_ac1d);
        assert_eq!(bm13xx::header::fields::nonce(&genesis.job_header()), 0);
        assert_eq!(
            HeaderSet::mainnet()
                .find_job(&genesis.job_header())
                .map(|r| r.height),
            Some(0)
        );
    }

    #[test]
    fn bad_sets_and_targets_are_refused() {
        assert_eq!(
            HeaderSet::from_bytes(&[0; 85]).unwrap_err(),
            BadHeaderSet { len: 85 }
        );
        assert_eq!(target_from_nbits(0x1d80_ffff), None);
        assert_eq!(target_from_nbits(0x1d00_0000), None);
        assert_eq!(target_from_nbits(0x2300_ffff), None);
    }
}
