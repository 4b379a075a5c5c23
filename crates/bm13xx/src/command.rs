//! Command frames, host to chip: set address, write register, read register, chain inactive.
//!
//! BM1397 and later: `55 AA | header | length | payload | CRC5`, header = `0x40 | ALL<<4 | CMD`
//! with CMD 0 set address, 1 write, 2 read, 3 chain inactive. BM1387: no preamble and its own
//! command codes (1 set address, 4 read, 5 chain inactive, 8 write). The length byte counts every
//! byte after the preamble, CRC included (facts §1.2).

use crate::crc::crc5;
use crate::family::Family;
use crate::registers::bm1387;

/// Which chips a command is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Dest {
    /// Every chip on the chain (ALL bit set).
    All,
    /// The chip at this address.
    Chip(u8),
}

impl Dest {
    fn is_all(self) -> bool {
        matches!(self, Self::All)
    }

    fn address_byte(self) -> u8 {
        match self {
            Self::All => 0,
            Self::Chip(address) => address,
        }
    }
}

/// A command to the chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Command {
    /// The first chip without an address takes this one (after chain inactive).
    SetAddress {
        /// The address to take.
        address: u8,
    },
    /// Chips stop answering broadcast discovery and accept set-address.
    ChainInactive,
    /// Read a register; chips answer with a register reply.
    ReadRegister {
        /// Target.
        dest: Dest,
        /// Register address.
        register: u8,
    },
    /// Write a register (value sent big-endian).
    WriteRegister {
        /// Target.
        dest: Dest,
        /// Register address.
        register: u8,
        /// New value.
        value: u32,
    },
}

/// Longest command frame: preamble, header, length, 6 payload bytes, CRC.
pub const MAX_COMMAND_LEN: usize = 11;

/// An encoded command frame.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct CommandFrame {
    buf: [u8; MAX_COMMAND_LEN],
    len: usize,
}

impl CommandFrame {
    /// The bytes to put on the wire.
    #[must_use]
    pub fn as_bytes(&self) -> &[u8] {
        self.buf.get(..self.len).unwrap_or(&self.buf)
    }
}

impl core::fmt::Debug for CommandFrame {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "CommandFrame({:02X?})", self.as_bytes())
    }
}

impl Command {
    /// The header byte for `family`.
    #[must_use]
    pub fn header(&self, family: Family) -> u8 {
        let (all, code) = match (self, family.has_preamble()) {
            (Self::SetAddress { .. }, true) => (false, 0),
            (Self::WriteRegister { dest, .. }, true) => (dest.is_all(), 1),
            (Self::ReadRegister { dest, .. }, true) => (dest.is_all(), 2),
            (Self::ChainInactive, true) => (true, 3),
            (Self::SetAddress { .. }, false) => (false, bm1387::CMD_SET_ADDRESS),
            (Self::WriteRegister { dest, .. }, false) => (dest.is_all(), bm1387::CMD_SET_CONFIG),
            (Self::ReadRegister { dest, .. }, false) => (dest.is_all(), bm1387::CMD_GET_STATUS),
            (Self::ChainInactive, false) => (true, bm1387::CMD_CHAIN_INACTIVE),
        };
        0x40 | if all { 0x10 } else { 0 } | code
    }

    /// Encode for `family`.
    #[must_use]
    pub fn encode(&self, family: Family) -> CommandFrame {
        let mut payload = [0u8; 6];
        let payload_len = match *self {
            Self::SetAddress { address } => {
                payload[0] = address;
                2
            }
            Self::ChainInactive => 2,
            Self::ReadRegister { dest, register } => {
                payload[0] = dest.address_byte();
                payload[1] = register;
                2
            }
            Self::WriteRegister {
                dest,
                register,
                value,
            } => {
                payload[0] = dest.address_byte();
                payload[1] = register;
                payload[2..6].copy_from_slice(&value.to_be_bytes());
                6
            }
        };
        let mut buf = [0u8; MAX_COMMAND_LEN];
        let start = if family.has_preamble() {
            buf[0] = 0x55;
            buf[1] = 0xAA;
            2
        } else {
            0
        };
        // Length = header + length + payload + CRC.
        let body_len = payload_len + 3;
        buf[start] = self.header(family);
        buf[start + 1] = body_len as u8;
        buf[start + 2..start + 2 + payload_len].copy_from_slice(&payload[..payload_len]);
        let crc_at = start + body_len - 1;
        buf[crc_at] = crc5(&buf[start..crc_at]);
        CommandFrame {
            buf,
            len: crc_at + 1,
        }
    }

    /// Decode a command body (everything after the preamble, CRC included). Returns `None` when
    /// the header names no command this crate models; the CRC is not checked here.
    #[must_use]
    pub fn decode(family: Family, body: &[u8]) -> Option<Self> {
        let (&header, rest) = body.split_first()?;
        let payload = rest.get(1..)?;
        let all = header & 0x10 != 0;
        let dest_of = |address: u8| if all { Dest::All } else { Dest::Chip(address) };
        let code = header & 0x0F;
        let kind = if family.has_preamble() {
            if header & 0xE0 != 0x40 {
                return None;
            }
            code
        } else {
            if header & 0xE0 != 0x40 {
                return None;
            }
            match code {
                bm1387::CMD_SET_ADDRESS => 0,
                bm1387::CMD_SET_CONFIG => 1,
                bm1387::CMD_GET_STATUS => 2,
                bm1387::CMD_CHAIN_INACTIVE => 3,
                _ => return None,
            }
        };
        match kind {
            0 => Some(Self::SetAddress {
                address: *payload.first()?,
            }),
            1 => {
                let value = payload.get(2..6)?;
                Some(Self::WriteRegister {
                    dest: dest_of(*payload.first()?),
                    register: *payload.get(1)?,
                    value: u32::from_be_bytes([value[0], value[1], value[2], value[3]]),
                })
            }
            2 => Some(Self::ReadRegister {
                dest: dest_of(*payload.first()?),
                register: *payload.get(1)?,
            }),
            3 => Some(Self::ChainInactive),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registers::{TICKET_MASK, VERSION_ROLLING};

    /// Encoding gives the captured bytes, and decoding those bytes gives the command back.
    fn check(family: Family, command: Command, wire: &[u8]) {
        assert_eq!(
            command.encode(family).as_bytes(),
            wire,
            "{command:?} for {family}"
        );
        let body = if family.has_preamble() {
            &wire[2..]
        } else {
            wire
        };
        assert_eq!(Command::decode(family, body), Some(command));
    }

    #[test]
    fn bm13xx_commands_match_captures() {
        let f = Family::Bm1366;
        check(
            f,
            Command::ReadRegister {
                dest: Dest::All,
                register: 0,
            },
            &[0x55, 0xAA, 0x52, 0x05, 0x00, 0x00, 0x0A],
        );
        check(
            f,
            Command::ChainInactive,
            &[0x55, 0xAA, 0x53, 0x05, 0x00, 0x00, 0x03],
        );
        check(
            f,
            Command::SetAddress { address: 0 },
            &[0x55, 0xAA, 0x40, 0x05, 0x00, 0x00, 0x1C],
        );
        check(
            f,
            Command::SetAddress { address: 2 },
            &[0x55, 0xAA, 0x40, 0x05, 0x02, 0x00, 0x01],
        );
        check(
            f,
            Command::SetAddress { address: 4 },
            &[0x55, 0xAA, 0x40, 0x05, 0x04, 0x00, 0x03],
        );
        check(
            f,
            Command::WriteRegister {
                dest: Dest::All,
                register: VERSION_ROLLING,
                value: 0x9000_FFFF,
            },
            &[
                0x55, 0xAA, 0x51, 0x09, 0x00, 0xA4, 0x90, 0x00, 0xFF, 0xFF, 0x1C,
            ],
        );
        check(
            Family::Bm1397,
            Command::WriteRegister {
                dest: Dest::All,
                register: TICKET_MASK,
                value: 0x0000_00FF,
            },
            &[
                0x55, 0xAA, 0x51, 0x09, 0x00, 0x14, 0x00, 0x00, 0x00, 0xFF, 0x08,
            ],
        );
    }

    #[test]
    fn bm1387_commands_have_no_preamble_and_own_codes() {
        let f = Family::Bm1387;
        // GEKKO: chain inactive is 0x55 on BM1387, and its baud frame carries CRC 0x19.
        assert_eq!(
            Command::ChainInactive.encode(f).as_bytes()[..4],
            [0x55, 0x05, 0x00, 0x00]
        );
        check(
            f,
            Command::WriteRegister {
                dest: Dest::All,
                register: 0x1C,
                value: 0x0020_0700,
            },
            &[0x58, 0x09, 0x00, 0x1C, 0x00, 0x20, 0x07, 0x00, 0x19],
        );
        assert_eq!(
            Command::ReadRegister {
                dest: Dest::All,
                register: 0
            }
            .header(f),
            0x54
        );
        assert_eq!(Command::SetAddress { address: 8 }.header(f), 0x41);
    }

    #[test]
    fn decode_rejects_non_commands() {
        assert_eq!(Command::decode(Family::Bm1370, &[0x21, 0x56]), None);
        assert_eq!(Command::decode(Family::Bm1370, &[]), None);
        assert_eq!(Command::decode(Family::Bm1370, &[0x51, 0x09, 0x00]), None);
    }
}
