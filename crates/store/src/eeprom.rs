//! Board EEPROM images kept with a ticket: the backup read before any write, and what was
//! written. The bytes are kept whole (256); what they mean is the `boards::eeprom` decoder's.

use crate::db::{Row, args};
use crate::tickets::RowError;
use crate::{Result, Store, StoreError};

/// Why an image was kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageKind {
    /// Read from the board (before a write, or on request).
    Backup,
    /// Written to the board.
    Written,
}

impl ImageKind {
    fn code(self) -> &'static str {
        match self {
            Self::Backup => "backup",
            Self::Written => "written",
        }
    }

    fn parse(code: &str) -> Option<Self> {
        match code {
            "backup" => Some(Self::Backup),
            "written" => Some(Self::Written),
            _ => None,
        }
    }
}

/// One kept image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EepromImage {
    /// Row id (`hashbench eeprom … --image N`).
    pub id: i64,
    /// The ticket it belongs to.
    pub ticket: i64,
    /// When, seconds since 1970 UTC.
    pub taken_at: i64,
    /// Backup or written.
    pub kind: ImageKind,
    /// The layout it decoded as, or why none explained it.
    pub layout: String,
    /// The 256 bytes.
    pub bytes: Vec<u8>,
}

const COLUMNS: &str = "id, ticket_id, taken_at, kind, layout, bytes";

impl Store {
    /// Keep `bytes` (256) on ticket `ticket`; returns the image's id.
    pub fn save_eeprom(
        &mut self,
        ticket: i64,
        kind: ImageKind,
        layout: &str,
        bytes: &[u8],
    ) -> Result<i64> {
        if bytes.len() != 256 {
            return Err(StoreError::Invalid(format!(
                "an EEPROM image has 256 bytes, this one {}",
                bytes.len()
            )));
        }
        self.insert_for_ticket(
            ticket,
            "INSERT INTO eeprom_images (ticket_id, taken_at, kind, layout, bytes)
             VALUES (?1, ?2, ?3, ?4, ?5)",
            args![ticket, crate::now(), kind.code(), layout, bytes],
        )
    }

    /// The images kept on ticket `ticket`, oldest first.
    pub fn eeprom_images(&self, ticket: i64) -> Result<Vec<EepromImage>> {
        let rows = self.rows(
            &format!(
                "SELECT {COLUMNS} FROM eeprom_images WHERE ticket_id = ?1 ORDER BY taken_at, id"
            ),
            args![ticket],
            raw_row,
        )?;
        rows.into_iter().map(|r| self.image(r)).collect()
    }

    /// Image `id`.
    pub fn eeprom_image(&self, id: i64) -> Result<EepromImage> {
        let row = self
            .rows(
                &format!("SELECT {COLUMNS} FROM eeprom_images WHERE id = ?1"),
                args![id],
                raw_row,
            )?
            .pop();
        match row {
            Some(r) => self.image(r),
            None => Err(self.not_found(format!("EEPROM image {id}"))),
        }
    }

    fn image(&self, r: RawRow) -> Result<EepromImage> {
        let (id, ticket, taken_at, kind, layout, bytes) = r;
        let bad = |problem: String| StoreError::BadRow {
            path: self.path.clone(),
            table: "eeprom_images",
            id,
            problem,
        };
        let kind = ImageKind::parse(&kind).ok_or_else(|| bad(format!("kind {kind:?}")))?;
        if bytes.len() != 256 {
            return Err(bad(format!("{} bytes, not 256", bytes.len())));
        }
        Ok(EepromImage {
            id,
            ticket,
            taken_at,
            kind,
            layout,
            bytes,
        })
    }
}

type RawRow = (i64, i64, i64, String, String, Vec<u8>);

fn raw_row(r: &Row) -> std::result::Result<RawRow, RowError> {
    Ok((
        r.get(0)?,
        r.get(1)?,
        r.get(2)?,
        r.get(3)?,
        r.get(4)?,
        r.get(5)?,
    ))
}
