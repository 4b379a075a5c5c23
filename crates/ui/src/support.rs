//! The support bundle: what a developer needs to see a bench's problem, in one zip file the
//! technician sends. Versions (app, jig firmware and protocol, system), the settings, the
//! logs (the data directory's `logs/`), and the last run's capture when there is one. Customer
//! data (the open ticket, with its customer and notes) goes in only when the technician ticks
//! it. Written beside the target first and renamed into place.

use std::io::Write;
use std::path::{Path, PathBuf};

/// What goes into a bundle.
#[derive(Debug, Clone, Default)]
pub struct Bundle {
    /// `name: value` lines: versions of everything involved.
    pub versions: Vec<(String, String)>,
    /// The settings, as JSON.
    pub settings_json: String,
    /// The logs folder (every file in it goes in, newest rotation included).
    pub logs: Option<PathBuf>,
    /// The last run's capture (JSON lines).
    pub capture: Option<String>,
    /// The open ticket as JSON: customer data, only when the technician asked for it.
    pub ticket_json: Option<String>,
}

/// At most this much of each log file goes in (its end: the newest lines).
const LOG_LIMIT: usize = 8 << 20;

/// Write `bundle` as a zip at `path`; returns the names of the files in it.
pub fn write(path: &Path, bundle: &Bundle) -> Result<Vec<String>, String> {
    let partial = path.with_extension("zip.partial");
    let written = write_zip(&partial, bundle);
    match written {
        Ok(names) => {
            std::fs::rename(&partial, path)
                .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
            Ok(names)
        }
        Err(e) => {
            let _ = std::fs::remove_file(&partial);
            Err(e)
        }
    }
}

fn write_zip(path: &Path, bundle: &Bundle) -> Result<Vec<String>, String> {
    let file = std::fs::File::create(path)
        .map_err(|e| format!("cannot create {}: {e}", path.display()))?;
    let mut zip = zip::ZipWriter::new(std::io::BufWriter::new(file));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    let mut names = Vec::new();
    let mut add = |zip: &mut zip::ZipWriter<_>, name: &str, bytes: &[u8]| {
        zip.start_file(name, options)
            .and_then(|()| zip.write_all(bytes).map_err(zip::result::ZipError::from))
            .map_err(|e| format!("writing {name} into the bundle: {e}"))?;
        names.push(name.to_owned());
        Ok::<_, String>(())
    };
    let versions: String = bundle
        .versions
        .iter()
        .map(|(k, v)| format!("{k}: {v}\n"))
        .collect();
    add(&mut zip, "versions.txt", versions.as_bytes())?;
    add(&mut zip, "settings.json", bundle.settings_json.as_bytes())?;
    if let Some(dir) = &bundle.logs
        && let Ok(entries) = std::fs::read_dir(dir)
    {
        let mut files: Vec<PathBuf> = entries
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.is_file())
            .collect();
        files.sort();
        for file in files {
            let Ok(bytes) = std::fs::read(&file) else {
                continue;
            };
            let tail = &bytes[bytes.len().saturating_sub(LOG_LIMIT)..];
            let name = format!(
                "logs/{}",
                file.file_name()
                    .map_or_else(String::new, |n| n.to_string_lossy().into_owned())
            );
            add(&mut zip, &name, tail)?;
        }
    }
    if let Some(capture) = &bundle.capture {
        add(&mut zip, "capture.jsonl", capture.as_bytes())?;
    }
    if let Some(ticket) = &bundle.ticket_json {
        add(&mut zip, "ticket.json", ticket.as_bytes())?;
    }
    let mut inner = zip
        .finish()
        .map_err(|e| format!("finishing the bundle: {e}"))?;
    inner
        .flush()
        .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    Ok(names)
}

/// The versions every bundle starts with: this Hashbench and the system it runs on.
#[must_use]
pub fn base_versions() -> Vec<(String, String)> {
    vec![
        ("hashbench".into(), env!("CARGO_PKG_VERSION").into()),
        (
            "system".into(),
            format!("{} {}", std::env::consts::OS, std::env::consts::ARCH),
        ),
    ]
}
