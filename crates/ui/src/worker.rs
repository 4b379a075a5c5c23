//! The diagnosis worker: a named thread that runs the engine and reports through a channel.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, channel};

use boards::Profile;
use diagnosis::{Options, Progress, Report};

/// What the UI asks for.
#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    /// Run a full diagnosis.
    Run,
    /// Stop the running diagnosis.
    Cancel,
    /// Select a chip on the map (or none).
    Select(Option<usize>),
    /// Select a finding in the list (or none).
    SelectFinding(Option<usize>),
    /// Retest these chips.
    Retest(Vec<usize>),
    /// Switch a held board off.
    Release,
    /// Ask to switch the board on (a confirmation follows).
    PowerOn,
    /// Confirmed: switch the board on and hold it.
    PowerOnConfirmed,
    /// Open the jig-firmware window.
    FirmwareWindow,
    /// A change to the repair records (tickets, repairs, views).
    Records(crate::records::RecordCommand),
    /// Ask where to save the last run's capture (its chain traffic as JSON lines).
    SaveCapture,
    /// Save a support bundle (versions, settings, logs, the last capture; the open ticket
    /// only when ticked) where a dialog asks.
    SaveBundle,
    /// Attach the last run's capture to the run as saved on its ticket.
    AttachCapture,
    /// Start the guided halving for a return line held low.
    StartHalving,
    /// Count the chips with the halving's next RO short in place.
    HalvingCount,
    /// Leave the guided halving.
    StopHalving,
    /// Check the board's PIC (with this voltage code set, else the profile's).
    CheckPic(Option<u8>),
    /// Ask where to save this chart (PNG or SVG).
    ExportChart(Box<report::chart::Chart>),
    /// Save this chart to this file (PNG, or SVG when the name ends in `.svg`).
    ExportChartTo(Box<report::chart::Chart>, std::path::PathBuf),
}

/// What the worker reports.
#[derive(Debug)]
pub enum Event {
    /// Progress of the running diagnosis.
    Progress(Progress),
    /// The diagnosis finished (or stopped) with this report.
    Done(Box<Report>),
    /// It could not start, or the jig was lost.
    Failed(String),
    /// The board stays powered for probing.
    Holding,
    /// The held board was switched off.
    Released,
    /// The jig answered the handshake.
    Jig(diagnosis::jig::JigInfo),
    /// What the board's EEPROM says it is.
    Identity(diagnosis::report::BoardIdentity),
    /// The board's whole EEPROM image, read on request.
    EepromRead(Vec<u8>),
    /// What the board's PIC said.
    Pic(diagnosis::pic::PicStatus),
    /// The board's EEPROM as read back after a write, and whether it is what was written.
    EepromWritten {
        /// What the board holds now.
        after: Vec<u8>,
        /// It reads back as written.
        verified: bool,
    },
}

/// What to do with the board EEPROM.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EepromJob {
    /// Read the whole image.
    Read,
    /// Write `image` over `over`, the backup kept on the ticket, which the board must still
    /// hold (else nothing is written: read it again first).
    Write {
        /// What to write.
        image: Vec<u8>,
        /// The kept backup.
        over: Vec<u8>,
    },
}

/// Where the board is.
#[derive(Debug, Clone, PartialEq)]
pub enum Target {
    /// A simulated board of `profile` with `faults`, for `seed`.
    Simulated { faults: Vec<sim::Fault>, seed: u64 },
    /// The jig at this serial port.
    Port(String),
}

/// What to run.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Job {
    /// Keep the board powered and configured after the run, until released.
    pub hold_power: bool,
    /// Test only these chips (a retest).
    pub only_chips: Option<Vec<usize>>,
    /// No diagnosis: switch the board on and hold it (power on from the connection bar).
    pub power_only: bool,
    /// No diagnosis: power the board briefly and read its EEPROM (for a new ticket).
    pub identify: bool,
    /// No diagnosis: power the board briefly and read or write its EEPROM.
    pub eeprom: Option<EepromJob>,
    /// No diagnosis: power the board, start its PIC (with this voltage code, else the
    /// profile's), read it back and watch the heartbeats.
    pub pic: Option<Option<u8>>,
    /// Soak after the pattern test for at most this many seconds, then test again.
    pub soak_s: Option<u64>,
    /// The frequency ladder's steps, percent of the profile's clock.
    pub ladder: Option<Vec<f64>>,
    /// An aging test of this many seconds at the end.
    pub aging_s: Option<u64>,
    /// Only count the chips, with the RO test point before this chip shorted to 1V8 (a step
    /// of the guided halving; on the simulated board the short is applied).
    pub halving_short: Option<usize>,
}

/// A running diagnosis (and, after it, a board held powered).
#[derive(Debug)]
pub struct Running {
    /// Events from the worker.
    pub events: Receiver<Event>,
    cancel: Arc<AtomicBool>,
    release: Arc<AtomicBool>,
}

impl Running {
    /// Ask the worker to stop the diagnosis at its next check.
    pub fn cancel(&self) {
        self.cancel.store(true, Ordering::Relaxed);
    }

    /// Switch a held board off.
    pub fn release(&self) {
        self.release.store(true, Ordering::Relaxed);
    }
}

/// How often a held board's lease is renewed.
const HOLD_TICK: std::time::Duration = std::time::Duration::from_millis(200);

/// Run the diagnosis on `jig`, then hold power if asked, reporting through `send`.
fn drive(
    jig: &mut dyn diagnosis::Jig,
    profile: &Profile,
    options: &Options,
    job: &Job,
    stop: &AtomicBool,
    release: &AtomicBool,
    send: &dyn Fn(Event),
) {
    if let Ok(info) = jig.info() {
        send(Event::Jig(info));
    }
    if job.identify {
        // The operator asked: that clears a trip latched before (the jig says why it tripped).
        let read = jig
            .clear_trip()
            .and_then(|()| jig.set_power(true))
            .and_then(|()| diagnosis::identity::read_image(jig));
        let off = jig.set_power(false);
        return match read.and_then(|bytes| off.map(|()| bytes)) {
            Ok(bytes) => send(Event::Identity(diagnosis::identity::parse_eeprom(&bytes))),
            Err(e) => send(Event::Failed(format!(
                "reading the board's EEPROM: {e}. Type the serial instead."
            ))),
        };
    }
    if let Some(work) = &job.eeprom {
        return eeprom(jig, work, send);
    }
    if let Some(code) = job.pic {
        let checked = jig
            .set_reset(true)
            .and_then(|()| jig.clear_trip())
            .and_then(|()| jig.set_power(true))
            .and_then(|()| diagnosis::pic::check(jig, profile, code));
        let off = jig.set_power(false);
        return send(match checked.and_then(|status| off.map(|()| status)) {
            Ok(Some(status)) => Event::Pic(status),
            Ok(None) => Event::Failed(format!("the {} profile has no PIC", profile.id)),
            Err(e) => Event::Failed(format!("checking the board's PIC: {e}")),
        });
    }
    if job.power_only {
        let on = jig
            .set_reset(true)
            .and_then(|()| jig.clear_trip())
            .and_then(|()| jig.set_power(true))
            .and_then(|()| diagnosis::engine::start_pic(jig, profile).map(|_| ()))
            .and_then(|()| jig.set_reset(false));
        if let Err(e) = on {
            return send(Event::Failed(format!(
                "switching the board on: {e}. Check the jig and the supply."
            )));
        }
    } else {
        let mut progress = |p: &Progress| send(Event::Progress(p.clone()));
        let cancelled = || stop.load(Ordering::Relaxed);
        let report = diagnosis::run(jig, profile, options, &mut progress, &cancelled);
        let hold = job.hold_power && report.aborted.is_none();
        send(Event::Done(Box::new(report)));
        if !hold {
            return;
        }
    }
    send(Event::Holding);
    loop {
        if release.load(Ordering::Relaxed) {
            let _ = jig.set_reset(true);
            let outcome = jig.set_power(false);
            return send(match outcome {
                Ok(()) => Event::Released,
                Err(e) => Event::Failed(format!("switching the board off: {e}. Check the jig.")),
            });
        }
        std::thread::sleep(HOLD_TICK);
        // Any frame renews the jig's lease; a Sync also tells us the jig is still there.
        let now = jig.now_us().unwrap_or(0);
        if let Err(e) = jig.wait_until(now + HOLD_TICK.as_micros() as u64, &mut Vec::new()) {
            return send(Event::Failed(format!(
                "lost the jig while holding power: {e}. The jig cuts power itself when the host is gone."
            )));
        }
    }
}

/// Read or write the board's EEPROM, powered only for that.
fn eeprom(jig: &mut dyn diagnosis::Jig, work: &EepromJob, send: &dyn Fn(Event)) {
    let on = jig.clear_trip().and_then(|()| jig.set_power(true));
    let done = on.and_then(|()| {
        let before = diagnosis::identity::read_image(jig)?;
        match work {
            EepromJob::Read => Ok(Event::EepromRead(before)),
            EepromJob::Write { over, .. } if before != *over => Ok(Event::Failed(
                "the board's EEPROM is not the image last read from it (another board, or it changed): read it again, then write"
                    .into(),
            )),
            EepromJob::Write { image, .. } => {
                let done = diagnosis::identity::write_image(jig, &before, image)?;
                Ok(Event::EepromWritten {
                    verified: done.after == *image,
                    after: done.after,
                })
            }
        }
    });
    let off = jig.set_power(false);
    send(match done.and_then(|event| off.map(|()| event)) {
        Ok(event) => event,
        Err(e) => Event::Failed(format!("the board's EEPROM: {e}")),
    });
}

/// Start `job` on the board of `profile` at `target` on a worker thread. `wake` is called after
/// every event so the UI repaints.
pub fn start(
    profile: Profile,
    target: Target,
    job: Job,
    wake: impl Fn() + Send + 'static,
) -> std::io::Result<Running> {
    let (tx, events) = channel();
    let cancel = Arc::new(AtomicBool::new(false));
    let release = Arc::new(AtomicBool::new(false));
    let (stop, let_go) = (cancel.clone(), release.clone());
    std::thread::Builder::new().name("diagnosis".into()).spawn(move || {
        let send = |event: Event| {
            let _ = tx.send(event);
            wake();
        };
        let options = Options {
            app_version: env!("CARGO_PKG_VERSION").to_owned(),
            seed: match &target {
                Target::Simulated { seed, .. } => Some(*seed),
                Target::Port(_) => None,
            },
            hold_power: job.hold_power,
            only_chips: job.only_chips.clone(),
            frame_log: true,
            capture: true,
            soak_s: job.soak_s,
            ladder: job.ladder.clone(),
            aging_s: job.aging_s,
            halving_short: job.halving_short,
            ..Options::default()
        };
        match &target {
            Target::Simulated { faults, seed } => match sim::simulated(&profile, faults, *seed) {
                Ok(mut jig) => drive(&mut jig, &profile, &options, &job, &stop, &let_go, &send),
                Err(e) => send(Event::Failed(format!("the simulated jig did not start: {e}"))),
            },
            Target::Port(path) => match link::SerialTransport::open(path) {
                Err(e) => send(Event::Failed(format!("cannot open {path}: {e}. Check the cable, or pick the simulated jig."))),
                Ok(transport) => match link::Client::connect(transport, std::time::Duration::from_secs(3)) {
                    Ok(mut jig) => drive(&mut jig, &profile, &options, &job, &stop, &let_go, &send),
                    Err(e) => send(Event::Failed(format!(
                        "{path} does not answer as a Hashbench jig: {e}. Update the jig firmware or pick another port."
                    ))),
                },
            },
        }
    })?;
    Ok(Running {
        events,
        cancel,
        release,
    })
}
