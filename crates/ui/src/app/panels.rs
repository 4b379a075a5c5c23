//! The workbench's panels beside and under the map: the connection bar with the run controls,
//! the findings and the guided halving.

use super::*;

impl Workbench {
    pub(super) fn connection_bar(&mut self, ui: &mut egui::Ui) -> Vec<Command> {
        let mut commands = Vec::new();
        ui.horizontal_wrapped(|ui| {
            ui.heading("Hashbench");
            ui.separator();
            let idle = self.running.is_none();
            ui.add_enabled_ui(idle, |ui| {
                let label = ui.label("Board");
                egui::ComboBox::from_id_salt("model")
                    .selected_text(self.settings.model.clone())
                    .show_ui(ui, |ui| {
                        let ids: Vec<(String, String)> = self
                            .catalog
                            .iter()
                            .map(|p| (p.id.clone(), p.name.clone()))
                            .collect();
                        for (id, name) in ids {
                            if ui
                                .selectable_label(
                                    self.settings.model == id,
                                    format!("{id}: {name}"),
                                )
                                .clicked()
                            {
                                self.settings.model = id;
                                self.reset_states();
                            }
                        }
                    })
                    .response
                    .labelled_by(label.id);
                let label = ui.label("Jig");
                let current = match &self.settings.source {
                    Source::Simulated => "Simulated jig".to_owned(),
                    Source::Port(p) => p.clone(),
                };
                egui::ComboBox::from_id_salt("source")
                    .selected_text(current)
                    .show_ui(ui, |ui| {
                        if ui
                            .selectable_label(
                                self.settings.source == Source::Simulated,
                                "Simulated jig",
                            )
                            .clicked()
                        {
                            self.settings.source = Source::Simulated;
                        }
                        for p in &self.ports {
                            let label = if p.kind == link::ports::PortKind::Jig {
                                format!("{} (jig)", p.path)
                            } else {
                                p.path.clone()
                            };
                            if ui
                                .selectable_label(
                                    self.settings.source == Source::Port(p.path.clone()),
                                    label,
                                )
                                .clicked()
                            {
                                self.settings.source = Source::Port(p.path.clone());
                            }
                        }
                        if ui.button("Rescan ports").clicked() {
                            self.ports = link::ports::list().unwrap_or_default();
                        }
                    })
                    .response
                    .labelled_by(label.id);
                if self.settings.source == Source::Simulated {
                    let label = ui.label("Faults");
                    ui.add(
                        egui::TextEdit::singleline(&mut self.settings.faults)
                            .hint_text("e.g. dead:5 break:40")
                            .desired_width(160.0),
                    )
                    .labelled_by(label.id);
                    let label = ui.label("Seed");
                    ui.add(egui::DragValue::new(&mut self.settings.seed))
                        .labelled_by(label.id);
                }
                let label = ui.label("Technician");
                ui.add(
                    egui::TextEdit::singleline(&mut self.settings.technician).desired_width(100.0),
                )
                .labelled_by(label.id);
            });
            if ui
                .button(if self.settings.dark { "Light" } else { "Dark" })
                .clicked()
            {
                self.settings.dark = !self.settings.dark;
                ui.ctx().set_visuals(if self.settings.dark {
                    egui::Visuals::dark()
                } else {
                    egui::Visuals::light()
                });
            }
        });
        if self.settings.source == Source::Simulated {
            ui.label(
                RichText::new("SIMULATED JIG: no hardware is connected; the board is a simulation")
                    .strong()
                    .color(Color32::from_rgb(255, 170, 0)),
            );
        }
        ui.horizontal(|ui| {
            let running = self.running.is_some();
            if ui
                .add_enabled(
                    !running,
                    egui::Button::new(RichText::new("Run full diagnosis (F5)").strong()),
                )
                .clicked()
            {
                commands.push(Command::Run);
            }
            if ui
                .add_enabled(self.busy, egui::Button::new("Cancel (Esc)"))
                .clicked()
            {
                commands.push(Command::Cancel);
            }
            // What a full run does besides the pattern test, in a menu (the row has no room):
            // the button says what is chosen.
            let mut chosen: Vec<String> = Vec::new();
            if self.hold_power {
                chosen.push("hold power".to_owned());
            }
            if self.settings.ladder {
                chosen.push("ladder".to_owned());
            }
            if self.settings.soak {
                chosen.push(format!("soak {} min", self.settings.soak_minutes));
            }
            if self.settings.aging {
                chosen.push(format!("aging {} min", self.settings.aging_minutes));
            }
            let title = if chosen.is_empty() {
                "Options".to_owned()
            } else {
                format!("Options: {}", chosen.join(", "))
            };
            ui.add_enabled_ui(!running, |ui| {
                ui.menu_button(title, |ui| {
                    ui.checkbox(&mut self.hold_power, "Hold power after the run");
                    ui.checkbox(&mut self.settings.ladder, "Ladder")
                        .on_hover_text(LADDER_HELP);
                    ui.checkbox(&mut self.settings.soak, "Soak")
                        .on_hover_text(SOAK_HELP);
                    ui.add_enabled(
                        self.settings.soak,
                        egui::DragValue::new(&mut self.settings.soak_minutes)
                            .range(1..=120)
                            .suffix(" min"),
                    );
                    ui.checkbox(&mut self.settings.aging, "Aging")
                        .on_hover_text(AGING_HELP);
                    ui.add_enabled(
                        self.settings.aging,
                        egui::DragValue::new(&mut self.settings.aging_minutes)
                            .range(1..=480)
                            .suffix(" min"),
                    );
                });
            });
            if let Some(since) = self.holding {
                let s = since.elapsed().as_secs();
                ui.label(
                    RichText::new(format!(
                        "Holding power for probing: {:02}:{:02}",
                        s / 60,
                        s % 60
                    ))
                    .strong()
                    .color(Color32::from_rgb(255, 170, 0)),
                );
                if ui.button("Release power").clicked() {
                    commands.push(Command::Release);
                }
            } else if self.confirm_power {
                ui.label(RichText::new("Switch the board on? It stays on until Release power; the jig still cuts it on a trip or if this app stops talking.").strong());
                if ui.button("Switch on").clicked() {
                    commands.push(Command::PowerOnConfirmed);
                }
                if ui.button("Keep it off").clicked() {
                    self.confirm_power = false;
                }
            } else if ui.add_enabled(!running, egui::Button::new("Power on…")).clicked() {
                commands.push(Command::PowerOn);
            }
            let can_retest = !running && self.report.is_some();
            if let Some(chip) = self.selected
                && ui
                    .add_enabled(can_retest, egui::Button::new(format!("Retest chip {chip}")))
                    .clicked()
            {
                commands.push(Command::Retest(vec![chip]));
            }
            let failed: Vec<usize> = self
                .report
                .iter()
                .flat_map(|r| r.chips.iter())
                .filter(|c| {
                    matches!(
                        c.state,
                        ChipState::Weak
                            | ChipState::Dead
                            | ChipState::HwErrors
                            | ChipState::Inconclusive
                    )
                })
                .map(|c| c.index)
                .collect();
            let enabled = can_retest && !failed.is_empty();
            if ui
                .add_enabled(
                    enabled,
                    egui::Button::new(format!("Retest failed chips ({}) (F6)", failed.len())),
                )
                .clicked()
                || (enabled && ui.input(|i| i.key_pressed(Key::F6)))
            {
                commands.push(Command::Retest(failed));
            }
            let has_capture = !running && self.capture.is_some();
            if ui
                .add_enabled(has_capture, egui::Button::new("Save capture…"))
                .on_hover_text("The run's chain traffic, every frame both ways, as JSON lines: attach it to a bug report")
                .clicked()
            {
                commands.push(Command::SaveCapture);
            }
            if ui
                .add_enabled(
                    has_capture && self.records.can_attach(),
                    egui::Button::new("Attach capture"),
                )
                .on_hover_text("Keep the run's chain traffic with the run on its ticket")
                .clicked()
            {
                commands.push(Command::AttachCapture);
            }
            if let Some((step, fraction, message)) = &self.step {
                // The steps this run takes: the ladder, soak and aging when ticked.
                let steps: Vec<Step> = Step::ALL
                    .into_iter()
                    .filter(|s| match s {
                        Step::Ladder => self.job.ladder.is_some() || *step == Step::Ladder,
                        Step::Soak => self.job.soak_s.is_some() || *step == Step::Soak,
                        Step::Aging => self.job.aging_s.is_some() || *step == Step::Aging,
                        _ => true,
                    })
                    .collect();
                // Each step weighs what it takes on the jig's clock, so a half-hour aging test
                // does not read as one step in eight.
                let weight = |s: Step| step_seconds(s, &self.job);
                let total: f32 = steps.iter().map(|&s| weight(s)).sum();
                let before: f32 = steps
                    .iter()
                    .take_while(|s| *s != step)
                    .map(|&s| weight(s))
                    .sum();
                let share = ((before + fraction * weight(*step)) / total.max(1e-3)).clamp(0.0, 1.0);
                ui.add(
                    egui::ProgressBar::new(share)
                        .desired_width(240.0)
                        .text(step.label()),
                );
                ui.label(message);
                if let Some(started) = self.started {
                    // Time left, from the share of the run's expected jig time done so far.
                    let elapsed = started.elapsed().as_secs_f32();
                    if share > 0.05 {
                        ui.label(format!(
                            "{elapsed:.0} s, about {:.0} s left",
                            elapsed * (1.0 - share) / share
                        ));
                    } else {
                        ui.label(format!("{elapsed:.0} s"));
                    }
                }
                let list: Vec<String> = steps
                    .iter()
                    .map(|s| {
                        let mark = match s.cmp(step) {
                            std::cmp::Ordering::Less => "done",
                            std::cmp::Ordering::Equal => "now",
                            std::cmp::Ordering::Greater => "next",
                        };
                        format!("{} ({mark})", s.label())
                    })
                    .collect();
                ui.label("Steps").on_hover_text(list.join("\n"));
            }
            if let Some(report) = &self.report {
                let (text, color) = match (report.verdict, report.aborted.is_some()) {
                    (_, true) => ("STOPPED", Color32::GRAY),
                    (Verdict::Pass, _) => ("PASS", Color32::from_rgb(46, 160, 67)),
                    (Verdict::Fail, _) => ("FAIL", Color32::from_rgb(210, 45, 45)),
                    (Verdict::Inconclusive, _) => ("INCONCLUSIVE", Color32::from_rgb(220, 200, 40)),
                };
                ui.label(
                    RichText::new(format!("Verdict: {text}"))
                        .size(22.0)
                        .strong()
                        .color(color),
                );
                ui.label(format!(
                    "{} of {} chips found",
                    report.chips_found, report.chips_expected
                ));
            }
        });
        ui.horizontal_wrapped(|ui| {
            let jig = match (&self.jig_info, &self.settings.source) {
                (Some(info), _) => format!("{}, protocol {}", info.firmware, info.protocol),
                (None, Source::Simulated) => "simulated jig".to_owned(),
                (None, Source::Port(p)) if !self.port_present => {
                    format!("not found on {p} (unplugged?)")
                }
                (None, Source::Port(p)) => format!("jig on {p}"),
            };
            ui.label(format!("Jig: {jig}"));
            if let Some((fw, protocol)) = &self.bundled {
                ui.label(
                    RichText::new(format!("(app bundles {fw}, protocol {protocol})")).weak(),
                );
            }
            if self.update_needed() {
                ui.colored_label(Color32::from_rgb(230, 80, 60), "UPDATE NEEDED");
                if ui.button("Update jig firmware…").clicked() {
                    commands.push(Command::FirmwareWindow);
                }
            } else if ui.small_button("Jig firmware…").clicked() {
                commands.push(Command::FirmwareWindow);
            }
            ui.separator();
            ui.label(if self.busy || self.holding.is_some() {
                "Board power: ON"
            } else {
                "Board power: off"
            });
            ui.separator();
            ui.label(if self.running.is_some() {
                "Lease: kept alive by this app"
            } else {
                "Lease: none (board off)"
            })
            .on_hover_text("With no frame from this app for 1 s, the jig holds the chain in reset and cuts board power.");
            if let Some((mv, ma)) = self.input {
                ui.separator();
                ui.label(format!(
                    "Input: {:.2} V, {:.1} A",
                    f64::from(mv) / 1000.0,
                    f64::from(ma) / 1000.0
                ));
            }
            ui.separator();
            let label = ui.label("Find chip (Ctrl+F)");
            let field = ui
                .add(
                    egui::TextEdit::singleline(&mut self.find)
                        .hint_text("number")
                        .desired_width(60.0),
                )
                .labelled_by(label.id);
            if ui.input(|i| i.modifiers.command && i.key_pressed(Key::F)) {
                field.request_focus();
            }
            if field.changed() {
                let chips = self.profile().map_or(0, |p| p.chips.value);
                match self.find.trim().parse::<usize>() {
                    Ok(n) if n < chips => commands.push(Command::Select(Some(n))),
                    _ => commands.push(Command::Select(None)),
                }
            }
        });
        if let Some(error) = &self.error {
            ui.label(RichText::new(error).color(Color32::from_rgb(255, 90, 90)));
        }
        commands
    }

    /// Take a halving count: move the search on, or say why the count does not fit.
    pub(super) fn halving_count(&mut self, report: &Report) {
        let (Some(halving), Some(m)) = (self.halving.as_mut(), self.job.halving_short) else {
            return;
        };
        if let Some(why) = &report.aborted {
            self.error = Some(format!("The count stopped: {why}"));
            return;
        }
        let count = report.chips_found;
        match halving.record(m, count) {
            Ok(()) => {
                let (lo, hi) = halving.candidates();
                self.log.push(format!(
                    "Halving: {count} chips counted with RO shorted to 1V8 between chips {} and {m}: chips {lo}-{hi} may hold the line",
                    m - 1
                ));
                if let Some(k) = halving.culprit() {
                    self.selected = Some(k);
                    self.log.push(halving.instruction());
                }
            }
            Err(e) => self.error = Some(e.to_string()),
        }
    }

    /// The guided halving, under a finding that the return line is held.
    pub(super) fn halving_panel(&self, ui: &mut egui::Ui, commands: &mut Vec<Command>) {
        let running = self.running.is_some();
        ui.separator();
        ui.label(RichText::new("Guided halving").strong());
        let Some(h) = &self.halving else {
            ui.label("Find the chip: short RO to 1V8 where shown, count, repeat (about 7 counts on 126 chips).");
            if ui
                .add_enabled(!running, egui::Button::new("Start guided halving"))
                .clicked()
            {
                commands.push(Command::StartHalving);
            }
            return;
        };
        if !h.steps.is_empty() {
            // One line, so the next step's button stays in view.
            let steps: Vec<String> = h
                .steps
                .iter()
                .map(|s| format!("{} at {}", s.count, s.short_at))
                .collect();
            ui.label(format!("Counted (chips at short): {}", steps.join(", ")));
        }
        ui.label(RichText::new(h.instruction()).strong());
        ui.horizontal_wrapped(|ui| {
            if let Some(m) = h.next_short() {
                let hover = if self.settings.source == Source::Simulated {
                    "The simulated board gets the short for you"
                } else {
                    "Hold the short in place until the count is done"
                };
                if ui
                    .add_enabled(
                        !running,
                        egui::Button::new(format!("Count (short at chip {m})")),
                    )
                    .on_hover_text(hover)
                    .clicked()
                {
                    commands.push(Command::HalvingCount);
                }
            }
            if ui.button("Stop halving").clicked() {
                commands.push(Command::StopHalving);
            }
        });
    }

    pub(super) fn findings_panel(&self, ui: &mut egui::Ui) -> Vec<Command> {
        let mut commands = Vec::new();
        ui.heading("Findings");
        let Some(report) = &self.report else {
            ui.label("Run a diagnosis to see findings.");
            return commands;
        };
        if report.findings.is_empty() {
            ui.label("None: every chip, domain and sensor is fine.");
        }
        egui::ScrollArea::vertical()
            .id_salt("findings")
            .max_height(ui.available_height() * 0.6)
            .show(ui, |ui| {
                for (n, f) in report.findings.iter().enumerate() {
                    let kind = f.kind.label();
                    let selected = self.selected_finding == Some(n);
                    if ui
                        .selectable_label(
                            selected,
                            RichText::new(format!("{}. {kind}: {}", n + 1, f.message)).strong(),
                        )
                        .clicked()
                    {
                        commands.push(Command::SelectFinding(if selected {
                            None
                        } else {
                            Some(n)
                        }));
                    }
                    ui.label(format!("What to do: {}", f.hint));
                    ui.separator();
                }
            });
        // A held return line, or a chain that counts no chip: halve it.
        if report.findings.iter().any(|f| {
            f.kind == diagnosis::FindingKind::ReturnLineHeld
                || (f.kind == diagnosis::FindingKind::ChainBreak && report.chips_found == 0)
        }) {
            self.halving_panel(ui, &mut commands);
        }
        if let (Some(i), Some(profile)) = (self.selected, self.profile()) {
            ui.heading(format!("Chip {i}"));
            if let Some(c) = report.chips.get(i) {
                ui.label(format!("State: {}", c.state.label()));
                ui.label(format!(
                    "Domain {}, address {}",
                    c.domain,
                    c.address.map_or("none".into(), |a| format!("0x{a:02X}"))
                ));
                ui.label(format!(
                    "Patterns {}, golden {}, HW errors {}",
                    c.patterns, c.golden, c.hw_errors
                ));
            }
            for f in report
                .findings
                .iter()
                .filter(|f| f.chips.contains(&i) || f.suspects.contains(&i))
            {
                ui.label(RichText::new(&f.hint).italics());
            }
            if let Some(pos) = profile.layout.chips.get(i) {
                let uref = pos
                    .uref
                    .as_ref()
                    .map_or(String::new(), |u| format!(" ({u})"));
                ui.label(format!(
                    "Board position{uref}: row {}, column {}",
                    pos.row + 1,
                    pos.col + 1
                ));
            }
        }
        commands
    }
}
