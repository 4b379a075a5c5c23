//! A board's whole history, and the shop's statistics.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::codes::{FAILED_STATES, Status};
use crate::db::{Value, args};
use crate::{Board, Repair, Result, RunSummary, Store, Ticket};

/// One ticket of a board's history.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TicketHistory {
    /// The ticket.
    pub ticket: Ticket,
    /// Its runs, oldest first.
    pub runs: Vec<RunSummary>,
    /// Its repair actions, oldest first.
    pub repairs: Vec<Repair>,
}

/// A chip position that failed on more than one ticket of the same board.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RepeatFailure {
    /// Chain index.
    pub chip: usize,
    /// The tickets it failed in, oldest first.
    pub tickets: Vec<i64>,
}

/// Everything recorded about one board.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BoardHistory {
    /// The board.
    pub board: Board,
    /// Its tickets, oldest first.
    pub tickets: Vec<TicketHistory>,
    /// Positions that failed again after an earlier ticket.
    pub repeats: Vec<RepeatFailure>,
}

/// A count for a key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Count<K> {
    /// What is counted.
    pub key: K,
    /// How many.
    pub count: u64,
}

/// The shop's numbers.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Stats {
    /// Tickets in all.
    pub tickets: u64,
    /// Tickets per status, in repair order.
    pub by_status: Vec<Count<String>>,
    /// Tickets in which a chip position failed, per (model, chain index), most first.
    pub failures_by_position: Vec<Count<(String, usize)>>,
    /// Tickets in which a chip of a domain failed, per (model, domain), most first.
    pub failures_by_domain: Vec<Count<(String, usize)>>,
    /// Tickets with a repair action followed by a retest.
    pub repaired: u64,
    /// Of those, how many passed their last retest.
    pub repaired_passed: u64,
    /// Median bench and repair time of closed tickets, seconds.
    pub median_time_spent_s: Option<i64>,
    /// Median time from intake to closing, seconds.
    pub median_turnaround_s: Option<i64>,
}

impl Stats {
    /// Repair yield: the share of repaired tickets that passed their retest.
    #[must_use]
    pub fn repair_yield(&self) -> Option<f64> {
        (self.repaired > 0).then(|| self.repaired_passed as f64 / self.repaired as f64)
    }
}

/// A chip position counts as failed in a run when it was weak, dead, miscomputing, or named as
/// a suspect of a chain break.
fn failed_clause() -> String {
    format!("(c.state IN {FAILED_STATES} OR c.suspect = 1)")
}

impl Store {
    /// Every ticket, run and repair of the board with `serial`, with repeat failures flagged.
    pub fn board_history(&self, serial: &str) -> Result<BoardHistory> {
        let board = self.board(serial)?;
        let ids: Vec<i64> = self.rows(
            "SELECT id FROM tickets WHERE board_id = ?1 ORDER BY intake_at, id",
            args![board.id],
            |r| Ok(r.get(0)?),
        )?;
        let mut tickets = Vec::with_capacity(ids.len());
        for id in ids {
            tickets.push(TicketHistory {
                ticket: self.ticket(id)?,
                runs: self.runs(id)?,
                repairs: self.repairs(id)?,
            });
        }
        // One row per chip and ticket where the chip failed, tickets in intake order.
        let sql = format!(
            "SELECT c.chip, t.id FROM tickets t \
             JOIN runs r ON r.ticket_id = t.id JOIN chip_results c ON c.run_id = r.id \
             WHERE t.board_id = ?1 AND {} GROUP BY c.chip, t.id, t.intake_at \
             ORDER BY c.chip, t.intake_at, t.id",
            failed_clause()
        );
        let mut per_chip: BTreeMap<usize, Vec<i64>> = BTreeMap::new();
        for (chip, ticket) in self.rows(&sql, args![board.id], |r| {
            Ok((r.get::<usize>(0)?, r.get::<i64>(1)?))
        })? {
            per_chip.entry(chip).or_default().push(ticket);
        }
        let repeats = per_chip
            .into_iter()
            .filter(|(_, tickets)| tickets.len() > 1)
            .map(|(chip, tickets)| RepeatFailure { chip, tickets })
            .collect();
        Ok(BoardHistory {
            board,
            tickets,
            repeats,
        })
    }

    /// The shop's statistics over every ticket.
    pub fn stats(&self) -> Result<Stats> {
        let err = |e| self.err(e);
        let count = |sql: &str, args: &[Value]| -> Result<u64> {
            self.conn
                .query_one(sql, args)
                .and_then(|r| r.get(0))
                .map_err(err)
        };
        let tickets = count("SELECT count(*) FROM tickets", args![])?;
        let mut by_status = Vec::new();
        for status in Status::ALL {
            by_status.push(Count {
                key: status.name().to_owned(),
                count: count(
                    "SELECT count(*) FROM tickets WHERE status = ?1",
                    args![status.name()],
                )?,
            });
        }
        let grouped = |column: &str| -> Result<Vec<Count<(String, usize)>>> {
            let sql = format!(
                "SELECT model, key, count(*) AS n FROM ( \
                   SELECT DISTINCT b.model AS model, {column} AS key, t.id FROM chip_results c \
                   JOIN runs r ON r.id = c.run_id JOIN tickets t ON t.id = r.ticket_id \
                   JOIN boards b ON b.id = t.board_id WHERE {} ) AS failed \
                 GROUP BY model, key ORDER BY n DESC, model, key",
                failed_clause()
            );
            self.rows(&sql, args![], |r| {
                Ok(Count {
                    key: (r.get(0)?, r.get(1)?),
                    count: r.get(2)?,
                })
            })
        };
        let failures_by_position = grouped("c.chip")?;
        let failures_by_domain = grouped("c.domain")?;
        // Repaired: a repair action, then a run after it; passed if the latest such run did.
        let (repaired, repaired_passed): (u64, u64) = self
            .conn
            .query_one(
                "SELECT count(*), CAST(coalesce(sum(CASE WHEN verdict = 'pass' THEN 1 ELSE 0 END), 0) AS BIGINT) FROM ( \
                   SELECT (SELECT r.verdict FROM runs r WHERE r.ticket_id = t.id \
                           AND r.started_at >= (SELECT max(a.at) FROM repair_actions a WHERE a.ticket_id = t.id) \
                           AND r.aborted IS NULL \
                           ORDER BY r.started_at DESC, r.id DESC LIMIT 1) AS verdict \
                   FROM tickets t WHERE EXISTS (SELECT 1 FROM repair_actions a WHERE a.ticket_id = t.id) ) AS latest \
                 WHERE verdict IS NOT NULL",
                args![],
            )
            .and_then(|r| Ok((r.get(0)?, r.get(1)?)))
            .map_err(err)?;
        let median = |sql: &str| -> Result<Option<i64>> {
            let mut values: Vec<i64> = self.rows(sql, args![], |r| Ok(r.get(0)?))?;
            values.sort_unstable();
            Ok(values.get(values.len() / 2).copied())
        };
        Ok(Stats {
            tickets,
            by_status,
            failures_by_position,
            failures_by_domain,
            repaired,
            repaired_passed,
            median_time_spent_s: median(
                "SELECT time_spent_s FROM tickets WHERE closed_at IS NOT NULL",
            )?,
            median_turnaround_s: median(
                "SELECT closed_at - intake_at FROM tickets WHERE closed_at IS NOT NULL",
            )?,
        })
    }
}
