//! The charts as plotters draws them, for the PDF and for "Export chart…": what the SVG says
//! and where a PNG's pixels are, from the fixture runs.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // Fine for tests: a failure is the report.

use std::path::Path;

use diagnosis::Report;
use report::chart::{self, Chart, ChartError};
use store::{Count, Telemetry};

fn fixture(name: &str) -> (Report, Telemetry) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/runs");
    let read = |file: String| std::fs::read_to_string(dir.join(file)).unwrap();
    (
        serde_json::from_str(&read(format!("s19jpro-{name}.json"))).unwrap(),
        serde_json::from_str(&read(format!("s19jpro-{name}.telemetry.json"))).unwrap(),
    )
}

/// The S19j Pro's band, as its profile gives it.
const BAND: (u32, u32) = (280, 360);

/// Every text element of an SVG, in order.
fn svg_texts(svg: &str) -> Vec<String> {
    svg.split("<text")
        .skip(1)
        .filter_map(|t| {
            let body = t.split_once('>')?.1;
            Some(body.split_once("</text>")?.0.trim().to_owned())
        })
        .collect()
}

fn check_says(svg: &str, expected: &[&str]) {
    let texts = svg_texts(svg);
    for e in expected {
        assert!(
            texts.iter().any(|t| t == e),
            "`{e}` is not a text of the chart: {texts:?}"
        );
    }
}

/// A PNG decoded: width, height and RGB pixels.
fn decode_png(bytes: &[u8]) -> (u32, u32, Vec<u8>) {
    let mut reader = png::Decoder::new(std::io::Cursor::new(bytes))
        .read_info()
        .unwrap();
    let mut pixels = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut pixels).unwrap();
    assert_eq!(info.color_type, png::ColorType::Rgb);
    pixels.truncate(info.buffer_size());
    (info.width, info.height, pixels)
}

/// How many pixels of `rows` (a range of y) have exactly this colour.
fn count_colour(png: &(u32, u32, Vec<u8>), rows: std::ops::Range<u32>, rgb: [u8; 3]) -> usize {
    let (w, _, pixels) = png;
    rows.flat_map(|y| (0..*w).map(move |x| ((y * w + x) * 3) as usize))
        .filter(|&i| pixels[i..i + 3] == rgb)
        .count()
}

#[test]
fn the_domain_chart_names_the_band_each_state_found_and_the_load_readings() {
    let (report, _) = fixture("weak-12");
    let c = chart::domain_voltages(&report, BAND);
    let names: Vec<&str> = c.series.iter().map(|s| s.name.as_str()).collect();
    let preflight: usize = c
        .series
        .iter()
        .filter(|s| s.name.starts_with("preflight"))
        .map(|s| s.points.len())
        .sum();
    assert_eq!(
        preflight,
        report.domains.len(),
        "one bar per domain: {names:?}"
    );
    let loaded = report
        .domains
        .iter()
        .filter(|d| d.loaded_mv.is_some())
        .count();
    if loaded > 0 {
        let under = c
            .series
            .iter()
            .find(|s| s.name == "under load (worst)")
            .unwrap();
        assert_eq!(under.points.len(), loaded);
    }
    let svg = c.svg(600, 350).unwrap();
    assert!(svg.starts_with("<svg"), "{}", &svg[..40]);
    check_says(
        &svg,
        &[
            "Domain voltages against the band",
            "domain",
            "mV",
            "band low 280 mV",
            "band high 360 mV",
            "preflight: in band",
        ],
    );
}

#[test]
fn the_temperature_chart_has_a_line_per_sensor_that_answered() {
    let (_, telemetry) = fixture("healthy");
    let samples: Vec<(f64, Vec<Option<f32>>)> = telemetry
        .temperatures
        .iter()
        .map(|s| (s.t_s, s.temps_c.clone()))
        .collect();
    let names: Vec<String> = ["PCB 1", "PCB 2", "PCB 3", "PCB 4"]
        .map(String::from)
        .into();
    let c = chart::temperatures(&names, &samples);
    assert_eq!(c.series.len(), 4);
    let svg = c.svg(600, 350).unwrap();
    check_says(
        &svg,
        &["Temperatures over the run", "jig time, s", "PCB 1", "PCB 4"],
    );
    // No sensor read: the chart says so rather than drawing empty axes.
    let empty = chart::temperatures(&names, &[]);
    check_says(
        &empty.svg(600, 350).unwrap(),
        &["No temperature readings in this run."],
    );
}

#[test]
fn a_png_has_the_size_asked_the_bars_in_their_colour_and_the_title_in_ink() {
    let (report, _) = fixture("healthy");
    let c = chart::domain_voltages(&report, BAND);
    let png = decode_png(&c.png(1200, 700).unwrap());
    assert_eq!((png.0, png.1), (1200, 700));
    // Every domain is in band: the bars are drawn in the "in band" green, below the title.
    let green = count_colour(&png, 60..700, [46, 140, 67]);
    assert!(green > 20_000, "{green} green pixels");
    // The caption is set in DejaVu Sans: dark pixels in the top band where it sits.
    let dark = (0..60_u32)
        .flat_map(|y| (0..1200_u32).map(move |x| ((y * 1200 + x) * 3) as usize))
        .filter(|&i| png.2[i..i + 3].iter().all(|&v| v < 80))
        .count();
    assert!(dark > 500, "{dark} dark pixels in the caption band");
}

#[test]
fn the_same_chart_gives_the_same_bytes() {
    let (report, _) = fixture("break-40");
    let c = chart::domain_voltages(&report, BAND);
    assert_eq!(c.svg(600, 350).unwrap(), c.svg(600, 350).unwrap());
    assert_eq!(c.png(600, 350).unwrap(), c.png(600, 350).unwrap());
}

#[test]
fn the_shop_failure_counts_put_the_whole_chain_on_the_axis() {
    let counts = vec![
        Count {
            key: ("s19jpro".to_owned(), 39),
            count: 3,
        },
        Count {
            key: ("s19jpro".to_owned(), 40),
            count: 5,
        },
        Count {
            key: ("s9".to_owned(), 12),
            count: 9,
        },
    ];
    let c = chart::failure_counts("By chip", "chip", &counts, "s19jpro", 126);
    assert_eq!(
        c.series[0].points,
        vec![(39.0, 3.0), (40.0, 5.0)],
        "only the model asked"
    );
    assert_eq!(c.x_include, vec![-0.5, 125.5]);
    let svg = c.svg(600, 350).unwrap();
    check_says(&svg, &["By chip", "s19jpro: tickets with a failure", "120"]);
    let none = chart::failure_counts("By chip", "chip", &counts, "s21", 0);
    check_says(
        &none.svg(600, 350).unwrap(),
        &["No failures recorded on s21."],
    );
}

#[test]
fn a_chart_too_small_to_read_is_refused_with_its_size() {
    let c = Chart {
        title: "Tiny".into(),
        ..Chart::default()
    };
    let err = c.png(60, 40).unwrap_err();
    assert!(matches!(err, ChartError::Size(60, 40)));
    assert!(err.to_string().contains("60 × 40"), "{err}");
    assert!(c.svg(100, 80).is_err());
    assert!(c.svg(120, 90).is_ok());
}
