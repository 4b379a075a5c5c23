//! A ticket's label for the board: the ticket number, the board's serial and model, the
//! customer and intake date, and a QR code the bench's scanner reads back into the window's
//! Scan field (the serial, which opens the board's open ticket; `#<number>` for a board with
//! no serial). Sized for 62 × 29 mm labels (the common die-cut size of desktop label printers),
//! printed like a report through the OS spooler.

use store::Ticket;

use crate::layout::{Fonts, Op, Page, Rgb};
use crate::pdf::{Meta, write_document};
use crate::{ReportError, Shop};

/// The label's size, mm (width, height).
pub const LABEL_MM: (f32, f32) = (62.0, 29.0);

const PT_PER_MM: f32 = 72.0 / 25.4;
const BLACK: Rgb = Rgb(0, 0, 0);
/// Quiet zone around the code, in modules (ISO/IEC 18004 asks for 4).
const QUIET: usize = 4;

/// What the label's QR code holds: the board's serial (what the Scan field takes), or
/// `#<ticket>` for a board without one.
#[must_use]
pub fn label_code(ticket: &Ticket) -> String {
    match ticket.board.serial.as_deref().map(str::trim) {
        Some(serial) if !serial.is_empty() => serial.to_owned(),
        _ => format!("#{}", ticket.id),
    }
}

/// The label as one page of drawing operations (for the PDF and for tests).
pub fn label_page(ticket: &Ticket, shop: &Shop, fonts: &Fonts) -> Result<Page, ReportError> {
    let (w, h) = (LABEL_MM.0 * PT_PER_MM, LABEL_MM.1 * PT_PER_MM);
    let margin = 2.0 * PT_PER_MM;
    let mut ops = Vec::new();
    // The code, as dark modules on the left, filling the label's height.
    let code = qrcode::QrCode::with_error_correction_level(
        label_code(ticket).as_bytes(),
        qrcode::EcLevel::M,
    )
    .map_err(|e| ReportError::Pdf(format!("the label's code: {e}")))?;
    let modules = code.width();
    let colors = code.to_colors();
    let side = h - 2.0 * margin;
    #[allow(clippy::cast_precision_loss)] // a QR code is at most 177 modules wide
    let unit = side / (modules + 2 * QUIET) as f32;
    for (i, color) in colors.iter().enumerate() {
        if *color == qrcode::Color::Dark {
            #[allow(clippy::cast_precision_loss)]
            let (col, row) = ((i % modules + QUIET) as f32, (i / modules + QUIET) as f32);
            ops.push(Op::Rect {
                x: margin + col * unit,
                y: margin + row * unit,
                // A hair wider, so neighbouring modules print as one dark area.
                w: unit + 0.05,
                h: unit + 0.05,
                fill: Some(BLACK),
                stroke: None,
            });
        }
    }
    // The text, right of the code, each line cut to the width left.
    let left = margin + side + 1.0 * PT_PER_MM;
    let room = w - left - margin;
    let fit = |text: &str, size: f32, bold: bool| -> String {
        let mut t = text.to_owned();
        while !t.is_empty() && fonts.width(&t, size, bold) > room {
            t.pop();
        }
        t
    };
    let serial = ticket.board.serial.as_deref().unwrap_or("no serial");
    let intake = format!("in {}", store::time::format_date(ticket.intake_at));
    let number = format!("Ticket #{}", ticket.id);
    // (text, size, bold, the gap to the next baseline)
    let mut lines: Vec<(&str, f32, bool, f32)> = vec![
        (&number, 13.0, true, 11.0),
        (serial, 8.5, true, 9.5),
        (&ticket.board.model, 7.5, false, 9.0),
    ];
    if !ticket.customer.is_empty() {
        lines.push((&ticket.customer, 7.5, false, 9.0));
    }
    lines.push((&intake, 7.0, false, 9.0));
    if !shop.name.is_empty() {
        lines.push((&shop.name, 6.0, false, 0.0));
    }
    let mut y = margin + 12.0;
    for (text, size, bold, gap) in lines {
        if y > h - margin {
            break;
        }
        ops.push(Op::Text {
            x: left,
            y,
            size,
            bold,
            color: BLACK,
            text: fit(text, size, bold),
        });
        y += gap;
    }
    Ok(Page { ops })
}

/// The label of `ticket` as a one-page PDF.
pub fn label_pdf(ticket: &Ticket, shop: &Shop, made_at: i64) -> Result<Vec<u8>, ReportError> {
    let fonts = Fonts::load()?;
    let page = label_page(ticket, shop, &fonts)?;
    let meta = Meta {
        title: format!("Hashbench ticket #{} label", ticket.id),
        creator: format!("Hashbench {}", env!("CARGO_PKG_VERSION")),
        made_at,
        size: (LABEL_MM.0 * PT_PER_MM, LABEL_MM.1 * PT_PER_MM),
    };
    write_document(&meta, &fonts, &[page], None)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;

    fn ticket(serial: Option<&str>) -> Ticket {
        Ticket {
            id: 42,
            board: store::Board {
                id: 1,
                serial: serial.map(str::to_owned),
                model: "s19jpro".into(),
                board_code: None,
                first_seen: 0,
            },
            customer: "Müller Mining GmbH".into(),
            intake_at: 1_793_577_600,
            symptom: String::new(),
            status: store::Status::Received,
            technician: String::new(),
            notes: String::new(),
            time_spent_s: 0,
            closed_at: None,
            runs: 0,
            last_verdict: None,
            revision: 0,
        }
    }

    /// The label's dark rectangles painted into a bitmap at `dpi` (white elsewhere), as a
    /// printer would, then read by an independent QR decoder (rqrr).
    fn scan(page: &Page, dpi: f32) -> Vec<String> {
        let scale = dpi / 72.0;
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let (w, h) = (
            (LABEL_MM.0 * PT_PER_MM * scale) as usize,
            (LABEL_MM.1 * PT_PER_MM * scale) as usize,
        );
        let mut pixels = vec![255u8; w * h];
        for op in &page.ops {
            if let Op::Rect {
                x,
                y,
                w: rw,
                h: rh,
                fill: Some(_),
                ..
            } = op
            {
                #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
                let (x0, y0, x1, y1) = (
                    (x * scale) as usize,
                    (y * scale) as usize,
                    ((x + rw) * scale) as usize,
                    ((y + rh) * scale) as usize,
                );
                for row in y0..y1.min(h) {
                    for col in x0..x1.min(w) {
                        pixels[row * w + col] = 0;
                    }
                }
            }
        }
        let mut image = rqrr::PreparedImage::prepare_from_greyscale(w, h, |x, y| pixels[y * w + x]);
        image
            .detect_grids()
            .iter()
            .filter_map(|g| g.decode().ok().map(|(_, text)| text))
            .collect()
    }

    #[test]
    fn the_labels_code_scans_back_to_what_opens_the_ticket() {
        let fonts = Fonts::load().unwrap();
        let shop = Shop {
            name: "Hashbench Repair".into(),
            ..Shop::default()
        };
        let page = label_page(&ticket(Some("JYZZ0042")), &shop, &fonts).unwrap();
        assert_eq!(scan(&page, 300.0), vec!["JYZZ0042".to_owned()]);
        let text = page.text();
        assert!(
            text.starts_with("Ticket #42\nJYZZ0042\ns19jpro\n"),
            "{text}"
        );
        assert!(text.contains("in 2026-11-02"), "{text}");
        // No serial: the ticket number, which the Scan field opens too.
        let page = label_page(&ticket(None), &shop, &fonts).unwrap();
        assert_eq!(scan(&page, 300.0), vec!["#42".to_owned()]);
        let pdf = label_pdf(&ticket(Some("JYZZ0042")), &shop, 1_793_577_600).unwrap();
        assert!(pdf.starts_with(b"%PDF-"));
    }

    #[test]
    fn every_line_of_the_label_fits_its_width() {
        let fonts = Fonts::load().unwrap();
        let mut long = ticket(Some("JYZZ0042JYZZ0042JYZZ0042JYZZ0042"));
        long.customer = "A customer with a very long company name GmbH & Co. KG".into();
        let page = label_page(&long, &Shop::default(), &fonts).unwrap();
        let right = LABEL_MM.0 * PT_PER_MM;
        for op in &page.ops {
            if let Op::Text {
                x,
                size,
                bold,
                text,
                ..
            } = op
            {
                assert!(x + fonts.width(text, *size, *bold) <= right, "{text}");
            }
        }
    }
}
