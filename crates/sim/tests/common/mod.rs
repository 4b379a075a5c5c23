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
    diagnose_on(id, faults, seed, options).0
}

/// [`diagnose_with`], and the address each chip held the last time the chain held any (to hold
/// the report's map against the chain's).
pub fn diagnose_and_addresses(
    id: &str,
    faults: &[&str],
    seed: u64,
    options: Options,
) -> (Report, Vec<Option<u8>>) {
    let (report, mut jig) = diagnose_on(id, faults, seed, options);
    let held = jig.transport().hardware().board().addresses_last_held();
    (report, held)
}

/// [`diagnose`], and per chip the share of the chain's jobs that reached it whole
/// (`sim::Board::work_reaching`).
pub fn diagnose_and_work(id: &str, faults: &[&str], seed: u64) -> (Report, Vec<f64>) {
    let (report, mut jig) = diagnose_on(id, faults, seed, Options::default());
    let work = jig.transport().hardware().board().work_reaching();
    (report, work)
}

fn diagnose_on(id: &str, faults: &[&str], seed: u64, options: Options) -> (Report, sim::SimJig) {
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
    let report = diagnosis::run(&mut jig, &p, &options, &mut |_| {}, &|| false);
    (report, jig)
}
