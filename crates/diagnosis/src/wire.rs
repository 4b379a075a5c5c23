//! The chain link as the engine uses it: commands and jobs out, framed replies in, with the
//! bytes and the jig time they take.

use bm13xx::framer::{Event, Framer, ReplyLen};
use bm13xx::{Command, Family, Reply};

use crate::jig::{Jig, JigError, Received};

/// A reply from the chain and when it arrived (jig µs).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Arrived {
    /// Jig time of the reply's first byte.
    pub at_us: u64,
    /// The reply.
    pub reply: Reply,
}

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
        })
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

    /// Queue raw bytes.
    pub fn send(&mut self, bytes: &[u8]) -> Result<(), JigError> {
        self.jig.send(bytes)?;
        let start = self.tx_done();
        self.tx_done_us = start + bytes.len() as f64 * self.byte_us();
        self.stats.tx_bytes += bytes.len() as u64;
        Ok(())
    }

    /// Queue a command.
    pub fn command(&mut self, command: Command) -> Result<(), JigError> {
        let frame = command.encode(self.family);
        self.send(frame.as_bytes())
    }

    /// Wait until jig time `t_us` and return the replies that arrived.
    pub fn wait_until(&mut self, t_us: u64) -> Result<Vec<Arrived>, JigError> {
        let t_us = t_us.max(self.now_us);
        self.received.clear();
        self.jig.wait_until(t_us, &mut self.received)?;
        // The jig's clock is the only clock: it may have gone past `t_us`.
        self.now_us = self.jig.now_us()?.max(t_us);
        let mut out = Vec::new();
        let family = self.family;
        let stats = &mut self.stats;
        for chunk in &self.received {
            stats.rx_bytes += chunk.bytes.len() as u64;
            let at_us = chunk.at_us;
            self.framer.feed(&chunk.bytes, |event| match event {
                Event::Frame {
                    bytes,
                    crc_ok: true,
                    ..
                } => match Reply::parse(family, bytes) {
                    Ok(reply) => out.push(Arrived { at_us, reply }),
                    Err(_) => stats.bad_crc += 1,
                },
                Event::Frame { crc_ok: false, .. } => stats.bad_crc += 1,
                Event::Garbage { len, .. } => stats.garbage_bytes += len as u64,
            });
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
