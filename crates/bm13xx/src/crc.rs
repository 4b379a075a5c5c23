//! The two checksums of the BM13xx wire protocol.
//!
//! Facts file §1.3 and §1.4: CRC5 (poly 0x05, init 0x1F, MSB first, no reflection, no XOR-out)
//! guards command frames and replies; CRC-16/CCITT-FALSE guards job frames.

/// CRC5 over `data`, as the chips compute it (low 5 bits of the result are the CRC).
#[must_use]
pub fn crc5(data: &[u8]) -> u8 {
    let mut crc: u8 = 0x1F;
    for &byte in data {
        for bit in (0..8).rev() {
            let input = (byte >> bit) & 1;
            let feedback = ((crc >> 4) & 1) ^ input;
            crc = (((crc << 1) | feedback) ^ (feedback << 2)) & 0x1F;
        }
    }
    crc
}

/// True when `frame` (everything after the preamble, including the trailing type+CRC byte of a
/// reply or the CRC byte of a command) leaves a CRC5 residue of zero.
#[must_use]
pub fn crc5_residue_ok(frame: &[u8]) -> bool {
    crc5(frame) == 0
}

/// CRC-16/CCITT-FALSE (poly 0x1021, init 0xFFFF, no reflection, no XOR-out).
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The CRC5 byte of a command is the CRC over every byte after the preamble.
    fn check_command_crc(frame: &[u8]) {
        let (body, crc) = frame[2..].split_at(frame.len() - 3);
        assert_eq!(crc5(body), crc[0], "frame {frame:02X?}");
    }

    #[test]
    fn crc5_matches_captured_commands() {
        // Facts §1.3 worked examples (ESP-Miner, mujina, skot sniffs).
        check_command_crc(&[0x55, 0xAA, 0x52, 0x05, 0x00, 0x00, 0x0A]);
        check_command_crc(&[0x55, 0xAA, 0x53, 0x05, 0x00, 0x00, 0x03]);
        check_command_crc(&[0x55, 0xAA, 0x40, 0x05, 0x00, 0x00, 0x1C]);
        check_command_crc(&[0x55, 0xAA, 0x40, 0x05, 0x02, 0x00, 0x01]);
        check_command_crc(&[0x55, 0xAA, 0x40, 0x05, 0x04, 0x00, 0x03]);
        check_command_crc(&[
            0x55, 0xAA, 0x51, 0x09, 0x00, 0xA4, 0x90, 0x00, 0xFF, 0xFF, 0x1C,
        ]);
        check_command_crc(&[
            0x55, 0xAA, 0x51, 0x09, 0x00, 0x14, 0x00, 0x00, 0x00, 0x00, 0x1C,
        ]);
        check_command_crc(&[
            0x55, 0xAA, 0x51, 0x09, 0x00, 0x18, 0x00, 0x00, 0x7A, 0x31, 0x15,
        ]);
        check_command_crc(&[
            0x55, 0xAA, 0x51, 0x09, 0x00, 0x14, 0x00, 0x00, 0x00, 0xFF, 0x08,
        ]);
    }

    #[test]
    fn crc5_matches_bm1387_baud_frame() {
        // GEKKO's pre-filled BM1387 baud frame carries CRC byte 0x19 (no preamble on BM1387).
        assert_eq!(
            crc5(&[0x58, 0x09, 0x00, 0x1C, 0x00, 0x20, 0x07, 0x00]),
            0x19
        );
    }

    #[test]
    fn crc5_residue_of_captured_replies_is_zero() {
        assert!(crc5_residue_ok(&[0x13, 0x97, 0x18, 0x00, 0x00, 0x00, 0x06]));
        assert!(crc5_residue_ok(&[
            0x13, 0x70, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10
        ]));
        assert!(crc5_residue_ok(&[
            0x4C, 0x03, 0x52, 0x75, 0x0C, 0xD2, 0x05, 0xA2, 0x9C
        ]));
        assert!(!crc5_residue_ok(&[
            0x4C, 0x03, 0x52, 0x75, 0x0C, 0xD2, 0x05, 0xA2, 0x9D
        ]));
    }

    #[test]
    fn crc16_check_value() {
        assert_eq!(crc16(b"123456789"), 0x29B1);
    }
}
