//! The hashboard EEPROM formats public sources document, decoded field by field with the source
//! of each field; checksums checked and fixed; two images compared.
//!
//! Two formats are documented (docs/sources.md):
//! - **Legacy** (256 bytes, plain): documented for the Antminer S9k by zellio22/antminer_oc_reprom
//!   (`readme.md`, "Voici les Adresses interessantes", and `bin_to_crc.py`): per-chip frequency
//!   bytes at 0x88-0xC3, the chain voltage at 0x87, the ideal hash rate at 0xF4-0xF5, PCB and
//!   BOM versions at 0xFC/0xFD and a CRC-16/Modbus of bytes 0x00-0xFD at 0xFE-0xFF.
//! - **X19** (XXTEA-encrypted): documented for the S19 Pro by phletchv/hashsource_antminer_x19
//!   (`hashsource_x19/src/eeprom_detect.c`, `parse_eeprom`, read from bmminer): 0x11, the
//!   payload length, the payload encrypted with XXTEA under the key bmminer holds, 0x5A in the
//!   last byte. The payload carries the format, serial, chip die, marking and bin, FT, PCB and
//!   BOM versions. The source's comment and code disagree on where the voltage and frequency
//!   sit (payload 53-60), so those bytes are not decoded here. The format has no checksum.
//!
//! Anything else is an unknown image: backed up and compared raw, never rewritten in place.

use std::fmt;

/// Size of the AT24C02-class EEPROM the formats fill, bytes.
pub const SIZE: usize = 256;
/// Its page: the most bytes one write stores (Microchip AT24C02C datasheet: 8 bytes).
pub const PAGE: usize = 8;

/// Legacy format: where the per-chip frequency bytes are (zellio22 readme: "88 - C3 Freq_Asic").
const LEGACY_FREQ: std::ops::RangeInclusive<usize> = 0x88..=0xC3;
/// Legacy format: chain voltage byte ("87 U_volt_asic").
const LEGACY_VOLTAGE: usize = 0x87;
/// Legacy format: ideal hash rate, MH/s, little-endian ("F4 - F5 Optimal Hash rate": F4 low byte).
const LEGACY_HASHRATE: usize = 0xF4;
/// Legacy format: PCB and BOM versions ("FC pcb version", "FD bom version").
const LEGACY_PCB: usize = 0xFC;
const LEGACY_BOM: usize = 0xFD;
/// Legacy format: CRC-16/Modbus of bytes 0x00-0xFD, low byte first ("FE - FF CRC-16 Modbus";
/// `bin_to_crc.py` prints the low byte first).
const LEGACY_CRC: usize = 0xFE;
/// Legacy format: clock codes (5 MHz a step) and voltage code (V = 6 + code / 50) a board can
/// hold, for refusing to "fix" the CRC of bytes the layout does not explain.
const LEGACY_MIN_CODE: u8 = 20;
const LEGACY_MAX_CODE: u8 = 200;
const LEGACY_MAX_VOLTAGE_CODE: u8 = 250;
const SOURCE_LEGACY: &str = "zellio22/antminer_oc_reprom readme";

/// X19 format: header byte, trailer byte and payload lengths (eeprom_detect.c `EEPROM_HEADER`,
/// `EEPROM_TRAILER`; "0x4A = 74 bytes or 0x42 = 66 bytes").
const X19_HEADER: u8 = 0x11;
const X19_TRAILER: u8 = 0x5A;
/// The XXTEA key bmminer holds (eeprom_detect.c `XXTEA_KEY`: "uileynimggnagnau", little-endian
/// words).
const X19_KEY: [u32; 4] = [0x656C_6975, 0x6D69_6E79, 0x616E_6767, 0x7561_6E67];
/// Format bytes the source accepts ("Format byte: 0x03 (valid range: 1-4)").
const X19_FORMATS: std::ops::RangeInclusive<u8> = 1..=4;
const SOURCE_X19: &str = "hashsource_antminer_x19 eeprom_detect.c";

/// Which format an image is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// 256 plain bytes with a CRC-16/Modbus at the end (S9k).
    Legacy,
    /// 0x11, length, XXTEA payload, 0x5A (S19 Pro).
    X19,
}

impl Format {
    /// Short name, as the CLI and the window show it.
    pub fn name(self) -> &'static str {
        match self {
            Self::Legacy => "legacy (S9k layout)",
            Self::X19 => "X19 (XXTEA)",
        }
    }
}

/// What an image's checksum says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Checksum {
    /// Stored and computed agree.
    Valid(u16),
    /// They do not: the image was changed without fixing it, or the EEPROM lost bits.
    Invalid {
        /// The value in the image.
        stored: u16,
        /// The value its bytes give.
        computed: u16,
    },
    /// The format has none.
    None,
}

/// One decoded field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Field {
    /// What it is.
    pub name: &'static str,
    /// Where it is: image bytes (legacy) or decrypted payload bytes (X19).
    pub at: std::ops::Range<usize>,
    /// Its value, in words.
    pub value: String,
    /// The source that documents it.
    pub source: &'static str,
}

/// A decoded image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decoded {
    /// Its format.
    pub format: Format,
    /// Its checksum.
    pub checksum: Checksum,
    /// Every field the source documents, in order.
    pub fields: Vec<Field>,
    /// The board's serial number, where the format holds one.
    pub serial: Option<String>,
    /// The chip marking, where the format holds one (names the chip family).
    pub chip_marking: Option<String>,
    /// The chips the image has a frequency for (legacy).
    pub chip_mhz: Vec<u32>,
}

/// An image no documented format explains.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EepromError {
    /// Fewer bytes than the EEPROM holds.
    #[error("the image has {0} bytes, an AT24C02-class EEPROM holds 256")]
    Size(usize),
    /// Every byte 0xFF (erased) or 0x00.
    #[error("the EEPROM is blank (every byte {0:#04X})")]
    Blank(u8),
    /// An X19 header whose length cannot hold a payload.
    #[error("X19 header 0x11 with payload length {0} (the source knows 0x42 and 0x4A)")]
    X19Length(u8),
    /// An X19 payload that decrypts to a format byte the source does not know.
    #[error(
        "byte 0 is 0x11 (X19) but the payload decrypts to format {0} (the source knows 1-4): another key or layout"
    )]
    X19Format(u8),
    /// Neither format.
    #[error(
        "not a documented layout: byte 0 is {first:#04X} (X19 starts 0x11) and the CRC-16/Modbus at 0xFE is {stored:#06X}, the bytes give {computed:#06X}"
    )]
    Unknown {
        /// Byte 0.
        first: u8,
        /// The legacy CRC stored at 0xFE-0xFF.
        stored: u16,
        /// The legacy CRC of bytes 0x00-0xFD.
        computed: u16,
    },
}

/// CRC-16/Modbus (poly 0xA001 reflected, init 0xFFFF), as `bin_to_crc.py` computes it.
pub fn crc16_modbus(data: &[u8]) -> u16 {
    let mut crc: u16 = 0xFFFF;
    for &byte in data {
        crc ^= u16::from(byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xA001
            } else {
                crc >> 1
            };
        }
    }
    crc
}

/// XXTEA's mixing function (Needham and Wheeler, "Correction to XTEA", 1998).
fn xxtea_mx(sum: u32, y: u32, z: u32, p: usize, e: usize, key: &[u32; 4]) -> u32 {
    (((z >> 5) ^ (y << 2)).wrapping_add((y >> 3) ^ (z << 4)))
        ^ ((sum ^ y).wrapping_add(key[(p & 3) ^ e] ^ z))
}

const XXTEA_DELTA: u32 = 0x9E37_79B9;

/// XXTEA-encrypt `v` in place (fewer than two words are left alone).
pub fn xxtea_encrypt(v: &mut [u32], key: &[u32; 4]) {
    let n = v.len();
    if n < 2 {
        return;
    }
    let rounds = 6 + 52 / n;
    let mut sum: u32 = 0;
    let mut z = v[n - 1];
    for _ in 0..rounds {
        sum = sum.wrapping_add(XXTEA_DELTA);
        let e = ((sum >> 2) & 3) as usize;
        for p in 0..n {
            let y = v[(p + 1) % n];
            v[p] = v[p].wrapping_add(xxtea_mx(sum, y, z, p, e, key));
            z = v[p];
        }
    }
}

/// XXTEA-decrypt `v` in place (fewer than two words are left alone).
pub fn xxtea_decrypt(v: &mut [u32], key: &[u32; 4]) {
    let n = v.len();
    if n < 2 {
        return;
    }
    let rounds = 6 + 52 / n;
    let mut sum = (rounds as u32).wrapping_mul(XXTEA_DELTA);
    let mut y = v[0];
    for _ in 0..rounds {
        let e = ((sum >> 2) & 3) as usize;
        for p in (0..n).rev() {
            let z = v[(p + n - 1) % n];
            v[p] = v[p].wrapping_sub(xxtea_mx(sum, y, z, p, e, key));
            y = v[p];
        }
        sum = sum.wrapping_sub(XXTEA_DELTA);
    }
}

/// The X19 payload's encrypted length for payload length `len` (eeprom_detect.c:
/// `(data_len + 5) & ~7`).
fn x19_encrypted_len(len: u8) -> usize {
    (usize::from(len) + 5) & !7
}

/// Decode an EEPROM image (the whole 256 bytes).
pub fn decode(image: &[u8]) -> Result<Decoded, EepromError> {
    if image.len() < SIZE {
        return Err(EepromError::Size(image.len()));
    }
    let image = &image[..SIZE];
    if let Some(&b) = image.first()
        && (b == 0xFF || b == 0x00)
        && image.iter().all(|&x| x == b)
    {
        return Err(EepromError::Blank(b));
    }
    let (stored, computed) = legacy_crc(image);
    if image[0] == X19_HEADER && stored != computed {
        return decode_x19(image);
    }
    if stored == computed {
        return Ok(decode_legacy(image, Checksum::Valid(stored)));
    }
    Err(EepromError::Unknown {
        first: image[0],
        stored,
        computed,
    })
}

/// Decode `image` in the legacy layout whatever its CRC says (a legacy board whose EEPROM lost
/// bits is still read; the checksum says so).
pub fn decode_as_legacy(image: &[u8]) -> Result<Decoded, EepromError> {
    if image.len() < SIZE {
        return Err(EepromError::Size(image.len()));
    }
    let (stored, computed) = legacy_crc(image);
    let checksum = if stored == computed {
        Checksum::Valid(stored)
    } else {
        Checksum::Invalid { stored, computed }
    };
    Ok(decode_legacy(&image[..SIZE], checksum))
}

fn legacy_crc(image: &[u8]) -> (u16, u16) {
    let stored = u16::from_le_bytes([image[LEGACY_CRC], image[LEGACY_CRC + 1]]);
    (stored, crc16_modbus(&image[..LEGACY_CRC]))
}

fn decode_legacy(image: &[u8], checksum: Checksum) -> Decoded {
    let field = |name, at: std::ops::Range<usize>, value: String| Field {
        name,
        at,
        value,
        source: SOURCE_LEGACY,
    };
    // "+5 sur la valeur decimale => +0.1 V": 200 (0xC8) is 10.0 V, so V = 6 + raw / 50.
    let raw_v = image[LEGACY_VOLTAGE];
    let volts = 6.0 + f64::from(raw_v) / 50.0;
    // "4D = 385 MHz", "3C = 300 MHz": 5 MHz a step.
    let chip_mhz: Vec<u32> = image[LEGACY_FREQ]
        .iter()
        .map(|&b| u32::from(b) * 5)
        .collect();
    let hashrate = u16::from_le_bytes([image[LEGACY_HASHRATE], image[LEGACY_HASHRATE + 1]]);
    let fields = vec![
        field(
            "chain voltage",
            LEGACY_VOLTAGE..LEGACY_VOLTAGE + 1,
            format!("{volts:.2} V (raw {raw_v:#04X})"),
        ),
        field(
            "chip frequencies",
            *LEGACY_FREQ.start()..LEGACY_FREQ.end() + 1,
            frequency_summary(&chip_mhz),
        ),
        field(
            "ideal hash rate",
            LEGACY_HASHRATE..LEGACY_HASHRATE + 2,
            format!("{hashrate} MH/s"),
        ),
        field(
            "PCB version",
            LEGACY_PCB..LEGACY_PCB + 1,
            format!("{:#04X}", image[LEGACY_PCB]),
        ),
        field(
            "BOM version",
            LEGACY_BOM..LEGACY_BOM + 1,
            format!("{:#04X}", image[LEGACY_BOM]),
        ),
        field(
            "CRC-16/Modbus",
            LEGACY_CRC..LEGACY_CRC + 2,
            match checksum {
                Checksum::Valid(c) => format!("{c:#06X}, valid"),
                Checksum::Invalid { stored, computed } => {
                    format!("{stored:#06X}, INVALID (the bytes give {computed:#06X})")
                }
                Checksum::None => String::new(),
            },
        ),
    ];
    Decoded {
        format: Format::Legacy,
        checksum,
        fields,
        serial: None,
        chip_marking: None,
        chip_mhz,
    }
}

/// "60 chips: 385 MHz" or "60 chips: 300-385 MHz (58 at 385)".
fn frequency_summary(mhz: &[u32]) -> String {
    let (Some(lo), Some(hi)) = (mhz.iter().min(), mhz.iter().max()) else {
        return "none".to_owned();
    };
    if lo == hi {
        return format!("{} chips: {hi} MHz", mhz.len());
    }
    let at_hi = mhz.iter().filter(|&&m| m == *hi).count();
    format!("{} chips: {lo}-{hi} MHz ({at_hi} at {hi})", mhz.len())
}

fn decode_x19(image: &[u8]) -> Result<Decoded, EepromError> {
    let len = image[1];
    let enc = x19_encrypted_len(len);
    if !(8..=SIZE - 3).contains(&enc) {
        return Err(EepromError::X19Length(len));
    }
    let payload = x19_payload(image, enc);
    let format = payload[0];
    if !X19_FORMATS.contains(&format) {
        return Err(EepromError::X19Format(format));
    }
    let text = |at: std::ops::Range<usize>| -> String {
        payload[at]
            .iter()
            .take_while(|&&c| c != 0 && c != 0xFF)
            .map(|&c| {
                if c.is_ascii_graphic() || c == b' ' {
                    c as char
                } else {
                    '?'
                }
            })
            .collect::<String>()
            .trim_end()
            .to_owned()
    };
    let be = |at: usize, n: usize| -> u32 {
        payload[at..at + n]
            .iter()
            .fold(0u32, |acc, &b| (acc << 8) | u32::from(b))
    };
    let serial = text(1..18);
    let marking = text(20..30);
    let field = |name, at: std::ops::Range<usize>, value: String| Field {
        name,
        at,
        value,
        source: SOURCE_X19,
    };
    let mut fields = vec![
        field("format", 0..1, format.to_string()),
        field("serial", 1..18, serial.clone()),
        field("chip die", 18..20, text(18..20)),
        field("chip marking", 20..30, marking.clone()),
        field("chip bin", 33..34, payload[33].to_string()),
        field("FT version", 34..38, format!("{:#010X}", be(34, 4))),
        field("PCB version", 45..47, format!("{:#06X}", be(45, 2))),
        field("BOM version", 47..49, format!("{:#06X}", be(47, 2))),
    ];
    if image[SIZE - 1] != X19_TRAILER {
        fields.push(field(
            "trailer",
            SIZE - 1..SIZE,
            format!("{:#04X}, not 0x5A", image[SIZE - 1]),
        ));
    }
    Ok(Decoded {
        format: Format::X19,
        checksum: Checksum::None,
        fields,
        serial: (!serial.is_empty()).then_some(serial),
        chip_marking: (!marking.is_empty()).then_some(marking),
        chip_mhz: Vec::new(),
    })
}

/// The decrypted payload of an X19 image (`enc` bytes from byte 2).
fn x19_payload(image: &[u8], enc: usize) -> Vec<u8> {
    let mut words: Vec<u32> = image[2..2 + enc]
        .as_chunks::<4>()
        .0
        .iter()
        .map(|c| u32::from_le_bytes(*c))
        .collect();
    xxtea_decrypt(&mut words, &X19_KEY);
    words.iter().flat_map(|w| w.to_le_bytes()).collect()
}

/// Make `image` ready to write: a legacy image gets its CRC-16/Modbus recomputed (returns the
/// old and new values when it changed); an X19 image has no checksum and is written as it is.
/// An image no documented format explains is refused: its checksum, if any, is unknown.
pub fn fix_checksum(image: &mut [u8]) -> Result<Option<(u16, u16)>, EepromError> {
    if image.len() < SIZE {
        return Err(EepromError::Size(image.len()));
    }
    if image[0] == X19_HEADER && decode_x19(image).is_ok() {
        return Ok(None);
    }
    let (stored, computed) = legacy_crc(image);
    if stored == computed {
        return Ok(None);
    }
    // Only an image the legacy layout explains apart from its CRC: every chip's clock one a
    // BM13xx runs (the source's table spans 300-385 MHz; 100-1000 MHz accepted) and a chain
    // voltage of a stacked board (the table spans 9.3-10.2 V; 6-11 V accepted). Random bytes
    // pass that by chance about once in a billion.
    let plausible_clock = |b: &u8| (LEGACY_MIN_CODE..=LEGACY_MAX_CODE).contains(b);
    if !image[LEGACY_FREQ].iter().all(plausible_clock)
        || image[LEGACY_VOLTAGE] > LEGACY_MAX_VOLTAGE_CODE
    {
        return Err(EepromError::Unknown {
            first: image[0],
            stored,
            computed,
        });
    }
    image[LEGACY_CRC..LEGACY_CRC + 2].copy_from_slice(&computed.to_le_bytes());
    Ok(Some((stored, computed)))
}

/// One run of bytes that differ between two images.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Difference {
    /// Where, in the raw images.
    pub at: std::ops::Range<usize>,
    /// The bytes of the first image and of the second there.
    pub a: Vec<u8>,
    /// See `a`.
    pub b: Vec<u8>,
}

/// The byte runs in which two images differ (raw: an X19 payload differs as a whole when one
/// field does, so compare decoded fields too, see `field_changes`).
pub fn diff(a: &[u8], b: &[u8]) -> Vec<Difference> {
    let n = a.len().max(b.len());
    let mut out: Vec<Difference> = Vec::new();
    for i in 0..n {
        let (x, y) = (a.get(i), b.get(i));
        if x == y {
            continue;
        }
        match out.last_mut() {
            Some(d) if d.at.end == i => {
                d.at.end = i + 1;
                d.a.extend(x);
                d.b.extend(y);
            }
            _ => out.push(Difference {
                at: i..i + 1,
                a: x.into_iter().copied().collect(),
                b: y.into_iter().copied().collect(),
            }),
        }
    }
    out
}

/// The decoded fields whose values differ: (name, value in a, value in b).
pub fn field_changes(a: &Decoded, b: &Decoded) -> Vec<(&'static str, String, String)> {
    let mut out = Vec::new();
    for fa in &a.fields {
        let vb = b
            .fields
            .iter()
            .find(|fb| fb.name == fa.name)
            .map_or_else(|| "absent".to_owned(), |fb| fb.value.clone());
        if vb != fa.value {
            out.push((fa.name, fa.value.clone(), vb));
        }
    }
    out
}

impl fmt::Display for Decoded {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "Format: {}", self.format.name())?;
        for field in &self.fields {
            writeln!(
                f,
                "  {:<18} {:<28} bytes {:#04X}-{:#04X}  ({})",
                field.name,
                field.value,
                field.at.start,
                field.at.end.saturating_sub(1),
                field.source
            )?;
        }
        Ok(())
    }
}

/// Build an X19 image (0x11, `len`, the encrypted payload, 0xFF filler, 0x5A) from the payload
/// bytes the length encrypts (72 for 0x4A, 64 for 0x42: the source's `(len + 5) & ~7`).
pub fn x19_image(len: u8, payload: &[u8]) -> Result<[u8; SIZE], EepromError> {
    let enc = x19_encrypted_len(len);
    if !(8..=SIZE - 3).contains(&enc) || payload.len() != enc {
        return Err(EepromError::X19Length(len));
    }
    let mut words: Vec<u32> = payload
        .as_chunks::<4>()
        .0
        .iter()
        .map(|c| u32::from_le_bytes(*c))
        .collect();
    xxtea_encrypt(&mut words, &X19_KEY);
    let mut image = [0xFF; SIZE];
    image[0] = X19_HEADER;
    image[1] = len;
    for (slot, byte) in image[2..2 + enc]
        .iter_mut()
        .zip(words.iter().flat_map(|w| w.to_le_bytes()))
    {
        *slot = byte;
    }
    image[SIZE - 1] = X19_TRAILER;
    Ok(image)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// zellio22/antminer_oc_reprom readme.md, "Mon Eeprom Origine": an S9k board's dump.
    const S9K_DUMP: &str = "
        7e ff ff ff ff ff ff ff ff ff ff ff ff ff ff ff
        ff ff ff ff ff ff ff ff ff ff ff ff ff ff ff ff
        ff ff ff ff ff ff ff ff ff ff ff ff ff ff ff ff
        ff ff ff ff ff ff ff ff ff ff ff ff ff ff ff ff
        ff ff ff ff ff ff ff ff ff ff ff ff ff ff ff ff
        ff ff ff ff ff ff ff ff ff ff ff ff ff ff ff ff
        ff ff ff ff ff ff ff ff ff ff ff ff ff ff ff ff
        ff ff ff ff ff ff ff ff ff 01 02 1f fb 28 fb ff
        ff ff ff ff ff ff ff c3 4d 4d 4d 4d 4d 4d 4d 4d
        4d 4d 4d 4d 4d 4d 4d 4d 4d 4d 4d 4d 4d 4d 4d 4d
        4d 4d 4d 4d 4d 4d 4d 4d 4d 4d 4d 4d 4d 4d 4d 4d
        4d 4d 4d 4d 4d 4d 4d 4d 4d 4d 4d 4d 4d 4d 4d 4d
        4d 4d 4d 4d 00 ff ff ff ff ff ff ff ff ff ff ff
        ff ff ff ff ff ff ff ff ff ff ff ff ff ff ff ff
        ff ff ff ff ff ff ff ff ff ff ff ff ff ff ff ff
        ff ff ff ff 7f 12 00 00 00 ff ff ff 39 10 6b db";

    fn hex(text: &str) -> Vec<u8> {
        text.split_whitespace()
            .map(|b| u8::from_str_radix(b, 16).unwrap())
            .collect()
    }

    fn value<'a>(d: &'a Decoded, name: &str) -> &'a str {
        &d.fields.iter().find(|f| f.name == name).unwrap().value
    }

    #[test]
    fn the_s9k_dump_decodes_with_a_valid_crc_and_the_sources_values() {
        let d = decode(&hex(S9K_DUMP)).unwrap();
        assert_eq!(d.format, Format::Legacy);
        assert_eq!(d.checksum, Checksum::Valid(0xDB6B));
        // 0xC3 = 195: 9.9 V in the source's table; 0x4D: 385 MHz; 0x127F: 4735 MH/s.
        assert_eq!(value(&d, "chain voltage"), "9.90 V (raw 0xC3)");
        assert_eq!(d.chip_mhz, vec![385; 60]);
        assert_eq!(value(&d, "ideal hash rate"), "4735 MH/s");
        assert_eq!(value(&d, "PCB version"), "0x39");
        assert_eq!(value(&d, "BOM version"), "0x10");
    }

    #[test]
    fn a_changed_frequency_breaks_the_crc_and_fixing_it_makes_the_image_valid_again() {
        let mut image = hex(S9K_DUMP);
        // The source's own use: every chip down to 300 MHz (0x3C).
        image[LEGACY_FREQ].fill(0x3C);
        assert!(matches!(decode(&image), Err(EepromError::Unknown { .. })));
        let legacy = decode_as_legacy(&image).unwrap();
        assert!(matches!(
            legacy.checksum,
            Checksum::Invalid { stored: 0xDB6B, .. }
        ));
        let (old, new) = fix_checksum(&mut image).unwrap().unwrap();
        assert_eq!(old, 0xDB6B);
        let d = decode(&image).unwrap();
        assert_eq!(d.checksum, Checksum::Valid(new));
        assert_eq!(d.chip_mhz, vec![300; 60]);
        assert_eq!(fix_checksum(&mut image).unwrap(), None, "already valid");
    }

    #[test]
    fn xxtea_matches_the_published_test_vectors() {
        // TeaCrypt (Logan J. Drews) vectors: zero key.
        for (plain, cipher) in [
            ([0u32, 0], [0x0537_04AB, 0x575D_8C80]),
            ([0x0102_0304, 0x0506_0708], [0xE691_1910, 0x0C35_DCDA]),
        ] {
            let mut v = plain;
            xxtea_encrypt(&mut v, &[0; 4]);
            assert_eq!(v, cipher);
            xxtea_decrypt(&mut v, &[0; 4]);
            assert_eq!(v, plain);
        }
    }

    /// An S19 Pro payload in the source's offsets, with the serial and bin bmminer's log prints
    /// for a real board (hashsource bmminer_s19pro_68_7C_2E_2F_A4_D9_debug.log: sn
    /// NGSBYI3BBJEAJ8194, eeprom_bin 4); die, marking and versions are made up (no decrypted
    /// dump is published).
    fn s19pro_payload() -> Vec<u8> {
        let mut p = vec![0u8; 72];
        p[0] = 3;
        p[1..18].copy_from_slice(b"NGSBYI3BBJEAJ8194");
        p[18..20].copy_from_slice(b"BB");
        p[20..26].copy_from_slice(b"BM1398");
        p[33] = 4;
        p[34..38].copy_from_slice(&0x0104_0B1C_u32.to_be_bytes());
        p[45..47].copy_from_slice(&0x011E_u16.to_be_bytes());
        p[47..49].copy_from_slice(&0x0100_u16.to_be_bytes());
        p
    }

    #[test]
    fn an_x19_image_decrypts_to_its_serial_marking_and_versions() {
        let image = x19_image(0x4A, &s19pro_payload()).unwrap();
        assert_eq!(&image[..2], &[0x11, 0x4A]);
        assert_eq!(image[255], 0x5A);
        assert_ne!(
            &image[3..20],
            b"NGSBYI3BBJEAJ8194",
            "the serial is encrypted"
        );
        let d = decode(&image).unwrap();
        assert_eq!(d.format, Format::X19);
        assert_eq!(d.checksum, Checksum::None);
        assert_eq!(d.serial.as_deref(), Some("NGSBYI3BBJEAJ8194"));
        assert_eq!(d.chip_marking.as_deref(), Some("BM1398"));
        assert_eq!(value(&d, "chip bin"), "4");
        assert_eq!(value(&d, "PCB version"), "0x011E");
    }

    #[test]
    fn images_no_format_explains_are_named_not_guessed() {
        assert_eq!(decode(&[0xFF; 256]), Err(EepromError::Blank(0xFF)));
        assert_eq!(decode(&[0x11; 40]), Err(EepromError::Size(40)));
        let mut wrong_key = x19_image(0x4A, &s19pro_payload()).unwrap();
        wrong_key[5] ^= 0x40;
        assert!(matches!(decode(&wrong_key), Err(EepromError::X19Format(_))));
        let mut junk = [0x42u8; 256];
        junk[0] = 0x7E;
        let e = decode(&junk).unwrap_err();
        assert!(e.to_string().contains("not a documented layout"), "{e}");
        let mut no_freq = junk;
        no_freq[0x90] = 0xFF;
        assert!(fix_checksum(&mut no_freq).is_err(), "never rewritten blind");
        // Random bytes: a clock code outside 100-1000 MHz somewhere among the 60.
        let mut noise = [0u8; 256];
        let mut x: u32 = 1;
        for b in &mut noise {
            x = x.wrapping_mul(1_103_515_245).wrapping_add(12_345);
            *b = (x >> 16) as u8;
        }
        assert!(fix_checksum(&mut noise).is_err());
    }

    #[test]
    fn diff_names_the_runs_of_bytes_that_differ() {
        let a = hex(S9K_DUMP);
        let mut b = a.clone();
        b[0x88] = 0x3C;
        b[0x89] = 0x3C;
        b[0xFE] = 0;
        let d = diff(&a, &b);
        assert_eq!(d.len(), 2);
        assert_eq!(d[0].at, 0x88..0x8A);
        assert_eq!(d[0].a, vec![0x4D, 0x4D]);
        assert_eq!(d[1].at, 0xFE..0xFF);
        let changes = field_changes(
            &decode_as_legacy(&a).unwrap(),
            &decode_as_legacy(&b).unwrap(),
        );
        let names: Vec<&str> = changes.iter().map(|c| c.0).collect();
        assert_eq!(names, ["chip frequencies", "CRC-16/Modbus"]);
    }
}
