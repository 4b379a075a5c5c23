//! The board EEPROM on a ticket: read it through the jig (kept as a backup), show any kept
//! image decoded field by field with each field's source, and write a kept image back, only
//! over the backup the board still holds and after the technician confirms.

use boards::{Catalog, eeprom};
use eframe::egui;
use store::ImageKind;

use super::{RecordCommand, Records};

impl Records {
    /// Keep `bytes` on the current ticket.
    pub(super) fn keep_eeprom(&mut self, kind: ImageKind, bytes: &[u8]) {
        let Some(ticket) = self.current.as_ref().map(|t| t.id) else {
            self.error = Some("The EEPROM was read with no ticket open: nothing kept".into());
            return;
        };
        let Some(store) = &mut self.store else { return };
        let layout = match eeprom::decode(bytes) {
            Ok(d) => d.format.name().to_owned(),
            Err(e) => e.to_string(),
        };
        match store.save_eeprom(ticket, kind, &layout, bytes) {
            Ok(id) => {
                self.note = Some(format!(
                    "EEPROM image:{id} kept on ticket #{ticket} ({})",
                    match kind {
                        ImageKind::Backup => "read from the board",
                        ImageKind::Written => "as written to the board",
                    }
                ));
                self.eeprom_shown = Some(id);
                self.select(ticket);
            }
            Err(e) => self.fail("Keeping the EEPROM image", &e),
        }
    }

    /// The EEPROM images kept on the current ticket, oldest first.
    pub fn eeprom_images(&self) -> &[store::EepromImage] {
        &self.eeprom
    }

    /// The latest image read from the board: what a write goes over.
    pub fn eeprom_backup(&self) -> Option<&store::EepromImage> {
        self.eeprom
            .iter()
            .rev()
            .find(|i| i.kind == ImageKind::Backup)
    }

    /// The bytes of kept image `id`.
    pub fn eeprom_bytes(&self, id: i64) -> Option<&[u8]> {
        self.eeprom
            .iter()
            .find(|i| i.id == id)
            .map(|i| i.bytes.as_slice())
    }

    pub(super) fn eeprom_section(
        &mut self,
        ui: &mut egui::Ui,
        catalog: &Catalog,
        commands: &mut Vec<RecordCommand>,
    ) {
        ui.strong(format!("Board EEPROM ({} kept)", self.eeprom.len()));
        if ui
            .button("Read EEPROM")
            .on_hover_text("Read the whole image through the jig and keep it on this ticket")
            .clicked()
        {
            commands.push(RecordCommand::ReadEeprom);
        }
        let backup = self.eeprom_backup().map(|b| (b.id, b.bytes.clone()));
        for image in &self.eeprom {
            ui.horizontal(|ui| {
                ui.label(format!(
                    "image:{}  {} UTC  {}  {}",
                    image.id,
                    store::time::format_minute(image.taken_at),
                    match image.kind {
                        ImageKind::Backup => "read",
                        ImageKind::Written => "written",
                    },
                    image.layout
                ));
                let shown = self.eeprom_shown == Some(image.id);
                if ui
                    .selectable_label(shown, "Show")
                    .on_hover_text("The decoded fields, with the source of each")
                    .clicked()
                {
                    commands.push(RecordCommand::ShowEeprom((!shown).then_some(image.id)));
                }
                let mut fixed = image.bytes.clone();
                let checkable = eeprom::fix_checksum(&mut fixed).is_ok();
                let differs = backup.as_ref().is_some_and(|(_, b)| *b != fixed);
                let why_not = if backup.is_none() {
                    Some("Read the board's EEPROM first: a write goes over a kept backup")
                } else if !checkable {
                    Some("Not a layout Hashbench can check: never written")
                } else if !differs {
                    Some("The board's latest read already holds this image")
                } else {
                    None
                };
                let write = ui
                    .add_enabled(why_not.is_none(), egui::Button::new("Write to board…"))
                    .on_disabled_hover_text(why_not.unwrap_or_default());
                if write.clicked() {
                    commands.push(RecordCommand::ConfirmEeprom(Some(image.id)));
                }
            });
        }
        if let (Some(id), Some((backup_id, _))) = (self.eeprom_confirm, &backup) {
            ui.horizontal_wrapped(|ui| {
                ui.label(format!(
                    "Write image:{id} over the board's image:{backup_id}? Only the 8-byte pages that differ are written, a legacy CRC is fixed, and the board is read back."
                ));
                if ui.button("Write").clicked() {
                    commands.push(RecordCommand::WriteEeprom(id));
                    commands.push(RecordCommand::ConfirmEeprom(None));
                }
                if ui.button("Cancel").clicked() {
                    commands.push(RecordCommand::ConfirmEeprom(None));
                }
            });
        }
        let Some(shown) = self
            .eeprom_shown
            .and_then(|id| self.eeprom.iter().find(|i| i.id == id))
        else {
            return;
        };
        match eeprom::decode(&shown.bytes) {
            Ok(d) => {
                let mut sources: Vec<&str> = d.fields.iter().map(|f| f.source).collect();
                sources.dedup();
                ui.weak(format!(
                    "Fields as {} documents them",
                    sources.join(" and ")
                ));
                egui::Grid::new("eeprom-fields")
                    .striped(true)
                    .show(ui, |ui| {
                        for field in &d.fields {
                            // Each field's source on its name (the panel has no room for a
                            // fourth column).
                            ui.label(field.name).on_hover_text(field.source);
                            ui.label(&field.value);
                            ui.weak(format!(
                                "bytes {:#04X}-{:#04X}",
                                field.at.start,
                                field.at.end.saturating_sub(1)
                            ));
                            ui.end_row();
                        }
                    });
                let who = diagnosis::identity::parse_eeprom(&shown.bytes);
                let can_be: Vec<&str> = diagnosis::identity::candidates(&who, catalog)
                    .iter()
                    .map(|p| p.id.as_str())
                    .collect();
                if !can_be.is_empty() {
                    ui.label(format!("Profile: {}", can_be.join(" or ")));
                }
            }
            Err(e) => {
                ui.label(format!("Not decoded: {e}"));
            }
        }
        if let Some((backup_id, before)) = &backup
            && *backup_id != shown.id
        {
            let runs = eeprom::diff(before, &shown.bytes);
            let bytes: usize = runs.iter().map(|r| r.at.len()).sum();
            ui.label(format!(
                "Against the board's image:{backup_id}: {bytes} bytes differ in {} runs",
                runs.len()
            ));
        }
    }
}
