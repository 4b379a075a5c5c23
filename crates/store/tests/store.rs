//! The repair record, as a shop uses it: intake, runs, repairs, retest, close, history, export.
//! Reports come from fixtures/runs (written by `hashbench diagnose --sim s19jpro ... --json`).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stderr
)] // Fine for tests: a failure is the report (and says which engine it ran on).

use std::path::{Path, PathBuf};

use diagnosis::{ChipState, Report, Verdict};
use store::{
    Action, ExportFilter, NewRepair, NewTicket, RunRecord, Status, Store, StoreError, TicketFilter,
    TicketSort,
};

const DAY: i64 = 86_400;
/// 2026-11-02 00:00 UTC.
const NOV_2: i64 = 1_793_577_600;

fn fixture_report(name: &str) -> Report {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("../../fixtures/runs/{name}.json"));
    let text = std::fs::read_to_string(&path).unwrap();
    serde_json::from_str(&text).unwrap()
}

/// Run `test` on a fresh SQLite file, then on a fresh database of the test server (if any).
fn on_each_engine(name: &str, test: impl Fn(Store)) {
    let dir = tempfile::tempdir().unwrap();
    eprintln!("{name}: on a SQLite file");
    test(Store::open(&dir.path().join("shop.db")).unwrap());
    if store::server::test_server().unwrap().is_none() {
        eprintln!(
            "{name}: {} is not set, so this ran on SQLite only",
            store::server::TEST_SERVER_ENV
        );
    }
    if let Some(admin) = store::server::test_server().unwrap() {
        eprintln!("{name}: on PostgreSQL");
        let address = store::server::scratch_database(&admin, name).unwrap();
        test(Store::connect(&address).unwrap());
    }
}

fn temp_store() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("shop.db")).unwrap();
    (dir, store)
}

fn intake(store: &mut Store, serial: &str, customer: &str, at: i64) -> i64 {
    store
        .create_ticket(&NewTicket {
            serial: Some(serial.into()),
            model: "s19jpro".into(),
            board_code: None,
            customer: customer.into(),
            symptom: "chain 2 shows 40 ASIC".into(),
            technician: "Ana".into(),
            intake_at: at,
        })
        .unwrap()
}

fn save(
    store: &mut Store,
    ticket: i64,
    report: &Report,
    at: i64,
    retest: Option<Vec<usize>>,
) -> i64 {
    store
        .save_run(
            ticket,
            &RunRecord {
                report,
                started_at: at,
                ended_at: at + 90,
                operator: "Ana".into(),
                retest_chips: retest,
            },
        )
        .unwrap()
}

fn repair(store: &mut Store, ticket: i64, chip: usize, action: Action, at: i64) {
    store
        .add_repair(
            ticket,
            &NewRepair {
                chip: Some(chip),
                uref: format!("U{}", chip + 1),
                action,
                part: "BM1362 lot 2345".into(),
                technician: "Ana".into(),
                at,
                minutes: 20,
                notes: "reworked".into(),
            },
        )
        .unwrap();
}

fn export(store: &Store, filter: &ExportFilter) -> Vec<Vec<String>> {
    let mut bytes = Vec::new();
    store.export_csv(&mut bytes, filter).unwrap();
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(bytes.as_slice());
    reader
        .records()
        .map(|r| r.unwrap().iter().map(str::to_owned).collect())
        .collect()
}

fn column(rows: &[Vec<String>], name: &str) -> usize {
    rows[0].iter().position(|c| c == name).unwrap()
}

#[test]
fn a_repair_from_intake_to_close_is_one_record() {
    on_each_engine(
        "a_repair_from_intake_to_close_is_one_record",
        |mut store| {
            let ticket = intake(&mut store, "JYZZ2345", "Acme Mining", NOV_2);
            assert_eq!(store.ticket(ticket).unwrap().status, Status::Received);

            let before = fixture_report("s19jpro-break-40");
            save(&mut store, ticket, &before, NOV_2 + 600, None);
            assert_eq!(store.ticket(ticket).unwrap().status, Status::Diagnosing);

            repair(&mut store, ticket, 39, Action::Reflow, NOV_2 + 3600);
            assert_eq!(store.ticket(ticket).unwrap().status, Status::Repairing);

            let after = fixture_report("s19jpro-healthy");
            save(&mut store, ticket, &after, NOV_2 + 7200, None);
            let t = store.ticket(ticket).unwrap();
            assert_eq!(t.status, Status::Verifying);
            assert_eq!(t.runs, 2);
            assert_eq!(t.last_verdict, Some(Verdict::Pass));
            assert_eq!(t.time_spent_s, 90 + 20 * 60 + 90, "two runs and one repair");

            // The verification policy (default: two passes after the last repair): one is not enough,
            // and the refusal changes nothing.
            let one = store.verification(ticket).unwrap();
            assert_eq!((one.passes, one.required, one.met()), (1, 2, false));
            let refused = store
                .set_status(ticket, Status::Done, NOV_2 + 7300)
                .unwrap_err();
            assert!(
        refused
            .to_string()
            .contains("1 passing full-board run(s) since its last repair (or intake, with none), and the verification policy asks for 2"),
        "{refused}"
    );
            assert_eq!(store.ticket(ticket).unwrap().status, Status::Verifying);
            save(&mut store, ticket, &after, NOV_2 + 7400, None);
            assert!(store.verification(ticket).unwrap().met());

            store
                .set_status(ticket, Status::Done, NOV_2 + 8000)
                .unwrap();
            let t = store.ticket(ticket).unwrap();
            assert_eq!((t.status, t.closed_at), (Status::Done, Some(NOV_2 + 8000)));

            let runs = store.runs(ticket).unwrap();
            assert_eq!(
                runs.iter().map(|r| r.verdict).collect::<Vec<_>>(),
                [Verdict::Fail, Verdict::Pass, Verdict::Pass]
            );
            assert_eq!(
                runs[0].states[40],
                ChipState::Missing,
                "the thumbnail has every chip"
            );
            assert_eq!(runs[0].states.len(), 126);
            assert_eq!(runs[0].profile, before.provenance.profile);
            assert_eq!(runs[0].pattern_set, before.provenance.pattern_set);

            let stored = store.run(runs[0].id).unwrap();
            assert_eq!(
                stored.report, before,
                "the full result comes back as it was"
            );

            let history = store.board_history("JYZZ2345").unwrap();
            assert_eq!(history.tickets.len(), 1);
            assert_eq!(history.tickets[0].runs.len(), 3);
            assert_eq!(history.tickets[0].repairs[0].action, Action::Reflow);

            let rows = export(&store, &ExportFilter::default());
            assert_eq!(rows.len(), 3, "header, the repair, the closed ticket");
            let (record, first, last) = (
                column(&rows, "record"),
                column(&rows, "first_verdict"),
                column(&rows, "last_verdict"),
            );
            assert_eq!(rows[1][record], "repair");
            assert_eq!(rows[2][record], "ticket");
            assert_eq!(
                (rows[2][first].as_str(), rows[2][last].as_str()),
                ("fail", "pass")
            );
            assert_eq!(rows[1][column(&rows, "uref")], "U40");
            assert_eq!(rows[2][column(&rows, "closed_utc")], "2026-11-02T02:13:20Z");
        },
    );
}

#[test]
fn a_board_that_comes_back_flags_the_position_that_failed_again() {
    on_each_engine(
        "a_board_that_comes_back_flags_the_position_that_failed_again",
        |mut store| {
            let first = intake(&mut store, "SN-REPEAT", "Acme", NOV_2);
            save(
                &mut store,
                first,
                &fixture_report("s19jpro-dead-5"),
                NOV_2,
                None,
            );
            repair(&mut store, first, 5, Action::Replace, NOV_2 + 100);
            save(
                &mut store,
                first,
                &fixture_report("s19jpro-healthy"),
                NOV_2 + 200,
                None,
            );
            store.set_required_passes(1); // A shop that asks for one pass after a repair.
            store.set_status(first, Status::Done, NOV_2 + 300).unwrap();

            let second = intake(&mut store, "SN-REPEAT", "Acme", NOV_2 + 30 * DAY);
            save(
                &mut store,
                second,
                &fixture_report("s19jpro-dead-5"),
                NOV_2 + 30 * DAY,
                None,
            );

            let history = store.board_history("SN-REPEAT").unwrap();
            assert_eq!(history.tickets.len(), 2, "one board row for both visits");
            assert_eq!(history.repeats.len(), 1);
            assert_eq!(history.repeats[0].chip, 5);
            assert_eq!(history.repeats[0].tickets, [first, second]);
        },
    );
}

#[test]
fn a_chain_break_counts_against_its_suspects_not_every_missing_chip() {
    on_each_engine(
        "a_chain_break_counts_against_its_suspects_not_every_missing_chip",
        |mut store| {
            for (i, serial) in ["A1", "A2"].iter().enumerate() {
                let t = intake(&mut store, serial, "Acme", NOV_2 + i as i64);
                save(
                    &mut store,
                    t,
                    &fixture_report("s19jpro-break-40"),
                    NOV_2 + i as i64,
                    None,
                );
            }
            let stats = store.stats().unwrap();
            let positions: Vec<(usize, u64)> = stats
                .failures_by_position
                .iter()
                .map(|c| (c.key.1, c.count))
                .collect();
            assert_eq!(positions, [(39, 2), (40, 2)]);
            assert_eq!(stats.failures_by_position[0].key.0, "s19jpro");
        },
    );
}

#[test]
fn shop_statistics_count_yield_status_and_median_times() {
    on_each_engine(
        "shop_statistics_count_yield_status_and_median_times",
        |mut store| {
            // Repaired and passed.
            let a = intake(&mut store, "S1", "Acme", NOV_2);
            save(
                &mut store,
                a,
                &fixture_report("s19jpro-dead-5"),
                NOV_2,
                None,
            );
            repair(&mut store, a, 5, Action::Replace, NOV_2 + 100);
            save(
                &mut store,
                a,
                &fixture_report("s19jpro-healthy"),
                NOV_2 + 200,
                None,
            );
            store.set_required_passes(1); // A shop that asks for one pass after a repair.
            store.set_status(a, Status::Done, NOV_2 + 2 * DAY).unwrap();
            // Repaired, still failing, scrapped.
            let b = intake(&mut store, "S2", "Acme", NOV_2);
            save(
                &mut store,
                b,
                &fixture_report("s19jpro-weak-12"),
                NOV_2,
                None,
            );
            repair(&mut store, b, 12, Action::Reball, NOV_2 + 100);
            save(
                &mut store,
                b,
                &fixture_report("s19jpro-weak-12"),
                NOV_2 + 200,
                None,
            );
            store
                .set_status(b, Status::Scrapped, NOV_2 + 4 * DAY)
                .unwrap();
            // Just received.
            intake(&mut store, "S3", "Bob", NOV_2);

            let stats = store.stats().unwrap();
            assert_eq!(stats.tickets, 3);
            assert_eq!((stats.repaired, stats.repaired_passed), (2, 1));
            assert_eq!(stats.repair_yield(), Some(0.5));
            let count = |s: &str| stats.by_status.iter().find(|c| c.key == s).unwrap().count;
            assert_eq!(
                (count("received"), count("done"), count("scrapped")),
                (1, 1, 1)
            );
            assert_eq!(
                stats.median_turnaround_s,
                Some(4 * DAY),
                "upper median of 2 and 4 days"
            );
            let domains: Vec<u64> = stats.failures_by_domain.iter().map(|c| c.count).collect();
            assert_eq!(domains.iter().sum::<u64>(), 2);
        },
    );
}

#[test]
fn the_ticket_list_filters_sorts_and_pages() {
    on_each_engine("the_ticket_list_filters_sorts_and_pages", |mut store| {
        store.set_required_passes(0); // Closing without runs: the list is the point here.
        for i in 0..30 {
            let customer = if i % 3 == 0 {
                "Acme Mining"
            } else {
                "Bob's Hosting"
            };
            let t = intake(&mut store, &format!("SN{i:03}"), customer, NOV_2 + i * DAY);
            if i % 5 == 0 {
                store
                    .set_status(t, Status::Done, NOV_2 + i * DAY + 10)
                    .unwrap();
            }
        }
        let all = TicketFilter::default();
        assert_eq!(store.count_tickets(&all).unwrap(), 30);
        let page = store
            .list_tickets(&all, TicketSort::Intake, true, 0, 10)
            .unwrap();
        assert_eq!(page.len(), 10);
        assert_eq!(
            page[0].board.serial.as_deref(),
            Some("SN029"),
            "newest first"
        );
        let next = store
            .list_tickets(&all, TicketSort::Intake, true, 10, 10)
            .unwrap();
        assert_eq!(next[0].board.serial.as_deref(), Some("SN019"));

        let acme = TicketFilter {
            customer: "acme".into(),
            ..TicketFilter::default()
        };
        assert_eq!(
            store.count_tickets(&acme).unwrap(),
            10,
            "LIKE ignores ASCII case"
        );
        let done = TicketFilter {
            status: Some(Status::Done),
            ..TicketFilter::default()
        };
        assert_eq!(store.count_tickets(&done).unwrap(), 6);
        let week = TicketFilter {
            since: Some(NOV_2 + 7 * DAY),
            until: Some(NOV_2 + 14 * DAY),
            ..TicketFilter::default()
        };
        assert_eq!(store.count_tickets(&week).unwrap(), 7);
        let by_text = TicketFilter {
            text: "SN01".into(),
            ..TicketFilter::default()
        };
        assert_eq!(store.count_tickets(&by_text).unwrap(), 10);
        let by_number = TicketFilter {
            text: "#7".into(),
            ..TicketFilter::default()
        };
        let found = store
            .list_tickets(&by_number, TicketSort::Number, false, 0, 50)
            .unwrap();
        assert_eq!(found.iter().map(|t| t.id).collect::<Vec<_>>(), [7]);
        let wildcard = TicketFilter {
            text: "%".into(),
            ..TicketFilter::default()
        };
        assert_eq!(
            store.count_tickets(&wildcard).unwrap(),
            0,
            "% is searched for, not a wildcard"
        );
        let by_customer = store
            .list_tickets(&all, TicketSort::Customer, false, 0, 1)
            .unwrap();
        assert_eq!(by_customer[0].customer, "Acme Mining");
    });
}

#[test]
fn a_run_aborted_by_unplug_is_saved_as_aborted() {
    on_each_engine(
        "a_run_aborted_by_unplug_is_saved_as_aborted",
        |mut store| {
            let t = intake(&mut store, "SN-UNPLUG", "Acme", NOV_2);
            let mut report = fixture_report("s19jpro-healthy");
            report.verdict = Verdict::Inconclusive;
            report.aborted = Some("the jig was unplugged".into());
            save(&mut store, t, &report, NOV_2, None);
            let runs = store.runs(t).unwrap();
            assert_eq!(runs[0].aborted.as_deref(), Some("the jig was unplugged"));
            assert_eq!(runs[0].verdict, Verdict::Inconclusive);
        },
    );
}

#[test]
fn a_capture_attaches_to_its_run_and_reads_back() {
    on_each_engine(
        "a_capture_attaches_to_its_run_and_reads_back",
        |mut store| {
            let t = intake(&mut store, "SN-CAPTURE", "Acme", NOV_2);
            let run = save(
                &mut store,
                t,
                &fixture_report("s19jpro-healthy"),
                NOV_2,
                None,
            );
            assert_eq!(store.capture(run).unwrap(), None);
            let text = "{\"capture\":1,\"family\":\"bm1362\",\"profile\":\"s19jpro\",\"app_version\":\"0.1.0\"}\n";
            store.attach_capture(run, text).unwrap();
            assert_eq!(store.capture(run).unwrap().as_deref(), Some(text));
            // Attaching again replaces it; a run that does not exist is named.
            store.attach_capture(run, "second").unwrap();
            assert_eq!(store.capture(run).unwrap().as_deref(), Some("second"));
            let err = store
                .attach_capture(run + 100, text)
                .unwrap_err()
                .to_string();
            assert!(err.contains(&format!("run {}", run + 100)), "{err}");
        },
    );
}

#[test]
fn formula_cells_are_neutralised_in_the_export() {
    on_each_engine(
        "formula_cells_are_neutralised_in_the_export",
        |mut store| {
            let hostile = [
                "=HYPERLINK(\"http://x\")",
                "+1+1",
                "-2+3",
                "@SUM(A1)",
                "\tTAB",
                "\rCR",
            ];
            for (i, text) in hostile.iter().enumerate() {
                let t = store
                    .create_ticket(&NewTicket {
                        serial: Some(format!("SN{i}")),
                        model: "s19jpro".into(),
                        board_code: None,
                        customer: (*text).into(),
                        symptom: "ok".into(),
                        technician: String::new(),
                        intake_at: NOV_2,
                    })
                    .unwrap();
                let revision = store.ticket(t).unwrap().revision;
                store
                    .edit_ticket(t, revision, text, "ok", "", text)
                    .unwrap();
                store.set_status(t, Status::Returned, NOV_2 + 1).unwrap();
            }
            let rows = export(&store, &ExportFilter::default());
            let (customer, notes) = (column(&rows, "customer"), column(&rows, "notes"));
            for row in &rows[1..] {
                assert!(
                    row[notes].starts_with('\''),
                    "not neutralised: {:?}",
                    row[notes]
                );
                // Customer names are trimmed on entry, so a leading tab or CR never reaches them.
                let cell = &row[customer];
                assert!(
                    cell.starts_with('\'') || cell == "TAB" || cell == "CR",
                    "not neutralised: {cell:?}"
                );
            }
            assert_eq!(rows[1][customer], "'=HYPERLINK(\"http://x\")");
            assert_eq!(rows[5][notes], "'\tTAB");
            assert_eq!(store::neutralise("3 chips"), "3 chips");
        },
    );
}

#[test]
fn the_export_is_rfc_4180_utf8_and_filters_by_date_and_status() {
    on_each_engine(
        "the_export_is_rfc_4180_utf8_and_filters_by_date_and_status",
        |mut store| {
            store.set_required_passes(0); // Closing without runs: the export is the point here.
            let a = intake(&mut store, "SN-Ü", "Müller, \"GmbH\"", NOV_2);
            repair(&mut store, a, 1, Action::Clean, NOV_2 + DAY);
            store.set_status(a, Status::Done, NOV_2 + 2 * DAY).unwrap();
            let b = intake(&mut store, "SN-B", "Acme", NOV_2);
            repair(&mut store, b, 2, Action::Reflow, NOV_2 + 10 * DAY);

            let mut bytes = Vec::new();
            store
                .export_csv(&mut bytes, &ExportFilter::default())
                .unwrap();
            let text = String::from_utf8(bytes).unwrap();
            assert!(
                text.contains("\"Müller, \"\"GmbH\"\"\""),
                "quoted per RFC 4180: {text}"
            );
            assert!(text.ends_with("\r\n"));
            assert_eq!(
                text.lines().next().unwrap().split(',').count(),
                store::EXPORT_COLUMNS.len()
            );

            let rows = |f: ExportFilter| export(&store, &f).len() - 1;
            assert_eq!(rows(ExportFilter::default()), 3);
            assert_eq!(
                rows(ExportFilter {
                    since: Some(NOV_2 + 5 * DAY),
                    ..ExportFilter::default()
                }),
                1
            );
            assert_eq!(
                rows(ExportFilter {
                    until: Some(NOV_2 + 5 * DAY),
                    ..ExportFilter::default()
                }),
                2
            );
            assert_eq!(
                rows(ExportFilter {
                    status: Some(Status::Repairing),
                    ..ExportFilter::default()
                }),
                1
            );
        },
    );
}

fn open_error(path: &Path) -> String {
    Store::open(path).unwrap_err().to_string()
}

#[test]
fn a_file_that_is_not_a_database_is_named_in_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("notes.db");
    std::fs::write(&path, b"these are my notes, not a database, but long enough to look like one ...........................").unwrap();
    let text = open_error(&path);
    assert!(text.contains("notes.db"), "{text}");
    assert!(text.contains("not a readable Hashbench database"), "{text}");
}

#[test]
fn a_damaged_database_gives_an_error_not_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("shop.db");
    {
        let mut store = Store::open(&path).unwrap();
        for i in 0..200 {
            intake(&mut store, &format!("SN{i}"), &"x".repeat(200), NOV_2);
        }
    }
    // Overwrite pages in the middle of the file (after the header page).
    let mut bytes = std::fs::read(&path).unwrap();
    for b in bytes.iter_mut().skip(4096).take(8192) {
        *b = 0xA5;
    }
    std::fs::write(&path, &bytes).unwrap();
    let outcome = Store::open(&path).and_then(|s| {
        s.list_tickets(&TicketFilter::default(), TicketSort::Number, false, 0, 1000)?;
        s.integrity_check()
    });
    match outcome {
        Err(e) => assert!(e.to_string().contains("shop.db"), "{e}"),
        Ok(check) => assert_ne!(check, "ok", "the damage must be seen"),
    }
}

#[test]
fn a_database_from_a_newer_hashbench_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("shop.db");
    drop(Store::open(&path).unwrap());
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.pragma_update(None, "user_version", 99).unwrap();
    drop(conn);
    let text = open_error(&path);
    assert!(
        text.contains("newer Hashbench (schema version 99"),
        "{text}"
    );
}

#[test]
fn a_row_this_version_cannot_read_is_named() {
    let (dir, mut store) = temp_store();
    let t = intake(&mut store, "SN1", "Acme", NOV_2);
    drop(store);
    let path: PathBuf = dir.path().join("shop.db");
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.pragma_update(None, "ignore_check_constraints", true)
        .unwrap();
    conn.execute("UPDATE tickets SET status = 'lost' WHERE id = ?1", [t])
        .unwrap();
    drop(conn);
    let store = Store::open(&path).unwrap();
    let err = store.ticket(t).unwrap_err();
    assert!(matches!(
        err,
        StoreError::BadRow {
            table: "tickets",
            ..
        }
    ));
    let text = err.to_string();
    assert!(
        text.contains("shop.db") && text.contains("unknown ticket status `lost`"),
        "{text}"
    );
}

#[test]
fn a_second_writer_gets_a_clear_busy_message_and_nothing_is_half_written() {
    let (dir, mut store) = temp_store();
    let path = dir.path().join("shop.db");
    let other = rusqlite::Connection::open(&path).unwrap();
    other.execute_batch("BEGIN IMMEDIATE").unwrap();
    let mut second = Store::open_with_timeout(&path, std::time::Duration::from_millis(50)).unwrap();
    let err = second
        .create_ticket(&NewTicket {
            serial: Some("SN9".into()),
            model: "s9".into(),
            ..NewTicket::default()
        })
        .unwrap_err();
    assert!(err.is_busy(), "{err}");
    assert!(
        err.to_string().contains("another Hashbench is writing"),
        "{err}"
    );
    other.execute_batch("ROLLBACK").unwrap();
    assert_eq!(store.count_tickets(&TicketFilter::default()).unwrap(), 0);
    intake(&mut store, "SN9", "Acme", NOV_2);
    assert_eq!(store.integrity_check().unwrap(), "ok");
}

#[test]
fn unknown_tickets_are_named() {
    on_each_engine("unknown_tickets_are_named", |mut store| {
        let err = store.ticket(42).unwrap_err().to_string();
        assert!(err.ends_with("there is no ticket 42"), "{err}");
        let report = fixture_report("s19jpro-healthy");
        let err = store
            .save_run(
                42,
                &RunRecord {
                    report: &report,
                    started_at: 0,
                    ended_at: 0,
                    operator: String::new(),
                    retest_chips: None,
                },
            )
            .unwrap_err()
            .to_string();
        assert!(err.ends_with("there is no ticket 42"), "{err}");
    });
}

#[test]
fn the_benchmark_shop_has_a_returning_board_with_runs_and_repairs() {
    on_each_engine(
        "the_benchmark_shop_has_a_returning_board_with_runs_and_repairs",
        |mut store| {
            let json = serde_json::to_string(&fixture_report("s19jpro-healthy")).unwrap();
            let shop = store.populate(1000, 126 * 80, &json).unwrap();
            assert_eq!(
                (shop.tickets, shop.runs, shop.chip_results),
                (1000, 80, 10_080)
            );
            assert_eq!(store.count_tickets(&TicketFilter::default()).unwrap(), 1000);
            let history = store.board_history(&shop.busy_serial).unwrap();
            assert_eq!(history.tickets.len(), 2, "{}", shop.busy_serial);
            assert!(
                history
                    .tickets
                    .iter()
                    .any(|t| !t.runs.is_empty() && !t.repairs.is_empty())
            );
            let stored = store.run(history.tickets[1].runs[0].id).unwrap();
            assert_eq!(stored.report.chips.len(), 126);
            let exported = store
                .export_csv(std::io::sink(), &ExportFilter::default())
                .unwrap();
            assert_eq!(
                exported,
                shop.repairs + 600,
                "every repair and every closed ticket"
            );
        },
    );
}

#[test]
fn hashbenches_opening_one_new_file_at_once_all_get_their_tickets_saved() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("shop.db");
    let writers: Vec<_> = (0..6)
        .map(|w| {
            let path = path.clone();
            std::thread::Builder::new()
                .name(format!("writer-{w}"))
                .spawn(move || {
                    let mut store = Store::open(&path).unwrap();
                    for i in 0..10 {
                        intake(&mut store, &format!("W{w}-{i}"), "Acme", NOV_2);
                    }
                })
                .unwrap()
        })
        .collect();
    for w in writers {
        w.join().unwrap();
    }
    let store = Store::open(&path).unwrap();
    assert_eq!(store.count_tickets(&TicketFilter::default()).unwrap(), 60);
    assert_eq!(store.integrity_check().unwrap(), "ok");
}

#[test]
fn an_export_to_a_file_leaves_no_partial_file_and_names_a_bad_folder() {
    let (dir, mut store) = temp_store();
    store.set_required_passes(0); // Closing without runs: the export is the point here.
    let t = intake(&mut store, "SN1", "Acme", NOV_2);
    store.set_status(t, Status::Done, NOV_2 + DAY).unwrap();
    let path = dir.path().join("history.csv");
    assert_eq!(
        store
            .export_csv_file(&path, &ExportFilter::default())
            .unwrap(),
        1
    );
    assert!(
        std::fs::read_to_string(&path)
            .unwrap()
            .starts_with("record,ticket,")
    );
    assert!(!dir.path().join("history.csv.partial").exists());
    let err = store
        .export_csv_file(
            &dir.path().join("no/such/folder/h.csv"),
            &ExportFilter::default(),
        )
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("no/such/folder/h.csv.partial") && err.contains("creating the CSV"),
        "{err}"
    );
}

#[test]
fn an_edit_from_an_older_copy_of_the_ticket_is_refused_and_loses_nothing() {
    on_each_engine("edit_from_an_older_copy", |mut store| {
        let t = intake(&mut store, "SN1", "Acme", NOV_2);
        let opened_here = store.ticket(t).unwrap();
        let opened_there = store.ticket(t).unwrap();
        // The other bench saves first.
        store
            .edit_ticket(
                t,
                opened_there.revision,
                "Acme",
                "chain 2 shows 40 ASIC",
                "Bo",
                "PSU connector burnt",
            )
            .unwrap();
        let err = store
            .edit_ticket(
                t,
                opened_here.revision,
                "Acme",
                "chain 2 shows 40 ASIC",
                "Ana",
                "reflowed U41",
            )
            .unwrap_err();
        let StoreError::Conflict { current, .. } = &err else {
            panic!("{err}");
        };
        assert_eq!(current.notes, "PSU connector burnt", "theirs, to be shown");
        assert!(
            err.to_string()
                .contains("was changed elsewhere since it was opened"),
            "{err}"
        );
        assert_eq!(store.ticket(t).unwrap().notes, "PSU connector burnt");
        // Saved again from the current copy, it goes through.
        store
            .edit_ticket(t, current.revision, "Acme", "", "Ana", "reflowed U41")
            .unwrap();
        assert_eq!(store.ticket(t).unwrap().notes, "reflowed U41");
        assert!(matches!(
            store.edit_ticket(999, 0, "", "", "", ""),
            Err(StoreError::NotFound { .. })
        ));
    });
}

/// A bench's file as `hashbench db push` finds it: two boards (one without a serial), runs
/// with a capture, a repair, an EEPROM backup and a reading.
fn bench_file(dir: &Path) -> (Store, i64) {
    let mut bench = Store::open(&dir.join("bench.db")).unwrap();
    let t = intake(&mut bench, "JYZZ0042", "Acme", NOV_2);
    let before = save(
        &mut bench,
        t,
        &fixture_report("s19jpro-break-40"),
        NOV_2 + 600,
        None,
    );
    bench.attach_capture(before, "{\"capture\":1}\n").unwrap();
    repair(&mut bench, t, 39, Action::Reflow, NOV_2 + 3600);
    bench
        .save_eeprom(t, store::ImageKind::Backup, "legacy S9k", &[0xA5; 256])
        .unwrap();
    bench
        .add_reading(
            t,
            &store::NewReading {
                chip: Some(39),
                domain: None,
                point: "CLK".into(),
                mv: 900,
                range_mv: Some((800, 1000)),
                verdict: "ok".into(),
                source: "S19 guide".into(),
                technician: "Ana".into(),
            },
        )
        .unwrap();
    bench
        .create_ticket(&NewTicket {
            serial: None,
            model: "s9".into(),
            customer: "walk-in".into(),
            intake_at: NOV_2 + 10,
            ..NewTicket::default()
        })
        .unwrap();
    (bench, t)
}

#[test]
fn pushing_a_bench_file_twice_adds_its_records_once() {
    on_each_engine("push_twice", |mut shop| {
        let dir = tempfile::tempdir().unwrap();
        let (mut bench, t) = bench_file(dir.path());
        // The shop already had this board from another bench.
        intake(&mut shop, "JYZZ0042", "Acme", NOV_2 - 30 * DAY);

        let first = bench.push_to(&mut shop).unwrap();
        assert_eq!(first.tickets, (2, 0));
        assert_eq!(first.runs, (1, 0));
        assert_eq!(first.repairs, (1, 0));
        assert_eq!(first.eeprom_images, (1, 0));
        assert_eq!(first.readings, (1, 0));
        assert_eq!(first.boards, 1, "the serial-less board; JYZZ0042 was known");

        let again = bench.push_to(&mut shop).unwrap();
        assert_eq!(again.tickets, (0, 2));
        assert_eq!(again.runs, (0, 1));
        assert_eq!((again.repairs, again.readings), ((0, 1), (0, 1)));
        assert_eq!(again.boards, 0);

        // What the bench recorded since is added on the next push, nothing else.
        save(
            &mut bench,
            t,
            &fixture_report("s19jpro-healthy"),
            NOV_2 + 7200,
            None,
        );
        let third = bench.push_to(&mut shop).unwrap();
        assert_eq!(third.runs, (1, 1));

        let history = shop.board_history("JYZZ0042").unwrap();
        assert_eq!(
            history.tickets.len(),
            2,
            "the other bench's ticket and this one"
        );
        let pushed = &history.tickets[1];
        assert_eq!(pushed.ticket.customer, "Acme");
        assert_eq!(pushed.runs.len(), 2);
        assert_eq!(pushed.repairs[0].uref, "U40");
        let run = shop.run(pushed.runs[0].id).unwrap();
        assert_eq!(run.report, bench.run(1).unwrap().report, "the whole report");
        assert_eq!(
            shop.capture(pushed.runs[0].id).unwrap().as_deref(),
            Some("{\"capture\":1}\n")
        );
        // Chip results came along: the shop's statistics (which read them) match the bench's.
        assert_eq!(
            shop.stats().unwrap().failures_by_position,
            bench.stats().unwrap().failures_by_position
        );
        assert!(!bench.stats().unwrap().failures_by_position.is_empty());
        let images = shop.eeprom_images(pushed.ticket.id).unwrap();
        assert_eq!(images[0].bytes, vec![0xA5; 256]);
        assert_eq!(shop.readings(pushed.ticket.id).unwrap()[0].reading.mv, 900);
        assert_eq!(
            shop.count_tickets(&TicketFilter::default()).unwrap(),
            3,
            "nothing twice"
        );
    });
}

#[test]
fn an_outbox_delivers_each_run_once_even_when_a_delivery_is_cut_short() {
    on_each_engine("outbox_once", |mut shop| {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("outbox.db");
        let mut outbox = store::Outbox::open(&path).unwrap();
        let known = intake(&mut shop, "JYZZ0042", "Acme", NOV_2);
        let run = |ticket, report: &str, at| store::OutboxRun {
            ticket,
            report: fixture_report(report),
            retest_chips: None,
            started_at: at,
            ended_at: at + 90,
            operator: "Ana".into(),
            model: "s19jpro".into(),
        };
        // A live run's report carries temperatures, which its JSON leaves out.
        let mut first = run(Some(known), "s19jpro-break-40", NOV_2 + 600);
        first.report.temperatures = vec![(0, vec![Some(41.5)]), (2_000_000, vec![Some(63.0)])];
        outbox.put(&first).unwrap();
        // A board with no ticket yet: one is opened for its serial on delivery.
        let mut walk_in = run(None, "s19jpro-healthy", NOV_2 + 900);
        walk_in.report.board.serial = Some("WALKIN7".into());
        outbox.put(&walk_in).unwrap();
        assert_eq!(outbox.waiting().unwrap(), 2);
        // The file as it stood before delivery: what a bench cut off between the server's
        // commit and its own delete would find.
        std::fs::copy(&path, dir.path().join("before.db")).unwrap();

        let delivered = outbox.deliver(&mut shop).unwrap();
        assert_eq!(delivered.len(), 2);
        // The telemetry went along (it is not in the report's JSON).
        let sent = shop.run(delivered[0].run).unwrap();
        assert_eq!(sent.telemetry, store::Telemetry::from_report(&first.report));
        assert_eq!(sent.telemetry.temperatures.len(), 2);
        assert_eq!(delivered[0].ticket, known);
        assert_eq!(outbox.waiting().unwrap(), 0);
        assert_eq!(shop.runs(known).unwrap().len(), 1);
        assert_eq!(shop.ticket(known).unwrap().status, Status::Diagnosing);
        let walk_in_ticket = shop.board_history("WALKIN7").unwrap().tickets[0].ticket.id;
        assert_eq!(walk_in_ticket, delivered[1].ticket);

        let mut replay = store::Outbox::open(&dir.path().join("before.db")).unwrap();
        let again = replay.deliver(&mut shop).unwrap();
        assert_eq!(
            again.iter().map(|d| (d.ticket, d.run)).collect::<Vec<_>>(),
            delivered
                .iter()
                .map(|d| (d.ticket, d.run))
                .collect::<Vec<_>>(),
            "found on the server by origin, not saved again"
        );
        assert_eq!(shop.runs(known).unwrap().len(), 1);
        assert_eq!(shop.board_history("WALKIN7").unwrap().tickets.len(), 1);
        assert_eq!(shop.count_tickets(&TicketFilter::default()).unwrap(), 2);
    });
}

/// A save whose answer the server lost (it committed, the bench saw an error) keeps the run in
/// the outbox too; sent later, the intake and the run are found by the origin every save gives
/// them, not saved twice. (The shop server's load test, killing the server mid-load, once
/// found one run saved twice before runs saved directly carried an origin.)
#[test]
fn a_run_saved_although_its_answer_was_lost_is_not_saved_again_from_the_outbox() {
    on_each_engine("answer_lost", |mut shop| {
        let dir = tempfile::tempdir().unwrap();
        let mut outbox = store::Outbox::open(&dir.path().join("outbox.db")).unwrap();
        let mut report = fixture_report("s19jpro-healthy");
        report.board.serial = Some("LOST0001".into());
        let run = store::OutboxRun {
            ticket: None,
            report,
            retest_chips: None,
            started_at: NOV_2,
            ended_at: NOV_2 + 90,
            operator: "Ana".into(),
            model: "s19jpro".into(),
        };
        let new = NewTicket::for_run(&run.report, &run.model, &run.operator, run.started_at);
        // The intake committed, its answer lost: the bench keeps the run with no ticket.
        let ticket = shop.create_ticket_for_run(&new, &run.record()).unwrap();
        outbox.put(&run).unwrap();
        let delivered = outbox.deliver(&mut shop).unwrap();
        assert_eq!(
            delivered[0].ticket, ticket,
            "the intake found, not opened again"
        );
        // The run committed too, its answer lost: kept again, for the ticket it went to.
        let saved = delivered[0].run;
        outbox
            .put(&store::OutboxRun {
                ticket: Some(ticket),
                ..run.clone()
            })
            .unwrap();
        assert_eq!(shop.save_run(ticket, &run.record()).unwrap(), saved);
        let again = outbox.deliver(&mut shop).unwrap();
        assert_eq!(again[0].run, saved, "the run found, not saved again");
        assert_eq!(shop.runs(ticket).unwrap().len(), 1);
        assert_eq!(shop.count_tickets(&TicketFilter::default()).unwrap(), 1);
        // The same run on another ticket is another run.
        let other = intake(&mut shop, "OTHER01", "Acme", NOV_2);
        assert_ne!(shop.save_run(other, &run.record()).unwrap(), saved);
    });
}
