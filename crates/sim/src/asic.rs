//! The chain protocol as a chip sees it, written from the sources for the simulator alone.
//!
//! The simulator is a referee: it must not share the engine's encoders, decoders or tables, or a
//! mistake in them would be agreed with instead of caught. So this module reads host bytes,
//! checks their CRCs, rebuilds the work a job describes, hashes it with its own SHA-256 driver,
//! and builds replies, all from the sources directly (`tests/architecture.rs` checks that the
//! simulator uses nothing of `bm13xx` but the `Family` name):
//! - frames: `55 AA | header | length | payload | CRC`, header = type (bits 6-5: 1 job, 2
//!   command) | all (bit 4) | command (0 set address, 1 write, 2 read, 3 chain inactive);
//!   BM1387 frames are bare and use its own codes (1 set address, 4 read, 5 chain inactive, 8
//!   write) (skot/BM1397 `protocol.md`; ESP-Miner `_send_BM13xx`; cgminer driver-gekko).
//! - CRC5: poly 0x05, init 0x1F, MSB first over header..payload; CRC-16/CCITT-FALSE over a job,
//!   appended MSB first (ESP-Miner `crc.c`).
//! - full-header jobs: id, midstate count, start nonce, nBits LE, nTime LE, merkle root and
//!   previous hash with their eight 4-byte words in reverse order, version LE (ESP-Miner
//!   `bm1366.h` `BM1366_job`; mujina REFERENCE.md "Full Format").
//! - midstate jobs: id, count, start nonce, nBits, nTime, merkle tail, then per midstate the
//!   SHA-256 state words H7 … H0, each big-endian (ESP-Miner `bm1397.py` frame, cgminer
//!   `calc_midstate` + gekko `stuff_reverse`).
//! - replies: `AA 55`, 4 value/nonce bytes, 2 bytes, 2 more once version rolling is on (BM136x),
//!   then type bits 7-5 (4 = nonce) with the CRC5 in bits 4-0 (skot `protocol.md`; ESP-Miner
//!   `bm1370_asic_result_t`).

use bm13xx::Family;

/// CRC5 as the chips compute it: poly x⁵+x²+1, init 0x1F, MSB first, 5 bits kept.
pub fn crc5(bytes: &[u8]) -> u8 {
    let mut crc: u8 = 0x1F;
    for byte in bytes {
        for bit in (0..8).rev() {
            let input = (byte >> bit) & 1;
            let feedback = ((crc >> 4) & 1) ^ input;
            crc = ((crc << 1) | feedback) ^ (feedback << 2);
            crc &= 0x1F;
        }
    }
    crc
}

/// CRC-16/CCITT-FALSE: poly 0x1021, init 0xFFFF, no reflection, no final XOR.
pub fn crc16(bytes: &[u8]) -> u16 {
    let mut crc: u16 = 0xFFFF;
    for byte in bytes {
        crc ^= u16::from(*byte) << 8;
        for _ in 0..8 {
            crc = if crc & 0x8000 != 0 {
                (crc << 1) ^ 0x1021
            } else {
                crc << 1
            };
        }
    }
    crc
}

/// Whether this family's frames carry the `55 AA` preamble (BM1387's are bare: gekko).
pub fn has_preamble(family: Family) -> bool {
    family != Family::Bm1387
}

/// Whether the family takes whole headers and rolls versions itself (BM1362 and later).
pub fn takes_full_headers(family: Family) -> bool {
    matches!(
        family,
        Family::Bm1362 | Family::Bm1366 | Family::Bm1368 | Family::Bm1370
    )
}

/// What a chip understood from a host frame.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum HostFrame {
    /// Set address (to the first chip without one).
    SetAddress(u8),
    /// Chain inactive.
    ChainInactive,
    /// Write `value` into `register` of the chip at `address`, or of every chip.
    Write {
        /// Broadcast.
        all: bool,
        /// Chip address (ignored when `all`).
        address: u8,
        /// Register.
        register: u8,
        /// Value (sent big-endian).
        value: u32,
    },
    /// Read `register` of the chip at `address`, or of every chip.
    Read {
        /// Broadcast.
        all: bool,
        /// Chip address.
        address: u8,
        /// Register.
        register: u8,
    },
    /// Work.
    Job(Work),
}

/// The work a job frame describes, rebuilt the way the chip uses it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Work {
    /// Job id byte.
    pub job_id: u8,
    /// What the chips hash.
    pub kind: WorkKind,
}

/// The two job formats.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum WorkKind {
    /// A whole header (nonce zero); the chip computes its own midstates and rolls the version.
    Header([u8; 80]),
    /// Midstates of the first 64 header bytes and the 12 header bytes after them (merkle tail,
    /// nTime, nBits, in header byte order).
    Midstates {
        /// One SHA-256 state per midstate.
        states: Vec<[u32; 8]>,
        /// Header bytes 64..76.
        tail: [u8; 12],
    },
}

impl Work {
    /// Header bytes 64..76 (merkle tail, nTime, nBits): what both formats carry in clear.
    pub fn tail(&self) -> [u8; 12] {
        match &self.kind {
            WorkKind::Header(h) => {
                let mut t = [0u8; 12];
                t.copy_from_slice(&h[64..76]);
                t
            }
            WorkKind::Midstates { tail, .. } => *tail,
        }
    }
}

/// The receiving end of the chain's command line at the first chip: bytes in, frames out.
/// A frame with a bad CRC is ignored and the search restarts one byte later.
#[derive(Debug)]
pub struct HostParser {
    family: Family,
    buf: Vec<u8>,
    /// Bytes consumed from the stream before `buf[0]`.
    consumed: u64,
}

impl HostParser {
    /// A parser for a `family` chain.
    pub fn new(family: Family) -> Self {
        Self {
            family,
            buf: Vec::new(),
            consumed: 0,
        }
    }

    /// Feed bytes; every frame completed is handed to `out` with the stream offset of its last
    /// byte.
    pub fn feed(&mut self, bytes: &[u8], out: &mut dyn FnMut(u64, HostFrame)) {
        self.buf.extend_from_slice(bytes);
        loop {
            match self.try_frame() {
                Scan::Need => break,
                Scan::Skip(n) => self.drop_front(n),
                Scan::Frame(len, frame) => {
                    let last = self.consumed + len as u64 - 1;
                    self.drop_front(len);
                    if let Some(frame) = frame {
                        out(last, frame);
                    }
                }
            }
        }
    }

    /// Bytes fed so far.
    pub fn offset(&self) -> u64 {
        self.consumed + self.buf.len() as u64
    }

    fn drop_front(&mut self, n: usize) {
        let n = n.min(self.buf.len());
        self.buf.drain(..n);
        self.consumed += n as u64;
    }

    fn try_frame(&self) -> Scan {
        let b = &self.buf;
        let start = if has_preamble(self.family) {
            match b.first() {
                None => return Scan::Need,
                Some(0x55) => {}
                Some(_) => return Scan::Skip(1),
            }
            match b.get(1) {
                None => return Scan::Need,
                Some(0xAA) => 2,
                Some(_) => return Scan::Skip(1),
            }
        } else {
            0
        };
        let Some(&header) = b.get(start) else {
            return Scan::Need;
        };
        let kind = (header >> 5) & 0x3;
        if header & 0x80 != 0 || !(kind == 1 || kind == 2) {
            return Scan::Skip(1);
        }
        if kind == 1 {
            return self.job_frame(start);
        }
        let Some(&len) = b.get(start + 1) else {
            return Scan::Need;
        };
        if len != 5 && len != 9 {
            return Scan::Skip(1);
        }
        let total = start + usize::from(len);
        if b.len() < total {
            return Scan::Need;
        }
        let body = &b[start..total];
        if crc5(&body[..body.len() - 1]) != body[body.len() - 1] & 0x1F {
            return Scan::Skip(1);
        }
        Scan::Frame(total, self.command(header, &body[2..body.len() - 1]))
    }

    fn command(&self, header: u8, payload: &[u8]) -> Option<HostFrame> {
        let all = header & 0x10 != 0;
        let code = header & 0x0F;
        let (set_address, write, read, inactive) = if self.family == Family::Bm1387 {
            (1, 8, 4, 5)
        } else {
            (0, 1, 2, 3)
        };
        let address = *payload.first()?;
        Some(match code {
            c if c == set_address => HostFrame::SetAddress(address),
            c if c == inactive => HostFrame::ChainInactive,
            c if c == read => HostFrame::Read {
                all,
                address,
                register: *payload.get(1)?,
            },
            c if c == write => {
                let v = payload.get(2..6)?;
                HostFrame::Write {
                    all,
                    address,
                    register: *payload.get(1)?,
                    value: u32::from_be_bytes([v[0], v[1], v[2], v[3]]),
                }
            }
            _ => return None,
        })
    }

    fn job_frame(&self, start: usize) -> Scan {
        let b = &self.buf;
        // After the preamble: header, length, id, count, start nonce, nBits, nTime, then the
        // format's data and the CRC16.
        let body_len = if takes_full_headers(self.family) {
            // [I] The chips ignore the length byte of full-header jobs (the factory sends 0x36,
            // ESP-Miner 0x56): the frame is 86 bytes after the preamble whatever it says.
            86
        } else {
            let Some(&count) = b.get(start + 3) else {
                return Scan::Need;
            };
            if !(1..=4).contains(&count) {
                return Scan::Skip(1);
            }
            20 + 32 * usize::from(count) + 2
        };
        let total = start + body_len;
        if b.len() < total {
            return Scan::Need;
        }
        let body = &b[start..total];
        let carried = u16::from_be_bytes([body[body_len - 2], body[body_len - 1]]);
        if crc16(&body[..body_len - 2]) != carried {
            return Scan::Skip(1);
        }
        Scan::Frame(total, Some(HostFrame::Job(self.work(body))))
    }

    fn work(&self, body: &[u8]) -> Work {
        let job_id = body[2];
        let kind = if takes_full_headers(self.family) {
            let mut h = [0u8; 80];
            h[0..4].copy_from_slice(&body[80..84]); // version, LE as sent
            unreverse_words(&body[48..80], &mut h[4..36]); // previous block hash
            unreverse_words(&body[16..48], &mut h[36..68]); // merkle root
            h[68..72].copy_from_slice(&body[12..16]); // nTime
            h[72..76].copy_from_slice(&body[8..12]); // nBits
            WorkKind::Header(h)
        } else {
            let count = usize::from(body[3]);
            let mut tail = [0u8; 12];
            tail[0..4].copy_from_slice(&body[16..20]);
            tail[4..8].copy_from_slice(&body[12..16]);
            tail[8..12].copy_from_slice(&body[8..12]);
            let states = (0..count)
                .map(|i| {
                    let wire = &body[20 + 32 * i..52 + 32 * i];
                    // H7 first, each word big-endian.
                    let mut state = [0u32; 8];
                    for (k, chunk) in wire.as_chunks::<4>().0.iter().enumerate() {
                        state[7 - k] = u32::from_be_bytes(*chunk);
                    }
                    state
                })
                .collect();
            WorkKind::Midstates { states, tail }
        };
        Work { job_id, kind }
    }
}

enum Scan {
    Need,
    Skip(usize),
    Frame(usize, Option<HostFrame>),
}

/// The 32 bytes of a hash field sent with its eight 4-byte words in reverse order, put back.
fn unreverse_words(wire: &[u8], out: &mut [u8]) {
    for (i, chunk) in out.as_chunks_mut::<4>().0.iter_mut().enumerate() {
        let from = (7 - i) * 4;
        chunk.copy_from_slice(&wire[from..from + 4]);
    }
}

const IV: [u32; 8] = [
    0x6a09_e667,
    0xbb67_ae85,
    0x3c6e_f372,
    0xa54f_f53a,
    0x510e_527f,
    0x9b05_688c,
    0x1f83_d9ab,
    0x5be0_cd19,
];

fn state_bytes(state: &[u32; 8]) -> [u8; 32] {
    let mut out = [0u8; 32];
    for (chunk, word) in out.as_chunks_mut::<4>().0.iter_mut().zip(state) {
        *chunk = word.to_be_bytes();
    }
    out
}

/// SHA-256 state after the first 64 header bytes (what a chip's auto-midstate unit computes).
pub fn midstate(first64: &[u8]) -> [u32; 8] {
    let mut block = [0u8; 64];
    block.copy_from_slice(&first64[..64]);
    let mut state = IV;
    sha2::block_api::compress256(&mut state, core::slice::from_ref(&block));
    state
}

/// Double SHA-256 of a header from its midstate and its last 16 bytes, in digest order.
pub fn finish(mid: &[u32; 8], last16: &[u8; 16]) -> [u8; 32] {
    let mut block = [0u8; 64];
    block[..16].copy_from_slice(last16);
    block[16] = 0x80;
    block[62..64].copy_from_slice(&640u16.to_be_bytes());
    let mut state = *mid;
    sha2::block_api::compress256(&mut state, core::slice::from_ref(&block));
    let mut second = [0u8; 64];
    second[..32].copy_from_slice(&state_bytes(&state));
    second[32] = 0x80;
    second[62..64].copy_from_slice(&256u16.to_be_bytes());
    let mut out = IV;
    sha2::block_api::compress256(&mut out, core::slice::from_ref(&second));
    state_bytes(&out)
}

/// Leading zero bits of a hash read as a 256-bit little-endian number (the top bits of the
/// block-hash display order).
pub fn zero_bits(hash: &[u8; 32]) -> u32 {
    let mut zeros = 0;
    for byte in hash.iter().rev() {
        if *byte == 0 {
            zeros += 8;
        } else {
            return zeros + byte.leading_zeros();
        }
    }
    zeros
}

/// Extra zero bits a ticket mask asks for beyond the hard-wired 32: the mask is 2^N − 1 with
/// each byte's bits reversed, so N is its number of set bits (ESP-Miner `get_difficulty_mask`;
/// mujina REFERENCE.md 0x14).
pub fn ticket_bits(mask: u32) -> u32 {
    mask.count_ones()
}

/// A reply frame: the body (value or nonce and the two or four bytes after it), then the type
/// bits with the CRC5 that makes the residue over body and type bits zero.
pub fn reply(family: Family, body: &[u8], nonce: bool) -> Vec<u8> {
    let kind = if nonce { 0x80 } else { 0x00 };
    let mut frame = Vec::with_capacity(body.len() + 3);
    if has_preamble(family) {
        frame.extend_from_slice(&[0xAA, 0x55]);
    }
    let start = frame.len();
    frame.extend_from_slice(body);
    frame.push(kind);
    for crc in 0..32u8 {
        if let Some(last) = frame.last_mut() {
            *last = kind | crc;
        }
        if crc5(&frame[start..]) == 0 {
            break;
        }
    }
    frame
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(s: &str) -> Vec<u8> {
        let s: String = s.chars().filter(char::is_ascii_hexdigit).collect();
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    fn frames(family: Family, bytes: &[u8]) -> Vec<HostFrame> {
        let mut parser = HostParser::new(family);
        let mut out = Vec::new();
        parser.feed(bytes, &mut |_, f| out.push(f));
        out
    }

    /// Frames from ESP-Miner and mujina, as the chips must read them.
    #[test]
    fn reads_the_sources_command_frames() {
        let f = Family::Bm1366;
        assert_eq!(
            frames(f, &hex("55 AA 51 09 00 A4 90 00 FF FF 1C")),
            [HostFrame::Write {
                all: true,
                address: 0,
                register: 0xA4,
                value: 0x9000_FFFF
            }]
        );
        assert_eq!(
            frames(f, &hex("55 AA 52 05 00 00 0A")),
            [HostFrame::Read {
                all: true,
                address: 0,
                register: 0
            }]
        );
        assert_eq!(
            frames(f, &hex("55 AA 53 05 00 00 03 55 AA 40 05 04 00 03")),
            [HostFrame::ChainInactive, HostFrame::SetAddress(4)]
        );
        // mujina's REFERENCE.md prints `55 AA 40 05 04 00 15`: a wrong CRC, ignored.
        assert_eq!(frames(f, &hex("55 AA 40 05 04 00 15")), []);
        // GEKKO's BM1387 baud write, bare: 58 09 00 1C 00 20 07 00 19.
        assert_eq!(
            frames(Family::Bm1387, &hex("58 09 00 1C 00 20 07 00 19")),
            [HostFrame::Write {
                all: true,
                address: 0,
                register: 0x1C,
                value: 0x0020_0700
            }]
        );
    }

    /// ESP-Miner's BM1397 frame (`bm1397.py`) rebuilds the midstate of its header; the same
    /// frame with each midstate word byte-swapped (the old Hashbench encoding) does not.
    #[test]
    fn reads_esp_miners_midstate_frame() {
        let frame = hex("55AA2196 04 04 00000000 01DD0517 D88B6564 C604A846
             4D3185F2 5F7D5DE0 E3591741 CB21CAE1 1574DDD6 5D490D3D 68739F8A 52EADF91
             0000000000000000000000000000000000000000000000000000000000000000
             0000000000000000000000000000000000000000000000000000000000000000
             0000000000000000000000000000000000000000000000000000000000000000 6B1D");
        let header = hex(
            "0400002035fd44bf837bdc13c6e5607db472b528a804d2484907000000000000000000
             00cd1be82132ef0d12053dcece1fa0247fcfdb61d4dbd3eb32ea9ef9b4c604a846d88b6564
             01dd051700000000",
        );
        let [HostFrame::Job(work)] = &frames(Family::Bm1397, &frame)[..] else {
            panic!("one job expected")
        };
        let WorkKind::Midstates { states, tail } = &work.kind else {
            panic!("a midstate job")
        };
        assert_eq!(work.job_id, 4);
        assert_eq!(states.len(), 4);
        assert_eq!(states[0], midstate(&header[..64]));
        assert_eq!(tail[..], header[64..76]);

        let mut swapped = frame.clone();
        for word in swapped[20..52].as_chunks_mut::<4>().0 {
            word.reverse();
        }
        let crc = crc16(&swapped[2..150]).to_be_bytes();
        swapped[150..152].copy_from_slice(&crc);
        let [HostFrame::Job(work)] = &frames(Family::Bm1397, &swapped)[..] else {
            panic!("one job expected")
        };
        let WorkKind::Midstates { states, .. } = &work.kind else {
            panic!("a midstate job")
        };
        assert_ne!(states[0], midstate(&header[..64]));
    }

    /// mujina `test_data.rs`: the BM1370 job captured on a Bitaxe Gamma rebuilds a header whose
    /// hash with the captured nonce and rolled version has difficulty 29588 (46 zero bits).
    #[test]
    fn reads_mujinas_bm1370_job() {
        let frame = hex("55AA2156 68 01 00000000 043A0217 D7685468
             5519A7CB044F88726355919E61A98BCF71A0C28795EA54DB8C36414B06DDF5F0
             0000000000000000965201001D3996BCA3F4670DFCD4F201C162B96DFD55646B
             00000020 721C");
        let [HostFrame::Job(work)] = &frames(Family::Bm1370, &frame)[..] else {
            panic!("one job expected")
        };
        let WorkKind::Header(mut header) = work.kind.clone() else {
            panic!("a full-header job")
        };
        header[0..4].copy_from_slice(&0x20B4_4000u32.to_le_bytes());
        header[76..80].copy_from_slice(&0x7552_034Cu32.to_le_bytes());
        let mut last16 = [0u8; 16];
        last16.copy_from_slice(&header[64..80]);
        let hash = finish(&midstate(&header[..64]), &last16);
        assert_eq!(zero_bits(&hash), 46);
    }

    #[test]
    fn replies_carry_a_crc_the_sources_accept() {
        // skot / bm13xx-rs: the BM1397 chip-ID reply.
        assert_eq!(
            reply(Family::Bm1397, &hex("13 97 18 00 00 00"), false),
            hex("AA 55 13 97 18 00 00 00 06")
        );
        // mujina REFERENCE.md: the BM1370 chip-ID reply, 11 bytes.
        assert_eq!(
            reply(Family::Bm1370, &hex("13 70 00 00 00 00 00 00"), false),
            hex("AA 55 13 70 00 00 00 00 00 00 10")
        );
        // mujina test_data.rs: the BM1370 nonce reply.
        assert_eq!(
            reply(Family::Bm1370, &hex("4C 03 52 75 0C D2 05 A2"), true),
            hex("AA 55 4C 03 52 75 0C D2 05 A2 9C")
        );
    }
}
