//! `hashbench halve`: the guided halving for a return line held low (0 chips found): where to
//! short RO to 1V8 next, a count with the short in place, until one chip is left. On a jig the
//! technician shorts and presses Enter; on a simulated board the short is applied for them.

use std::io::{BufRead, Write};
use std::path::Path;

use anyhow::Context;
use boards::{Catalog, Profile};
use diagnosis::halving::Halving;
use diagnosis::{Config, Options, Report};

use crate::cli::HalveArgs;
use crate::diagnose::CouldNotRun;

/// Count the chips of the board with the RO short at `short_at`: on the simulated board (with
/// the short applied) or on the jig at `port` (the technician holds it).
fn count(
    profile: &Profile,
    args: &HalveArgs,
    faults: &[sim::Fault],
    short_at: usize,
) -> Result<Report, CouldNotRun> {
    let options = Options {
        config: Config::default(),
        app_version: env!("CARGO_PKG_VERSION").to_owned(),
        seed: args.port.is_none().then_some(args.seed),
        halving_short: Some(short_at),
        ..Options::default()
    };
    let run = |jig: &mut dyn diagnosis::Jig| {
        diagnosis::run(jig, profile, &options, &mut |_| {}, &|| false)
    };
    match &args.port {
        Some(path) => Ok(run(&mut crate::diagnose::connect(path)?)),
        None => {
            let mut faults = faults.to_vec();
            faults.push(sim::Fault::RoShort(short_at));
            let mut jig = sim::simulated(profile, &faults, args.seed)
                .map_err(|e| CouldNotRun(format!("simulated jig: {e}")))?;
            Ok(run(&mut jig))
        }
    }
}

/// Run the halving as `args` ask; each count is saved on `--ticket` when given.
pub fn run(
    catalog: &Catalog,
    db: Option<&Path>,
    args: &HalveArgs,
    input: &mut dyn BufRead,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    let profile = match (&args.sim, &args.port) {
        (Some(id), _) => crate::diagnose::profile(catalog, id)?,
        (None, Some(path)) => {
            let mut jig = crate::diagnose::connect(path)?;
            crate::diagnose::board_profile(catalog, &mut jig, args.model.as_deref())?
        }
        (None, None) => anyhow::bail!("give --sim PROFILE or --port PATH"),
    };
    let faults = crate::diagnose::faults(profile, &args.fault)?;
    let mut store = match args.ticket {
        Some(ticket) => {
            let store = crate::tickets::open(db)?;
            store
                .ticket(ticket)
                .with_context(|| format!("ticket {ticket}"))?;
            Some((store, ticket))
        }
        None => None,
    };
    let mut halving = Halving::new(profile.chips.value);
    writeln!(
        out,
        "Guided halving on {}: the chip holding RO low is found by counting with RO shorted to 1V8 at the middle of the chips that may hold it.",
        profile.name
    )?;
    while let Some(m) = halving.next_short() {
        writeln!(
            out,
            "Step {}: {}",
            halving.steps.len() + 1,
            halving.instruction()
        )?;
        if args.port.is_some() {
            writeln!(
                out,
                "Press Enter with the short in place (q and Enter to stop)."
            )?;
            out.flush()?;
            let mut line = String::new();
            if input.read_line(&mut line)? == 0 || line.trim() == "q" {
                writeln!(out, "Stopped; {}", halving.instruction())?;
                return Ok(());
            }
        }
        let started_at = store::now();
        let mut report = count(profile, args, &faults, m)?;
        report.provenance.run_id = store::run_id();
        if let Some(why) = &report.aborted {
            anyhow::bail!("the count with the short at chip {m} stopped: {why}");
        }
        if let Some((store, ticket)) = store.as_mut() {
            store.save_run(
                *ticket,
                &store::RunRecord {
                    report: &report,
                    started_at,
                    ended_at: store::now(),
                    operator: crate::tickets::login_name(),
                    retest_chips: None,
                },
            )?;
        }
        let found = report.chips_found;
        match halving.record(m, found) {
            Ok(()) => {
                let (lo, hi) = halving.candidates();
                writeln!(out, "  counted {found}: chips {lo}-{hi} may hold the line")?;
            }
            // On a jig a slipped probe gives a count that fits no held line: say so, try again.
            Err(e) if args.port.is_some() => writeln!(out, "  {e}")?,
            Err(e) => return Err(e.into()),
        }
    }
    writeln!(out, "{}", halving.instruction())?;
    if let Some((_, ticket)) = store {
        writeln!(
            out,
            "Each count is saved as a run on ticket {ticket} (its JSON has `halving_step`)."
        )?;
    }
    Ok(())
}
