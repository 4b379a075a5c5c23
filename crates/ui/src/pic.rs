//! The board's PIC beside the map (boards whose profile has one): its version, the voltage code
//! it holds (set one and read it back), and the heartbeats the jig keeps sending it.

use boards::Profile;
use eframe::egui;

use crate::worker::Command;

/// What the panel keeps between frames.
#[derive(Debug, Default)]
pub struct PicPanel {
    /// The voltage code to set (starts at the profile's).
    code: Option<u8>,
    /// The last check, and for which profile.
    status: Option<(String, diagnosis::pic::PicStatus)>,
}

impl PicPanel {
    /// A check came back.
    pub fn checked(&mut self, profile: &str, status: diagnosis::pic::PicStatus) {
        self.status = Some((profile.to_owned(), status));
    }

    /// The last check of `profile`'s board.
    pub fn status(&self, profile: &str) -> Option<&diagnosis::pic::PicStatus> {
        self.status
            .as_ref()
            .filter(|(p, _)| p == profile)
            .map(|(_, s)| s)
    }

    /// Draw it; `idle` when the jig is free for a check.
    pub fn show(&mut self, ui: &mut egui::Ui, profile: &Profile, idle: bool) -> Option<Command> {
        let pic = profile.pic.as_ref()?;
        let profile_code = pic.voltage_code.as_ref().map(|c| c.value);
        let mut command = None;
        egui::CollapsingHeader::new("Board PIC")
            .id_salt("pic-panel")
            .show(ui, |ui| {
                ui.label(format!(
                    "At I2C {:#04X}; the jig sends it a heartbeat every second while the board is powered.",
                    pic.address.value
                ));
                match self.status(&profile.id) {
                    Some(s) => {
                        ui.label(s.describe());
                    }
                    None => {
                        ui.weak("Not checked yet.");
                    }
                }
                let code = self.code.get_or_insert(profile_code.unwrap_or(0));
                ui.horizontal(|ui| {
                    let label = ui.label("Voltage code");
                    ui.add(egui::DragValue::new(code).hexadecimal(2, false, true))
                        .labelled_by(label.id)
                        .on_hover_text(match profile_code {
                            Some(c) => format!("The profile's code is {c:#04X} ({})", pic.voltage_code.as_ref().map(|f| f.source.as_str()).unwrap_or_default()),
                            None => "No source gives this board's code: the PIC keeps its own unless you set one".to_owned(),
                        });
                });
                ui.horizontal(|ui| {
                    if ui
                        .add_enabled(idle, egui::Button::new("Check PIC"))
                        .on_hover_text("Power the board, start the PIC as the fixture does, read its version and voltage code, watch its heartbeats for 3 s, power off")
                        .clicked()
                    {
                        command = Some(Command::CheckPic(None));
                    }
                    if ui
                        .add_enabled(idle, egui::Button::new("Set voltage code"))
                        .on_hover_text("The same check, with this code set (SET_VOLTAGE) and read back (GET_VOLTAGE)")
                        .clicked()
                    {
                        command = Some(Command::CheckPic(Some(*code)));
                    }
                });
            });
        command
    }
}
