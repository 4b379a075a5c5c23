//! The charts: domain voltages and temperatures over the run, as vector paths.

// The page primitives, and the other parts of the layout.
use super::*;

/// A chart frame with a title, y range and ticks; returns the plot area (x, y, w, h).
/// A chart's box on the page.
#[derive(Debug, Clone, Copy)]
pub(super) struct Area {
    x: f32,
    y: f32,
    w: f32,
    h: f32,
}

pub(super) fn frame(
    doc: &mut Doc<'_>,
    area: Area,
    title: &str,
    y_max: f32,
    unit: &str,
) -> (f32, f32, f32, f32) {
    let Area { x, y, w, h } = area;
    doc.text_at(x, y + 9.0, 9.0, true, BLACK, &format!("{title} ({unit})"));
    let (px, py, pw, ph) = (x + 34.0, y + 16.0, w - 40.0, h - 34.0);
    doc.rect(px, py, pw, ph, None, Some((RULE, 0.6)));
    let ticks = 4;
    for i in 0..=ticks {
        let v = y_max * i as f32 / ticks as f32;
        let ty = py + ph - ph * i as f32 / ticks as f32;
        doc.line(vec![(px, ty), (px + pw, ty)], LIGHT, 0.4, false);
        let label = format!("{v:.0}");
        let lw = doc.fonts.width(&label, 7.0, false);
        doc.text_at(px - lw - 3.0, ty + 2.5, 7.0, false, GREY, &label);
    }
    (px, py, pw, ph)
}

pub(super) fn charts(doc: &mut Doc<'_>, input: &Input<'_>) {
    let h = 165.0;
    doc.ensure(h + 10.0);
    let gap = 16.0;
    let w = (doc.inner() - gap) / 2.0;
    let (x0, y0) = (doc.left(), doc.y);
    voltage_chart(doc, input, Area { x: x0, y: y0, w, h });
    temperature_chart(
        doc,
        input,
        Area {
            x: x0 + w + gap,
            y: y0,
            w,
            h,
        },
    );
    doc.y = y0 + h + 6.0;
}

pub(super) fn voltage_chart(doc: &mut Doc<'_>, input: &Input<'_>, area: Area) {
    let report = input.run.report;
    let band = &input.profile.voltage;
    let (low, high) = (band.low_mv() as f32, band.high_mv() as f32);
    let measured = report
        .domains
        .iter()
        .map(|d| d.voltage_mv as f32)
        .fold(0.0, f32::max);
    let y_max = (high * 1.25).max(measured * 1.05).max(1.0);
    let (px, py, pw, ph) = frame(doc, area, "Domain voltages against the band", y_max, "mV");
    let to_y = |v: f32| py + ph - ph * (v / y_max).clamp(0.0, 1.0);
    let n = report.domains.len().max(1);
    let slot = pw / n as f32;
    for d in &report.domains {
        let color = match d.state {
            DomainState::Ok => GREEN,
            DomainState::Low | DomainState::High => AMBER,
            DomainState::Short => RED,
            DomainState::Open => Rgb(150, 70, 200),
        };
        let bx = px + slot * d.index as f32;
        let top = to_y(d.voltage_mv as f32);
        doc.rect(
            bx + slot * 0.15,
            top,
            slot * 0.7,
            py + ph - top,
            Some(color),
            None,
        );
    }
    for (v, label) in [(low, "band low"), (high, "band high")] {
        let ly = to_y(v);
        doc.line(vec![(px, ly), (px + pw, ly)], RED, 0.8, true);
        let lw = doc.fonts.width(label, 6.5, false);
        doc.text_at(px + pw - lw - 2.0, ly - 2.0, 6.5, false, RED, label);
    }
    let step = (n / 8).max(1);
    for i in (0..n).step_by(step) {
        let label = i.to_string();
        let lw = doc.fonts.width(&label, 7.0, false);
        doc.text_at(
            px + slot * (i as f32 + 0.5) - lw / 2.0,
            py + ph + 9.0,
            7.0,
            false,
            GREY,
            &label,
        );
    }
    doc.text_at(
        px + pw / 2.0 - 14.0,
        py + ph + 17.0,
        7.0,
        false,
        GREY,
        "domain",
    );
}

pub(super) fn temperature_chart(doc: &mut Doc<'_>, input: &Input<'_>, area: Area) {
    let temps = &input.run.telemetry.temperatures;
    let sensors = input.profile.sensors.len();
    let readings: Vec<f32> = temps
        .iter()
        .flat_map(|s| s.temps_c.iter().flatten().copied())
        .filter(|t| t.is_finite())
        .collect();
    let t_max = readings.iter().copied().fold(0.0, f32::max);
    let y_max = ((t_max / 10.0).ceil() * 10.0 + 10.0).max(50.0);
    let (px, py, pw, ph) = frame(doc, area, "Temperatures over the run", y_max, "°C");
    if readings.is_empty() {
        doc.text_at(
            px + 8.0,
            py + ph / 2.0,
            8.5,
            false,
            GREY,
            "No temperature readings in this run.",
        );
        return;
    }
    let span = temps
        .iter()
        .map(|s| s.t_s)
        .fold(0.0_f64, f64::max)
        .max(1e-3) as f32;
    for s in 0..sensors.max(temps.iter().map(|t| t.temps_c.len()).max().unwrap_or(0)) {
        let color = SERIES.get(s % SERIES.len()).copied().unwrap_or(BLACK);
        let points: Vec<(f32, f32)> = temps
            .iter()
            .filter_map(|t| {
                let v = (*t.temps_c.get(s)?)?;
                Some((
                    px + pw * (t.t_s as f32 / span),
                    py + ph - ph * (v / y_max).clamp(0.0, 1.0),
                ))
            })
            .collect();
        if points.is_empty() {
            continue;
        }
        if points.len() == 1 {
            let (cx, cy) = points[0];
            doc.rect(cx - 1.5, cy - 1.5, 3.0, 3.0, Some(color), None);
        } else {
            doc.line(points, color, 1.2, false);
        }
        let name = input
            .profile
            .sensors
            .get(s)
            .map_or_else(|| format!("sensor {s}"), |x| x.name.clone());
        let ly = py + 8.0 + 9.0 * s as f32;
        doc.rect(px + 4.0, ly - 5.0, 8.0, 2.5, Some(color), None);
        doc.text_at(px + 15.0, ly, 7.0, false, BLACK, &name);
    }
    doc.text_at(px, py + ph + 9.0, 7.0, false, GREY, "0");
    let end = format!("{span:.1} s");
    let lw = doc.fonts.width(&end, 7.0, false);
    doc.text_at(px + pw - lw, py + ph + 9.0, 7.0, false, GREY, &end);
    doc.text_at(
        px + pw / 2.0 - 20.0,
        py + ph + 17.0,
        7.0,
        false,
        GREY,
        "jig time, s",
    );
}
