//! `hashbench flash`: the jig firmware, through a debug probe or as UF2 to the BOOTSEL drive.

use std::io::Write;
use std::path::Path;
use std::time::Duration;

use anyhow::Context;
use flash::FirmwareImage;

use crate::cli::FlashArgs;

/// The image to flash: `--file`, or the firmware built into Hashbench.
pub fn image(file: Option<&Path>) -> anyhow::Result<(FirmwareImage, String)> {
    match file {
        Some(path) => {
            let bytes =
                std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
            let what = path.display().to_string();
            Ok((FirmwareImage::from_elf(&bytes, &what)?, what))
        }
        None => Ok((flash::bundled()?, "built into Hashbench".to_owned())),
    }
}

/// The `flash` command.
pub fn run(args: &FlashArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    let (image, source) = image(args.file.as_deref())?;
    // Said once something happens, so a refused command prints only its reason (on stderr).
    let header = format!(
        "Firmware: {} (protocol {}), {} bytes, {source}",
        image.firmware,
        image.protocol,
        image.size()
    );
    let timeout = Duration::from_secs(args.probe_timeout.max(1));
    if args.list {
        writeln!(out, "{header}")?;
        return list(timeout, out);
    }
    if let Some(mount) = &args.uf2 {
        return uf2(&image, mount.as_deref(), &header, out);
    }
    if !flash::PROBE_SUPPORT && args.probe.is_none() {
        return uf2(&image, None, &header, out);
    }
    probe(&image, args.probe.as_deref(), timeout, &header, out)
}

fn uf2(
    image: &FirmwareImage,
    mount: Option<&Path>,
    header: &str,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    let bytes = flash::uf2::from_image(image);
    let written = flash::copy_uf2(&bytes, mount)?;
    writeln!(out, "{header}")?;
    writeln!(
        out,
        "Copied {} UF2 blocks to {}; the jig restarts into {} by itself.",
        bytes.len() / flash::uf2::BLOCK,
        written.display(),
        image.firmware
    )?;
    Ok(())
}

fn list(timeout: Duration, out: &mut dyn Write) -> anyhow::Result<()> {
    match flash::list_probes(timeout) {
        Ok(probes) if probes.is_empty() => writeln!(out, "Debug probes: none")?,
        Ok(probes) => {
            writeln!(out, "Debug probes:")?;
            for p in probes {
                writeln!(out, "  {p}")?;
            }
        }
        Err(e) => writeln!(out, "Debug probes: {e}")?,
    }
    list_drives(out)
}

fn list_drives(out: &mut dyn Write) -> anyhow::Result<()> {
    let drives = flash::find_drives();
    if drives.is_empty() {
        writeln!(out, "BOOTSEL drives: none. {}", flash::ENTER_BOOTSEL)?;
    } else {
        writeln!(out, "BOOTSEL drives:")?;
        for d in drives {
            writeln!(out, "  {} ({})", d.mount.display(), d.board_id)?;
        }
    }
    Ok(())
}

fn probe(
    image: &FirmwareImage,
    serial: Option<&str>,
    timeout: Duration,
    header: &str,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    let mut last = ("", -1i32);
    let mut started = false;
    let mut report = |p: flash::Progress| {
        if !std::mem::replace(&mut started, true) {
            let _ = writeln!(out, "{header}");
        }
        // One line per stage and 10 %: readable in a terminal and in a log.
        let step = (p.fraction * 10.0) as i32;
        if (p.stage, step) != last {
            last = (p.stage, step);
            let _ = writeln!(out, "  {:<12} {:>3} %", p.stage, step * 10);
        }
    };
    match flash::flash_with_probe(serial, image, timeout, &mut report) {
        Ok(()) => {
            writeln!(
                out,
                "Flashed, verified and reset: the jig runs {}.",
                image.firmware
            )?;
            Ok(())
        }
        Err(flash::FlashError::NoProbe) if serial.is_none() && !flash::find_drives().is_empty() => {
            uf2(image, None, header, out)?;
            writeln!(
                out,
                "(No debug probe was connected; a BOOTSEL drive was, so the UF2 path was used.)"
            )?;
            Ok(())
        }
        Err(e) => Err(e.into()),
    }
}
