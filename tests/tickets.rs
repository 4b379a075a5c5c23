//! The repair record from the command line, as a shop scripts it: intake, diagnose against the
//! ticket, record the repair, retest, close, then history and the CSV for billing.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // Fine for tests: a failure is the report.

mod common;

use std::path::Path;
use std::process::Output;

use serde_json::Value;

/// Run `hashbench --db <db> args...`; the exit code must be `code`.
fn run(db: &Path, args: &[&str], code: i32) -> String {
    let mut command = common::command();
    command.arg("--db").arg(db).args(args);
    let out: Output = command.output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(code),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(if code == 0 || args[0] == "diagnose" {
        out.stdout
    } else {
        out.stderr
    })
    .unwrap()
}

fn json(db: &Path, args: &[&str]) -> Value {
    serde_json::from_str(&run(db, args, 0)).unwrap()
}

#[test]
fn a_ticket_from_intake_to_the_exported_csv() {
    let dir = tempfile::tempdir().unwrap();
    intake_to_csv(&dir.path().join("shop.db"));
}

/// The same, with the shop's PostgreSQL server as `--db` (when the tests have one).
#[test]
fn a_ticket_from_intake_to_the_exported_csv_on_the_shop_server() {
    if let Some(admin) = store::server::test_server().unwrap() {
        let db = store::server::scratch_database(&admin, "cli_intake_to_csv").unwrap();
        intake_to_csv(Path::new(&db));
    }
}

fn intake_to_csv(db: &Path) {
    let db = db.to_path_buf();
    let ticket = run(
        &db,
        &[
            "tickets",
            "new",
            "--serial",
            "JYZZ0001",
            "--model",
            "s19jpro",
            "--customer",
            "Acme",
            "--symptom",
            "chain 2 shows 40 ASIC",
        ],
        0,
    );
    assert_eq!(
        ticket.trim(),
        "1",
        "the new ticket's number, alone on stdout"
    );

    let before = run(
        &db,
        &[
            "diagnose", "--sim", "s19jpro", "--fault", "break:40", "--ticket", "1",
        ],
        1,
    );
    assert!(before.contains("Saved as run 1 of ticket 1"), "{before}");
    run(
        &db,
        &[
            "tickets",
            "repair",
            "1",
            "--chip",
            "39",
            "--action",
            "reflow",
            "--part",
            "lot 7",
            "--minutes",
            "15",
        ],
        0,
    );
    run(
        &db,
        &["diagnose", "--sim", "s19jpro", "--ticket", "1", "--json"],
        0,
    );
    // One pass after the repair: the default policy (two) refuses to close, a shop that asks
    // for one closes, and says where the ticket stands.
    let refused = run(&db, &["tickets", "status", "1", "done"], 2);
    assert!(
        refused.contains("1 passing full-board run(s) since its last repair (or intake, with none), and the verification policy asks for 2"),
        "{refused}"
    );
    let closed = run(&db, &["tickets", "status", "1", "done", "--passes", "1"], 0);
    assert!(
        closed.contains("Verification: 1 of 1 passing full-board run(s) since the last repair: may close as done"),
        "{closed}"
    );

    let shown = json(&db, &["tickets", "show", "1", "--json"]);
    assert_eq!(shown["ticket"]["status"], "done");
    assert_eq!(shown["ticket"]["board"]["serial"], "JYZZ0001");
    let verdicts: Vec<&str> = shown["runs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["verdict"].as_str().unwrap())
        .collect();
    assert_eq!(verdicts, ["fail", "pass"], "before and after");
    assert_eq!(shown["repairs"][0]["action"], "reflow");
    assert_eq!(shown["repairs"][0]["chip"], 39);

    let history = json(&db, &["tickets", "history", "JYZZ0001", "--json"]);
    assert_eq!(history["tickets"].as_array().unwrap().len(), 1);

    let out = tempfile::tempdir().unwrap();
    let csv_path = out.path().join("history.csv");
    let said = run(&db, &["export", "--csv", csv_path.to_str().unwrap()], 0);
    assert!(said.starts_with("2 rows written"), "{said}");
    let mut reader = csv::Reader::from_path(&csv_path).unwrap();
    let headers = reader.headers().unwrap().clone();
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    let cell = |row: usize, name: &str| {
        rows[row][headers.iter().position(|h| h == name).unwrap()].to_owned()
    };
    assert_eq!(
        (cell(0, "record"), cell(0, "action"), cell(0, "chip")),
        ("repair".into(), "reflow".into(), "39".into())
    );
    assert_eq!(
        (
            cell(1, "record"),
            cell(1, "first_verdict"),
            cell(1, "last_verdict")
        ),
        ("ticket".into(), "fail".into(), "pass".into())
    );
}

/// Issue S2 4/7: a chain held at 0 by chip 90's return line. `halve` says where to short RO to
/// 1V8 at each step (on a simulated board it applies the short), converges on chip 90 in seven
/// counts, and keeps every count on the ticket.
#[test]
fn guided_halving_finds_the_chip_holding_the_return_line_and_logs_each_count() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("shop.db");
    run(
        &db,
        &[
            "tickets", "new", "--serial", "HALVE01", "--model", "s19jpro",
        ],
        0,
    );
    let held = run(
        &db,
        &[
            "diagnose",
            "--sim",
            "s19jpro",
            "--fault",
            "rostuck:90",
            "--ticket",
            "1",
        ],
        1,
    );
    assert!(held.contains("[return_line_held]"), "{held}");
    let said = run(
        &db,
        &[
            "halve",
            "--sim",
            "s19jpro",
            "--fault",
            "rostuck:90",
            "--ticket",
            "1",
        ],
        0,
    );
    assert!(
        said.contains(
            "Step 1: Short the RO test point between chips 62 and 63 to 1V8 and count again"
        ),
        "{said}"
    );
    assert!(
        said.contains("  counted 63: chips 63-125 may hold the line"),
        "{said}"
    );
    assert!(said.contains("Chip 90 holds the return line"), "{said}");
    let shown = json(&db, &["tickets", "show", "1", "--json"]);
    let verdicts: Vec<&str> = shown["runs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["verdict"].as_str().unwrap())
        .collect();
    assert_eq!(verdicts.len(), 8, "the diagnosis and seven counts");
    assert!(
        verdicts[1..].iter().all(|v| *v == "inconclusive"),
        "{verdicts:?}"
    );
}

#[test]
fn a_diagnosis_without_a_ticket_opens_one_for_the_boards_serial() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("shop.db");
    // The S19j Pro's EEPROM holds its serial (the X19 layout); an S9's does not.
    run(&db, &["diagnose", "--sim", "s19jpro", "--json"], 0);
    let list = json(&db, &["tickets", "list", "--json"]);
    let tickets = list.as_array().unwrap();
    assert_eq!(tickets.len(), 1);
    assert!(
        tickets[0]["board"]["serial"]
            .as_str()
            .unwrap()
            .starts_with("SIM"),
        "serial from the EEPROM: {}",
        tickets[0]["board"]
    );
    assert_eq!(tickets[0]["status"], "diagnosing");
    assert_eq!(tickets[0]["last_verdict"], "pass");
}

#[test]
fn bad_ticket_input_is_named_and_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("shop.db");
    let cases: [(&[&str], &str); 6] = [
        (
            &["tickets", "new", "--serial", "S1", "--model", "s99"],
            "unknown board profile `s99`",
        ),
        (&["tickets", "show", "7"], "there is no ticket 7"),
        (
            &["tickets", "list", "--status", "open"],
            "unknown ticket status `open`",
        ),
        (
            &["tickets", "list", "--since", "2026-02-30"],
            "--since: `2026-02-30` is not a date",
        ),
        (
            &["export", "--csv", "x.csv", "--until", "yesterday"],
            "--until: `yesterday` is not a date",
        ),
        (
            &["tickets", "repair", "1", "--action", "glue"],
            "unknown repair action `glue`",
        ),
    ];
    for (args, expected) in cases {
        let stderr = run(&db, args, 2);
        assert!(stderr.contains(expected), "{args:?}: {stderr}");
    }
    let stderr = run(&db, &["diagnose", "--sim", "s9", "--ticket", "12"], 3);
    assert!(
        stderr.is_empty() || !stderr.contains("Saved"),
        "nothing saved"
    );
    let list = json(&db, &["tickets", "list", "--json"]);
    assert_eq!(
        list.as_array().unwrap().len(),
        0,
        "a run against a missing ticket does not start"
    );
}

#[test]
fn a_file_that_is_not_a_database_is_refused_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("notes.txt");
    std::fs::write(
        &db,
        "shopping list: flux, solder paste, BM1362 x4 ............................................",
    )
    .unwrap();
    let stderr = run(&db, &["tickets", "list"], 2);
    assert!(
        stderr.contains("notes.txt is not a readable Hashbench database"),
        "{stderr}"
    );
    let before = std::fs::read(&db).unwrap();
    assert!(
        before.starts_with(b"shopping list"),
        "the file is left as it was"
    );
}

/// `pdftotext` of a PDF file (poppler-utils, installed by .ci/run).
fn pdf_text(pdf: &Path) -> String {
    let out = std::process::Command::new("pdftotext")
        .arg(pdf)
        .arg("-")
        .output()
        .expect("pdftotext");
    assert!(out.status.success());
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn diagnose_writes_the_report_of_the_run_it_saved() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("shop.db");
    let pdf = dir.path().join("r.pdf");
    let said = run(
        &db,
        &[
            "diagnose",
            "--sim",
            "s19jpro",
            "--fault",
            "break:40",
            "--report",
            pdf.to_str().unwrap(),
        ],
        1,
    );
    assert!(said.contains("Report written to"), "{said}");
    let text = pdf_text(&pdf);
    for needle in [
        "Verdict: FAIL",
        "Board map",
        "probe first (chips 39, 40)",
        "Domain voltages against the band",
        "Temperatures over the run",
        "Chain break",
        "#1 (diagnosing)",
    ] {
        assert!(text.contains(needle), "missing `{needle}`:\n{text}");
    }
}

#[test]
fn a_ticket_report_after_a_repair_shows_before_and_after() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("shop.db");
    run(
        &db,
        &[
            "tickets",
            "new",
            "--serial",
            "SN7",
            "--model",
            "s19jpro",
            "--customer",
            "Acme",
        ],
        0,
    );
    run(
        &db,
        &[
            "diagnose",
            "--sim",
            "s19jpro",
            "--fault",
            "weak:12:25",
            "--ticket",
            "1",
            "--json",
        ],
        1,
    );
    run(
        &db,
        &[
            "tickets", "repair", "1", "--chip", "12", "--action", "replace", "--part", "lot 9",
        ],
        0,
    );
    run(
        &db,
        &["diagnose", "--sim", "s19jpro", "--ticket", "1", "--json"],
        0,
    );
    let pdf = dir.path().join("ticket-1.pdf");
    let said = run(
        &db,
        &[
            "report",
            "--ticket",
            "1",
            "--out",
            pdf.to_str().unwrap(),
            "--paper",
            "letter",
        ],
        0,
    );
    assert!(said.contains("report of ticket 1 written"), "{said}");
    let text = pdf_text(&pdf);
    for needle in [
        "Verdict: PASS",
        "Before and after the repair",
        "1 chip(s) weak → ok",
        "replace",
        "lot 9",
        "Acme",
    ] {
        assert!(text.contains(needle), "missing `{needle}`:\n{text}");
    }
}

#[test]
fn a_report_that_cannot_be_made_says_why() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("shop.db");
    let out = dir.path().join("x.pdf");
    let out = out.to_str().unwrap();
    run(
        &db,
        &["tickets", "new", "--serial", "SN8", "--model", "s9"],
        0,
    );
    let cases: [(&[&str], &str); 3] = [
        (
            &["report", "--ticket", "1", "--out", out],
            "ticket 1 has no runs yet",
        ),
        (
            &["report", "--ticket", "5", "--out", out],
            "there is no ticket 5",
        ),
        (
            &["report", "--ticket", "1", "--out", out, "--paper", "a3"],
            "--paper: unknown paper `a3`",
        ),
    ];
    for (args, expected) in cases {
        let stderr = run(&db, args, 2);
        assert!(stderr.contains(expected), "{args:?}: {stderr}");
    }
    assert!(!Path::new(out).exists(), "no half-written report");
}

/// The board EEPROM on a ticket: the S9k dump published by zellio22 decodes with the source's
/// values; a good board's image is written to another (the guides' "synchronise the boards to
/// one valid image") only after the other's own image is kept on the ticket; bytes no
/// documented layout explains are never written.
#[test]
fn an_eeprom_is_backed_up_on_the_ticket_before_it_is_written_and_read_back() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("shop.db");
    let dump = common::fixture("eeprom/s9k-zellio22.txt");
    let decoded = run(&db, &["eeprom", "decode", dump.to_str().unwrap()], 0);
    for value in [
        "9.90 V (raw 0xC3)",
        "60 chips: 385 MHz",
        "4735 MH/s",
        "0xDB6B, valid",
    ] {
        assert!(decoded.contains(value), "{value} in {decoded}");
    }

    let ticket = run(
        &db,
        &["tickets", "new", "--serial", "B-2", "--model", "s19pro"],
        0,
    );
    let ticket = ticket.trim();
    let good = dir.path().join("good.bin");
    let read = run(
        &db,
        &[
            "eeprom",
            "read",
            "--sim",
            "s19pro",
            "--seed",
            "1",
            "--out",
            good.to_str().unwrap(),
        ],
        0,
    );
    assert!(read.contains("Format: X19 (XXTEA)"), "{read}");
    assert!(read.contains("Profile: one of s19, s19pro"), "{read}");

    // No ticket, no write: the board's own image has nowhere to go.
    let refused = run(
        &db,
        &[
            "eeprom",
            "write",
            "--sim",
            "s19pro",
            "--seed",
            "2",
            "--ticket",
            "99",
            "--from",
            good.to_str().unwrap(),
        ],
        2,
    );
    assert!(refused.contains("no ticket 99"), "{refused}");
    let junk = dir.path().join("junk.bin");
    // Noise, as a failing EEPROM or a wrong file gives: clock codes no chip runs at among them.
    let mut x: u32 = 7;
    let noise: Vec<u8> = (0..256)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x as u8
        })
        .collect();
    std::fs::write(&junk, noise).unwrap();
    let refused = run(
        &db,
        &[
            "eeprom",
            "write",
            "--sim",
            "s19pro",
            "--ticket",
            ticket,
            "--from",
            junk.to_str().unwrap(),
        ],
        2,
    );
    assert!(
        refused.contains("writes only layouts it can check"),
        "{refused}"
    );

    let wrote = run(
        &db,
        &[
            "eeprom",
            "write",
            "--sim",
            "s19pro",
            "--seed",
            "2",
            "--ticket",
            ticket,
            "--from",
            good.to_str().unwrap(),
        ],
        0,
    );
    assert!(wrote.contains("kept on ticket"), "{wrote}");
    assert!(wrote.contains("read back identical"), "{wrote}");
    assert!(wrote.contains("serial: SIM"), "the serial changed: {wrote}");
    // Kept on the ticket: the board's own image (image:1) and what it holds now (image:2).
    let diff = run(
        &db,
        &["eeprom", "diff", "image:2", good.to_str().unwrap()],
        0,
    );
    assert!(diff.contains("are the same 256 bytes"), "{diff}");
    let before = run(&db, &["eeprom", "decode", "image:1"], 0);
    assert!(before.contains("Format: X19 (XXTEA)"), "{before}");
}

/// Meter readings at test points: judged against the ranges the guides give (an S19's CLK
/// 0.7-1.3 V and RST 1.8 V, facts §5.3; its domains' band from the profile), kept on the
/// ticket, listed by `tickets show`; a place the board does not have is refused by name.
#[test]
fn test_point_readings_are_judged_kept_and_shown() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("shop.db");
    let ticket = run(
        &db,
        &["tickets", "new", "--serial", "TP-1", "--model", "s19"],
        0,
    );
    let ticket = ticket.trim();
    let ok = run(
        &db,
        &[
            "tickets", "reading", ticket, "--chip", "12", "--point", "clk", "--mv", "950",
        ],
        0,
    );
    assert!(ok.contains("chip 12 CLK: 950 mV (700-1300 mV): ok"), "{ok}");
    assert!(ok.contains("S19 maintenance guide"), "{ok}");
    let low = run(
        &db,
        &[
            "tickets", "reading", ticket, "--chip", "13", "--point", "RST", "--mv", "300",
        ],
        0,
    );
    assert!(
        low.contains("chip 13 RST: 300 mV (1620-1980 mV): LOW"),
        "{low}"
    );
    let no_chip = run(
        &db,
        &[
            "tickets", "reading", ticket, "--chip", "76", "--point", "clk", "--mv", "950",
        ],
        2,
    );
    assert!(
        no_chip.contains("chip 76: a s19 has chips 0 to 75"),
        "{no_chip}"
    );
    let wrong_place = run(
        &db,
        &[
            "tickets", "reading", ticket, "--chip", "3", "--point", "1v8", "--mv", "1800",
        ],
        2,
    );
    assert!(
        wrong_place.contains("1V8 is read at a domain"),
        "{wrong_place}"
    );
    let shown = run(&db, &["tickets", "show", ticket], 0);
    assert!(shown.contains("Test-point readings:"), "{shown}");
    assert!(
        shown.contains("chip 13 RST: 300 mV (1620-1980 mV): LOW"),
        "{shown}"
    );
    let json = json(&db, &["tickets", "show", ticket, "--json"]);
    assert_eq!(json["readings"].as_array().unwrap().len(), 2);
    assert_eq!(json["readings"][1]["verdict"], "LOW");
}

/// On a board whose design file is public the reading names the pad to probe: domain 1's 1V8 of
/// a Bitaxe Hex is TP45 on the back (skot/bitaxeHex rev 304); an S19 names none.
#[test]
fn a_reading_names_the_pad_of_the_boards_design() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("shop.db");
    let ticket = run(
        &db,
        &[
            "tickets",
            "new",
            "--serial",
            "HEX-1",
            "--model",
            "bitaxe-hex",
        ],
        0,
    );
    let ticket = ticket.trim();
    let said = run(
        &db,
        &[
            "tickets", "reading", ticket, "--domain", "1", "--point", "1v8", "--mv", "1790",
        ],
        0,
    );
    assert!(said.contains("domain 1 1V8: 1790 mV"), "{said}");
    assert!(
        said.contains("probe: TP45 on the back (net /BM1366-2/1V8)"),
        "{said}"
    );
    let s19 = run(
        &db,
        &["tickets", "new", "--serial", "S19-1", "--model", "s19"],
        0,
    );
    let said = run(
        &db,
        &[
            "tickets",
            "reading",
            s19.trim(),
            "--domain",
            "1",
            "--point",
            "1v8",
            "--mv",
            "1790",
        ],
        0,
    );
    assert!(!said.contains("probe:"), "{said}");
}

/// `hashbench db push` moves a bench's file onto the shop server; a second push adds nothing.
#[test]
fn a_bench_file_pushed_twice_to_the_shop_server_lands_once() {
    let Some(admin) = store::server::test_server().unwrap() else {
        return;
    };
    let server = store::server::scratch_database(&admin, "cli_db_push").unwrap();
    let dir = tempfile::tempdir().unwrap();
    let bench = dir.path().join("bench.db");
    run(
        &bench,
        &["tickets", "new", "--serial", "PUSH1", "--model", "s19jpro"],
        0,
    );
    run(
        &bench,
        &[
            "diagnose", "--sim", "s19jpro", "--fault", "dead:7", "--ticket", "1",
        ],
        1,
    );
    // `db push` names both databases itself; `--db` is not read.
    let from = bench.to_str().unwrap();
    let push = |to: &str, code| {
        run(
            Path::new("unused.db"),
            &["db", "push", "--from", from, "--to", to],
            code,
        )
    };
    let first = push(&server, 0);
    assert!(
        first.contains("1 tickets added (0 already there), 1 runs added (0 already there)"),
        "{first}"
    );
    let second = push(&server, 0);
    assert!(
        second.contains("0 tickets added (1 already there), 0 runs added (1 already there)"),
        "{second}"
    );
    let shown = json(Path::new(&server), &["tickets", "list", "--json"]);
    assert_eq!(shown.as_array().map(Vec::len), Some(1), "{shown}");
    // A file is not a server: said plainly.
    let refused = push("/tmp/shop.db", 2);
    assert!(
        refused.contains("is not a shop server's address"),
        "{refused}"
    );
}

/// Runs kept while the server was away are listed, then sent once with `db outbox --send`.
#[test]
fn the_outbox_lists_and_sends_what_waited_for_the_shop_server() {
    let Some(admin) = store::server::test_server().unwrap() else {
        return;
    };
    let server = store::server::scratch_database(&admin, "cli_db_outbox").unwrap();
    let dir = tempfile::tempdir().unwrap();
    let outbox_path = dir.path().join("outbox.db");
    let mut outbox = store::Outbox::open(&outbox_path).unwrap();
    let report: diagnosis::Report = serde_json::from_str(
        &std::fs::read_to_string(common::fixture("runs/s19jpro-healthy.json")).unwrap(),
    )
    .unwrap();
    let mut report = report;
    report.board.serial = Some("OUTBOX1".into());
    outbox
        .put(&store::OutboxRun {
            ticket: None,
            report,
            retest_chips: None,
            started_at: 1_793_577_600,
            ended_at: 1_793_577_690,
            operator: "Ana".into(),
            model: "s19jpro".into(),
        })
        .unwrap();
    drop(outbox);
    let outbox_arg = outbox_path.to_str().unwrap();
    let listed = run(
        Path::new(&server),
        &["db", "outbox", "--outbox", outbox_arg],
        0,
    );
    assert!(listed.starts_with("1 run(s) waiting in"), "{listed}");
    assert!(
        listed.contains("s19jpro OUTBOX1 on a new ticket, pass"),
        "{listed}"
    );
    let sent = run(
        Path::new(&server),
        &["db", "outbox", "--outbox", outbox_arg, "--send"],
        0,
    );
    assert!(sent.contains("Sent 1 run(s) to postgres://"), "{sent}");
    assert!(sent.contains("0 left in the outbox"), "{sent}");
    let again = run(
        Path::new(&server),
        &["db", "outbox", "--outbox", outbox_arg, "--send"],
        0,
    );
    assert!(again.starts_with("Sent 0 run(s)"), "{again}");
    let history = json(
        Path::new(&server),
        &["tickets", "history", "OUTBOX1", "--json"],
    );
    assert_eq!(
        history["tickets"][0]["runs"].as_array().map(Vec::len),
        Some(1)
    );
}

/// TLS to the shop server: with `sslmode=require` the bench connects over TLS when it trusts
/// the server's certificate (the shop's CA in HASHBENCH_DB_CA), and says plainly when it does
/// not. Needs a test server that speaks TLS (CI's does).
#[test]
fn the_shop_server_over_tls_needs_its_certificate_trusted() {
    let (Some(admin), Some(ca)) = (
        store::server::test_server().unwrap(),
        std::env::var_os(store::CA_ENV),
    ) else {
        return;
    };
    let server = store::server::scratch_database(&admin, "cli_tls").unwrap();
    let secure = format!("{server}?sslmode=require");
    let listed = common::command()
        .env(store::CA_ENV, &ca)
        .args(["--db", &secure, "tickets", "list"])
        .output()
        .unwrap();
    assert!(
        listed.status.success(),
        "{}",
        String::from_utf8_lossy(&listed.stderr)
    );
    let refused = common::command()
        .env_remove(store::CA_ENV)
        .args(["--db", &secure, "tickets", "list"])
        .output()
        .unwrap();
    assert_eq!(refused.status.code(), Some(2));
    let said = String::from_utf8_lossy(&refused.stderr);
    assert!(said.contains("no secure connection"), "{said}");
    assert!(said.contains("HASHBENCH_DB_CA=FILE.pem"), "{said}");
}

#[test]
fn a_ticket_label_names_the_ticket_and_board_for_the_label_printer() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("shop.db");
    run(
        &db,
        &[
            "tickets",
            "new",
            "--serial",
            "JYZZ0042",
            "--model",
            "s19jpro",
            "--customer",
            "Acme",
        ],
        0,
    );
    let label = dir.path().join("label.pdf");
    let said = run(
        &db,
        &["tickets", "label", "1", "--out", label.to_str().unwrap()],
        0,
    );
    assert!(
        said.starts_with("label of ticket 1 (JYZZ0042) written to"),
        "{said}"
    );
    let text = pdf_text(&label);
    for expected in ["Ticket #1", "JYZZ0042", "s19jpro", "Acme"] {
        assert!(text.contains(expected), "{expected} in {text}");
    }
    let refused = run(
        &db,
        &["tickets", "label", "9", "--out", label.to_str().unwrap()],
        2,
    );
    assert!(refused.contains("there is no ticket 9"), "{refused}");
}

/// The support bundle: versions, where the records are and the logs, with no customer data
/// unless a ticket is asked for.
#[test]
fn a_support_bundle_holds_the_logs_and_customer_data_only_when_asked() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("shop.db");
    let data = dir.path().join("data");
    let hashbench = |args: &[&str]| {
        let out = common::command()
            .env("XDG_DATA_HOME", &data)
            .arg("--db")
            .arg(&db)
            .args(args)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    hashbench(&[
        "tickets",
        "new",
        "--serial",
        "JYZZ0042",
        "--model",
        "s19jpro",
        "--customer",
        "Acme",
    ]);
    let entries = |zip_path: &Path| {
        let mut zip = zip::ZipArchive::new(std::fs::File::open(zip_path).unwrap()).unwrap();
        (0..zip.len())
            .map(|i| {
                let mut f = zip.by_index(i).unwrap();
                let mut text = String::new();
                std::io::Read::read_to_string(&mut f, &mut text).unwrap();
                (f.name().to_owned(), text)
            })
            .collect::<Vec<_>>()
    };
    let plain = dir.path().join("support.zip");
    let said = hashbench(&["support-bundle", "--out", plain.to_str().unwrap()]);
    assert!(
        said.contains("versions.txt") && said.contains("logs/hashbench."),
        "{said}"
    );
    let files = entries(&plain);
    let names: Vec<&str> = files.iter().map(|(n, _)| n.as_str()).collect();
    assert!(
        names.contains(&"versions.txt") && names.contains(&"settings.json"),
        "{names:?}"
    );
    assert!(!names.contains(&"ticket.json"), "no customer data unasked");
    let logs: String = files
        .iter()
        .filter(|(n, _)| n.starts_with("logs/"))
        .map(|(_, t)| t.as_str())
        .collect();
    let lines: Vec<serde_json::Value> = logs
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(
        lines.iter().any(|l| l["fields"]["command"] == "tickets"),
        "{logs}"
    );
    assert!(!logs.contains("Acme"), "no customer in the logs");
    let versions = &files.iter().find(|(n, _)| n == "versions.txt").unwrap().1;
    assert!(versions.starts_with("hashbench: "), "{versions}");

    let with_ticket = dir.path().join("support-ticket.zip");
    hashbench(&[
        "support-bundle",
        "--out",
        with_ticket.to_str().unwrap(),
        "--ticket",
        "1",
    ]);
    let files = entries(&with_ticket);
    let ticket = &files.iter().find(|(n, _)| n == "ticket.json").unwrap().1;
    assert!(ticket.contains("\"customer\": \"Acme\""), "{ticket}");
}

/// S2 7/7: the shop's statistics from the command line, and on paper with plotters' charts.
#[test]
fn the_statistics_name_the_failed_chip_and_go_on_paper_with_their_charts() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("shop.db");
    run(
        &db,
        &[
            "diagnose", "--sim", "s19jpro", "--fault", "dead:5", "--json",
        ],
        1,
    );
    let pdf = dir.path().join("stats.pdf");
    let said = run(
        &db,
        &["tickets", "stats", "--pdf", pdf.to_str().unwrap()],
        0,
    );
    for line in [
        "tickets: 1",
        "s19jpro: most failed by chip: chip 5 (1)",
        "s19jpro: most failed by domain: domain 1 (1)",
        "statistics written to",
    ] {
        assert!(said.contains(line), "`{line}` in:\n{said}");
    }
    let text = pdf_text(&pdf);
    for expected in [
        "Shop statistics",
        "Failures on Antminer S19j Pro",
        "Tickets with a failure, by voltage domain",
    ] {
        assert!(text.contains(expected), "{expected} in {text}");
    }
    let refused = run(&db, &["tickets", "stats", "--paper", "a3"], 2);
    assert!(refused.contains("--paper: unknown paper `a3`"), "{refused}");
}
