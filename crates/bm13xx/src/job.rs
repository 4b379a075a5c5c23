//! Job frames, host to chip, with CRC-16/CCITT-FALSE (facts §1.4, §1.5).
//!
//! Two formats: the midstate format of BM1387/1397/1398 (the host sends SHA-256 midstates, 1 to
//! 4 of them) and the full-header format of BM1362/1366/1368/1370 (the chip computes its own).

use crate::crc::crc16;
use crate::family::{Family, FamilyParams, JobFormat};
use crate::header::{self, Header};

/// Longest job frame: preamble + 4-midstate body (0x96 bytes).
pub const MAX_JOB_LEN: usize = 152;
/// Length of a full-header job frame, preamble included.
pub const FULL_HEADER_JOB_LEN: usize = 88;
/// Header byte of every job frame.
pub const JOB_HEADER: u8 = 0x21;

/// Why a job could not be built or read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobError {
    /// Midstate jobs carry 1 to 4 midstates.
    MidstateCount(usize),
    /// The bytes are shorter than the frame they announce.
    Truncated {
        /// Bytes the frame needs.
        needed: usize,
        /// Bytes given.
        got: usize,
    },
    /// The header byte is not a job (0x21).
    NotAJob(u8),
    /// The CRC16 does not match.
    BadCrc {
        /// CRC computed over the frame.
        computed: u16,
        /// CRC carried by the frame.
        carried: u16,
    },
}

impl core::fmt::Display for JobError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::MidstateCount(n) => write!(f, "a midstate job carries 1 to 4 midstates, not {n}"),
            Self::Truncated { needed, got } => {
                write!(f, "job frame truncated: needs {needed} bytes, got {got}")
            }
            Self::NotAJob(h) => write!(f, "header byte 0x{h:02X} is not a job (0x21)"),
            Self::BadCrc { computed, carried } => {
                write!(
                    f,
                    "job CRC16 mismatch: computed 0x{computed:04X}, frame carries 0x{carried:04X}"
                )
            }
        }
    }
}

impl core::error::Error for JobError {}

/// An encoded job frame.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct JobFrame {
    buf: [u8; MAX_JOB_LEN],
    len: usize,
}

impl JobFrame {
    /// The bytes to put on the wire.
    #[must_use]
    pub fn as_bytes(&self) -> &[u8] {
        self.buf.get(..self.len).unwrap_or(&self.buf)
    }
}

impl core::fmt::Debug for JobFrame {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "JobFrame({} bytes)", self.len)
    }
}

/// Words of a 32-byte hash field in reverse order, each word's bytes kept (full-header jobs).
fn word_reverse(src: &[u8], dst: &mut [u8]) {
    for (i, chunk) in dst.as_chunks_mut::<4>().0.iter_mut().enumerate() {
        let from = (7 - i) * 4;
        chunk.copy_from_slice(&src[from..from + 4]);
    }
}

/// Midstate bytes as sent: the state words H7 … H0, each 32-bit word big-endian. ESP-Miner
/// `construct_bm_job` (the big-endian state with its word order reversed) and its test frame in
/// `components/stratum/test/verifiers/bm1397.py` (`… 4D3185F2 …` is H7 of a state whose H0 is
/// `52EADF91`); cgminer `calc_midstate` + driver-gekko `stuff_reverse` give the same bytes.
fn midstate_wire(state: &[u32; 8]) -> [u8; 32] {
    let mut out = [0u8; 32];
    for (chunk, word) in out
        .as_chunks_mut::<4>()
        .0
        .iter_mut()
        .zip(state.iter().rev())
    {
        *chunk = word.to_be_bytes();
    }
    out
}

fn midstate_from_wire(wire: &[u8]) -> [u32; 8] {
    let mut state = [0u32; 8];
    for (word, chunk) in state.iter_mut().rev().zip(wire[..32].as_chunks::<4>().0) {
        *word = u32::from_be_bytes(*chunk);
    }
    state
}

fn finish(mut buf: [u8; MAX_JOB_LEN], start: usize, body_end: usize) -> JobFrame {
    let crc = crc16(&buf[start..body_end]);
    buf[body_end..body_end + 2].copy_from_slice(&crc.to_be_bytes());
    JobFrame {
        buf,
        len: body_end + 2,
    }
}

fn preamble(family: Family, buf: &mut [u8; MAX_JOB_LEN]) -> usize {
    if family.has_preamble() {
        buf[0] = 0x55;
        buf[1] = 0xAA;
        2
    } else {
        0
    }
}

/// Build a full-header job (BM1362/1366/1368/1370) from an 80-byte header. The nonce field of
/// the header is ignored (the frame's starting nonce is 0); the version is sent exactly as given.
#[must_use]
pub fn full_header_job(
    family: Family,
    params: &FamilyParams,
    job_id: u8,
    header: &Header,
) -> JobFrame {
    let mut buf = [0u8; MAX_JOB_LEN];
    let start = preamble(family, &mut buf);
    let b = &mut buf[start..];
    b[0] = JOB_HEADER;
    b[1] = params.job_length_byte;
    b[2] = job_id;
    b[3] = params.full_header_midstates_byte;
    // b[4..8]: starting nonce 0.
    b[8..12].copy_from_slice(&header[72..76]); // nBits, LE
    b[12..16].copy_from_slice(&header[68..72]); // time, LE
    word_reverse(&header[36..68], &mut b[16..48]); // merkle root
    word_reverse(&header[4..36], &mut b[48..80]); // previous block hash
    b[80..84].copy_from_slice(&header[0..4]); // version, LE
    finish(buf, start, start + 84)
}

/// Build a midstate job (BM1387/1397/1398) for `header` with one midstate per entry of
/// `versions` (1 to 4): midstate i hashes the header with version `versions[i]`.
pub fn midstate_job(
    family: Family,
    job_id: u8,
    header: &Header,
    versions: &[u32],
) -> Result<JobFrame, JobError> {
    if versions.is_empty() || versions.len() > 4 {
        return Err(JobError::MidstateCount(versions.len()));
    }
    Ok(build_midstate_job(family, job_id, header, versions))
}

/// `versions` holds 1 to 4 entries (checked by the callers).
fn build_midstate_job(family: Family, job_id: u8, header: &Header, versions: &[u32]) -> JobFrame {
    let mut buf = [0u8; MAX_JOB_LEN];
    let start = preamble(family, &mut buf);
    let body_len = 20 + 32 * versions.len() + 2;
    let b = &mut buf[start..];
    b[0] = JOB_HEADER;
    b[1] = body_len as u8;
    b[2] = job_id;
    b[3] = versions.len() as u8;
    // b[4..8]: starting nonce 0.
    b[8..12].copy_from_slice(&header[72..76]); // nBits
    b[12..16].copy_from_slice(&header[68..72]); // time
    b[16..20].copy_from_slice(&header[64..68]); // merkle root tail
    for (i, &version) in versions.iter().enumerate() {
        let mut rolled = *header;
        header::fields::set_version(&mut rolled, version);
        let (first, _) = header::split(&rolled);
        let at = 20 + 32 * i;
        b[at..at + 32].copy_from_slice(&midstate_wire(&header::midstate(&first)));
    }
    finish(buf, start, start + body_len - 2)
}

/// Build the job for `family` from a header: full-header families get the header, midstate
/// families one midstate of the header's own version.
#[must_use]
pub fn job_for_header(
    family: Family,
    params: &FamilyParams,
    job_id: u8,
    header: &Header,
) -> JobFrame {
    match family.job_format() {
        JobFormat::FullHeader => full_header_job(family, params, job_id, header),
        JobFormat::Midstate => {
            build_midstate_job(family, job_id, header, &[header::fields::version(header)])
        }
    }
}

/// A job frame read back from the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DecodedJob {
    /// Full-header job: the header is rebuilt with nonce 0.
    FullHeader {
        /// Job id byte as sent.
        job_id: u8,
        /// The `num_midstates` byte as sent.
        midstates_byte: u8,
        /// Starting nonce.
        start_nonce: u32,
        /// Header with the nonce field zero.
        header: Header,
    },
    /// Midstate job.
    Midstate {
        /// Job id byte as sent.
        job_id: u8,
        /// Number of midstates (1 to 4).
        count: u8,
        /// Starting nonce.
        start_nonce: u32,
        /// Header bytes 64..80 with the nonce zero: merkle tail, time, nBits, nonce.
        tail: [u8; 16],
        /// The midstates, SHA-256 state words; only the first `count` are meaningful.
        midstates: [[u32; 8]; 4],
    },
}

impl DecodedJob {
    /// Job id byte as sent.
    #[must_use]
    pub fn job_id(&self) -> u8 {
        match self {
            Self::FullHeader { job_id, .. } | Self::Midstate { job_id, .. } => *job_id,
        }
    }

    /// Double SHA-256 of this job with `nonce`, for midstate index `midstate` (midstate jobs) or
    /// with `version` replacing the header's version (full-header jobs, when `Some`).
    #[must_use]
    pub fn hash(&self, nonce: u32, midstate: usize, version: Option<u32>) -> [u8; 32] {
        match self {
            Self::FullHeader { header, .. } => {
                let mut h = *header;
                if let Some(v) = version {
                    header::fields::set_version(&mut h, v);
                }
                header::fields::set_nonce(&mut h, nonce);
                header::sha256d(&h)
            }
            Self::Midstate {
                tail, midstates, ..
            } => {
                let mut t = *tail;
                t[12..16].copy_from_slice(&nonce.to_le_bytes());
                let mid = midstates.get(midstate).unwrap_or(&midstates[0]);
                header::sha256d_from_midstate(mid, &t)
            }
        }
    }
}

fn be32(b: &[u8]) -> u32 {
    u32::from_be_bytes([b[0], b[1], b[2], b[3]])
}

/// Read a job frame body (everything after the preamble) for `family`. The CRC is checked.
/// Full-header families ignore the length byte, as the chips do ([I], facts §1.5).
pub fn decode_job(family: Family, body: &[u8]) -> Result<DecodedJob, JobError> {
    decode_job_inner(family, body, true)
}

/// Like [`decode_job`] but without the CRC check: for showing what a corrupted frame said.
pub fn decode_job_ignoring_crc(family: Family, body: &[u8]) -> Result<DecodedJob, JobError> {
    decode_job_inner(family, body, false)
}

fn decode_job_inner(family: Family, body: &[u8], check_crc: bool) -> Result<DecodedJob, JobError> {
    let header_byte = *body
        .first()
        .ok_or(JobError::Truncated { needed: 1, got: 0 })?;
    if header_byte != JOB_HEADER {
        return Err(JobError::NotAJob(header_byte));
    }
    let needed = job_body_len(family, body).ok_or(JobError::Truncated {
        needed: 4,
        got: body.len(),
    })?;
    if body.len() < needed {
        return Err(JobError::Truncated {
            needed,
            got: body.len(),
        });
    }
    let crc_at = needed - 2;
    let computed = crc16(&body[..crc_at]);
    let carried = u16::from_be_bytes([body[crc_at], body[crc_at + 1]]);
    if check_crc && computed != carried {
        return Err(JobError::BadCrc { computed, carried });
    }
    let start_nonce = be32(&body[4..8]);
    Ok(match family.job_format() {
        JobFormat::FullHeader => {
            let mut h = [0u8; 80];
            h[0..4].copy_from_slice(&body[80..84]);
            word_reverse(&body[48..80], &mut h[4..36]);
            word_reverse(&body[16..48], &mut h[36..68]);
            h[68..72].copy_from_slice(&body[12..16]);
            h[72..76].copy_from_slice(&body[8..12]);
            DecodedJob::FullHeader {
                job_id: body[2],
                midstates_byte: body[3],
                start_nonce,
                header: h,
            }
        }
        JobFormat::Midstate => {
            let count = body[3];
            let mut tail = [0u8; 16];
            tail[0..4].copy_from_slice(&body[16..20]);
            tail[4..8].copy_from_slice(&body[12..16]);
            tail[8..12].copy_from_slice(&body[8..12]);
            let mut midstates = [[0u32; 8]; 4];
            for (i, slot) in midstates.iter_mut().enumerate().take(usize::from(count)) {
                *slot = midstate_from_wire(&body[20 + 32 * i..]);
            }
            DecodedJob::Midstate {
                job_id: body[2],
                count,
                start_nonce,
                tail,
                midstates,
            }
        }
    })
}

/// Length of a job body (after the preamble, CRC included) from its first bytes, or `None` when
/// more bytes are needed or the midstate count is out of range.
#[must_use]
pub fn job_body_len(family: Family, body: &[u8]) -> Option<usize> {
    match family.job_format() {
        JobFormat::FullHeader => Some(FULL_HEADER_JOB_LEN - 2),
        JobFormat::Midstate => {
            let count = usize::from(*body.get(3)?);
            (1..=4).contains(&count).then_some(20 + 32 * count + 2)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reply::Reply;

    fn hex(s: &str) -> Vec<u8> {
        let s: String = s.chars().filter(|c| !c.is_whitespace()).collect();
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    /// MUJ-TD BM1370 job frame captured on a Bitaxe Gamma (facts §4.1 item 1).
    const BM1370_JOB: &str = "55AA2156 68 01 00000000 043A0217 D7685468
        5519A7CB044F88726355919E61A98BCF71A0C28795EA54DB8C36414B06DDF5F0
        0000000000000000965201001D3996BCA3F4670DFCD4F201C162B96DFD55646B
        00000020 721C";
    /// The chip's reply to it.
    const BM1370_REPLY: &str = "AA 55 4C 03 52 75 0C D2 05 A2 9C";

    #[test]
    fn bm1370_known_answer_round_trip() {
        let job = hex(BM1370_JOB);
        assert_eq!(job.len(), 88);
        let decoded = decode_job(Family::Bm1370, &job[2..]).unwrap();
        let DecodedJob::FullHeader { header, job_id, .. } = decoded else {
            panic!("not a full-header job")
        };
        assert_eq!(job_id, 0x68);
        assert_eq!(header::fields::nbits(&header), 0x1702_3A04);
        assert_eq!(header::fields::time(&header), 0x6854_68D7);

        // Re-encoding the rebuilt header gives the captured frame byte for byte.
        let rebuilt = full_header_job(
            Family::Bm1370,
            &Family::Bm1370.default_params(),
            job_id,
            &header,
        );
        assert_eq!(rebuilt.as_bytes(), &job[..]);

        let reply = Reply::parse(Family::Bm1370, &hex(BM1370_REPLY)).unwrap();
        let Reply::Nonce(nonce) = reply else {
            panic!("not a nonce")
        };
        let fields = nonce.fields(Family::Bm1370, &Family::Bm1370.default_params(), 2);
        assert_eq!(fields.nonce, 0x7552_034C);
        assert_eq!(fields.job_id, 0x68);
        let version = header::fields::version(&header) | fields.version_bits.unwrap();
        assert_eq!(version, 0x20B4_4000);

        let hash = decoded.hash(fields.nonce, 0, Some(version));
        let mut shown = hash;
        shown.reverse();
        assert_eq!(shown[..8], [0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x37, 0x04]);
        assert_eq!(header::difficulty(&hash).round(), 29588.0);
    }

    /// ESP-Miner `components/stratum/test/verifiers/bm1397.py`: the 4-midstate BM1397 job frame
    /// built from a real stratum notify (job id 4, first midstate filled, three zero).
    const ESPM_BM1397_JOB: &str = "55AA2196 04 04 00000000 01DD0517 D88B6564 C604A846
        4D3185F2 5F7D5DE0 E3591741 CB21CAE1 1574DDD6 5D490D3D 68739F8A 52EADF91
        0000000000000000000000000000000000000000000000000000000000000000
        0000000000000000000000000000000000000000000000000000000000000000
        0000000000000000000000000000000000000000000000000000000000000000
        6B1D";
    /// The header that notify gives (version 0x20000004, ntime 0x64658BD8, nBits 0x1705DD01),
    /// rebuilt from the notify in the same file.
    const ESPM_BM1397_HEADER: &str = "0400002035fd44bf837bdc13c6e5607db472b528a804d24849070000
        0000000000000000cd1be82132ef0d12053dcece1fa0247fcfdb61d4dbd3eb32ea9ef9b4c604a846d88b6564
        01dd051700000000";

    #[test]
    fn bm1397_midstate_frame_matches_esp_miner() {
        let frame = hex(ESPM_BM1397_JOB);
        assert_eq!(frame.len(), 152);
        let mut header = [0u8; 80];
        header.copy_from_slice(&hex(ESPM_BM1397_HEADER));
        let (first, _) = header::split(&header);
        let state = header::midstate(&first);
        assert_eq!(state[0], 0x52EA_DF91);
        assert_eq!(state[7], 0x4D31_85F2);

        // Our one-midstate frame carries the same midstate bytes, nBits, time and merkle tail.
        let ours = midstate_job(Family::Bm1397, 0x04, &header, &[0x2000_0004]).unwrap();
        assert_eq!(ours.as_bytes()[8..52], frame[8..52]);

        // The ESP-Miner frame decodes (CRC 6B1D) to the header's midstate.
        let DecodedJob::Midstate {
            job_id,
            count,
            midstates,
            tail,
            ..
        } = decode_job(Family::Bm1397, &frame[2..]).unwrap()
        else {
            panic!("not a midstate job")
        };
        assert_eq!((job_id, count), (0x04, 4));
        assert_eq!(midstates[0], state);
        assert_eq!(tail[..12], header[64..76]);
    }

    #[test]
    fn midstate_job_sizes_and_round_trip() {
        let job = hex(BM1370_JOB);
        let DecodedJob::FullHeader { header, .. } = decode_job(Family::Bm1370, &job[2..]).unwrap()
        else {
            panic!("not a full-header job")
        };
        let v = header::fields::version(&header);
        let one = midstate_job(Family::Bm1397, 0x18, &header, &[v]).unwrap();
        assert_eq!(one.as_bytes().len(), 56);
        assert_eq!(one.as_bytes()[3], 0x36);
        let four = midstate_job(
            Family::Bm1397,
            0x18,
            &header,
            &[v, v | 0x2000, v | 0x4000, v | 0x6000],
        )
        .unwrap();
        assert_eq!(four.as_bytes().len(), 152);
        assert_eq!(four.as_bytes()[3], 0x96);

        // Hashing through the decoded midstate equals hashing the header directly.
        let decoded = decode_job(Family::Bm1397, &four.as_bytes()[2..]).unwrap();
        let mut with_nonce = header;
        header::fields::set_version(&mut with_nonce, v | 0x4000);
        header::fields::set_nonce(&mut with_nonce, 0x7552_034C);
        assert_eq!(
            decoded.hash(0x7552_034C, 2, None),
            header::sha256d(&with_nonce)
        );

        assert_eq!(
            midstate_job(Family::Bm1397, 0, &header, &[]),
            Err(JobError::MidstateCount(0))
        );
    }

    #[test]
    fn decode_names_what_is_wrong() {
        let mut job = hex(BM1370_JOB);
        job[40] ^= 1;
        assert!(matches!(
            decode_job(Family::Bm1370, &job[2..]),
            Err(JobError::BadCrc { .. })
        ));
        assert_eq!(
            decode_job(Family::Bm1370, &job[2..20]),
            Err(JobError::Truncated {
                needed: 86,
                got: 18
            })
        );
        assert_eq!(
            decode_job(Family::Bm1370, &[0x51]),
            Err(JobError::NotAJob(0x51))
        );
    }
}
