//! Killing Hashbench while it writes loses nothing it had committed and never damages the file.
//!
//! The test runs this same test binary as a child (`writer`, ignored unless asked for) that
//! takes boards in and saves runs as fast as it can, printing each ticket number once its run is
//! committed; the parent kills it with SIGKILL at varying moments, then checks the file.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // Fine for tests: a failure is the report.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use store::{NewTicket, RunRecord, Store, TicketFilter};

const CHILD_ENV: &str = "HASHBENCH_KILL_TEST_DB";

fn report() -> diagnosis::Report {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/runs/s19jpro-break-40.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// The child: write tickets and runs until killed.
#[test]
#[ignore = "run by killing_the_writer_mid_run_loses_no_committed_ticket as its child"]
fn writer() {
    let path = std::env::var(CHILD_ENV).expect("run as the kill test's child");
    let mut store = Store::open(Path::new(&path)).unwrap();
    let report = report();
    // Until the parent kills this process (it does so within seconds).
    for i in 0..i64::MAX {
        let ticket = store
            .create_ticket(&NewTicket {
                serial: Some(format!("KILL-{}-{i}", std::process::id())),
                model: "s19jpro".into(),
                customer: "kill test".into(),
                intake_at: i,
                ..NewTicket::default()
            })
            .unwrap();
        store
            .save_run(
                ticket,
                &RunRecord {
                    report: &report,
                    started_at: i,
                    ended_at: i,
                    operator: String::new(),
                    retest_chips: None,
                },
            )
            .unwrap();
        // Committed: say so.
        #[allow(clippy::print_stdout)]
        {
            println!("{ticket}");
        }
    }
}

#[test]
fn killing_the_writer_mid_run_loses_no_committed_ticket() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("shop.db");
    let exe = std::env::current_exe().unwrap();
    let mut committed = Vec::new();
    for round in 0..8u64 {
        let mut child = Command::new(&exe)
            .args([
                "--ignored",
                "--exact",
                "writer",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(CHILD_ENV, &path)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        let reader = std::thread::Builder::new()
            .name("kill-test-reader".into())
            .spawn(move || {
                for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                    if let Ok(id) = line.trim().parse::<i64>() {
                        let _ = tx.send(id);
                    }
                }
            })
            .unwrap();
        // Wait for a few commits, then kill at a moment that differs round to round.
        let deadline = Instant::now() + Duration::from_secs(60);
        let wanted = 3 + round * 7;
        let mut seen = 0;
        while seen < wanted && Instant::now() < deadline {
            if let Ok(id) = rx.recv_timeout(Duration::from_millis(100)) {
                committed.push(id);
                seen += 1;
            }
        }
        std::thread::sleep(Duration::from_micros(300 * round));
        child.kill().unwrap();
        child.wait().unwrap();
        reader.join().unwrap();
        committed.extend(rx.try_iter());
        assert!(seen > 0, "round {round}: the writer committed nothing");

        let store = Store::open(&path).unwrap();
        assert_eq!(store.integrity_check().unwrap(), "ok", "round {round}");
        for &id in &committed {
            let ticket = store.ticket(id).unwrap();
            assert_eq!(ticket.runs, 1, "ticket {id} lost its run");
        }
        let all = store.count_tickets(&TicketFilter::default()).unwrap();
        assert!(all >= committed.len() as u64);
    }
}
