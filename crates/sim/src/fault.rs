//! Faults a simulated board can have, by name: `dead:K`, `break:K`, `weak:K:PCT`, `hwerr:K:PCT`,
//! `short:D`, `sensor:S`, `wrongid:K`, `flaky:K`, `slowlink:K`, `hot:K`, `noise:PPM`,
//! `picstall` (the board's PIC ignores heartbeats and switches its DC-DC off). Chain index K,
//! domain D and sensor S are 0-based.

use std::fmt;

use boards::Profile;

/// One injected fault.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Fault {
    /// Chip K enumerates but returns no nonces.
    Dead(usize),
    /// Chips K and beyond do not answer (K chips are found).
    Break(usize),
    /// PCT % of chip K's cores are dead.
    Weak(usize, u8),
    /// PCT % of chip K's nonces are corrupted.
    HwErr(usize, u8),
    /// Domain D is shorted.
    Short(usize),
    /// Temperature sensor S is missing.
    Sensor(usize),
    /// Chip K answers with a wrong chip ID.
    WrongId(usize),
    /// Chip K's link drops some bytes.
    Flaky(usize),
    /// Chip K's link fails above 115200 baud.
    SlowLink(usize),
    /// Chip K overheats.
    Hot(usize),
    /// Line noise on the chain's receive line: each byte has a PPM-in-a-million chance of a
    /// flipped bit and the same chance of being lost (a long or poorly shielded ribbon cable).
    Noise(u32),
    PicStall,
}

/// A fault spec that cannot be applied to the board.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("fault `{spec}`: {problem}")]
pub struct FaultError {
    /// The spec as given.
    pub spec: String,
    /// What is wrong.
    pub problem: String,
}

const KINDS: &str = "dead:K, break:K, weak:K:PCT, hwerr:K:PCT, short:D, sensor:S, wrongid:K, flaky:K, slowlink:K, hot:K, noise:PPM, picstall";

impl Fault {
    /// Parse `spec` for `profile`, checking every index against the board.
    pub fn parse(spec: &str, profile: &Profile) -> Result<Self, FaultError> {
        let err = |problem: String| FaultError {
            spec: spec.to_owned(),
            problem,
        };
        let parts: Vec<&str> = spec.trim().split(':').collect();
        let number = |i: usize, what: &str| -> Result<usize, FaultError> {
            let text = parts.get(i).ok_or_else(|| err(format!("missing {what}")))?;
            text.parse::<usize>()
                .map_err(|_| err(format!("{what} `{text}` is not a whole number")))
        };
        let chips = profile.chips.value;
        let chip = |i: usize| -> Result<usize, FaultError> {
            let k = number(i, "chip index")?;
            if k >= chips {
                return Err(err(format!(
                    "chip {k} does not exist: {} has chips 0..{}",
                    profile.id,
                    chips - 1
                )));
            }
            Ok(k)
        };
        let percent = |i: usize| -> Result<u8, FaultError> {
            let p = number(i, "percentage")?;
            if !(1..=100).contains(&p) {
                return Err(err(format!("percentage {p} is not between 1 and 100")));
            }
            Ok(p as u8)
        };
        let arity = |n: usize| -> Result<(), FaultError> {
            if parts.len() == n {
                Ok(())
            } else {
                Err(err(format!("expected {} field(s) after the kind", n - 1)))
            }
        };
        let kind = parts.first().copied().unwrap_or_default();
        let fault = match kind {
            "dead" | "break" | "wrongid" | "flaky" | "slowlink" | "hot" => {
                arity(2)?;
                let k = chip(1)?;
                match kind {
                    "dead" => Self::Dead(k),
                    "break" => Self::Break(k),
                    "wrongid" => Self::WrongId(k),
                    "flaky" => Self::Flaky(k),
                    "slowlink" => Self::SlowLink(k),
                    _ => Self::Hot(k),
                }
            }
            "weak" | "hwerr" => {
                arity(3)?;
                let (k, p) = (chip(1)?, percent(2)?);
                if kind == "weak" {
                    Self::Weak(k, p)
                } else {
                    Self::HwErr(k, p)
                }
            }
            "short" => {
                arity(2)?;
                let d = number(1, "domain index")?;
                if d >= profile.domains.value {
                    return Err(err(format!(
                        "domain {d} does not exist: {} has domains 0..{}",
                        profile.id,
                        profile.domains.value - 1
                    )));
                }
                Self::Short(d)
            }
            "noise" => {
                arity(2)?;
                let ppm = number(1, "bytes in a million")?;
                if !(1..=100_000).contains(&ppm) {
                    return Err(err(format!("noise {ppm} ppm is not between 1 and 100000")));
                }
                Self::Noise(ppm as u32)
            }
            "picstall" => {
                arity(1)?;
                if profile.pic.is_none() {
                    return Err(err(format!("{} has no PIC", profile.id)));
                }
                Self::PicStall
            }
            "sensor" => {
                arity(2)?;
                let s = number(1, "sensor index")?;
                if s >= profile.sensors.len() {
                    return Err(err(format!(
                        "sensor {s} does not exist: {} has {} sensor(s)",
                        profile.id,
                        profile.sensors.len()
                    )));
                }
                Self::Sensor(s)
            }
            other => return Err(err(format!("unknown fault kind `{other}`; known: {KINDS}"))),
        };
        Ok(fault)
    }
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Dead(k) => write!(f, "dead:{k}"),
            Self::Break(k) => write!(f, "break:{k}"),
            Self::Weak(k, p) => write!(f, "weak:{k}:{p}"),
            Self::HwErr(k, p) => write!(f, "hwerr:{k}:{p}"),
            Self::Short(d) => write!(f, "short:{d}"),
            Self::Sensor(s) => write!(f, "sensor:{s}"),
            Self::WrongId(k) => write!(f, "wrongid:{k}"),
            Self::Flaky(k) => write!(f, "flaky:{k}"),
            Self::SlowLink(k) => write!(f, "slowlink:{k}"),
            Self::Hot(k) => write!(f, "hot:{k}"),
            Self::Noise(ppm) => write!(f, "noise:{ppm}"),
            Self::PicStall => write!(f, "picstall"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s19jpro() -> Profile {
        boards::Catalog::builtin()
            .unwrap()
            .get("s19jpro")
            .unwrap()
            .clone()
    }

    #[test]
    fn every_kind_parses_and_prints_back() {
        let p = s19jpro();
        for spec in [
            "dead:5",
            "break:40",
            "weak:3:25",
            "hwerr:7:10",
            "short:2",
            "sensor:1",
            "wrongid:0",
            "flaky:9",
            "slowlink:60",
            "hot:125",
        ] {
            assert_eq!(Fault::parse(spec, &p).unwrap().to_string(), spec);
        }
    }

    #[test]
    fn bad_specs_say_what_is_wrong() {
        let p = s19jpro();
        let problem = |spec: &str| Fault::parse(spec, &p).unwrap_err().to_string();
        assert!(problem("melt:3").contains("unknown fault kind `melt`"));
        assert!(problem("dead:126").contains("chip 126 does not exist: s19jpro has chips 0..125"));
        assert!(problem("weak:3").contains("expected 2 field(s)"));
        assert!(problem("weak:3:0").contains("percentage 0"));
        assert!(problem("short:42").contains("domain 42 does not exist"));
        assert!(problem("sensor:4").contains("sensor 4 does not exist"));
        assert!(problem("dead:x").contains("`x` is not a whole number"));
        assert!(problem("picstall").contains("s19jpro has no PIC"));
    }
}
