//! The charts: domain voltages and temperatures over the run, side by side, drawn by plotters
//! (`crate::chart`) and placed on the page as SVG.

// The page primitives, and the other parts of the layout.
use super::*;

pub(super) fn charts(doc: &mut Doc<'_>, input: &Input<'_>) {
    let h = 190.0;
    doc.ensure(h + 10.0);
    let gap = 12.0;
    let w = (doc.inner() - gap) / 2.0;
    let (x0, y0) = (doc.left(), doc.y);
    let band = &input.profile.voltage;
    let voltages = crate::chart::domain_voltages(input.run.report, (band.low_mv(), band.high_mv()));
    let names: Vec<String> = input
        .profile
        .sensors
        .iter()
        .map(|s| s.name.clone())
        .collect();
    let samples: Vec<(f64, Vec<Option<f32>>)> = input
        .run
        .telemetry
        .temperatures
        .iter()
        .map(|s| (s.t_s, s.temps_c.clone()))
        .collect();
    let temperatures = crate::chart::temperatures(&names, &samples);
    for (n, chart) in [voltages, temperatures].into_iter().enumerate() {
        doc.page.ops.push(Op::Chart {
            x: x0 + (w + gap) * n as f32,
            y: y0,
            w,
            h,
            chart: Box::new(chart),
        });
    }
    doc.y = y0 + h + 6.0;
}
