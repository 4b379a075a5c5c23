//! Hashbench, the application: the workbench window (no command) and the command line, on top of
//! the workspace crates.
//!
//! Owns: argument parsing, reading the user's files and config directory, and rendering results
//! as text or JSON. Does not: implement protocol, board or diagnosis logic (those live in the
//! pure crates below it); every command here is a thin adapter that reads input, calls a crate and
//! writes output.

pub mod cli;
pub mod db;
pub mod decode;
pub mod diagnose;
pub mod eeprom;
pub mod flash;
pub mod halve;
pub mod hex;
pub mod logging;
pub mod profiles;
pub mod report;
pub mod serve;
pub mod tickets;

use std::io::Write;
use std::process::ExitCode;

/// Exit code for a command that could not run because its input was bad (arguments, files).
pub const EXIT_BAD_INPUT: u8 = 2;

/// The exit code for a failed command: `diagnose` reserves 2 for "inconclusive" and says 3 when
/// it could not run; every other command exits 2 on bad input.
#[must_use]
pub fn exit_code_for(error: &anyhow::Error, command: Option<&str>) -> u8 {
    if error.downcast_ref::<diagnose::CouldNotRun>().is_some() || command == Some("diagnose") {
        diagnose::EXIT_COULD_NOT_RUN
    } else {
        EXIT_BAD_INPUT
    }
}

/// Run one command, writing its output to `out`.
pub fn run(cli: cli::Cli, out: &mut dyn Write) -> anyhow::Result<ExitCode> {
    let _log = logging::start(logging::logs_dir().as_deref());
    tracing::info!(
        version = env!("CARGO_PKG_VERSION"),
        command = cli.command.as_ref().map_or("window", cli::Command::name),
        "start"
    );
    let catalog = || profiles::load_catalog(cli.profiles_dir.as_deref());
    match cli.command {
        Some(cli::Command::Decode(args)) => decode::run(&args, out)?,
        Some(cli::Command::Profiles(args)) => profiles::run(&catalog()?, &args, out)?,
        Some(cli::Command::Diagnose(args)) => {
            return diagnose::run(&catalog()?, cli.db.as_deref(), &args, out);
        }
        Some(cli::Command::Halve(args)) => {
            let stdin = std::io::stdin();
            halve::run(
                &catalog()?,
                cli.db.as_deref(),
                &args,
                &mut stdin.lock(),
                out,
            )?;
        }
        Some(cli::Command::Tickets(command)) => {
            tickets::run(&catalog()?, cli.db.as_deref(), &command, out)?;
        }
        Some(cli::Command::Export(args)) => tickets::export(cli.db.as_deref(), &args, out)?,
        Some(cli::Command::Db(command)) => db::run(cli.db.as_deref(), &command, out)?,
        Some(cli::Command::SupportBundle(args)) => {
            support_bundle(cli.db.as_deref(), cli.profiles_dir.as_deref(), &args, out)?;
        }
        Some(cli::Command::Flash(args)) => flash::run(&args, out)?,
        Some(cli::Command::Report(args)) => {
            report::run(&catalog()?, cli.db.as_deref(), &args, out)?;
        }
        Some(cli::Command::Sim(args)) => serve::run(&catalog()?, &args, out)?,
        Some(cli::Command::Ports(args)) => serve::ports(&args, out)?,
        Some(cli::Command::Eeprom(command)) => {
            eeprom::run(&catalog()?, cli.db.as_deref(), &command, out)?;
        }
        Some(cli::Command::Jig(cli::JigCommand::Calibrate(args))) => serve::calibrate(&args, out)?,
        Some(cli::Command::Jig(cli::JigCommand::Supply(args))) => serve::supply(&args, out)?,
        Some(cli::Command::Jig(cli::JigCommand::Core(args))) => serve::core(&args, out)?,
        None => {
            let settings = cli.demo.then(|| ui::Settings {
                model: cli.model.clone().unwrap_or_else(|| "s19jpro".to_owned()),
                faults: cli.fault.join(" "),
                source: ui::Source::Simulated,
                ladder: cli.ladder,
                aging: cli.aging.is_some(),
                aging_minutes: cli.aging.unwrap_or(30),
                ..ui::Settings::default()
            });
            if let Some(s) = &settings {
                let catalog = catalog()?;
                let profile = diagnose::profile(&catalog, &s.model)?;
                diagnose::faults(profile, &cli.fault)?;
            }
            let places = ui::Places {
                db: cli.db.clone(),
                bench_file: tickets::default_db(),
                outbox: tickets::default_outbox(),
                logs: logging::logs_dir(),
            };
            let shop = report::shop()?;
            ui::run(settings, cli.run, places, shop)
                .map_err(|e| anyhow::anyhow!("the workbench window could not open: {e}"))?;
            let _ = out;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `hashbench support-bundle`: versions, where the records are, the logs, and a ticket only
/// when asked for (`--ticket`: customer data).
fn support_bundle(
    db: Option<&std::path::Path>,
    profiles_dir: Option<&std::path::Path>,
    args: &cli::SupportBundleArgs,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    let ticket_json = match args.ticket {
        Some(id) => {
            let store = tickets::open(db)?;
            let ticket = store.ticket(id)?;
            Some(serde_json::to_string_pretty(&serde_json::json!({
                "ticket": ticket,
                "runs": store.runs(id)?,
                "repairs": store.repairs(id)?,
            }))?)
        }
        None => None,
    };
    let place = |p: Option<&std::path::Path>| p.map(|p| p.display().to_string());
    let db_shown = place(db).map(|d| {
        // A server's address without its password.
        match d
            .split_once("://")
            .and_then(|(s, r)| r.split_once('@').map(|(l, h)| (s, l, h)))
        {
            Some((scheme, login, host)) => {
                format!(
                    "{scheme}://{}@{host}",
                    login.split(':').next().unwrap_or("")
                )
            }
            None => d,
        }
    });
    let bundle = ui::support::Bundle {
        versions: ui::support::base_versions(),
        settings_json: serde_json::to_string_pretty(&serde_json::json!({
            "db": db_shown,
            "profiles_dir": place(profiles_dir),
        }))?,
        logs: logging::logs_dir(),
        capture: match &args.capture {
            Some(path) => Some(
                std::fs::read_to_string(path)
                    .map_err(|e| anyhow::anyhow!("--capture {}: {e}", path.display()))?,
            ),
            None => None,
        },
        ticket_json,
    };
    let names = ui::support::write(&args.out, &bundle).map_err(anyhow::Error::msg)?;
    tracing::info!(
        files = names.len(),
        ticket = args.ticket.is_some(),
        "support bundle"
    );
    writeln!(out, "support bundle written to {}:", args.out.display())?;
    for name in names {
        writeln!(out, "  {name}")?;
    }
    Ok(())
}
