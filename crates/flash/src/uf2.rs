//! UF2, the USB flashing format the RP2040's boot ROM reads from its BOOTSEL drive: 512-byte
//! blocks, each carrying 256 bytes for one flash address, with the RP2040 family id.
//! (Format: github.com/microsoft/uf2; RP2040 family id from the Raspberry Pi datasheet.)

use crate::image::FirmwareImage;

/// First magic number of a block.
pub const MAGIC_START0: u32 = 0x0A32_4655;
/// Second magic number.
pub const MAGIC_START1: u32 = 0x9E5D_5157;
/// Final magic number.
pub const MAGIC_END: u32 = 0x0AB1_6F30;
/// Flag: the file-size field holds a family id.
pub const FLAG_FAMILY_ID: u32 = 0x0000_2000;
/// The RP2040's family id.
pub const RP2040_FAMILY: u32 = 0xE48B_FF56;
/// Bytes of a block.
pub const BLOCK: usize = 512;
/// Payload bytes per block (one flash page).
pub const PAYLOAD: usize = 256;

/// The image as UF2: one block per 256-byte flash page that holds any data (page gaps inside a
/// page are zero-filled), in address order.
#[must_use]
pub fn from_image(image: &FirmwareImage) -> Vec<u8> {
    // Collect page-aligned pages.
    let mut pages: std::collections::BTreeMap<u32, [u8; PAYLOAD]> = Default::default();
    for seg in &image.segments {
        for (i, byte) in seg.data.iter().enumerate() {
            let addr = seg.address.wrapping_add(i as u32);
            let page = addr & !(PAYLOAD as u32 - 1);
            let slot = pages.entry(page).or_insert([0; PAYLOAD]);
            if let Some(b) = slot.get_mut((addr - page) as usize) {
                *b = *byte;
            }
        }
    }
    let total = pages.len() as u32;
    let mut out = Vec::with_capacity(pages.len() * BLOCK);
    for (n, (address, data)) in pages.iter().enumerate() {
        let words = [
            MAGIC_START0,
            MAGIC_START1,
            FLAG_FAMILY_ID,
            *address,
            PAYLOAD as u32,
            n as u32,
            total,
            RP2040_FAMILY,
        ];
        for w in words {
            out.extend_from_slice(&w.to_le_bytes());
        }
        out.extend_from_slice(data);
        out.resize(out.len() + (476 - PAYLOAD), 0);
        out.extend_from_slice(&MAGIC_END.to_le_bytes());
    }
    out
}
