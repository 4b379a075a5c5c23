//! The shop's statistics on paper: the figures the Statistics view shows (tickets per status,
//! repair yield, median bench time and turnaround), then, for each model with failures (most
//! first), its failures by chip position over the whole chain and by voltage domain, drawn by
//! plotters like every chart.

// The page primitives, and the other parts of the layout.
use super::*;
use sections::{page_footers, shop_header};

use crate::StatsInput;

pub(super) fn statistics(doc: &mut Doc<'_>, input: &StatsInput<'_>) {
    let s = input.stats;
    shop_header(doc, input.shop, "Shop statistics", input.generated_at);
    doc.heading("Tickets");
    let mut rows: Vec<Vec<String>> = vec![vec!["Tickets in all".into(), s.tickets.to_string()]];
    rows.extend(
        s.by_status
            .iter()
            .map(|c| vec![format!("  {}", c.key), c.count.to_string()]),
    );
    rows.push(vec![
        "Repair yield (repaired tickets that passed their retest)".into(),
        s.repair_yield()
            .map_or("- (no retest after a repair yet)".into(), |y| {
                format!(
                    "{:.0} % ({} of {})",
                    y * 100.0,
                    s.repaired_passed,
                    s.repaired
                )
            }),
    ]);
    rows.push(vec![
        "Median bench and repair time (closed tickets)".into(),
        s.median_time_spent_s
            .map_or("-".into(), store::time::format_duration),
    ]);
    rows.push(vec![
        "Median intake to close".into(),
        s.median_turnaround_s
            .map_or("-".into(), store::time::format_duration),
    ]);
    doc.table(&["Figure", "Value"], &[3.0, 1.2], &rows);
    let models = models_by_failures(input);
    if models.is_empty() {
        doc.heading("Failures");
        doc.body("No failed chip recorded in any ticket yet.");
    }
    for model in models {
        let profile = input.catalog.get(model);
        let name = profile.map_or(model.to_owned(), |p| format!("{} ({model})", p.name));
        let chips = profile.map_or(0, |p| p.chips.value);
        let domains = profile.map_or(0, |p| p.domains.value);
        let (h_chips, h_domains) = (190.0, 170.0);
        // The heading stays with the first chart.
        doc.ensure(h_chips + 50.0);
        doc.heading(&format!("Failures on {name}"));
        place(
            doc,
            crate::chart::failure_counts(
                "Tickets with a failure, by chip position",
                "chip (chain index)",
                &s.failures_by_position,
                model,
                chips,
            ),
            h_chips,
        );
        place(
            doc,
            crate::chart::failure_counts(
                "Tickets with a failure, by voltage domain",
                "domain",
                &s.failures_by_domain,
                model,
                domains,
            ),
            h_domains,
        );
    }
    let last = std::mem::take(&mut doc.page);
    doc.pages.push(last);
    page_footers(
        doc,
        "shop statistics",
        input.app_version,
        input.generated_at,
    );
}

/// A chart the full width of the page, `h` high, on a new page when it does not fit.
fn place(doc: &mut Doc<'_>, chart: crate::chart::Chart, h: f32) {
    doc.ensure(h + 6.0);
    doc.page.ops.push(Op::Chart {
        x: doc.left(),
        y: doc.y,
        w: doc.inner(),
        h,
        chart: Box::new(chart),
    });
    doc.y += h + 6.0;
}

/// The models that had a failure, the most failed tickets first (then by name).
fn models_by_failures<'a>(input: &StatsInput<'a>) -> Vec<&'a str> {
    let mut totals: Vec<(&str, u64)> = Vec::new();
    for c in &input.stats.failures_by_position {
        match totals.iter_mut().find(|(m, _)| *m == c.key.0) {
            Some((_, n)) => *n += c.count,
            None => totals.push((c.key.0.as_str(), c.count)),
        }
    }
    totals.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    totals.into_iter().map(|(m, _)| m).collect()
}
