//! `hashbench tickets ...` and `hashbench export`: the repair record from the command line.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context;
use boards::Catalog;
use store::{Action, ExportFilter, NewRepair, NewTicket, Status, Store, TicketFilter, TicketSort};

use crate::cli::{ExportArgs, HistoryArgs, ListTicketsArgs, StatsArgs, TicketsCommand};

/// The default repair database: `hashbench.db` in the OS data directory.
#[must_use]
pub fn default_db() -> Option<PathBuf> {
    directories::ProjectDirs::from("org", "Hashbench", "hashbench")
        .map(|d| d.data_dir().join("hashbench.db"))
}

/// The bench's outbox: runs finished while the shop server was away (`outbox.db` in the OS
/// data directory).
#[must_use]
pub fn default_outbox() -> Option<PathBuf> {
    directories::ProjectDirs::from("org", "Hashbench", "hashbench")
        .map(|d| d.data_dir().join("outbox.db"))
}

/// The database at `--db`, or the default one.
pub fn open(db: Option<&Path>) -> anyhow::Result<Store> {
    let path = db
        .map(Path::to_path_buf)
        .or_else(default_db)
        .context("this system has no data directory for the repair database; give --db PATH")?;
    Ok(Store::open(&path)?)
}

/// The login name, for who did what.
#[must_use]
pub fn login_name() -> String {
    std::env::var("USER")
        .or_else(|_| std::env::var("USERNAME"))
        .unwrap_or_default()
}

fn status(word: &str) -> anyhow::Result<Status> {
    Status::parse(word.trim()).map_err(anyhow::Error::msg)
}

fn date(flag: &str, text: Option<&str>, end_of_day: bool) -> anyhow::Result<Option<i64>> {
    text.map(|t| {
        store::time::parse_date(t)
            .map(|day| if end_of_day { day + 86_400 } else { day })
            .map_err(|e| anyhow::anyhow!("--{flag}: {e}"))
    })
    .transpose()
}

/// Run a `tickets` subcommand.
pub fn run(
    catalog: &Catalog,
    db: Option<&Path>,
    command: &TicketsCommand,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    match command {
        TicketsCommand::New(args) => {
            let profile = crate::diagnose::profile(catalog, args.model.trim())
                .map_err(|e| anyhow::anyhow!("--model: {e}"))?;
            if args.serial.trim().is_empty() {
                anyhow::bail!("--serial: the board's serial number is empty");
            }
            let mut store = open(db)?;
            let id = store.create_ticket(&NewTicket {
                serial: Some(args.serial.clone()),
                model: profile.id.clone(),
                board_code: None,
                customer: args.customer.clone(),
                symptom: args.symptom.clone(),
                technician: args.technician.clone().unwrap_or_else(login_name),
                intake_at: store::now(),
            })?;
            writeln!(out, "{id}")?;
        }
        TicketsCommand::List(args) => list(&open(db)?, args, out)?,
        TicketsCommand::Show(args) => {
            let store = open(db)?;
            let ticket = store.ticket(args.ticket)?;
            let runs = store.runs(args.ticket)?;
            let repairs = store.repairs(args.ticket)?;
            let readings = store.readings(args.ticket)?;
            if args.json {
                let readings: Vec<serde_json::Value> = readings
                    .iter()
                    .map(|r| {
                        serde_json::json!({
                            "at": r.at, "chip": r.reading.chip, "domain": r.reading.domain,
                            "point": r.reading.point, "mv": r.reading.mv,
                            "range_mv": r.reading.range_mv, "verdict": r.reading.verdict,
                            "source": r.reading.source, "technician": r.reading.technician,
                        })
                    })
                    .collect();
                let value = serde_json::json!({
                    "ticket": ticket, "runs": runs, "repairs": repairs, "readings": readings
                });
                serde_json::to_writer_pretty(&mut *out, &value)?;
                writeln!(out)?;
            } else {
                write_ticket(out, &ticket, &runs, &repairs)?;
                if !readings.is_empty() {
                    writeln!(out, "Test-point readings:")?;
                    for r in &readings {
                        writeln!(
                            out,
                            "  {} UTC  {}: {}",
                            store::time::format_minute(r.at),
                            r.reading.place(),
                            r.reading.describe()
                        )?;
                    }
                }
            }
        }
        TicketsCommand::Repair(args) => {
            let action = Action::parse(args.action.trim()).map_err(anyhow::Error::msg)?;
            let mut store = open(db)?;
            let ticket = store.ticket(args.ticket)?;
            let uref = match args.chip {
                Some(chip) => {
                    let profile = crate::diagnose::profile(catalog, &ticket.board.model)?;
                    let Some(position) = profile.layout.chips.get(chip) else {
                        anyhow::bail!(
                            "--chip {chip}: a {} has chips 0 to {}",
                            profile.id,
                            profile.layout.chips.len().saturating_sub(1)
                        );
                    };
                    position.uref.clone().unwrap_or_default()
                }
                None => String::new(),
            };
            let id = store.add_repair(
                args.ticket,
                &NewRepair {
                    chip: args.chip,
                    uref,
                    action,
                    part: args.part.clone(),
                    technician: args.technician.clone().unwrap_or_else(login_name),
                    at: store::now(),
                    minutes: args.minutes,
                    notes: args.notes.clone(),
                },
            )?;
            writeln!(out, "{id}")?;
        }
        TicketsCommand::Reading(args) => {
            let point = boards::testpoints::Point::parse(&args.point).ok_or_else(|| {
                anyhow::anyhow!(
                    "--point {}: one of {}",
                    args.point,
                    boards::testpoints::Point::ALL.map(|p| p.name()).join(", ")
                )
            })?;
            let mut store = open(db)?;
            let ticket = store.ticket(args.ticket)?;
            let profile = crate::diagnose::profile(catalog, &ticket.board.model)?;
            let at = match (args.chip, args.domain) {
                (Some(k), _) => store::At::Chip(k),
                (None, Some(d)) => store::At::Domain(d),
                (None, None) => anyhow::bail!("give --chip K or --domain D"),
            };
            let technician = args.technician.clone().unwrap_or_else(login_name);
            let reading = store::NewReading::judged(profile, at, point, args.mv, &technician)
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            store.add_reading(args.ticket, &reading)?;
            writeln!(out, "{}: {}", reading.place(), reading.describe())?;
            if !reading.source.is_empty() {
                writeln!(out, "  range: {}", reading.source)?;
            }
            if let Some(pad) = reading.pad(profile) {
                writeln!(out, "  probe: {}", pad.describe())?;
            }
        }
        TicketsCommand::Status(args) => {
            let status = status(&args.status)?;
            let mut store = open(db)?;
            store.set_required_passes(args.passes);
            store.set_status(args.ticket, status, store::now())?;
            writeln!(out, "ticket {} is {}", args.ticket, status.name())?;
            if status == Status::Done {
                writeln!(out, "{}", store.verification(args.ticket)?.describe())?;
            }
        }
        TicketsCommand::History(args) => history(&open(db)?, args, out)?,
        TicketsCommand::Label(args) => {
            let ticket = open(db)?.ticket(args.ticket)?;
            let pdf = report::label_pdf(&ticket, &crate::report::shop()?, store::now())?;
            crate::report::write_pdf(&args.out, &pdf)?;
            writeln!(
                out,
                "label of ticket {} ({}) written to {}",
                ticket.id,
                report::label_code(&ticket),
                args.out.display()
            )?;
        }
        TicketsCommand::Stats(args) => stats(&open(db)?, catalog, args, out)?,
        TicketsCommand::Capture(args) => {
            let store = open(db)?;
            store.run(args.run)?;
            let text = store.capture(args.run)?.ok_or_else(|| {
                anyhow::anyhow!(
                    "run {} has no capture attached (diagnose with --capture, or \"Attach capture\" in the window)",
                    args.run
                )
            })?;
            if args.out.as_os_str() == "-" {
                out.write_all(text.as_bytes())?;
            } else {
                crate::diagnose::write_text(&args.out, &text)?;
                writeln!(
                    out,
                    "capture of run {} written to {}",
                    args.run,
                    args.out.display()
                )?;
            }
        }
    }
    Ok(())
}

fn list(store: &Store, args: &ListTicketsArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    let filter = TicketFilter {
        text: args.search.clone(),
        status: args.status.as_deref().map(status).transpose()?,
        model: args.model.clone(),
        since: date("since", args.since.as_deref(), false)?,
        until: date("until", args.until.as_deref(), true)?,
        ..TicketFilter::default()
    };
    let tickets = store.list_tickets(&filter, TicketSort::Intake, true, 0, args.limit)?;
    if args.json {
        serde_json::to_writer_pretty(&mut *out, &tickets)?;
        writeln!(out)?;
        return Ok(());
    }
    writeln!(
        out,
        "{:>6}  {:<16}  {:<16}  {:<10}  {:<11}  {:<12}  {:<24}  symptom",
        "ticket", "intake (UTC)", "serial", "model", "status", "last verdict", "customer"
    )?;
    for t in &tickets {
        writeln!(
            out,
            "{:>6}  {:<16}  {:<16}  {:<10}  {:<11}  {:<12}  {:<24}  {}",
            t.id,
            store::time::format_minute(t.intake_at),
            t.board.serial.as_deref().unwrap_or("-"),
            t.board.model,
            t.status.name(),
            t.last_verdict.map_or("-", diagnosis::Verdict::name),
            t.customer,
            t.symptom
        )?;
    }
    Ok(())
}

fn write_ticket(
    out: &mut dyn Write,
    t: &store::Ticket,
    runs: &[store::RunSummary],
    repairs: &[store::Repair],
) -> anyhow::Result<()> {
    writeln!(
        out,
        "Ticket {}: {} {} ({}), {}",
        t.id,
        t.board.model,
        t.board.serial.as_deref().unwrap_or("no serial"),
        t.customer,
        t.status.name()
    )?;
    writeln!(
        out,
        "  taken in {} UTC by {}; symptom: {}",
        store::time::format_minute(t.intake_at),
        t.technician,
        t.symptom
    )?;
    writeln!(
        out,
        "  time spent: {}",
        store::time::format_duration(t.time_spent_s)
    )?;
    if let Some(closed) = t.closed_at {
        writeln!(out, "  closed {} UTC", store::time::format_minute(closed))?;
    }
    if !t.notes.is_empty() {
        writeln!(out, "  notes: {}", t.notes)?;
    }
    writeln!(out, "Runs:")?;
    for r in runs {
        let map: String = r.states.iter().map(|s| s.letter()).collect();
        let what = match &r.retest_chips {
            Some(chips) => format!("retest of {chips:?}"),
            None => "full".to_owned(),
        };
        writeln!(
            out,
            "  run {} {} UTC {} {}{}  {}",
            r.id,
            store::time::format_minute(r.started_at),
            what,
            r.verdict.name(),
            r.aborted
                .as_deref()
                .map(|a| format!(" (aborted: {a})"))
                .unwrap_or_default(),
            map
        )?;
    }
    writeln!(out, "Repairs:")?;
    for a in repairs {
        writeln!(
            out,
            "  {} UTC {} {}{} by {} ({} min) part {}: {}",
            store::time::format_minute(a.at),
            a.action.name(),
            a.chip
                .map(|c| format!("chip {c}"))
                .unwrap_or_else(|| "board".into()),
            if a.uref.is_empty() {
                String::new()
            } else {
                format!(" ({})", a.uref)
            },
            a.technician,
            a.minutes,
            a.part,
            a.notes
        )?;
    }
    Ok(())
}

/// The statistics as text (the most failed positions and domains, five per model), and as
/// PDF with their charts when asked.
fn stats(
    store: &Store,
    catalog: &Catalog,
    args: &StatsArgs,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    // The paper is checked before anything is read or written.
    let paper = report::Paper::parse(&args.paper).map_err(|e| anyhow::anyhow!("--paper: {e}"))?;
    let s = store.stats()?;
    writeln!(out, "tickets: {}", s.tickets)?;
    for c in &s.by_status {
        writeln!(out, "  {}: {}", c.key, c.count)?;
    }
    match s.repair_yield() {
        Some(y) => writeln!(
            out,
            "repair yield: {:.0} % ({} of {} repaired tickets passed their retest)",
            y * 100.0,
            s.repaired_passed,
            s.repaired
        )?,
        None => writeln!(out, "repair yield: - (no retest after a repair yet)")?,
    }
    let duration = |d: Option<i64>| d.map_or("-".into(), store::time::format_duration);
    writeln!(
        out,
        "median time spent: {}; median intake to close: {}",
        duration(s.median_time_spent_s),
        duration(s.median_turnaround_s)
    )?;
    for (what, counts) in [
        ("chip", &s.failures_by_position),
        ("domain", &s.failures_by_domain),
    ] {
        let mut models: Vec<&str> = counts.iter().map(|c| c.key.0.as_str()).collect();
        models.sort_unstable();
        models.dedup();
        for model in models {
            let top: Vec<String> = counts
                .iter()
                .filter(|c| c.key.0 == model)
                .take(5)
                .map(|c| format!("{what} {} ({})", c.key.1, c.count))
                .collect();
            writeln!(out, "{model}: most failed by {what}: {}", top.join(", "))?;
        }
    }
    if let Some(path) = &args.pdf {
        let shop = crate::report::shop()?;
        let pdf = report::stats_pdf(&report::StatsInput {
            shop: &shop,
            stats: &s,
            catalog,
            app_version: env!("CARGO_PKG_VERSION"),
            generated_at: store::now(),
            paper,
        })?;
        crate::report::write_pdf(path, &pdf)?;
        writeln!(out, "statistics written to {}", path.display())?;
    }
    Ok(())
}

fn history(store: &Store, args: &HistoryArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    let history = store.board_history(&args.serial)?;
    if args.json {
        serde_json::to_writer_pretty(&mut *out, &history)?;
        writeln!(out)?;
        return Ok(());
    }
    writeln!(
        out,
        "Board {} ({}), first seen {} UTC, {} ticket(s)",
        args.serial.trim(),
        history.board.model,
        store::time::format_date(history.board.first_seen),
        history.tickets.len()
    )?;
    for repeat in &history.repeats {
        let tickets: Vec<String> = repeat.tickets.iter().map(|t| format!("#{t}")).collect();
        writeln!(
            out,
            "REPEAT: chip {} failed in tickets {}",
            repeat.chip,
            tickets.join(", ")
        )?;
    }
    for t in &history.tickets {
        writeln!(out)?;
        write_ticket(out, &t.ticket, &t.runs, &t.repairs)?;
    }
    Ok(())
}

/// The `export` command.
pub fn export(db: Option<&Path>, args: &ExportArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    let filter = ExportFilter {
        since: date("since", args.since.as_deref(), false)?,
        until: date("until", args.until.as_deref(), true)?,
        status: args.status.as_deref().map(status).transpose()?,
    };
    let store = open(db)?;
    if args.csv.as_os_str() == "-" {
        store.export_csv(&mut *out, &filter)?;
        return Ok(());
    }
    let rows = store.export_csv_file(&args.csv, &filter)?;
    writeln!(out, "{rows} rows written to {}", args.csv.display())?;
    Ok(())
}
