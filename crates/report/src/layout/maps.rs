//! The board maps: the chip grid by state, the graded maps (clock margin, aging), and the
//! before/after pair of a repaired board.

// The page primitives, and the other parts of the layout.
use super::*;

pub(super) fn suspects(report: &Report) -> Vec<usize> {
    let mut s: Vec<usize> = report
        .findings
        .iter()
        .flat_map(|f| f.suspects.iter().copied())
        .collect();
    s.sort_unstable();
    s.dedup();
    s
}

/// The board map's cell size and height when `width` wide, pt.
pub(super) fn map_size(profile: &Profile, width: f32) -> (f32, f32) {
    let layout = &profile.layout;
    let cell = (width / f32::from(layout.cols.max(1))).min(28.0);
    (cell, cell * f32::from(layout.rows.max(1)))
}

/// The board's chips at their places from the cursor, `width` wide: domains in alternate
/// bands, each chip filled, outlined and labelled as `look(chip index, cell size)` says (the
/// label centred, left out on cells too small to read). Leaves the cursor under the map.
pub(super) fn chip_grid(
    doc: &mut Doc<'_>,
    profile: &Profile,
    width: f32,
    look: impl Fn(usize, f32) -> (Rgb, Option<(Rgb, f32)>, String),
) {
    let (cell, height) = map_size(profile, width);
    let (x0, y0) = (doc.left(), doc.y);
    for pos in &profile.layout.chips {
        let x = x0 + f32::from(pos.col) * cell;
        let y = y0 + f32::from(pos.row) * cell;
        if pos.domain % 2 == 1 {
            doc.rect(x, y, cell, cell, Some(LIGHT), None);
        }
        let (fill, stroke, text) = look(pos.index, cell);
        let pad = (cell * 0.08).max(0.5);
        doc.rect(
            x + pad,
            y + pad,
            cell - 2.0 * pad,
            cell - 2.0 * pad,
            Some(fill),
            stroke,
        );
        if cell >= 12.0 && !text.is_empty() {
            let size = cell * if text.len() > 2 { 0.3 } else { 0.38 };
            let w = doc.fonts.width(&text, size, true);
            doc.text_at(
                x + (cell - w) / 2.0,
                y + cell / 2.0 + size * 0.36,
                size,
                true,
                BLACK,
                &text,
            );
        }
    }
    doc.y = y0 + height + 4.0;
}

/// The board map `width` wide at the cursor; with `legend`, the states legend under it.
pub(super) fn board_map(
    doc: &mut Doc<'_>,
    profile: &Profile,
    report: &Report,
    width: f32,
    legend: bool,
) {
    let (_, height) = map_size(profile, width);
    doc.ensure(height + if legend { 30.0 } else { 4.0 });
    let suspect = suspects(report);
    chip_grid(doc, profile, width, |i, cell| {
        let state = report.chips.get(i).map_or(ChipState::Untested, |c| c.state);
        let is_suspect = suspect.contains(&i);
        let stroke = is_suspect.then_some((RED, (cell * 0.09).max(0.8)));
        let mark = format!("{}{}", state.letter(), if is_suspect { "*" } else { "" });
        (state_color(state), stroke, mark)
    });
    if legend {
        let mut x = doc.left();
        let y = doc.y;
        for state in ChipState::ALL {
            doc.rect(x, y + 2.0, 8.0, 8.0, Some(state_color(state)), None);
            let label = format!("{} {}", state.letter(), state.label());
            doc.text_at(x + 11.0, y + 9.5, 8.0, false, BLACK, &label);
            x += 15.0 + doc.fonts.width(&label, 8.0, false);
        }
        let note = if suspect.is_empty() {
            "Alternate bands: voltage domains".to_owned()
        } else {
            let list: Vec<String> = suspect.iter().map(ToString::to_string).collect();
            format!("* red outline: probe first (chips {})", list.join(", "))
        };
        doc.text_at(x + 6.0, y + 9.5, 8.0, true, RED, &note);
        doc.y += 16.0;
    }
}

/// The board map coloured by a measurement (`scale`), each chip's value written on it, and
/// the scale's legend.
pub(super) fn graded_map(
    doc: &mut Doc<'_>,
    profile: &Profile,
    report: &Report,
    scale: Scale,
    width: f32,
) {
    let (_, height) = map_size(profile, width);
    doc.ensure(height + 30.0);
    let rgb = |g: Grade| {
        let (r, g, b) = g.rgb();
        Rgb(r, g, b)
    };
    let graded = report.graded(scale);
    chip_grid(doc, profile, width, |i, _| {
        let (grade, text) = graded
            .get(i)
            .cloned()
            .unwrap_or((Grade::NotMeasured, String::new()));
        (rgb(grade), None, text)
    });
    let mut x = doc.left();
    let y = doc.y;
    for (grade, meaning) in scale.legend() {
        doc.rect(x, y + 2.0, 8.0, 8.0, Some(rgb(grade)), None);
        doc.text_at(x + 11.0, y + 9.5, 8.0, false, BLACK, meaning);
        x += 15.0 + doc.fonts.width(meaning, 8.0, false);
    }
    doc.y += 16.0;
}

pub(super) fn run_caption(run: &Run<'_>) -> String {
    format!(
        "{}{} UTC: {}",
        run.id.map(|i| format!("Run #{i}, ")).unwrap_or_default(),
        store::time::format_minute(run.started_at),
        run.report.verdict.name().to_uppercase()
    )
}

pub(super) fn before_after(
    doc: &mut Doc<'_>,
    profile: &Profile,
    before: &Run<'_>,
    after: &Run<'_>,
) {
    doc.heading("Before and after the repair");
    let gap = 20.0;
    let w = (doc.inner() - gap) / 2.0;
    let layout = &profile.layout;
    let cell = (w / f32::from(layout.cols.max(1))).min(20.0);
    doc.ensure(cell * f32::from(layout.rows.max(1)) + 40.0);
    let top = doc.y;
    let left = doc.left();
    for (k, (run, label)) in [(before, "Before"), (after, "After")]
        .into_iter()
        .enumerate()
    {
        let x = left + k as f32 * (w + gap);
        let caption = format!("{label}: {}", run_caption(run));
        let caption = doc.fit(&caption, 9.0, true, w);
        doc.text_at(x, top + 10.0, 9.0, true, BLACK, &caption);
        doc.y = top + 16.0;
        let saved = doc.margin;
        // Draw the map at this column: shift the margin for the map helper.
        doc.margin = x;
        board_map(doc, profile, run.report, w, false);
        doc.margin = saved;
    }
    doc.y += 4.0;
    let mut changes: std::collections::BTreeMap<(ChipState, ChipState), usize> = Default::default();
    for (a, b) in before.report.chips.iter().zip(&after.report.chips) {
        if a.state != b.state {
            *changes.entry((a.state, b.state)).or_default() += 1;
        }
    }
    let text = if changes.is_empty() {
        "No chip changed state.".to_owned()
    } else {
        let parts: Vec<String> = changes
            .iter()
            .map(|((a, b), n)| format!("{n} chip(s) {} → {}", a.label(), b.label()))
            .collect();
        format!("Changed: {}.", parts.join("; "))
    };
    doc.paragraph(doc.left(), doc.inner(), 9.0, false, BLACK, &text);
}
