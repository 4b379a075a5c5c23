//! Reading an I2C device through a chip's I2C master: the temperature sensors of the S9 (two
//! NCT218 behind chips 62 and 25) and the S19 Pro (four NCT218 behind ASICs 25, 57, 58, 90).
//!
//! The chip's I2C command register holds `[flags, device << 1 | write, register, data]`:
//! - BMM (bitmaintech/bmminer-mix `driver-btm-c5.c`, `read_temp`): the host writes
//!   `01, 0x98 | write, reg, data` to GENERAL_I2C_COMMAND (0x20) of the host chip, waits 1 ms,
//!   and reads the register back (`check_reg_temp`, `wait_iic_ok`); the read is good when bits
//!   31-30 are clear, bits 15-8 echo the device register and bits 7-0 are neither 0xFF nor 0x7F.
//! - BM13XX-RS (GPTechinno/bm13xx-rs `bm13xx-asic/src/register/i2c.rs`, d00c086): on BM1397 and
//!   later the register is I2CControl at 0x1C, fields busy (31), do command (24), device address
//!   (23-17), read/write (16), register (15-8), value (7-0); the BM1397 resets it to 0x01000000.
//!
//! The S9's chip only drives its I2C master once MISC_CONTROL says so: bmminer writes the host
//! chip's MISC_CONTROL (0x1C) as `40 20 <divider | 0x40> 60` before the first read
//! (`set_baud_with_addr(baud, 0, chip, chain, iic = 1, open_core = 0, TEMP_MIDDLE)`). No open
//! source writes anything to enable the master on BM1397 and later ([I]: Bitmain's S17/S19
//! firmware is only available decompiled), so [`enable`] gives no write for them.
//!
//! The NCT218 (an ADT7461-class sensor, 8-bit address 0x98, 7-bit 0x4C) keeps the local
//! (board) temperature in register 0x00 and the remote diode in 0x01, whole °C, and its
//! identification in 0xFE, which bmminer expects to be 0x1A (`do_calibration_sensor_offset`).
//!
//! The jig runs the transfer (its firmware checks the reply as bmminer does); this module only
//! builds the frames.

use crate::command::{Command, CommandFrame, Dest};
use crate::family::Family;
use crate::registers::{self as reg, bm1387};

/// NCT218 register: local temperature, whole °C (bmminer reads it as the board temperature).
pub const NCT218_LOCAL: u8 = 0x00;
/// NCT218 register: remote diode temperature, whole °C.
pub const NCT218_REMOTE: u8 = 0x01;
/// NCT218 register: identification (0x1A for an NCT218, bmminer).
pub const NCT218_ID: u8 = 0xFE;

/// "Do the command" flag of the I2C command register (bit 24).
const DO_COMMAND: u32 = 1 << 24;

/// The chip register that carries I2C commands: GENERAL_I2C_COMMAND 0x20 on the BM1387 (BMM),
/// I2CControl 0x1C on BM1397 and later (BM13XX-RS).
#[must_use]
pub const fn command_register(family: Family) -> u8 {
    match family {
        Family::Bm1387 => bm1387::GENERAL_I2C_COMMAND,
        _ => reg::I2C_CONTROL,
    }
}

/// The command-register value that reads `register` of the I2C device at 7-bit `device`
/// (BMM `read_temp` with `write = 0`: `01, device << 1, register, 00`).
#[must_use]
pub const fn read_command(device: u8, register: u8) -> u32 {
    DO_COMMAND | ((device as u32 & 0x7F) << 17) | (register as u32) << 8
}

/// The frames that read `register` of `device` behind the chip at `chip`: the write that starts
/// the transfer, and the read of the command register that brings the byte back.
#[must_use]
pub fn read_frames(
    family: Family,
    chip: u8,
    device: u8,
    register: u8,
) -> (CommandFrame, CommandFrame) {
    let command_register = command_register(family);
    let start = Command::WriteRegister {
        dest: Dest::Chip(chip),
        register: command_register,
        value: read_command(device, register),
    }
    .encode(family);
    let poll = Command::ReadRegister {
        dest: Dest::Chip(chip),
        register: command_register,
    }
    .encode(family);
    (start, poll)
}

/// The write that lets the chip at `chip` drive its I2C master, for the chain at baud divider
/// `divider` (the BM1387 keeps the divider in the same register). `None` where no source writes
/// one (BM1397 and later).
#[must_use]
pub fn enable(family: Family, chip: u8, divider: u32) -> Option<CommandFrame> {
    match family {
        Family::Bm1387 => Some(
            Command::WriteRegister {
                dest: Dest::Chip(chip),
                register: bm1387::MISC_CONTROL,
                value: 0x4020_4060 | (divider & 0x1F) << 8,
            }
            .encode(family),
        ),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The frame bytes as bmminer-mix `read_temp` lays them out for a BM1387 (buf[0..8]:
    /// `VIL_COMMAND_TYPE | SET_CONFIG`, 0x09, chip, GENERAL_I2C_COMMAND, 0x01, device | write,
    /// reg, data, then CRC5 over 64 bits).
    #[test]
    fn s9_read_is_bmminers_frame() {
        let (start, poll) = read_frames(Family::Bm1387, 0xF4, 0x4C, NCT218_LOCAL);
        let bytes = start.as_bytes();
        assert_eq!(bytes.len(), 9);
        assert_eq!(
            &bytes[..8],
            &[0x48, 0x09, 0xF4, 0x20, 0x01, 0x98, 0x00, 0x00]
        );
        assert_eq!(bytes[8], crate::crc::crc5(&bytes[..8]));
        // The read-back: GET_STATUS of register 0x20 at chip 0xF4.
        assert_eq!(&poll.as_bytes()[..4], &[0x44, 0x05, 0xF4, 0x20]);
    }

    /// bmminer's `set_baud_with_addr(..., iic = 1, open_core = 0, TEMP_MIDDLE)` at divider 26:
    /// `40 20 5A 60`.
    #[test]
    fn s9_enable_is_bmminers_misc_control() {
        let Some(frame) = enable(Family::Bm1387, 0x60, 26) else {
            panic!("the BM1387 needs its I2C master enabled")
        };
        assert_eq!(
            &frame.as_bytes()[..8],
            &[0x48, 0x09, 0x60, 0x1C, 0x40, 0x20, 0x5A, 0x60]
        );
        assert!(enable(Family::Bm1398, 0x60, 26).is_none());
    }

    /// BM1397 and later: I2CControl 0x1C with the bm13xx-rs field layout; bm13xx-rs's own
    /// doctest frame for reading I2CControl at chip 64 is `55 AA 42 05 40 1C 0B`.
    #[test]
    fn s19_pro_read_uses_i2c_control() {
        let (start, poll) = read_frames(Family::Bm1398, 0x40, 0x4C, NCT218_REMOTE);
        assert_eq!(
            &start.as_bytes()[..10],
            &[0x55, 0xAA, 0x41, 0x09, 0x40, 0x1C, 0x01, 0x98, 0x01, 0x00]
        );
        assert_eq!(poll.as_bytes(), &[0x55, 0xAA, 0x42, 0x05, 0x40, 0x1C, 0x0B]);
    }
}
