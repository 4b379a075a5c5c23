//! `hashbench db ...`: moving a bench onto the shop server, and the bench's outbox.

use std::io::Write;
use std::path::Path;

use anyhow::Context;
use store::{Outbox, Store};

use crate::cli::{DbCommand, DbOutboxArgs, DbPushArgs};

/// Run a `db` subcommand; `db` is `--db` (the shop server, for `outbox --send`).
pub fn run(db: Option<&Path>, command: &DbCommand, out: &mut dyn Write) -> anyhow::Result<()> {
    match command {
        DbCommand::Push(args) => push(args, out),
        DbCommand::Outbox(args) => outbox(db, args, out),
    }
}

fn push(args: &DbPushArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    anyhow::ensure!(
        store::is_server_address(&args.to),
        "--to: `{}` is not a shop server's address; give postgres://USER@HOST/DATABASE",
        args.to
    );
    anyhow::ensure!(
        args.from.is_file(),
        "--from: {} is not a file (the bench's hashbench.db)",
        args.from.display()
    );
    let from =
        Store::open(&args.from).with_context(|| format!("--from {}", args.from.display()))?;
    let mut to = Store::connect(&args.to).context("--to")?;
    let pushed = from.push_to(&mut to)?;
    writeln!(
        out,
        "Pushed {} into {}: {}",
        args.from.display(),
        to.path().display(),
        pushed.describe()
    )?;
    Ok(())
}

fn outbox(db: Option<&Path>, args: &DbOutboxArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    let path = args
        .outbox
        .clone()
        .or_else(crate::tickets::default_outbox)
        .context("this system has no data directory for the outbox; give --outbox FILE")?;
    let mut outbox = Outbox::open(&path)?;
    let runs = outbox.runs()?;
    if !args.send {
        writeln!(out, "{} run(s) waiting in {}", runs.len(), path.display())?;
        for (entry, run) in &runs {
            writeln!(
                out,
                "  {entry}: {} {} on {}, {}",
                run.model,
                run.report.board.serial.as_deref().unwrap_or("no serial"),
                run.ticket
                    .map_or_else(|| "a new ticket".to_owned(), |t| format!("ticket {t}")),
                run.report.verdict.name()
            )?;
        }
        return Ok(());
    }
    let db = db.context("--send needs the shop server: give --db postgres://…")?;
    let mut store = crate::tickets::open(Some(db))?;
    let sent = outbox.deliver(&mut store)?;
    writeln!(
        out,
        "Sent {} run(s) to {}; {} left in the outbox",
        sent.len(),
        store.path().display(),
        outbox.waiting()?
    )?;
    for d in &sent {
        writeln!(
            out,
            "  entry {} is run {} of ticket {}",
            d.entry, d.run, d.ticket
        )?;
    }
    Ok(())
}
