//! `hashbench-dev bench`: the performance goals, measured in one run and printed against their
//! bounds. Run it from a release build (`cargo run --release -p hashbench-dev -- bench`).

use std::collections::HashMap;
use std::io::Write;
use std::time::Instant;

use anyhow::Context;
use bm13xx::framer::{Event, Framer};
use bm13xx::{Family, Reply};
use boards::Catalog;
use patterns::{ChainSetup, HeaderSet, NonceVerdict, PatternPool, SliceRule};

use crate::cli::BenchArgs;

mod load;

/// One measured goal.
#[derive(Debug, Clone, PartialEq)]
pub struct Measure {
    /// What is measured.
    pub goal: String,
    /// The measurement.
    pub value: f64,
    /// The bound it must stay under.
    pub bound: f64,
    /// Unit of both.
    pub unit: &'static str,
}

impl Measure {
    /// value / bound: at most 1 meets the goal.
    #[must_use]
    pub fn ratio(&self) -> f64 {
        self.value / self.bound
    }
}

fn simulated(catalog: &Catalog, id: &str, baud: Option<u32>) -> anyhow::Result<diagnosis::Report> {
    let profile = catalog.get(id).with_context(|| format!("profile {id}"))?;
    Ok(hashbench::diagnose::simulate_board(profile, &[], 1, baud)?)
}

/// Time-to-verdict of the pattern test against its wire bound, on a healthy S19j Pro.
pub fn pattern_test_ratio(catalog: &Catalog, baud: u32) -> anyhow::Result<Measure> {
    let report = simulated(catalog, "s19jpro", Some(baud))?;
    let t = &report.timing;
    Ok(Measure {
        goal: format!(
            "S19j Pro pattern test {:.3} s / wire bound {:.3} s at {baud} baud",
            t.pattern_test_s, t.wire_bound_s
        ),
        value: t.pattern_test_s / t.wire_bound_s.max(f64::MIN_POSITIVE),
        bound: 1.5,
        unit: "x",
    })
}

/// Jig seconds of the PLL walk from `from` to `to` MHz at the engine's pace (6.25 MHz steps,
/// `pll_step_ms` after each, as ESP-Miner ramps).
fn ramp_s(config: &diagnosis::Config, from: f64, to: f64) -> f64 {
    bm13xx::pll::ramp(from, to).count() as f64 * config.pll_step_ms as f64 / 1000.0
}

/// Time-to-verdict of the three procedures on a healthy S19j Pro (jig clock) against their
/// physical bound: power settle and reset, the PLL ramps, the wire time of every pattern test
/// and, for the field procedure, the time the board took to warm. Quick: the diagnosis; full:
/// with the frequency ladder (85 %, 110 %); field: with a soak.
pub fn procedure_times(catalog: &Catalog) -> anyhow::Result<Vec<Measure>> {
    let profile = catalog.get("s19jpro").context("profile s19jpro")?;
    let config = diagnosis::Config::default();
    let nominal = profile.frequency_mhz.value;
    let settle_s =
        (config.power_settle_ms + config.reset_low_ms + config.reset_wait_ms) as f64 / 1000.0;
    let base_ramp = ramp_s(&config, config.pll_reset_mhz, nominal);
    let run = |soak_s: Option<u64>, ladder: Option<Vec<f64>>| {
        let procedures = hashbench::diagnose::Procedures {
            ladder,
            ladder_mv: None,
            soak_s,
            aging_s: None,
        };
        hashbench::diagnose::simulate_with(profile, &[], 1, None, false, procedures)
    };
    let quick = run(None, None)?;
    let wire = quick.timing.wire_bound_s;
    let full = run(None, Some(vec![85.0, 110.0]))?;
    let (low, high) = (nominal * 0.85, nominal * 1.10);
    let ladder_ramps =
        ramp_s(&config, nominal, low) + ramp_s(&config, low, high) + ramp_s(&config, high, nominal);
    let field = run(Some(600), None)?;
    let soaked = field.soak.map_or(0.0, |s| s.seconds);
    let measure = |name: &str, report: &diagnosis::Report, bound: f64| Measure {
        goal: format!(
            "{name}: {:.1} s on the jig clock / physical bound {bound:.1} s",
            report.timing.duration_s
        ),
        value: report.timing.duration_s / bound.max(f64::MIN_POSITIVE),
        bound: 1.5,
        unit: "x",
    };
    Ok(vec![
        measure(
            "Quick (S19j Pro diagnosis)",
            &quick,
            settle_s + base_ramp + wire,
        ),
        measure(
            "Full (with the 85/110 % ladder)",
            &full,
            settle_s + base_ramp + ladder_ramps + 3.0 * wire,
        ),
        measure(
            "Field (with a soak to 60 °C)",
            &field,
            settle_s + base_ramp + soaked + 2.0 * wire,
        ),
    ])
}

/// Real time of a simulated diagnosis of a 126-chip board (best of `runs`).
pub fn diagnose_wall_time(catalog: &Catalog, runs: usize) -> anyhow::Result<Measure> {
    let mut best = f64::INFINITY;
    for _ in 0..runs.max(1) {
        let start = Instant::now();
        simulated(catalog, "s19jpro", None)?;
        best = best.min(start.elapsed().as_secs_f64());
    }
    Ok(Measure {
        goal: "diagnose --sim s19jpro, real time".into(),
        value: best,
        bound: 2.0,
        unit: "s",
    })
}

/// Host cost per returned nonce: frame, parse, match, verify (double SHA-256), attribute to a
/// chip and count, as the engine does for every reply.
pub fn nonce_cost(nonces: usize) -> Measure {
    let family = Family::Bm1362;
    let params = family.default_params();
    let setup = ChainSetup::new(
        family,
        &params,
        SliceRule::AddressField {
            shift: 17,
            interval: 2,
        },
        525.0,
    );
    let pool = PatternPool::build(HeaderSet::mainnet(), &setup);
    let patterns: Vec<_> = (0..pool.slots())
        .flat_map(|s| pool.slot(s).iter().copied())
        .collect();
    // The replies a chain would send: 11-byte nonce frames of golden nonces.
    let mut wire = Vec::with_capacity(nonces * 11);
    for p in patterns.iter().cycle().take(nonces) {
        let mut body = p.golden.to_le_bytes().to_vec();
        let bits = ((p.rolled >> 13) as u16).to_be_bytes();
        body.extend_from_slice(&[0, 0x08, bits[0], bits[1], 0x80]);
        for crc in 0..32u8 {
            if let Some(last) = body.last_mut() {
                *last = 0x80 | crc;
            }
            if bm13xx::crc::crc5(&body) == 0 {
                break;
            }
        }
        wire.extend_from_slice(&[0xAA, 0x55]);
        wire.extend_from_slice(&body);
    }
    let by_golden: HashMap<u32, usize> = patterns
        .iter()
        .enumerate()
        .map(|(i, p)| (p.golden, i))
        .collect();
    let mut per_slot = vec![0u32; setup.slots()];
    let start = Instant::now();
    let mut framer = Framer::replies(family, true);
    let mut verified = 0usize;
    framer.feed(&wire, |event| {
        let Event::Frame {
            bytes,
            crc_ok: true,
            ..
        } = event
        else {
            return;
        };
        let Ok(Reply::Nonce(n)) = Reply::parse(family, bytes) else {
            return;
        };
        let fields = n.fields(family, &params, 2);
        let Some(&k) = by_golden.get(&fields.nonce) else {
            return;
        };
        let Some(p) = patterns.get(k) else { return };
        let version = bm13xx::header::fields::version(&p.header) | fields.version_bits.unwrap_or(0);
        if patterns::verify(&p.header, version, fields.nonce, p.golden, 256) == NonceVerdict::Golden
            && let Some(owner) = setup.owner(fields.nonce)
            && let Some(count) = per_slot.get_mut(owner.slot)
        {
            *count += 1;
            verified += 1;
        }
    });
    let per_nonce = start.elapsed().as_secs_f64() / verified.max(1) as f64;
    Measure {
        goal: format!("host cost per returned nonce ({verified} verified)"),
        value: per_nonce * 1e6,
        bound: 2.0,
        unit: "µs",
    }
}

/// p99 CPU time of a workbench frame: 126-chip map, 42 domains × 1 h of 10 Hz telemetry.
pub fn gui_frame_p99(catalog: &Catalog, frames: usize) -> anyhow::Result<Measure> {
    let report = simulated(catalog, "s19jpro", None)?;
    let times = ui::bench::frame_times("s19jpro", report, frames);
    let p99 = ui::bench::percentile(&times, 99.0);
    Ok(Measure {
        goal: format!("GUI frame p99, 126-chip map + 42 domains x 1 h at 10 Hz ({frames} frames)"),
        value: p99.as_secs_f64() * 1e3,
        bound: 8.0,
        unit: "ms",
    })
}

/// The repair-record goals on a synthetic shop of `tickets` tickets and `chip_results` chip
/// results: board history, the ticket list's first page, and the CSV export against
/// `sqlite3 -csv` running the same query on the same file.
pub fn records(
    tickets: u64,
    chip_results: u64,
    report: &diagnosis::Report,
) -> anyhow::Result<Vec<Measure>> {
    let dir = std::env::temp_dir().join(format!("hashbench-bench-{}", std::process::id()));
    let path = dir.join("shop.db");
    let _ = std::fs::remove_dir_all(&dir);
    let result = (|| {
        let mut store = store::Store::open(&path)?;
        let json = serde_json::to_string(report)?;
        let shop = store.populate(tickets, chip_results, &json)?;
        let mean_ms = |f: &mut dyn FnMut() -> anyhow::Result<()>| -> anyhow::Result<f64> {
            f()?; // warm the page cache as a shop's running app would have
            let start = Instant::now();
            for _ in 0..20 {
                f()?;
            }
            Ok(start.elapsed().as_secs_f64() * 1e3 / 20.0)
        };
        let history = mean_ms(&mut || {
            let h = store.board_history(&shop.busy_serial)?;
            anyhow::ensure!(h.tickets.len() > 1, "the busy board has one ticket");
            Ok(())
        })?;
        let page = mean_ms(&mut || {
            let page = store.list_tickets(
                &store::TicketFilter::default(),
                store::TicketSort::Intake,
                true,
                0,
                50,
            )?;
            anyhow::ensure!(page.len() == 50, "first page short");
            Ok(())
        })?;
        let ours_path = dir.join("ours.csv");
        let start = Instant::now();
        let file = std::io::BufWriter::new(std::fs::File::create(&ours_path)?);
        let rows = store.export_csv(file, &store::ExportFilter::default())?;
        let ours = start.elapsed().as_secs_f64();
        let theirs_path = dir.join("sqlite3.csv");
        let start = Instant::now();
        let status = std::process::Command::new("sqlite3")
            .args(["-csv", "-header"])
            .arg(&path)
            .arg(store::export_sql(store::Engine::Sqlite))
            .stdout(std::fs::File::create(&theirs_path)?)
            .status()
            .context("running sqlite3 (apt install sqlite3) for the export comparison")?;
        let theirs = start.elapsed().as_secs_f64();
        anyhow::ensure!(status.success(), "sqlite3 failed on the export query");
        let their_rows = std::fs::read(&theirs_path)?
            .iter()
            .filter(|&&b| b == b'\n')
            .count();
        anyhow::ensure!(
            their_rows as u64 == rows + 1,
            "sqlite3 exported {} rows, Hashbench {rows}",
            their_rows.saturating_sub(1)
        );
        let size = format!(
            "{} tickets, {} chip results",
            shop.tickets, shop.chip_results
        );
        Ok(vec![
            Measure {
                goal: format!("board history for one serial ({size})"),
                value: history,
                bound: 10.0,
                unit: "ms",
            },
            Measure {
                goal: format!("ticket list, first page of 50 ({size})"),
                value: page,
                bound: 50.0,
                unit: "ms",
            },
            Measure {
                goal: format!("CSV export of {rows} rows {ours:.3} s / sqlite3 -csv {theirs:.3} s"),
                value: ours / theirs.max(f64::MIN_POSITIVE),
                bound: 2.0,
                unit: "x",
            },
        ])
    })();
    let _ = std::fs::remove_dir_all(&dir);
    result
}

/// Flash and static RAM of the bundled jig firmware against the RP2040 budget (64 KiB of
/// flash, 32 KiB of RAM, as CI enforces on the build).
pub fn firmware_use() -> anyhow::Result<Vec<Measure>> {
    let (flash_bytes, ram_bytes) = flash::memory_use(flash::BUNDLED_ELF)?;
    Ok(vec![
        Measure {
            goal: "jig firmware flash (bundled image)".into(),
            value: flash_bytes as f64 / 1024.0,
            bound: 64.0,
            unit: "KiB",
        },
        Measure {
            goal: "jig firmware static RAM (bundled image)".into(),
            value: ram_bytes as f64 / 1024.0,
            bound: 32.0,
            unit: "KiB",
        },
    ])
}

/// The `bench` command.
pub fn run(catalog: &Catalog, args: &BenchArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    if let Some(server) = &args.server {
        let kill = match (&args.kill_server, &args.resume_server) {
            (Some(kill), Some(resume)) => Some((args.kill_at, kill.clone(), resume.clone())),
            (None, None) => None,
            _ => anyhow::bail!("--kill-server and --resume-server go together"),
        };
        let load = load::Load {
            server: server.clone(),
            benches: args.benches,
            runs: args.bench_runs,
            kill,
        };
        return load::run(&load, &simulated(catalog, "s19jpro", None)?, out);
    }
    let mut measures = vec![
        pattern_test_ratio(catalog, 115_200)?,
        pattern_test_ratio(catalog, 3_125_000)?,
        diagnose_wall_time(catalog, args.runs)?,
        nonce_cost(args.nonces),
        gui_frame_p99(catalog, args.frames)?,
    ];
    measures.extend(procedure_times(catalog)?);
    measures.extend(firmware_use()?);
    if args.tickets > 0 {
        let report = simulated(catalog, "s19jpro", None)?;
        measures.extend(records(args.tickets, args.chip_results, &report)?);
    }
    writeln!(
        out,
        "{:<68} {:>12} {:>12}  {:>6}  goal",
        "measure", "value", "bound", "ratio"
    )
    .context("writing")?;
    for m in &measures {
        writeln!(
            out,
            "{:<68} {:>10.4} {:<2}{:>10.4} {:<2} {:>6.3}  {}",
            m.goal,
            m.value,
            m.unit,
            m.bound,
            m.unit,
            m.ratio(),
            if m.ratio() <= 1.0 { "met" } else { "MISSED" }
        )
        .context("writing")?;
    }
    if cfg!(debug_assertions) {
        writeln!(
            out,
            "(debug build: real-time figures are pessimistic; use --release)"
        )
        .context("writing")?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each procedure is timed on a real (simulated) run and set against a bound it cannot
    /// beat: the field procedure's includes the soak it measured.
    #[test]
    fn the_procedure_times_are_measured_against_their_physical_bounds() {
        let catalog = Catalog::builtin().unwrap();
        let m = procedure_times(&catalog).unwrap();
        assert_eq!(m.len(), 3);
        assert!(m.iter().all(|m| m.value >= 1.0), "{m:?}");
        assert!(m[2].goal.starts_with("Field"), "{}", m[2].goal);
    }

    #[test]
    fn the_nonce_cost_bench_verifies_every_nonce_it_times() {
        let m = nonce_cost(500);
        assert!(m.goal.contains("(500 verified)"), "{}", m.goal);
        assert!(m.value > 0.0);
    }

    #[test]
    fn the_firmware_use_matches_what_ci_measures_of_the_build() {
        let m = firmware_use().unwrap();
        // CI's llvm-size of the same build: about 25.9 KB of flash and 5.4 KB of RAM.
        assert!((20.0..40.0).contains(&m[0].value), "{m:?}");
        assert!((2.0..10.0).contains(&m[1].value), "{m:?}");
    }

    #[test]
    fn the_record_benchmarks_run_on_a_small_shop() {
        let report = simulated(&Catalog::builtin().unwrap(), "s19jpro", None).unwrap();
        let measures = records(700, 126 * 40, &report).unwrap();
        assert_eq!(measures.len(), 3);
        assert!(measures.iter().all(|m| m.value > 0.0), "{measures:?}");
        assert!(
            measures[2].goal.contains("CSV export of"),
            "{}",
            measures[2].goal
        );
    }

    #[test]
    fn the_pattern_test_ratio_is_measured_on_a_passing_board() {
        let m = pattern_test_ratio(&Catalog::builtin().unwrap(), 3_125_000).unwrap();
        assert!(
            m.value >= 1.0,
            "a test cannot beat its own wire bound: {m:?}"
        );
        assert_eq!(m.bound, 1.5);
    }
}
