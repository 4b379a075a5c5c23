//! `hashbench report` and `diagnose --report`: the PDF for a ticket, with the shop's header
//! from `report.toml` in the config directory (the built-in header from `assets/report/` when
//! there is none).

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context;
use boards::Catalog;
use serde::Deserialize;

use crate::cli::ReportArgs;

/// The built-in header.
const DEFAULT_SHOP: &str = include_str!("../../assets/report/shop.toml");
const DEFAULT_LOGO: &[u8] = include_bytes!("../../assets/report/logo.png");

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ShopFile {
    name: String,
    #[serde(default)]
    lines: Vec<String>,
    #[serde(default)]
    logo: Option<PathBuf>,
}

/// The shop's `report.toml`: in the config directory by default.
#[must_use]
pub fn default_shop_file() -> Option<PathBuf> {
    directories::ProjectDirs::from("org", "Hashbench", "hashbench")
        .map(|d| d.config_dir().join("report.toml"))
}

/// The shop header: `report.toml` (and its logo) where there is one, else the built-in one.
pub fn shop() -> anyhow::Result<report::Shop> {
    shop_from(default_shop_file().as_deref())
}

/// The shop header from `file` (the built-in one when `file` is `None` or missing).
pub fn shop_from(file: Option<&Path>) -> anyhow::Result<report::Shop> {
    let (text, dir) = match file.filter(|f| f.exists()) {
        Some(f) => (
            std::fs::read_to_string(f).with_context(|| format!("reading {}", f.display()))?,
            f.parent().map(Path::to_path_buf),
        ),
        None => (DEFAULT_SHOP.to_owned(), None),
    };
    let where_ = file.map_or("the built-in shop header".to_owned(), |f| {
        f.display().to_string()
    });
    let parsed: ShopFile =
        toml::from_str(&text).map_err(|e| anyhow::anyhow!("{where_}: {}", e.message()))?;
    let logo_png = match (&parsed.logo, dir) {
        (Some(logo), Some(dir)) => {
            let path = dir.join(logo);
            Some(
                std::fs::read(&path)
                    .with_context(|| format!("{where_}: logo {}", path.display()))?,
            )
        }
        _ => Some(DEFAULT_LOGO.to_vec()),
    };
    Ok(report::Shop {
        name: parsed.name,
        lines: parsed.lines,
        logo_png,
    })
}

/// Write `bytes` to `path` (beside it first, then renamed).
pub fn write_pdf(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    let partial = path.with_extension("pdf.partial");
    std::fs::write(&partial, bytes)
        .with_context(|| format!("cannot write {}", partial.display()))?;
    std::fs::rename(&partial, path).with_context(|| format!("cannot write {}", path.display()))?;
    Ok(())
}

/// The `report` command.
pub fn run(
    catalog: &Catalog,
    db: Option<&Path>,
    args: &ReportArgs,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    let paper = report::Paper::parse(&args.paper).map_err(|e| anyhow::anyhow!("--paper: {e}"))?;
    let shop = shop()?;
    let store = crate::tickets::open(db)?;
    let pdf = report::ticket_pdf(
        &store,
        catalog,
        args.ticket,
        args.run,
        paper,
        &shop,
        store::now(),
    )?;
    write_pdf(&args.out, &pdf)?;
    writeln!(
        out,
        "report of ticket {} written to {}",
        args.ticket,
        args.out.display()
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_built_in_header_has_the_name_and_logo_from_assets() {
        let shop = shop_from(None).unwrap();
        assert_eq!(shop.name, "Hashbench repair bench");
        assert!(shop.logo_png.unwrap().starts_with(b"\x89PNG"));
    }

    #[test]
    fn a_shop_file_sets_name_lines_and_logo_and_a_bad_one_is_named() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("logo.png"), DEFAULT_LOGO).unwrap();
        let file = dir.path().join("report.toml");
        std::fs::write(
            &file,
            "name = \"Acme Repair\"\nlines = [\"1 Main St\"]\nlogo = \"logo.png\"\n",
        )
        .unwrap();
        let shop = shop_from(Some(&file)).unwrap();
        assert_eq!((shop.name.as_str(), shop.lines.len()), ("Acme Repair", 1));
        std::fs::write(&file, "name = \"Acme\"\nlogo = \"missing.png\"\n").unwrap();
        let err = format!("{:#}", shop_from(Some(&file)).unwrap_err());
        assert!(
            err.contains("report.toml: logo") && err.contains("missing.png"),
            "{err}"
        );
        std::fs::write(&file, "nmae = \"typo\"\n").unwrap();
        let err = format!("{:#}", shop_from(Some(&file)).unwrap_err());
        assert!(err.contains("report.toml") && err.contains("nmae"), "{err}");
    }
}
