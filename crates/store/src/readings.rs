//! Meter readings at a board's test points, kept on a ticket with the range they were judged
//! against when they were typed (a later change of a profile does not rewrite history).

use crate::db::args;
use crate::{Result, Store, StoreError};

/// A reading to keep.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewReading {
    /// The chip whose signal it is (chain index), or `None` for a domain's supply.
    pub chip: Option<usize>,
    /// The domain whose supply or LDO it is, or `None` for a chip's signal.
    pub domain: Option<usize>,
    /// The point: CLK, CI, RO, BO, RST, domain, 1V8, 0V8 (`boards::testpoints::Point::name`).
    pub point: String,
    /// What the meter read, mV.
    pub mv: u32,
    /// The range it was judged against, mV; `None` when no source gives one.
    pub range_mv: Option<(u32, u32)>,
    /// ok, LOW, HIGH or "no range" (`boards::testpoints::Judgement::name`).
    pub verdict: String,
    /// Where the range comes from.
    pub source: String,
    /// Who measured.
    pub technician: String,
}

/// A kept reading.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reading {
    /// Row id.
    pub id: i64,
    /// When, seconds since 1970 UTC.
    pub at: i64,
    /// What was read.
    pub reading: NewReading,
}

const VERDICTS: [&str; 4] = ["ok", "LOW", "HIGH", "no range"];

/// Where a reading was taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum At {
    /// At chip `k` (chain index): its signals.
    Chip(usize),
    /// At domain `d`: its supply and LDOs.
    Domain(usize),
}

impl NewReading {
    /// A reading of `mv` at `point` of `at` on a `profile` board, judged against what the
    /// point should read (`boards::testpoints`). The place must exist on the board and suit the
    /// point (a chip's signal at a chip, a supply at a domain): the error says what was wrong.
    pub fn judged(
        profile: &boards::Profile,
        at: At,
        point: boards::testpoints::Point,
        mv: u32,
        technician: &str,
    ) -> std::result::Result<NewReading, String> {
        let (chip, domain) = match at {
            At::Chip(k) if k >= profile.chips.value => {
                return Err(format!(
                    "chip {k}: a {} has chips 0 to {}",
                    profile.id,
                    profile.chips.value.saturating_sub(1)
                ));
            }
            At::Domain(d) if d >= profile.domains.value => {
                return Err(format!(
                    "domain {d}: a {} has domains 0 to {}",
                    profile.id,
                    profile.domains.value.saturating_sub(1)
                ));
            }
            At::Chip(_) if !point.at_chip() => {
                return Err(format!(
                    "{} is read at a domain, not at a chip",
                    point.name()
                ));
            }
            At::Domain(_) if point.at_chip() => {
                return Err(format!(
                    "{} is read at a chip, not at a domain",
                    point.name()
                ));
            }
            At::Chip(k) => (Some(k), None),
            At::Domain(d) => (None, Some(d)),
        };
        let expected = boards::testpoints::expected(profile, point);
        let verdict = boards::testpoints::judge(expected.as_ref(), mv);
        Ok(NewReading {
            chip,
            domain,
            point: point.name().to_owned(),
            mv,
            range_mv: expected.as_ref().map(|e| (e.low_mv, e.high_mv)),
            verdict: verdict.name().to_owned(),
            source: expected.map(|e| e.source).unwrap_or_default(),
            technician: technician.to_owned(),
        })
    }

    /// The pad of `profile`'s design where this point is read, where the design gives one.
    pub fn pad<'p>(&self, profile: &'p boards::Profile) -> Option<&'p boards::testpoints::Pad> {
        let point = boards::testpoints::Point::parse(&self.point)?;
        boards::testpoints::pad(profile, self.chip, self.domain, point)
    }

    /// "chip 12 CLK" or "domain 3 1V8".
    pub fn place(&self) -> String {
        match (self.chip, self.domain) {
            (Some(k), _) => format!("chip {k} {}", self.point),
            (_, Some(d)) => format!("domain {d} {}", self.point),
            _ => self.point.clone(),
        }
    }

    /// "950 mV (700-1300 mV): ok".
    pub fn describe(&self) -> String {
        match self.range_mv {
            Some((lo, hi)) => format!("{} mV ({lo}-{hi} mV): {}", self.mv, self.verdict),
            None => format!("{} mV (no source gives a range)", self.mv),
        }
    }
}

impl Store {
    /// Keep a reading on ticket `ticket`; returns its id.
    pub fn add_reading(&mut self, ticket: i64, r: &NewReading) -> Result<i64> {
        if r.chip.is_some() == r.domain.is_some() {
            return Err(StoreError::Invalid(
                "a reading is at a chip or at a domain, not both or neither".into(),
            ));
        }
        if !VERDICTS.contains(&r.verdict.as_str()) {
            return Err(StoreError::Invalid(format!(
                "a reading's verdict is one of {VERDICTS:?}, not {:?}",
                r.verdict
            )));
        }
        let as_i64 = |v: usize| i64::try_from(v).unwrap_or(i64::MAX);
        self.insert_for_ticket(
            ticket,
            "INSERT INTO test_readings
               (ticket_id, at, chip, domain, point, mv, low_mv, high_mv, verdict, source, technician)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
            args![
                ticket,
                crate::now(),
                r.chip.map(as_i64),
                r.domain.map(as_i64),
                &r.point,
                r.mv,
                r.range_mv.map(|x| x.0),
                r.range_mv.map(|x| x.1),
                &r.verdict,
                &r.source,
                &r.technician
            ],
        )
    }

    /// The readings kept on ticket `ticket`, oldest first.
    pub fn readings(&self, ticket: i64) -> Result<Vec<Reading>> {
        let rows = self.rows(
            "SELECT id, at, chip, domain, point, mv, low_mv, high_mv, verdict, source, technician
             FROM test_readings WHERE ticket_id = ?1 ORDER BY at, id",
            args![ticket],
            |row| {
                Ok((
                    row.get::<i64>(0)?,
                    row.get::<i64>(1)?,
                    row.get::<Option<i64>>(2)?,
                    row.get::<Option<i64>>(3)?,
                    row.get::<String>(4)?,
                    row.get::<i64>(5)?,
                    row.get::<Option<i64>>(6)?,
                    row.get::<Option<i64>>(7)?,
                    (
                        row.get::<String>(8)?,
                        row.get::<String>(9)?,
                        row.get::<String>(10)?,
                    ),
                ))
            },
        )?;
        rows.into_iter()
            .map(
                |(id, at, chip, domain, point, mv, low, high, (verdict, source, technician))| {
                    let bad = |problem: String| StoreError::BadRow {
                        path: self.path.clone(),
                        table: "test_readings",
                        id,
                        problem,
                    };
                    let index = |v: Option<i64>, what: &str| {
                        v.map(|x| usize::try_from(x).map_err(|_| bad(format!("{what} {x}"))))
                            .transpose()
                    };
                    let mv_of = |v: i64, what: &str| {
                        u32::try_from(v).map_err(|_| bad(format!("{what} {v} mV")))
                    };
                    let range_mv = match (low, high) {
                        (Some(l), Some(h)) => Some((mv_of(l, "low")?, mv_of(h, "high")?)),
                        _ => None,
                    };
                    Ok(Reading {
                        id,
                        at,
                        reading: NewReading {
                            chip: index(chip, "chip")?,
                            domain: index(domain, "domain")?,
                            point,
                            mv: mv_of(mv, "reading")?,
                            range_mv,
                            verdict,
                            source,
                            technician,
                        },
                    })
                },
            )
            .collect()
    }
}
