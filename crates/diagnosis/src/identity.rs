//! The board's identity from its EEPROM: the whole image read through the jig, decoded in the
//! layouts public sources document (`boards::eeprom`), and the profiles it can be.

use boards::{Catalog, Profile, eeprom};

use crate::jig::{Jig, JigError};
use crate::report::BoardIdentity;

/// Bytes one `read_eeprom` asks for (the jig answers at most 64).
const READ_CHUNK: u8 = 64;

/// Read the board's whole EEPROM (256 bytes, in four reads). The board must be powered.
pub fn read_image(jig: &mut dyn Jig) -> Result<Vec<u8>, JigError> {
    let mut image = Vec::with_capacity(eeprom::SIZE);
    for offset in (0..eeprom::SIZE).step_by(usize::from(READ_CHUNK)) {
        let bytes = jig.read_eeprom(offset as u8, READ_CHUNK)?;
        if bytes.len() != usize::from(READ_CHUNK) {
            return Err(JigError::Protocol(format!(
                "asked the EEPROM for {READ_CHUNK} bytes from {offset:#04X}, got {}",
                bytes.len()
            )));
        }
        image.extend_from_slice(&bytes);
    }
    Ok(image)
}

/// What the image says about the board: its serial and chip family where the layout holds
/// them, and the layout (or why none explains the bytes).
pub fn parse_eeprom(image: &[u8]) -> BoardIdentity {
    match eeprom::decode(image) {
        Ok(d) => BoardIdentity {
            serial: d.serial.clone(),
            board_code: None,
            family: d.chip_marking.as_deref().and_then(family_of_marking),
            layout: Some(d.format.name().to_owned()),
        },
        Err(e) => BoardIdentity {
            layout: Some(e.to_string()),
            ..BoardIdentity::default()
        },
    }
}

/// The chip family a marking names ("BM1398", "BM1398BB"): the first family whose number it
/// carries.
fn family_of_marking(marking: &str) -> Option<String> {
    bm13xx::family::ALL_FAMILIES
        .iter()
        .find(|f| marking.to_ascii_lowercase().contains(f.name()))
        .map(|f| f.name().to_owned())
}

/// The profiles the board can be: the one whose board code the EEPROM holds, else every
/// profile with an EEPROM and the chip family its marking names. Several means the EEPROM
/// cannot tell them apart (the technician picks).
pub fn candidates<'c>(identity: &BoardIdentity, catalog: &'c Catalog) -> Vec<&'c Profile> {
    if let Some(code) = identity.board_code.as_deref()
        && let Some(p) = catalog
            .iter()
            .find(|p| p.board_codes.value.iter().any(|c| c == code))
    {
        return vec![p];
    }
    let Some(family) = identity.family.as_deref() else {
        return Vec::new();
    };
    catalog
        .iter()
        .filter(|p| p.eeprom_address.is_some() && p.family.value.name() == family)
        .collect()
}

/// What a write of the board's EEPROM did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Written {
    /// Pages written (each waited out its write cycle).
    pub pages: usize,
    /// Bytes that changed.
    pub bytes: usize,
    /// The image read back after the write.
    pub after: Vec<u8>,
}

/// Write `image` over `before` (the board's current image, as just read): only the pages that
/// differ (each page write costs the part a cycle of its endurance), then the whole image read
/// back. The caller compares `after` with `image`. The board must be powered.
pub fn write_image(jig: &mut dyn Jig, before: &[u8], image: &[u8]) -> Result<Written, JigError> {
    if image.len() != eeprom::SIZE {
        return Err(JigError::Refused(format!(
            "an EEPROM image has 256 bytes, this one {}",
            image.len()
        )));
    }
    let runs = eeprom::diff(before, image);
    let page = eeprom::PAGE;
    let mut pages: Vec<usize> = runs
        .iter()
        .flat_map(|r| (r.at.start / page)..=((r.at.end - 1) / page))
        .collect();
    pages.dedup();
    for &p in &pages {
        let at = p * page;
        jig.write_eeprom(at as u8, image.get(at..at + page).unwrap_or_default())?;
    }
    Ok(Written {
        pages: pages.len(),
        bytes: runs.iter().map(|r| r.at.len()).sum(),
        after: read_image(jig)?,
    })
}
