//! Framing: postcard payload + CRC-16 (CCITT-FALSE, little-endian), COBS-encoded, with a 0x00
//! delimiter before and after (the leading one ends any garbage before the frame, so a frame is
//! never glued to it).
//! The decoder takes bytes in any chunks, never allocates and never panics: garbage, truncation
//! and bit errors become counted, typed errors.

use serde::{Deserialize, Serialize};

use crate::cobs;

/// Longest payload (postcard message + CRC) a frame may carry.
pub const MAX_PAYLOAD: usize = 400;
/// Longest encoded frame, delimiter included.
pub const MAX_FRAME: usize = MAX_PAYLOAD + MAX_PAYLOAD / 254 + 3;

/// What went wrong with a frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FrameError {
    /// The message does not fit a frame.
    TooLong,
    /// A frame ran past the longest frame before its delimiter.
    Overflow,
    /// The bytes between delimiters are not COBS.
    Cobs,
    /// Fewer bytes than a CRC.
    TooShort,
    /// The CRC does not match.
    Crc {
        /// CRC computed over the payload.
        computed: u16,
        /// CRC carried by the frame.
        carried: u16,
    },
    /// The payload is not a message this protocol knows.
    Message,
}

impl core::fmt::Display for FrameError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::TooLong => write!(f, "message longer than a frame ({MAX_PAYLOAD} bytes)"),
            Self::Overflow => write!(
                f,
                "frame longer than {MAX_FRAME} bytes before its delimiter"
            ),
            Self::Cobs => f.write_str("frame is not valid COBS"),
            Self::TooShort => f.write_str("frame shorter than its CRC"),
            Self::Crc { computed, carried } => write!(
                f,
                "frame CRC mismatch: computed 0x{computed:04X}, carried 0x{carried:04X}"
            ),
            Self::Message => f.write_str("frame holds no message this protocol knows"),
        }
    }
}

impl core::error::Error for FrameError {}

/// CRC-16/CCITT-FALSE.
#[must_use]
pub fn crc16(data: &[u8]) -> u16 {
    let mut crc: u16 = 0xFFFF;
    for &byte in data {
        crc ^= u16::from(byte) << 8;
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

/// Encode `message` as a frame into `out`; returns the frame length (both delimiters included).
pub fn encode<T: Serialize>(message: &T, out: &mut [u8]) -> Result<usize, FrameError> {
    let mut payload = [0u8; MAX_PAYLOAD];
    let used = postcard::to_slice(message, &mut payload[..MAX_PAYLOAD - 2])
        .map_err(|_| FrameError::TooLong)?
        .len();
    let crc = crc16(&payload[..used]).to_le_bytes();
    payload[used..used + 2].copy_from_slice(&crc);
    *out.first_mut().ok_or(FrameError::TooLong)? = 0;
    let body = out.get_mut(1..).ok_or(FrameError::TooLong)?;
    let n = cobs::encode(&payload[..used + 2], body).ok_or(FrameError::TooLong)?;
    *out.get_mut(n + 1).ok_or(FrameError::TooLong)? = 0;
    Ok(n + 2)
}

/// Decode one payload (COBS-decoded, CRC stripped) into a message.
pub fn decode<'a, T: Deserialize<'a>>(payload: &'a [u8]) -> Result<T, FrameError> {
    postcard::from_bytes(payload).map_err(|_| FrameError::Message)
}

/// Counters of a decoder.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DecoderStats {
    /// Frames with a good CRC.
    pub frames: u32,
    /// Frames dropped (bad COBS, CRC, overflow, too short).
    pub dropped: u32,
    /// Bytes thrown away with them.
    pub dropped_bytes: u32,
}

/// A streaming frame decoder with a fixed buffer.
#[derive(Debug, Clone)]
pub struct Decoder {
    buf: [u8; MAX_FRAME],
    len: usize,
    overflowed: bool,
    stats: DecoderStats,
}

impl Default for Decoder {
    fn default() -> Self {
        Self::new()
    }
}

impl Decoder {
    /// An empty decoder.
    #[must_use]
    pub fn new() -> Self {
        Self {
            buf: [0; MAX_FRAME],
            len: 0,
            overflowed: false,
            stats: DecoderStats::default(),
        }
    }

    /// Counters so far.
    #[must_use]
    pub fn stats(&self) -> DecoderStats {
        self.stats
    }

    /// Feed bytes; `on_frame` gets each frame's payload (CRC checked and stripped) or the error
    /// that dropped it.
    pub fn feed(&mut self, data: &[u8], mut on_frame: impl FnMut(Result<&[u8], FrameError>)) {
        for &byte in data {
            if byte != 0 {
                if let Some(slot) = self.buf.get_mut(self.len) {
                    *slot = byte;
                    self.len += 1;
                } else {
                    self.overflowed = true;
                    self.stats.dropped_bytes += 1;
                }
                continue;
            }
            // A delimiter: the frame is complete.
            let len = core::mem::take(&mut self.len);
            if core::mem::take(&mut self.overflowed) {
                self.drop_frame(len, FrameError::Overflow, &mut on_frame);
                continue;
            }
            if len == 0 {
                continue;
            }
            let frame = self.buf.get_mut(..len).unwrap_or_default();
            let Some(n) = cobs::decode_in_place(frame) else {
                self.drop_frame(len, FrameError::Cobs, &mut on_frame);
                continue;
            };
            if n < 2 {
                self.drop_frame(len, FrameError::TooShort, &mut on_frame);
                continue;
            }
            let (payload, crc) = self.buf.split_at(n - 2);
            let carried = u16::from_le_bytes([crc[0], crc[1]]);
            let computed = crc16(payload);
            if carried != computed {
                self.drop_frame(len, FrameError::Crc { computed, carried }, &mut on_frame);
                continue;
            }
            self.stats.frames += 1;
            on_frame(Ok(self.buf.get(..n - 2).unwrap_or_default()));
        }
    }

    fn drop_frame(
        &mut self,
        len: usize,
        error: FrameError,
        on_frame: &mut impl FnMut(Result<&[u8], FrameError>),
    ) {
        self.stats.dropped += 1;
        self.stats.dropped_bytes += len as u32;
        on_frame(Err(error));
    }
}
