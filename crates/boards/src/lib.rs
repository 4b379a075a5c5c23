//! Hashboard profiles: what a board model is made of, as data.
//!
//! Owns: the profile schema (chip family and count, voltage domains, address interval, clock and
//! baud, temperature sensors, EEPROM, PCB layout), its validation, the built-in profiles
//! embedded from `assets/boards/` and the override mechanism (a directory of profile files that
//! replaces or adds models). Every value carries its source and a `verified` flag; values the
//! facts file marks as inferred or disputed are `verified = false`. Also the board EEPROM
//! formats public sources document (`eeprom`: decode, checksum, diff), pure byte work, and
//! what each test point should read on a running board, with sources, and the test pad of the
//! board's design where a public PCB file gives one (`testpoints`).
//!
//! Does not: talk to hardware, decide verdicts, or pick the user's config directory (the app
//! passes the directory in). The only I/O is reading the override directory it is given.

mod builtin;
pub mod eeprom;
mod fact;
mod layout;
mod profile;
pub mod testpoints;

pub use fact::Fact;
pub use layout::{BoardLayout, ChipPosition, ChipSpec, LayoutSpec, serpentine};
pub use profile::{PicSpec, Profile, Sensor, SensorKind, VoltageBand};

use std::path::{Path, PathBuf};

/// A profile that could not be loaded. Every variant names the file.
#[derive(Debug, thiserror::Error)]
pub enum ProfileError {
    /// The file is not valid TOML or does not fit the schema.
    #[error("{file}: {message}")]
    Parse {
        /// File name.
        file: String,
        /// What the parser said, with line and column.
        message: String,
    },
    /// A field has a value that makes no sense for a board.
    #[error("{file}: field `{field}`: {problem}")]
    Invalid {
        /// File name.
        file: String,
        /// Dotted field path.
        field: String,
        /// What is wrong.
        problem: String,
    },
    /// The override directory or a file in it could not be read.
    #[error("{}: {source}", path.display())]
    Io {
        /// Path that failed.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
}

/// All known profiles: the built-in ones, optionally overridden from a directory.
#[derive(Debug, Clone)]
pub struct Catalog {
    profiles: Vec<(Profile, String)>,
}

impl Catalog {
    /// A catalog with no profiles.
    #[must_use]
    pub fn empty() -> Self {
        Self {
            profiles: Vec::new(),
        }
    }

    /// The profiles built into the binary.
    pub fn builtin() -> Result<Self, ProfileError> {
        let mut profiles = Vec::with_capacity(builtin::FILES.len());
        for (file, text) in builtin::FILES {
            profiles.push((Profile::from_toml(file, text)?, format!("built-in {file}")));
        }
        Ok(Self { profiles })
    }

    /// Replace or add profiles from every `*.toml` file in `dir`. A missing directory is not an
    /// error (there is simply nothing to override); a bad file is, and names the file.
    pub fn override_from_dir(&mut self, dir: &Path) -> Result<usize, ProfileError> {
        let entries = match std::fs::read_dir(dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(0),
            Err(source) => {
                return Err(ProfileError::Io {
                    path: dir.to_owned(),
                    source,
                });
            }
        };
        let mut paths = Vec::new();
        for entry in entries {
            let entry = entry.map_err(|source| ProfileError::Io {
                path: dir.to_owned(),
                source,
            })?;
            let path = entry.path();
            if path.extension().is_some_and(|e| e == "toml") {
                paths.push(path);
            }
        }
        paths.sort();
        for path in &paths {
            let text = std::fs::read_to_string(path).map_err(|source| ProfileError::Io {
                path: path.clone(),
                source,
            })?;
            let profile = Profile::from_toml(&path.display().to_string(), &text)?;
            self.insert(profile, path.display().to_string());
        }
        Ok(paths.len())
    }

    /// Add a profile, replacing one with the same id.
    pub fn insert(&mut self, profile: Profile, origin: String) {
        match self.profiles.iter_mut().find(|(p, _)| p.id == profile.id) {
            Some(slot) => *slot = (profile, origin),
            None => self.profiles.push((profile, origin)),
        }
    }

    /// The profile with this id.
    #[must_use]
    pub fn get(&self, id: &str) -> Option<&Profile> {
        self.profiles.iter().map(|(p, _)| p).find(|p| p.id == id)
    }

    /// Where the profile with this id was loaded from.
    #[must_use]
    pub fn origin(&self, id: &str) -> Option<&str> {
        self.profiles
            .iter()
            .find(|(p, _)| p.id == id)
            .map(|(_, o)| o.as_str())
    }

    /// Every profile, in catalog order.
    pub fn iter(&self) -> impl Iterator<Item = &Profile> {
        self.profiles.iter().map(|(p, _)| p)
    }

    /// Every id, comma separated, for error messages.
    #[must_use]
    pub fn ids(&self) -> String {
        self.iter()
            .map(|p| p.id.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    }
}
