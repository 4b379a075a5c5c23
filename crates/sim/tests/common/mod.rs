//! What the simulator's test files share: a built-in profile, and one diagnosis of a simulated
//! board with named faults and the default engine settings.

#![allow(clippy::unwrap_used, dead_code)] // Fine for tests: a failure is the report.

use boards::{Catalog, Profile};
use diagnosis::{Options, Report};

/// The built-in profile `id`.
pub fn profile(id: &str) -> Profile {
    Catalog::builtin().unwrap().get(id).unwrap().clone()
}

/// Diagnose a simulated `id` board with `faults` (specs as `--fault` takes them) at `seed`.
pub fn diagnose(id: &str, faults: &[&str], seed: u64) -> Report {
    diagnose_with(id, faults, seed, Options::default())
}

/// [`diagnose`] with `options` (their baud, version and seed are the tests').
pub fn diagnose_with(id: &str, faults: &[&str], seed: u64, options: Options) -> Report {
    let p = profile(id);
    let faults: Vec<sim::Fault> = faults
        .iter()
        .map(|f| sim::Fault::parse(f, &p).unwrap())
        .collect();
    let mut jig = sim::simulated(&p, &faults, seed).unwrap();
    let options = Options {
        baud: None,
        app_version: "test".into(),
        seed: Some(seed),
        ..options
    };
    diagnosis::run(&mut jig, &p, &options, &mut |_| {}, &|| false)
}
