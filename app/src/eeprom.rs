//! `hashbench eeprom read|decode|diff|write`: the board EEPROM read through the jig, kept on a
//! ticket, decoded in the layouts public sources document (`boards::eeprom`), compared, and
//! written back: never without a backup of the board's current image on the ticket first, a
//! legacy image's CRC fixed, every write read back.

use std::io::Write;
use std::path::Path;

use anyhow::{Context, bail};
use boards::{Catalog, eeprom};
use diagnosis::Jig;
use store::ImageKind;

use crate::cli::{EepromBoardArgs, EepromCommand};
use crate::diagnose::CouldNotRun;

/// Run one `eeprom` subcommand.
pub fn run(
    catalog: &Catalog,
    db: Option<&Path>,
    command: &EepromCommand,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    match command {
        EepromCommand::Read(args) => {
            let mut jig = jig_for(catalog, &args.board)?;
            let image = with_power(jig.as_mut(), diagnosis::identity::read_image)?;
            print_image(out, catalog, &image)?;
            if let Some(ticket) = args.ticket {
                let id = crate::tickets::open(db)?.save_eeprom(
                    ticket,
                    ImageKind::Backup,
                    &layout_of(&image),
                    &image,
                )?;
                writeln!(out, "Kept on ticket {ticket} as image:{id}")?;
            }
            if let Some(path) = &args.out {
                std::fs::write(path, &image)
                    .with_context(|| format!("writing {}", path.display()))?;
                writeln!(out, "Saved to {}", path.display())?;
            }
        }
        EepromCommand::Decode(args) => {
            let image = load(db, &args.image)?;
            print_image(out, catalog, &image)?;
        }
        EepromCommand::Diff(args) => {
            let (a, b) = (load(db, &args.a)?, load(db, &args.b)?);
            print_diff(out, (&args.a, &a), (&args.b, &b))?;
        }
        EepromCommand::Write(args) => write(catalog, db, args, out)?,
    }
    Ok(())
}

/// The jig of `--sim` or `--port`.
fn jig_for(catalog: &Catalog, board: &EepromBoardArgs) -> Result<Box<dyn Jig>, CouldNotRun> {
    match (&board.sim, &board.port) {
        (Some(id), _) => {
            let profile = crate::diagnose::profile(catalog, id)?;
            let jig = sim::simulated(profile, &[], board.seed)
                .map_err(|e| CouldNotRun(format!("simulated jig: {e}")))?;
            Ok(Box::new(jig))
        }
        (None, Some(path)) => Ok(Box::new(crate::diagnose::connect(path)?)),
        (None, None) => Err(CouldNotRun("give --sim PROFILE or --port PATH".into())),
    }
}

/// Power the board, do `f`, and power it off again whatever `f` did.
fn with_power<T>(
    jig: &mut dyn Jig,
    f: impl FnOnce(&mut dyn Jig) -> Result<T, diagnosis::JigError>,
) -> anyhow::Result<T> {
    jig.set_power(true)
        .map_err(|e| CouldNotRun(format!("powering the board: {e}")))?;
    let done = f(jig);
    let off = jig.set_power(false);
    let value = done.map_err(|e| CouldNotRun(format!("the board EEPROM: {e}")))?;
    off.map_err(|e| CouldNotRun(format!("switching the board off: {e}")))?;
    Ok(value)
}

/// The layout name of `image`, or why none explains it (kept with the image).
fn layout_of(image: &[u8]) -> String {
    match eeprom::decode(image) {
        Ok(d) => d.format.name().to_owned(),
        Err(e) => e.to_string(),
    }
}

/// An image from `spec`: `image:N` from the database, or a file of 256 raw bytes or a hex dump.
fn load(db: Option<&Path>, spec: &str) -> anyhow::Result<Vec<u8>> {
    if let Some(id) = spec.strip_prefix("image:") {
        let id: i64 = id
            .parse()
            .with_context(|| format!("`{spec}`: the image number must be a whole number"))?;
        return Ok(crate::tickets::open(db)?.eeprom_image(id)?.bytes);
    }
    let bytes = std::fs::read(spec).with_context(|| format!("reading {spec}"))?;
    if bytes.len() == eeprom::SIZE {
        return Ok(bytes);
    }
    let text = String::from_utf8(bytes)
        .map_err(|_| anyhow::anyhow!("{spec}: neither 256 raw bytes nor a text hex dump"))?;
    let image = parse_hex_dump(&text).with_context(|| format!("{spec}: reading the hex dump"))?;
    if image.len() != eeprom::SIZE {
        bail!(
            "{spec}: the hex dump holds {} bytes, an EEPROM image 256",
            image.len()
        );
    }
    Ok(image)
}

/// Bytes of a hex dump as `xxd`, `hexdump -C` or a programmer's software print them: an offset
/// first on each line (8 hex digits, or ending in `:`), then two-digit hex bytes, then an
/// optional `|ascii|` column.
fn parse_hex_dump(text: &str) -> anyhow::Result<Vec<u8>> {
    let mut bytes = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let data = line.split('|').next().unwrap_or_default();
        let mut tokens = data.split_whitespace().peekable();
        if tokens
            .peek()
            .is_some_and(|t| t.ends_with(':') || t.len() >= 4)
        {
            tokens.next();
        }
        for token in tokens {
            if token.len() != 2 {
                bail!("line {}: `{token}` is not a two-digit hex byte", n + 1);
            }
            let b = u8::from_str_radix(token, 16)
                .with_context(|| format!("line {}: `{token}` is not hex", n + 1))?;
            bytes.push(b);
        }
    }
    Ok(bytes)
}

/// What an image holds: its fields, the profiles it names, and the raw bytes.
fn print_image(out: &mut dyn Write, catalog: &Catalog, image: &[u8]) -> anyhow::Result<()> {
    match eeprom::decode(image) {
        Ok(d) => {
            write!(out, "{d}")?;
            let who = diagnosis::identity::parse_eeprom(image);
            let can_be: Vec<&str> = diagnosis::identity::candidates(&who, catalog)
                .iter()
                .map(|p| p.id.as_str())
                .collect();
            writeln!(
                out,
                "Profile: {}",
                match can_be[..] {
                    [] => "not named by this layout (give --model)".to_owned(),
                    [one] => one.to_owned(),
                    _ => format!("one of {} (same chip family)", can_be.join(", ")),
                }
            )?;
        }
        Err(e) => writeln!(out, "Not decoded: {e}")?,
    }
    for (row, chunk) in image.chunks(16).enumerate() {
        let hex: Vec<String> = chunk.iter().map(|b| format!("{b:02x}")).collect();
        writeln!(out, "  {:04x}  {}", row * 16, hex.join(" "))?;
    }
    Ok(())
}

/// The byte runs and decoded fields in which `a` and `b` differ.
fn print_diff(
    out: &mut dyn Write,
    (name_a, a): (&str, &[u8]),
    (name_b, b): (&str, &[u8]),
) -> anyhow::Result<()> {
    let runs = eeprom::diff(a, b);
    if runs.is_empty() {
        writeln!(out, "{name_a} and {name_b} are the same 256 bytes")?;
        return Ok(());
    }
    let changed: usize = runs.iter().map(|r| r.at.len()).sum();
    writeln!(out, "{changed} bytes differ in {} runs:", runs.len())?;
    for r in &runs {
        // At most 16 bytes a side: a long run reads as its start and its length.
        let hex = |v: &[u8]| {
            let shown: String = v.iter().take(16).map(|x| format!("{x:02x}")).collect();
            if v.len() > 16 {
                format!("{shown}… ({} bytes)", v.len())
            } else {
                shown
            }
        };
        writeln!(
            out,
            "  {:#04x}-{:#04x}: {} -> {}",
            r.at.start,
            r.at.end - 1,
            hex(&r.a),
            hex(&r.b)
        )?;
    }
    match (eeprom::decode(a), eeprom::decode(b)) {
        (Ok(da), Ok(db)) => {
            for (field, va, vb) in eeprom::field_changes(&da, &db) {
                writeln!(out, "  {field}: {va} -> {vb}")?;
            }
        }
        (ra, rb) => {
            for (name, r) in [(name_a, ra), (name_b, rb)] {
                if let Err(e) = r {
                    writeln!(out, "  {name}: not decoded ({e}); compared raw")?;
                }
            }
        }
    }
    Ok(())
}

/// `eeprom write`: backup first, checksum fixed, only the pages that change written, read back.
fn write(
    catalog: &Catalog,
    db: Option<&Path>,
    args: &crate::cli::EepromWriteArgs,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    let mut image = load(db, &args.from)?;
    // Only layouts whose integrity Hashbench can check are written.
    match eeprom::fix_checksum(&mut image) {
        Ok(Some((old, new))) => {
            writeln!(out, "CRC-16/Modbus fixed: {old:#06X} -> {new:#06X}")?;
        }
        Ok(None) => {}
        Err(e) => bail!(
            "{}: {e}; Hashbench writes only layouts it can check",
            args.from
        ),
    }
    let mut store = crate::tickets::open(db)?;
    // The ticket must exist before the board is touched.
    store.ticket(args.ticket)?;
    let mut jig = jig_for(catalog, &args.board)?;
    let jig = jig.as_mut();
    jig.set_power(true)
        .map_err(|e| CouldNotRun(format!("powering the board: {e}")))?;
    let result = write_powered(jig, &mut store, args.ticket, &image, out);
    let off = jig.set_power(false);
    result?;
    off.map_err(|e| CouldNotRun(format!("switching the board off: {e}")))?;
    Ok(())
}

fn write_powered(
    jig: &mut dyn Jig,
    store: &mut store::Store,
    ticket: i64,
    image: &[u8],
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    let eeprom_err = |e: diagnosis::JigError| CouldNotRun(format!("the board EEPROM: {e}"));
    let before = diagnosis::identity::read_image(jig).map_err(eeprom_err)?;
    let backup = store.save_eeprom(ticket, ImageKind::Backup, &layout_of(&before), &before)?;
    writeln!(
        out,
        "Backup of the board's image kept on ticket {ticket} as image:{backup}"
    )?;
    if before == image {
        writeln!(out, "The board already holds this image: nothing written")?;
        return Ok(());
    }
    let done = diagnosis::identity::write_image(jig, &before, image).map_err(eeprom_err)?;
    let after = done.after;
    if after != image {
        let wrong: Vec<String> = eeprom::diff(image, &after)
            .iter()
            .map(|r| format!("{:#04x}-{:#04x}", r.at.start, r.at.end - 1))
            .collect();
        bail!(
            "the board reads back other bytes at {} than were written: its EEPROM may be write-protected (WP pin) or failing; the image before is image:{backup} on ticket {ticket}",
            wrong.join(", ")
        );
    }
    let written = store.save_eeprom(ticket, ImageKind::Written, &layout_of(&after), &after)?;
    writeln!(
        out,
        "Wrote {} pages ({} bytes changed), read back identical; kept as image:{written}",
        done.pages, done.bytes
    )?;
    print_diff(
        out,
        (&format!("image:{backup}"), &before),
        (&format!("image:{written}"), &after),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hexdump_with_offsets_and_an_ascii_column_reads_as_its_bytes() {
        let text = "00000000  7e ff 4d 4d  |~.MM|\n00000010: 00 01\n";
        assert_eq!(
            parse_hex_dump(text).unwrap(),
            vec![0x7e, 0xff, 0x4d, 0x4d, 0x00, 0x01]
        );
        let e = parse_hex_dump("0000 7e fff").unwrap_err();
        assert!(format!("{e:#}").contains("`fff`"), "{e:#}");
    }
}
