//! The diagnostic report: one PDF per run or per ticket that a technician hands to the customer
//! and the shop keeps.
//!
//! Owns: what the report says and where it goes on the page (shop header, ticket and board
//! identity, verdict banner, the board map and the charts as vector drawings, findings with
//! hints, the chips that are not ok, repair actions, before/after, provenance, signature line),
//! A4 and Letter, and turning that into PDF bytes with embedded DejaVu Sans (real, searchable
//! text). The same input gives the same bytes; [`ticket_pdf`] gathers a ticket's runs and
//! repairs from `store` for it. Also a ticket's label with a QR code for the board
//! ([`label_pdf`]), and the shop's statistics with their charts ([`stats_pdf`]). Does not: read or write files, print, or know where the shop's
//! logo lives; the caller passes the header in and decides where the bytes go.
//!
//! Why krilla: it is maintained (typst's PDF back end), pure Rust, subsets and embeds fonts
//! and writes text as text. The charts ([`chart`]) are drawn by plotters, the library the
//! product names, as SVG that krilla-svg places as vectors with their words as text; the same
//! descriptions give the window's PNG and SVG exports.

pub mod chart;
mod label;
mod layout;
mod pdf;

pub use label::{LABEL_MM, label_code, label_pdf};

use boards::Profile;
use diagnosis::Report;
use store::{Repair, Telemetry, Ticket};

/// Page size.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Paper {
    /// ISO A4, 210 × 297 mm.
    #[default]
    A4,
    /// US Letter, 8.5 × 11 in.
    Letter,
}

impl Paper {
    /// Width and height in PDF points (1/72 in).
    #[must_use]
    pub fn size(self) -> (f32, f32) {
        match self {
            Paper::A4 => (595.28, 841.89),
            Paper::Letter => (612.0, 792.0),
        }
    }

    /// Parse `a4` or `letter`.
    pub fn parse(word: &str) -> Result<Paper, String> {
        match word.trim().to_ascii_lowercase().as_str() {
            "a4" => Ok(Paper::A4),
            "letter" => Ok(Paper::Letter),
            other => Err(format!("unknown paper `{other}`; a4 or letter")),
        }
    }
}

/// The shop's header.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Shop {
    /// Shop name.
    pub name: String,
    /// Address, phone, web: one line each.
    pub lines: Vec<String>,
    /// Logo as PNG bytes.
    pub logo_png: Option<Vec<u8>>,
}

/// One run as the report shows it.
#[derive(Debug, Clone, Copy)]
pub struct Run<'a> {
    /// The engine's result.
    pub report: &'a Report,
    /// Its telemetry (downsampled).
    pub telemetry: &'a Telemetry,
    /// When it started, unix seconds.
    pub started_at: i64,
    /// Jig protocol version, when known.
    pub jig_protocol: Option<u16>,
    /// Run number in the database, when saved.
    pub id: Option<i64>,
}

/// Everything on the report.
#[derive(Debug, Clone, Copy)]
pub struct Input<'a> {
    /// The shop header.
    pub shop: &'a Shop,
    /// The board's profile.
    pub profile: &'a Profile,
    /// The ticket, for a ticket report.
    pub ticket: Option<&'a Ticket>,
    /// The run reported on (a ticket's latest run).
    pub run: Run<'a>,
    /// The ticket's first run, when the reported run is a retest after it.
    pub before: Option<Run<'a>>,
    /// The ticket's repair actions.
    pub repairs: &'a [Repair],
    /// The ticket's meter readings at test points.
    pub readings: &'a [store::Reading],
    /// The ticket against the shop's verification policy (passing runs after the last repair).
    pub verification: Option<store::Verification>,
    /// When the report was made, unix seconds (also the PDF's creation date).
    pub generated_at: i64,
    /// Page size.
    pub paper: Paper,
}

/// Everything on the shop's statistics sheet.
#[derive(Debug, Clone, Copy)]
pub struct StatsInput<'a> {
    /// The shop header.
    pub shop: &'a Shop,
    /// The statistics, as `store` computed them.
    pub stats: &'a store::Stats,
    /// The profiles, for each model's name, chain length and domain count.
    pub catalog: &'a boards::Catalog,
    /// Hashbench's version, for the footer.
    pub app_version: &'a str,
    /// When it was made, unix seconds (also the PDF's creation date).
    pub generated_at: i64,
    /// Page size.
    pub paper: Paper,
}

/// The report could not be made.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// The embedded font did not load (a build problem).
    #[error("the report font could not be loaded")]
    Font,
    /// The shop logo is not a PNG this can read.
    #[error("the shop logo is not a readable PNG: {0}")]
    Logo(String),
    /// The PDF writer refused the document.
    #[error("writing the PDF failed: {0}")]
    Pdf(String),
    /// Reading the ticket failed.
    #[error(transparent)]
    Store(#[from] store::StoreError),
    /// The ticket has no runs to report on.
    #[error("ticket {0} has no runs yet: diagnose the board first")]
    NoRuns(i64),
    /// The asked run is not the ticket's.
    #[error("ticket {ticket} has no run {run}")]
    NoSuchRun {
        /// Ticket.
        ticket: i64,
        /// Run asked for.
        run: i64,
    },
    /// The ticket's board model is not a known profile.
    #[error("the ticket's board model `{0}` is not a known profile")]
    UnknownProfile(String),
    /// A chart could not be drawn.
    #[error(transparent)]
    Chart(#[from] chart::ChartError),
    /// A chart's SVG could not be read back for the PDF.
    #[error("the chart \"{title}\" could not be placed in the PDF: {reason}")]
    ChartSvg {
        /// The chart's title.
        title: String,
        /// Why.
        reason: String,
    },
}

/// The PDF of ticket `ticket`'s run `run` (default: its latest), read from `store`, with the
/// ticket's first run as "before" when a repair was recorded between the two.
pub fn ticket_pdf(
    store: &store::Store,
    catalog: &boards::Catalog,
    ticket: i64,
    run: Option<i64>,
    paper: Paper,
    shop: &Shop,
    generated_at: i64,
) -> Result<Vec<u8>, ReportError> {
    let t = store.ticket(ticket)?;
    let runs = store.runs(ticket)?;
    let chosen = match run {
        Some(id) => runs
            .iter()
            .find(|r| r.id == id)
            .ok_or(ReportError::NoSuchRun { ticket, run: id })?,
        None => runs.last().ok_or(ReportError::NoRuns(ticket))?,
    };
    let repairs = store.repairs(ticket)?;
    let readings = store.readings(ticket)?;
    let profile = catalog
        .get(&t.board.model)
        .ok_or_else(|| ReportError::UnknownProfile(t.board.model.clone()))?;
    let after = store.run(chosen.id)?;
    let first = runs.first().filter(|f| f.id != chosen.id);
    let repaired_between = first.is_some_and(|f| {
        repairs
            .iter()
            .any(|a| a.at >= f.started_at && a.at <= chosen.started_at)
    });
    let before = match first.filter(|_| repaired_between) {
        Some(f) => Some(store.run(f.id)?),
        None => None,
    };
    render(&Input {
        shop,
        profile,
        ticket: Some(&t),
        run: stored(&after),
        before: before.as_ref().map(stored),
        repairs: &repairs,
        readings: &readings,
        verification: Some(store.verification(ticket)?),
        generated_at,
        paper,
    })
}

/// A stored run as the report shows it.
fn stored(r: &store::StoredRun) -> Run<'_> {
    Run {
        report: &r.report,
        telemetry: &r.telemetry,
        started_at: r.summary.started_at,
        jig_protocol: r.summary.jig_protocol,
        id: Some(r.summary.id),
    }
}

/// The PDF for `input`.
pub fn render(input: &Input<'_>) -> Result<Vec<u8>, ReportError> {
    let fonts = layout::Fonts::load()?;
    let pages = layout::lay_out(input, &fonts);
    pdf::write(input, &fonts, &pages)
}

/// The shop's statistics as a PDF: the figures, then each model's failures by chip position
/// and by domain as charts (plotters).
pub fn stats_pdf(input: &StatsInput<'_>) -> Result<Vec<u8>, ReportError> {
    let fonts = layout::Fonts::load()?;
    let pages = layout::lay_out_stats(input, &fonts);
    let meta = pdf::Meta {
        title: "Shop statistics".into(),
        creator: format!("Hashbench {}", input.app_version),
        made_at: input.generated_at,
        size: input.paper.size(),
    };
    pdf::write_document(&meta, &fonts, &pages, input.shop.logo_png.as_deref())
}

/// The text of the report's pages, in reading order: what a PDF text extractor should find.
/// For tests and for checking a report without rendering it.
#[must_use]
pub fn text(input: &Input<'_>) -> Vec<String> {
    let Ok(fonts) = layout::Fonts::load() else {
        return Vec::new();
    };
    layout::lay_out(input, &fonts)
        .iter()
        .map(layout::Page::text)
        .collect()
}
