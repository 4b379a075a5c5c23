//! The report as a customer gets it: generated from fixture runs, read back with poppler's
//! `pdftotext`, page 1 rendered with `pdftoppm` (poppler-utils, installed by .ci/run).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // Fine for tests: a failure is the report.

use std::path::{Path, PathBuf};
use std::process::Command;

use boards::Catalog;
use diagnosis::Report;
use report::{Input, Paper, Run, Shop};
use store::{Action, Repair, Status, Telemetry, Ticket};

/// 2026-11-26 10:00 UTC: a fixed creation time, so reports compare byte for byte.
const MADE: i64 = 1_795_687_200;

fn fixture(name: &str) -> (Report, Telemetry) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/runs");
    let read = |file: String| std::fs::read_to_string(dir.join(file)).unwrap();
    (
        serde_json::from_str(&read(format!("s19jpro-{name}.json"))).unwrap(),
        serde_json::from_str(&read(format!("s19jpro-{name}.telemetry.json"))).unwrap(),
    )
}

fn shop() -> Shop {
    Shop {
        name: "Acme Hashboard Repair".into(),
        lines: vec!["12 Rework Lane, Springfield".into()],
        logo_png: Some(
            std::fs::read(
                Path::new(env!("CARGO_MANIFEST_DIR")).join("../../assets/report/logo.png"),
            )
            .unwrap(),
        ),
    }
}

fn ticket() -> Ticket {
    Ticket {
        id: 42,
        board: store::Board {
            id: 1,
            serial: Some("JYZZ0042".into()),
            model: "s19jpro".into(),
            board_code: Some("BHB42601".into()),
            first_seen: MADE - 86_400,
        },
        customer: "Müller Mining GmbH".into(),
        intake_at: MADE - 86_400,
        symptom: "chain 2 shows 40 ASIC".into(),
        status: Status::Verifying,
        technician: "Ana".into(),
        notes: String::new(),
        time_spent_s: 3600,
        closed_at: None,
        runs: 2,
        last_verdict: None,
        revision: 0,
    }
}

fn run<'a>(report: &'a Report, telemetry: &'a Telemetry, id: i64) -> Run<'a> {
    Run {
        report,
        telemetry,
        started_at: MADE - 3600 * (3 - id),
        jig_protocol: Some(1),
        id: Some(id),
    }
}

/// The report of one run of an S19j Pro, made at [`MADE`] on A4, without a ticket.
fn one_run<'a>(shop: &'a Shop, profile: &'a boards::Profile, run: Run<'a>) -> Input<'a> {
    Input {
        shop,
        profile,
        ticket: None,
        run,
        before: None,
        repairs: &[],
        readings: &[],
        verification: None,
        generated_at: MADE,
        paper: Paper::A4,
    }
}

/// Render `input` to a file in `dir` and return its path.
fn write_pdf(dir: &Path, name: &str, input: &Input<'_>) -> PathBuf {
    let bytes = report::render(input).unwrap();
    assert!(bytes.starts_with(b"%PDF-"), "not a PDF");
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

/// `pdftotext -layout` of pages `first..=last`.
fn pdf_text(pdf: &Path, first: u32, last: u32) -> String {
    let out = Command::new("pdftotext")
        .args(["-layout", "-f", &first.to_string(), "-l", &last.to_string()])
        .arg(pdf)
        .arg("-")
        .output()
        .expect("pdftotext (poppler-utils) must be installed");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn check_contains(text: &str, expected: &[&str]) {
    for needle in expected {
        assert!(text.contains(needle), "missing `{needle}` in:\n{text}");
    }
}

/// Page 1 rendered to PNG: it exists and is not blank.
fn check_page_1_renders(pdf: &Path) {
    let prefix = pdf.with_extension("");
    let status = Command::new("pdftoppm")
        .args(["-png", "-r", "40", "-f", "1", "-l", "1", "-singlefile"])
        .arg(pdf)
        .arg(&prefix)
        .status()
        .expect("pdftoppm (poppler-utils) must be installed");
    assert!(status.success());
    let png = std::fs::read(prefix.with_extension("png")).unwrap();
    assert!(png.starts_with(b"\x89PNG"), "pdftoppm wrote no PNG");
    assert!(
        png.len() > 8_000,
        "page 1 looks blank ({} bytes)",
        png.len()
    );
}

#[test]
fn a_chain_break_report_shows_verdict_map_suspects_and_charts_on_page_1() {
    let dir = tempfile::tempdir().unwrap();
    let catalog = Catalog::builtin().unwrap();
    let (report, telemetry) = fixture("break-40");
    let shop = shop();
    let input = one_run(
        &shop,
        catalog.get("s19jpro").unwrap(),
        run(&report, &telemetry, 1),
    );
    let pdf = write_pdf(dir.path(), "break.pdf", &input);
    if let Ok(keep) = std::env::var("HASHBENCH_KEEP_REPORT") {
        std::fs::copy(&pdf, keep).unwrap();
    }
    let page1 = pdf_text(&pdf, 1, 1);
    check_contains(
        &page1,
        &[
            "Acme Hashboard Repair",
            "Verdict: FAIL: NEEDS REPAIR",
            "40 of 126 chips answered",
            "Board map",
            "probe first (chips 39, 40)",
            "Domain voltages against the band",
            "Temperatures over the run",
            // The charts' own words come through plotters' SVG as text, not as outlines.
            "band low 280 mV",
            "preflight: in band",
            "PCB 1",
        ],
    );
    let all = pdf_text(&pdf, 1, 9);
    check_contains(
        &all,
        &[
            "Chain break",
            "What to do:",
            "40–125",
            "missing (86 chips)",
            "Provenance",
            "s19jpro@1",
            "Signature",
        ],
    );
    check_page_1_renders(&pdf);
    let fonts = Command::new("pdffonts").arg(&pdf).output().unwrap();
    let fonts = String::from_utf8_lossy(&fonts.stdout);
    assert!(
        fonts.contains("DejaVuSans") && fonts.contains("yes"),
        "fonts embedded:\n{fonts}"
    );
}

#[test]
fn a_healthy_board_passes_on_letter_paper() {
    let dir = tempfile::tempdir().unwrap();
    let catalog = Catalog::builtin().unwrap();
    let (report, telemetry) = fixture("healthy");
    let shop = Shop::default();
    let input = Input {
        paper: Paper::Letter,
        ..one_run(
            &shop,
            catalog.get("s19jpro").unwrap(),
            run(&report, &telemetry, 1),
        )
    };
    let pdf = write_pdf(dir.path(), "healthy.pdf", &input);
    check_contains(
        &pdf_text(&pdf, 1, 9),
        &[
            "Verdict: PASS",
            "126 of 126 chips answered",
            "Sensors: 4 of 4 expected answer",
            "None: every chip, domain and sensor is fine.",
            "All chips returned their golden nonces.",
        ],
    );
    let info = Command::new("pdfinfo").arg(&pdf).output().unwrap();
    assert!(String::from_utf8_lossy(&info.stdout).contains("612 x 792 pts (letter)"));
    check_page_1_renders(&pdf);
}

#[test]
fn a_weak_chip_ticket_with_a_retest_shows_the_repair_and_before_after() {
    let dir = tempfile::tempdir().unwrap();
    let catalog = Catalog::builtin().unwrap();
    let (weak, weak_t) = fixture("weak-12");
    let (fixed, fixed_t) = fixture("healthy");
    let shop = shop();
    let ticket = ticket();
    let repairs = [Repair {
        id: 1,
        ticket_id: 42,
        chip: Some(12),
        uref: "U13".into(),
        action: Action::Replace,
        part: "BM1362 lot 2345".into(),
        technician: "Ana".into(),
        at: MADE - 5400,
        minutes: 25,
        notes: "new chip, reballed".into(),
    }];
    // Before the repair: chip 12's clock, read against its domain's ground.
    let profile = catalog.get("s19jpro").unwrap();
    let clk = store::NewReading::judged(
        profile,
        store::At::Chip(12),
        boards::testpoints::Point::Clk,
        120,
        "Ana",
    )
    .unwrap();
    let readings = [store::Reading {
        id: 1,
        at: MADE - 6000,
        reading: clk,
    }];
    let input = Input {
        ticket: Some(&ticket),
        before: Some(run(&weak, &weak_t, 1)),
        repairs: &repairs,
        readings: &readings,
        // One pass after the repair, against a policy of two.
        verification: Some(store::Verification {
            passes: 1,
            required: 2,
            last_repair_at: Some(MADE - 5400),
        }),
        ..one_run(
            &shop,
            catalog.get("s19jpro").unwrap(),
            run(&fixed, &fixed_t, 2),
        )
    };
    let pdf = write_pdf(dir.path(), "ticket.pdf", &input);
    let info = Command::new("pdfinfo").arg(&pdf).output().unwrap();
    assert!(String::from_utf8_lossy(&info.stdout).contains("595.28 x 841.89 pts (A4)"));
    let all = pdf_text(&pdf, 1, 9);
    check_contains(
        &all,
        &[
            "#42 (verifying)",
            "1 of 2 passes after repair: not yet",
            "Müller Mining GmbH",
            "JYZZ0042",
            "Verdict: PASS",
            "Repair actions",
            "12 (U13)",
            "replace",
            "BM1362 lot 2345",
            "Test-point readings",
            "chip 12 CLK",
            "120 mV",
            "500-600 mV",
            "LOW",
            "Before and after the repair",
            "Before: Run #1",
            "FAIL",
            "After: Run #2",
            "1 chip(s) weak → ok",
            "page 1 of",
        ],
    );
    check_page_1_renders(&pdf);
}

#[test]
fn the_same_input_gives_the_same_bytes() {
    let catalog = Catalog::builtin().unwrap();
    let (report, telemetry) = fixture("break-40");
    let shop = shop();
    let input = one_run(
        &shop,
        catalog.get("s19jpro").unwrap(),
        run(&report, &telemetry, 1),
    );
    let a = report::render(&input).unwrap();
    let b = report::render(&input).unwrap();
    assert!(a == b, "two renders differ");
    let later = report::render(&Input {
        generated_at: MADE + 60,
        ..input
    })
    .unwrap();
    assert!(a != later, "the creation time is part of the document");
}

#[test]
fn a_logo_that_is_not_a_png_is_refused_by_name() {
    let catalog = Catalog::builtin().unwrap();
    let (report, telemetry) = fixture("healthy");
    let shop = Shop {
        name: "X".into(),
        lines: vec![],
        logo_png: Some(b"GIF89a not a png".to_vec()),
    };
    let input = one_run(
        &shop,
        catalog.get("s19jpro").unwrap(),
        run(&report, &telemetry, 1),
    );
    let err = report::render(&input).unwrap_err().to_string();
    assert!(err.contains("shop logo is not a readable PNG"), "{err}");
}

fn count<K>(key: K, count: u64) -> store::Count<K> {
    store::Count { key, count }
}

/// S2 7/7: the shop's statistics on paper, the charts drawn by plotters: the figures, then the
/// model with the most failed tickets first, each with its failures by chip and by domain.
#[test]
fn the_statistics_sheet_gives_the_figures_and_charts_each_models_failures() {
    let dir = tempfile::tempdir().unwrap();
    let catalog = Catalog::builtin().unwrap();
    let shop = shop();
    let stats = store::Stats {
        tickets: 12,
        by_status: vec![count("intake".into(), 2), count("done".into(), 10)],
        failures_by_position: vec![
            count(("s19jpro".into(), 40), 4),
            count(("s19jpro".into(), 39), 2),
            count(("s9".into(), 12), 1),
        ],
        failures_by_domain: vec![count(("s19jpro".into(), 13), 6), count(("s9".into(), 4), 1)],
        repaired: 9,
        repaired_passed: 6,
        median_time_spent_s: Some(5400),
        median_turnaround_s: Some(3 * 86_400),
    };
    let input = report::StatsInput {
        shop: &shop,
        stats: &stats,
        catalog: &catalog,
        app_version: "0.1.0",
        generated_at: MADE,
        paper: Paper::A4,
    };
    let bytes = report::stats_pdf(&input).unwrap();
    assert_eq!(
        bytes,
        report::stats_pdf(&input).unwrap(),
        "same input, same bytes"
    );
    let path = dir.path().join("stats.pdf");
    std::fs::write(&path, bytes).unwrap();
    let text = pdf_text(&path, 1, 9);
    check_contains(
        &text,
        &[
            "Shop statistics",
            "Tickets in all",
            "67 % (6 of 9)",
            "1 h 30 min",
            "Tickets with a failure, by chip position",
            "Tickets with a failure, by voltage domain",
            "s19jpro: tickets with a failure",
            "shop statistics · 2026-11-26 10:00 UTC · page 1 of",
        ],
    );
    let s19 = text
        .find("Failures on Antminer S19j Pro (126 chips) (s19jpro)")
        .unwrap();
    let s9 = text.find("Failures on Antminer S9 (S9i/S9j) (s9)").unwrap();
    assert!(s19 < s9, "the model with more failed tickets comes first");
    check_page_1_renders(&path);

    let none = store::Stats {
        failures_by_position: Vec::new(),
        failures_by_domain: Vec::new(),
        ..stats.clone()
    };
    let path = dir.path().join("none.pdf");
    std::fs::write(
        &path,
        report::stats_pdf(&report::StatsInput {
            stats: &none,
            ..input
        })
        .unwrap(),
    )
    .unwrap();
    check_contains(
        &pdf_text(&path, 1, 1),
        &["No failed chip recorded in any ticket yet."],
    );
}
