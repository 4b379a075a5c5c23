//! `hashbench profiles`, and where the app finds profile overrides.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context;
use boards::Catalog;
use serde::Serialize;

use crate::cli::ProfilesArgs;

/// The user's profile override directory: `boards/` in the OS config directory.
#[must_use]
pub fn default_profiles_dir() -> Option<PathBuf> {
    directories::ProjectDirs::from("org", "Hashbench", "hashbench")
        .map(|d| d.config_dir().join("boards"))
}

/// Built-in profiles with the overrides from `dir` (or the default directory) applied.
pub fn load_catalog(dir: Option<&Path>) -> anyhow::Result<Catalog> {
    let mut catalog = Catalog::builtin().context("built-in board profiles")?;
    let dir = dir.map(Path::to_path_buf).or_else(default_profiles_dir);
    if let Some(dir) = dir {
        catalog
            .override_from_dir(&dir)
            .context("board profile overrides")?;
    }
    Ok(catalog)
}

#[derive(Serialize)]
struct Entry<'a> {
    id: &'a str,
    name: &'a str,
    version: u32,
    chip_family: &'static str,
    chips: usize,
    domains: usize,
    chips_per_domain: usize,
    address_interval: u16,
    origin: &'a str,
    /// "pcb" where the chip places come from the board's design file, else "generic".
    layout: &'static str,
    /// Test pads the board's design gives.
    test_pads: usize,
    unverified: Vec<String>,
}

/// The `profiles` command.
pub fn run(catalog: &Catalog, args: &ProfilesArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    let entries: Vec<Entry<'_>> = catalog
        .iter()
        .map(|p| Entry {
            id: &p.id,
            name: &p.name,
            version: p.version,
            chip_family: p.family.value.name(),
            chips: p.chips.value,
            domains: p.domains.value,
            chips_per_domain: p.chips_per_domain.value,
            address_interval: p.address_interval.value,
            origin: catalog.origin(&p.id).unwrap_or("unknown"),
            layout: if p.layout.generic { "generic" } else { "pcb" },
            test_pads: p.test_pads.as_ref().map_or(0, |t| t.pads.len()),
            unverified: {
                let mut fields: Vec<String> = p
                    .unverified()
                    .into_iter()
                    .map(|(field, _)| field.to_owned())
                    .collect();
                fields.dedup();
                fields
            },
        })
        .collect();
    if args.json {
        #[derive(Serialize)]
        struct Output<'a> {
            profiles: &'a [Entry<'a>],
        }
        serde_json::to_writer(&mut *out, &Output { profiles: &entries }).context("writing JSON")?;
        writeln!(out).context("writing JSON")?;
        return Ok(());
    }
    writeln!(
        out,
        "{:<16} {:<32} {:<7} {:>5} {:>7} {:<7} {:>4}  unverified",
        "id", "name", "family", "chips", "domains", "layout", "pads"
    )
    .context("writing output")?;
    for e in &entries {
        writeln!(
            out,
            "{:<16} {:<32} {:<7} {:>5} {:>7} {:<7} {:>4}  {}",
            e.id,
            e.name,
            e.chip_family,
            e.chips,
            e.domains,
            e.layout,
            e.test_pads,
            if e.unverified.is_empty() {
                "-".to_owned()
            } else {
                e.unverified.join(", ")
            }
        )
        .context("writing output")?;
    }
    Ok(())
}
