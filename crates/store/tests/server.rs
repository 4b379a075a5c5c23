//! The shop server as several benches use it at once: one schema, one sequence of ticket
//! numbers, clear words when the server is away or newer. These need a server
//! (`HASHBENCH_TEST_POSTGRES`, which CI sets); the engine-neutral record tests in `store.rs`
//! run on it as well.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stderr
)] // Fine for tests: a failure is the report.

use std::sync::{Arc, Barrier};

use store::{NewTicket, Store, StoreError, TicketFilter};

/// A fresh database on the test server, or `None` (said on stderr) without one.
fn scratch(name: &str) -> Option<String> {
    let Some(admin) = store::server::test_server().unwrap() else {
        eprintln!("{name}: no test server, not run");
        return None;
    };
    Some(store::server::scratch_database(&admin, name).unwrap())
}

/// `benches` threads, each with its own connection, started together.
fn benches<T: Send + 'static>(
    address: &str,
    benches: usize,
    work: impl Fn(usize, Store) -> T + Send + Sync + 'static,
) -> Vec<T> {
    let start = Arc::new(Barrier::new(benches));
    let work = Arc::new(work);
    let threads: Vec<_> = (0..benches)
        .map(|n| {
            let (address, start, work) = (address.to_owned(), start.clone(), work.clone());
            std::thread::Builder::new()
                .name(format!("bench-{n}"))
                .spawn(move || {
                    start.wait();
                    work(n, Store::open(std::path::Path::new(&address)).unwrap())
                })
                .unwrap()
        })
        .collect();
    threads.into_iter().map(|t| t.join().unwrap()).collect()
}

#[test]
fn benches_connecting_to_an_empty_server_at_once_find_one_schema() {
    let Some(address) = scratch("empty_server_at_once") else {
        return;
    };
    let versions = benches(&address, 6, |_, store| store.schema_version().unwrap());
    assert_eq!(versions, vec![5; 6]);
}

#[test]
fn benches_taking_boards_in_at_once_get_distinct_ticket_numbers_and_share_boards() {
    let Some(address) = scratch("distinct_ticket_numbers") else {
        return;
    };
    // 8 benches x 25 intakes; every bench also takes in the same 5 returning serials.
    let numbers: Vec<i64> = benches(&address, 8, |bench, mut store| {
        (0..25)
            .map(|i| {
                let serial = if i < 5 {
                    format!("RETURN{i}")
                } else {
                    format!("B{bench}-{i}")
                };
                store
                    .create_ticket(&NewTicket {
                        serial: Some(serial),
                        model: "s19jpro".into(),
                        customer: format!("bench {bench}"),
                        intake_at: i,
                        ..NewTicket::default()
                    })
                    .unwrap()
            })
            .collect::<Vec<_>>()
    })
    .into_iter()
    .flatten()
    .collect();
    let mut distinct = numbers.clone();
    distinct.sort_unstable();
    distinct.dedup();
    assert_eq!(distinct.len(), 200, "every intake its own ticket number");
    let store = Store::connect(&address).unwrap();
    assert_eq!(store.count_tickets(&TicketFilter::default()).unwrap(), 200);
    let history = store.board_history("RETURN3").unwrap();
    assert_eq!(
        history.tickets.len(),
        8,
        "one board row, a ticket from each bench"
    );
}

#[test]
fn a_server_from_a_newer_hashbench_is_refused() {
    let Some(address) = scratch("newer_server") else {
        return;
    };
    drop(Store::connect(&address).unwrap());
    let mut admin = postgres::Client::connect(&address, postgres::NoTls).unwrap();
    admin
        .batch_execute("UPDATE hashbench_schema SET version = 99")
        .unwrap();
    let err = Store::connect(&address).unwrap_err();
    assert!(
        matches!(err, StoreError::NewerSchema { found: 99, .. }),
        "{err}"
    );
    assert!(
        err.to_string()
            .contains("newer Hashbench (schema version 99"),
        "{err}"
    );
}

/// No server needed: nothing listens on port 1.
#[test]
fn an_unreachable_server_is_said_plainly_without_its_password() {
    let err = Store::open(std::path::Path::new(
        "postgres://bench:s3cret@127.0.0.1:1/shop?connect_timeout=2",
    ))
    .unwrap_err();
    assert!(err.is_unreachable(), "{err:?}");
    let text = err.to_string();
    assert!(
        text.starts_with("postgres://bench@127.0.0.1:1/shop: the server cannot be reached"),
        "{text}"
    );
    assert!(!text.contains("s3cret"), "{text}");
    let err = Store::open(std::path::Path::new("postgres://bench:s3cret@[::1")).unwrap_err();
    let text = err.to_string();
    assert!(text.contains("is not a PostgreSQL address"), "{text}");
    assert!(!text.contains("s3cret"), "{text}");
}

#[test]
fn another_benchs_changes_are_heard() {
    let Some(address) = scratch("changes_are_heard") else {
        return;
    };
    let mut front = Store::connect(&address).unwrap();
    let back = Store::connect(&address).unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    let _listener = back
        .listen(move |ticket| {
            let _ = tx.send(ticket);
        })
        .unwrap()
        .expect("a server has listeners");
    let t = front
        .create_ticket(&NewTicket {
            serial: Some("HEARD1".into()),
            model: "s9".into(),
            ..NewTicket::default()
        })
        .unwrap();
    let wait = std::time::Duration::from_secs(10);
    assert_eq!(rx.recv_timeout(wait), Ok(t));
    let revision = front.ticket(t).unwrap().revision;
    front
        .edit_ticket(t, revision, "Acme", "", "", "seen from the back bench")
        .unwrap();
    assert_eq!(rx.recv_timeout(wait), Ok(t));
    // A file has no other benches to hear.
    let dir = tempfile::tempdir().unwrap();
    let file = Store::open(&dir.path().join("bench.db")).unwrap();
    assert!(file.listen(|_| {}).unwrap().is_none());
}

#[test]
fn a_bench_whose_connection_the_server_dropped_is_back_on_the_next_call() {
    let Some(address) = scratch("connection_dropped") else {
        return;
    };
    let mut bench = Store::connect(&address).unwrap();
    let mut admin = postgres::Client::connect(&address, postgres::NoTls).unwrap();
    admin
        .batch_execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
             WHERE application_name = 'hashbench' AND datname = current_database() \
             AND pid <> pg_backend_pid()",
        )
        .unwrap();
    let new = NewTicket {
        serial: Some("AFTER-DROP".into()),
        model: "s9".into(),
        ..NewTicket::default()
    };
    // The first call may only find the connection gone (and says so plainly); the next one
    // connects again.
    let ticket = match bench.create_ticket(&new) {
        Ok(t) => t,
        Err(e) => {
            assert!(e.is_unreachable(), "{e:?}");
            bench.create_ticket(&new).unwrap()
        }
    };
    assert_eq!(
        bench.ticket(ticket).unwrap().board.serial.as_deref(),
        Some("AFTER-DROP")
    );
}

/// The roles the README documents, as a shop's administrator sets them up: the owner creates
/// and migrates the schema; a technician's role reads and writes records but cannot change
/// the schema, and says so when a newer Hashbench would need it changed.
#[test]
fn a_technicians_role_works_the_records_but_leaves_the_schema_to_the_owner() {
    let Some(address) = scratch("technician_role") else {
        return;
    };
    let mut admin = postgres::Client::connect(&address, postgres::NoTls).unwrap();
    let tech = format!("tech_{}", std::process::id());
    let database = address.rsplit('/').next().unwrap().to_owned();
    // Before the owner's first connection, the technician cannot create the schema.
    admin
        .batch_execute(&format!(
            "DROP ROLE IF EXISTS {tech}; CREATE ROLE {tech} LOGIN; \
             GRANT CONNECT ON DATABASE {database} TO {tech}; \
             GRANT USAGE ON SCHEMA public TO {tech}; \
             ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE ON TABLES TO {tech}; \
             ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE ON SEQUENCES TO {tech};"
        ))
        .unwrap();
    let as_tech = address.replacen("://postgres@", &format!("://{tech}@"), 1);
    assert_ne!(
        as_tech, address,
        "the test server's address names the postgres role"
    );
    let err = Store::connect(&as_tech).unwrap_err();
    assert!(matches!(err, StoreError::Denied { .. }), "{err:?}");
    assert!(
        err.to_string()
            .contains("connect once with the role that owns the database"),
        "{err}"
    );
    // The owner (here the administrator) connects once; then the technician works.
    drop(Store::connect(&address).unwrap());
    let mut bench = Store::connect(&as_tech).unwrap();
    let t = bench
        .create_ticket(&NewTicket {
            serial: Some("ROLE1".into()),
            model: "s9".into(),
            ..NewTicket::default()
        })
        .unwrap();
    bench.set_status(t, store::Status::Repairing, 0).unwrap();
    // Deleting records is not one of the technician's rights.
    let mut raw = postgres::Client::connect(&as_tech, postgres::NoTls).unwrap();
    let refused = raw.batch_execute("DELETE FROM tickets").unwrap_err();
    assert_eq!(
        refused.code(),
        Some(&postgres::error::SqlState::INSUFFICIENT_PRIVILEGE)
    );
    drop(raw);
    drop(bench);
    admin
        .batch_execute(&format!(
            "REASSIGN OWNED BY {tech} TO postgres; DROP OWNED BY {tech}; DROP ROLE {tech};"
        ))
        .unwrap();
}
