//! `hashbench eval`: the engine's accuracy over a corpus of simulated boards. Healthy boards of
//! every profile over many seeds (any verdict but pass is a false NG), and every chip and domain
//! fault alone at the first chip, the last chip and both edges of a middle domain, at several
//! severities, over seeds. Prints a confusion matrix per fault kind.

use std::collections::BTreeMap;
use std::io::Write;

use boards::{Catalog, Profile};
use diagnosis::{ChipState, FindingKind, Report, Verdict};
use sim::Fault;

use crate::cli::EvalArgs;

/// How one faulted run came out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Call {
    /// The expected finding names the faulty chip or domain.
    Right,
    /// The expected finding names other chips only.
    WrongChip,
    /// No expected finding, and a verdict that claims to know.
    Missed,
    /// No expected finding, and the run says it could not tell.
    Inconclusive,
}

/// Counts for one fault kind.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Row {
    /// Runs per call.
    pub calls: BTreeMap<Call, u64>,
    /// Runs with a chip-level finding on a chip the fault does not explain.
    pub false_alarms: u64,
    /// Weak chips reported `ok` (must stay 0).
    pub weak_called_ok: u64,
}

/// The whole evaluation.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Eval {
    /// Healthy boards run.
    pub healthy: u64,
    /// Healthy boards not called pass: (profile, seed, verdict).
    pub false_ng: Vec<(String, u64, String)>,
    /// Per fault kind.
    pub rows: BTreeMap<&'static str, Row>,
    /// Healthy boards run with line noise, per rate (ppm): boards, healthy chips called dead
    /// or weak (must stay 0), verdicts other than pass.
    pub noise: BTreeMap<u32, (u64, u64, u64)>,
}

/// Line-noise rates tried on healthy boards, bytes in a million: a realistic long cable, and
/// ten times worse.
pub const NOISE_PPM: [u32; 2] = [100, 1_000];

fn kind_of(fault: &Fault) -> (&'static str, FindingKind) {
    match fault {
        Fault::Dead(_) => ("dead", FindingKind::DeadChip),
        Fault::Break(_) => ("break", FindingKind::ChainBreak),
        Fault::Weak(_, _) => ("weak", FindingKind::WeakChip),
        Fault::HwErr(_, _) => ("hwerr", FindingKind::HwErrors),
        Fault::Short(_) => ("short", FindingKind::DomainShort),
        Fault::WrongId(_) => ("wrongid", FindingKind::WrongChipId),
        Fault::Sensor(_) => ("sensor", FindingKind::SensorMissing),
        Fault::Flaky(_) => ("flaky", FindingKind::Intermittent),
        Fault::SlowLink(_) => ("slowlink", FindingKind::MarginalHighBaud),
        Fault::Hot(_) => ("hot", FindingKind::Overtemp),
        Fault::Noise(_) => ("noise", FindingKind::Intermittent),
        Fault::PicStall => ("picstall", FindingKind::ChainPower),
    }
}

/// Judge a faulted run.
#[must_use]
pub fn judge(profile: &Profile, fault: &Fault, report: &Report) -> (Call, bool) {
    let (_, kind) = kind_of(fault);
    let chip_of = |k: usize| profile.layout.chips.get(k).map(|p| p.domain);
    let (chips, domain): (Vec<usize>, Option<usize>) = match *fault {
        // The break is at the first missing chip or the last found one.
        Fault::Break(k) => (vec![k, k.saturating_sub(1)], None),
        Fault::Short(d) => (Vec::new(), Some(d)),
        Fault::Sensor(_) | Fault::Noise(_) | Fault::PicStall => (Vec::new(), None),
        Fault::Dead(k)
        | Fault::Weak(k, _)
        | Fault::HwErr(k, _)
        | Fault::WrongId(k)
        | Fault::Flaky(k)
        | Fault::SlowLink(k)
        | Fault::Hot(k) => (vec![k], chip_of(k)),
    };
    let expected: Vec<&diagnosis::report::Finding> =
        report.findings.iter().filter(|f| f.kind == kind).collect();
    let names = |f: &diagnosis::report::Finding| {
        chips
            .iter()
            .any(|c| f.chips.contains(c) || f.suspects.contains(c))
            || domain.is_some_and(|d| f.domains.contains(&d) && matches!(fault, Fault::Short(_)))
            || matches!(fault, Fault::Sensor(_) | Fault::PicStall)
    };
    let call = if expected.iter().any(|f| names(f)) {
        Call::Right
    } else if !expected.is_empty() {
        Call::WrongChip
    } else if report.verdict == Verdict::Inconclusive
        || chips.iter().any(|&c| {
            report
                .chips
                .get(c)
                .is_some_and(|r| r.state == ChipState::Inconclusive)
        })
    {
        Call::Inconclusive
    } else {
        Call::Missed
    };
    // Chip-level findings on chips the fault cannot explain. A break or short takes the chips
    // behind it (or in its domain) with it.
    let explained = |c: usize| match *fault {
        Fault::Break(k) => c + 1 >= k,
        Fault::Short(d) => chip_of(c).is_some_and(|cd| cd >= d),
        _ => chips.contains(&c),
    };
    let chip_level = [
        FindingKind::DeadChip,
        FindingKind::WeakChip,
        FindingKind::HwErrors,
        FindingKind::WrongChipId,
    ];
    let false_alarm = report
        .findings
        .iter()
        .filter(|f| chip_level.contains(&f.kind))
        .any(|f| f.chips.iter().any(|&c| !explained(c)));
    (call, false_alarm)
}

/// The faults to place on `profile`: every chip fault at the first and last chip and at both
/// edges of a middle domain, every domain fault on the first, a middle and the last domain.
#[must_use]
pub fn faults_for(profile: &Profile) -> Vec<Fault> {
    let n = profile.chips.value;
    let mid_domain = profile.domains.value / 2;
    let in_mid: Vec<usize> = profile.chips_in_domain(mid_domain).collect();
    let mut positions = vec![0, n.saturating_sub(1)];
    positions.extend(in_mid.first().copied());
    positions.extend(in_mid.last().copied());
    positions.sort_unstable();
    positions.dedup();
    let mut faults = Vec::new();
    for &k in &positions {
        faults.push(Fault::Dead(k));
        faults.push(Fault::WrongId(k));
        for pct in [10, 25, 50] {
            faults.push(Fault::Weak(k, pct));
        }
        faults.push(Fault::HwErr(k, 20));
        if k > 0 {
            faults.push(Fault::Break(k));
        }
    }
    let last = profile.domains.value.saturating_sub(1);
    let mut domains = vec![0, mid_domain, last];
    domains.dedup();
    if profile.domains.value > 1 {
        for d in domains {
            faults.push(Fault::Short(d));
        }
    }
    faults
}

/// Run the evaluation: `healthy_seeds` seeds of every profile, and the faults of `fault_profiles`
/// over `fault_seeds` seeds each.
pub fn evaluate(
    catalog: &Catalog,
    healthy_seeds: u64,
    fault_profiles: &[&str],
    fault_seeds: u64,
    first_seed: u64,
) -> anyhow::Result<Eval> {
    let healthy_range = first_seed..first_seed + healthy_seeds;
    let fault_range = first_seed..first_seed + fault_seeds;
    let mut eval = Eval::default();
    for profile in catalog.iter() {
        for seed in healthy_range.clone() {
            let report = crate::diagnose::simulate_board(profile, &[], seed, None)?;
            eval.healthy += 1;
            if report.verdict != Verdict::Pass {
                eval.false_ng
                    .push((profile.id.clone(), seed, report.verdict.name().to_owned()));
            }
        }
    }
    for id in fault_profiles {
        let profile = crate::diagnose::profile(catalog, id)?;
        for fault in faults_for(profile) {
            for seed in fault_range.clone() {
                let report = crate::diagnose::simulate_board(
                    profile,
                    std::slice::from_ref(&fault),
                    seed,
                    None,
                )?;
                let (name, _) = kind_of(&fault);
                let (call, false_alarm) = judge(profile, &fault, &report);
                let row = eval.rows.entry(name).or_default();
                *row.calls.entry(call).or_default() += 1;
                row.false_alarms += u64::from(false_alarm);
                if let Fault::Weak(k, _) = fault
                    && report
                        .chips
                        .get(k)
                        .is_some_and(|c| c.state == ChipState::Ok)
                {
                    row.weak_called_ok += 1;
                }
            }
        }
        for ppm in NOISE_PPM {
            for seed in fault_range.clone() {
                let report =
                    crate::diagnose::simulate_board(profile, &[Fault::Noise(ppm)], seed, None)?;
                let entry = eval.noise.entry(ppm).or_default();
                entry.0 += 1;
                entry.1 += report
                    .chips
                    .iter()
                    .filter(|c| matches!(c.state, ChipState::Dead | ChipState::Weak))
                    .count() as u64;
                entry.2 += u64::from(report.verdict != Verdict::Pass);
            }
        }
    }
    Ok(eval)
}

/// The `eval` command; `Ok(false)` when a goal is missed.
pub fn run(catalog: &Catalog, args: &EvalArgs, out: &mut dyn Write) -> anyhow::Result<bool> {
    let profiles: Vec<&str> = args
        .fault_profiles
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect();
    let eval = evaluate(
        catalog,
        args.healthy_seeds,
        &profiles,
        args.fault_seeds,
        args.first_seed,
    )?;
    writeln!(
        out,
        "Healthy boards: {} ({} profiles x {} seeds, {}..{}); false NG: {}",
        eval.healthy,
        catalog.iter().count(),
        args.healthy_seeds,
        args.first_seed,
        args.first_seed + args.healthy_seeds,
        eval.false_ng.len()
    )?;
    for (id, seed, verdict) in &eval.false_ng {
        writeln!(out, "  {id} seed {seed}: {verdict}")?;
    }
    writeln!(
        out,
        "Faults on {} x {} seeds ({}..{}):",
        profiles.join(", "),
        args.fault_seeds,
        args.first_seed,
        args.first_seed + args.fault_seeds
    )?;
    writeln!(
        out,
        "{:<9} {:>6} {:>11} {:>7} {:>13} {:>12} {:>9}",
        "kind", "right", "wrong chip", "missed", "inconclusive", "false alarm", "weak ok"
    )?;
    let mut met = eval.false_ng.is_empty();
    for (kind, row) in &eval.rows {
        let get = |c: Call| row.calls.get(&c).copied().unwrap_or(0);
        writeln!(
            out,
            "{kind:<9} {:>6} {:>11} {:>7} {:>13} {:>12} {:>9}",
            get(Call::Right),
            get(Call::WrongChip),
            get(Call::Missed),
            get(Call::Inconclusive),
            row.false_alarms,
            row.weak_called_ok
        )?;
        // Goals: every dead, break, short, wrong-id and HW-error fault at the right chip or
        // domain; weak chips never `ok`.
        if *kind != "weak" {
            met &= get(Call::Right) == row.calls.values().sum::<u64>();
        }
        met &= row.weak_called_ok == 0;
    }
    for (ppm, (boards, called, not_pass)) in &eval.noise {
        writeln!(
            out,
            "Line noise {ppm} ppm (bit flips and lost bytes): {boards} healthy boards, {called} chips called dead or weak, {not_pass} not pass"
        )?;
        met &= *called == 0;
    }
    writeln!(out, "Goals {}", if met { "met" } else { "MISSED" })?;
    Ok(met)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_small_corpus_meets_the_goals() {
        let catalog = Catalog::builtin().unwrap();
        let eval = evaluate(&catalog, 1, &["bitaxe-hex"], 1, 1).unwrap();
        assert_eq!(eval.healthy, catalog.iter().count() as u64);
        assert!(eval.false_ng.is_empty(), "{:?}", eval.false_ng);
        for (kind, row) in &eval.rows {
            assert_eq!(row.weak_called_ok, 0, "{kind}");
            if *kind != "weak" {
                assert_eq!(
                    row.calls.keys().collect::<Vec<_>>(),
                    [&Call::Right],
                    "{kind}: {row:?}"
                );
            }
        }
        assert!(eval.rows.contains_key("break") && eval.rows.contains_key("short"));
        for (ppm, (boards, called, _)) in &eval.noise {
            assert!(*boards > 0);
            assert_eq!(*called, 0, "{ppm} ppm: healthy chips called dead or weak");
        }
    }

    #[test]
    fn a_finding_on_the_wrong_chip_is_called_so() {
        let catalog = Catalog::builtin().unwrap();
        let profile = catalog.get("s19jpro").unwrap();
        let report = crate::diagnose::simulate_board(profile, &[Fault::Dead(5)], 1, None).unwrap();
        assert_eq!(
            judge(profile, &Fault::Dead(5), &report),
            (Call::Right, false)
        );
        // The same report judged against a fault elsewhere: wrong chip, and chip 5 is a false alarm.
        assert_eq!(
            judge(profile, &Fault::Dead(9), &report),
            (Call::WrongChip, true)
        );
        let healthy = crate::diagnose::simulate_board(profile, &[], 1, None).unwrap();
        assert_eq!(judge(profile, &Fault::Dead(9), &healthy).0, Call::Missed);
    }
}
