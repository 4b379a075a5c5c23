//! Replies, chip to host: register replies and nonces (facts §1.6, §3).
//!
//! Layout (preamble families): `AA 55 | b2..b5 value or nonce | b6 | b7 | [b8 b9] | type+CRC5`.
//! The last byte holds the type in bits 7-5 (0 register, 4 nonce) and a CRC5 over every byte
//! after the preamble. BM1387 replies are 7 bytes without a preamble; their field positions are
//! the 9-byte layout without `AA 55` ([I]: the full BM1387 reply was never captured, facts §8).

use crate::crc::crc5_residue_ok;
use crate::family::{Family, FamilyParams, JobByteLayout, NonceChipRule};

/// Why a reply could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReplyError {
    /// The frame has the wrong length for the family.
    Length {
        /// Bytes given.
        got: usize,
    },
    /// The frame does not start with `AA 55`.
    Preamble,
    /// The CRC5 residue is not zero.
    Crc,
    /// Type bits 7-5 of the last byte are neither 0 (register) nor 4 (nonce).
    Type(u8),
}

impl core::fmt::Display for ReplyError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::Length { got } => write!(
                f,
                "reply has {got} bytes, which no reply of this family has"
            ),
            Self::Preamble => f.write_str("reply does not start with AA 55"),
            Self::Crc => f.write_str("reply CRC5 check failed"),
            Self::Type(t) => write!(
                f,
                "reply type bits {t:03b} are neither register (000) nor nonce (100)"
            ),
        }
    }
}

impl core::error::Error for ReplyError {}

/// A register value a chip sent back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RegisterReply {
    /// Register value (big-endian on the wire).
    pub value: u32,
    /// Address of the chip that answered.
    pub chip_address: u8,
    /// Register address echoed back.
    pub register: u8,
}

impl RegisterReply {
    /// The chip ID, when this is a reply to a read of register 0x00.
    #[must_use]
    pub fn chip_id(&self) -> u16 {
        (self.value >> 16) as u16
    }
}

/// A nonce a chip found, as raw fields. Use [`NonceReply::fields`] for the family's meaning.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NonceReply {
    /// The four nonce bytes as received (header byte order).
    pub wire: [u8; 4],
    /// Byte 6: midstate id (BM1397) or excess difficulty in half bits (BM136x, 11-byte form).
    pub byte6: u8,
    /// Byte 7: job id plus sub-core or midstate bits.
    pub job_byte: u8,
    /// Rolled version bits (BE u16, to be shifted left 13) in the 11-byte form.
    pub version: Option<u16>,
}

/// The meaning of a nonce reply's fields for one family.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NonceFields {
    /// The header nonce (little-endian reading of the wire bytes).
    pub nonce: u32,
    /// Core id.
    pub core: u8,
    /// Job id, in the form it was sent.
    pub job_id: u8,
    /// Sub-core (BM1362 and later).
    pub subcore: Option<u8>,
    /// Midstate index (midstate families).
    pub midstate: Option<u8>,
    /// Version bits to OR into the job's version (11-byte replies).
    pub version_bits: Option<u32>,
    /// Address of the chip that owns the nonce, where the family encodes it in the nonce.
    pub chip_address: Option<u8>,
}

/// A reply from the chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reply {
    /// A register value.
    Register(RegisterReply),
    /// A nonce.
    Nonce(NonceReply),
}

impl Reply {
    /// Parse a whole reply frame (preamble included) for `family`. 9- and 11-byte frames are both
    /// accepted for BM136x chips, which switch form when version rolling is written.
    pub fn parse(family: Family, frame: &[u8]) -> Result<Self, ReplyError> {
        Self::parse_inner(family, frame, true)
    }

    /// Like [`Reply::parse`] but without the CRC check: for showing what a corrupted frame said.
    pub fn parse_ignoring_crc(family: Family, frame: &[u8]) -> Result<Self, ReplyError> {
        Self::parse_inner(family, frame, false)
    }

    fn parse_inner(family: Family, frame: &[u8], check_crc: bool) -> Result<Self, ReplyError> {
        let len = frame.len();
        if len != family.reply_len(false) && len != family.reply_len(true) {
            return Err(ReplyError::Length { got: len });
        }
        let body = if family.has_preamble() {
            if frame.get(..2) != Some(&[0xAA, 0x55][..]) {
                return Err(ReplyError::Preamble);
            }
            frame.get(2..).ok_or(ReplyError::Length { got: len })?
        } else {
            frame
        };
        if check_crc && !crc5_residue_ok(body) {
            return Err(ReplyError::Crc);
        }
        let (&last, fields) = body.split_last().ok_or(ReplyError::Length { got: len })?;
        let [b0, b1, b2, b3, b4, b5, rest @ ..] = fields else {
            return Err(ReplyError::Length { got: len });
        };
        match last >> 5 {
            0 => Ok(Self::Register(RegisterReply {
                value: u32::from_be_bytes([*b0, *b1, *b2, *b3]),
                chip_address: *b4,
                register: *b5,
            })),
            4 => Ok(Self::Nonce(NonceReply {
                wire: [*b0, *b1, *b2, *b3],
                byte6: *b4,
                job_byte: *b5,
                version: match rest {
                    [hi, lo] => Some(u16::from_be_bytes([*hi, *lo])),
                    _ => None,
                },
            })),
            other => Err(ReplyError::Type(other)),
        }
    }
}

impl NonceReply {
    /// The header nonce.
    #[must_use]
    pub fn nonce(&self) -> u32 {
        u32::from_le_bytes(self.wire)
    }

    /// The field view: the wire bytes read most significant first (ESP-Miner's `ntohl`).
    #[must_use]
    pub fn nonce_h(&self) -> u32 {
        u32::from_be_bytes(self.wire)
    }

    /// The fields of this nonce for `family`, with the chain's address interval (used where the
    /// family puts the chip address in the nonce; 0 is read as 1).
    #[must_use]
    pub fn fields(&self, family: Family, params: &FamilyParams, interval: u16) -> NonceFields {
        let nonce_h = self.nonce_h();
        let (core_shift, core_mask) = family.core_field();
        let core = ((nonce_h >> core_shift) & core_mask) as u8;
        let b = self.job_byte;
        let (job_id, subcore, midstate) = match family.job_byte_layout() {
            JobByteLayout::Whole => (b, None, None),
            JobByteLayout::MidstateLow2 => (b & 0xFC, None, Some(b & 0x03)),
            JobByteLayout::SubcoreLow3 => (b & 0xF8, Some(b & 0x07), None),
            JobByteLayout::SubcoreLow4 => ((b & 0xF0) >> 1, Some(b & 0x0F), None),
        };
        let chip_address = match params.nonce_chip_rule {
            NonceChipRule::AddressField { shift } => {
                let field = ((nonce_h >> shift) & 0xFF) as u16;
                let interval = interval.max(1);
                u8::try_from(field - field % interval).ok()
            }
            NonceChipRule::OffsetRange => None,
        };
        NonceFields {
            nonce: self.nonce(),
            core,
            job_id,
            subcore,
            midstate,
            version_bits: self.version.map(|v| u32::from(v) << 13),
            chip_address,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn register(family: Family, frame: &[u8]) -> RegisterReply {
        match Reply::parse(family, frame) {
            Ok(Reply::Register(r)) => r,
            other => panic!("expected a register reply from {frame:02X?}, got {other:?}"),
        }
    }

    fn nonce_fields(family: Family, frame: &[u8]) -> NonceFields {
        match Reply::parse(family, frame) {
            Ok(Reply::Nonce(n)) => n.fields(family, &family.default_params(), 2),
            other => panic!("expected a nonce from {frame:02X?}, got {other:?}"),
        }
    }

    #[test]
    fn chip_id_replies() {
        let bm1397 = register(
            Family::Bm1397,
            &[0xAA, 0x55, 0x13, 0x97, 0x18, 0x00, 0x00, 0x00, 0x06],
        );
        assert_eq!(bm1397.chip_id(), 0x1397);
        assert_eq!((bm1397.chip_address, bm1397.register), (0, 0));
        let bm1370 = register(
            Family::Bm1370,
            &[
                0xAA, 0x55, 0x13, 0x70, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10,
            ],
        );
        assert_eq!(bm1370.chip_id(), 0x1370);
        // Before version rolling a BM1370 answers in the 9-byte form (MUJ-REF footnote resp9byte).
        let misc = register(
            Family::Bm1370,
            &[0xAA, 0x55, 0x00, 0x00, 0xC1, 0x00, 0x00, 0x18, 0x02],
        );
        assert_eq!((misc.value, misc.register), (0x0000_C100, 0x18));
    }

    #[test]
    fn bm1370_nonce_fields_match_the_capture() {
        let f = nonce_fields(
            Family::Bm1370,
            &[
                0xAA, 0x55, 0x4C, 0x03, 0x52, 0x75, 0x0C, 0xD2, 0x05, 0xA2, 0x9C,
            ],
        );
        assert_eq!(f.nonce, 0x7552_034C);
        assert_eq!(f.core, 38);
        assert_eq!(f.job_id, 0x68);
        assert_eq!(f.subcore, Some(2));
        assert_eq!(f.version_bits, Some(0x00B4_4000));
        assert_eq!(f.chip_address, None);
    }

    /// bm13xx-rs `bm13xx-protocol/src/response.rs` doctests: a BM1397 nonce (job 24, small core
    /// or midstate 3, byte 6 = 1) and two version-rolling nonces (8 and 16 small cores). Their job
    /// ids count in units of the job-id step (ESP-Miner's ids are those × 4 or × 8).
    #[test]
    fn nonce_replies_match_bm13xx_rs() {
        let f = nonce_fields(
            Family::Bm1397,
            &[0xAA, 0x55, 0x97, 0xC3, 0x28, 0xB6, 0x01, 0x63, 0x9C],
        );
        assert_eq!(f.nonce, 0xB628_C397);
        assert_eq!(f.job_id, 24 << 2);
        assert_eq!(f.midstate, Some(3));

        let f = nonce_fields(
            Family::Bm1362,
            &[
                0xAA, 0x55, 0x2F, 0xD5, 0x96, 0xCE, 0x02, 0x93, 0x94, 0xFB, 0x86,
            ],
        );
        assert_eq!(f.nonce, 0xCE96_D52F);
        assert_eq!(f.job_id, 18 << 3);
        assert_eq!(f.subcore, Some(3));
        assert_eq!(f.version_bits, Some(0x129F_6000));

        let f = nonce_fields(
            Family::Bm1370,
            &[
                0xAA, 0x55, 0x07, 0x35, 0xCD, 0xCF, 0x02, 0x5E, 0x00, 0x2E, 0x96,
            ],
        );
        assert_eq!(f.nonce, 0xCFCD_3507);
        assert_eq!(f.job_id, 5 << 3);
        assert_eq!(f.subcore, Some(14));
        assert_eq!(f.version_bits, Some(0x0005_C000));
    }

    #[test]
    fn parse_names_what_is_wrong() {
        let good = [
            0xAA, 0x55, 0x4C, 0x03, 0x52, 0x75, 0x0C, 0xD2, 0x05, 0xA2, 0x9C,
        ];
        let mut bad_crc = good;
        bad_crc[4] ^= 0x40;
        assert_eq!(Reply::parse(Family::Bm1370, &bad_crc), Err(ReplyError::Crc));
        assert_eq!(
            Reply::parse(Family::Bm1370, &good[..10]),
            Err(ReplyError::Length { got: 10 })
        );
        let mut bad_preamble = good;
        bad_preamble[0] = 0xAB;
        assert_eq!(
            Reply::parse(Family::Bm1370, &bad_preamble),
            Err(ReplyError::Preamble)
        );
        assert_eq!(
            Reply::parse(Family::Bm1397, &good),
            Err(ReplyError::Length { got: 11 })
        );
    }
}
