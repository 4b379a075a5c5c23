//! The board map: chips at their places on the PCB, a colour and a letter per state.

use boards::Profile;
use diagnosis::report::{ChipResult, ChipState, Grade, Report, Scale, SensorResult, SensorState};
use eframe::egui::{
    self, Align2, Color32, CornerRadius, FontId, Rect, RichText, Sense, Stroke, StrokeKind, Vec2,
};

/// Colour of a state (the letter carries the state too, for colour-blind readers).
#[must_use]
pub fn color(state: ChipState) -> Color32 {
    match state {
        ChipState::Ok => Color32::from_rgb(46, 160, 67),
        ChipState::Weak => Color32::from_rgb(230, 140, 20),
        ChipState::Dead => Color32::from_rgb(210, 45, 45),
        ChipState::Missing => Color32::from_rgb(90, 90, 100),
        ChipState::HwErrors => Color32::from_rgb(150, 70, 200),
        ChipState::Inconclusive => Color32::from_rgb(220, 200, 40),
        ChipState::Untested => Color32::from_rgb(170, 170, 170),
    }
}

/// Everything the map shows.
#[derive(Debug)]
pub struct MapView<'a> {
    /// The board.
    pub profile: &'a Profile,
    /// State per chip.
    pub states: &'a [ChipState],
    /// Chip results, once the run is done.
    pub chips: Option<&'a [ChipResult]>,
    /// Chips to probe first.
    pub suspects: &'a [usize],
    /// Chips of the selected finding.
    pub highlight: &'a [usize],
    /// The selected chip.
    pub selected: Option<usize>,
    /// Colour the chips by a measurement of this report instead of their state.
    pub scale: Option<(Scale, &'a Report)>,
    /// The sensors' results of the last run, in profile order (empty before one).
    pub sensors: &'a [SensorResult],
}

/// The sensor census: what the profile expects against what answered, one line.
#[must_use]
pub fn census(profile: &Profile, sensors: &[SensorResult]) -> String {
    diagnosis::report::sensor_census(profile, sensors)
}

/// A sensor's colour on the map.
fn sensor_color(state: Option<SensorState>) -> Color32 {
    match state {
        Some(SensorState::Ok) => Color32::from_rgb(80, 170, 255),
        Some(SensorState::Missing) => Color32::from_rgb(210, 45, 45),
        Some(SensorState::Implausible) => Color32::from_rgb(230, 140, 20),
        Some(SensorState::Unread) | None => Color32::from_rgb(170, 170, 170),
    }
}

/// A grade's colour.
fn grade_color(grade: Grade) -> Color32 {
    let (r, g, b) = grade.rgb();
    Color32::from_rgb(r, g, b)
}

/// Draw the map; returns the chip clicked, if any.
pub fn show(ui: &mut egui::Ui, view: &MapView<'_>) -> Option<usize> {
    let layout = &view.profile.layout;
    let (rows, cols) = (f32::from(layout.rows.max(1)), f32::from(layout.cols.max(1)));
    let avail = ui.available_size();
    let cell = (avail.x / cols)
        .min((avail.y - 24.0).max(40.0) / rows)
        .clamp(18.0, 56.0);
    let (area, _) = ui.allocate_exact_size(Vec2::new(cell * cols, cell * rows), Sense::hover());
    let painter = ui.painter_at(area);
    let mut clicked = None;
    // The measurement mode's grades, once for the whole map.
    let graded = view
        .scale
        .map(|(scale, report)| (scale, report.graded(scale)));
    for pos in &layout.chips {
        let i = pos.index;
        let state = view.states.get(i).copied().unwrap_or(ChipState::Untested);
        let min = area.min + Vec2::new(f32::from(pos.col) * cell, f32::from(pos.row) * cell);
        let rect = Rect::from_min_size(min, Vec2::splat(cell)).shrink(2.0);
        // Domains alternate a faint band, so the stack reads at a glance.
        if pos.domain % 2 == 1 {
            painter.rect_filled(
                rect.expand(2.0),
                CornerRadius::ZERO,
                ui.visuals().faint_bg_color,
            );
        }
        let (fill, text) = match graded.as_ref().map(|(_, g)| g.get(i)) {
            Some(Some((grade, text))) => (grade_color(*grade), text.clone()),
            Some(None) => (grade_color(Grade::NotMeasured), String::new()),
            None => (color(state), state.letter().to_string()),
        };
        painter.rect_filled(rect, CornerRadius::same(4), fill);
        let stroke = if view.selected == Some(i) {
            Stroke::new(3.0, ui.visuals().strong_text_color())
        } else if view.highlight.contains(&i) {
            Stroke::new(3.0, Color32::from_rgb(255, 220, 0))
        } else if view.suspects.contains(&i) {
            Stroke::new(2.5, Color32::from_rgb(255, 60, 60))
        } else {
            Stroke::NONE
        };
        painter.rect_stroke(rect, CornerRadius::same(4), stroke, StrokeKind::Outside);
        let mark = if view.suspects.contains(&i) { "*" } else { "" };
        painter.text(
            rect.center(),
            Align2::CENTER_CENTER,
            format!("{text}{mark}"),
            FontId::monospace(cell * if text.len() > 2 { 0.32 } else { 0.45 }),
            Color32::BLACK,
        );
        let response = ui.interact(rect, ui.scope_id().with(("chip", i)), Sense::click());
        // Screen readers (and the UI tests) read each chip as "chip N: state", or in a
        // measurement mode "chip N: margin 110 %".
        let said = match &graded {
            Some((scale, _)) if text.is_empty() || text == "-" => {
                format!("chip {i}: {} none", scale.short())
            }
            Some((scale, _)) => format!("chip {i}: {} {text} %", scale.short()),
            None => format!("chip {i}: {}", state.label()),
        };
        response.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Button, true, &said));
        let response = response.on_hover_ui(|ui| {
            let uref = pos
                .uref
                .as_ref()
                .map_or(String::new(), |u| format!(" ({u})"));
            ui.label(format!(
                "Chip {i}{uref}, domain {}, row {}, column {}",
                pos.domain,
                pos.row + 1,
                pos.col + 1
            ));
            ui.label(format!("State: {}", state.label()));
            if let Some(c) = view.chips.and_then(|c| c.get(i)) {
                if let Some(a) = c.address {
                    ui.label(format!("Address 0x{a:02X}"));
                }
                ui.label(format!(
                    "Patterns {}, golden {}, HW errors {}",
                    c.patterns, c.golden, c.hw_errors
                ));
                if let Some(t) = c.temp_c {
                    ui.label(format!("Temperature {t:.1} °C"));
                }
                if let Some(m) = c.margin_mhz {
                    ui.label(format!("Ok up to {m:.0} MHz on the ladder"));
                }
                if let Some(mv) = c.margin_mv {
                    ui.label(format!("Ok down to a {mv} mV supply on the ladder"));
                }
            }
            if let Some((_, report)) = view.scale
                && let Some(n) = report
                    .aging
                    .as_ref()
                    .and_then(|a| a.totals().get(i).copied())
                    .filter(|n| n.sent > 0)
            {
                ui.label(format!(
                    "Aging: {} missed, {} miscomputed of {} jobs ({:.1} %)",
                    n.sent.saturating_sub(n.golden),
                    n.hw_errors,
                    n.sent,
                    n.rate() * 100.0
                ));
            }
        });
        if response.clicked() {
            clicked = Some(i);
        }
    }
    // The sensors the profile expects, each a dot in the corner of the chip it sits next to,
    // coloured by what the last run found.
    for (n, sensor) in view.profile.sensors.iter().enumerate() {
        let Some(pos) = layout.chips.iter().find(|p| p.index == sensor.near_chip) else {
            continue;
        };
        let min = area.min + Vec2::new(f32::from(pos.col) * cell, f32::from(pos.row) * cell);
        let radius = (cell * 0.14).max(3.0);
        let center = min + Vec2::new(cell - radius - 1.0, radius + 1.0);
        let result = view.sensors.get(n);
        let state = result.map(|r| r.state);
        painter.circle(
            center,
            radius,
            sensor_color(state),
            Stroke::new(1.0, Color32::BLACK),
        );
        let said = format!(
            "sensor {}: {}",
            sensor.name,
            state.map_or("not read yet", SensorState::label)
        );
        let dot = Rect::from_center_size(center, Vec2::splat(radius * 2.0));
        ui.interact(dot, ui.scope_id().with(("sensor", n)), Sense::hover())
            .on_hover_ui(|ui| {
                ui.label(format!(
                    "{} ({:?}) near chip {}",
                    sensor.name, sensor.kind, sensor.near_chip
                ));
                if let Some(t) = result.and_then(|r| r.temp_c) {
                    ui.label(format!("{t:.1} °C"));
                }
            })
            .widget_info(|| egui::WidgetInfo::labeled(egui::Role::Image, true, &said));
    }
    clicked
}

/// The legend: one swatch and letter per state, or one swatch per grade of `scale`.
pub fn legend(ui: &mut egui::Ui, scale: Option<Scale>) {
    if let Some(scale) = scale {
        ui.horizontal_wrapped(|ui| {
            ui.label(RichText::new(scale.title()).strong());
            for (grade, meaning) in scale.legend() {
                let (rect, _) = ui.allocate_exact_size(Vec2::splat(16.0), Sense::hover());
                ui.painter()
                    .rect_filled(rect, CornerRadius::same(3), grade_color(grade));
                ui.label(meaning);
            }
        });
        return;
    }
    ui.horizontal_wrapped(|ui| {
        for state in ChipState::ALL {
            let (rect, _) = ui.allocate_exact_size(Vec2::splat(16.0), Sense::hover());
            ui.painter()
                .rect_filled(rect, CornerRadius::same(3), color(state));
            ui.painter().text(
                rect.center(),
                Align2::CENTER_CENTER,
                state.letter(),
                FontId::monospace(11.0),
                Color32::BLACK,
            );
            ui.label(state.label());
        }
        ui.label("* probe first");
    });
}
