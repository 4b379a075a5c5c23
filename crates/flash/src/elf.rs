//! Just enough ELF to flash a firmware: the 32-bit little-endian program headers, and the
//! bytes of every loadable segment at its physical (load) address.

use crate::image::Segment;

const PT_LOAD: u32 = 1;

fn u16_at(b: &[u8], at: usize) -> Result<u16, String> {
    b.get(at..at + 2)
        .and_then(|s| s.try_into().ok())
        .map(u16::from_le_bytes)
        .ok_or_else(|| format!("it ends inside its header (offset {at})"))
}

fn u32_at(b: &[u8], at: usize) -> Result<u32, String> {
    b.get(at..at + 4)
        .and_then(|s| s.try_into().ok())
        .map(u32::from_le_bytes)
        .ok_or_else(|| format!("it ends inside its header (offset {at})"))
}

/// The loadable segments of an ELF32 little-endian ARM file, by load address.
pub fn load_segments(b: &[u8]) -> Result<Vec<Segment>, String> {
    if b.get(..4) != Some(b"\x7fELF") {
        return Err("it is not an ELF file (a UF2 or BIN file? give the firmware's ELF)".into());
    }
    if b.get(4) != Some(&1) || b.get(5) != Some(&1) {
        return Err("it is not a 32-bit little-endian ELF (not built for the RP2040)".into());
    }
    const EM_ARM: u16 = 40;
    let machine = u16_at(b, 18)?;
    if machine != EM_ARM {
        return Err(format!(
            "it is built for machine {machine}, not ARM: not an RP2040 firmware"
        ));
    }
    let phoff = u32_at(b, 28)? as usize;
    let phentsize = usize::from(u16_at(b, 42)?);
    let phnum = usize::from(u16_at(b, 44)?);
    if phentsize < 32 {
        return Err(format!(
            "its program headers are {phentsize} bytes, too short"
        ));
    }
    let mut segments = Vec::new();
    for i in 0..phnum {
        let at = phoff + i * phentsize;
        if u32_at(b, at)? != PT_LOAD {
            continue;
        }
        let offset = u32_at(b, at + 4)? as usize;
        let paddr = u32_at(b, at + 12)?;
        let filesz = u32_at(b, at + 16)? as usize;
        if filesz == 0 {
            continue;
        }
        let data = b
            .get(offset..offset + filesz)
            .ok_or_else(|| format!("segment {i} lies beyond the end of the file"))?;
        segments.push(Segment {
            address: paddr,
            data: data.to_vec(),
        });
    }
    segments.sort_by_key(|s| s.address);
    Ok(segments)
}

/// Flash and static RAM an image uses: flash holds every loadable segment's file bytes (at its
/// load address); RAM holds every segment that runs from RAM (.data, .bss), by memory size.
pub fn usage(b: &[u8]) -> Result<(u64, u64), String> {
    let phoff = u32_at(b, 28)? as usize;
    let phentsize = usize::from(u16_at(b, 42)?);
    let phnum = usize::from(u16_at(b, 44)?);
    let (mut flash, mut ram) = (0u64, 0u64);
    for i in 0..phnum {
        let at = phoff + i * phentsize;
        if u32_at(b, at)? != PT_LOAD {
            continue;
        }
        let vaddr = u32_at(b, at + 8)?;
        let paddr = u32_at(b, at + 12)?;
        let filesz = u64::from(u32_at(b, at + 16)?);
        let memsz = u64::from(u32_at(b, at + 20)?);
        if (crate::FLASH_START..crate::FLASH_END).contains(&paddr) {
            flash += filesz;
        }
        if (0x2000_0000..0x2004_2000).contains(&vaddr) {
            ram += memsz;
        }
    }
    Ok((flash, ram))
}
