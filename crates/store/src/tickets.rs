//! Boards, tickets, runs and repair actions: what is written and how it is read back.

use diagnosis::{ChipState, Report, Verdict};
use serde::{Deserialize, Serialize};

use crate::codes::{self, Action, Status};
use crate::db::{DbError, Row, Value, args};
use crate::{Result, Store, StoreError};

/// A hashboard, by serial.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Board {
    /// Row id.
    pub id: i64,
    /// Serial number (from the EEPROM, typed or scanned); none when unreadable.
    pub serial: Option<String>,
    /// Profile id.
    pub model: String,
    /// Board code (e.g. from the EEPROM).
    pub board_code: Option<String>,
    /// When it was first seen, unix seconds.
    pub first_seen: i64,
}

/// What intake records.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NewTicket {
    /// Board serial; `None` when the board has none readable.
    pub serial: Option<String>,
    /// Profile id.
    pub model: String,
    /// Board code, when known.
    pub board_code: Option<String>,
    /// Customer.
    pub customer: String,
    /// What the customer reported.
    pub symptom: String,
    /// Who took it in.
    pub technician: String,
    /// Intake time, unix seconds.
    pub intake_at: i64,
}

/// A repair ticket.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Ticket {
    /// Ticket number.
    pub id: i64,
    /// The board.
    pub board: Board,
    /// Customer.
    pub customer: String,
    /// Intake time, unix seconds.
    pub intake_at: i64,
    /// What the customer reported.
    pub symptom: String,
    /// Where the repair is.
    #[serde(serialize_with = "status_word")]
    pub status: Status,
    /// Technician.
    pub technician: String,
    /// Notes.
    pub notes: String,
    /// Bench and repair time, seconds.
    pub time_spent_s: i64,
    /// When it was closed (done, returned or scrapped).
    pub closed_at: Option<i64>,
    /// Diagnosis runs so far.
    pub runs: u32,
    /// Verdict of the latest run.
    pub last_verdict: Option<Verdict>,
    /// Saved edits of its text (customer, symptom, technician, notes): an edit names the
    /// revision it started from, and one made from an older copy (another bench saved in
    /// between) is refused ([`StoreError::Conflict`]).
    pub revision: i64,
}

fn status_word<S: serde::Serializer>(
    status: &Status,
    s: S,
) -> std::result::Result<S::Ok, S::Error> {
    s.serialize_str(status.name())
}

fn action_word<S: serde::Serializer>(
    action: &Action,
    s: S,
) -> std::result::Result<S::Ok, S::Error> {
    s.serialize_str(action.name())
}

impl NewTicket {
    /// The intake a finished run opens when no ticket is open: the board's serial and board
    /// code from its EEPROM (in the report), taken in when the run started.
    #[must_use]
    pub fn for_run(report: &Report, model: &str, operator: &str, started_at: i64) -> NewTicket {
        NewTicket {
            serial: report.board.serial.clone(),
            model: model.to_owned(),
            board_code: report.board.board_code.clone(),
            customer: String::new(),
            symptom: String::new(),
            technician: operator.to_owned(),
            intake_at: started_at,
        }
    }
}

/// Which tickets to list. Empty fields do not filter.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TicketFilter {
    /// Words found in the serial, customer, symptom or notes, or the ticket number.
    pub text: String,
    /// Serial contains this.
    pub serial: String,
    /// Customer contains this.
    pub customer: String,
    /// Exactly this status.
    pub status: Option<Status>,
    /// Exactly this profile id.
    pub model: String,
    /// Taken in at or after (unix seconds).
    pub since: Option<i64>,
    /// Taken in before (unix seconds).
    pub until: Option<i64>,
}

/// Order of the ticket list.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum TicketSort {
    /// By intake time (the default, newest first when descending).
    #[default]
    Intake,
    /// By ticket number.
    Number,
    /// By serial.
    Serial,
    /// By customer.
    Customer,
    /// By status, in repair order.
    Status,
    /// By model.
    Model,
}

/// One diagnosis to save.
#[derive(Debug, Clone)]
pub struct RunRecord<'a> {
    /// The engine's report.
    pub report: &'a Report,
    /// When it started, unix seconds.
    pub started_at: i64,
    /// When it ended.
    pub ended_at: i64,
    /// Who ran it.
    pub operator: String,
    /// The chips of a retest; `None` for a full run.
    pub retest_chips: Option<Vec<usize>>,
}

impl RunRecord<'_> {
    /// What names this run wherever it is saved: a digest of its report and times (and the
    /// ticket it is saved on, when it is), so a run is saved once whichever way it comes (a
    /// save whose answer the server lost, then the same run from the bench's outbox).
    fn digest(&self, result_json: &str, ticket: Option<i64>) -> String {
        use sha2::Digest as _;
        let mut hash = sha2::Sha256::new();
        for part in [
            format!("{ticket:?}").as_bytes(),
            result_json.as_bytes(),
            &self.started_at.to_le_bytes(),
            &self.ended_at.to_le_bytes(),
            self.operator.trim().as_bytes(),
            format!("{:?}", self.retest_chips).as_bytes(),
        ] {
            hash.update((part.len() as u64).to_le_bytes());
            hash.update(part);
        }
        hash.finalize()
            .iter()
            .take(16)
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    /// The report as saved (JSON).
    fn result_json(&self) -> Result<String> {
        serde_json::to_string(self.report)
            .map_err(|e| StoreError::Invalid(format!("the report cannot be saved: {e}")))
    }

    /// The origin of the intake a run with no ticket opens (see [`Store::create_ticket_for_run`]).
    fn intake_origin(&self) -> Result<String> {
        Ok(format!(
            "intake/{}",
            self.digest(&self.result_json()?, None)
        ))
    }
}

/// One telemetry sample kept with a run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VoltageSample {
    /// Seconds since the run's first sample.
    pub t_s: f64,
    /// Voltage of each domain, mV.
    pub domain_mv: Vec<u32>,
    /// Board input voltage, mV.
    pub input_mv: u32,
    /// Board input current, mA.
    pub input_ma: u32,
}

/// One set of sensor readings kept with a run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TempSample {
    /// Seconds since the run's first voltage sample.
    pub t_s: f64,
    /// °C per sensor in profile order.
    pub temps_c: Vec<Option<f32>>,
}

/// A run's telemetry, downsampled to at most [`Telemetry::MAX_SAMPLES`] of each kind.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Telemetry {
    /// Domain voltages over time.
    pub voltages: Vec<VoltageSample>,
    /// Temperatures over time.
    pub temperatures: Vec<TempSample>,
}

impl Telemetry {
    /// Samples kept per kind: enough for a chart a page wide.
    pub const MAX_SAMPLES: usize = 500;

    /// The report's telemetry, evenly thinned to [`Telemetry::MAX_SAMPLES`] (first and last kept).
    #[must_use]
    pub fn from_report(report: &Report) -> Telemetry {
        let t0 = report
            .telemetry
            .first()
            .map(|t| t.at_us)
            .or_else(|| report.temperatures.first().map(|t| t.0))
            .unwrap_or(0);
        let secs = |at_us: u64| at_us.saturating_sub(t0) as f64 / 1e6;
        Telemetry {
            voltages: thin(&report.telemetry)
                .map(|t| VoltageSample {
                    t_s: secs(t.at_us),
                    domain_mv: {
                        // The jig measures every tap of its ladder; keep the board's domains.
                        let mut mv = t.domain_mv();
                        if !report.domains.is_empty() {
                            mv.truncate(report.domains.len());
                        }
                        mv
                    },
                    input_mv: t.input_mv,
                    input_ma: t.input_ma,
                })
                .collect(),
            temperatures: thin(&report.temperatures)
                .map(|(at, temps)| TempSample {
                    t_s: secs(*at),
                    temps_c: temps.clone(),
                })
                .collect(),
        }
    }
}

fn thin<T>(all: &[T]) -> impl Iterator<Item = &T> {
    let n = all.len();
    let keep = n.min(Telemetry::MAX_SAMPLES);
    (0..keep).filter_map(move |i| {
        let index = if keep <= 1 {
            0
        } else {
            i * (n - 1) / (keep - 1)
        };
        all.get(index)
    })
}

/// A saved run, without its full result.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RunSummary {
    /// Run id.
    pub id: i64,
    /// Ticket.
    pub ticket_id: i64,
    /// Verdict.
    pub verdict: Verdict,
    /// Why it stopped early, if it did.
    pub aborted: Option<String>,
    /// Chips of a retest; `None` for a full run.
    pub retest_chips: Option<Vec<usize>>,
    /// State of every chip, in chain order.
    pub states: Vec<ChipState>,
    /// Start, unix seconds.
    pub started_at: i64,
    /// End.
    pub ended_at: i64,
    /// Who ran it.
    pub operator: String,
    /// Profile, `id@version`.
    pub profile: String,
    /// Hashbench version.
    pub app_version: String,
    /// Jig firmware.
    pub jig_firmware: String,
    /// Jig protocol version.
    pub jig_protocol: Option<u16>,
    /// Header-set identity.
    pub pattern_set: String,
    /// Pattern-test baud rate.
    pub baud: u32,
    /// Simulation seed.
    pub seed: Option<u64>,
}

/// A saved run with everything recorded.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredRun {
    /// Its summary.
    pub summary: RunSummary,
    /// The full result as the engine reported it (board identity and raw telemetry are kept
    /// elsewhere: in the board row and [`StoredRun::telemetry`]).
    pub report: Report,
    /// Downsampled telemetry.
    pub telemetry: Telemetry,
}

/// Where a ticket stands against the verification policy: passing full-board runs (not a
/// retest of a few chips) since its last repair action, or since intake when it has none.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Verification {
    /// Passing runs counted.
    pub passes: u32,
    /// What the policy asks for.
    pub required: u32,
    /// When the last repair action was, unix seconds.
    pub last_repair_at: Option<i64>,
}

impl Verification {
    /// Whether the ticket may close `done`.
    #[must_use]
    pub fn met(&self) -> bool {
        self.passes >= self.required
    }

    /// One line for the window and the CLI.
    #[must_use]
    pub fn describe(&self) -> String {
        let since = if self.last_repair_at.is_some() {
            "since the last repair"
        } else {
            "(no repair recorded)"
        };
        format!(
            "Verification: {} of {} passing full-board run(s) {since}{}",
            self.passes,
            self.required,
            if self.met() {
                ": may close as done"
            } else {
                ": not yet verified"
            }
        )
    }

    /// What the report prints beside "Verified" (one short line).
    #[must_use]
    pub fn summary(&self) -> String {
        let since = if self.last_repair_at.is_some() {
            "after repair"
        } else {
            "(no repair)"
        };
        let done = if self.met() { "verified" } else { "not yet" };
        format!(
            "{} of {} passes {since}: {done}",
            self.passes, self.required
        )
    }
}

/// A repair action to record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewRepair {
    /// Chain index; `None` for a board-level action.
    pub chip: Option<usize>,
    /// U-reference of the position, when the profile has one.
    pub uref: String,
    /// What was done.
    pub action: Action,
    /// Part source or lot.
    pub part: String,
    /// Who did it.
    pub technician: String,
    /// When, unix seconds.
    pub at: i64,
    /// Minutes it took.
    pub minutes: u32,
    /// Notes.
    pub notes: String,
}

/// A recorded repair action.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Repair {
    /// Row id.
    pub id: i64,
    /// Ticket.
    pub ticket_id: i64,
    /// Chain index.
    pub chip: Option<usize>,
    /// U-reference.
    pub uref: String,
    /// What was done.
    #[serde(serialize_with = "action_word")]
    pub action: Action,
    /// Part source or lot.
    pub part: String,
    /// Who.
    pub technician: String,
    /// When.
    pub at: i64,
    /// Minutes.
    pub minutes: u32,
    /// Notes.
    pub notes: String,
}

const TICKET_COLUMNS: &str = "t.id, t.customer, t.intake_at, t.symptom, t.status, t.technician, \
    t.notes, t.time_spent_s, t.closed_at, b.id, b.serial, b.model, b.board_code, b.first_seen, \
    (SELECT count(*) FROM runs r WHERE r.ticket_id = t.id), \
    (SELECT r.verdict FROM runs r WHERE r.ticket_id = t.id ORDER BY r.started_at DESC, r.id DESC LIMIT 1), \
    t.revision";

const RUN_COLUMNS: &str = "id, ticket_id, verdict, aborted, retest_chips, states, started_at, \
    ended_at, operator, profile, app_version, jig_firmware, jig_protocol, pattern_set, baud, seed";

/// A row value that did not parse.
pub(crate) struct Bad(pub(crate) &'static str, pub(crate) i64, pub(crate) String);

/// A row that either could not be read (the engine's error) or read as something this version
/// does not know (named by table and id).
pub(crate) enum RowError {
    Db(DbError),
    Bad(Bad),
}

impl From<DbError> for RowError {
    fn from(e: DbError) -> RowError {
        RowError::Db(e)
    }
}

impl From<Bad> for RowError {
    fn from(b: Bad) -> RowError {
        RowError::Bad(b)
    }
}

impl Store {
    fn bad(&self, Bad(table, id, problem): Bad) -> StoreError {
        StoreError::BadRow {
            path: self.path.clone(),
            table,
            id,
            problem,
        }
    }

    pub(crate) fn row_err(&self, e: RowError) -> StoreError {
        match e {
            RowError::Db(e) => self.err(e),
            RowError::Bad(b) => self.bad(b),
        }
    }

    /// Every row of `sql`, each turned into a `T` by `read`.
    pub(crate) fn rows<T>(
        &self,
        sql: &str,
        args: &[Value],
        read: impl Fn(&Row) -> std::result::Result<T, RowError>,
    ) -> Result<Vec<T>> {
        let mut out = Vec::new();
        self.conn
            .for_each(sql, args, |r| {
                out.push(read(r)?);
                Ok::<_, RowError>(())
            })
            .map_err(|e| self.row_err(e))?;
        Ok(out)
    }

    /// Insert one row that belongs to ticket `ticket` (`sql` with its `args`), in one
    /// transaction that first makes sure the ticket exists; returns the new row's id.
    pub(crate) fn insert_for_ticket(
        &mut self,
        ticket: i64,
        sql: &str,
        args: &[Value],
    ) -> Result<i64> {
        let err = |e| self.err(e);
        let tx = self.conn.begin().map_err(err)?;
        let lock = tx.lock_rows();
        let exists = tx
            .query_opt(
                &format!("SELECT id FROM tickets WHERE id = ?1{lock}"),
                args![ticket],
            )
            .map_err(err)?;
        if exists.is_none() {
            return Err(self.not_found(format!("ticket {ticket}")));
        }
        let id = tx.insert(sql, args).map_err(err)?;
        tx.changed(ticket).map_err(err)?;
        tx.commit().map_err(err)?;
        Ok(id)
    }

    pub(crate) fn not_found(&self, what: String) -> StoreError {
        StoreError::NotFound {
            path: self.path.clone(),
            what,
        }
    }

    /// Take a board in: find its board row by serial (or add one) and open a ticket.
    pub fn create_ticket(&mut self, new: &NewTicket) -> Result<i64> {
        self.create_ticket_from(new, None)
    }

    /// The intake `run` opens when no ticket is open ([`NewTicket::for_run`]): opened once for
    /// that run however often it is asked (the first answer lost on the way, then the run sent
    /// again from the bench's outbox).
    pub fn create_ticket_for_run(&mut self, new: &NewTicket, run: &RunRecord<'_>) -> Result<i64> {
        let origin = run.intake_origin()?;
        self.create_ticket_from(new, Some(&origin))
    }

    /// [`Store::create_ticket`] for an intake that came from another database (`origin`, as a
    /// bench's outbox names it): opened once, however often it is sent.
    pub(crate) fn create_ticket_from(
        &mut self,
        new: &NewTicket,
        origin: Option<&str>,
    ) -> Result<i64> {
        if new.model.trim().is_empty() {
            return Err(StoreError::Invalid(
                "a ticket needs the board's model (profile id)".into(),
            ));
        }
        let serial = new
            .serial
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty());
        let err = |e| self.err(e);
        let tx = self.conn.begin().map_err(err)?;
        if let Some(id) = origin
            .map(|o| tx.id_by_origin("tickets", o))
            .transpose()
            .map_err(err)?
            .flatten()
        {
            return Ok(id);
        }
        let board = match serial {
            // One statement, so two benches taking the same new board in at once both find
            // one board row (the second's insert does nothing and the select finds the first's).
            Some(s) => {
                tx.execute(
                    "INSERT INTO boards (serial, model, board_code, first_seen) VALUES (?1, ?2, ?3, ?4) \
                     ON CONFLICT (serial) DO UPDATE SET board_code = coalesce(boards.board_code, excluded.board_code)",
                    args![s, new.model.trim(), &new.board_code, new.intake_at],
                )
                .map_err(err)?;
                tx.query_one("SELECT id FROM boards WHERE serial = ?1", args![s])
                    .and_then(|r| r.get(0))
                    .map_err(err)?
            }
            None => tx
                .insert(
                    "INSERT INTO boards (serial, model, board_code, first_seen) VALUES (NULL, ?1, ?2, ?3)",
                    args![new.model.trim(), &new.board_code, new.intake_at],
                )
                .map_err(err)?,
        };
        let id = tx
            .insert(
                "INSERT INTO tickets (board_id, customer, intake_at, symptom, technician, origin) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                args![
                    board,
                    new.customer.trim(),
                    new.intake_at,
                    new.symptom.trim(),
                    new.technician.trim(),
                    origin
                ],
            )
            .map_err(err)?;
        tx.changed(id).map_err(err)?;
        tx.commit().map_err(err)?;
        Ok(id)
    }

    /// One ticket.
    pub fn ticket(&self, id: i64) -> Result<Ticket> {
        let sql = format!(
            "SELECT {TICKET_COLUMNS} FROM tickets t JOIN boards b ON b.id = t.board_id WHERE t.id = ?1"
        );
        self.rows(&sql, args![id], ticket_row)?
            .pop()
            .ok_or_else(|| self.not_found(format!("ticket {id}")))
    }

    /// Tickets matching `filter`, sorted, one page (`offset`, at most `limit`).
    pub fn list_tickets(
        &self,
        filter: &TicketFilter,
        sort: TicketSort,
        descending: bool,
        offset: usize,
        limit: usize,
    ) -> Result<Vec<Ticket>> {
        let (clause, mut values) = filter_clause(filter);
        let key = match sort {
            TicketSort::Intake => "t.intake_at",
            TicketSort::Number => "t.id",
            TicketSort::Serial => "b.serial",
            TicketSort::Customer => "lower(t.customer)",
            TicketSort::Status => {
                "CASE t.status WHEN 'received' THEN 0 WHEN 'diagnosing' THEN 1 WHEN 'repairing' THEN 2 \
                 WHEN 'verifying' THEN 3 WHEN 'done' THEN 4 WHEN 'returned' THEN 5 ELSE 6 END"
            }
            TicketSort::Model => "b.model",
        };
        let direction = if descending { "DESC" } else { "ASC" };
        // NULL serials sort first ascending on both engines, as SQLite always did.
        let nulls = if descending {
            "NULLS LAST"
        } else {
            "NULLS FIRST"
        };
        let sql = format!(
            "SELECT {TICKET_COLUMNS} FROM tickets t JOIN boards b ON b.id = t.board_id {clause} \
             ORDER BY {key} {direction} {nulls}, t.id {direction} LIMIT ? OFFSET ?"
        );
        values.push(Value::from(limit));
        values.push(Value::from(offset));
        self.rows(&sql, &values, ticket_row)
    }

    /// How many tickets match `filter`.
    pub fn count_tickets(&self, filter: &TicketFilter) -> Result<u64> {
        let (clause, values) = filter_clause(filter);
        let sql =
            format!("SELECT count(*) FROM tickets t JOIN boards b ON b.id = t.board_id {clause}");
        self.conn
            .query_one(&sql, &values)
            .and_then(|r| r.get(0))
            .map_err(|e| self.err(e))
    }

    /// The verification policy: passing full-board runs after the last repair a ticket needs to
    /// close `done` (0: a shop that closes tickets without that check).
    pub fn set_required_passes(&mut self, passes: u32) {
        self.required_passes = passes;
    }

    /// The verification policy in force.
    #[must_use]
    pub fn required_passes(&self) -> u32 {
        self.required_passes
    }

    /// Where ticket `id` stands against the verification policy.
    pub fn verification(&self, id: i64) -> Result<Verification> {
        let err = |e| self.err(e);
        let last_repair_at: Option<i64> = self
            .conn
            .query_one(
                "SELECT max(at) FROM repair_actions WHERE ticket_id = ?1",
                args![id],
            )
            .and_then(|r| r.get(0))
            .map_err(err)?;
        let passes: u32 = self
            .conn
            .query_one(
                "SELECT count(*) FROM runs WHERE ticket_id = ?1 AND verdict = 'pass' \
                 AND retest_chips IS NULL AND aborted IS NULL AND started_at >= ?2",
                args![id, last_repair_at.unwrap_or(0)],
            )
            .and_then(|r| r.get(0))
            .map_err(err)?;
        Ok(Verification {
            passes,
            required: self.required_passes,
            last_repair_at,
        })
    }

    /// Move a ticket to `status` at time `at`; closing sets its closing time, reopening clears it.
    /// Closing `done` needs the verification policy met ([`Store::verification`]).
    pub fn set_status(&mut self, id: i64, status: Status, at: i64) -> Result<()> {
        if status == Status::Done {
            self.ticket(id)?;
            let v = self.verification(id)?;
            if !v.met() {
                return Err(StoreError::NotVerified {
                    ticket: id,
                    passes: v.passes,
                    required: v.required,
                });
            }
        }
        let changed = if status.is_closed() {
            self.conn.execute(
                "UPDATE tickets SET status = ?2, closed_at = coalesce(closed_at, ?3) WHERE id = ?1",
                args![id, status.name(), at],
            )
        } else {
            self.conn.execute(
                "UPDATE tickets SET status = ?2, closed_at = NULL WHERE id = ?1",
                args![id, status.name()],
            )
        }
        .map_err(|e| self.err(e))?;
        if changed == 0 {
            return Err(self.not_found(format!("ticket {id}")));
        }
        self.conn.changed(id).map_err(|e| self.err(e))
    }

    /// Change a ticket's customer, symptom, technician and notes, if it is still at `revision`
    /// (the one read before the edit). When another bench saved the ticket since, nothing is
    /// written and [`StoreError::Conflict`] carries the ticket as it is now.
    pub fn edit_ticket(
        &mut self,
        id: i64,
        revision: i64,
        customer: &str,
        symptom: &str,
        technician: &str,
        notes: &str,
    ) -> Result<()> {
        let changed = self
            .conn
            .execute(
                "UPDATE tickets SET customer = ?2, symptom = ?3, technician = ?4, notes = ?5, \
                 revision = revision + 1 WHERE id = ?1 AND revision = ?6",
                args![
                    id,
                    customer.trim(),
                    symptom.trim(),
                    technician.trim(),
                    notes,
                    revision
                ],
            )
            .map_err(|e| self.err(e))?;
        if changed == 0 {
            // Either no such ticket (NotFound) or a newer revision.
            let current = self.ticket(id)?;
            return Err(StoreError::Conflict {
                ticket: id,
                by: if current.technician.is_empty() {
                    "another bench".into()
                } else {
                    format!("another bench; technician {}", current.technician)
                },
                current: Box::new(current),
            });
        }
        self.conn.changed(id).map_err(|e| self.err(e))
    }

    /// Save a diagnosis run against ticket `ticket`, with its chip results and telemetry. The
    /// ticket moves on: received → diagnosing, repairing → verifying; the run's time is added
    /// to the ticket's time spent.
    /// A run is saved once, however often it is sent: it is named by a digest of its report
    /// and times (its `origin`), and a second save returns the first's id.
    pub fn save_run(&mut self, ticket: i64, run: &RunRecord<'_>) -> Result<i64> {
        self.save_run_from(ticket, run, None)
    }

    /// [`Store::save_run`], for a run that came from a bench's outbox, whose downsampled
    /// telemetry (JSON) was kept with it (a report read back from JSON has none). Returns the
    /// run's id here.
    pub(crate) fn save_run_from(
        &mut self,
        ticket: i64,
        run: &RunRecord<'_>,
        kept_telemetry: Option<&str>,
    ) -> Result<i64> {
        let report = run.report;
        let result_json = run.result_json()?;
        let origin = format!("run/{}", run.digest(&result_json, Some(ticket)));
        let origin = Some(origin.as_str());
        let telemetry = match kept_telemetry {
            Some(kept) => kept.to_owned(),
            None => serde_json::to_string(&Telemetry::from_report(report))
                .map_err(|e| StoreError::Invalid(format!("the telemetry cannot be saved: {e}")))?,
        };
        let retest = match &run.retest_chips {
            Some(chips) => Some(
                serde_json::to_string(chips)
                    .map_err(|e| StoreError::Invalid(format!("retest chips: {e}")))?,
            ),
            None => None,
        };
        let states: String = report.chips.iter().map(|c| c.state.letter()).collect();
        let suspects: Vec<usize> = report
            .findings
            .iter()
            .flat_map(|f| f.suspects.iter().copied())
            .collect();
        let err = |e| self.err(e);
        let tx = self.conn.begin().map_err(err)?;
        let lock = tx.lock_rows();
        let status: Option<String> = tx
            .query_opt(
                &format!("SELECT status FROM tickets WHERE id = ?1{lock}"),
                args![ticket],
            )
            .and_then(|r| r.map(|r| r.get(0)).transpose())
            .map_err(err)?;
        let Some(status) = status else {
            return Err(self.not_found(format!("ticket {ticket}")));
        };
        if let Some(id) = origin
            .map(|o| tx.id_by_origin("runs", o))
            .transpose()
            .map_err(err)?
            .flatten()
        {
            return Ok(id);
        }
        let run_id = tx
            .insert(
                "INSERT INTO runs (ticket_id, verdict, aborted, retest_chips, states, result_json, telemetry, \
                 app_version, jig_firmware, jig_protocol, profile, pattern_set, baud, seed, operator, started_at, ended_at, origin) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18)",
                args![
                    ticket,
                    report.verdict.name(),
                    &report.aborted,
                    retest,
                    states,
                    result_json,
                    telemetry,
                    &report.provenance.app_version,
                    &report.provenance.jig_firmware,
                    report.jig_protocol,
                    &report.provenance.profile,
                    &report.provenance.pattern_set,
                    report.timing.baud,
                    report.provenance.seed.map(|s| s.cast_signed()),
                    run.operator.trim(),
                    run.started_at,
                    run.ended_at,
                    origin,
                ],
            )
            .map_err(err)?;
        for chip in &report.chips {
            tx.execute(
                "INSERT INTO chip_results (run_id, chip, domain, state, suspect, patterns, golden, hw_errors, temp_c) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                args![
                    run_id,
                    chip.index,
                    chip.domain,
                    codes::state_name(chip.state),
                    suspects.contains(&chip.index),
                    chip.patterns,
                    chip.golden,
                    chip.hw_errors,
                    chip.temp_c,
                ],
            )
            .map_err(err)?;
        }
        let next = match status.as_str() {
            "received" => "diagnosing",
            "repairing" => "verifying",
            other => other,
        };
        tx.execute(
            "UPDATE tickets SET status = ?2, time_spent_s = time_spent_s + ?3 WHERE id = ?1",
            args![ticket, next, (run.ended_at - run.started_at).max(0)],
        )
        .map_err(err)?;
        tx.changed(ticket).map_err(err)?;
        tx.commit().map_err(err)?;
        Ok(run_id)
    }

    /// The runs of a ticket, oldest first.
    pub fn runs(&self, ticket: i64) -> Result<Vec<RunSummary>> {
        let sql =
            format!("SELECT {RUN_COLUMNS} FROM runs WHERE ticket_id = ?1 ORDER BY started_at, id");
        self.rows(&sql, args![ticket], run_row)
    }

    /// One run with its full result and telemetry.
    pub fn run(&self, id: i64) -> Result<StoredRun> {
        let sql = format!("SELECT {RUN_COLUMNS}, result_json, telemetry FROM runs WHERE id = ?1");
        let mut rows = self.rows(&sql, args![id], |r| {
            Ok((run_row(r)?, r.get::<String>(16)?, r.get::<String>(17)?))
        })?;
        let Some((summary, json, telemetry)) = rows.pop() else {
            return Err(self.not_found(format!("run {id}")));
        };
        let report: Report = serde_json::from_str(&json)
            .map_err(|e| self.bad(Bad("runs", id, format!("result_json: {e}"))))?;
        let telemetry: Telemetry = serde_json::from_str(&telemetry)
            .map_err(|e| self.bad(Bad("runs", id, format!("telemetry: {e}"))))?;
        Ok(StoredRun {
            summary,
            report,
            telemetry,
        })
    }

    /// Attach the chain traffic of run `run` (a capture's JSON lines), replacing one attached
    /// before.
    pub fn attach_capture(&mut self, run: i64, text: &str) -> Result<()> {
        let err = |e| self.err(e);
        let tx = self.conn.begin().map_err(err)?;
        let exists = tx
            .query_opt("SELECT id FROM runs WHERE id = ?1", args![run])
            .map_err(err)?;
        if exists.is_none() {
            return Err(self.not_found(format!("run {run}")));
        }
        tx.execute(
            "INSERT INTO run_captures (run_id, text) VALUES (?1, ?2)
             ON CONFLICT (run_id) DO UPDATE SET text = excluded.text",
            args![run, text],
        )
        .map_err(err)?;
        tx.commit().map_err(err)
    }

    /// The capture attached to run `run`, if any.
    pub fn capture(&self, run: i64) -> Result<Option<String>> {
        self.conn
            .query_opt(
                "SELECT text FROM run_captures WHERE run_id = ?1",
                args![run],
            )
            .and_then(|r| r.map(|r| r.get(0)).transpose())
            .map_err(|e| self.err(e))
    }

    /// Record a repair action on ticket `ticket`; the ticket moves to repairing (unless closed)
    /// and its time spent grows by the action's minutes.
    pub fn add_repair(&mut self, ticket: i64, repair: &NewRepair) -> Result<i64> {
        let err = |e| self.err(e);
        let tx = self.conn.begin().map_err(err)?;
        let changed = tx
            .execute(
                "UPDATE tickets SET time_spent_s = time_spent_s + ?2 * 60, \
                 status = CASE WHEN status IN ('done','returned','scrapped') THEN status ELSE 'repairing' END \
                 WHERE id = ?1",
                args![ticket, repair.minutes],
            )
            .map_err(err)?;
        if changed == 0 {
            return Err(self.not_found(format!("ticket {ticket}")));
        }
        let id = tx
            .insert(
                "INSERT INTO repair_actions (ticket_id, chip, uref, action, part, technician, at, minutes, notes) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                args![
                    ticket,
                    repair.chip,
                    repair.uref.trim(),
                    repair.action.name(),
                    repair.part.trim(),
                    repair.technician.trim(),
                    repair.at,
                    repair.minutes,
                    &repair.notes,
                ],
            )
            .map_err(err)?;
        tx.changed(ticket).map_err(err)?;
        tx.commit().map_err(err)?;
        Ok(id)
    }

    /// The repair actions of a ticket, oldest first.
    pub fn repairs(&self, ticket: i64) -> Result<Vec<Repair>> {
        self.rows(
            "SELECT id, ticket_id, chip, uref, action, part, technician, at, minutes, notes \
             FROM repair_actions WHERE ticket_id = ?1 ORDER BY at, id",
            args![ticket],
            |r| {
                let id: i64 = r.get(0)?;
                let action: String = r.get(4)?;
                let action = Action::parse(&action).map_err(|p| Bad("repair_actions", id, p))?;
                Ok(Repair {
                    id,
                    ticket_id: r.get(1)?,
                    chip: r.get(2)?,
                    uref: r.get(3)?,
                    action,
                    part: r.get(5)?,
                    technician: r.get(6)?,
                    at: r.get(7)?,
                    minutes: r.get(8)?,
                    notes: r.get(9)?,
                })
            },
        )
    }

    /// The board with this serial.
    pub fn board(&self, serial: &str) -> Result<Board> {
        self.rows(
            "SELECT id, serial, model, board_code, first_seen FROM boards WHERE serial = ?1",
            args![serial.trim()],
            board_row,
        )?
        .pop()
        .ok_or_else(|| self.not_found(format!("board with serial `{}`", serial.trim())))
    }
}

/// A board from `id, serial, model, board_code, first_seen`.
pub(crate) fn board_row(r: &Row) -> std::result::Result<Board, RowError> {
    Ok(Board {
        id: r.get(0)?,
        serial: r.get(1)?,
        model: r.get(2)?,
        board_code: r.get(3)?,
        first_seen: r.get(4)?,
    })
}

fn like(text: &str) -> Value {
    let escaped = text
        .trim()
        .to_lowercase()
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    Value::Text(format!("%{escaped}%"))
}

/// A WHERE clause for `filter` and its parameter values, in order. Text matches ignore case on
/// both engines (SQLite's LIKE does for ASCII, PostgreSQL's does not: both sides are lowered).
fn filter_clause(filter: &TicketFilter) -> (String, Vec<Value>) {
    let mut parts: Vec<&str> = Vec::new();
    let mut values = Vec::new();
    let text = filter.text.trim();
    if !text.is_empty() {
        parts.push(
            "(lower(b.serial) LIKE ? ESCAPE '\\' OR lower(t.customer) LIKE ? ESCAPE '\\' \
             OR lower(t.symptom) LIKE ? ESCAPE '\\' OR lower(t.notes) LIKE ? ESCAPE '\\' OR t.id = ?)",
        );
        for _ in 0..4 {
            values.push(like(text));
        }
        let number = text.trim_start_matches('#').parse::<i64>().unwrap_or(-1);
        values.push(Value::Int(number));
    }
    if !filter.serial.trim().is_empty() {
        parts.push("lower(b.serial) LIKE ? ESCAPE '\\'");
        values.push(like(&filter.serial));
    }
    if !filter.customer.trim().is_empty() {
        parts.push("lower(t.customer) LIKE ? ESCAPE '\\'");
        values.push(like(&filter.customer));
    }
    if let Some(status) = filter.status {
        parts.push("t.status = ?");
        values.push(Value::from(status.name()));
    }
    if !filter.model.trim().is_empty() {
        parts.push("b.model = ?");
        values.push(Value::from(filter.model.trim()));
    }
    if let Some(since) = filter.since {
        parts.push("t.intake_at >= ?");
        values.push(Value::Int(since));
    }
    if let Some(until) = filter.until {
        parts.push("t.intake_at < ?");
        values.push(Value::Int(until));
    }
    if parts.is_empty() {
        (String::new(), values)
    } else {
        (format!("WHERE {}", parts.join(" AND ")), values)
    }
}

fn ticket_row(r: &Row) -> std::result::Result<Ticket, RowError> {
    let id: i64 = r.get(0)?;
    let status: String = r.get(4)?;
    let verdict: Option<String> = r.get(15)?;
    let status = Status::parse(&status).map_err(|p| Bad("tickets", id, p))?;
    let last_verdict = verdict
        .as_deref()
        .map(codes::parse_verdict)
        .transpose()
        .map_err(|p| Bad("runs", id, format!("latest run of the ticket: {p}")))?;
    Ok(Ticket {
        id,
        customer: r.get(1)?,
        intake_at: r.get(2)?,
        symptom: r.get(3)?,
        status,
        technician: r.get(5)?,
        notes: r.get(6)?,
        time_spent_s: r.get(7)?,
        closed_at: r.get(8)?,
        board: Board {
            id: r.get(9)?,
            serial: r.get(10)?,
            model: r.get(11)?,
            board_code: r.get(12)?,
            first_seen: r.get(13)?,
        },
        runs: r.get(14)?,
        last_verdict,
        revision: r.get(16)?,
    })
}

fn run_row(r: &Row) -> std::result::Result<RunSummary, RowError> {
    let id: i64 = r.get(0)?;
    let verdict: String = r.get(2)?;
    let retest: Option<String> = r.get(4)?;
    let states: String = r.get(5)?;
    let parsed = (|| {
        let verdict = codes::parse_verdict(&verdict)?;
        let retest_chips = retest
            .as_deref()
            .map(serde_json::from_str::<Vec<usize>>)
            .transpose()
            .map_err(|e| format!("retest_chips: {e}"))?;
        let states = codes::parse_letters(&states)?;
        Ok::<_, String>((verdict, retest_chips, states))
    })();
    let (verdict, retest_chips, states) = parsed.map_err(|p| Bad("runs", id, p))?;
    let seed: Option<i64> = r.get(15)?;
    Ok(RunSummary {
        id,
        ticket_id: r.get(1)?,
        verdict,
        aborted: r.get(3)?,
        retest_chips,
        states,
        started_at: r.get(6)?,
        ended_at: r.get(7)?,
        operator: r.get(8)?,
        profile: r.get(9)?,
        app_version: r.get(10)?,
        jig_firmware: r.get(11)?,
        jig_protocol: r.get(12)?,
        pattern_set: r.get(13)?,
        baud: r.get(14)?,
        seed: seed.map(i64::cast_unsigned),
    })
}
