//! Streaming framers: bytes in arbitrary chunks in, frames and counted garbage out.
//!
//! One framer per direction of the chain link. They never allocate and never panic: bytes that
//! are not part of a frame are reported as [`Event::Garbage`] runs (counted at once, reported
//! when the run ends: at the next frame or at [`Framer::finish`]), a frame whose
//! checksum fails is dropped up to the next possible frame start inside it (so a valid frame
//! that follows a truncated one is never lost), and a checksum failure with no frame start inside
//! is reported as a frame with `crc_ok: false`.
//!
//! Limits: BM1387 frames carry no preamble, so they are found by sliding a CRC5 window; garbage
//! can then match by chance (CRC5 and type bits: about 1 in 128 positions) and hide an
//! overlapping frame. Told what the host awaits ([`Framer::await_replies`]), such a framer
//! takes a register reply only from a chip it read, for the register it read: a reply that
//! lost a byte and the start of the next then rarely pass for one. Preamble families only
//! mis-frame when garbage contains `AA 55` (or `55 AA`) followed by bytes whose CRC happens to
//! match.

use crate::crc::{crc5, crc5_residue_ok, crc16};
use crate::family::Family;
use crate::job::{JOB_HEADER, job_body_len};

/// Which side of the link the bytes come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// Host to chip: commands and jobs.
    FromHost,
    /// Chip to host: register replies and nonces.
    FromChip,
}

/// Reply length expected from the chips.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReplyLen {
    /// Every reply has this length (the host knows whether version rolling is on).
    Fixed(usize),
    /// Either form of the family (9 or 11 bytes on BM136x); used for captures of unknown state.
    /// A 9-byte reply at the end of the data is only taken once [`Framer::finish`] is called or
    /// the next frame starts.
    Auto,
}

/// What a framer produced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event<'a> {
    /// A frame (preamble included) starting at `offset` in the stream.
    Frame {
        /// Stream offset of the first byte.
        offset: u64,
        /// The frame's bytes.
        bytes: &'a [u8],
        /// Whether the checksum matched.
        crc_ok: bool,
    },
    /// Bytes that belong to no frame.
    Garbage {
        /// Stream offset of the first byte.
        offset: u64,
        /// How many bytes.
        len: usize,
    },
}

/// The replies the host awaits, for a family without a preamble ([`Framer::await_replies`]):
/// a window passing its CRC that is a register reply the host did not ask for is a shifted
/// copy of replies, not a frame. Families with a preamble take every frame whatever this says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Awaited {
    /// Any reply (the default).
    Anything,
    /// Nonces, and replies to reads of `register` from the chips at the addresses of a set
    /// ([`Awaited::reads`]).
    Reads {
        /// The register read.
        register: u8,
        /// The chip addresses read, one bit each (bit `a % 64` of word `a / 64`).
        addresses: [u64; 4],
    },
}

impl Awaited {
    /// Replies to reads of `register` from the chips at `addresses`, and nonces.
    #[must_use]
    pub fn reads(register: u8, addresses: &[u8]) -> Self {
        let mut set = [0u64; 4];
        for &a in addresses {
            if let Some(word) = set.get_mut(usize::from(a / 64)) {
                *word |= 1 << (a % 64);
            }
        }
        Self::Reads {
            register,
            addresses: set,
        }
    }

    /// Whether `body`, a reply body passing its CRC (a register reply if its type is 0: the
    /// value, the chip address and the register, as [`crate::reply::Reply::parse`] reads it),
    /// is one the host awaits.
    fn takes(&self, body: &[u8]) -> bool {
        let register_reply = body.last().is_some_and(|b| b >> 5 == 0);
        match *self {
            Self::Anything => true,
            Self::Reads {
                register,
                addresses,
            } => {
                !register_reply
                    || matches!(body.get(4..6), Some(&[a, r]) if r == register
                        && addresses.get(usize::from(a / 64)).is_some_and(|w| w >> (a % 64) & 1 == 1))
            }
        }
    }
}

/// Counters a framer keeps over its life.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FramerStats {
    /// Frames delivered with a good checksum.
    pub frames: u64,
    /// Frames delivered with a bad checksum.
    pub bad_crc: u64,
    /// Bytes dropped as garbage.
    pub garbage_bytes: u64,
}

enum Verdict {
    NeedMore,
    Frame(usize),
    Corrupt(usize),
    Skip,
}

/// Buffer capacity: two of the longest frame (a 4-midstate job).
const CAP: usize = 2 * crate::job::MAX_JOB_LEN;

/// A streaming framer for one direction of one family's link.
#[derive(Debug, Clone)]
pub struct Framer {
    family: Family,
    direction: Direction,
    reply_len: ReplyLen,
    buf: [u8; CAP],
    start: usize,
    end: usize,
    /// Stream offset of `buf[0]`.
    base: u64,
    garbage: Option<(u64, usize)>,
    ended: bool,
    stats: FramerStats,
    awaited: Awaited,
}

impl Framer {
    /// A framer for `family`'s traffic in `direction`.
    #[must_use]
    pub fn new(family: Family, direction: Direction, reply_len: ReplyLen) -> Self {
        Self {
            family,
            direction,
            reply_len,
            buf: [0; CAP],
            start: 0,
            end: 0,
            base: 0,
            garbage: None,
            ended: false,
            stats: FramerStats::default(),
            awaited: Awaited::Anything,
        }
    }

    /// A framer for replies from chips with version rolling on or off.
    #[must_use]
    pub fn replies(family: Family, version_rolling: bool) -> Self {
        Self::new(
            family,
            Direction::FromChip,
            ReplyLen::Fixed(family.reply_len(version_rolling)),
        )
    }

    /// Counters so far.
    #[must_use]
    pub fn stats(&self) -> FramerStats {
        self.stats
    }

    /// Stream offset just past the last byte pushed so far.
    #[must_use]
    pub fn stream_offset(&self) -> u64 {
        self.base + self.end as u64
    }

    /// What the host awaits from now on, for a family without a preamble (see [`Awaited`]).
    pub fn await_replies(&mut self, awaited: Awaited) {
        self.awaited = awaited;
    }

    /// Change the expected reply length (after version rolling is switched on or off).
    pub fn set_reply_len(&mut self, reply_len: ReplyLen) {
        self.reply_len = reply_len;
    }

    /// The reply length the framer expects.
    #[must_use]
    pub const fn reply_len(&self) -> ReplyLen {
        self.reply_len
    }

    /// Take as many of `data` as fit and return how many were taken. Drain events with
    /// [`Framer::next_event`] between pushes; [`Framer::feed`] does both.
    pub fn push(&mut self, data: &[u8]) -> usize {
        if self.start > 0 {
            self.buf.copy_within(self.start..self.end, 0);
            self.base += self.start as u64;
            self.end -= self.start;
            self.start = 0;
        }
        let room = CAP - self.end;
        let n = room.min(data.len());
        if let (Some(dst), Some(src)) = (self.buf.get_mut(self.end..self.end + n), data.get(..n)) {
            dst.copy_from_slice(src);
            self.end += n;
        }
        self.ended = false;
        n
    }

    /// Bytes held back, not yet a frame or garbage.
    #[must_use]
    pub const fn buffered(&self) -> usize {
        self.end - self.start
    }

    /// Mark the end of the input: bytes that cannot complete a frame become garbage.
    pub fn finish(&mut self) {
        self.ended = true;
    }

    /// Push all of `data`, calling `on_event` for every event.
    pub fn feed(&mut self, mut data: &[u8], mut on_event: impl FnMut(Event<'_>)) {
        loop {
            let taken = self.push(data);
            data = data.get(taken..).unwrap_or_default();
            while let Some(event) = self.next_event() {
                on_event(event);
            }
            if data.is_empty() {
                break;
            }
        }
    }

    /// Finish the input and call `on_event` for every remaining event.
    pub fn flush(&mut self, mut on_event: impl FnMut(Event<'_>)) {
        self.finish();
        while let Some(event) = self.next_event() {
            on_event(event);
        }
    }

    fn add_garbage(&mut self, len: usize) {
        let offset = self.base + self.start as u64;
        self.garbage = Some(match self.garbage {
            Some((at, n)) => (at, n + len),
            None => (offset, len),
        });
        self.stats.garbage_bytes += len as u64;
        self.start += len;
    }

    fn take_garbage(&mut self) -> Option<Event<'static>> {
        self.garbage
            .take()
            .map(|(offset, len)| Event::Garbage { offset, len })
    }

    /// The next event, or `None` when more bytes are needed.
    pub fn next_event(&mut self) -> Option<Event<'_>> {
        loop {
            let window = self.buf.get(self.start..self.end).unwrap_or_default();
            if window.is_empty() {
                // A garbage run may go on in the next push: report it once it ends.
                return if self.ended {
                    self.take_garbage()
                } else {
                    None
                };
            }
            let verdict = match self.direction {
                Direction::FromChip => recognise_reply(
                    self.family,
                    self.reply_len,
                    window,
                    self.ended,
                    &self.awaited,
                ),
                Direction::FromHost => recognise_host(self.family, window, self.ended),
            };
            let (len, crc_ok) = match verdict {
                Verdict::NeedMore if self.ended => {
                    let rest = window.len();
                    self.add_garbage(rest);
                    continue;
                }
                Verdict::NeedMore => return None,
                Verdict::Skip => {
                    self.add_garbage(1);
                    continue;
                }
                Verdict::Corrupt(len) => {
                    let inner = (1..len.min(window.len())).find(|&q| {
                        could_start(
                            self.family,
                            self.direction,
                            window.get(q..).unwrap_or_default(),
                        )
                    });
                    if let Some(q) = inner {
                        self.add_garbage(q);
                        continue;
                    }
                    (len, false)
                }
                Verdict::Frame(len) => (len, true),
            };
            if self.garbage.is_some() {
                return self.take_garbage();
            }
            let at = self.start;
            self.start += len;
            if crc_ok {
                self.stats.frames += 1;
            } else {
                self.stats.bad_crc += 1;
            }
            let bytes = self.buf.get(at..at + len).unwrap_or_default();
            return Some(Event::Frame {
                offset: self.base + at as u64,
                bytes,
                crc_ok,
            });
        }
    }
}

fn could_start(family: Family, direction: Direction, window: &[u8]) -> bool {
    let preamble: [u8; 2] = match direction {
        Direction::FromChip => [0xAA, 0x55],
        Direction::FromHost => [0x55, 0xAA],
    };
    family.has_preamble()
        && match window {
            [] => false,
            [first] => *first == preamble[0],
            [first, second, ..] => [*first, *second] == preamble,
        }
}

/// A whole reply body (after any preamble) whose CRC5 residue is zero and whose type is 0 or 4.
fn reply_valid(body: &[u8]) -> bool {
    matches!(body.last().map(|b| b >> 5), Some(0 | 4)) && crc5_residue_ok(body)
}

fn recognise_reply(
    family: Family,
    reply_len: ReplyLen,
    w: &[u8],
    ended: bool,
    awaited: &Awaited,
) -> Verdict {
    if !family.has_preamble() {
        let len = family.reply_len(false);
        return match w.get(..len) {
            None => Verdict::NeedMore,
            Some(frame) if reply_valid(frame) && awaited.takes(frame) => Verdict::Frame(len),
            Some(_) => Verdict::Skip,
        };
    }
    match w {
        [] | [0xAA] => return Verdict::NeedMore,
        [0xAA, 0x55, ..] => {}
        _ => return Verdict::Skip,
    }
    let valid = |len: usize| w.get(2..len).is_some_and(reply_valid);
    match reply_len {
        ReplyLen::Fixed(len) => {
            if w.len() < len {
                Verdict::NeedMore
            } else if valid(len) {
                Verdict::Frame(len)
            } else {
                Verdict::Corrupt(len)
            }
        }
        ReplyLen::Auto => {
            let (short, long) = (family.reply_len(false), family.reply_len(true));
            let next_starts = |at: usize| matches!(w.get(at..), Some([0xAA, 0x55, ..]));
            if short != long
                && valid(short)
                && (next_starts(short) || !valid(long) && (w.len() >= long || ended))
            {
                Verdict::Frame(short)
            } else if valid(long) {
                Verdict::Frame(long)
            } else if (w.len() < long && !ended) || w.len() < short {
                Verdict::NeedMore
            } else {
                Verdict::Corrupt(long.min(w.len()))
            }
        }
    }
}

fn recognise_host(family: Family, w: &[u8], ended: bool) -> Verdict {
    let body = if family.has_preamble() {
        match w {
            [] | [0x55] => return Verdict::NeedMore,
            [0x55, 0xAA, rest @ ..] => rest,
            _ => return Verdict::Skip,
        }
    } else {
        w
    };
    let pre = w.len() - body.len();
    let Some(&header) = body.first() else {
        return Verdict::NeedMore;
    };
    if header == JOB_HEADER {
        let Some(body_len) = job_body_len(family, body) else {
            return if body.len() < 4 && !ended {
                Verdict::NeedMore
            } else {
                Verdict::Skip
            };
        };
        let Some(frame) = body.get(..body_len) else {
            return Verdict::NeedMore;
        };
        let (data, crc) = frame.split_at(body_len - 2);
        return if crc16(data).to_be_bytes() == crc {
            Verdict::Frame(pre + body_len)
        } else if family.has_preamble() {
            Verdict::Corrupt(pre + body_len)
        } else {
            Verdict::Skip
        };
    }
    if header & 0xE0 != 0x40 {
        return Verdict::Skip;
    }
    let body_len = match body.get(1) {
        None => return Verdict::NeedMore,
        Some(5) => 5,
        Some(9) => 9,
        Some(_) => return Verdict::Skip,
    };
    let Some(frame) = body.get(..body_len) else {
        return Verdict::NeedMore;
    };
    let (data, crc) = frame.split_at(body_len - 1);
    if crc == [crc5(data)] {
        Verdict::Frame(pre + body_len)
    } else if family.has_preamble() {
        Verdict::Corrupt(pre + body_len)
    } else {
        Verdict::Skip
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::command::{Command, Dest};
    use crate::family::ALL_FAMILIES;
    use proptest::prelude::*;

    const NONCE_1370: [u8; 11] = [
        0xAA, 0x55, 0x4C, 0x03, 0x52, 0x75, 0x0C, 0xD2, 0x05, 0xA2, 0x9C,
    ];
    const CHIP_ID_1370: [u8; 11] = [
        0xAA, 0x55, 0x13, 0x70, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10,
    ];
    const CHIP_ID_1397: [u8; 9] = [0xAA, 0x55, 0x13, 0x97, 0x18, 0x00, 0x00, 0x00, 0x06];

    #[derive(Debug, PartialEq)]
    enum Seen {
        Frame(u64, Vec<u8>, bool),
        Garbage(u64, usize),
    }

    /// Everything a framer reports for `input` fed in chunks of `chunk` bytes, then flushed.
    fn run(mut framer: Framer, input: &[u8], chunk: usize) -> Vec<Seen> {
        let mut seen = Vec::new();
        let mut record = |e: Event<'_>| {
            seen.push(match e {
                Event::Frame {
                    offset,
                    bytes,
                    crc_ok,
                } => Seen::Frame(offset, bytes.to_vec(), crc_ok),
                Event::Garbage { offset, len } => Seen::Garbage(offset, len),
            })
        };
        for piece in input.chunks(chunk.max(1)) {
            framer.feed(piece, &mut record);
        }
        framer.flush(&mut record);
        seen
    }

    fn frames(seen: &[Seen]) -> Vec<(u64, Vec<u8>)> {
        seen.iter()
            .filter_map(|s| match s {
                Seen::Frame(at, bytes, true) => Some((*at, bytes.clone())),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn replies_back_to_back_in_any_chunking() {
        let mut input = NONCE_1370.to_vec();
        input.extend_from_slice(&CHIP_ID_1370);
        for chunk in 1..=input.len() {
            let seen = run(Framer::replies(Family::Bm1370, true), &input, chunk);
            assert_eq!(
                seen,
                vec![
                    Seen::Frame(0, NONCE_1370.to_vec(), true),
                    Seen::Frame(11, CHIP_ID_1370.to_vec(), true)
                ]
            );
        }
    }

    #[test]
    fn garbage_before_a_reply_is_counted_once() {
        let mut input = vec![0x00, 0x13, 0xFF];
        input.extend_from_slice(&NONCE_1370);
        let mut framer = Framer::replies(Family::Bm1370, true);
        let seen = run(framer.clone(), &input, 2);
        assert_eq!(
            seen,
            vec![
                Seen::Garbage(0, 3),
                Seen::Frame(3, NONCE_1370.to_vec(), true)
            ]
        );
        framer.feed(&input, |_| {});
        assert_eq!(
            framer.stats(),
            FramerStats {
                frames: 1,
                bad_crc: 0,
                garbage_bytes: 3
            }
        );
    }

    #[test]
    fn a_truncated_reply_does_not_hide_the_next() {
        let mut input = NONCE_1370[..6].to_vec();
        input.extend_from_slice(&NONCE_1370);
        let seen = run(Framer::replies(Family::Bm1370, true), &input, 4);
        assert_eq!(
            seen,
            vec![
                Seen::Garbage(0, 6),
                Seen::Frame(6, NONCE_1370.to_vec(), true)
            ]
        );
    }

    #[test]
    fn a_bit_error_gives_a_bad_crc_frame() {
        let mut bad = NONCE_1370;
        bad[5] ^= 0x01;
        let mut input = bad.to_vec();
        input.extend_from_slice(&CHIP_ID_1370);
        let seen = run(Framer::replies(Family::Bm1370, true), &input, 64);
        assert_eq!(
            seen,
            vec![
                Seen::Frame(0, bad.to_vec(), false),
                Seen::Frame(11, CHIP_ID_1370.to_vec(), true)
            ]
        );
    }

    #[test]
    fn auto_length_tells_9_from_11_byte_replies() {
        let nine = [0xAA, 0x55, 0x00, 0x00, 0xC1, 0x00, 0x00, 0x18, 0x02];
        let mut input = nine.to_vec();
        input.extend_from_slice(&NONCE_1370);
        input.extend_from_slice(&nine);
        let seen = run(
            Framer::new(Family::Bm1370, Direction::FromChip, ReplyLen::Auto),
            &input,
            3,
        );
        assert_eq!(
            frames(&seen),
            vec![
                (0, nine.to_vec()),
                (9, NONCE_1370.to_vec()),
                (20, nine.to_vec())
            ]
        );
    }

    #[test]
    fn host_commands_and_jobs_are_framed() {
        let mut input = Vec::new();
        let read = Command::ReadRegister {
            dest: Dest::All,
            register: 0,
        }
        .encode(Family::Bm1397);
        input.extend_from_slice(read.as_bytes());
        input.push(0x00);
        let job = crate::job::midstate_job(Family::Bm1397, 4, &[7; 80], &[1, 2]).unwrap();
        input.extend_from_slice(job.as_bytes());
        let seen = run(
            Framer::new(Family::Bm1397, Direction::FromHost, ReplyLen::Auto),
            &input,
            5,
        );
        assert_eq!(
            seen,
            vec![
                Seen::Frame(0, read.as_bytes().to_vec(), true),
                Seen::Garbage(7, 1),
                Seen::Frame(8, job.as_bytes().to_vec(), true)
            ]
        );
    }

    #[test]
    fn bm1387_frames_without_preamble() {
        let inactive = Command::ChainInactive.encode(Family::Bm1387);
        let mut input = vec![0x00];
        input.extend_from_slice(inactive.as_bytes());
        let seen = run(
            Framer::new(Family::Bm1387, Direction::FromHost, ReplyLen::Auto),
            &input,
            2,
        );
        assert_eq!(
            seen,
            vec![
                Seen::Garbage(0, 1),
                Seen::Frame(1, inactive.as_bytes().to_vec(), true)
            ]
        );
    }

    /// BM1387 replies, no preamble, seen by a framer awaiting `awaited`: the good frames.
    fn bm1387_frames(input: &[u8], awaited: Awaited) -> Vec<(u64, Vec<u8>)> {
        let mut framer = Framer::replies(Family::Bm1387, false);
        framer.await_replies(awaited);
        frames(&run(framer, input, 3))
    }

    /// Replies to reads of register 0 from an S9 chain past a bad joint (the engine's capture,
    /// `diagnose --sim s9 --seed 3 --fault joint:10:12000 --fault txnoise:1000`): chip 0x54's
    /// reply lost its first byte, and its CRC byte with the first six bytes of chip 0x08's
    /// reply pass the CRC as a reply of register 0x08 from 0x08. Awaiting the reads, the framer
    /// looks on and finds 0x08's reply whole.
    #[test]
    fn a_reply_the_host_did_not_ask_for_is_a_shifted_copy_while_it_awaits_reads() {
        let broken_0x54 = [0x87, 0x00, 0x54, 0x54, 0x00, 0x06];
        let reply_0x08 = [0x13, 0x87, 0x00, 0x08, 0x08, 0x00, 0x02];
        let input = [&broken_0x54[..], &reply_0x08[..]].concat();
        let shifted = vec![0x06, 0x13, 0x87, 0x00, 0x08, 0x08, 0x00];
        assert_eq!(bm1387_frames(&input, Awaited::Anything), vec![(5, shifted)]);
        let reads = Awaited::reads(0x00, &[0x54, 0x08]);
        assert_eq!(bm1387_frames(&input, reads), vec![(6, reply_0x08.to_vec())]);
        // A reply from a chip that was not read is not taken either, nor one of another
        // register; nonces always are.
        let other = Awaited::reads(0x00, &[0x54, 0x0C]);
        assert!(bm1387_frames(&reply_0x08, other).is_empty());
        assert!(bm1387_frames(&reply_0x08, Awaited::reads(0x20, &[0x08])).is_empty());
        let nonce = [0x08, 0x9B, 0x40, 0x53, 0x00, 0x03, 0x8A];
        assert_eq!(bm1387_frames(&nonce, reads), vec![(0, nonce.to_vec())]);
    }

    #[test]
    fn bm1397_chip_id_reply() {
        let seen = run(Framer::replies(Family::Bm1397, false), &CHIP_ID_1397, 1);
        assert_eq!(frames(&seen), vec![(0, CHIP_ID_1397.to_vec())]);
    }

    fn any_family() -> impl Strategy<Value = Family> {
        proptest::sample::select(ALL_FAMILIES.to_vec())
    }

    proptest! {
        #[test]
        fn never_panics_and_accounts_for_every_byte(
            family in any_family(),
            from_host in any::<bool>(),
            auto in any::<bool>(),
            input in proptest::collection::vec(any::<u8>(), 0..600),
            chunk in 1usize..80,
        ) {
            let direction = if from_host { Direction::FromHost } else { Direction::FromChip };
            let reply_len = if auto { ReplyLen::Auto } else { ReplyLen::Fixed(family.reply_len(true)) };
            let seen = run(Framer::new(family, direction, reply_len), &input, chunk);
            // Every byte is reported exactly once, in order.
            let mut at = 0u64;
            for s in &seen {
                let (offset, len) = match s {
                    Seen::Frame(o, b, _) => (*o, b.len()),
                    Seen::Garbage(o, n) => (*o, *n),
                };
                prop_assert_eq!(offset, at);
                at += len as u64;
            }
            prop_assert_eq!(at, input.len() as u64);
        }

        #[test]
        fn a_valid_reply_after_garbage_is_never_lost(
            garbage in proptest::collection::vec(any::<u8>().prop_filter("no preamble byte", |b| *b != 0xAA), 0..200),
            chunk in 1usize..40,
            pick in 0usize..2,
        ) {
            let reply: &[u8] = if pick == 0 { &NONCE_1370 } else { &CHIP_ID_1370 };
            let mut input = garbage.clone();
            input.extend_from_slice(reply);
            let seen = run(Framer::replies(Family::Bm1370, true), &input, chunk);
            prop_assert_eq!(frames(&seen), vec![(garbage.len() as u64, reply.to_vec())]);
        }

        #[test]
        fn a_valid_command_after_garbage_is_never_lost(
            garbage in proptest::collection::vec(any::<u8>().prop_filter("no preamble byte", |b| *b != 0x55), 0..200),
            chunk in 1usize..40,
            register in any::<u8>(),
            value in any::<u32>(),
        ) {
            let command = Command::WriteRegister { dest: Dest::Chip(4), register, value }.encode(Family::Bm1366);
            let mut input = garbage.clone();
            input.extend_from_slice(command.as_bytes());
            let seen = run(Framer::new(Family::Bm1366, Direction::FromHost, ReplyLen::Auto), &input, chunk);
            prop_assert_eq!(frames(&seen), vec![(garbage.len() as u64, command.as_bytes().to_vec())]);
        }
    }
}
