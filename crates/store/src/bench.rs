//! A synthetic shop for the benchmarks: many tickets, runs and repair actions written in bulk,
//! shaped like a real shop's file (boards that come back, runs of 126 chips, a real report as
//! each run's result).

use crate::db::args;
use crate::{Result, Store};

/// What was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Populated {
    /// Tickets.
    pub tickets: u64,
    /// Runs.
    pub runs: u64,
    /// Chip results.
    pub chip_results: u64,
    /// Repair actions.
    pub repairs: u64,
    /// A serial with several tickets, runs and repairs, for the history lookup.
    pub busy_serial: String,
}

/// Chips per synthetic run (an S19j Pro chain).
const CHIPS: u64 = 126;

impl Store {
    /// Add `tickets` tickets and about `chip_results` chip results (runs of 126 chips, each run
    /// storing `result_json` as its full result) in one transaction. Every seventh board comes
    /// back for a second ticket; 60 % of tickets are closed; every third has a repair.
    pub fn populate(
        &mut self,
        tickets: u64,
        chip_results: u64,
        result_json: &str,
    ) -> Result<Populated> {
        let err = |e| self.err(e);
        let runs = chip_results / CHIPS;
        let states: String = (0..CHIPS)
            .map(|c| if c == 40 { 'D' } else { 'o' })
            .collect();
        let tx = self.conn.begin().map_err(err)?;
        let mut repairs = 0;
        let mut board_id = 0;
        // Ticket ids in intake order (1-based positions below).
        let mut ticket_ids = Vec::with_capacity(usize::try_from(tickets).unwrap_or(0));
        for t in 1..=tickets {
            let at = 1_700_000_000 + i64::try_from(t).unwrap_or(0) * 600;
            // Every seventh ticket is a board coming back.
            if t % 7 != 0 || board_id == 0 {
                board_id = tx
                    .insert(
                        "INSERT INTO boards (serial, model, board_code, first_seen) VALUES (?1, ?2, ?3, ?4)",
                        args![format!("SN{t:08}"), "s19jpro", "BHB42601", at],
                    )
                    .map_err(err)?;
            }
            let closed = t % 5 < 3;
            let ticket = tx
                .insert(
                    "INSERT INTO tickets (board_id, customer, intake_at, symptom, status, technician, notes, time_spent_s, closed_at) \
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                    args![
                        board_id,
                        format!("Customer {}", t % 400),
                        at,
                        "chain shows 0 ASIC",
                        if closed { "done" } else { "diagnosing" },
                        "bench",
                        "",
                        1800,
                        closed.then_some(at + 86_400),
                    ],
                )
                .map_err(err)?;
            ticket_ids.push(ticket);
            if t % 3 == 0 {
                tx.execute(
                    "INSERT INTO repair_actions (ticket_id, chip, uref, action, part, technician, at, minutes, notes) \
                     VALUES (?1, ?2, ?3, 'reflow', 'lot 7', 'bench', ?4, 15, 'reflowed')",
                    args![ticket, 40, "U41", at + 3600],
                )
                .map_err(err)?;
                repairs += 1;
            }
        }
        for r in 1..=runs {
            // Spread the runs over the tickets, two per ticket where there are enough.
            let position = r.div_ceil(2) * (tickets / runs).max(1);
            let position = position.clamp(1, tickets.max(1));
            let Some(&ticket_id) = usize::try_from(position - 1)
                .ok()
                .and_then(|i| ticket_ids.get(i))
            else {
                break;
            };
            let at = 1_700_000_000 + i64::try_from(position).unwrap_or(0) * 600 + 60;
            let verdict = if r % 2 == 0 { "pass" } else { "fail" };
            let run_id = tx
                .insert(
                    "INSERT INTO runs (ticket_id, verdict, states, result_json, telemetry, app_version, jig_firmware, \
                     jig_protocol, profile, pattern_set, baud, operator, started_at, ended_at) \
                     VALUES (?1, ?2, ?3, ?4, '{\"voltages\":[],\"temperatures\":[]}', '0.1.0', 'hashbench-jig 0.1.0', 1, \
                     's19jpro@1', 'bench', 3125000, 'bench', ?5, ?6)",
                    args![ticket_id, verdict, &states, result_json, at, at + 90],
                )
                .map_err(err)?;
            for c in 0..CHIPS {
                let state = if c == 40 && r % 2 == 1 { "dead" } else { "ok" };
                tx.execute(
                    "INSERT INTO chip_results (run_id, chip, domain, state, suspect, patterns, golden, hw_errors) \
                     VALUES (?1, ?2, ?3, ?4, 0, 41, ?5, 0)",
                    args![run_id, c, c / 3, state, if state == "ok" { 41 } else { 0 }],
                )
                .map_err(err)?;
            }
        }
        tx.commit().map_err(err)?;
        // A board that came back (its second ticket is a multiple of 7) and whose second ticket
        // got runs (a multiple of the run spacing).
        let step = (tickets / runs.max(1)).max(1);
        let returning = if step.is_multiple_of(7) {
            step
        } else {
            step * 7
        };
        Ok(Populated {
            tickets,
            runs,
            chip_results: runs * CHIPS,
            repairs,
            busy_serial: format!("SN{:08}", returning.saturating_sub(1)),
        })
    }
}
