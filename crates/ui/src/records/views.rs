//! The records' views: the tickets list and the open ticket's detail (with the intake form),
//! a board's history, and the shop statistics.

use super::*;

impl Records {
    /// The Tickets view: filters and list on the left, the open ticket on the right.
    pub fn tickets_view(&mut self, ui: &mut egui::Ui, catalog: &Catalog) -> Vec<RecordCommand> {
        let mut commands = self.database_line(ui);
        if self.store.is_none() {
            ui.label(self.error.clone().unwrap_or_default());
            return commands;
        }
        if let Some(form) = &mut self.form {
            commands.extend(form_view(ui, form, catalog));
            ui.separator();
        }
        self.reload_list();
        let half = ui.available_width() / 2.0;
        // The ticket's detail holds forms and tables (EEPROM fields, readings): never narrower
        // than they need on a 1280-pixel bench screen.
        egui::Panel::right("ticket-detail")
            .resizable(true)
            .default_size(half)
            .min_size(half.min(520.0))
            .max_size(half.max(520.0))
            .show(ui, |ui| commands.extend(self.detail_view(ui, catalog)));
        ui.horizontal_wrapped(|ui| {
            let mut changed = false;
            let label = ui.label("Search");
            changed |= ui
                .add(
                    egui::TextEdit::singleline(&mut self.filter.text)
                        .hint_text("serial, customer, #number")
                        .desired_width(160.0),
                )
                .labelled_by(label.id)
                .changed();
            let label = ui.label("Customer");
            changed |= ui
                .add(egui::TextEdit::singleline(&mut self.filter.customer).desired_width(100.0))
                .labelled_by(label.id)
                .changed();
            let label = ui.label("Status");
            let before = self.filter.status;
            egui::ComboBox::from_id_salt("status-filter")
                .selected_text(self.filter.status.map_or("any", Status::name))
                .show_ui(ui, |ui| {
                    ui.selectable_value(&mut self.filter.status, None, "any");
                    for s in Status::ALL {
                        ui.selectable_value(&mut self.filter.status, Some(s), s.name());
                    }
                })
                .response
                .labelled_by(label.id);
            changed |= before != self.filter.status;
            let label = ui.label("Model");
            let before = self.filter.model.clone();
            egui::ComboBox::from_id_salt("model-filter")
                .selected_text(if self.filter.model.is_empty() {
                    "any"
                } else {
                    &self.filter.model
                })
                .show_ui(ui, |ui| {
                    ui.selectable_value(&mut self.filter.model, String::new(), "any");
                    for p in catalog.iter() {
                        ui.selectable_value(&mut self.filter.model, p.id.clone(), &p.id);
                    }
                })
                .response
                .labelled_by(label.id);
            changed |= before != self.filter.model;
            let label = ui.label("From");
            changed |= ui
                .add(
                    egui::TextEdit::singleline(&mut self.since)
                        .hint_text("YYYY-MM-DD")
                        .desired_width(90.0),
                )
                .labelled_by(label.id)
                .changed();
            let label = ui.label("To");
            changed |= ui
                .add(
                    egui::TextEdit::singleline(&mut self.until)
                        .hint_text("YYYY-MM-DD")
                        .desired_width(90.0),
                )
                .labelled_by(label.id)
                .changed();
            let label = ui.label("Sort");
            let before = (self.sort, self.descending);
            egui::ComboBox::from_id_salt("sort")
                .selected_text(sort_name(self.sort))
                .show_ui(ui, |ui| {
                    for s in [
                        TicketSort::Intake,
                        TicketSort::Number,
                        TicketSort::Serial,
                        TicketSort::Customer,
                        TicketSort::Status,
                        TicketSort::Model,
                    ] {
                        ui.selectable_value(&mut self.sort, s, sort_name(s));
                    }
                })
                .response
                .labelled_by(label.id);
            ui.checkbox(&mut self.descending, "Descending");
            changed |= before != (self.sort, self.descending);
            if changed {
                self.page = 0;
                self.dirty = true;
                if self
                    .error
                    .as_deref()
                    .is_some_and(|e| e.contains("YYYY-MM-DD"))
                {
                    self.error = None;
                }
            }
            if ui
                .button("Export CSV…")
                .on_hover_text(
                    "Repair actions and closed tickets, with the status and date filters",
                )
                .clicked()
            {
                commands.push(RecordCommand::Export);
            }
        });
        let pages = usize::try_from(self.total)
            .unwrap_or(usize::MAX)
            .div_ceil(PAGE)
            .max(1);
        ui.horizontal(|ui| {
            ui.label(format!(
                "{} tickets, page {} of {pages}",
                self.total,
                self.page + 1
            ));
            if ui
                .add_enabled(self.page > 0, egui::Button::new("Previous page"))
                .clicked()
            {
                commands.push(RecordCommand::Page(self.page - 1));
            }
            if ui
                .add_enabled(self.page + 1 < pages, egui::Button::new("Next page"))
                .clicked()
            {
                commands.push(RecordCommand::Page(self.page + 1));
            }
        });
        egui::ScrollArea::vertical()
            .id_salt("ticket-list")
            .show(ui, |ui| {
                egui::Grid::new("tickets")
                    .striped(true)
                    .num_columns(7)
                    .show(ui, |ui| {
                        for h in [
                            "#",
                            "Intake (UTC)",
                            "Serial",
                            "Model",
                            "Customer",
                            "Status",
                            "Last run",
                        ] {
                            ui.strong(h);
                        }
                        ui.end_row();
                        for t in &self.list {
                            let open = self.current.as_ref().is_some_and(|c| c.id == t.id);
                            if ui.selectable_label(open, format!("#{}", t.id)).clicked() {
                                commands.push(RecordCommand::Open(t.id));
                            }
                            ui.label(store::time::format_minute(t.intake_at));
                            ui.label(t.board.serial.as_deref().unwrap_or("-"));
                            ui.label(&t.board.model);
                            ui.label(&t.customer);
                            ui.label(t.status.name());
                            ui.label(t.last_verdict.map_or("-", diagnosis::Verdict::name));
                            ui.end_row();
                        }
                    });
            });
        commands
    }

    pub(super) fn detail_view(
        &mut self,
        ui: &mut egui::Ui,
        catalog: &Catalog,
    ) -> Vec<RecordCommand> {
        let mut commands = Vec::new();
        let Some(t) = self.current.clone() else {
            ui.label("Pick a ticket, or open a new one.");
            return commands;
        };
        let profile = catalog.get(&t.board.model);
        egui::ScrollArea::vertical()
            .id_salt("ticket-detail")
            .show(ui, |ui| {
                ui.heading(format!("Ticket #{}", t.id));
                ui.label(format!(
                    "{} {}, customer {}, taken in {} UTC by {}",
                    t.board.model,
                    t.board.serial.as_deref().unwrap_or("(no serial)"),
                    if t.customer.is_empty() {
                        "-"
                    } else {
                        &t.customer
                    },
                    store::time::format_minute(t.intake_at),
                    if t.technician.is_empty() {
                        "-"
                    } else {
                        &t.technician
                    },
                ));
                if !t.symptom.is_empty() {
                    ui.label(format!("Reported: {}", t.symptom));
                }
                ui.label(format!(
                    "Status: {}; time spent {}{}",
                    t.status.name(),
                    store::time::format_duration(t.time_spent_s),
                    t.closed_at
                        .map(|c| format!("; closed {} UTC", store::time::format_minute(c)))
                        .unwrap_or_default()
                ));
                let verified = self.verification.is_none_or(|v| v.met());
                ui.horizontal_wrapped(|ui| {
                    if let Some(v) = &self.verification {
                        ui.label(v.describe());
                    }
                    let mut passes = self.required_passes();
                    let changed = ui
                        .add(
                            egui::DragValue::new(&mut passes)
                                .range(0..=10)
                                .prefix("required: "),
                        )
                        .on_hover_text(
                            "Passing full-board runs after the last repair before the ticket may close as done (the shop's policy; 0 turns the check off)",
                        )
                        .changed();
                    if changed {
                        commands.push(RecordCommand::RequiredPasses(passes));
                    }
                });
                ui.horizontal_wrapped(|ui| {
                    for s in Status::ALL {
                        if s == t.status {
                            continue;
                        }
                        let allowed = s != Status::Done || verified;
                        let button = ui.add_enabled(allowed, egui::Button::new(status_button(s)));
                        let button = if allowed {
                            button
                        } else {
                            button.on_disabled_hover_text(
                                "Not verified yet: diagnose the board again until the policy's passing runs after the last repair are there",
                            )
                        };
                        if button.clicked() {
                            commands.push(RecordCommand::SetStatus(t.id, s));
                        }
                    }
                });
                ui.horizontal_wrapped(|ui| {
                    if let Some(serial) = &t.board.serial
                        && ui.button("Show board history").clicked()
                    {
                        commands.push(RecordCommand::History(serial.clone()));
                    }
                    let has_runs = !self.runs.is_empty();
                    let hint =
                        "The diagnostic report of the latest run, with repairs and before/after";
                    if ui
                        .add_enabled(has_runs, egui::Button::new("Save PDF…"))
                        .on_hover_text(hint)
                        .clicked()
                    {
                        commands.push(RecordCommand::SavePdf(t.id));
                    }
                    if ui
                        .add_enabled(has_runs, egui::Button::new("Open"))
                        .on_hover_text(hint)
                        .clicked()
                    {
                        commands.push(RecordCommand::OpenPdf(t.id));
                    }
                    if ui
                        .add_enabled(has_runs, egui::Button::new("Print…"))
                        .on_hover_text(hint)
                        .clicked()
                    {
                        commands.push(RecordCommand::PrintPdf(t.id));
                    }
                    if ui
                        .button("Print label…")
                        .on_hover_text(
                            "A 62 x 29 mm label for the board: ticket number, serial and a QR code the Scan field reads back",
                        )
                        .clicked()
                    {
                        commands.push(RecordCommand::PrintLabel(t.id));
                    }
                    let label = ui.label("Paper");
                    egui::ComboBox::from_id_salt("paper")
                        .selected_text(match self.paper {
                            report::Paper::A4 => "A4",
                            report::Paper::Letter => "Letter",
                        })
                        .show_ui(ui, |ui| {
                            ui.selectable_value(&mut self.paper, report::Paper::A4, "A4");
                            ui.selectable_value(&mut self.paper, report::Paper::Letter, "Letter");
                        })
                        .response
                        .labelled_by(label.id);
                });
                let label = ui.label("Notes");
                ui.add(egui::TextEdit::multiline(&mut self.notes).desired_rows(2))
                    .labelled_by(label.id);
                if self.notes != t.notes && ui.button("Save notes").clicked() {
                    commands.push(RecordCommand::SaveNotes(t.id, self.notes.clone()));
                }
                ui.separator();
                self.eeprom_section(ui, catalog, &mut commands);
                ui.separator();
                ui.strong(format!("Runs ({})", self.runs.len()));
                ui.label("Tick two runs to compare them (the first and the latest are ticked).");
                for run in &self.runs {
                    ui.horizontal(|ui| {
                        let mut ticked = self.compare.contains(&run.id);
                        if ui.checkbox(&mut ticked, "").changed() {
                            if ticked {
                                self.compare.push(run.id);
                                if self.compare.len() > 2 {
                                    self.compare.remove(0);
                                }
                            } else {
                                self.compare.retain(|&r| r != run.id);
                            }
                        }
                        if let Some(p) = profile {
                            thumbnail(ui, p, &run.states, 120.0);
                        }
                    });
                    ui.label(run_line(run));
                }
                if let (Some(p), [a, b]) = (profile, self.compare.as_slice()) {
                    let find = |id: i64| self.runs.iter().find(|r| r.id == id);
                    if let (Some(a), Some(b)) = (find(*a), find(*b)) {
                        let (before, after) = if (a.started_at, a.id) <= (b.started_at, b.id) {
                            (a, b)
                        } else {
                            (b, a)
                        };
                        compare_view(ui, p, before, after);
                    }
                }
                ui.separator();
                ui.strong(format!("Repair actions ({})", self.repairs.len()));
                if self.repairs.is_empty() {
                    ui.label("Select a chip on the workbench map to record what was done to it.");
                }
                for a in &self.repairs {
                    ui.label(format!(
                        "{} UTC: {} {}{}, {} min{}{}{}",
                        store::time::format_minute(a.at),
                        a.action.name(),
                        a.chip.map_or("board".into(), |c| format!("chip {c}")),
                        if a.uref.is_empty() {
                            String::new()
                        } else {
                            format!(" ({})", a.uref)
                        },
                        a.minutes,
                        if a.part.is_empty() {
                            String::new()
                        } else {
                            format!(", part {}", a.part)
                        },
                        if a.technician.is_empty() {
                            String::new()
                        } else {
                            format!(", by {}", a.technician)
                        },
                        if a.notes.is_empty() {
                            String::new()
                        } else {
                            format!(": {}", a.notes)
                        },
                    ));
                }
            });
        commands
    }

    /// The board-history view.
    pub fn history_view(&mut self, ui: &mut egui::Ui, catalog: &Catalog) -> Vec<RecordCommand> {
        let mut commands = Vec::new();
        ui.horizontal(|ui| {
            let label = ui.label("Serial");
            let response = ui
                .add(egui::TextEdit::singleline(&mut self.history_serial).desired_width(180.0))
                .labelled_by(label.id);
            let enter = response.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
            if ui.button("Show history").clicked() || enter {
                commands.push(RecordCommand::History(
                    self.history_serial.trim().to_owned(),
                ));
            }
        });
        let Some(h) = &self.history else {
            ui.label("Type a serial, or open it from a ticket.");
            return commands;
        };
        let profile = catalog.get(&h.board.model);
        ui.heading(format!(
            "{} {}: {} ticket(s) since {}",
            h.board.model,
            h.board.serial.as_deref().unwrap_or(""),
            h.tickets.len(),
            store::time::format_date(h.board.first_seen)
        ));
        for r in &h.repeats {
            let uref = profile
                .and_then(|p| p.layout.chips.get(r.chip))
                .and_then(|p| p.uref.clone())
                .map(|u| format!(" ({u})"))
                .unwrap_or_default();
            let tickets: Vec<String> = r.tickets.iter().map(|t| format!("#{t}")).collect();
            ui.colored_label(
                Color32::from_rgb(230, 80, 60),
                format!(
                    "Repeat failure: chip {}{uref} failed in tickets {}",
                    r.chip,
                    tickets.join(", ")
                ),
            );
        }
        egui::ScrollArea::vertical()
            .id_salt("history")
            .show(ui, |ui| {
                for th in &h.tickets {
                    ui.separator();
                    ui.horizontal(|ui| {
                        if ui.link(format!("Ticket #{}", th.ticket.id)).clicked() {
                            commands.push(RecordCommand::Open(th.ticket.id));
                        }
                        ui.label(format!(
                            "{} UTC, {}, {}: {}",
                            store::time::format_minute(th.ticket.intake_at),
                            th.ticket.status.name(),
                            if th.ticket.customer.is_empty() {
                                "-"
                            } else {
                                &th.ticket.customer
                            },
                            th.ticket.symptom
                        ));
                    });
                    for run in &th.runs {
                        if let Some(p) = profile {
                            thumbnail(ui, p, &run.states, 120.0);
                        }
                        ui.label(run_line(run));
                    }
                    for a in &th.repairs {
                        ui.label(format!(
                            "  {} {}{} ({} UTC)",
                            a.action.name(),
                            a.chip.map_or("board".into(), |c| format!("chip {c}")),
                            if a.uref.is_empty() {
                                String::new()
                            } else {
                                format!(" {}", a.uref)
                            },
                            store::time::format_minute(a.at)
                        ));
                    }
                }
            });
        commands
    }

    /// The statistics charts for the model chosen: tickets with a failure by chip position
    /// (the whole chain on the axis, so a cluster shows where it sits) and by voltage domain.
    /// Empty before the statistics are computed.
    pub fn stats_charts(&self, catalog: &Catalog) -> Vec<(&'static str, report::chart::Chart)> {
        let Some(s) = &self.stats else {
            return Vec::new();
        };
        let model = self.stats_model.as_str();
        let profile = catalog.get(model);
        vec![
            (
                "stats-chips",
                report::chart::failure_counts(
                    "Tickets with a failure, by chip position",
                    "chip (chain index)",
                    &s.failures_by_position,
                    model,
                    profile.map_or(0, |p| p.chips.value),
                ),
            ),
            (
                "stats-domains",
                report::chart::failure_counts(
                    "Tickets with a failure, by voltage domain",
                    "domain",
                    &s.failures_by_domain,
                    model,
                    profile.map_or(0, |p| p.domains.value),
                ),
            ),
        ]
    }

    /// The statistics view.
    pub fn stats_view(&mut self, ui: &mut egui::Ui, catalog: &Catalog) -> Vec<RecordCommand> {
        let mut commands = Vec::new();
        ui.horizontal(|ui| {
            if ui.button("Refresh").clicked() {
                commands.push(RecordCommand::RefreshStats);
            }
            if ui
                .add_enabled(
                    self.stats.is_some(),
                    egui::Button::new("Save statistics PDF…"),
                )
                .on_hover_text("The figures and every model's failure charts, for the shop's files")
                .clicked()
            {
                commands.push(RecordCommand::SaveStatsPdf);
            }
        });
        let Some(s) = &self.stats else {
            return commands;
        };
        ui.label(format!("{} tickets", s.tickets));
        ui.horizontal_wrapped(|ui| {
            for c in &s.by_status {
                ui.label(format!("{}: {}", c.key, c.count));
            }
        });
        ui.label(match s.repair_yield() {
            Some(y) => format!(
                "Repair yield: {:.0} % ({} of {} repaired tickets passed their retest)",
                y * 100.0,
                s.repaired_passed,
                s.repaired
            ),
            None => "Repair yield: no repaired ticket retested yet".into(),
        });
        ui.label(format!(
            "Median time spent per closed ticket: {}; median intake to close: {}",
            s.median_time_spent_s
                .map_or("-".into(), store::time::format_duration),
            s.median_turnaround_s
                .map_or("-".into(), store::time::format_duration),
        ));
        let mut models: Vec<&str> = s
            .failures_by_position
            .iter()
            .map(|c| c.key.0.as_str())
            .collect();
        models.sort_unstable();
        models.dedup();
        ui.horizontal(|ui| {
            let label = ui.label("Failures on model");
            egui::ComboBox::from_id_salt("stats-model")
                .selected_text(self.stats_model.as_str())
                .show_ui(ui, |ui| {
                    for m in &models {
                        ui.selectable_value(&mut self.stats_model, (*m).to_owned(), *m);
                    }
                })
                .response
                .labelled_by(label.id);
        });
        let half = (ui.available_height() / 2.0 - 40.0).max(120.0);
        for (id, chart) in self.stats_charts(catalog) {
            if crate::charts::show(ui, id, half, &chart) {
                commands.push(RecordCommand::ExportChart(Box::new(chart)));
            }
        }
        commands
    }
}

fn status_button(s: Status) -> String {
    match s {
        Status::Done => "Close: done".into(),
        Status::Returned => "Close: returned".into(),
        Status::Scrapped => "Close: scrapped".into(),
        other => format!("Set {}", other.name()),
    }
}

fn sort_name(s: TicketSort) -> &'static str {
    match s {
        TicketSort::Intake => "intake",
        TicketSort::Number => "number",
        TicketSort::Serial => "serial",
        TicketSort::Customer => "customer",
        TicketSort::Status => "status",
        TicketSort::Model => "model",
    }
}

fn run_line(run: &RunSummary) -> String {
    let failing = run
        .states
        .iter()
        .filter(|s| !matches!(s, ChipState::Ok | ChipState::Untested))
        .count();
    format!(
        "Run {} {} UTC, {}: {}{}, {failing} chip(s) not ok",
        run.id,
        store::time::format_minute(run.started_at),
        match &run.retest_chips {
            Some(chips) => format!("retest of {chips:?}"),
            None => "full".into(),
        },
        run.verdict.name().to_uppercase(),
        run.aborted
            .as_deref()
            .map(|a| format!(" (stopped: {a})"))
            .unwrap_or_default(),
    )
}

/// A small board map of a stored run.
fn thumbnail(ui: &mut egui::Ui, profile: &Profile, states: &[ChipState], width: f32) {
    let layout = &profile.layout;
    let (rows, cols) = (f32::from(layout.rows.max(1)), f32::from(layout.cols.max(1)));
    let cell = width / cols;
    let (area, _) = ui.allocate_exact_size(Vec2::new(width, cell * rows), Sense::hover());
    let painter = ui.painter_at(area);
    for pos in &layout.chips {
        let state = states
            .get(pos.index)
            .copied()
            .unwrap_or(ChipState::Untested);
        let min = area.min + Vec2::new(f32::from(pos.col) * cell, f32::from(pos.row) * cell);
        let rect = egui::Rect::from_min_size(min, Vec2::splat(cell)).shrink(0.5);
        painter.rect_filled(rect, CornerRadius::ZERO, map::color(state));
    }
}

/// Before and after: two maps and the chips whose state changed.
fn compare_view(ui: &mut egui::Ui, profile: &Profile, before: &RunSummary, after: &RunSummary) {
    ui.separator();
    ui.strong(format!(
        "Before (run {}) and after (run {})",
        before.id, after.id
    ));
    ui.horizontal(|ui| {
        thumbnail(ui, profile, &before.states, 200.0);
        ui.label("then");
        thumbnail(ui, profile, &after.states, 200.0);
    });
    let changed: Vec<String> = before
        .states
        .iter()
        .zip(&after.states)
        .enumerate()
        .filter(|(_, (a, b))| a != b)
        .map(|(i, (a, b))| format!("chip {i}: {} -> {}", a.label(), b.label()))
        .collect();
    if changed.is_empty() {
        ui.label("No chip changed state.");
    } else {
        ui.label(format!("{} chip(s) changed:", changed.len()));
        for line in changed.iter().take(20) {
            ui.label(line);
        }
        if changed.len() > 20 {
            ui.label(format!("… and {} more", changed.len() - 20));
        }
    }
}

fn form_view(ui: &mut egui::Ui, form: &mut Form, catalog: &Catalog) -> Vec<RecordCommand> {
    let mut commands = Vec::new();
    ui.heading("New ticket");
    egui::Grid::new("new-ticket").num_columns(2).show(ui, |ui| {
        let label = ui.label("Serial");
        ui.add(
            egui::TextEdit::singleline(&mut form.serial)
                .hint_text("read from the board, typed or scanned"),
        )
        .labelled_by(label.id);
        ui.end_row();
        let label = ui.label("Board model");
        egui::ComboBox::from_id_salt("new-ticket-model")
            .selected_text(form.model.as_str())
            .show_ui(ui, |ui| {
                for p in catalog.iter() {
                    ui.selectable_value(
                        &mut form.model,
                        p.id.clone(),
                        format!("{} ({})", p.name, p.id),
                    );
                }
            })
            .response
            .labelled_by(label.id);
        ui.end_row();
        let label = ui.label("Customer name");
        ui.add(egui::TextEdit::singleline(&mut form.customer))
            .labelled_by(label.id);
        ui.end_row();
        let label = ui.label("Reported symptom");
        ui.add(
            egui::TextEdit::singleline(&mut form.symptom).hint_text("e.g. chain 2 shows 0 ASIC"),
        )
        .labelled_by(label.id);
        ui.end_row();
    });
    ui.horizontal(|ui| {
        let ready = !form.model.is_empty();
        if ui
            .add_enabled(ready, egui::Button::new("Open ticket"))
            .clicked()
        {
            let serial = form.serial.trim();
            commands.push(RecordCommand::CreateTicket(NewTicket {
                serial: (!serial.is_empty()).then(|| serial.to_owned()),
                model: form.model.clone(),
                board_code: form.board_code.clone(),
                customer: form.customer.clone(),
                symptom: form.symptom.clone(),
                technician: String::new(),
                intake_at: store::now(),
            }));
        }
        if !ready {
            ui.label("Pick the model.");
        }
        if ui.button("Cancel").clicked() {
            commands.push(RecordCommand::CancelForm);
        }
    });
    commands
}
