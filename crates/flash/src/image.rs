//! A jig firmware image: its loadable segments (from the ELF) and the identity it carries.

use crate::FlashError;

/// The marker the firmware keeps in its flash image (`firmware-test-jig/rp2040/src/main.rs`):
/// `HASHBENCH-JIG-IMAGE firmware=<name and version> protocol=<N>` and a NUL.
pub const TAG: &[u8] = b"HASHBENCH-JIG-IMAGE ";

/// Where the RP2040's external flash is mapped (XIP), and how much of it a Pico has.
pub const FLASH_START: u32 = 0x1000_0000;
/// End of a 2 MiB flash.
pub const FLASH_END: u32 = 0x1020_0000;

/// Bytes to put in flash at an address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Segment {
    /// Load address.
    pub address: u32,
    /// Contents.
    pub data: Vec<u8>,
}

/// A firmware image read from an ELF file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FirmwareImage {
    /// Firmware name and version as the jig reports it, e.g. `hashbench-jig 0.1.0`.
    pub firmware: String,
    /// The jig protocol version it speaks.
    pub protocol: u16,
    /// What goes into flash, by address.
    pub segments: Vec<Segment>,
}

impl FirmwareImage {
    /// Read an ELF image: its flash segments and its identity tag. `what` names the file in
    /// errors.
    pub fn from_elf(bytes: &[u8], what: &str) -> Result<FirmwareImage, FlashError> {
        let bad = |problem: String| FlashError::BadImage {
            what: what.to_owned(),
            problem,
        };
        let segments = crate::elf::load_segments(bytes).map_err(bad)?;
        if segments.is_empty() {
            return Err(bad("it has no loadable segments".into()));
        }
        for s in &segments {
            let end = u64::from(s.address) + s.data.len() as u64;
            if s.address < FLASH_START || end > u64::from(FLASH_END) {
                return Err(bad(format!(
                    "a segment at 0x{:08X} ({} bytes) lies outside the RP2040's flash: not an RP2040 image",
                    s.address,
                    s.data.len()
                )));
            }
        }
        let (firmware, protocol) = segments
            .iter()
            .find_map(|s| read_tag(&s.data))
            .ok_or_else(|| {
                bad("it carries no Hashbench jig identity (HASHBENCH-JIG-IMAGE tag): not a Hashbench jig firmware".into())
            })?;
        Ok(FirmwareImage {
            firmware,
            protocol,
            segments,
        })
    }

    /// Total bytes that go into flash.
    #[must_use]
    pub fn size(&self) -> usize {
        self.segments.iter().map(|s| s.data.len()).sum()
    }
}

/// Find and parse the identity tag in `data`.
fn read_tag(data: &[u8]) -> Option<(String, u16)> {
    let start = data.windows(TAG.len()).position(|w| w == TAG)? + TAG.len();
    let rest = data.get(start..)?;
    let end = rest.iter().position(|&b| b == 0)?;
    let text = std::str::from_utf8(rest.get(..end)?).ok()?;
    let firmware = text.strip_prefix("firmware=")?;
    let (firmware, protocol) = firmware.rsplit_once(" protocol=")?;
    Some((firmware.to_owned(), protocol.parse().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tag_gives_firmware_and_protocol() {
        let data = b"\x00\x01HASHBENCH-JIG-IMAGE firmware=hashbench-jig 0.2.0 protocol=3\x00tail";
        assert_eq!(read_tag(data), Some(("hashbench-jig 0.2.0".into(), 3)));
        assert_eq!(
            read_tag(b"HASHBENCH-JIG-IMAGE firmware=x protocol=one\x00"),
            None
        );
        assert_eq!(
            read_tag(b"HASHBENCH-JIG-IMAGE firmware=x protocol=1"),
            None,
            "no NUL"
        );
    }
}
