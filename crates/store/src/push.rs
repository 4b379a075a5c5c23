//! Moving one database's records into another (`hashbench db push`): a bench's SQLite history
//! into the shop server, safe to run again.
//!
//! Every row pushed carries its `origin` (`<bench id>/<table>/<id there>`, or the origin it
//! already had), and the target's unique index on it makes a second push of the same row a
//! no-op: a rerun after an interruption, or after the bench recorded more, adds only what is
//! new. Boards with a serial are matched by serial (the same board taken in on two benches is
//! one board). The whole push is one transaction on the target: all of it lands, or none.
//! A ticket already pushed keeps the target's fields (status, notes): once on the server, the
//! server's copy is the record; its new runs, repairs, images and readings are still added.

use std::path::Path;

use crate::db::{Row, Tx, Value, args};
use crate::{Result, Store, StoreError};

/// What a push did, per table: rows added and rows found already there.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Pushed {
    /// Board rows added (boards matched by serial or origin are not counted).
    pub boards: u64,
    /// Tickets added, and found already pushed.
    pub tickets: (u64, u64),
    /// Runs (with their chip results and capture) added, and found.
    pub runs: (u64, u64),
    /// Repair actions added, and found.
    pub repairs: (u64, u64),
    /// EEPROM images added, and found.
    pub eeprom_images: (u64, u64),
    /// Test-point readings added, and found.
    pub readings: (u64, u64),
}

impl Pushed {
    /// One line for the CLI.
    #[must_use]
    pub fn describe(&self) -> String {
        let pair = |(added, found): (u64, u64), what: &str| {
            format!("{added} {what} added ({found} already there)")
        };
        format!(
            "{}, {}, {}, {}, {}; {} new boards",
            pair(self.tickets, "tickets"),
            pair(self.runs, "runs"),
            pair(self.repairs, "repair actions"),
            pair(self.eeprom_images, "EEPROM images"),
            pair(self.readings, "readings"),
            self.boards
        )
    }
}

/// A table whose rows are copied as they are, each under a ticket.
struct Child {
    table: &'static str,
    /// Columns after `id` and `ticket_id`, in order.
    columns: &'static str,
}

const RUNS: Child = Child {
    table: "runs",
    columns: "verdict, aborted, retest_chips, states, result_json, telemetry, app_version, \
              jig_firmware, jig_protocol, profile, pattern_set, baud, seed, operator, started_at, ended_at",
};
const REPAIRS: Child = Child {
    table: "repair_actions",
    columns: "chip, uref, action, part, technician, at, minutes, notes",
};
const IMAGES: Child = Child {
    table: "eeprom_images",
    columns: "taken_at, kind, layout, bytes",
};
const READINGS: Child = Child {
    table: "test_readings",
    columns: "at, chip, domain, point, mv, low_mv, high_mv, verdict, source, technician",
};

impl Store {
    /// Push every record of this database into `target` (see the module's notes). Returns
    /// what was added and what was found already there.
    pub fn push_to(&self, target: &mut Store) -> Result<Pushed> {
        if self.path == target.path {
            return Err(StoreError::Invalid(format!(
                "{}: a database cannot be pushed into itself",
                self.path.display()
            )));
        }
        let bench = self.bench_id()?;
        let read = |sql: &str| self.conn.query(sql, args![]).map_err(|e| self.err(e));
        let boards = read(
            "SELECT id, serial, model, board_code, first_seen, origin FROM boards ORDER BY id",
        )?;
        let tickets = read(
            "SELECT id, board_id, customer, intake_at, symptom, status, technician, notes, \
             time_spent_s, closed_at, origin FROM tickets ORDER BY id",
        )?;
        let mut pushed = Pushed::default();
        let there = target.path.clone();
        let there = there.as_path();
        let terr = |e| target.err(e);
        let tx = target.conn.begin().map_err(terr)?;
        let origin = |table: &str, row: &Row, at: usize| -> Result<String> {
            let kept: Option<String> = row.get(at).map_err(|e| self.err(e))?;
            let id: i64 = row.get(0).map_err(|e| self.err(e))?;
            Ok(kept.unwrap_or_else(|| format!("{bench}/{table}/{id}")))
        };
        let mut board_ids = std::collections::HashMap::new();
        for b in &boards {
            let id: i64 = b.get(0).map_err(|e| self.err(e))?;
            let serial: Option<String> = b.get(1).map_err(|e| self.err(e))?;
            let origin = origin("boards", b, 5)?;
            let values = [
                b.value(1).clone(),
                b.value(2).clone(),
                b.value(3).clone(),
                b.value(4).clone(),
                Value::Text(origin.clone()),
            ];
            let added = match &serial {
                Some(_) => tx.execute(
                    "INSERT INTO boards (serial, model, board_code, first_seen, origin) \
                     VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (serial) DO NOTHING",
                    &values,
                ),
                None => tx.execute(
                    "INSERT INTO boards (serial, model, board_code, first_seen, origin) \
                     VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (origin) DO NOTHING",
                    &values,
                ),
            }
            .map_err(terr)?;
            pushed.boards += added;
            let there = match serial {
                Some(s) => tx.query_one("SELECT id FROM boards WHERE serial = ?1", args![s]),
                None => tx.query_one("SELECT id FROM boards WHERE origin = ?1", args![origin]),
            }
            .and_then(|r| r.get::<i64>(0))
            .map_err(terr)?;
            board_ids.insert(id, there);
        }
        let mut ticket_ids = std::collections::HashMap::new();
        for t in &tickets {
            let id: i64 = t.get(0).map_err(|e| self.err(e))?;
            let board: i64 = t.get(1).map_err(|e| self.err(e))?;
            let Some(&board_there) = board_ids.get(&board) else {
                return Err(self.bad_push("tickets", id, format!("board {board} is missing")));
            };
            let origin = origin("tickets", t, 10)?;
            let mut values = vec![Value::Int(board_there)];
            values.extend((2..10).map(|i| t.value(i).clone()));
            values.push(Value::Text(origin.clone()));
            let added = tx
                .execute(
                    "INSERT INTO tickets (board_id, customer, intake_at, symptom, status, technician, \
                     notes, time_spent_s, closed_at, origin) \
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) ON CONFLICT (origin) DO NOTHING",
                    &values,
                )
                .map_err(terr)?;
            count(&mut pushed.tickets, added);
            let there = tx
                .id_by_origin("tickets", &origin)
                .and_then(|id| id.ok_or(crate::db::DbError::NoRow))
                .map_err(terr)?;
            ticket_ids.insert(id, there);
        }
        let run_ids =
            self.push_children((&tx, there), &bench, &RUNS, &ticket_ids, &mut pushed.runs)?;
        self.push_run_details((&tx, there), &run_ids)?;
        self.push_children(
            (&tx, there),
            &bench,
            &REPAIRS,
            &ticket_ids,
            &mut pushed.repairs,
        )?;
        self.push_children(
            (&tx, there),
            &bench,
            &IMAGES,
            &ticket_ids,
            &mut pushed.eeprom_images,
        )?;
        self.push_children(
            (&tx, there),
            &bench,
            &READINGS,
            &ticket_ids,
            &mut pushed.readings,
        )?;
        tx.changed(0).map_err(terr)?;
        tx.commit().map_err(terr)?;
        Ok(pushed)
    }

    /// Copy every row of `child` under its ticket's id there; returns the runs' new ids
    /// (source id → target id) of the rows added.
    fn push_children(
        &self,
        (tx, there): (&Tx<'_>, &Path),
        bench: &str,
        child: &Child,
        tickets: &std::collections::HashMap<i64, i64>,
        tally: &mut (u64, u64),
    ) -> Result<Vec<(i64, i64)>> {
        let n = child.columns.split(',').count();
        let rows = self
            .conn
            .query(
                &format!(
                    "SELECT id, ticket_id, {}, origin FROM {} ORDER BY id",
                    child.columns, child.table
                ),
                args![],
            )
            .map_err(|e| self.err(e))?;
        let placeholders: Vec<String> = (1..=n + 2).map(|i| format!("?{i}")).collect();
        let insert = format!(
            "INSERT INTO {} (ticket_id, {}, origin) VALUES ({}) ON CONFLICT (origin) DO NOTHING",
            child.table,
            child.columns,
            placeholders.join(", ")
        );
        let mut added_ids = Vec::new();
        for row in rows {
            let id: i64 = row.get(0).map_err(|e| self.err(e))?;
            let ticket: i64 = row.get(1).map_err(|e| self.err(e))?;
            let Some(&ticket_there) = tickets.get(&ticket) else {
                return Err(self.bad_push(child.table, id, format!("ticket {ticket} is missing")));
            };
            let kept: Option<String> = row.get(n + 2).map_err(|e| self.err(e))?;
            let origin = kept.unwrap_or_else(|| format!("{bench}/{}/{id}", child.table));
            let mut values = vec![Value::Int(ticket_there)];
            values.extend((2..n + 2).map(|i| row.value(i).clone()));
            values.push(Value::Text(origin.clone()));
            let added = tx
                .execute(&insert, &values)
                .map_err(|e| StoreError::from_db(there, e))?;
            count(tally, added);
            if added > 0 {
                let new_id = tx
                    .id_by_origin(child.table, &origin)
                    .and_then(|id| id.ok_or(crate::db::DbError::NoRow))
                    .map_err(|e| StoreError::from_db(there, e))?;
                added_ids.push((id, new_id));
            }
        }
        Ok(added_ids)
    }

    /// The chip results and capture of each run just added.
    fn push_run_details(&self, (tx, there): (&Tx<'_>, &Path), runs: &[(i64, i64)]) -> Result<()> {
        for &(here, run_there) in runs {
            let chips = self
                .conn
                .query(
                    "SELECT chip, domain, state, suspect, patterns, golden, hw_errors, temp_c \
                     FROM chip_results WHERE run_id = ?1 ORDER BY chip",
                    args![here],
                )
                .map_err(|e| self.err(e))?;
            for c in chips {
                let mut values = vec![Value::Int(run_there)];
                values.extend((0..8).map(|i| c.value(i).clone()));
                tx.execute(
                    "INSERT INTO chip_results (run_id, chip, domain, state, suspect, patterns, golden, \
                     hw_errors, temp_c) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                    &values,
                )
                .map_err(|e| StoreError::from_db(there, e))?;
            }
            if let Some(text) = self.capture(here)? {
                tx.execute(
                    "INSERT INTO run_captures (run_id, text) VALUES (?1, ?2)",
                    args![run_there, text],
                )
                .map_err(|e| StoreError::from_db(there, e))?;
            }
        }
        Ok(())
    }

    fn bad_push(&self, table: &'static str, id: i64, problem: String) -> StoreError {
        StoreError::BadRow {
            path: self.path.clone(),
            table,
            id,
            problem,
        }
    }
}

fn count(tally: &mut (u64, u64), added: u64) {
    if added > 0 {
        tally.0 += added;
    } else {
        tally.1 += 1;
    }
}
