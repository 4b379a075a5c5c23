//! The plots under the map: each described as a chart (`report::chart`), shown with egui_plot
//! and exported through plotters by the same description.

use super::*;

impl Workbench {
    /// The workbench's charts, as shown under the map and as "Export chart…" saves them: the
    /// domain voltages, the voltage over time, the temperatures, the nonce return rate and,
    /// when the run aged the board, the error rates. Empty when no profile is chosen.
    pub fn charts(&self) -> Vec<(&'static str, report::chart::Chart)> {
        use report::chart::{Chart, Mark, Series};
        let Some(profile) = self.profile() else {
            return Vec::new();
        };
        let band = (profile.voltage.low_mv(), profile.voltage.high_mv());
        // While a run goes: the latest sample. After it: each domain at preflight and its
        // worst reading under load, side by side.
        let finished = self.report.as_ref().filter(|_| self.running.is_none());
        let domains = match finished {
            Some(r) => report::chart::domain_voltages(r, band),
            None => Chart {
                title: "Domain voltages now".into(),
                x_label: "domain".into(),
                y_label: "mV".into(),
                series: vec![Series {
                    name: "domain voltage".into(),
                    mark: Mark::Bars { width: 0.8 },
                    color: report::chart::PALETTE[0],
                    points: self
                        .telemetry
                        .last()
                        .map(|(_, v)| {
                            v.iter()
                                .enumerate()
                                .map(|(d, &mv)| (d as f64, f64::from(mv)))
                                .collect()
                        })
                        .unwrap_or_default(),
                }],
                rules: report::chart::band_rules(band),
                x_whole: true,
                y_from_zero: true,
                empty_note: "No voltage sample yet.".into(),
                ..Chart::default()
            },
        };
        // One hour at 10 Hz is 36,000 samples: draw at most ~1,000 points (every k-th).
        let step = (self.telemetry.len() / 1000).max(1);
        let series = |f: &dyn Fn(&[u32]) -> u32| -> Vec<(f64, f64)> {
            self.telemetry
                .iter()
                .step_by(step)
                .map(|(t, v)| (*t, f64::from(f(v))))
                .collect()
        };
        let voltage_time = report::chart::lines(
            "Domain voltage over time",
            "s",
            "mV",
            vec![
                (
                    "max domain".into(),
                    series(&|v| v.iter().copied().max().unwrap_or(0)),
                ),
                (
                    "min domain".into(),
                    series(&|v| v.iter().copied().min().unwrap_or(0)),
                ),
            ],
        );
        let names: Vec<String> = profile.sensors.iter().map(|s| s.name.clone()).collect();
        let temperatures = report::chart::temperatures(&names, &self.temperatures);
        // Nonce return rate: golden nonces per second between telemetry samples.
        let rate: Vec<(f64, f64)> = self
            .golden
            .windows(2)
            .filter(|w| w[1].0 > w[0].0)
            .map(|w| {
                (
                    w[1].0,
                    f64::from(w[1].1.saturating_sub(w[0].1)) / (w[1].0 - w[0].0),
                )
            })
            .collect();
        let rate = report::chart::lines(
            "Nonce return rate",
            "s",
            "golden/s",
            vec![("nonce return rate".into(), rate)],
        );
        let mut charts = vec![
            ("domains", domains),
            ("voltage-time", voltage_time),
            ("temperatures", temperatures),
            ("nonce-rate", rate),
        ];
        // The aging test's error rates: live, or from the report shown.
        let aging: Vec<AgingPoint> = if self.aging.is_empty() {
            self.report
                .iter()
                .filter_map(|r| r.aging.as_ref())
                .flat_map(|a| a.windows.iter())
                .map(aging_point)
                .collect()
        } else {
            self.aging.clone()
        };
        if !aging.is_empty() {
            let median = aging.iter().map(|(t, m, _)| (*t, *m)).collect();
            let worst = aging
                .iter()
                .filter_map(|(t, _, w)| w.map(|(_, r)| (*t, r)))
                .collect();
            let last = aging.last().and_then(|(_, _, w)| *w);
            let name = last.map_or("worst chip".to_owned(), |(i, _)| {
                format!("worst chip (now {i})")
            });
            charts.push((
                "aging",
                report::chart::lines(
                    "Errors while aging",
                    "s of aging",
                    "errors %",
                    vec![("board median".into(), median), (name, worst)],
                ),
            ));
        }
        charts
    }

    /// The charts side by side, each with its export button.
    pub(super) fn plots(&self, ui: &mut egui::Ui) -> Vec<Command> {
        let charts = self.charts();
        let mut commands = Vec::new();
        if charts.is_empty() {
            return commands;
        }
        ui.columns(charts.len(), |cols| {
            for ((id, chart), col) in charts.into_iter().zip(cols.iter_mut()) {
                let height = if id == "domains" || id == "voltage-time" {
                    160.0
                } else {
                    140.0
                };
                if crate::charts::show(col, id, height, &chart) {
                    commands.push(Command::ExportChart(Box::new(chart)));
                }
            }
        });
        commands
    }
}
