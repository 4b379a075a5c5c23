//! Test points: what a meter should read at each point of a running board, with the source of
//! every range, and a reading judged against it.
//!
//! Chip signals (CLK, CI, RO, BO, RST) are read at a chip's test pads against its own domain's
//! ground ([I] facts §5.3: upper domains float by N × the domain voltage, so board ground gives
//! nonsense); domain supplies and their LDOs at the domain. Where a source gives one value
//! ("1.8 V running"), the band is ±10 % around it [I]; where no source gives a value (RO on
//! 1.2 V-I/O boards, the LDOs of those boards), there is no expectation and the reading is only
//! recorded.

use crate::Profile;
use bm13xx::Family;
use serde::Deserialize;

/// A point a technician measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Point {
    /// The chip's clock input (25 MHz, read as a DC average).
    Clk,
    /// Command input (TX from the host, chip 1 → N).
    Ci,
    /// Response output (RX to the host, chip N → 1).
    Ro,
    /// BO/BI, chip 1 → N.
    Bo,
    /// Reset, chip 1 → N.
    Rst,
    /// The domain's supply.
    Domain,
    /// The domain's 1.8 V LDO output.
    Ldo1v8,
    /// The domain's 0.8 V LDO output.
    Ldo0v8,
}

impl Point {
    /// Every point, chip signals first.
    pub const ALL: [Point; 8] = [
        Point::Clk,
        Point::Ci,
        Point::Ro,
        Point::Bo,
        Point::Rst,
        Point::Domain,
        Point::Ldo1v8,
        Point::Ldo0v8,
    ];

    /// Name as the CLI takes it and the report prints it.
    pub fn name(self) -> &'static str {
        match self {
            Point::Clk => "CLK",
            Point::Ci => "CI",
            Point::Ro => "RO",
            Point::Bo => "BO",
            Point::Rst => "RST",
            Point::Domain => "domain",
            Point::Ldo1v8 => "1V8",
            Point::Ldo0v8 => "0V8",
        }
    }

    /// Parse a name (any case).
    pub fn parse(text: &str) -> Option<Point> {
        Point::ALL
            .into_iter()
            .find(|p| p.name().eq_ignore_ascii_case(text.trim()))
    }

    /// A chip's signal (read at a chip) rather than a domain's supply.
    pub fn at_chip(self) -> bool {
        matches!(
            self,
            Point::Clk | Point::Ci | Point::Ro | Point::Bo | Point::Rst
        )
    }
}

/// What a point should read on a running board, mV, and who says so.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expected {
    /// Lowest good reading, mV.
    pub low_mv: u32,
    /// Highest good reading, mV.
    pub high_mv: u32,
    /// The source of the range.
    pub source: String,
}

/// A reading against its expectation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Judgement {
    /// Inside the range.
    InRange,
    /// Below it.
    Low,
    /// Above it.
    High,
    /// No source gives a range for this point on this board.
    Unknown,
}

impl Judgement {
    /// Word for the report.
    pub fn name(self) -> &'static str {
        match self {
            Judgement::InRange => "ok",
            Judgement::Low => "LOW",
            Judgement::High => "HIGH",
            Judgement::Unknown => "no range",
        }
    }
}

/// Which face of the PCB a pad is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Side {
    /// The face KiCad calls F.Cu (top).
    Front,
    /// The face KiCad calls B.Cu (bottom).
    Back,
}

impl Side {
    /// "front" or "back".
    pub fn name(self) -> &'static str {
        match self {
            Side::Front => "front",
            Side::Back => "back",
        }
    }
}

/// A test pad of the board's own design: where the meter's probe goes for a point.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pad {
    /// The point read there.
    pub point: Point,
    /// The chip (chain index) whose signal it carries, for a chip's point.
    pub chip: Option<usize>,
    /// The domain whose supply or LDO it carries, for a domain's point.
    pub domain: Option<usize>,
    /// Reference designator of the pad, e.g. `TP36`.
    pub pad: String,
    /// The pad to put the black probe on, where the design pairs one with it (a domain's
    /// lower rail).
    pub minus: Option<String>,
    /// The face of the PCB it is on.
    pub side: Side,
    /// The net it sits on, as the design names it.
    pub net: String,
}

impl Pad {
    /// "TP36 on the back (net /BM1366-1/1V8)", or with a paired pad "TP18 (+) and TP19 (-) on
    /// the back (net /VDD1)".
    pub fn describe(&self) -> String {
        let pads = match &self.minus {
            Some(minus) => format!("{} (+) and {minus} (-)", self.pad),
            None => self.pad.clone(),
        };
        format!("{pads} on the {} (net {})", self.side.name(), self.net)
    }
}

/// The test pads a board's design gives, with where that design comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestPads {
    /// The design files the pads were read from.
    pub source: String,
    /// The pads.
    pub pads: Vec<Pad>,
}

/// `[test_pads]` as a profile writes it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawTestPads {
    source: String,
    pads: Vec<RawPad>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPad {
    point: String,
    #[serde(default)]
    chip: Option<usize>,
    #[serde(default)]
    domain: Option<usize>,
    pad: String,
    #[serde(default)]
    minus: Option<String>,
    side: Side,
    net: String,
}

impl RawTestPads {
    /// Check every pad names a point, a chip or domain the board has (the one its point is read
    /// at), and a designator; the error is (field, problem).
    pub(crate) fn validate(
        self,
        chips: usize,
        domains: usize,
    ) -> Result<TestPads, (String, String)> {
        if self.source.trim().is_empty() {
            return Err(("test_pads.source".into(), "names no design".into()));
        }
        let mut pads = Vec::with_capacity(self.pads.len());
        for (i, raw) in self.pads.into_iter().enumerate() {
            let field = |name: &str| format!("test_pads.pads[{i}].{name}");
            let point = Point::parse(&raw.point).ok_or_else(|| {
                (
                    field("point"),
                    format!(
                        "`{}` is not one of {}",
                        raw.point,
                        Point::ALL.map(Point::name).join(", ")
                    ),
                )
            })?;
            // A chip's signal names its chip, a supply its domain, and not the other.
            let (place, given, other, there, count) = if point.at_chip() {
                ("chip", raw.chip, raw.domain, "domain", chips)
            } else {
                ("domain", raw.domain, raw.chip, "chip", domains)
            };
            match (given, other) {
                (Some(k), None) if k < count => {}
                (Some(k), None) => {
                    return Err((
                        field(place),
                        format!("{place} {k} does not exist ({count} {place}s)"),
                    ));
                }
                _ => {
                    return Err((
                        field(place),
                        format!(
                            "{} is read at a {place}: give `{place}` and no `{there}`",
                            point.name()
                        ),
                    ));
                }
            }
            if raw.pad.trim().is_empty() || raw.minus.as_ref().is_some_and(|m| m.trim().is_empty())
            {
                return Err((field("pad"), "a pad needs its reference designator".into()));
            }
            pads.push(Pad {
                point,
                chip: raw.chip,
                domain: raw.domain,
                pad: raw.pad,
                minus: raw.minus,
                side: raw.side,
                net: raw.net,
            });
        }
        Ok(TestPads {
            source: self.source,
            pads,
        })
    }
}

/// The pad of `profile`'s design where `point` of `chip` (a chip's signal) or `domain` (a
/// supply) is read, where the design gives one.
pub fn pad(
    profile: &Profile,
    chip: Option<usize>,
    domain: Option<usize>,
    point: Point,
) -> Option<&Pad> {
    profile.test_pads.as_ref()?.pads.iter().find(|p| {
        p.point == point
            && if point.at_chip() {
                p.chip == chip
            } else {
                p.domain == domain
            }
    })
}

/// The chip I/O voltage of a family: 1.8 V (S19, facts §5.3 "S19 (BM1398, 1.8 V I/O)"; the S9
/// and S17+ generations taken alike [I]) or 1.2 V (Brit Tester's S19j Pro/k Pro-era column; the
/// S21 generation taken alike [I]).
fn io_1v8(family: Family) -> bool {
    matches!(family, Family::Bm1387 | Family::Bm1397 | Family::Bm1398)
}

const S19MG: &str = "S19 maintenance guide p5 (facts §5.3)";
const BRIT: &str = "Brit Tester manual (facts §5.3)";
const L3: &str = "esarntech L3+ guide p6 (facts §5.3)";

/// A band ±10 % around one documented value [I].
fn around(mv: u32, source: &str) -> Expected {
    Expected {
        low_mv: mv * 9 / 10,
        high_mv: mv * 11 / 10,
        source: format!("{source}; ±10 % [I]"),
    }
}

fn band(low_mv: u32, high_mv: u32, source: &str) -> Expected {
    Expected {
        low_mv,
        high_mv,
        source: source.to_owned(),
    }
}

/// What `point` should read on a running `profile` board.
pub fn expected(profile: &Profile, point: Point) -> Option<Expected> {
    let v18 = io_1v8(profile.family.value);
    Some(match point {
        Point::Clk if v18 => band(700, 1300, S19MG),
        Point::Clk => band(500, 600, BRIT),
        Point::Ci | Point::Rst if v18 => around(1800, S19MG),
        Point::Ci | Point::Rst => around(1200, BRIT),
        Point::Ro if v18 => around(1800, S19MG),
        Point::Ro => return None,
        // 0 V idle, 0.1-0.3 V pulses while hashing.
        Point::Bo => band(0, 300, L3),
        Point::Domain => Expected {
            low_mv: profile.voltage.low_mv(),
            high_mv: profile.voltage.high_mv(),
            source: format!("profile: {}", profile.voltage.nominal_mv.source),
        },
        // A 1.8 V and a 0.8 V LDO per domain: eastcoastasic S17+ guide, rongbtc S19 Pro
        // (facts §5.1); the band ±5 % [I].
        Point::Ldo1v8 if v18 => band(1710, 1890, LDO),
        Point::Ldo0v8 if v18 => band(760, 840, LDO),
        Point::Ldo1v8 | Point::Ldo0v8 => return None,
    })
}

const LDO: &str =
    "1V8/0V8 LDO per domain: eastcoastasic S17+, rongbtc S19 Pro (facts §5.1); ±5 % [I]";

/// Judge `mv` against `expected`.
pub fn judge(expected: Option<&Expected>, mv: u32) -> Judgement {
    match expected {
        None => Judgement::Unknown,
        Some(e) if mv < e.low_mv => Judgement::Low,
        Some(e) if mv > e.high_mv => Judgement::High,
        Some(_) => Judgement::InRange,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Catalog;

    fn profile(id: &str) -> Profile {
        Catalog::builtin().unwrap().get(id).unwrap().clone()
    }

    #[test]
    fn an_s19_reads_its_guides_values_and_an_s19j_pro_brits() {
        let s19 = profile("s19");
        let clk = expected(&s19, Point::Clk).unwrap();
        assert_eq!((clk.low_mv, clk.high_mv), (700, 1300));
        assert_eq!(judge(Some(&clk), 950), Judgement::InRange);
        assert_eq!(judge(Some(&clk), 200), Judgement::Low);
        let rst = expected(&s19, Point::Rst).unwrap();
        assert_eq!((rst.low_mv, rst.high_mv), (1620, 1980));
        let jpro = profile("s19jpro");
        let clk = expected(&jpro, Point::Clk).unwrap();
        assert_eq!((clk.low_mv, clk.high_mv), (500, 600));
        assert_eq!(judge(Some(&clk), 950), Judgement::High);
        // No source gives RO or the LDOs on a 1.2 V-I/O board: recorded, not judged.
        assert_eq!(expected(&jpro, Point::Ro), None);
        assert_eq!(judge(None, 1200), Judgement::Unknown);
    }

    #[test]
    fn a_domain_reads_its_profiles_band_and_points_parse_by_name() {
        let p = profile("s19pro");
        let d = expected(&p, Point::Domain).unwrap();
        assert_eq!(
            (d.low_mv, d.high_mv),
            (p.voltage.low_mv(), p.voltage.high_mv())
        );
        for point in Point::ALL {
            assert_eq!(Point::parse(&point.name().to_lowercase()), Some(point));
        }
        assert_eq!(Point::parse("vcore"), None);
    }
}
