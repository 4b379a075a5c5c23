//! The records' bar under the connection bar (the views, the current ticket, the Scan field
//! and the database state), what a scanned serial opens, and the repair form beside the map.

use super::*;

impl Records {
    /// The line under the connection bar: the current ticket and the database state.
    pub fn status_line(&mut self, ui: &mut egui::Ui) -> Vec<RecordCommand> {
        let mut commands = Vec::new();
        ui.horizontal_wrapped(|ui| {
            for (tab, name) in [
                (Tab::Workbench, "Workbench"),
                (Tab::Tickets, "Tickets"),
                (Tab::History, "Board history"),
                (Tab::Statistics, "Statistics"),
            ] {
                if ui.selectable_label(self.tab == tab, name).clicked() {
                    commands.push(RecordCommand::Tab(tab));
                }
            }
            ui.separator();
            match &self.current {
                Some(t) => {
                    ui.label(
                        RichText::new(format!(
                            "Ticket #{}: {} {} ({}), {}",
                            t.id,
                            t.board.model,
                            t.board.serial.as_deref().unwrap_or("no serial"),
                            if t.customer.is_empty() {
                                "no customer"
                            } else {
                                &t.customer
                            },
                            t.status.name()
                        ))
                        .strong(),
                    );
                    if ui
                        .small_button("Detach")
                        .on_hover_text("Runs open a new ticket again")
                        .clicked()
                    {
                        commands.push(RecordCommand::Detach);
                    }
                }
                None if self.store.is_some() => {
                    ui.label("No ticket: the next run opens one for the board's serial.");
                }
                None => {}
            }
            if self.store.is_some() && ui.button("New ticket…").clicked() {
                commands.push(RecordCommand::NewTicketForm(String::new()));
            }
            if self.store.is_some() {
                let label = ui.label("Scan (F2)");
                let field = ui
                    .add(
                        egui::TextEdit::singleline(&mut self.scan)
                            .hint_text("serial (barcode)")
                            .desired_width(130.0),
                    )
                    .labelled_by(label.id)
                    .on_hover_text(
                        "Scan or type a board's serial and press Enter: its open ticket opens, or a new one is taken in",
                    );
                // The common path from the keyboard starts here: F2, the serial, Enter, F5.
                if ui.input(|i| i.key_pressed(egui::Key::F2)) {
                    field.request_focus();
                }
                if field.lost_focus()
                    && ui.input(|i| i.key_pressed(egui::Key::Enter))
                    && !self.scan.trim().is_empty()
                {
                    commands.push(RecordCommand::Scan(
                        std::mem::take(&mut self.scan).trim().to_owned(),
                        String::new(),
                    ));
                }
            }
            if let Some(note) = &self.note {
                ui.label(RichText::new(note).weak());
            }
            if let Some(e) = &self.error {
                ui.colored_label(Color32::from_rgb(230, 80, 60), e);
            }
        });
        commands
    }

    /// A scanned serial: the board's latest open ticket, or a new one for it.
    pub(super) fn scanned(&mut self, serial: &str, model: &str, technician: &str) {
        // A ticket label of a board without a serial holds `#<number>`.
        if let Some(number) = serial
            .strip_prefix('#')
            .and_then(|n| n.trim().parse::<i64>().ok())
        {
            let Some(store) = &self.store else { return };
            match store.ticket(number) {
                Ok(_) => {
                    self.note = Some(format!("Ticket #{number} opened"));
                    self.select(number);
                }
                Err(e) => self.fail("Opening the scanned ticket", &e),
            }
            return;
        }
        let Some(store) = &mut self.store else { return };
        let filter = TicketFilter {
            serial: serial.to_owned(),
            ..TicketFilter::default()
        };
        let open = store
            .list_tickets(&filter, TicketSort::Intake, true, 0, PAGE)
            .map(|list| {
                list.into_iter()
                    .find(|t| t.board.serial.as_deref() == Some(serial) && t.closed_at.is_none())
            });
        let id = match open {
            Ok(Some(t)) => {
                self.note = Some(format!("Ticket #{} of {serial} opened", t.id));
                t.id
            }
            Ok(None) => match store.create_ticket(&NewTicket {
                serial: Some(serial.to_owned()),
                model: model.to_owned(),
                board_code: None,
                customer: String::new(),
                symptom: String::new(),
                technician: technician.to_owned(),
                intake_at: store::now(),
            }) {
                Ok(id) => {
                    self.note = Some(format!(
                        "Ticket #{id} opened for {serial} ({model}); runs are saved to it"
                    ));
                    self.dirty = true;
                    id
                }
                Err(e) => return self.fail("Opening a ticket for the scanned serial", &e),
            },
            Err(e) => return self.fail("Looking up the scanned serial", &e),
        };
        self.error = None;
        self.select(id);
        self.tab = Tab::Tickets;
    }

    /// The repair-action form for the chip selected on the map.
    pub fn repair_form(
        &mut self,
        ui: &mut egui::Ui,
        chip: Option<usize>,
        profile: &Profile,
        technician: &str,
    ) -> Vec<RecordCommand> {
        let mut commands = Vec::new();
        let Some(ticket) = &self.current else {
            return commands;
        };
        ui.separator();
        let target = match chip {
            Some(c) => {
                let uref = profile.layout.chips.get(c).and_then(|p| p.uref.clone());
                format!(
                    "chip {c}{}",
                    uref.map(|u| format!(" ({u})")).unwrap_or_default()
                )
            }
            None => "the board".to_owned(),
        };
        ui.strong(format!(
            "Record a repair on {target} (ticket #{})",
            ticket.id
        ));
        ui.horizontal(|ui| {
            let label = ui.label("Action");
            egui::ComboBox::from_id_salt("repair-action")
                .selected_text(self.repair.action.name())
                .show_ui(ui, |ui| {
                    for a in Action::ALL {
                        ui.selectable_value(&mut self.repair.action, a, a.name());
                    }
                })
                .response
                .labelled_by(label.id);
            let label = ui.label("Minutes");
            ui.add(egui::TextEdit::singleline(&mut self.repair.minutes).desired_width(40.0))
                .labelled_by(label.id);
        });
        ui.horizontal(|ui| {
            let label = ui.label("Part / lot");
            ui.add(egui::TextEdit::singleline(&mut self.repair.part).desired_width(160.0))
                .labelled_by(label.id);
        });
        ui.horizontal(|ui| {
            let label = ui.label("Repair notes");
            ui.add(egui::TextEdit::singleline(&mut self.repair.notes).desired_width(200.0))
                .labelled_by(label.id);
        });
        let minutes = self.repair.minutes.trim().parse::<u32>();
        if minutes.is_err() {
            ui.colored_label(Color32::from_rgb(230, 80, 60), "Minutes: a whole number");
        }
        if ui
            .add_enabled(minutes.is_ok(), egui::Button::new("Record repair"))
            .clicked()
        {
            commands.push(RecordCommand::Repair(NewRepair {
                chip,
                uref: chip
                    .and_then(|c| profile.layout.chips.get(c))
                    .and_then(|p| p.uref.clone())
                    .unwrap_or_default(),
                action: self.repair.action,
                part: self.repair.part.clone(),
                technician: technician.to_owned(),
                at: store::now(),
                minutes: minutes.unwrap_or(0),
                notes: self.repair.notes.clone(),
            }));
        }
        if let Some(chip) = chip {
            self.reading_form(ui, chip, profile, technician, &mut commands);
        }
        commands
    }
}
