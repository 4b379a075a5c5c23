//! A run's life in the window: starting a job on the worker thread, draining its events
//! (progress, telemetry, the report, the jig's handshake, EEPROM and PIC results) into state,
//! merging a retest into the result it retests, and the map's colour modes.

use super::*;

impl Workbench {
    pub(super) fn start(&mut self, job: Job) {
        if self.running.is_some() {
            return;
        }
        if self.firmware.is_flashing() {
            self.error = Some("The jig firmware is being updated: wait for it to finish.".into());
            return;
        }
        let Some(profile) = self.profile().cloned() else {
            self.error = Some(format!(
                "Unknown board profile `{}`: pick one from the list",
                self.settings.model
            ));
            return;
        };
        let target = match &self.settings.source {
            Source::Simulated => {
                let faults: Result<Vec<sim::Fault>, _> = self
                    .settings
                    .faults
                    .split_whitespace()
                    .map(|f| sim::Fault::parse(f, &profile))
                    .collect();
                match faults {
                    Ok(mut faults) => {
                        // The technician's hand on the simulated board.
                        faults.extend(job.halving_short.map(sim::Fault::RoShort));
                        Target::Simulated {
                            faults,
                            seed: self.settings.seed,
                        }
                    }
                    Err(e) => {
                        self.error = Some(format!(
                            "{e}. Fix the fault list, or clear it for a healthy board."
                        ));
                        return;
                    }
                }
            }
            Source::Port(path) => Target::Port(path.clone()),
        };
        self.error = None;
        self.telemetry.clear();
        self.temperatures.clear();
        self.aging.clear();
        self.golden.clear();
        self.last_golden = 0;
        self.selected_finding = None;
        if job.only_chips.is_none()
            && !job.power_only
            && !job.identify
            && job.halving_short.is_none()
        {
            // A full run starts from scratch; a retest keeps what the last run found.
            self.report = None;
            self.log.clear();
            self.reset_states();
        }
        let ctx = self.ctx.clone();
        let what = match (&job.only_chips, job.power_only) {
            _ if job.identify => "Reading the board's EEPROM".to_owned(),
            (_, true) => "Power on".to_owned(),
            (Some(chips), _) => format!("Retest of chips {chips:?}"),
            _ if job.halving_short.is_some() => "Counting the chips with the RO short".to_owned(),
            (None, _) => format!("Diagnosis of {}", self.settings.model),
        };
        match worker::start(profile, target, job.clone(), move || ctx.request_repaint()) {
            Ok(running) => {
                self.running = Some(running);
                self.busy = !job.power_only && !job.identify;
                self.job = job;
                self.started = Some(Instant::now());
                self.run_started_at = store::now();
                self.log.push(format!("{what} started"));
            }
            Err(e) => self.error = Some(format!("Could not start the diagnosis thread: {e}")),
        }
    }

    /// List the ports every 2 s, so a jig that is unplugged or plugged back is noticed; every
    /// run opens its port afresh, so the next run after a replug simply reconnects.
    pub(super) fn rescan(&mut self) {
        if self
            .last_scan
            .is_some_and(|t| t.elapsed() < std::time::Duration::from_secs(2))
        {
            return;
        }
        self.last_scan = Some(Instant::now());
        self.ports = link::ports::list().unwrap_or_default();
        if let Source::Port(path) = &self.settings.source {
            let present = self.ports.iter().any(|p| &p.path == path);
            if present != self.port_present {
                self.log.push(if present {
                    format!("Jig port {path} is back")
                } else {
                    format!("Jig port {path} is gone: unplugged?")
                });
                self.port_present = present;
            }
        }
    }

    /// Take what the worker reported.
    pub(super) fn drain(&mut self) {
        let Some(running) = &self.running else { return };
        let mut done = false;
        let events: Vec<Event> = running.events.try_iter().collect();
        for event in events {
            match event {
                Event::Progress(p) => {
                    for (chip, state) in &p.chips {
                        if let Some(s) = self.states.get_mut(*chip) {
                            *s = *state;
                        }
                    }
                    if let Some(t) = &p.telemetry {
                        let domains = self.profile().map_or(0, |p| p.domains.value);
                        let mut mv = t.domain_mv();
                        mv.truncate(domains);
                        self.telemetry.push((t.at_us as f64 / 1e6, mv));
                        self.input = Some((t.input_mv, t.input_ma));
                        self.golden.push((t.at_us as f64 / 1e6, self.last_golden));
                    }
                    self.log.extend(p.frames.iter().cloned());
                    self.last_golden = p.golden;
                    let now = self.telemetry.last().map_or(0.0, |(t, _)| *t);
                    if let Some(readings) = &p.temperatures {
                        self.temperatures.push((now, readings.clone()));
                    }
                    if let Some(w) = &p.aging {
                        self.aging.push(aging_point(w));
                    }
                    if !p.message.is_empty() {
                        self.log.push(format!("[{}] {}", p.step.label(), p.message));
                        self.step = Some((p.step, p.fraction, p.message));
                    }
                }
                Event::Done(mut report) if self.job.halving_short.is_some() => {
                    // A halving count: it moves the search on and is kept on the ticket; the
                    // diagnosis on screen stays.
                    report.provenance.run_id = store::run_id();
                    self.halving_count(&report);
                    self.records.save_run(
                        *report,
                        None,
                        self.run_started_at,
                        &self.settings.technician,
                        &self.settings.model,
                    );
                    self.busy = false;
                    self.step = None;
                    done = true;
                }
                Event::Done(report) => {
                    let holds = self.job.hold_power && report.aborted.is_none();
                    // This run's own traffic (a retest's report is merged into the last one).
                    let capture = self.capture_of(&report);
                    let mut report = match &self.job.only_chips {
                        Some(chips) => merge(self.report.take(), *report, chips),
                        None => *report,
                    };
                    report.provenance.run_id = store::run_id();
                    self.states = report.chips.iter().map(|c| c.state).collect();
                    self.capture = capture;
                    self.log.push(match &report.aborted {
                        Some(why) => format!("Stopped: {why}"),
                        None => format!("Verdict: {:?}", report.verdict),
                    });
                    self.records.save_run(
                        report.clone(),
                        self.job.only_chips.clone(),
                        self.run_started_at,
                        &self.settings.technician,
                        &self.settings.model,
                    );
                    self.report = Some(report);
                    self.busy = false;
                    self.step = None;
                    done = !holds;
                }
                Event::Holding => {
                    self.holding = Some(Instant::now());
                    self.log.push(
                        "Holding the board powered for probing; the jig's lease is kept alive"
                            .into(),
                    );
                }
                Event::Jig(info) => {
                    self.protocol_refused = false;
                    self.log.push(format!(
                        "Jig: {}, protocol {}, up to {} baud",
                        info.firmware, info.protocol, info.max_baud
                    ));
                    self.jig_info = Some(info);
                }
                Event::Pic(status) => {
                    self.log.push(status.describe());
                    self.pic.checked(&self.settings.model, status);
                    done = true;
                }
                Event::EepromRead(bytes) => {
                    self.log.push("Board EEPROM read".into());
                    self.records.apply(
                        crate::records::RecordCommand::KeepEeprom(store::ImageKind::Backup, bytes),
                        &self.catalog,
                        &self.settings.technician,
                    );
                    done = true;
                }
                Event::EepromWritten { after, verified } => {
                    self.log.push(if verified {
                        "Board EEPROM written and read back as written".into()
                    } else {
                        "Board EEPROM written, but it reads back otherwise".into()
                    });
                    if !verified {
                        self.error = Some(
                            "The board reads back other bytes than were written: its EEPROM may be write-protected (WP pin) or failing. What it holds now and the backup are on the ticket."
                                .into(),
                        );
                    }
                    self.records.apply(
                        crate::records::RecordCommand::KeepEeprom(store::ImageKind::Written, after),
                        &self.catalog,
                        &self.settings.technician,
                    );
                    done = true;
                }
                Event::Identity(identity) => {
                    self.log.push(format!(
                        "Board EEPROM: {}; serial {}, chip family {}",
                        identity.layout.as_deref().unwrap_or("no layout"),
                        identity.serial.as_deref().unwrap_or("not in this layout"),
                        identity.family.as_deref().unwrap_or("not in this layout")
                    ));
                    self.records.identity(&identity, &self.catalog);
                    done = true;
                }
                Event::Released => {
                    self.log.push("Board switched off".into());
                    done = true;
                }
                Event::Failed(why) => {
                    // link's handshake refusal: "the jig speaks protocol N, this app speaks M".
                    self.protocol_refused = why.contains("speaks protocol");
                    self.error = Some(why);
                    done = true;
                }
            }
        }
        if done {
            self.running = None;
            self.step = None;
            self.busy = false;
            self.holding = None;
        }
    }
}

/// The map's colour mode: chip states, or a measurement `report` made (the clock margin of a
/// ladder, the error rate of an aging test); the choice is kept in `chosen`.
pub(super) fn map_scale(
    ui: &mut egui::Ui,
    chosen: &mut Option<Scale>,
    report: Option<&Report>,
) -> Option<Scale> {
    let has_ladder = report.is_some_and(|r| !r.ladder_mhz.is_empty());
    let has_aging = report.is_some_and(|r| r.aging.is_some());
    if !has_ladder && !has_aging {
        return None;
    }
    ui.horizontal(|ui| {
        ui.label("Colour by:");
        ui.radio_value(chosen, None, "State");
        ui.add_enabled_ui(has_ladder, |ui| {
            ui.radio_value(chosen, Some(Scale::Margin), "Clock margin");
        });
        ui.add_enabled_ui(has_aging, |ui| {
            ui.radio_value(chosen, Some(Scale::Aging), "Aging errors");
        });
    });
    match *chosen {
        Some(Scale::Margin) if !has_ladder => None,
        Some(Scale::Aging) if !has_aging => None,
        other => other,
    }
}

/// About how long `step` takes on the jig's clock for `job`, s (a 126-chip board at the high
/// baud rate, `hashbench-dev bench`): for the progress bar and the time left.
pub(super) fn step_seconds(step: Step, job: &Job) -> f32 {
    match step {
        Step::Preflight => 1.0,
        Step::Enumeration => 0.5,
        Step::Configuration => 6.0,
        Step::Baud => 0.5,
        Step::PatternTest => 3.0,
        // A pattern test and two PLL ramps per step.
        Step::Ladder => job.ladder.as_ref().map_or(0.0, |s| 14.0 * s.len() as f32),
        // Often shorter: it ends when the board is warm.
        Step::Soak => job.soak_s.map_or(0.0, |s| (s as f32).min(150.0)),
        Step::Aging => job.aging_s.map_or(0.0, |s| s as f32),
        Step::Verdict => 0.1,
    }
}

/// Findings about single chips (the others are about the board: break, domains, sensors, baud).
fn chip_level(kind: diagnosis::FindingKind) -> bool {
    use diagnosis::FindingKind as K;
    matches!(
        kind,
        K::DeadChip | K::WeakChip | K::HwErrors | K::WrongChipId | K::Intermittent
    )
}

/// Fold a retest of `chips` into the previous report: the retested chips and the board-level
/// findings come from the retest; the other chips and their findings stay as they were.
fn merge(previous: Option<Report>, retest: Report, chips: &[usize]) -> Report {
    let Some(mut merged) = previous else {
        return retest;
    };
    for &i in chips {
        if let (Some(slot), Some(new)) = (merged.chips.get_mut(i), retest.chips.get(i)) {
            *slot = new.clone();
        }
    }
    let touches = |f: &diagnosis::report::Finding| f.chips.iter().any(|c| chips.contains(c));
    let mut findings: Vec<diagnosis::report::Finding> = retest
        .findings
        .iter()
        .filter(|f| !chip_level(f.kind) || touches(f))
        .cloned()
        .collect();
    findings.extend(
        merged
            .findings
            .iter()
            .filter(|f| chip_level(f.kind) && !touches(f))
            .cloned(),
    );
    findings.sort_by(|a, b| {
        a.kind
            .cmp(&b.kind)
            .then(a.chips.first().cmp(&b.chips.first()))
    });
    merged.findings = findings;
    merged.chips_found = retest.chips_found;
    merged.domains = retest.domains;
    merged.sensors = retest.sensors;
    merged.timing = retest.timing;
    merged.provenance = retest.provenance;
    merged.aborted = retest.aborted;
    let bad = merged.chips.iter().any(|c| {
        matches!(
            c.state,
            ChipState::Weak | ChipState::Dead | ChipState::Missing | ChipState::HwErrors
        )
    });
    let open = merged
        .chips
        .iter()
        .any(|c| matches!(c.state, ChipState::Inconclusive | ChipState::Untested));
    merged.verdict = if merged.aborted.is_some() {
        Verdict::Inconclusive
    } else if bad || !merged.findings.is_empty() {
        Verdict::Fail
    } else if open {
        Verdict::Inconclusive
    } else {
        Verdict::Pass
    };
    merged
}
