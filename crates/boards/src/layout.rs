//! Where each chip sits on the PCB, for the board map.

use serde::Deserialize;

/// How a profile describes its layout.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum LayoutSpec {
    /// Generic layout: each domain is a column of its chips; domains run left to right and
    /// wrap after `domains_per_row` domains, snaking so the chain path stays continuous. Used
    /// where the real PCB layout is not known; the board map says so.
    Serpentine {
        /// Domains side by side before the band wraps.
        domains_per_row: usize,
        /// Why the generic layout is used.
        note: String,
    },
    /// The real layout, one entry per chip in chain order.
    Explicit {
        /// Where the layout comes from.
        source: String,
        /// The chips.
        chips: Vec<ChipSpec>,
    },
}

/// One chip of an explicit layout.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChipSpec {
    /// Row on the PCB (0 at the top).
    pub row: u16,
    /// Column on the PCB (0 at the left).
    pub col: u16,
    /// Reference designator, e.g. `U37`.
    #[serde(default)]
    pub uref: Option<String>,
}

/// One chip's place on the board.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChipPosition {
    /// Chain index (0-based, nearest the connector first).
    pub index: usize,
    /// Voltage domain (0-based).
    pub domain: usize,
    /// Row on the PCB grid.
    pub row: u16,
    /// Column on the PCB grid.
    pub col: u16,
    /// Reference designator, where known.
    pub uref: Option<String>,
}

/// The resolved layout of a board.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BoardLayout {
    /// One position per chip, in chain order.
    pub chips: Vec<ChipPosition>,
    /// True when this is the generic serpentine, not the real PCB.
    pub generic: bool,
    /// Note shown with the map (why generic, or the source).
    pub note: String,
    /// Grid size: rows.
    pub rows: u16,
    /// Grid size: columns.
    pub cols: u16,
}

/// Lay out `domains` domains of `per_domain` chips in a serpentine.
#[must_use]
pub fn serpentine(
    domains: usize,
    per_domain: usize,
    domains_per_row: usize,
    note: &str,
) -> BoardLayout {
    let per_row = domains_per_row.max(1);
    let mut chips = Vec::with_capacity(domains * per_domain);
    for domain in 0..domains {
        let band = domain / per_row;
        let slot = domain % per_row;
        // Bands alternate direction so domain k+1 is always next to domain k.
        let col = if band.is_multiple_of(2) {
            slot
        } else {
            per_row - 1 - slot
        };
        for k in 0..per_domain {
            // Within a band the chain runs down the first domain, up the next, and so on; with an
            // odd number of domains per band it leaves each band at the bottom, next to the
            // first domain of the band below.
            let within = if slot.is_multiple_of(2) {
                k
            } else {
                per_domain - 1 - k
            };
            chips.push(ChipPosition {
                index: domain * per_domain + k,
                domain,
                row: (band * per_domain + within) as u16,
                col: col as u16,
                uref: None,
            });
        }
    }
    let bands = domains.div_ceil(per_row);
    BoardLayout {
        chips,
        generic: true,
        note: note.to_owned(),
        rows: (bands * per_domain) as u16,
        cols: per_row.min(domains.max(1)) as u16,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serpentine_keeps_neighbours_adjacent() {
        // With an odd number of domains per band the whole chain path is continuous.
        let layout = serpentine(6, 3, 3, "generic");
        assert_eq!(layout.chips.len(), 18);
        assert_eq!((layout.rows, layout.cols), (6, 3));
        for pair in layout.chips.windows(2) {
            let (a, b) = (&pair[0], &pair[1]);
            let distance = a.row.abs_diff(b.row) + a.col.abs_diff(b.col);
            assert!(distance <= 1, "{a:?} -> {b:?}");
        }
        let mut cells: Vec<_> = layout.chips.iter().map(|c| (c.row, c.col)).collect();
        cells.sort_unstable();
        cells.dedup();
        assert_eq!(cells.len(), 18, "no two chips share a cell");
    }
}
