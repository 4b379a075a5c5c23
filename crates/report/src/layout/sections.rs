//! The report's text sections, in page order: header, board identity, verdict banner,
//! findings, the chips that are not ok, repairs, readings, provenance, signature and footers.

// The page primitives, and the other parts of the layout.
use super::*;

pub(super) fn header(doc: &mut Doc<'_>, input: &Input<'_>) {
    shop_header(
        doc,
        input.shop,
        "Hashboard diagnostic report",
        input.generated_at,
    );
}

/// The shop's logo, name and address on the left; the document's title and when it was made
/// on the right; a rule under both.
pub(super) fn shop_header(doc: &mut Doc<'_>, shop: &crate::Shop, title: &str, made_at: i64) {
    let top = doc.y;
    let mut x = doc.left();
    if shop.logo_png.is_some() {
        doc.page.ops.push(Op::Logo {
            x,
            y: top,
            side: 46.0,
        });
        x += 56.0;
    }
    let name = if shop.name.is_empty() {
        "Hashbench"
    } else {
        &shop.name
    };
    let name = doc.fit(name, 16.0, true, doc.inner() * 0.6);
    doc.text_at(x, top + 16.0, 16.0, true, BLACK, &name);
    let mut y = top + 30.0;
    for line in shop.lines.iter().take(3) {
        let line = doc.fit(line, 8.5, false, doc.inner() * 0.6);
        doc.text_at(x, y, 8.5, false, GREY, &line);
        y += 11.0;
    }
    let right = doc.left() + doc.inner();
    let w = fonts_width(doc, title, 13.0, true);
    doc.text_at(right - w, top + 15.0, 13.0, true, BLACK, title);
    let made = format!("Made {} UTC", store::time::format_minute(made_at));
    let w = fonts_width(doc, &made, 8.5, false);
    doc.text_at(right - w, top + 29.0, 8.5, false, GREY, &made);
    doc.y = (y - 6.0).max(top + 50.0) + 6.0;
    let (x0, yl, iw) = (doc.left(), doc.y, doc.inner());
    doc.line(vec![(x0, yl), (x0 + iw, yl)], BLACK, 1.0, false);
    doc.y += 8.0;
}

pub(super) fn fonts_width(doc: &Doc<'_>, text: &str, size: f32, bold: bool) -> f32 {
    doc.fonts.width(text, size, bold)
}

/// Label/value pairs in two columns.
pub(super) fn identity(doc: &mut Doc<'_>, input: &Input<'_>) {
    let report = input.run.report;
    let profile = input.profile;
    let mut left: Vec<(&str, String)> = Vec::new();
    if let Some(t) = input.ticket {
        left.push(("Ticket", format!("#{} ({})", t.id, t.status.name())));
        if let Some(v) = &input.verification {
            left.push(("Verified", v.summary()));
        }
        left.push(("Customer", or_dash(&t.customer)));
        left.push(("Reported", or_dash(&t.symptom)));
        left.push((
            "Taken in",
            format!(
                "{} UTC by {}",
                store::time::format_minute(t.intake_at),
                or_dash(&t.technician)
            ),
        ));
    } else {
        left.push(("Ticket", "none (single run)".into()));
    }
    let serial = input
        .ticket
        .and_then(|t| t.board.serial.clone())
        .or_else(|| report.board.serial.clone())
        .unwrap_or_else(|| "(not readable)".into());
    let board_code = input
        .ticket
        .and_then(|t| t.board.board_code.clone())
        .or_else(|| report.board.board_code.clone())
        .unwrap_or_else(|| "-".into());
    let right: Vec<(&str, String)> = vec![
        ("Board", format!("{} ({})", profile.name, profile.id)),
        ("Serial", serial),
        ("Board code", board_code),
        (
            "Run",
            format!(
                "{}{} UTC",
                input.run.id.map(|i| format!("#{i}, ")).unwrap_or_default(),
                store::time::format_minute(input.run.started_at)
            ),
        ),
    ];
    let column = doc.inner() / 2.0;
    let top = doc.y;
    let rows = left.len().max(right.len());
    for (c, pairs) in [left, right].iter().enumerate() {
        let x = doc.left() + column * c as f32;
        for (i, (label, value)) in pairs.iter().enumerate() {
            let baseline = top + 10.0 + i as f32 * 13.0;
            doc.text_at(x, baseline, 9.0, true, GREY, label);
            let value = doc.fit(value, 9.0, false, column - 70.0);
            doc.text_at(x + 64.0, baseline, 9.0, false, BLACK, &value);
        }
    }
    doc.y = top + rows as f32 * 13.0 + 8.0;
}

pub(super) fn or_dash(s: &str) -> String {
    if s.trim().is_empty() {
        "-".into()
    } else {
        s.to_owned()
    }
}

pub(super) fn verdict(doc: &mut Doc<'_>, report: &Report) {
    let (word, color) = match (report.verdict, &report.aborted) {
        (_, Some(_)) => ("STOPPED: NOT COMPLETE", AMBER),
        (Verdict::Pass, None) => ("PASS", GREEN),
        (Verdict::Fail, None) => ("FAIL: NEEDS REPAIR", RED),
        (Verdict::Inconclusive, None) => ("INCONCLUSIVE", AMBER),
    };
    let (x, y, w) = (doc.left(), doc.y, doc.inner());
    doc.rect(x, y, w, 40.0, Some(color), None);
    doc.text_at(
        x + 10.0,
        y + 19.0,
        16.0,
        true,
        WHITE,
        &format!("Verdict: {word}"),
    );
    let mut summary = format!(
        "{} of {} chips answered; {} finding(s)",
        report.chips_found,
        report.chips_expected,
        report.findings.len()
    );
    if let Some(why) = &report.aborted {
        summary.push_str(&format!("; stopped: {why}"));
    }
    let summary = doc.fit(&summary, 9.0, false, w - 20.0);
    doc.text_at(x + 10.0, y + 33.0, 9.0, false, WHITE, &summary);
    doc.y += 48.0;
}

pub(super) fn findings(doc: &mut Doc<'_>, report: &Report) {
    doc.heading("Findings and what to do");
    if report.findings.is_empty() {
        doc.body("None: every chip, domain and sensor is fine.");
        return;
    }
    for (n, f) in report.findings.iter().enumerate() {
        doc.ensure(36.0);
        let title = format!("{}. {}: {}", n + 1, f.kind.label(), f.message);
        doc.paragraph(doc.left(), doc.inner(), 9.5, true, BLACK, &title);
        doc.paragraph(
            doc.left() + 12.0,
            doc.inner() - 12.0,
            9.0,
            false,
            BLACK,
            &format!("What to do: {}", f.hint),
        );
        doc.y += 4.0;
    }
}

/// The chips that are not ok; a run of missing chips is one row.
pub(super) fn not_ok(doc: &mut Doc<'_>, profile: &Profile, report: &Report) {
    doc.heading("Chips that are not ok");
    let bad: Vec<&diagnosis::report::ChipResult> = report
        .chips
        .iter()
        .filter(|c| c.state != ChipState::Ok)
        .collect();
    if bad.is_empty() {
        doc.body("All chips returned their golden nonces.");
        return;
    }
    let mut rows: Vec<Vec<String>> = Vec::new();
    let mut i = 0;
    while let Some(c) = bad.get(i) {
        // Consecutive chips in the same state with no result of their own collapse to a range.
        let mut j = i;
        while let Some(next) = bad.get(j + 1) {
            if next.index == bad[j].index + 1
                && next.state == c.state
                && matches!(c.state, ChipState::Missing | ChipState::Untested)
            {
                j += 1;
            } else {
                break;
            }
        }
        let pos = profile.layout.chips.get(c.index);
        if j > i {
            let last = bad[j].index;
            rows.push(vec![
                format!("{}–{}", c.index, last),
                "-".into(),
                "-".into(),
                "-".into(),
                format!("{} ({} chips)", c.state.label(), last - c.index + 1),
                "-".into(),
                "-".into(),
                "-".into(),
                "-".into(),
            ]);
        } else {
            rows.push(vec![
                c.index.to_string(),
                pos.and_then(|p| p.uref.clone())
                    .unwrap_or_else(|| "-".into()),
                pos.map_or("-".into(), |p| format!("{}/{}", p.row + 1, p.col + 1)),
                c.domain.to_string(),
                c.state.label().to_owned(),
                c.patterns.to_string(),
                c.golden.to_string(),
                c.hw_errors.to_string(),
                c.temp_c.map_or("-".into(), |t| format!("{t:.0}")),
            ]);
        }
        i = j + 1;
    }
    doc.table(
        &[
            "Chip", "U-ref", "Row/col", "Domain", "State", "Patterns", "Golden", "HW err", "°C",
        ],
        &[1.2, 1.0, 1.0, 0.9, 2.0, 1.0, 1.0, 0.9, 0.7],
        &rows,
    );
}

pub(super) fn repairs(doc: &mut Doc<'_>, input: &Input<'_>) {
    if input.ticket.is_none() {
        return;
    }
    doc.heading("Repair actions");
    if input.repairs.is_empty() {
        doc.body("None recorded on this ticket.");
        return;
    }
    let rows: Vec<Vec<String>> = input
        .repairs
        .iter()
        .map(|a| {
            vec![
                store::time::format_minute(a.at),
                match (a.chip, a.uref.is_empty()) {
                    (Some(c), false) => format!("{c} ({})", a.uref),
                    (Some(c), true) => c.to_string(),
                    (None, _) => "board".into(),
                },
                a.action.name().to_owned(),
                or_dash(&a.part),
                a.minutes.to_string(),
                or_dash(&a.technician),
                or_dash(&a.notes),
            ]
        })
        .collect();
    doc.table(
        &[
            "When (UTC)",
            "Chip",
            "Action",
            "Part / lot",
            "Min",
            "By",
            "Notes",
        ],
        &[2.0, 1.2, 1.0, 1.6, 0.6, 1.0, 2.6],
        &rows,
    );
}

/// The meter readings at test points, each with the range it was judged against and where
/// that range comes from; left out when none were typed.
pub(super) fn readings(doc: &mut Doc<'_>, input: &Input<'_>) {
    if input.readings.is_empty() {
        return;
    }
    doc.heading("Test-point readings");
    let rows: Vec<Vec<String>> = input
        .readings
        .iter()
        .map(|r| {
            let n = &r.reading;
            vec![
                store::time::format_minute(r.at),
                match n.pad(input.profile) {
                    Some(pad) => format!("{} at {}", n.place(), pad.pad),
                    None => n.place(),
                },
                format!("{} mV", n.mv),
                n.range_mv
                    .map_or_else(|| "-".to_owned(), |(lo, hi)| format!("{lo}-{hi} mV")),
                n.verdict.clone(),
                or_dash(&n.source),
            ]
        })
        .collect();
    doc.table(
        &[
            "When (UTC)",
            "Point",
            "Read",
            "Expected",
            "Verdict",
            "Range from",
        ],
        &[1.8, 1.5, 1.0, 1.4, 0.9, 3.4],
        &rows,
    );
}

pub(super) fn provenance(doc: &mut Doc<'_>, input: &Input<'_>) {
    let report = input.run.report;
    let p = &report.provenance;
    doc.heading("Provenance");
    let lines = [
        format!("Hashbench {}", p.app_version),
        format!(
            "Jig firmware {}{}",
            or_dash(&p.jig_firmware),
            input
                .run
                .jig_protocol
                .map(|v| format!(", protocol {v}"))
                .unwrap_or_default()
        ),
        format!("Board profile {}", p.profile),
        format!("Pattern set {}", p.pattern_set),
        format!(
            "Pattern test at {} baud; {:.2} s on the jig clock, {} bytes on the chain link{}",
            report.timing.baud,
            report.timing.duration_s,
            report.timing.wire_bytes,
            p.seed
                .map(|s| format!("; simulated board, seed {s}"))
                .unwrap_or_default()
        ),
    ];
    let soak = report.soak.map(|s| format!("Soak: {}", s.describe()));
    let aging = report
        .aging
        .as_ref()
        .map(|a| format!("Aging: {}", a.describe()));
    let ladder = (!report.ladder_mhz.is_empty()).then(|| {
        let clocks: Vec<String> = report
            .ladder_mhz
            .iter()
            .map(|m| format!("{m:.0}"))
            .collect();
        format!(
            "Frequency ladder: pattern test at {} MHz",
            clocks.join(", ")
        )
    });
    let supply = (!report.ladder_mv.is_empty()).then(|| {
        let steps: Vec<String> = report.ladder_mv.iter().map(ToString::to_string).collect();
        format!(
            "Supply steps: pattern test with the board supply at {} mV",
            steps.join(", ")
        )
    });
    for line in lines
        .iter()
        .chain(ladder.as_ref())
        .chain(supply.as_ref())
        .chain(soak.as_ref())
        .chain(aging.as_ref())
    {
        doc.paragraph(doc.left(), doc.inner(), 8.5, false, BLACK, line);
    }
}

pub(super) fn signature(doc: &mut Doc<'_>) {
    doc.ensure(60.0);
    doc.y += 26.0;
    let y = doc.y;
    let w = doc.inner();
    let x0 = doc.left();
    for (k, label) in ["Technician", "Date", "Signature"].iter().enumerate() {
        let x = x0 + w * [0.0, 0.38, 0.6][k];
        let len = w * [0.34, 0.18, 0.4][k];
        doc.line(vec![(x, y), (x + len, y)], BLACK, 0.6, false);
        doc.text_at(x, y + 10.0, 8.0, false, GREY, label);
    }
    doc.y += 16.0;
}

pub(super) fn footers(doc: &mut Doc<'_>, input: &Input<'_>) {
    let what = match input.ticket {
        Some(t) => format!("ticket #{}", t.id),
        None => "single run".to_owned(),
    };
    page_footers(
        doc,
        &what,
        &input.run.report.provenance.app_version,
        input.generated_at,
    );
}

/// "Hashbench VERSION · WHAT · TIME UTC · page I of N" at the foot of every page.
pub(super) fn page_footers(doc: &mut Doc<'_>, what: &str, version: &str, made_at: i64) {
    let n = doc.pages.len();
    let (x, y) = (doc.left(), doc.height - doc.margin + 4.0);
    for (i, page) in doc.pages.iter_mut().enumerate() {
        page.ops.push(Op::Text {
            x,
            y,
            size: 7.5,
            bold: false,
            color: GREY,
            text: format!(
                "Hashbench {version} · {what} · {} UTC · page {} of {n}",
                store::time::format_minute(made_at),
                i + 1
            ),
        });
    }
}
