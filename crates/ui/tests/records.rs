//! The repair record in the window: a board taken in, diagnosed, repaired on the map, retested
//! and closed, then found in its board history and in the exported CSV.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // Fine for tests: a failure is the report.

mod common;

use std::path::Path;

use common::until;
use diagnosis::Verdict;
use eframe::egui;
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT, Queryable};
use store::{Action, Status};
use ui::{Command, RecordCommand, Settings, Source, Workbench};

fn workbench(db: &Path, faults: &str) -> Harness<'static, Workbench> {
    let settings = Settings {
        model: "s19jpro".into(),
        faults: faults.into(),
        source: Source::Simulated,
        technician: "Ana".into(),
        ..Settings::default()
    };
    let db = db.to_path_buf();
    Harness::builder()
        .with_size(egui::vec2(1280.0, 800.0))
        .build_eframe(move |cc| Workbench::new(cc, Some(settings)).with_records(Some(&db), None))
}

/// Click into the field labelled `label` and type `text`.
fn type_into(h: &mut Harness<'static, Workbench>, label: &str, text: &str) {
    h.get_by_label(label).focus();
    h.run_steps(1);
    h.get_by_label(label).type_text(text);
    h.run_steps(1);
}

/// Take the board in as the form fills it from its EEPROM (serial, model): New ticket…, wait for
/// the read, Open ticket.
fn take_in(h: &mut Harness<'static, Workbench>) {
    h.get_by_label("New ticket…").click();
    until(h, "the EEPROM to be read", |w| {
        w.is_idle() && w.records().is_form_open()
    });
    h.get_by_label("Open ticket").click();
    h.run_steps(2);
}

/// A PDF's text as poppler's `pdftotext` reads it.
fn pdf_text(pdf: &Path) -> String {
    let out = std::process::Command::new("pdftotext")
        .arg(pdf)
        .arg("-")
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn run_diagnosis(h: &mut Harness<'static, Workbench>, runs_before: usize) {
    h.get_by_label("Workbench").click();
    h.run_steps(2);
    h.get_by_label("Run full diagnosis (F5)").click();
    until(h, "the run to be saved", |w| {
        !w.is_running() && w.records().current_runs().len() == runs_before + 1
    });
}

#[test]
fn a_ticket_opened_diagnosed_repaired_retested_and_closed_is_in_history_and_csv() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("shop.db");
    let mut h = workbench(&db, "break:40");
    h.run_steps(2);

    // Intake: the serial comes from the board's EEPROM, read through the (simulated) jig.
    h.get_by_label("New ticket…").click();
    until(&mut h, "the EEPROM to be read", |w| {
        w.is_idle() && w.records().is_form_open()
    });
    type_into(&mut h, "Customer name", "Acme Mining");
    // Tab moves on to the next field, as at the bench.
    h.key_press(egui::Key::Tab);
    h.run_steps(1);
    h.get_by_label("Reported symptom")
        .type_text("chain shows 40 ASIC");
    h.run_steps(2);
    h.get_by_label("Open ticket").click();
    h.run_steps(2);
    let ticket = h
        .state()
        .records()
        .current()
        .cloned()
        .expect("a current ticket");
    let serial = ticket
        .board
        .serial
        .clone()
        .expect("serial read from the EEPROM");
    assert_eq!(ticket.customer, "Acme Mining");
    assert_eq!(ticket.symptom, "chain shows 40 ASIC");
    assert_eq!(ticket.technician, "Ana");

    // Diagnose: the run is saved against the ticket without anyone asking.
    run_diagnosis(&mut h, 0);
    assert_eq!(h.state().records().current_runs()[0].verdict, Verdict::Fail);

    // Repair: click the suspect on the map, record what was done.
    h.get_by_label("chip 39: ok").click();
    h.run_steps(2);
    type_into(&mut h, "Part / lot", "lot 7");
    h.run_steps(1);
    h.get_by_label("Record repair").click();
    h.run_steps(2);
    let repairs = h.state().records().current_repairs().to_vec();
    assert_eq!(repairs.len(), 1);
    assert_eq!(
        (repairs[0].chip, repairs[0].action),
        (Some(39), Action::Reflow)
    );
    assert_eq!(
        h.state().records().current().unwrap().status,
        Status::Repairing
    );

    // Retest after the (simulated) rework.
    h.state_mut().set_faults("");
    run_diagnosis(&mut h, 1);
    let runs = h.state().records().current_runs().to_vec();
    assert_eq!(
        runs.iter().map(|r| r.verdict).collect::<Vec<_>>(),
        [Verdict::Fail, Verdict::Pass]
    );
    assert_eq!(
        h.state().records().current().unwrap().status,
        Status::Verifying
    );

    // One pass after the repair is not verified yet (the default policy asks for two).
    h.get_by_label("Tickets").click();
    h.run_steps(2);
    h.get_by_label(
        "Verification: 1 of 2 passing full-board run(s) since the last repair: not yet verified",
    );
    run_diagnosis(&mut h, 2);

    // Close it; the ticket view compares the first and the latest run.
    h.get_by_label("Tickets").click();
    h.run_steps(2);
    h.get_by_label(
        "Verification: 2 of 2 passing full-board run(s) since the last repair: may close as done",
    );
    h.get_by_label_contains("Before (run");
    h.get_by_label("chip 40: missing -> ok");
    // (Through accessibility: kittest's pointer click misses this button, a real mouse does not.)
    h.get_by_label("Close: done").click_accesskit();
    h.run_steps(2);
    assert_eq!(h.state().records().current().unwrap().status, Status::Done);

    // Board history.
    h.get_by_label("Show board history").click();
    h.run_steps(2);
    let history = h.state().records().history().unwrap().clone();
    assert_eq!(history.board.serial.as_deref(), Some(serial.as_str()));
    assert_eq!(history.tickets.len(), 1);
    assert_eq!(history.tickets[0].runs.len(), 3);
    assert_eq!(history.tickets[0].repairs.len(), 1);

    // The CSV.
    let csv_path = dir.path().join("history.csv");
    h.state_mut()
        .handle(Command::Records(RecordCommand::ExportTo(csv_path.clone())));
    h.run_steps(2);
    let mut reader = csv::Reader::from_path(&csv_path).unwrap();
    let headers = reader.headers().unwrap().clone();
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    let cell = |row: usize, name: &str| {
        rows[row][headers.iter().position(|h| h == name).unwrap()].to_owned()
    };
    assert_eq!(rows.len(), 2, "the repair and the closed ticket");
    assert_eq!(
        (cell(0, "record"), cell(0, "chip"), cell(0, "part")),
        ("repair".into(), "39".into(), "lot 7".into())
    );
    assert_eq!(
        (cell(1, "record"), cell(1, "serial")),
        ("ticket".into(), serial)
    );
    assert_eq!(
        (cell(1, "first_verdict"), cell(1, "last_verdict")),
        ("fail".into(), "pass".into())
    );

    // The report: saved as PDF (the dialog hands back a path the same way).
    let pdf = dir.path().join("ticket.pdf");
    let id = ticket.id;
    h.state_mut()
        .handle(Command::Records(RecordCommand::SavePdfTo(id, pdf.clone())));
    h.run_steps(2);
    let bytes = std::fs::read(&pdf).unwrap();
    assert!(bytes.starts_with(b"%PDF-"));
    h.get_by_label_contains("saved to");
    let text = pdf_text(&pdf);
    for needle in [
        "Verdict: PASS",
        "Acme Mining",
        "Before and after the repair",
        "reflow",
        "lot 7",
    ] {
        assert!(
            text.contains(needle),
            "missing `{needle}` in the report:\n{text}"
        );
    }
}

#[test]
fn printing_says_plainly_when_there_is_no_printer() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("shop.db");
    let mut h = workbench(&db, "");
    h.run_steps(2);
    h.get_by_label("Run full diagnosis (F5)").click();
    until(&mut h, "the run to be saved", |w| {
        !w.is_running() && !w.records().current_runs().is_empty()
    });
    h.get_by_label("Tickets").click();
    h.run_steps(2);
    h.get_by_label("Print…").click_accesskit();
    until(&mut h, "the spooler to answer", |w| {
        w.records().error.is_some()
            || w.records()
                .note
                .as_deref()
                .is_some_and(|n| n.starts_with("Sent"))
    });
    let said = h
        .state()
        .records()
        .error
        .clone()
        .or(h.state().records().note.clone())
        .unwrap();
    // This machine has no printer: no spooler at all, or a spooler with no destination.
    assert!(
        said.contains("no print spooler")
            || said.starts_with("Printing failed")
            || said.starts_with("Sent"),
        "{said}"
    );
    h.get_by_label_contains(&said);
}

#[test]
fn a_cancelled_run_is_saved_as_stopped_on_a_new_ticket() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("shop.db");
    let mut h = workbench(&db, "");
    h.run_steps(2);
    h.key_press(egui::Key::F5);
    h.run_steps(2);
    h.key_press(egui::Key::Escape);
    until(&mut h, "the stopped run to be saved", |w| {
        !w.is_running() && !w.records().current_runs().is_empty()
    });
    let runs = h.state().records().current_runs();
    assert_eq!(
        runs[0].aborted.as_deref(),
        Some("cancelled by the operator")
    );
    let ticket = h.state().records().current().unwrap();
    assert_eq!(ticket.board.model, "s19jpro");
    assert_eq!(ticket.status, Status::Diagnosing);
    h.get_by_label_contains("saved to ticket #1");
}

#[test]
fn a_database_that_cannot_be_read_is_named_and_runs_still_work() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("notes.db");
    std::fs::write(
        &db,
        "not a database, but a long enough text file to be mistaken for one ..........",
    )
    .unwrap();
    let mut h = workbench(&db, "");
    h.run_steps(2);
    h.get_by_label_contains("notes.db is not a readable Hashbench database");
    assert!(h.state().records().store().is_none());
}

#[test]
fn a_run_finished_while_another_hashbench_holds_the_database_is_saved_when_it_lets_go() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("shop.db");
    let mut h = workbench(&db, "");
    h.run_steps(2);
    let other = rusqlite::Connection::open(&db).unwrap();
    other.execute_batch("BEGIN IMMEDIATE").unwrap();
    h.get_by_label("Run full diagnosis (F5)").click();
    until(&mut h, "the run to end", |w| {
        !w.is_running() && w.report().is_some()
    });
    assert_eq!(h.state().records().unsaved(), 1, "kept in memory");
    h.get_by_label_contains("The run is kept in memory and saved when the database answers");
    other.execute_batch("ROLLBACK").unwrap();
    until(&mut h, "the retry to save it", |w| {
        w.records().unsaved() == 0
    });
    assert_eq!(h.state().records().current_runs().len(), 1);
    assert!(h.state().records().error.is_none());
}

/// A window on the shop server at `db`, keeping runs the server cannot take in `outbox`.
fn workbench_on_server(db: &str, outbox: &Path) -> Harness<'static, Workbench> {
    let settings = Settings {
        model: "s19jpro".into(),
        source: Source::Simulated,
        technician: "Ana".into(),
        ..Settings::default()
    };
    let (db, outbox) = (std::path::PathBuf::from(db), outbox.to_path_buf());
    Harness::builder()
        .with_size(egui::vec2(1280.0, 800.0))
        .build_eframe(move |cc| {
            Workbench::new(cc, Some(settings)).with_records(Some(&db), Some(&outbox))
        })
}

#[test]
fn a_run_finished_while_the_shop_server_is_away_waits_in_the_outbox_and_lands_once() {
    let dir = tempfile::tempdir().unwrap();
    let outbox = dir.path().join("outbox.db");
    // Nothing listens on port 1: the server is away from the start.
    let mut h = workbench_on_server(
        "postgres://bench:pw@127.0.0.1:1/shop?connect_timeout=1",
        &outbox,
    );
    h.run_steps(2);
    h.get_by_label("Run full diagnosis (F5)").click();
    until(&mut h, "the run to be kept in the outbox", |w| {
        !w.is_running() && w.records().outbox_waiting() == 1
    });
    assert_eq!(h.state().records().unsaved(), 0, "on disk, not in memory");
    h.get_by_label_contains("Run kept in this bench's outbox (1 waiting)");
    drop(h);

    let Some(admin) = store::server::test_server().unwrap() else {
        return;
    };
    let server = store::server::scratch_database(&admin, "ui_outbox").unwrap();
    // The bench comes back to a server that answers: the outbox is sent at once.
    let mut h = workbench_on_server(&server, &outbox);
    h.run_steps(2);
    until(&mut h, "the outbox to be sent", |w| {
        w.records().outbox_waiting() == 0 && w.records().current_runs().len() == 1
    });
    h.get_by_label_contains("1 run(s) from this bench's outbox saved on the shop server");
    drop(h);
    let shop = store::Store::connect(&server).unwrap();
    assert_eq!(
        shop.count_tickets(&store::TicketFilter::default()).unwrap(),
        1
    );
}

/// The board EEPROM panel on a ticket: read (kept as a backup), shown decoded with the source
/// of each field, and a kept image written back over the backup after a confirmation, read
/// back and kept as written.
#[test]
fn the_eeprom_is_read_onto_the_ticket_shown_decoded_and_written_back_after_a_confirmation() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("shop.db");
    let mut h = workbench(&db, "");
    h.run_steps(2);
    take_in(&mut h);
    let ticket = h.state().records().current().unwrap().id;

    h.get_by_label("Read EEPROM").click();
    until(&mut h, "the image to be kept", |w| {
        w.is_idle() && w.records().eeprom_images().len() == 1
    });
    let backup = h.state().records().eeprom_images()[0].clone();
    assert_eq!(backup.kind, store::ImageKind::Backup);
    assert_eq!(backup.layout, "X19 (XXTEA)");
    h.run_steps(2);
    // Shown decoded at once, with the source of the fields.
    h.get_by_label("serial");
    h.get_by_label("Fields as hashsource_antminer_x19 eeprom_detect.c documents them");
    // Nothing to write yet: the only image is what the board holds.
    assert!(
        h.get_by_label("Write to board…")
            .accesskit_node()
            .is_disabled()
    );

    // Another board's image, kept on this ticket (as the CLI's `eeprom read --ticket` would).
    let mut other = sim::simulated(
        &boards::Catalog::builtin()
            .unwrap()
            .get("s19jpro")
            .unwrap()
            .clone(),
        &[],
        99,
    )
    .unwrap();
    diagnosis::Jig::set_power(&mut other, true).unwrap();
    let image = diagnosis::identity::read_image(&mut other).unwrap();
    assert_ne!(image, backup.bytes);
    let id = store::Store::open(&db)
        .unwrap()
        .save_eeprom(ticket, store::ImageKind::Written, "X19 (XXTEA)", &image)
        .unwrap();
    h.state_mut()
        .handle(Command::Records(RecordCommand::Open(ticket)));
    h.run_steps(2);
    let buttons: Vec<_> = h.query_all_by_label("Write to board…").collect();
    assert_eq!(buttons.len(), 2);
    buttons[1].click();
    h.run_steps(2);
    h.get_by_label("Write").click();
    until(&mut h, "the write to be read back and kept", |w| {
        w.is_idle() && w.records().eeprom_images().len() == 3
    });
    let kept = h.state().records().eeprom_images().to_vec();
    assert_eq!(kept[2].kind, store::ImageKind::Written);
    assert_eq!(kept[2].bytes, image, "the board reads back image:{id}");
    assert!(h.state().error().is_none(), "{:?}", h.state().error());
}

/// A meter reading typed beside the map for the selected chip is judged at once (an S19j Pro's
/// CLK is 0.5-0.6 V in Brit Tester's table) and kept on the ticket.
#[test]
fn a_test_point_reading_beside_the_map_is_judged_and_kept() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("shop.db");
    let mut h = workbench(&db, "");
    h.run_steps(2);
    take_in(&mut h);
    h.get_by_label("Workbench").click();
    h.run_steps(2);
    h.get_by_label("chip 12: untested").click();
    h.run_steps(2);
    type_into(&mut h, "mV", "120");
    h.get_by_label("Record reading").click();
    h.run_steps(2);
    let kept = h.state().records().current_readings().to_vec();
    assert_eq!(kept.len(), 1);
    assert_eq!(kept[0].reading.place(), "chip 12 CLK");
    assert_eq!(kept[0].reading.verdict, "LOW");
    assert_eq!(kept[0].reading.range_mv, Some((500, 600)));
    h.get_by_label("chip 12 CLK: 120 mV (500-600 mV): LOW");
}

/// A barcode scanner types the serial and presses Enter: a new board is taken in on a ticket of
/// the window's model; scanned again, its open ticket opens instead of a second one.
#[test]
fn a_scanned_serial_opens_its_boards_ticket_or_takes_the_board_in() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("shop.db");
    let mut h = workbench(&db, "");
    h.run_steps(2);
    let scan = |h: &mut Harness<'static, Workbench>, serial: &str| {
        h.get_by_label("Scan (F2)").focus();
        h.run_steps(1);
        h.get_by_label("Scan (F2)").type_text(serial);
        h.run_steps(1);
        h.key_press(egui::Key::Enter);
        h.run_steps(3);
    };
    scan(&mut h, "YNAH2204123");
    let first = h.state().records().current().cloned().expect("a ticket");
    assert_eq!(first.board.serial.as_deref(), Some("YNAH2204123"));
    assert_eq!(first.board.model, "s19jpro");
    scan(&mut h, "OTHER-1");
    assert_ne!(h.state().records().current().unwrap().id, first.id);
    scan(&mut h, "YNAH2204123");
    assert_eq!(
        h.state().records().current().unwrap().id,
        first.id,
        "no second ticket"
    );
    // The label of a board with no serial holds `#<number>`: scanned, it opens that ticket.
    scan(&mut h, &format!("#{}", first.id + 1));
    assert_eq!(h.state().records().current().unwrap().id, first.id + 1);
    let store = store::Store::open(&db).unwrap();
    assert_eq!(
        store
            .count_tickets(&store::TicketFilter::default())
            .unwrap(),
        2
    );
}

/// The common path with no mouse: F2 to the Scan field, the serial and Enter (the board is
/// taken in), F5 to diagnose, F6 to retest the failed chip, Ctrl+2 to the ticket list.
#[test]
fn the_common_path_runs_from_the_keyboard_alone() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("shop.db");
    let mut h = workbench(&db, "dead:5");
    h.run_steps(2);
    h.key_press(egui::Key::F2);
    h.run_steps(2);
    h.event(egui::Event::Text("KBD0001".into()));
    h.run_steps(1);
    h.key_press(egui::Key::Enter);
    h.run_steps(3);
    let ticket = h.state().records().current().cloned().expect("taken in");
    assert_eq!(ticket.board.serial.as_deref(), Some("KBD0001"));
    h.key_press(egui::Key::F5);
    until(&mut h, "the run to be saved", |w| {
        !w.is_running() && w.records().current_runs().len() == 1
    });
    h.key_press(egui::Key::F6);
    until(&mut h, "the retest to be saved", |w| {
        !w.is_running() && w.records().current_runs().len() == 2
    });
    assert_eq!(
        h.state().records().current_runs()[1].retest_chips,
        Some(vec![5]),
        "the failed chip only"
    );
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::Num2);
    h.run_steps(2);
    assert_eq!(h.state().records().tab, ui::Tab::Tickets);
}

/// A run another Hashbench on this bench kept in the outbox (a `diagnose` that lost the
/// server) is sent by the window too.
#[test]
fn a_run_another_hashbench_kept_in_the_outbox_is_sent_by_the_window() {
    let Some(admin) = store::server::test_server().unwrap() else {
        return;
    };
    let server = store::server::scratch_database(&admin, "ui_outbox_other").unwrap();
    let dir = tempfile::tempdir().unwrap();
    let outbox = dir.path().join("outbox.db");
    let mut h = workbench_on_server(&server, &outbox);
    h.run_steps(2);
    let report: diagnosis::Report = serde_json::from_str(
        &std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/runs/s19jpro-healthy.json"),
        )
        .unwrap(),
    )
    .unwrap();
    store::Outbox::open(&outbox)
        .unwrap()
        .put(&store::OutboxRun {
            ticket: None,
            report,
            retest_chips: None,
            started_at: 1_793_577_600,
            ended_at: 1_793_577_690,
            operator: "Bo".into(),
            model: "s19jpro".into(),
        })
        .unwrap();
    until(&mut h, "the other's run to be sent", |w| {
        w.records().outbox_waiting() == 0 && w.records().current_runs().len() == 1
    });
}

/// S2 7/7: the shop's statistics are charts like the workbench's: a dead chip 5 shows as one
/// ticket at position 5 of the S19j Pro's chain, and each chart can be exported.
#[test]
fn the_statistics_chart_a_failure_where_it_was_and_export_like_every_plot() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("shop.db");
    let mut h = workbench(&db, "dead:5");
    h.run_steps(2);
    take_in(&mut h);
    run_diagnosis(&mut h, 0);
    h.get_by_label("Statistics").click();
    until(&mut h, "the statistics", |w| {
        !w.records().stats_charts(w.catalog()).is_empty()
    });
    let charts = h.state().records().stats_charts(h.state().catalog());
    let ids: Vec<&str> = charts.iter().map(|(id, _)| *id).collect();
    assert_eq!(ids, ["stats-chips", "stats-domains"]);
    let by_chip = &charts[0].1;
    assert_eq!(by_chip.series[0].points, vec![(5.0, 1.0)]);
    assert_eq!(
        by_chip.x_include,
        vec![-0.5, 125.5],
        "the whole chain on the axis"
    );
    assert_eq!(
        charts[1].1.series[0].points,
        vec![(1.0, 1.0)],
        "chip 5 sits in domain 1"
    );
    assert_eq!(h.query_all_by_label("Export chart…").count(), 2);
    let png = dir.path().join("by-chip.png");
    h.state_mut().handle(Command::ExportChartTo(
        Box::new(by_chip.clone()),
        png.clone(),
    ));
    until(&mut h, "the chart to be written", |_| png.exists());
    assert!(std::fs::read(&png).unwrap().starts_with(b"\x89PNG"));
    // The same charts on paper, with the figures.
    h.get_by_label("Save statistics PDF…");
    let pdf = dir.path().join("stats.pdf");
    h.state_mut()
        .handle(Command::Records(RecordCommand::SaveStatsPdfTo(pdf.clone())));
    h.run_steps(2);
    h.get_by_label_contains("Statistics saved to");
    let text = pdf_text(&pdf);
    for needle in [
        "Shop statistics",
        "Failures on Antminer S19j Pro",
        "Tickets with a failure, by chip position",
    ] {
        assert!(text.contains(needle), "missing `{needle}`:\n{text}");
    }
}
