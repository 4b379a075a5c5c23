//! `hashbench-dev bench --server URL`: several benches saving runs on one shop server at once, the
//! server optionally killed mid-load and brought back. Every bench takes a board in and saves
//! its run (a real simulated report) as fast as it can; a save the server cannot take goes to
//! that bench's outbox and is sent when the server is back. At the end every run must be on
//! the server exactly once. Prints the save latency (p50, p99) and what was checked.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use anyhow::Context;
use store::{NewTicket, Outbox, OutboxRun, Store, TicketFilter};

/// What the load asks for.
#[derive(Debug, Clone)]
pub struct Load {
    /// An address whose role may create databases; the load runs in a fresh one.
    pub server: String,
    /// Benches at once.
    pub benches: usize,
    /// Runs per bench.
    pub runs: usize,
    /// Kill the server (a shell command) when this share of the runs is saved, and bring it
    /// back (another) 2 s later.
    pub kill: Option<(f64, String, String)>,
}

/// What one bench saw.
#[derive(Debug, Default)]
struct BenchOutcome {
    /// Latency of each save the server took at once (intake + run, one transaction each).
    latencies: Vec<Duration>,
    /// Runs that waited in the outbox.
    outboxed: usize,
}

/// Run the load and print what it measured; an error when a run was lost or saved twice.
pub fn run(load: &Load, report: &diagnosis::Report, out: &mut dyn Write) -> anyhow::Result<()> {
    let address = store::server::scratch_database(&load.server, "load")
        .context("--server: creating the load's database")?;
    drop(Store::connect(&address)?); // the schema, before the benches race for it
    let dir = std::env::temp_dir().join(format!("hashbench-load-{}", std::process::id()));
    std::fs::create_dir_all(&dir).context("the outboxes' folder")?;
    let saved = Arc::new(AtomicU64::new(0));
    let total = load.benches * load.runs;
    let start = Arc::new(Barrier::new(load.benches + 1));
    let began = Instant::now();
    let mut threads = Vec::new();
    for bench in 0..load.benches {
        let (address, start, saved, report) = (
            address.clone(),
            start.clone(),
            saved.clone(),
            report.clone(),
        );
        let outbox = dir.join(format!("outbox-{bench}.db"));
        let runs = load.runs;
        threads.push(
            std::thread::Builder::new()
                .name(format!("load-bench-{bench}"))
                .spawn(move || {
                    start.wait();
                    one_bench(bench, runs, &address, &outbox, &report, &saved)
                })
                .context("starting a bench thread")?,
        );
    }
    start.wait();
    let mut down = None;
    if let Some((share, kill, resume)) = &load.kill {
        #[allow(clippy::cast_precision_loss, clippy::cast_possible_truncation)]
        #[allow(clippy::cast_sign_loss)]
        let at = (total as f64 * share.clamp(0.0, 1.0)) as u64;
        while saved.load(Ordering::Relaxed) < at && threads.iter().any(|t| !t.is_finished()) {
            std::thread::sleep(Duration::from_millis(5));
        }
        let killed = Instant::now();
        let at_kill = saved.load(Ordering::Relaxed);
        shell(kill)?;
        std::thread::sleep(Duration::from_secs(2));
        shell(resume)?;
        down = Some((at_kill, killed.elapsed()));
    }
    let mut outcomes = Vec::new();
    for t in threads {
        outcomes.push(
            t.join()
                .map_err(|_| anyhow::anyhow!("a bench thread panicked"))??,
        );
    }
    let wall = began.elapsed();
    let _ = std::fs::remove_dir_all(&dir);

    // Every run on the server exactly once: each board (its own serial) has one run.
    let shop = Store::connect(&address)?;
    let mut lost = 0;
    let mut twice = 0;
    for bench in 0..load.benches {
        for i in 0..load.runs {
            let runs: usize = match shop.board_history(&serial(bench, i)) {
                Ok(history) => history.tickets.iter().map(|t| t.runs.len()).sum(),
                Err(store::StoreError::NotFound { .. }) => 0,
                Err(e) => return Err(e.into()),
            };
            lost += usize::from(runs == 0);
            twice += runs.saturating_sub(1);
        }
    }
    let tickets = shop.count_tickets(&TicketFilter::default())?;
    let mut latencies: Vec<Duration> = outcomes
        .iter()
        .flat_map(|o| o.latencies.iter().copied())
        .collect();
    latencies.sort_unstable();
    let pct = |p: f64| {
        #[allow(clippy::cast_precision_loss, clippy::cast_possible_truncation)]
        #[allow(clippy::cast_sign_loss)]
        let i = ((latencies.len() as f64 - 1.0) * p).round() as usize;
        latencies.get(i).map_or(f64::NAN, |d| d.as_secs_f64() * 1e3)
    };
    let outboxed: usize = outcomes.iter().map(|o| o.outboxed).sum();
    writeln!(
        out,
        "{} benches x {} runs on {}: {} runs saved in {:.1} s ({} through the outboxes)",
        load.benches,
        load.runs,
        shop.path().display(),
        total - lost,
        wall.as_secs_f64(),
        outboxed
    )?;
    if let Some((at, for_how_long)) = down {
        writeln!(
            out,
            "server killed after {at} of {total} runs and back {:.1} s later",
            for_how_long.as_secs_f64()
        )?;
    }
    writeln!(
        out,
        "save latency (intake + run, {} saves the server took at once): p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        latencies.len(),
        pct(0.5),
        pct(0.99),
        pct(1.0)
    )?;
    writeln!(
        out,
        "lost runs: {lost}, runs saved twice: {twice} ({tickets} tickets for {total} boards)"
    )?;
    anyhow::ensure!(
        lost == 0 && twice == 0,
        "{lost} run(s) lost and {twice} saved twice"
    );
    Ok(())
}

fn customer(bench: usize) -> String {
    format!("load bench {bench:02}")
}

fn serial(bench: usize, run: usize) -> String {
    format!("LOAD{bench:02}-{run:04}")
}

fn shell(command: &str) -> anyhow::Result<()> {
    let status = std::process::Command::new("sh")
        .args(["-c", command])
        .status()
        .with_context(|| format!("running `{command}`"))?;
    anyhow::ensure!(status.success(), "`{command}` failed: {status}");
    Ok(())
}

/// One bench: take a board in and save its run, `runs` times; what the server cannot take
/// waits in the bench's outbox, sent once the server answers again.
fn one_bench(
    bench: usize,
    runs: usize,
    address: &str,
    outbox: &Path,
    report: &diagnosis::Report,
    saved: &AtomicU64,
) -> anyhow::Result<BenchOutcome> {
    let mut outcome = BenchOutcome::default();
    let mut store = Store::connect(address).ok();
    let mut outbox = Outbox::open(outbox)?;
    for i in 0..runs {
        let at = i64::try_from(i).unwrap_or(i64::MAX);
        let mut report = report.clone();
        report.board.serial = Some(serial(bench, i));
        let mut run = OutboxRun {
            ticket: None,
            report,
            retest_chips: None,
            started_at: at,
            ended_at: at + 90,
            operator: customer(bench),
            model: "s19jpro".into(),
        };
        let began = Instant::now();
        let result = match &mut store {
            Some(s) => save(s, &mut run),
            None => Err(store::StoreError::Unreachable {
                path: PathBuf::from(address),
                detail: "not connected".into(),
            }),
        };
        match result {
            Ok(()) => outcome.latencies.push(began.elapsed()),
            Err(e) if e.is_unreachable() => {
                outbox.put(&run)?;
                outcome.outboxed += 1;
                if store.is_none() {
                    store = Store::connect(address).ok();
                }
            }
            Err(e) => return Err(e.into()),
        }
        saved.fetch_add(1, Ordering::Relaxed);
    }
    // Send the outbox, waiting for the server as a bench would (at most a minute).
    let deadline = Instant::now() + Duration::from_secs(60);
    while outbox.waiting()? > 0 {
        let sent = match &mut store {
            Some(s) => outbox.deliver(s).map(|_| ()),
            None => Store::connect(address).map(|s| store = Some(s)),
        };
        match sent {
            Ok(()) => {}
            Err(e) if e.is_unreachable() && Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(250));
            }
            Err(e) => return Err(e.into()),
        }
    }
    Ok(outcome)
}

/// Intake and run, as the window saves a run with no ticket open. A ticket opened before the
/// run's save failed is kept in `run`, so the outbox sends the run to it.
fn save(store: &mut Store, run: &mut OutboxRun) -> Result<(), store::StoreError> {
    let ticket = store.create_ticket_for_run(
        &NewTicket::for_run(&run.report, &run.model, &run.operator, run.started_at),
        &run.record(),
    )?;
    run.ticket = Some(ticket);
    store.save_run(ticket, &run.record())?;
    Ok(())
}
