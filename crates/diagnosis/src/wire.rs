//! The chain link as the engine uses it: commands and jobs out, framed replies in, with the
//! bytes and the jig time they take.

use bm13xx::framer::{Awaited, Event, Framer, ReplyLen};
use bm13xx::{Command, Family, Reply};

use serde::{Deserialize, Serialize};

use crate::jig::{Jig, JigError, Received};

/// A reply from the chain and when it arrived (jig µs).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Arrived {
    /// Jig time of the reply's first byte.
    pub at_us: u64,
    /// The reply.
    pub reply: Reply,
    /// Stream offset of its first byte (the order things came back in).
    pub offset: u64,
}

/// Which way a captured frame went.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Dir {
    /// Host to chips.
    Tx,
    /// Chips to host.
    Rx,
}

/// One frame of chain traffic as it crossed the jig: for captures that technicians attach to
/// bug reports (`hashbench diagnose --capture`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CapturedFrame {
    /// Jig time, µs: when a host frame started leaving the jig, when a reply's first byte arrived.
    pub t_us: u64,
    /// Direction.
    pub dir: Dir,
    /// The bytes as they crossed (a reply with a bad CRC and bytes that were no frame included).
    pub bytes: Vec<u8>,
}

/// Most receive bytes kept to recover the bytes of a garbage run that began in an earlier chunk
/// (a reply is at most 11 bytes, so the framer never holds more back).
const RX_TAIL: usize = 256;

/// The longest single wait asked of the jig, µs: [I] a quarter of the firmware's default host
/// lease (1 s), so a wait never outlasts the lease whatever the USB round trip adds.
pub const MAX_SYNC_US: u64 = 250_000;

/// Counters of the link.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WireStats {
    /// Bytes sent to the chain.
    pub tx_bytes: u64,
    /// Bytes received from the chain.
    pub rx_bytes: u64,
    /// Replies dropped for a bad CRC.
    pub bad_crc: u64,
    /// Bytes that were no frame.
    pub garbage_bytes: u64,
}

/// The engine's side of the chain UART.
pub struct Wire<'j> {
    jig: &'j mut dyn Jig,
    family: Family,
    framer: Framer,
    baud: u32,
    /// Jig time (µs, fractional) at which everything sent so far has left the jig.
    tx_done_us: f64,
    now_us: u64,
    received: Vec<Received>,
    /// Counters.
    pub stats: WireStats,
    /// Decoded traffic, one line a frame, when asked for (`Wire::log_frames`).
    log: Option<Vec<String>>,
    /// Every frame both ways, when asked for (`Wire::capture`).
    capture: Option<Vec<CapturedFrame>>,
    /// The last receive bytes and the stream offset of the first of them (for garbage runs).
    rx_tail: (u64, Vec<u8>),
    /// Jig time, µs, the last receive byte so far ended.
    rx_quiet_from: u64,
    /// Stream offsets of what came back spoiled (a frame failing its CRC, bytes that were no
    /// frame) since [`Wire::take_spoiled`], at most [`MAX_SPOILED`] of them.
    spoiled: Vec<u64>,
}

/// Most spoiled arrivals kept between two [`Wire::take_spoiled`] (a line of pure noise would
/// otherwise grow the list for as long as nobody asks).
const MAX_SPOILED: usize = 4096;

/// Receive bytes after the last one with the line quiet, after which bytes held back as the
/// start of a reply are taken for what is left of a broken one. [I] Twice the longest reply:
/// a reply's bytes come back to back.
const STALE_BYTES: usize = 22;

/// And at least this long, µs: the jig sends what it received as an event after 200 µs of a
/// quiet line or 128 bytes (`RX_FLUSH_QUIET_US`, `RX_FLUSH_BYTES` in the firmware), stamped
/// with its first byte's time, and an event's bytes may have had shorter pauses between them,
/// so the end of the last byte is known only to within a few ms. [I]
const STALE_MIN_US: u64 = 5_000;

/// Where the framer's events go: the counters, the log and capture, and the replies.
struct Sink<'a> {
    family: Family,
    stats: &'a mut WireStats,
    log: &'a mut Option<Vec<String>>,
    capture: &'a mut Option<Vec<CapturedFrame>>,
    tail: &'a mut (u64, Vec<u8>),
    spoiled: &'a mut Vec<u64>,
    out: &'a mut Vec<Arrived>,
}

impl Sink<'_> {
    /// One framer event, `time_of` giving the jig time of a stream offset.
    fn take(&mut self, event: Event<'_>, time_of: &dyn Fn(u64) -> u64) {
        let family = self.family;
        if let Some(capture) = self.capture.as_mut() {
            let (tail_base, tail) = &*self.tail;
            let (offset, bytes) = match event {
                Event::Frame { offset, bytes, .. } => (offset, bytes.to_vec()),
                Event::Garbage { offset, len } => {
                    let from = offset.saturating_sub(*tail_base) as usize;
                    let to = (from + len).min(tail.len());
                    (offset, tail.get(from..to).unwrap_or_default().to_vec())
                }
            };
            capture.push(CapturedFrame {
                t_us: time_of(offset),
                dir: Dir::Rx,
                bytes,
            });
        }
        match event {
            Event::Frame {
                bytes,
                crc_ok: true,
                offset,
            } => match Reply::parse(family, bytes) {
                Ok(reply) => {
                    let at_us = time_of(offset);
                    if let Some(log) = self.log.as_mut() {
                        log.push(format!(
                            "{:>10.3} ms  <- {}",
                            at_us as f64 / 1000.0,
                            describe_reply(family, &reply)
                        ));
                    }
                    self.out.push(Arrived {
                        at_us,
                        reply,
                        offset,
                    });
                }
                Err(_) => self.stats.bad_crc += 1,
            },
            Event::Frame {
                crc_ok: false,
                offset,
                ..
            } => {
                self.stats.bad_crc += 1;
                if self.spoiled.len() < MAX_SPOILED {
                    self.spoiled.push(offset);
                }
            }
            Event::Garbage { len, offset } => {
                self.stats.garbage_bytes += len as u64;
                if self.spoiled.len() < MAX_SPOILED {
                    self.spoiled.push(offset);
                }
            }
        }
    }
}

/// The frame log and capture set aside by [`Wire::pause_recording`].
#[derive(Debug)]
pub struct PausedRecording {
    log: Option<Vec<String>>,
    capture: Option<Vec<CapturedFrame>>,
}

impl std::fmt::Debug for Wire<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Wire")
            .field("baud", &self.baud)
            .field("now_us", &self.now_us)
            .finish()
    }
}

impl<'j> Wire<'j> {
    /// The link of `jig` for a `family` chain, at 115200 baud.
    pub fn new(jig: &'j mut dyn Jig, family: Family) -> Result<Self, JigError> {
        let now_us = jig.now_us()?;
        Ok(Self {
            jig,
            family,
            framer: Framer::replies(family, false),
            baud: 115_200,
            tx_done_us: now_us as f64,
            now_us,
            received: Vec::new(),
            stats: WireStats::default(),
            log: None,
            capture: None,
            rx_tail: (0, Vec::new()),
            rx_quiet_from: now_us,
            spoiled: Vec::new(),
        })
    }

    /// Keep every frame both ways from now on, with its jig time.
    pub fn capture(&mut self) {
        self.capture.get_or_insert_with(Vec::new);
    }

    /// The frames captured so far (empty when not capturing).
    pub fn take_capture(&mut self) -> Vec<CapturedFrame> {
        self.capture
            .as_mut()
            .map(std::mem::take)
            .unwrap_or_default()
    }

    /// Keep a decoded line for every frame from now on (for the workbench's log).
    pub fn log_frames(&mut self) {
        self.log.get_or_insert_with(Vec::new);
    }

    /// Stop keeping the frame log and the capture until [`Wire::resume_recording`] (a long
    /// aging test would fill memory with them); what was kept so far is set aside.
    pub fn pause_recording(&mut self) -> PausedRecording {
        PausedRecording {
            log: self.log.take(),
            capture: self.capture.take(),
        }
    }

    /// Keep the frame log and the capture again, as they were when paused.
    pub fn resume_recording(&mut self, paused: PausedRecording) {
        self.log = paused.log;
        self.capture = paused.capture;
        // Garbage bytes are looked up from here on.
        self.rx_tail = (self.framer.stream_offset(), Vec::new());
    }

    /// Note a line in the frame log, with the jig time.
    pub fn note(&mut self, line: impl FnOnce() -> String) {
        let at = self.now_us;
        if let Some(log) = &mut self.log {
            log.push(format!("{:>10.3} ms  {}", at as f64 / 1000.0, line()));
        }
    }

    /// The lines logged since the last call.
    pub fn take_log(&mut self) -> Vec<String> {
        self.log.as_mut().map(std::mem::take).unwrap_or_default()
    }

    /// The jig behind the link.
    pub fn jig(&mut self) -> &mut dyn Jig {
        &mut *self.jig
    }

    /// Jig time now, µs.
    #[must_use]
    pub fn now(&self) -> u64 {
        self.now_us
    }

    /// Current baud rate.
    #[must_use]
    pub fn baud(&self) -> u32 {
        self.baud
    }

    /// µs one byte takes at the current rate.
    #[must_use]
    pub fn byte_us(&self) -> f64 {
        10.0 * 1e6 / f64::from(self.baud)
    }

    /// Jig time when everything queued has been sent, µs.
    #[must_use]
    pub fn tx_done(&self) -> f64 {
        self.tx_done_us.max(self.now_us as f64)
    }

    /// Bytes of a chip's reply now, preamble included (9 or 11 on BM136x, by whether version
    /// rolling is on).
    #[must_use]
    pub fn reply_len(&self) -> usize {
        match self.framer.reply_len() {
            ReplyLen::Fixed(n) => n,
            ReplyLen::Auto => self.family.reply_len(false),
        }
    }

    /// What the engine awaits from the chips from now on: on a family without a preamble, a
    /// register reply it did not ask for is taken for a shifted copy of replies, and the
    /// framer looks on for the frames in it ([`Awaited`]).
    pub fn await_replies(&mut self, awaited: Awaited) {
        self.framer.await_replies(awaited);
    }

    /// Replies are 11 bytes once version rolling is on (BM136x).
    pub fn set_version_rolling(&mut self, on: bool) {
        self.framer
            .set_reply_len(ReplyLen::Fixed(self.family.reply_len(on)));
    }

    /// Switch the jig's UART rate (after the chips switched).
    pub fn set_baud(&mut self, baud: u32) -> Result<(), JigError> {
        self.jig.set_baud(baud)?;
        self.baud = baud;
        Ok(())
    }

    /// The stream offsets of what came back spoiled since the last call (a corrupted reply
    /// comes back where in the stream the reply would have).
    pub fn take_spoiled(&mut self) -> Vec<u64> {
        std::mem::take(&mut self.spoiled)
    }

    /// Queue raw bytes.
    pub fn send(&mut self, bytes: &[u8]) -> Result<(), JigError> {
        let told = self.jig.send(bytes)?;
        // The jig's word for when the bytes start wins over our model when it is later.
        let start = told.map_or(self.tx_done(), |t| self.tx_done().max(t as f64));
        if let Some(capture) = &mut self.capture {
            capture.push(CapturedFrame {
                t_us: start.round() as u64,
                dir: Dir::Tx,
                bytes: bytes.to_vec(),
            });
        }
        self.tx_done_us = start + bytes.len() as f64 * self.byte_us();
        self.stats.tx_bytes += bytes.len() as u64;
        Ok(())
    }

    /// Queue a command.
    pub fn command(&mut self, command: Command) -> Result<(), JigError> {
        self.note(|| format!("-> {}", describe_command(&command)));
        let frame = command.encode(self.family);
        self.send(frame.as_bytes())
    }

    /// Wait until jig time `t_us` and return the replies that arrived. A long wait goes to the
    /// jig in steps of at most [`MAX_SYNC_US`]: every request renews the jig's host lease, and
    /// one wait longer than the lease (the bytes of a long configuration queued at once, a
    /// second at 115200 baud on a 120-chip chain) would lose the board.
    pub fn wait_until(&mut self, t_us: u64) -> Result<Vec<Arrived>, JigError> {
        let t_us = t_us.max(self.now_us);
        self.received.clear();
        loop {
            let step = t_us.min(self.now_us.saturating_add(MAX_SYNC_US));
            self.jig.wait_until(step, &mut self.received)?;
            // The jig's clock is the only clock: it may have gone past the step.
            self.now_us = self.jig.now_us()?.max(step);
            if self.now_us >= t_us {
                break;
            }
        }
        let mut out = Vec::new();
        let byte_us = self.byte_us();
        let mut sink = Sink {
            family: self.family,
            stats: &mut self.stats,
            log: &mut self.log,
            capture: &mut self.capture,
            tail: &mut self.rx_tail,
            spoiled: &mut self.spoiled,
            out: &mut out,
        };
        for chunk in &self.received {
            sink.stats.rx_bytes += chunk.bytes.len() as u64;
            let at_us = chunk.at_us;
            let chunk_base = self.framer.stream_offset();
            if sink.capture.is_some() {
                let (tail_base, tail) = &mut *sink.tail;
                tail.extend_from_slice(&chunk.bytes);
                if tail.len() > RX_TAIL {
                    let cut = tail.len() - RX_TAIL;
                    tail.drain(..cut);
                    *tail_base += cut as u64;
                }
            }
            // Jig time of the byte at stream `offset`: the chunk's first byte is `at_us`.
            let time_of = |offset: u64| {
                at_us + (offset.saturating_sub(chunk_base) as f64 * byte_us).round() as u64
            };
            self.framer
                .feed(&chunk.bytes, |event| sink.take(event, &time_of));
            self.rx_quiet_from = at_us + (chunk.bytes.len() as f64 * byte_us).ceil() as u64;
        }
        // A chip sends a reply's bytes back to back: bytes that began a reply and were followed
        // by a quiet line are what is left of a reply that lost some, not the start of the next
        // one. Taken for a frame with the next reply's first bytes they spoil that one as well,
        // and on a family without a preamble the framer may find a frame passing its CRC in the
        // two (a shifted copy of a reply) and stay off by as many bytes for every reply after
        // (tuning seed 21728, an S9: a chip read again and again gave ID 0x000F each time).
        let quiet_from = self.rx_quiet_from;
        if self.framer.buffered() > 0
            && self.now_us
                > quiet_from + ((STALE_BYTES as f64 * byte_us).ceil() as u64).max(STALE_MIN_US)
        {
            let time_of = |_: u64| quiet_from;
            self.framer.flush(|event| sink.take(event, &time_of));
        }
        Ok(out)
    }

    /// Wait until everything queued has left the jig, plus `extra_us`.
    pub fn drain(&mut self, extra_us: u64) -> Result<Vec<Arrived>, JigError> {
        let t = self.tx_done().ceil() as u64 + extra_us;
        self.wait_until(t)
    }

    /// Send `command` and collect replies until none came for `quiet_us`.
    pub fn ask(&mut self, command: Command, quiet_us: u64) -> Result<Vec<Arrived>, JigError> {
        self.command(command)?;
        let mut replies = Vec::new();
        let mut deadline = self.tx_done().ceil() as u64 + quiet_us;
        loop {
            let got = self.wait_until(deadline)?;
            if got.is_empty() {
                return Ok(replies);
            }
            deadline = self.now_us + quiet_us;
            replies.extend(got);
        }
    }
}

/// One line for a command.
#[must_use]
pub fn describe_command(command: &Command) -> String {
    let dest = |d: &bm13xx::Dest| match d {
        bm13xx::Dest::All => "all".to_owned(),
        bm13xx::Dest::Chip(a) => format!("chip 0x{a:02X}"),
    };
    match command {
        Command::SetAddress { address } => format!("set address 0x{address:02X}"),
        Command::ChainInactive => "chain inactive".to_owned(),
        Command::ReadRegister { dest: d, register } => {
            format!("read reg 0x{register:02X} ({})", dest(d))
        }
        Command::WriteRegister {
            dest: d,
            register,
            value,
        } => format!("write reg 0x{register:02X} = 0x{value:08X} ({})", dest(d)),
    }
}

/// One line for a reply.
#[must_use]
pub fn describe_reply(family: Family, reply: &Reply) -> String {
    match reply {
        Reply::Register(r) => format!(
            "chip 0x{:02X} reg 0x{:02X} = 0x{:08X}",
            r.chip_address, r.register, r.value
        ),
        Reply::Nonce(n) => {
            let f = n.fields(family, &family.default_params(), 1);
            format!(
                "nonce 0x{:08X} core {} job 0x{:02X}",
                f.nonce, f.core, f.job_id
            )
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::jig::{JigInfo, Telemetry};

    /// A jig that hands over scripted receive chunks once its clock passes their time.
    struct Scripted {
        now: u64,
        chunks: Vec<Received>,
    }

    impl Jig for Scripted {
        fn info(&mut self) -> Result<JigInfo, JigError> {
            Err(JigError::NoDevice("a scripted jig".into()))
        }
        fn now_us(&mut self) -> Result<u64, JigError> {
            Ok(self.now)
        }
        fn set_power(&mut self, _: bool) -> Result<(), JigError> {
            Ok(())
        }
        fn set_reset(&mut self, _: bool) -> Result<(), JigError> {
            Ok(())
        }
        fn set_baud(&mut self, _: u32) -> Result<(), JigError> {
            Ok(())
        }
        fn send(&mut self, _: &[u8]) -> Result<Option<u64>, JigError> {
            Ok(None)
        }
        fn wait_until(&mut self, t_us: u64, received: &mut Vec<Received>) -> Result<(), JigError> {
            self.now = self.now.max(t_us);
            let (due, later): (Vec<Received>, Vec<Received>) =
                self.chunks.drain(..).partition(|c| c.at_us <= t_us);
            received.extend(due);
            self.chunks = later;
            Ok(())
        }
        fn measure(&mut self) -> Result<Telemetry, JigError> {
            Err(JigError::NoDevice("a scripted jig".into()))
        }
        fn read_temperature(&mut self, _: &crate::jig::SensorRef) -> Result<f32, JigError> {
            Err(JigError::NoDevice("a scripted jig".into()))
        }
        fn read_eeprom(&mut self, _: u8, _: u8) -> Result<Vec<u8>, JigError> {
            Err(JigError::NoDevice("a scripted jig".into()))
        }
    }

    /// A BM1387 reply to a read of register 0 at `address`: chip ID 0x1387, two bytes, the
    /// address, the register, then type 0 with the CRC5 (facts §1.4 layout; no BM1387 reply
    /// was captured, so the CRC is the one that leaves a zero residue).
    fn bm1387_address_reply(address: u8) -> Vec<u8> {
        let mut reply = vec![0x13, 0x87, 0x90, 0x00, address, 0x00];
        let crc = (0u8..32)
            .find(|&c| {
                let mut r = reply.clone();
                r.push(c);
                bm13xx::crc::crc5_residue_ok(&r)
            })
            .unwrap();
        reply.push(crc);
        reply
    }

    fn chunk(at_us: u64, bytes: &[u8]) -> Received {
        Received {
            at_us,
            bytes: bytes.to_vec(),
        }
    }

    /// What is left of a reply that lost bytes, followed by a quiet line, is garbage once the
    /// line has been quiet (a chip sends a reply's bytes back to back), and the next reply is
    /// read whole: on a family without a preamble the two taken together can hold a shifted
    /// frame that passes its CRC.
    #[test]
    fn a_broken_reply_before_a_quiet_line_is_garbage_and_spoils_no_reply_after_it() {
        let reply = bm1387_address_reply(0x0c);
        let mut jig = Scripted {
            now: 0,
            chunks: vec![chunk(1_000, &reply[..5]), chunk(11_000, &reply)],
        };
        let mut wire = Wire::new(&mut jig, Family::Bm1387).unwrap();
        assert!(wire.wait_until(8_000).unwrap().is_empty());
        assert_eq!(
            wire.stats.garbage_bytes, 5,
            "the broken reply, once the line is quiet"
        );
        let after = wire.wait_until(12_000).unwrap();
        assert!(
            matches!(after.as_slice(), [a] if matches!(a.reply, Reply::Register(r) if r.chip_address == 0x0c)),
            "{after:?}"
        );
        assert_eq!(wire.stats.garbage_bytes, 5);
    }

    /// A reply whose bytes arrive in two chunks with no quiet between them is one reply.
    #[test]
    fn a_reply_split_over_two_chunks_without_a_pause_is_one_reply() {
        let reply = bm1387_address_reply(0x20);
        let byte_us = 10_000_000 / 115_200;
        let mut jig = Scripted {
            now: 0,
            chunks: vec![
                chunk(1_000, &reply[..4]),
                chunk(1_000 + 4 * byte_us, &reply[4..]),
            ],
        };
        let mut wire = Wire::new(&mut jig, Family::Bm1387).unwrap();
        assert!(wire.wait_until(1_000 + 4 * byte_us - 1).unwrap().is_empty());
        let got = wire.wait_until(2_000 + 7 * byte_us).unwrap();
        assert_eq!(got.len(), 1, "{got:?}");
        assert_eq!(wire.stats.garbage_bytes, 0);
    }
}
