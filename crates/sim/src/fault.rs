//! Faults a simulated board can have, by name: `dead:K`, `break:K`, `weak:K:PCT`, `hwerr:K:PCT`,
//! `short:D`, `sensor:S`, `wrongid:K`, `flaky:K`, `slowlink:K`, `hot:K`, `noise:PPM`,
//! `picstall` (the board's PIC ignores heartbeats and switches its DC-DC off), and the field
//! faults of issue S2 3/7, each from its physical mechanism:
//! - `hotfail:K:TEMP`: chip K's cores stop above TEMP °C (a marginal die or a cracked joint that
//!   opens when warm), at the temperature the board's heat model gives at chip K;
//! - `sag:D:MV`: domain D draws more than its share while hashing (a leaky chip or capacitor):
//!   it drops about MV under load, the other domains of the stack rise; below 85 % of nominal
//!   its chips brown out and stop hashing;
//! - `warmsag:D:MV`: the same leak growing with heat (a part's leakage rises with its
//!   temperature): nothing below 45 °C at the domain's first chip, the full MV from 60 °C [I],
//!   so a short run on a cool board passes and only a warm one (soak, aging) sees the sag; its
//!   chips keep hashing;
//! - `baudnoise:PPM`: reflections on a long cable: bytes from the chain are lost or flipped only
//!   above 115200 baud; `txnoise:PPM`: the same on the host-to-chip line at any baud (a chip
//!   drops a frame whose CRC fails);
//! - `break-ci:K`, `break-ro:K`, `break-clk:K`, `break-rst:K`: one signal line open after chip K.
//!   CI: the chips beyond hear nothing (powered and clocked, idle); RO: they hear, are
//!   addressed and hash, but their replies are lost (the board draws full current); CLK: they
//!   have no clock (no UART, no hashing, little current); RST: held in reset through the
//!   open input's pull-down [I] (nothing runs, little current);
//! - `joint:K:PPM`: a bad joint at chip K's relay: bytes relayed through it are lost or flipped
//!   (replies from chip K and beyond, frames to the chips beyond K);
//! - `wrongpart:K`: a part that reports the right ID but hashes differently: every result it
//!   returns is wrong for the work sent;
//! - `rostuck:K`: chip K holds its return line low: the line at the jig is held (a UART break),
//!   no reply gets through and the chain finds 0 chips;
//! - `dupaddr:K`: chip K takes its set-address but keeps forwarding it (the first chip without an
//!   address is meant to stop it: facts §7 step 6, SKOT `bm1397.md` "Enumerate Chips"), so chip
//!   K+1 takes the same address; every chip after it is one address behind and the last address
//!   is left to nobody;
//! - `ro1v8:M`: not a fault but the technician's hand: the RO test point between chips M-1 and
//!   M shorted to 1V8 (Bitmain's halving, facts §6.1 step 4). Chip M-1's return input is held
//!   idle: no reply from chip M on gets through, and a chip after the short holding its RO low
//!   no longer holds the line at the jig;
//! - `margin:K:PCT`: chip K's logic misses timing above PCT % of the profile's hash clock (a
//!   slow die, or one whose core supply sags under it): above that every result it returns is
//!   wrong; at or below it hashes right. The limit follows the board supply (proportional to
//!   it below the profile's stack voltage [I]), so the ladder's supply steps find it too.
//!
//! Chain index K, domain D and sensor S are 0-based.

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
    /// Chip K overheats: its heatsink lost contact, so the board around it heats with the
    /// power it draws (about three times as much hashing as idle), over seconds, and cools the
    /// same way when it draws less.
    Hot(usize),
    /// Line noise on the chain's receive line: each byte has a PPM-in-a-million chance of a
    /// flipped bit and the same chance of being lost (a long or poorly shielded ribbon cable).
    Noise(u32),
    /// The board's PIC takes no heartbeat and switches its DC-DC off.
    PicStall,
    /// Chip K's cores stop above this temperature, °C.
    HotFail(usize, u8),
    /// Domain D drops about this many mV while hashing.
    Sag(usize, u32),
    /// Domain D drops up to this many mV while hashing, only once the board is warm.
    WarmSag(usize, u32),
    /// Bytes from the chain lost or flipped (ppm each), only above 115200 baud.
    BaudNoise(u32),
    /// Bytes to the chain flipped (ppm each).
    TxNoise(u32),
    /// One signal line open after chip K.
    Open(Line, usize),
    /// A bad joint at chip K corrupting what it relays (ppm a byte).
    Joint(usize, u32),
    /// Chip K hashes differently from the family: every result is wrong.
    WrongPart(usize),
    /// Chip K holds the return line low.
    RoStuck(usize),
    /// Chip K forwards the set-address it took: chip K+1 takes the same address.
    DupAddr(usize),
    /// Chip K computes wrong above this percentage of the profile's hash clock.
    Margin(usize, u8),
    /// Not a fault: the technician's short of the RO test point between chips M-1 and M to 1V8
    /// (a step of the guided halving).
    RoShort(usize),
}

/// A signal line of the chain (facts §6.2: CLK, CI/CO, RI/RO, RST run chip to chip).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Line {
    /// Command in (host to chips).
    Ci,
    /// Reply out (chips to host).
    Ro,
    /// Clock.
    Clk,
    /// Reset.
    Rst,
}

impl Line {
    fn name(self) -> &'static str {
        match self {
            Self::Ci => "ci",
            Self::Ro => "ro",
            Self::Clk => "clk",
            Self::Rst => "rst",
        }
    }
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

const KINDS: &str = "dead:K, break:K, weak:K:PCT, hwerr:K:PCT, short:D, sensor:S, wrongid:K, flaky:K, slowlink:K, hot:K, noise:PPM, picstall, hotfail:K:TEMP, sag:D:MV, warmsag:D:MV, baudnoise:PPM, txnoise:PPM, break-ci:K, break-ro:K, break-clk:K, break-rst:K, joint:K:PPM, wrongpart:K, rostuck:K, dupaddr:K, margin:K:PCT, ro1v8:M (the halving's short, not a fault)";

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
        let ppm = |i: usize| -> Result<u32, FaultError> {
            let ppm = number(i, "bytes in a million")?;
            if !(1..=100_000).contains(&ppm) {
                return Err(err(format!("{ppm} ppm is not between 1 and 100000")));
            }
            Ok(ppm as u32)
        };
        let domain = |i: usize| -> Result<usize, FaultError> {
            let d = number(i, "domain index")?;
            if d >= profile.domains.value {
                return Err(err(format!(
                    "domain {d} does not exist: {} has domains 0..{}",
                    profile.id,
                    profile.domains.value - 1
                )));
            }
            Ok(d)
        };
        let kind = parts.first().copied().unwrap_or_default();
        let fault = match kind {
            "hotfail" => {
                arity(3)?;
                let k = chip(1)?;
                let t = number(2, "temperature")?;
                if !(0..=150).contains(&t) {
                    return Err(err(format!("temperature {t} °C is not between 0 and 150")));
                }
                Self::HotFail(k, t as u8)
            }
            "sag" | "warmsag" => {
                arity(3)?;
                let d = domain(1)?;
                let mv = number(2, "millivolts")?;
                let nominal = profile.voltage.nominal_mv.value as usize;
                if mv == 0 || mv >= nominal {
                    return Err(err(format!(
                        "a sag of {mv} mV is not between 1 and the domain's {nominal} mV"
                    )));
                }
                if kind == "sag" {
                    Self::Sag(d, mv as u32)
                } else {
                    Self::WarmSag(d, mv as u32)
                }
            }
            "baudnoise" | "txnoise" => {
                arity(2)?;
                let p = ppm(1)?;
                if kind == "baudnoise" {
                    Self::BaudNoise(p)
                } else {
                    Self::TxNoise(p)
                }
            }
            "break-ci" | "break-ro" | "break-clk" | "break-rst" => {
                arity(2)?;
                let k = chip(1)?;
                if k + 1 >= chips {
                    return Err(err(format!(
                        "nothing is after chip {k}: a line open after the last chip changes nothing"
                    )));
                }
                let line = match kind {
                    "break-ci" => Line::Ci,
                    "break-ro" => Line::Ro,
                    "break-clk" => Line::Clk,
                    _ => Line::Rst,
                };
                Self::Open(line, k)
            }
            "joint" => {
                arity(3)?;
                Self::Joint(chip(1)?, ppm(2)?)
            }
            "wrongpart" | "rostuck" => {
                arity(2)?;
                let k = chip(1)?;
                if kind == "wrongpart" {
                    Self::WrongPart(k)
                } else {
                    Self::RoStuck(k)
                }
            }
            "ro1v8" => {
                arity(2)?;
                let m = chip(1)?;
                if m == 0 {
                    return Err(err(
                        "the RO test point before chip 0 is the jig's own input: short between chips M-1 and M, M from 1"
                            .to_owned(),
                    ));
                }
                Self::RoShort(m)
            }
            "margin" => {
                arity(3)?;
                let k = chip(1)?;
                let pct = number(2, "percentage")?;
                if !(50..=200).contains(&pct) {
                    return Err(err(format!(
                        "a clock limit of {pct} % of the profile's frequency is not between 50 and 200"
                    )));
                }
                Self::Margin(k, pct as u8)
            }
            "dupaddr" => {
                arity(2)?;
                let k = chip(1)?;
                if k + 1 >= profile.chips.value {
                    return Err(err(format!(
                        "no chip is after chip {k} to take its address twice"
                    )));
                }
                Self::DupAddr(k)
            }
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
            Self::HotFail(k, t) => write!(f, "hotfail:{k}:{t}"),
            Self::Sag(d, mv) => write!(f, "sag:{d}:{mv}"),
            Self::WarmSag(d, mv) => write!(f, "warmsag:{d}:{mv}"),
            Self::BaudNoise(p) => write!(f, "baudnoise:{p}"),
            Self::TxNoise(p) => write!(f, "txnoise:{p}"),
            Self::Open(line, k) => write!(f, "break-{}:{k}", line.name()),
            Self::Joint(k, p) => write!(f, "joint:{k}:{p}"),
            Self::WrongPart(k) => write!(f, "wrongpart:{k}"),
            Self::RoStuck(k) => write!(f, "rostuck:{k}"),
            Self::RoShort(m) => write!(f, "ro1v8:{m}"),
            Self::DupAddr(k) => write!(f, "dupaddr:{k}"),
            Self::Margin(k, pct) => write!(f, "margin:{k}:{pct}"),
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
            "hotfail:40:30",
            "sag:3:60",
            "warmsag:3:60",
            "baudnoise:3000",
            "txnoise:300",
            "break-ci:10",
            "break-ro:10",
            "break-clk:10",
            "break-rst:10",
            "joint:50:5000",
            "wrongpart:7",
            "rostuck:90",
            "dupaddr:30",
            "margin:12:105",
            "ro1v8:63",
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
        assert!(problem("break-ro:125").contains("nothing is after chip 125"));
        assert!(problem("sag:0:5000").contains("is not between 1 and"));
        assert!(problem("dupaddr:125").contains("no chip is after chip 125"));
        assert!(problem("ro1v8:0").contains("the jig's own input"));
    }
}
