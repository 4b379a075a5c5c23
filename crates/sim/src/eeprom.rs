//! The simulated board's EEPROM: an AT24C02 (256 bytes, 8-byte pages that wrap, a 5 ms write
//! cycle during which the part does not acknowledge) holding an image in a documented real
//! layout. Written here with the simulator's own CRC and XXTEA, never the app's decoder.
//!
//! - S9 (BM1387): the plain layout zellio22/antminer_oc_reprom documents for the S9k (per-chip
//!   frequency codes 0x88-0xC3 at 5 MHz a step, chain voltage code at 0x87, ideal hash rate at
//!   0xF4, PCB/BOM at 0xFC/0xFD, CRC-16/Modbus low byte first at 0xFE). [I] the S9 is taken to
//!   share the S9k's layout; the layout has no serial number.
//! - Every later Antminer board: the XXTEA layout phletchv/hashsource_antminer_x19 documents
//!   for the S19 Pro (`eeprom_detect.c`: 0x11, length 0x4A, payload encrypted under bmminer's
//!   key, 0x5A last; payload: format 3, serial at 1-17, die at 18, marking at 20, bin at 33,
//!   FT at 34, PCB at 45, BOM at 47). [I] assumed for the S17+, S19 family and S21 too.
//! - Boards whose profile has no EEPROM (Bitaxe): nothing answers at 0x50.

use boards::Profile;
use embedded_hal::i2c::Operation;

use crate::board::{Board, Ns};
use crate::jig::Nack;

/// AT24C02 page size and write cycle time (Microchip AT24C02C datasheet: 8-byte page, t_WR 5 ms).
const PAGE: usize = 8;
const WRITE_CYCLE_NS: Ns = 5_000_000;

/// bmminer's EEPROM key, "uileynimggnagnau" as little-endian words (hashsource eeprom_detect.c).
const KEY: [u32; 4] = [0x656C_6975, 0x6D69_6E79, 0x616E_6767, 0x7561_6E67];

/// The image the board leaves the factory with, or `None` when it has no EEPROM.
pub(crate) fn image(profile: &Profile, seed: u64) -> Option<[u8; 256]> {
    profile.eeprom_address.as_ref()?;
    let serial = format!(
        "SIM{:05}{:08X}",
        profile.id.len() * 1000 + profile.chips.value,
        seed as u32
    );
    Some(if profile.family.value.name() == "bm1387" {
        legacy(profile)
    } else {
        x19(profile, &serial)
    })
}

fn legacy(profile: &Profile) -> [u8; 256] {
    let mut e = [0xFF; 256];
    // The profile's clock in 5 MHz steps, for every chip the layout has room for (60).
    let code = (profile.frequency_mhz.value / 5.0)
        .round()
        .clamp(1.0, 254.0) as u8;
    e[0x88..=0xC3].fill(code);
    e[0xC4] = 0;
    // Chain voltage code: V = 6 + code / 50 (the source's table), the profile's stack voltage.
    let volts = f64::from(profile.voltage.nominal_mv.value) * profile.domains.value as f64 / 1000.0;
    e[0x87] = ((volts - 6.0) * 50.0).round().clamp(0.0, 255.0) as u8;
    e[0xF4..0xF6].copy_from_slice(&4735u16.to_le_bytes());
    e[0xFC] = 0x39;
    e[0xFD] = 0x10;
    let crc = crc16_modbus(&e[..0xFE]);
    e[0xFE..].copy_from_slice(&crc.to_le_bytes());
    e
}

fn x19(profile: &Profile, serial: &str) -> [u8; 256] {
    let mut payload = [0u8; 72];
    payload[0] = 3;
    for (slot, b) in payload[1..18].iter_mut().zip(serial.bytes()) {
        *slot = b;
    }
    payload[18..20].copy_from_slice(b"BB");
    let marking = profile.family.value.name().to_ascii_uppercase();
    for (slot, b) in payload[20..30].iter_mut().zip(marking.bytes()) {
        *slot = b;
    }
    payload[33] = 4;
    payload[45..47].copy_from_slice(&0x011E_u16.to_be_bytes());
    payload[47..49].copy_from_slice(&0x0100_u16.to_be_bytes());
    let mut words: Vec<u32> = payload
        .as_chunks::<4>()
        .0
        .iter()
        .map(|c| u32::from_le_bytes(*c))
        .collect();
    encrypt(&mut words);
    let mut e = [0xFF; 256];
    e[0] = 0x11;
    e[1] = 0x4A;
    for (slot, b) in e[2..2 + 72]
        .iter_mut()
        .zip(words.iter().flat_map(|w| w.to_le_bytes()))
    {
        *slot = b;
    }
    e[255] = 0x5A;
    e
}

fn crc16_modbus(data: &[u8]) -> u16 {
    data.iter().fold(0xFFFF_u16, |mut crc, &b| {
        crc ^= u16::from(b);
        for _ in 0..8 {
            let lsb = crc & 1;
            crc >>= 1;
            if lsb == 1 {
                crc ^= 0xA001;
            }
        }
        crc
    })
}

/// XXTEA encryption (Needham and Wheeler 1998), as bmminer stores the payload.
fn encrypt(v: &mut [u32]) {
    let n = v.len();
    let mut sum = 0u32;
    let mut z = v[n - 1];
    for _ in 0..6 + 52 / n {
        sum = sum.wrapping_add(0x9E37_79B9);
        let e = ((sum >> 2) & 3) as usize;
        for p in 0..n {
            let y = v[(p + 1) % n];
            let mx = (((z >> 5) ^ (y << 2)).wrapping_add((y >> 3) ^ (z << 4)))
                ^ ((sum ^ y).wrapping_add(KEY[(p & 3) ^ e] ^ z));
            v[p] = v[p].wrapping_add(mx);
            z = v[p];
        }
    }
}

impl Board {
    /// One I2C transaction with the EEPROM at `now`: a write sets the word address and, with
    /// data, stores it in the address's page (wrapping inside the page, as the part does); a
    /// read returns bytes from the word address on. Unpowered, absent, or in its write cycle
    /// the part does not acknowledge.
    pub(crate) fn eeprom_transaction(
        &mut self,
        operations: &mut [Operation<'_>],
        now: Ns,
    ) -> Result<(), Nack> {
        if !self.powered || now < self.eeprom_busy_until {
            return Err(Nack);
        }
        let Some(memory) = self.eeprom.as_mut() else {
            return Err(Nack);
        };
        let mut address = 0usize;
        let mut wrote = false;
        for op in operations.iter_mut() {
            match op {
                Operation::Write(bytes) => {
                    let Some((&first, data)) = bytes.split_first() else {
                        continue;
                    };
                    address = usize::from(first);
                    let page = address - address % PAGE;
                    for (i, &b) in data.iter().enumerate() {
                        memory[page + (address % PAGE + i) % PAGE] = b;
                        wrote = true;
                    }
                }
                Operation::Read(buf) => {
                    for slot in buf.iter_mut() {
                        *slot = memory[address % memory.len()];
                        address += 1;
                    }
                }
            }
        }
        if wrote {
            self.eeprom_busy_until = now + WRITE_CYCLE_NS;
        }
        Ok(())
    }

    /// The EEPROM's bytes (tests: what a write left there).
    pub fn eeprom(&self) -> Option<&[u8; 256]> {
        self.eeprom.as_ref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_legacy_crc_is_the_sources_for_its_dump() {
        // zellio22's S9k dump: bytes 0x00-0xFD give 0xDB6B (stored 6B DB at 0xFE).
        let mut dump = [0xFF_u8; 256];
        dump[0] = 0x7E;
        dump[0x79..0x7F].copy_from_slice(&[0x01, 0x02, 0x1F, 0xFB, 0x28, 0xFB]);
        dump[0x87] = 0xC3;
        dump[0x88..=0xC3].fill(0x4D);
        dump[0xC4] = 0;
        dump[0xF4..0xF9].copy_from_slice(&[0x7F, 0x12, 0x00, 0x00, 0x00]);
        dump[0xFC] = 0x39;
        dump[0xFD] = 0x10;
        assert_eq!(crc16_modbus(&dump[..0xFE]), 0xDB6B);
    }
}
