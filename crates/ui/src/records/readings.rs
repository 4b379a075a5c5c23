//! Meter readings at test points, typed beside the map for the selected chip (its signals, or
//! its domain's supply and LDOs), judged at once against what the board should read there.

use boards::Profile;
use boards::testpoints::Point;
use eframe::egui::{self, Color32};

use super::{RecordCommand, Records};

impl Records {
    /// Keep `reading` on the current ticket.
    pub(super) fn keep_reading(&mut self, reading: &store::NewReading) {
        let Some(id) = self.current.as_ref().map(|t| t.id) else {
            self.error = Some("Open a ticket first: readings are kept on it.".into());
            return;
        };
        let Some(store) = &mut self.store else { return };
        match store.add_reading(id, reading) {
            Ok(_) => {
                self.note = Some(format!(
                    "{}: {} on ticket #{id}",
                    reading.place(),
                    reading.describe()
                ));
                self.reading_mv.clear();
                self.select(id);
            }
            Err(e) => self.fail("Keeping the reading", &e),
        }
    }

    /// The readings kept on the current ticket, oldest first.
    pub fn current_readings(&self) -> &[store::Reading] {
        &self.readings
    }

    pub(super) fn reading_form(
        &mut self,
        ui: &mut egui::Ui,
        chip: usize,
        profile: &Profile,
        technician: &str,
        commands: &mut Vec<RecordCommand>,
    ) {
        let domain = profile.layout.chips.get(chip).map(|p| p.domain);
        let at = |point: Point| match (point.at_chip(), domain) {
            (true, _) | (false, None) => store::At::Chip(chip),
            (false, Some(d)) => store::At::Domain(d),
        };
        ui.horizontal(|ui| {
            let label = ui.label("Test point");
            egui::ComboBox::from_id_salt("reading-point")
                .selected_text(self.reading_point.name())
                .show_ui(ui, |ui| {
                    for p in Point::ALL {
                        ui.selectable_value(&mut self.reading_point, p, p.name());
                    }
                })
                .response
                .labelled_by(label.id);
            let label = ui.label("mV");
            ui.add(egui::TextEdit::singleline(&mut self.reading_mv).desired_width(50.0))
                .labelled_by(label.id);
            let mv = self.reading_mv.trim().parse::<u32>();
            let judged = mv.as_ref().ok().map(|&mv| {
                store::NewReading::judged(profile, at(self.reading_point), self.reading_point, mv, technician)
            });
            let ok = matches!(judged, Some(Ok(_)));
            let hint = match boards::testpoints::expected(profile, self.reading_point) {
                Some(e) => format!("{}-{} mV ({})", e.low_mv, e.high_mv, e.source),
                None => "No source gives a range for this point on this board: the reading is kept, not judged".to_owned(),
            };
            if ui
                .add_enabled(ok, egui::Button::new("Record reading"))
                .on_hover_text(hint)
                .clicked()
                && let Some(Ok(reading)) = judged
            {
                commands.push(RecordCommand::Reading(reading));
            }
        });
        // Where the probe goes, where the board's design gives a pad for the point.
        if profile.test_pads.is_some() {
            let (c, d) = match at(self.reading_point) {
                store::At::Chip(k) => (Some(k), None),
                store::At::Domain(d) => (None, Some(d)),
            };
            ui.label(
                match boards::testpoints::pad(profile, c, d, self.reading_point) {
                    Some(pad) => format!("Probe: {}", pad.describe()),
                    None => "The board's design has no test pad for this point here: probe the chip's pin".to_owned(),
                },
            );
        }
        let here = |r: &&store::Reading| {
            r.reading.chip == Some(chip) || r.reading.domain.is_some() && r.reading.domain == domain
        };
        for r in self.readings.iter().filter(here).rev().take(3) {
            let text = format!("{}: {}", r.reading.place(), r.reading.describe());
            if matches!(r.reading.verdict.as_str(), "LOW" | "HIGH") {
                ui.colored_label(Color32::from_rgb(230, 80, 60), text);
            } else {
                ui.label(text);
            }
        }
    }
}
