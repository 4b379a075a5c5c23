//! The diagnosis worker: a named thread that runs the engine and reports through a channel.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, channel};

use boards::Profile;
use diagnosis::{Config, Options, Progress, Report};

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
}

/// What the worker reports.
#[derive(Debug)]
pub enum Event {
    /// Progress of the running diagnosis.
    Progress(Progress),
    /// The diagnosis finished (or stopped) with this report.
    Done(Box<Report>),
    /// It could not start.
    Failed(String),
}

/// Where the board is.
#[derive(Debug, Clone, PartialEq)]
pub enum Target {
    /// A simulated board of `profile` with `faults`, for `seed`.
    Simulated { faults: Vec<sim::Fault>, seed: u64 },
    /// The jig at this serial port.
    Port(String),
}

/// A running diagnosis.
#[derive(Debug)]
pub struct Running {
    /// Events from the worker.
    pub events: Receiver<Event>,
    cancel: Arc<AtomicBool>,
}

impl Running {
    /// Ask the worker to stop at its next check.
    pub fn cancel(&self) {
        self.cancel.store(true, Ordering::Relaxed);
    }
}

/// Start a diagnosis of `profile` on `target` on a worker thread. `wake` is called after every
/// event so the UI repaints.
pub fn start(
    profile: Profile,
    target: Target,
    wake: impl Fn() + Send + 'static,
) -> std::io::Result<Running> {
    let (tx, events) = channel();
    let cancel = Arc::new(AtomicBool::new(false));
    let stop = cancel.clone();
    std::thread::Builder::new().name("diagnosis".into()).spawn(move || {
        let send = |event: Event| {
            let _ = tx.send(event);
            wake();
        };
        let options = Options {
            baud: None,
            config: Config::default(),
            app_version: env!("CARGO_PKG_VERSION").to_owned(),
            seed: match &target {
                Target::Simulated { seed, .. } => Some(*seed),
                Target::Port(_) => None,
            },
        };
        let mut progress = |p: &Progress| send(Event::Progress(p.clone()));
        let cancelled = || stop.load(Ordering::Relaxed);
        let report = match &target {
            Target::Simulated { faults, seed } => match sim::simulated(&profile, faults, *seed) {
                Ok(mut jig) => diagnosis::run(&mut jig, &profile, &options, &mut progress, &cancelled),
                Err(e) => return send(Event::Failed(format!("the simulated jig did not start: {e}"))),
            },
            Target::Port(path) => {
                let transport = match link::SerialTransport::open(path) {
                    Ok(t) => t,
                    Err(e) => return send(Event::Failed(format!("cannot open {path}: {e}. Check the cable, or pick the simulated jig."))),
                };
                match link::Client::connect(transport, std::time::Duration::from_secs(3)) {
                    Ok(mut jig) => diagnosis::run(&mut jig, &profile, &options, &mut progress, &cancelled),
                    Err(e) => {
                        return send(Event::Failed(format!("{path} does not answer as a Hashbench jig: {e}. Update the jig firmware or pick another port.")));
                    }
                }
            }
        };
        send(Event::Done(Box::new(report)));
    })?;
    Ok(Running { events, cancel })
}
