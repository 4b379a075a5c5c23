//! The board's PIC (the DC-DC controller of S9, S17+, S19 and S19 Pro boards) checked on the
//! technician's request: started as the fixture starts it, its voltage code set and read back,
//! and the jig's heartbeats to it counted over a few seconds (bmminer-mix `set_pic_voltage`,
//! `get_pic_voltage`, `pic_heart_beat_each_chain`).

use boards::Profile;

use crate::jig::{Jig, JigError, PicCommand};

/// How long the heartbeats are watched at least, µs: the jig sends one a second once the PIC
/// runs.
const WATCH_US: u64 = 3_000_000;

/// The longest single wait, µs (well inside the jig's default host lease).
const STEP_US: u64 = 200_000;

/// What the PIC said.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PicStatus {
    /// Software version (`None`: it did not answer).
    pub version: Option<u8>,
    /// The voltage code it holds, read back after any set.
    pub voltage_code: Option<u8>,
    /// Heartbeats the jig sent it while watched, and those it did not acknowledge.
    pub heartbeats: u32,
    /// See `heartbeats`.
    pub heartbeats_missed: u32,
    /// How long they were watched, ms.
    pub watched_ms: u32,
}

impl PicStatus {
    /// One line for the window and the log.
    pub fn describe(&self) -> String {
        let hex = |v: Option<u8>| v.map_or_else(|| "no answer".to_owned(), |v| format!("{v:#04X}"));
        format!(
            "PIC version {}, voltage code {}; heartbeats {} sent in {:.1} s, {} not acknowledged",
            hex(self.version),
            hex(self.voltage_code),
            self.heartbeats,
            f64::from(self.watched_ms) / 1000.0,
            self.heartbeats_missed
        )
    }
}

/// Start the PIC of the powered board on `jig`, set `code` when given (else the profile's), read
/// the code back and watch the heartbeats. `None` when the profile has no PIC.
pub fn check(
    jig: &mut dyn Jig,
    profile: &Profile,
    code: Option<u8>,
) -> Result<Option<PicStatus>, JigError> {
    let Some(pic) = &profile.pic else {
        return Ok(None);
    };
    let address = pic.address.value;
    let version = crate::engine::start_pic(jig, profile)?;
    if let Some(code) = code {
        jig.pic(address, PicCommand::SetVoltage(code))?;
    }
    let voltage_code = match jig.pic(address, PicCommand::GetVoltage) {
        Ok(v) => v,
        Err(JigError::NoDevice(_)) => None,
        Err(e) => return Err(e),
    };
    let before = jig.stats()?.unwrap_or_default();
    let start = jig.now_us()?;
    // In steps: every request renews the jig's host lease (a silent host loses the board).
    let mut now = start;
    while now < start + WATCH_US {
        now = (now + STEP_US).min(start + WATCH_US);
        jig.wait_until(now, &mut Vec::new())?;
    }
    let after = jig.stats()?.unwrap_or_default();
    let watched_us = jig.now_us()?.saturating_sub(start);
    Ok(Some(PicStatus {
        version,
        voltage_code,
        heartbeats: after.pic_heartbeats.saturating_sub(before.pic_heartbeats),
        heartbeats_missed: after
            .pic_heartbeats_missed
            .saturating_sub(before.pic_heartbeats_missed),
        watched_ms: u32::try_from(watched_us / 1000).unwrap_or(u32::MAX),
    }))
}
