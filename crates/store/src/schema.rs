//! The schema and its migrations, on a file and on a server. A file's schema version is
//! SQLite's `user_version`, kept by rusqlite_migration; a server's is the row of
//! `hashbench_schema`. Add a migration at the end (for both), never edit one that has shipped.

use std::path::{Path, PathBuf};

use rusqlite::Connection;
use rusqlite_migration::{M, Migrations};

use crate::db::{Conn, args};
use crate::error::StoreError;

/// Schema version 1: boards, tickets, runs, chip results, repair actions.
const V1: &str = "
CREATE TABLE boards (
    id          INTEGER PRIMARY KEY,
    serial      TEXT UNIQUE,            -- NULL when the board has no readable serial
    model       TEXT NOT NULL,          -- profile id
    board_code  TEXT,
    first_seen  INTEGER NOT NULL        -- unix seconds, UTC
);
CREATE TABLE tickets (
    id            INTEGER PRIMARY KEY,
    board_id      INTEGER NOT NULL REFERENCES boards(id),
    customer      TEXT NOT NULL DEFAULT '',
    intake_at     INTEGER NOT NULL,
    symptom       TEXT NOT NULL DEFAULT '',
    status        TEXT NOT NULL DEFAULT 'received' CHECK (status IN
                  ('received','diagnosing','repairing','verifying','done','returned','scrapped')),
    technician    TEXT NOT NULL DEFAULT '',
    notes         TEXT NOT NULL DEFAULT '',
    time_spent_s  INTEGER NOT NULL DEFAULT 0,
    closed_at     INTEGER
);
CREATE INDEX tickets_board ON tickets(board_id);
CREATE INDEX tickets_intake ON tickets(intake_at);
CREATE INDEX tickets_status ON tickets(status, intake_at);
CREATE TABLE runs (
    id            INTEGER PRIMARY KEY,
    ticket_id     INTEGER NOT NULL REFERENCES tickets(id),
    verdict       TEXT NOT NULL CHECK (verdict IN ('pass','fail','inconclusive')),
    aborted       TEXT,                 -- why the run stopped early (unplug, cancel, ...)
    retest_chips  TEXT,                 -- JSON list of chips for a retest; NULL for a full run
    states        TEXT NOT NULL,        -- one letter per chip (ChipState::letter), for thumbnails
    result_json   TEXT NOT NULL,        -- the whole report, as `diagnose --json` prints it
    telemetry     TEXT NOT NULL,        -- downsampled domain voltages and temperatures (JSON)
    app_version   TEXT NOT NULL,
    jig_firmware  TEXT NOT NULL,
    jig_protocol  INTEGER,
    profile       TEXT NOT NULL,        -- id@version
    pattern_set   TEXT NOT NULL,        -- identity hash of the header set
    baud          INTEGER NOT NULL,
    seed          INTEGER,              -- simulated boards only
    operator      TEXT NOT NULL DEFAULT '',
    started_at    INTEGER NOT NULL,
    ended_at      INTEGER NOT NULL
);
CREATE INDEX runs_ticket ON runs(ticket_id, started_at);
CREATE TABLE chip_results (
    run_id     INTEGER NOT NULL REFERENCES runs(id),
    chip       INTEGER NOT NULL,
    domain     INTEGER NOT NULL,
    state      TEXT NOT NULL,
    suspect    INTEGER NOT NULL DEFAULT 0,   -- named as a suspect by a finding (chain break)
    patterns   INTEGER NOT NULL,
    golden     INTEGER NOT NULL,
    hw_errors  INTEGER NOT NULL,
    temp_c     REAL,
    PRIMARY KEY (run_id, chip)
) WITHOUT ROWID;
CREATE TABLE repair_actions (
    id          INTEGER PRIMARY KEY,
    ticket_id   INTEGER NOT NULL REFERENCES tickets(id),
    chip        INTEGER,                -- chain index; NULL for a board-level action
    uref        TEXT NOT NULL DEFAULT '',
    action      TEXT NOT NULL CHECK (action IN ('reflow','replace','reball','clean','other')),
    part        TEXT NOT NULL DEFAULT '',   -- part source or lot
    technician  TEXT NOT NULL DEFAULT '',
    at          INTEGER NOT NULL,
    minutes     INTEGER NOT NULL DEFAULT 0,
    notes       TEXT NOT NULL DEFAULT ''
);
CREATE INDEX repairs_ticket ON repair_actions(ticket_id);
CREATE INDEX repairs_at ON repair_actions(at);
";

/// Version 2: a run's chain traffic (a capture, JSON lines as `hashbench diagnose --capture`
/// writes them), attached on request. One per run; kept apart from `runs` so listing runs never
/// reads it.
const V2: &str = "
CREATE TABLE run_captures (
    run_id   INTEGER PRIMARY KEY REFERENCES runs(id),
    text     TEXT NOT NULL
);
";

/// Version 3: board EEPROM images kept with a ticket: every backup read before a write, and
/// every image written (so a write can always be undone from the ticket).
const V3: &str = "
CREATE TABLE eeprom_images (
    id         INTEGER PRIMARY KEY,
    ticket_id  INTEGER NOT NULL REFERENCES tickets(id),
    taken_at   INTEGER NOT NULL,
    kind       TEXT NOT NULL CHECK (kind IN ('backup','written')),
    layout     TEXT NOT NULL,           -- the layout decoded, or why none explains the bytes
    bytes      BLOB NOT NULL CHECK (length(bytes) = 256)
);
CREATE INDEX eeprom_ticket ON eeprom_images(ticket_id, taken_at);
";

/// Version 4: meter readings at a board's test points, typed by the technician, with the range
/// they were judged against (as it stood then) and the verdict.
const V4: &str = "
CREATE TABLE test_readings (
    id          INTEGER PRIMARY KEY,
    ticket_id   INTEGER NOT NULL REFERENCES tickets(id),
    at          INTEGER NOT NULL,
    chip        INTEGER,                -- chain index, for a chip's signal
    domain      INTEGER,                -- for a domain's supply or LDO
    point       TEXT NOT NULL,          -- CLK, CI, RO, BO, RST, domain, 1V8, 0V8
    mv          INTEGER NOT NULL,
    low_mv      INTEGER,                -- the range judged against; NULL: no source gives one
    high_mv     INTEGER,
    verdict     TEXT NOT NULL CHECK (verdict IN ('ok','LOW','HIGH','no range')),
    source      TEXT NOT NULL DEFAULT '',
    technician  TEXT NOT NULL DEFAULT '',
    CHECK ((chip IS NULL) <> (domain IS NULL))
);
CREATE INDEX readings_ticket ON test_readings(ticket_id, at);
";

/// Version 5: the shop server (S2 6/7).
/// - `tickets.revision` counts saved edits, so an edit made from an older copy of the ticket
///   (another bench saved in between) is refused instead of overwriting it.
/// - `origin` names, on a database that received rows from another one (`hashbench db push`,
///   a bench's outbox), where each row came from: `<bench id>/<table>/<id there>`. Pushing the
///   same rows again finds them by it and adds nothing. Rows written here have none.
/// - `bench_identity` holds this file's own bench id, made once at random.
const V5: &str = "
ALTER TABLE tickets ADD COLUMN revision INTEGER NOT NULL DEFAULT 0;
ALTER TABLE boards ADD COLUMN origin TEXT;
ALTER TABLE tickets ADD COLUMN origin TEXT;
ALTER TABLE runs ADD COLUMN origin TEXT;
ALTER TABLE repair_actions ADD COLUMN origin TEXT;
ALTER TABLE eeprom_images ADD COLUMN origin TEXT;
ALTER TABLE test_readings ADD COLUMN origin TEXT;
CREATE UNIQUE INDEX boards_origin ON boards(origin);
CREATE UNIQUE INDEX tickets_origin ON tickets(origin);
CREATE UNIQUE INDEX runs_origin ON runs(origin);
CREATE UNIQUE INDEX repairs_origin ON repair_actions(origin);
CREATE UNIQUE INDEX eeprom_origin ON eeprom_images(origin);
CREATE UNIQUE INDEX readings_origin ON test_readings(origin);
CREATE TABLE bench_identity (id TEXT NOT NULL);
INSERT INTO bench_identity (id) VALUES (lower(hex(randomblob(8))));
";

/// All migrations, oldest first.
fn migrations() -> Migrations<'static> {
    Migrations::new(vec![M::up(V1), M::up(V2), M::up(V3), M::up(V4), M::up(V5)])
}

/// The newest schema version this build writes (on a file and on a server alike).
pub const LATEST: u32 = 5;

/// The schema on a PostgreSQL server, at version 5: the tables of V1-V5 in the server's types
/// (BIGINT for SQLite's 64-bit INTEGER, DOUBLE PRECISION for REAL, BYTEA for BLOB; ids from
/// identity columns, so ticket numbers are unique across every bench of the shop). Later
/// versions add steps to [`SERVER_STEPS`], as the file's migrations do.
const SERVER_V5: &str = "
CREATE TABLE boards (
    id          BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    serial      TEXT UNIQUE,
    model       TEXT NOT NULL,
    board_code  TEXT,
    first_seen  BIGINT NOT NULL,
    origin      TEXT UNIQUE
);
CREATE TABLE tickets (
    id            BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    board_id      BIGINT NOT NULL REFERENCES boards(id),
    customer      TEXT NOT NULL DEFAULT '',
    intake_at     BIGINT NOT NULL,
    symptom       TEXT NOT NULL DEFAULT '',
    status        TEXT NOT NULL DEFAULT 'received' CHECK (status IN
                  ('received','diagnosing','repairing','verifying','done','returned','scrapped')),
    technician    TEXT NOT NULL DEFAULT '',
    notes         TEXT NOT NULL DEFAULT '',
    time_spent_s  BIGINT NOT NULL DEFAULT 0,
    closed_at     BIGINT,
    revision      BIGINT NOT NULL DEFAULT 0,
    origin        TEXT UNIQUE
);
CREATE INDEX tickets_board ON tickets(board_id);
CREATE INDEX tickets_intake ON tickets(intake_at);
CREATE INDEX tickets_status ON tickets(status, intake_at);
CREATE TABLE runs (
    id            BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    ticket_id     BIGINT NOT NULL REFERENCES tickets(id),
    verdict       TEXT NOT NULL CHECK (verdict IN ('pass','fail','inconclusive')),
    aborted       TEXT,
    retest_chips  TEXT,
    states        TEXT NOT NULL,
    result_json   TEXT NOT NULL,
    telemetry     TEXT NOT NULL,
    app_version   TEXT NOT NULL,
    jig_firmware  TEXT NOT NULL,
    jig_protocol  BIGINT,
    profile       TEXT NOT NULL,
    pattern_set   TEXT NOT NULL,
    baud          BIGINT NOT NULL,
    seed          BIGINT,
    operator      TEXT NOT NULL DEFAULT '',
    started_at    BIGINT NOT NULL,
    ended_at      BIGINT NOT NULL,
    origin        TEXT UNIQUE
);
CREATE INDEX runs_ticket ON runs(ticket_id, started_at);
CREATE TABLE chip_results (
    run_id     BIGINT NOT NULL REFERENCES runs(id),
    chip       BIGINT NOT NULL,
    domain     BIGINT NOT NULL,
    state      TEXT NOT NULL,
    suspect    BIGINT NOT NULL DEFAULT 0,
    patterns   BIGINT NOT NULL,
    golden     BIGINT NOT NULL,
    hw_errors  BIGINT NOT NULL,
    temp_c     DOUBLE PRECISION,
    PRIMARY KEY (run_id, chip)
);
CREATE TABLE repair_actions (
    id          BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    ticket_id   BIGINT NOT NULL REFERENCES tickets(id),
    chip        BIGINT,
    uref        TEXT NOT NULL DEFAULT '',
    action      TEXT NOT NULL CHECK (action IN ('reflow','replace','reball','clean','other')),
    part        TEXT NOT NULL DEFAULT '',
    technician  TEXT NOT NULL DEFAULT '',
    at          BIGINT NOT NULL,
    minutes     BIGINT NOT NULL DEFAULT 0,
    notes       TEXT NOT NULL DEFAULT '',
    origin      TEXT UNIQUE
);
CREATE INDEX repairs_ticket ON repair_actions(ticket_id);
CREATE INDEX repairs_at ON repair_actions(at);
CREATE TABLE run_captures (
    run_id   BIGINT PRIMARY KEY REFERENCES runs(id),
    text     TEXT NOT NULL
);
CREATE TABLE eeprom_images (
    id         BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    ticket_id  BIGINT NOT NULL REFERENCES tickets(id),
    taken_at   BIGINT NOT NULL,
    kind       TEXT NOT NULL CHECK (kind IN ('backup','written')),
    layout     TEXT NOT NULL,
    bytes      BYTEA NOT NULL CHECK (octet_length(bytes) = 256),
    origin     TEXT UNIQUE
);
CREATE INDEX eeprom_ticket ON eeprom_images(ticket_id, taken_at);
CREATE TABLE test_readings (
    id          BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    ticket_id   BIGINT NOT NULL REFERENCES tickets(id),
    at          BIGINT NOT NULL,
    chip        BIGINT,
    domain      BIGINT,
    point       TEXT NOT NULL,
    mv          BIGINT NOT NULL,
    low_mv      BIGINT,
    high_mv     BIGINT,
    verdict     TEXT NOT NULL CHECK (verdict IN ('ok','LOW','HIGH','no range')),
    source      TEXT NOT NULL DEFAULT '',
    technician  TEXT NOT NULL DEFAULT '',
    origin      TEXT UNIQUE,
    CHECK ((chip IS NULL) <> (domain IS NULL))
);
CREATE INDEX readings_ticket ON test_readings(ticket_id, at);
CREATE TABLE bench_identity (id TEXT NOT NULL);
INSERT INTO bench_identity (id) VALUES (md5(random()::text || clock_timestamp()::text));
";

/// The server's schema steps: `SERVER_STEPS[v]` takes a server at version `v` to `v + 1`
/// (an empty server is version 0 and is created at once at version 5).
const SERVER_STEPS: [(u32, &str); 1] = [(0, SERVER_V5)];

/// Bring the server's schema to [`LATEST`], or refuse one written by a newer Hashbench. Every
/// bench does this when it connects; a transaction-scoped advisory lock makes benches that
/// start together take turns, and a step that fails leaves the server as it was (PostgreSQL's
/// schema changes are transactional, so no copy is needed).
pub(crate) fn prepare_server(conn: &Conn, place: &Path) -> Result<(), StoreError> {
    let err = |e| StoreError::from_db(place, e);
    let tx = conn.begin().map_err(err)?;
    // An arbitrary key shared by every Hashbench, so benches starting together take turns.
    tx.batch("SELECT pg_advisory_xact_lock(4842000001)")
        .map_err(err)?;
    let exists: bool = tx
        .query_one(
            "SELECT to_regclass('hashbench_schema') IS NOT NULL",
            args![],
        )
        .and_then(|r| r.get(0))
        .map_err(err)?;
    let mut found: u32 = if exists {
        tx.query_one("SELECT version FROM hashbench_schema", args![])
            .and_then(|r| r.get(0))
            .map_err(err)?
    } else {
        0
    };
    if found > LATEST {
        return Err(StoreError::NewerSchema {
            path: place.to_path_buf(),
            found,
            supported: LATEST,
        });
    }
    if found == LATEST {
        // A current server: nothing is written, so a technician's role needs no right to
        // change the schema.
        return tx.commit().map_err(err);
    }
    let was = found;
    let denied = |e: crate::db::DbError| match StoreError::from_db(place, e) {
        StoreError::Denied { path, detail } => StoreError::Denied {
            path,
            detail: format!(
                "{detail}; the server's schema is at version {was} and this Hashbench needs {LATEST}: connect once with the role that owns the database (see the README's roles)"
            ),
        },
        other => other,
    };
    if !exists {
        tx.batch(
            "CREATE TABLE hashbench_schema (version INTEGER NOT NULL); \
             INSERT INTO hashbench_schema (version) VALUES (0)",
        )
        .map_err(denied)?;
    }
    for (from, step) in SERVER_STEPS {
        if found == from {
            tx.batch(step).map_err(denied)?;
            found = if from == 0 { 5 } else { from + 1 };
        }
    }
    tx.execute("UPDATE hashbench_schema SET version = ?1", args![found])
        .map_err(denied)?;
    tx.commit().map_err(err)
}

/// The file's schema version.
pub(crate) fn version(conn: &Connection) -> rusqlite::Result<u32> {
    conn.pragma_query_value(None, "user_version", |r| r.get(0))
}

/// Check the file, refuse a newer schema, back up and migrate an older one, and set the
/// connection up (WAL, foreign keys, full sync).
///
/// Two Hashbench processes opening a new or older file at once race to create or migrate the
/// schema (SQLite cannot take the write lock before rusqlite_migration reads the version): the
/// loser sees "table already exists" or a busy file, finds the schema now current, and carries
/// on (its copy of the older file stays next to it).
pub(crate) fn prepare(
    conn: &mut Connection,
    path: &Path,
    patience: std::time::Duration,
) -> Result<(), StoreError> {
    let migrations = migrations();
    let deadline = std::time::Instant::now() + patience;
    loop {
        match prepare_with(conn, path, &migrations, LATEST) {
            Ok(()) => return Ok(()),
            // Another process migrated the file first: it is current now. A migration that
            // really failed is not tried again (each try would copy the file once more).
            Err(e @ StoreError::Migration { .. }) => {
                return if version(conn).is_ok_and(|v| v == LATEST) {
                    Ok(())
                } else {
                    Err(e)
                };
            }
            Err(
                e @ (StoreError::Busy { .. } | StoreError::Sql { .. } | StoreError::Invalid(_)),
            ) => {
                if version(conn).is_ok_and(|v| v == LATEST) && !matches!(e, StoreError::Busy { .. })
                {
                    return Ok(());
                }
                if std::time::Instant::now() >= deadline {
                    return Err(e);
                }
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            Err(e) => return Err(e),
        }
    }
}

fn prepare_with(
    conn: &mut Connection,
    path: &Path,
    migrations: &Migrations<'_>,
    latest: u32,
) -> Result<(), StoreError> {
    let sql = |e| StoreError::from_sql(path, e);
    let found = version(conn).map_err(sql)?;
    if found > latest {
        return Err(StoreError::NewerSchema {
            path: path.to_path_buf(),
            found,
            supported: latest,
        });
    }
    conn.pragma_update(None, "foreign_keys", true)
        .map_err(sql)?;
    // WAL: readers never block the writer and a killed writer leaves the file consistent.
    let mode: String = conn
        .pragma_update_and_check(None, "journal_mode", "wal", |r| r.get(0))
        .map_err(sql)?;
    if !mode.eq_ignore_ascii_case("wal") && !mode.eq_ignore_ascii_case("memory") {
        return Err(StoreError::Invalid(format!(
            "{}: SQLite could not switch to write-ahead logging (journal mode is {mode})",
            path.display()
        )));
    }
    // Repair records are worth an fsync per commit.
    conn.pragma_update(None, "synchronous", "FULL")
        .map_err(sql)?;
    if found == latest {
        return Ok(());
    }
    let backup = if found > 0 {
        Some(back_up(conn, path, found)?)
    } else {
        None
    };
    migrations.to_latest(conn).map_err(|e| match (e, &backup) {
        (rusqlite_migration::Error::RusqliteError { err, .. }, None) => sql(err),
        (e, Some(backup)) => StoreError::Migration {
            path: path.to_path_buf(),
            to: latest,
            detail: e.to_string(),
            backup: backup.clone(),
        },
        (e, None) => StoreError::Invalid(format!(
            "{}: creating the schema failed: {e}",
            path.display()
        )),
    })
}

/// Copy the database as it is to `<path>.schema-v<N>.bak` (or `.bak.2`, ... when taken).
fn back_up(conn: &Connection, path: &Path, found: u32) -> Result<PathBuf, StoreError> {
    let base = format!("{}.schema-v{found}.bak", path.display());
    let mut target = PathBuf::from(&base);
    let mut n = 2;
    while target.exists() {
        target = PathBuf::from(format!("{base}.{n}"));
        n += 1;
    }
    let Some(name) = target.to_str() else {
        return Err(StoreError::Invalid(format!(
            "{}: the backup path is not valid UTF-8",
            path.display()
        )));
    };
    conn.execute("VACUUM INTO ?1", [name])
        .map_err(|e| StoreError::from_sql(path, e))?;
    Ok(target)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_db(name: &str) -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(name);
        (dir, path)
    }

    #[test]
    fn the_shipped_migrations_are_valid() {
        assert!(migrations().validate().is_ok());
    }

    /// A later schema: the shipped one plus a column, as a future migration would add it.
    const V6_FOR_TEST: &str = "ALTER TABLE tickets ADD COLUMN priority INTEGER NOT NULL DEFAULT 0;";

    #[test]
    fn an_older_database_is_copied_then_migrated_keeping_its_rows() {
        let (_dir, path) = temp_db("shop.db");
        let mut conn = Connection::open(&path).unwrap();
        prepare(&mut conn, &path, std::time::Duration::ZERO).unwrap();
        conn.execute_batch(
            "INSERT INTO boards (serial, model, first_seen) VALUES ('SN1', 's9', 0);
             INSERT INTO tickets (board_id, intake_at, customer) VALUES (1, 0, 'Acme');",
        )
        .unwrap();
        drop(conn);

        let newer = Migrations::new(vec![
            M::up(V1),
            M::up(V2),
            M::up(V3),
            M::up(V4),
            M::up(V5),
            M::up(V6_FOR_TEST),
        ]);
        let mut conn = Connection::open(&path).unwrap();
        prepare_with(&mut conn, &path, &newer, 6).unwrap();
        assert_eq!(version(&conn).unwrap(), 6);
        let customer: String = conn
            .query_row("SELECT customer FROM tickets WHERE priority = 0", [], |r| {
                r.get(0)
            })
            .unwrap();
        assert_eq!(customer, "Acme");

        let backup = PathBuf::from(format!("{}.schema-v5.bak", path.display()));
        let old = Connection::open(&backup).unwrap();
        assert_eq!(version(&old).unwrap(), 5, "the copy is the file as it was");
        let tickets: i64 = old
            .query_row("SELECT count(*) FROM tickets", [], |r| r.get(0))
            .unwrap();
        assert_eq!(tickets, 1);
    }

    #[test]
    fn a_failed_migration_names_the_copy_and_leaves_the_file_as_it_was() {
        let (_dir, path) = temp_db("shop.db");
        let mut conn = Connection::open(&path).unwrap();
        prepare(&mut conn, &path, std::time::Duration::ZERO).unwrap();
        drop(conn);
        let broken = Migrations::new(vec![
            M::up(V1),
            M::up(V2),
            M::up(V3),
            M::up(V4),
            M::up(V5),
            M::up("ALTER TABLE no_such_table ADD x;"),
        ]);
        let mut conn = Connection::open(&path).unwrap();
        let err = prepare_with(&mut conn, &path, &broken, 6).unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains("migrating to schema version 6 failed"),
            "{text}"
        );
        assert!(text.contains("shop.db.schema-v5.bak"), "{text}");
        assert_eq!(version(&conn).unwrap(), 5);
    }

    /// Found when the test suites of two binaries opened one older file at once: the loser of
    /// the migration race saw "table test_readings already exists" and refused the file.
    #[test]
    fn processes_opening_an_older_file_at_once_all_find_it_migrated() {
        for round in 0..5 {
            let (_dir, path) = temp_db(&format!("shop-{round}.db"));
            let mut conn = Connection::open(&path).unwrap();
            let v3 = Migrations::new(vec![M::up(V1), M::up(V2), M::up(V3)]);
            prepare_with(&mut conn, &path, &v3, 3).unwrap();
            drop(conn);
            let start = std::sync::Arc::new(std::sync::Barrier::new(6));
            let openers: Vec<_> = (0..6)
                .map(|n| {
                    let (path, start) = (path.clone(), start.clone());
                    std::thread::Builder::new()
                        .name(format!("opener-{n}"))
                        .spawn(move || {
                            let mut conn = Connection::open(&path).unwrap();
                            conn.busy_timeout(std::time::Duration::from_secs(5))
                                .unwrap();
                            start.wait();
                            prepare(&mut conn, &path, std::time::Duration::from_secs(5))
                                .map(|()| version(&conn).unwrap())
                        })
                        .unwrap()
                })
                .collect();
            for opener in openers {
                assert_eq!(
                    opener.join().unwrap().map_err(|e| e.to_string()),
                    Ok(LATEST)
                );
            }
        }
    }

    #[test]
    fn a_version_1_file_gains_the_later_tables_and_keeps_its_rows() {
        let (_dir, path) = temp_db("shop.db");
        let mut conn = Connection::open(&path).unwrap();
        prepare_with(&mut conn, &path, &Migrations::new(vec![M::up(V1)]), 1).unwrap();
        conn.execute_batch(
            "INSERT INTO boards (serial, model, first_seen) VALUES ('SN1', 's9', 0);
             INSERT INTO tickets (board_id, intake_at, customer) VALUES (1, 0, 'Acme');",
        )
        .unwrap();
        drop(conn);
        let mut conn = Connection::open(&path).unwrap();
        prepare(&mut conn, &path, std::time::Duration::ZERO).unwrap();
        assert_eq!(version(&conn).unwrap(), LATEST);
        for table in ["run_captures", "eeprom_images", "test_readings"] {
            let rows: i64 = conn
                .query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))
                .unwrap();
            assert_eq!(rows, 0, "{table}");
        }
        let tickets: i64 = conn
            .query_row("SELECT count(*) FROM tickets", [], |r| r.get(0))
            .unwrap();
        assert_eq!(tickets, 1);
    }
}
