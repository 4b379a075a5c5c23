//! Bringing a jig to the firmware the app expects: reading a firmware image (ELF) and the
//! identity it carries, converting it to UF2 and copying it to the RP2040's BOOTSEL drive, and
//! flashing it through a debug probe with probe-rs (cargo feature `probe`, on by default).
//!
//! Owns: the image format work (ELF segments, the identity tag, UF2 blocks), finding BOOTSEL
//! drives, and driving probe-rs with bounded probe enumeration. Does not: choose which image
//! to flash or show progress; the app passes the image (the bundled one, [`bundled`], or a file
//! the user picked) and renders the progress it is given.

mod bootsel;
mod elf;
mod image;
mod probe;
pub mod uf2;

use std::path::PathBuf;

pub use bootsel::{Drive, ENTER_BOOTSEL, copy_uf2, find_drives, find_drives_in};
pub use image::{FLASH_END, FLASH_START, FirmwareImage, Segment, TAG};
pub use probe::{ProbeInfo, Progress, flash_with_probe, list_probes};

/// The jig firmware this app was built with (`assets/firmware/hashbench-jig.elf`, refreshed by
/// `.ci/bundle-firmware`; CI checks it has the identity of the firmware built from source).
pub static BUNDLED_ELF: &[u8] = include_bytes!("../../../assets/firmware/hashbench-jig.elf");

/// The bundled firmware, read as any other image.
pub fn bundled() -> Result<FirmwareImage, FlashError> {
    FirmwareImage::from_elf(BUNDLED_ELF, "the bundled firmware")
}

/// Flash and static RAM (bytes) the firmware ELF `bytes` uses, from its program headers.
pub fn memory_use(bytes: &[u8]) -> Result<(u64, u64), FlashError> {
    elf::usage(bytes).map_err(|problem| FlashError::BadImage {
        what: "the firmware".into(),
        problem,
    })
}

/// Whether this build can flash through a debug probe.
pub const PROBE_SUPPORT: bool = cfg!(feature = "probe");

/// What went wrong, in words a technician can act on.
#[derive(Debug, thiserror::Error)]
pub enum FlashError {
    /// The file is not a usable jig firmware image.
    #[error("{what} is not a usable jig firmware: {problem}")]
    BadImage {
        /// The file.
        what: String,
        /// Why.
        problem: String,
    },
    /// No BOOTSEL drive is mounted.
    #[error("no RP2040 BOOTSEL drive (RPI-RP2) is mounted. {ENTER_BOOTSEL}")]
    NoBootselDrive,
    /// The folder given is not a BOOTSEL drive.
    #[error(
        "{0} is not an RP2040 BOOTSEL drive (it has no INFO_UF2.TXT naming RPI-RP2). {ENTER_BOOTSEL}"
    )]
    NotBootsel(PathBuf),
    /// Several BOOTSEL drives: say which.
    #[error(
        "several RP2040 BOOTSEL drives are mounted ({0}); unplug the others or name one with --uf2 MOUNT"
    )]
    SeveralDrives(String),
    /// The drive cannot be written.
    #[error(
        "{0} is read-only: the RP2040 cannot take the firmware. Unplug the jig and enter BOOTSEL again, or mount the drive read-write"
    )]
    ReadOnly(PathBuf),
    /// Writing the drive failed otherwise.
    #[error("copying the firmware to {path} failed: {source}")]
    Copy {
        /// The file written.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// No debug probe is connected.
    #[error(
        "no debug probe found. Connect a CMSIS-DAP (Raspberry Pi Debug Probe / Picoprobe), ST-Link or J-Link to the jig's SWD pins, or use the UF2 path (--uf2)"
    )]
    NoProbe,
    /// Several probes and none chosen.
    #[error("several debug probes are connected ({0}); choose one with --probe SERIAL")]
    SeveralProbes(String),
    /// The probe asked for is not there.
    #[error("no debug probe with serial {0} is connected (see `hashbench flash --list`)")]
    ProbeNotFound(String),
    /// Listing probes took too long.
    #[error(
        "listing debug probes did not finish within {0} s (no USB access here?); use the UF2 path (--uf2) instead"
    )]
    ProbeListTimeout(u64),
    /// The probe could not be opened.
    #[error(
        "the debug probe {probe} could not be opened: {detail}. Is another program (probe-rs, OpenOCD, an IDE) using it?"
    )]
    ProbeBusy {
        /// Which probe.
        probe: String,
        /// What the driver said.
        detail: String,
    },
    /// The probe does not reach an RP2040.
    #[error(
        "the debug probe does not reach an RP2040: {0}. Check the SWD wires (SWCLK, SWDIO, GND), that the jig is powered, and that the jig is an RP2040 board"
    )]
    WrongChip(String),
    /// Built without the `probe` feature.
    #[error(
        "this Hashbench was built without debug-probe support (cargo feature `probe`); use the UF2 path (--uf2)"
    )]
    NoProbeSupport,
    /// Flashing or verifying failed.
    #[error("flashing failed: {0}")]
    Flashing(String),
}
