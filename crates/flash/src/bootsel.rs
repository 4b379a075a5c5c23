//! The RP2040 boot ROM's USB drive (BOOTSEL mode): finding it and copying a UF2 file to it.

use std::path::{Path, PathBuf};

use crate::FlashError;

/// How to put the jig into BOOTSEL mode.
pub const ENTER_BOOTSEL: &str = "To enter BOOTSEL mode: unplug the jig's USB cable, hold the BOOTSEL button on its Pico, plug the cable back in, then release the button; a drive named RPI-RP2 appears (mount it if your system does not).";

/// A mounted BOOTSEL drive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Drive {
    /// Where it is mounted.
    pub mount: PathBuf,
    /// The `Board-ID` line of its INFO_UF2.TXT.
    pub board_id: String,
}

/// Read `mount/INFO_UF2.TXT`; a BOOTSEL drive of an RP2040 names `RPI-RP2`.
fn probe_drive(mount: &Path) -> Option<Drive> {
    let info = std::fs::read_to_string(mount.join("INFO_UF2.TXT")).ok()?;
    let board_id = info
        .lines()
        .find_map(|l| l.strip_prefix("Board-ID:"))
        .map(str::trim)
        .unwrap_or_default()
        .to_owned();
    (board_id.contains("RPI-RP2") || info.contains("RPI-RP2")).then(|| Drive {
        mount: mount.to_path_buf(),
        board_id,
    })
}

/// The BOOTSEL drives among `candidates` (mount points).
#[must_use]
pub fn find_drives_in(candidates: &[PathBuf]) -> Vec<Drive> {
    candidates.iter().filter_map(|m| probe_drive(m)).collect()
}

/// Where this system mounts removable drives.
fn candidates() -> Vec<PathBuf> {
    let mut found = Vec::new();
    if cfg!(target_os = "windows") {
        for letter in b'D'..=b'Z' {
            found.push(PathBuf::from(format!("{}:\\", letter as char)));
        }
    } else if cfg!(target_os = "macos") {
        if let Ok(entries) = std::fs::read_dir("/Volumes") {
            found.extend(entries.flatten().map(|e| e.path()));
        }
    } else if let Ok(mounts) = std::fs::read_to_string("/proc/self/mounts") {
        for line in mounts.lines() {
            if let Some(point) = line.split_whitespace().nth(1) {
                // /proc/mounts escapes spaces and tabs as octal.
                let point = point.replace("\\040", " ").replace("\\011", "\t");
                found.push(PathBuf::from(point));
            }
        }
    }
    found
}

/// The BOOTSEL drives mounted on this system.
#[must_use]
pub fn find_drives() -> Vec<Drive> {
    find_drives_in(&candidates())
}

/// Copy `uf2` to the BOOTSEL drive at `mount` (or the only one mounted); the RP2040 writes it to
/// flash and restarts into it. Returns the file written.
pub fn copy_uf2(uf2: &[u8], mount: Option<&Path>) -> Result<PathBuf, FlashError> {
    let drive = match mount {
        Some(m) => probe_drive(m).ok_or_else(|| FlashError::NotBootsel(m.to_path_buf()))?,
        None => {
            let mut drives = find_drives();
            match drives.len() {
                0 => return Err(FlashError::NoBootselDrive),
                1 => drives.remove(0),
                _ => {
                    let names: Vec<String> = drives
                        .iter()
                        .map(|d| d.mount.display().to_string())
                        .collect();
                    return Err(FlashError::SeveralDrives(names.join(", ")));
                }
            }
        }
    };
    let path = drive.mount.join("HASHBENCH.UF2");
    std::fs::write(&path, uf2).map_err(|e| write_error(&drive.mount, path.clone(), e))?;
    Ok(path)
}

/// A failed write to a drive, as the technician should read it.
pub(crate) fn write_error(mount: &Path, path: PathBuf, e: std::io::Error) -> FlashError {
    match e.kind() {
        std::io::ErrorKind::ReadOnlyFilesystem | std::io::ErrorKind::PermissionDenied => {
            FlashError::ReadOnly(mount.to_path_buf())
        }
        _ => FlashError::Copy { path, source: e },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_read_only_drive_is_named_with_what_to_do() {
        let e = std::io::Error::from(std::io::ErrorKind::ReadOnlyFilesystem);
        let err = write_error(
            Path::new("/media/RPI-RP2"),
            PathBuf::from("/media/RPI-RP2/HASHBENCH.UF2"),
            e,
        );
        assert!(matches!(err, FlashError::ReadOnly(_)));
        assert!(
            err.to_string().starts_with("/media/RPI-RP2 is read-only"),
            "{err}"
        );
        let e = std::io::Error::from(std::io::ErrorKind::StorageFull);
        let err = write_error(Path::new("/m"), PathBuf::from("/m/HASHBENCH.UF2"), e);
        assert!(
            err.to_string()
                .starts_with("copying the firmware to /m/HASHBENCH.UF2 failed"),
            "{err}"
        );
    }
}
