//! `hashbench diagnose`: run the engine against a simulated board (or, from issue 3/8, a jig).

use std::io::Write;
use std::process::ExitCode;

use anyhow::Context;
use boards::{Catalog, Profile};
use diagnosis::report::{ChipState, DomainState, SensorState};
use diagnosis::{Config, Options, Report, Verdict};

use crate::cli::DiagnoseArgs;

/// Exit codes of `diagnose`.
pub const EXIT_PASS: u8 = 0;
/// The board needs repair.
pub const EXIT_FAIL: u8 = 1;
/// Nothing wrong found, but not everything proven.
pub const EXIT_INCONCLUSIVE: u8 = 2;
/// The diagnosis could not run (bad arguments, no jig, aborted).
pub const EXIT_COULD_NOT_RUN: u8 = 3;

/// A diagnosis that could not start; the CLI exits with [`EXIT_COULD_NOT_RUN`].
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct CouldNotRun(pub String);

/// Look up a profile id with a message that lists the known ones.
pub fn profile<'c>(catalog: &'c Catalog, id: &str) -> Result<&'c Profile, CouldNotRun> {
    catalog.get(id).ok_or_else(|| {
        CouldNotRun(format!(
            "unknown board profile `{id}`; known: {}",
            catalog.ids()
        ))
    })
}

/// Parse fault specs for `profile`.
pub fn faults(profile: &Profile, specs: &[String]) -> Result<Vec<sim::Fault>, CouldNotRun> {
    specs
        .iter()
        .map(|spec| sim::Fault::parse(spec, profile))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| CouldNotRun(e.to_string()))
}

/// Diagnose a simulated `profile` board with `faults`, for `seed`, at `baud`.
pub fn simulate_board(
    profile: &Profile,
    faults: &[sim::Fault],
    seed: u64,
    baud: Option<u32>,
) -> Result<Report, CouldNotRun> {
    simulate_with(profile, faults, seed, baud, false, Procedures::default())
}

/// What the simulated board knows after a run and the engine never sees: what `eval` holds
/// the report against.
#[derive(Debug, Clone, PartialEq)]
pub struct SimTruth {
    /// The address each chip held the last time the chain held any
    /// (`sim::Board::addresses_last_held`).
    pub addresses: Vec<Option<u8>>,
    /// Per chip, the share of the jobs the chain took that reached it whole
    /// (`sim::Board::work_reaching`).
    pub work_reaching: Vec<f64>,
}

/// [`simulate_board`], and what the simulated board knows of the run ([`SimTruth`]).
pub fn simulate_board_and_truth(
    profile: &Profile,
    faults: &[sim::Fault],
    seed: u64,
) -> Result<(Report, SimTruth), CouldNotRun> {
    let (report, mut jig) =
        run_simulated(profile, faults, seed, None, false, Procedures::default())?;
    let addresses = jig.transport().hardware().board().addresses_last_held();
    let work_reaching = jig.transport().hardware().board().work_reaching();
    let truth = SimTruth {
        addresses,
        work_reaching,
    };
    Ok((report, truth))
}

/// The longer procedures a run adds after the pattern test: the frequency ladder (percent of
/// the profile's clock), a soak and an aging test (jig seconds).
#[derive(Debug, Clone, Default)]
pub struct Procedures {
    /// `--ladder`.
    pub ladder: Option<Vec<f64>>,
    /// `--ladder-mv`.
    pub ladder_mv: Option<Vec<u32>>,
    /// `--soak`.
    pub soak_s: Option<u64>,
    /// `--aging`.
    pub aging_s: Option<u64>,
}

impl Procedures {
    /// The procedures `args` ask for, each checked.
    fn of(args: &DiagnoseArgs) -> Result<Self, CouldNotRun> {
        let aging_s = match args.aging {
            Some(0) => {
                return Err(CouldNotRun(
                    "--aging 0: an aging test needs at least one minute (or leave --aging out)"
                        .into(),
                ));
            }
            minutes => minutes.map(|m| u64::from(m) * 60),
        };
        if let Some(bad) = args
            .ladder_mv
            .iter()
            .flatten()
            .find(|mv| !(11_800..=15_000).contains(*mv))
        {
            return Err(CouldNotRun(format!(
                "--ladder-mv {bad}: a supply step is between 11800 and 15000 mV (the APW12's range)"
            )));
        }
        Ok(Self {
            ladder: ladder_steps(args)?,
            ladder_mv: args.ladder_mv.clone(),
            soak_s: soak_seconds(args)?,
            aging_s,
        })
    }
}

/// `--ladder PCTS`, each a sane share of the profile's clock.
fn ladder_steps(args: &DiagnoseArgs) -> Result<Option<Vec<f64>>, CouldNotRun> {
    let Some(steps) = &args.ladder else {
        return Ok(None);
    };
    if let Some(bad) = steps.iter().find(|p| !(50.0..=150.0).contains(*p)) {
        return Err(CouldNotRun(format!(
            "--ladder {bad}: a step is a percentage of the profile's hash clock between 50 and 150"
        )));
    }
    Ok(Some(steps.clone()))
}

/// `--soak MINUTES` as jig seconds.
fn soak_seconds(args: &DiagnoseArgs) -> Result<Option<u64>, CouldNotRun> {
    match args.soak {
        Some(0) => Err(CouldNotRun(
            "--soak 0: a soak needs at least one minute (or leave --soak out)".into(),
        )),
        minutes => Ok(minutes.map(|m| u64::from(m) * 60)),
    }
}

/// [`simulate_board`], keeping the chain traffic in the report when `capture`.
pub fn simulate_with(
    profile: &Profile,
    faults: &[sim::Fault],
    seed: u64,
    baud: Option<u32>,
    capture: bool,
    procedures: Procedures,
) -> Result<Report, CouldNotRun> {
    run_simulated(profile, faults, seed, baud, capture, procedures).map(|(report, _)| report)
}

fn run_simulated(
    profile: &Profile,
    faults: &[sim::Fault],
    seed: u64,
    baud: Option<u32>,
    capture: bool,
    procedures: Procedures,
) -> Result<(Report, sim::SimJig), CouldNotRun> {
    let mut jig = sim::simulated(profile, faults, seed)
        .map_err(|e| CouldNotRun(format!("simulated jig: {e}")))?;
    let options = Options {
        baud,
        config: Config::default(),
        app_version: env!("CARGO_PKG_VERSION").to_owned(),
        seed: Some(seed),
        capture,
        soak_s: procedures.soak_s,
        ladder: procedures.ladder,
        ladder_mv: procedures.ladder_mv,
        aging_s: procedures.aging_s,
        ..Options::default()
    };
    let report = diagnosis::run(&mut jig, profile, &options, &mut |_| {}, &|| false);
    Ok((report, jig))
}

/// Run a simulated diagnosis as asked by `args`.
pub fn simulate(catalog: &Catalog, args: &DiagnoseArgs, id: &str) -> Result<Report, CouldNotRun> {
    let profile = profile(catalog, id)?;
    simulate_with(
        profile,
        &faults(profile, &args.fault)?,
        args.seed,
        args.baud,
        args.capture.is_some(),
        Procedures::of(args)?,
    )
}

/// The run's capture as JSON lines (`diagnosis::capture`).
#[must_use]
pub fn capture_text(profile: &Profile, report: &Report) -> String {
    let header = diagnosis::capture::CaptureHeader {
        capture: diagnosis::capture::FORMAT,
        family: profile.family.value.name().to_owned(),
        profile: profile.id.clone(),
        app_version: env!("CARGO_PKG_VERSION").to_owned(),
    };
    diagnosis::capture::to_json_lines(&header, &report.capture)
}

/// Write `text` to `path` through a partial file renamed into place.
pub fn write_text(path: &std::path::Path, text: &str) -> anyhow::Result<()> {
    let mut partial = path.as_os_str().to_owned();
    partial.push(".partial");
    let partial = std::path::PathBuf::from(partial);
    std::fs::write(&partial, text).with_context(|| format!("writing {}", partial.display()))?;
    std::fs::rename(&partial, path)
        .with_context(|| format!("moving {} into place", partial.display()))
}

/// The exit code for a report.
#[must_use]
pub fn exit_code(report: &Report) -> u8 {
    if report.aborted.is_some() {
        return EXIT_COULD_NOT_RUN;
    }
    match report.verdict {
        Verdict::Pass => EXIT_PASS,
        Verdict::Fail => EXIT_FAIL,
        Verdict::Inconclusive => EXIT_INCONCLUSIVE,
    }
}

/// How long the jig may take to answer any request.
const JIG_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(3);

/// Connect to the jig at `path`: open the port and shake hands.
pub fn connect(path: &str) -> Result<link::Client<link::SerialTransport>, CouldNotRun> {
    let transport = link::SerialTransport::open(path)
        .map_err(|e| CouldNotRun(format!("cannot open the jig port: {e}")))?;
    link::Client::connect(transport, JIG_TIMEOUT)
        .map_err(|e| CouldNotRun(format!("{path} does not answer as a Hashbench jig: {e}")))
}

/// The profile of the board on `jig`: `--model`, or what its EEPROM says.
pub fn board_profile<'c>(
    catalog: &'c Catalog,
    jig: &mut dyn diagnosis::Jig,
    model: Option<&str>,
) -> Result<&'c Profile, CouldNotRun> {
    if let Some(id) = model {
        return profile(catalog, id);
    }
    let failed = |e: diagnosis::JigError| CouldNotRun(format!("reading the board EEPROM: {e}"));
    jig.set_power(true).map_err(failed)?;
    let bytes = diagnosis::identity::read_image(jig);
    jig.set_power(false).map_err(failed)?;
    let identity = diagnosis::identity::parse_eeprom(&bytes.map_err(failed)?);
    match diagnosis::identity::candidates(&identity, catalog)[..] {
        [p] => Ok(p),
        [] => Err(CouldNotRun(format!(
            "the board's EEPROM does not say which board it is ({}); give --model <profile>",
            identity.layout.as_deref().unwrap_or("no layout")
        ))),
        ref several => Err(CouldNotRun(format!(
            "the board's EEPROM names chip family {} ({}), which several profiles have: give --model with one of {}",
            identity.family.as_deref().unwrap_or("?"),
            identity.layout.as_deref().unwrap_or("no layout"),
            several
                .iter()
                .map(|p| p.id.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ))),
    }
}

/// Diagnose the board on the jig at `path`.
pub fn on_port<'c>(
    catalog: &'c Catalog,
    args: &DiagnoseArgs,
    path: &str,
) -> Result<(Report, &'c Profile), CouldNotRun> {
    let mut jig = connect(path)?;
    let profile = board_profile(catalog, &mut jig, args.model.as_deref())?;
    let procedures = Procedures::of(args)?;
    let options = Options {
        baud: args.baud,
        config: Config::default(),
        app_version: env!("CARGO_PKG_VERSION").to_owned(),
        seed: None,
        capture: args.capture.is_some(),
        soak_s: procedures.soak_s,
        ladder: procedures.ladder,
        ladder_mv: procedures.ladder_mv,
        aging_s: procedures.aging_s,
        ..Options::default()
    };
    Ok((
        diagnosis::run(&mut jig, profile, &options, &mut |_| {}, &|| false),
        profile,
    ))
}

/// The `diagnose` command.
pub fn run(
    catalog: &Catalog,
    db: Option<&std::path::Path>,
    args: &DiagnoseArgs,
    out: &mut dyn Write,
) -> anyhow::Result<ExitCode> {
    // Open the record first: a run that cannot be saved should not start.
    let mut store = crate::tickets::open(db).map_err(|e| CouldNotRun(format!("{e:#}")))?;
    if let Some(ticket) = args.ticket {
        store
            .ticket(ticket)
            .map_err(|e| CouldNotRun(format!("--ticket: {e}")))?;
    }
    let paper =
        report::Paper::parse(&args.paper).map_err(|e| CouldNotRun(format!("--paper: {e}")))?;
    let shop = match &args.report {
        Some(_) => Some(crate::report::shop().map_err(|e| CouldNotRun(format!("{e:#}")))?),
        None => None,
    };
    let started_at = store::now();
    let (mut report, profile) = match (&args.sim, &args.port) {
        (Some(id), _) => (simulate(catalog, args, id)?, profile(catalog, id)?),
        (None, Some(path)) => on_port(catalog, args, path)?,
        (None, None) => {
            return Err(CouldNotRun(
                "say which board to diagnose: --sim <profile> or --port <path>".into(),
            )
            .into());
        }
    };
    report.provenance.run_id = store::run_id();
    tracing::info!(
        model = %profile.id,
        verdict = report.verdict.name(),
        chips_found = report.chips_found,
        chips_expected = report.chips_expected,
        simulated = args.sim.is_some(),
        "diagnosis"
    );
    let mut opened = None;
    // The run as it is saved, or kept in the outbox: one record, so a save whose answer the
    // server lost and the same run sent from the outbox later are one run there.
    let kept = store::OutboxRun {
        ticket: args.ticket,
        report: report.clone(),
        retest_chips: None,
        started_at,
        ended_at: store::now(),
        operator: args
            .operator
            .clone()
            .unwrap_or_else(crate::tickets::login_name),
        model: profile.id.clone(),
    };
    let saved = save(&mut store, &kept, &mut opened);
    match &saved {
        Ok((ticket, run)) => tracing::info!(ticket, run, "run saved"),
        Err(e) => tracing::warn!(error = %e, "run not saved"),
    }
    if let Some(path) = &args.capture {
        // The capture goes to the file and, with the run, to the ticket.
        let text = capture_text(profile, &report);
        if let Ok((_, run)) = &saved {
            store
                .attach_capture(*run, &text)
                .map_err(|e| CouldNotRun(format!("--capture: attaching to run {run}: {e}")))?;
        }
        write_text(path, &text).map_err(|e| CouldNotRun(format!("--capture: {e:#}")))?;
    }
    if args.json {
        serde_json::to_writer(&mut *out, &report).context("writing JSON")?;
        writeln!(out).context("writing JSON")?;
    } else {
        write!(out, "{}", summary(profile, &report)).context("writing the summary")?;
    }
    if let Err(e) = &saved
        && e.is_unreachable()
    {
        // The shop server went away during the run: the run waits in this bench's outbox.
        tracing::warn!(error = %e, "shop server unreachable: run kept in the outbox");
        let (entry, path) = keep_in_outbox(opened, &kept).map_err(|k| {
            CouldNotRun(format!(
                "the diagnosis finished ({}) but the shop server could not be reached ({e}) and the outbox could not keep it: {k:#}",
                report.verdict.name()
            ))
        })?;
        if !args.json {
            writeln!(
                out,
                "The shop server could not be reached ({e}): the run is kept in this bench's outbox ({}, entry {entry}); `hashbench db outbox --send --db {}` sends it",
                path.display(),
                store.path().display()
            )
            .context("writing the summary")?;
        }
        return Ok(ExitCode::from(exit_code(&report)));
    }
    let (ticket, run) = saved.map_err(|e| {
        CouldNotRun(format!(
            "the diagnosis finished ({}) but could not be saved: {e}",
            report.verdict.name()
        ))
    })?;
    if !args.json {
        writeln!(
            out,
            "Saved as run {run} of ticket {ticket} in {}",
            store.path().display()
        )
        .context("writing the summary")?;
    }
    if let (Some(path), Some(shop)) = (&args.report, &shop) {
        let written = report::ticket_pdf(
            &store,
            catalog,
            ticket,
            Some(run),
            paper,
            shop,
            store::now(),
        )
        .map_err(anyhow::Error::from)
        .and_then(|pdf| crate::report::write_pdf(path, &pdf));
        if let Err(e) = written {
            return Err(CouldNotRun(format!(
                "the diagnosis finished ({}) and was saved as run {run} of ticket {ticket}, but the report could not be written: {e:#}",
                report.verdict.name()
            ))
            .into());
        }
        if !args.json {
            writeln!(out, "Report written to {}", path.display()).context("writing the summary")?;
        }
    }
    Ok(ExitCode::from(exit_code(&report)))
}

/// Keep `run` in this bench's outbox (the shop server is away), for `ticket` when one was
/// opened before the server went; its entry and the file.
fn keep_in_outbox(
    ticket: Option<i64>,
    run: &store::OutboxRun,
) -> anyhow::Result<(i64, std::path::PathBuf)> {
    let path = crate::tickets::default_outbox()
        .context("this system has no data directory for the outbox")?;
    let mut outbox = store::Outbox::open(&path)?;
    let entry = outbox.put(&store::OutboxRun {
        ticket,
        ..run.clone()
    })?;
    Ok((entry, path))
}

/// Save `run` against its ticket (`--ticket`), or a new ticket for the board (serial from its
/// EEPROM); the ticket is in `opened` as soon as it is.
fn save(
    store: &mut store::Store,
    run: &store::OutboxRun,
    opened: &mut Option<i64>,
) -> Result<(i64, i64), store::StoreError> {
    let ticket = match run.ticket {
        Some(ticket) => ticket,
        None => store.create_ticket_for_run(
            &store::NewTicket::for_run(&run.report, &run.model, &run.operator, run.started_at),
            &run.record(),
        )?,
    };
    *opened = Some(ticket);
    let saved = store.save_run(ticket, &run.record())?;
    Ok((ticket, saved))
}

/// The board map as text: one cell per chip at its place on the PCB, a letter for its state,
/// `*` after a suspect.
#[must_use]
pub fn board_map(profile: &Profile, report: &Report) -> String {
    let rows = usize::from(profile.layout.rows);
    let cols = usize::from(profile.layout.cols);
    let mut grid = vec![vec!["   ".to_owned(); cols]; rows];
    let suspects: Vec<usize> = report
        .findings
        .iter()
        .flat_map(|f| f.suspects.iter().copied())
        .collect();
    for (pos, chip) in profile.layout.chips.iter().zip(&report.chips) {
        let mark = if suspects.contains(&chip.index) {
            '*'
        } else {
            ' '
        };
        if let Some(cell) = grid
            .get_mut(usize::from(pos.row))
            .and_then(|r| r.get_mut(usize::from(pos.col)))
        {
            *cell = format!(" {}{mark}", chip.state.letter());
        }
    }
    let mut text = String::new();
    for row in grid {
        text.push_str("   ");
        text.push_str(row.concat().trim_end());
        text.push('\n');
    }
    text
}

/// A chip and where to find it on the board.
fn position(profile: &Profile, chip: usize) -> String {
    match profile.layout.chips.get(chip) {
        Some(p) => {
            let uref = p
                .uref
                .as_deref()
                .map(|u| format!("{u}, "))
                .unwrap_or_default();
            format!(
                "chip {chip} ({uref}row {}, column {}, domain {})",
                p.row + 1,
                p.col + 1,
                p.domain
            )
        }
        None => format!("chip {chip}"),
    }
}

fn count(report: &Report, state: ChipState) -> usize {
    report.chips.iter().filter(|c| c.state == state).count()
}

/// The human-readable summary.
#[must_use]
pub fn summary(profile: &Profile, report: &Report) -> String {
    let mut s = String::new();
    let verdict = match report.verdict {
        Verdict::Pass => "PASS",
        Verdict::Fail => "FAIL",
        Verdict::Inconclusive => "INCONCLUSIVE",
    };
    s += &format!(
        "{} ({}, {})\n",
        profile.name,
        report.model,
        report.chip_family.to_uppercase()
    );
    s += &format!(
        "Verdict: {verdict}   chips found {} of {}   pattern test at {} baud\n",
        report.chips_found, report.chips_expected, report.timing.baud
    );
    if let Some(why) = &report.aborted {
        s += &format!("The run stopped early: {why}\n");
    }
    let tally: Vec<String> = ChipState::ALL
        .iter()
        .filter(|&&st| count(report, st) > 0)
        .map(|&st| format!("{} {}", count(report, st), format!("{st:?}").to_lowercase()))
        .collect();
    s += &format!("Chips: {}\n\n", tally.join(", "));
    s += &format!(
        "Board map{} (o ok, w weak, D dead, M missing, H hw errors, ? inconclusive, . untested, * suspect):\n",
        if profile.layout.generic {
            ", generic layout: real chip positions unknown"
        } else {
            ""
        }
    );
    s += &board_map(profile, report);
    s += "\n";
    if report.findings.is_empty() {
        s += "Findings: none\n";
    } else {
        s += "Findings:\n";
        for (n, f) in report.findings.iter().enumerate() {
            s += &format!(
                "{:>3}. [{}] {}\n",
                n + 1,
                serde_json::to_value(f.kind)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap_or_default(),
                f.message
            );
            if !f.suspects.is_empty() {
                let list: Vec<String> = f.suspects.iter().map(|&c| position(profile, c)).collect();
                s += &format!("     probe first: {}\n", list.join("; "));
            }
            s += &format!("     what to do: {}\n", f.hint);
        }
    }
    let tested: Vec<&diagnosis::report::ChipResult> =
        report.chips.iter().filter(|c| c.patterns > 0).collect();
    if let (Some(lo), Some(hi)) = (
        tested.iter().map(|c| c.patterns).min(),
        tested.iter().map(|c| c.patterns).max(),
    ) {
        let cores_lo = tested.iter().map(|c| c.cores_tested).min().unwrap_or(0);
        let cores_hi = tested.iter().map(|c| c.cores_tested).max().unwrap_or(0);
        s += &format!(
            "\nPattern coverage: {lo}-{hi} patterns per chip, {cores_lo}-{cores_hi} distinct cores of {} exercised\n",
            profile.params.cores.min(128)
        );
    }
    if report.wrong_chip_nonces > 0 {
        s += &format!(
            "Note: {} valid nonces came from outside every chip's slice: the nonce attribution rule for {} may not fit this board\n",
            report.wrong_chip_nonces,
            report.chip_family.to_uppercase()
        );
    }
    let off: Vec<String> = report
        .domains
        .iter()
        .filter(|d| d.state != DomainState::Ok)
        .map(|d| format!("domain {} {} mV ({:?})", d.index, d.voltage_mv, d.state))
        .collect();
    let (lo, hi) = report.domains.iter().fold((u32::MAX, 0), |(lo, hi), d| {
        (lo.min(d.voltage_mv), hi.max(d.voltage_mv))
    });
    s += &format!(
        "\nDomains: {} of {} in band ({lo}-{hi} mV measured){}\n",
        report
            .domains
            .iter()
            .filter(|d| d.state == DomainState::Ok)
            .count(),
        report.domains.len(),
        if off.is_empty() {
            String::new()
        } else {
            format!("; {}", off.join("; "))
        }
    );
    let sensors: Vec<String> = report
        .sensors
        .iter()
        .map(|x| match (x.state, x.temp_c) {
            (SensorState::Ok, Some(t)) => format!("{} {t:.1} °C", x.name),
            (state, _) => format!("{} {}", x.name, format!("{state:?}").to_lowercase()),
        })
        .collect();
    s += &format!(
        "Sensors: {}\n",
        if sensors.is_empty() {
            "none".to_owned()
        } else {
            sensors.join(", ")
        }
    );
    if let Some(soak) = &report.soak {
        s += &format!("Soak: {}\n", soak.describe());
    }
    if let Some(aging) = &report.aging {
        s += &format!("Aging: {}\n", aging.describe());
    }
    s += &format!(
        "Timing: {:.2} s on the jig clock, {} bytes on the chain link; pattern test {:.3} s, wire bound {:.3} s\n",
        report.timing.duration_s,
        report.timing.wire_bytes,
        report.timing.pattern_test_s,
        report.timing.wire_bound_s
    );
    let p = &report.provenance;
    s += &format!(
        "Provenance: hashbench {}, jig {}, profile {}, pattern set {}…{}\n",
        p.app_version,
        p.jig_firmware,
        p.profile,
        p.pattern_set.get(..12).unwrap_or_default(),
        p.seed
            .map(|seed| format!(", seed {seed}"))
            .unwrap_or_default()
    );
    s
}
