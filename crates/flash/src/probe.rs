//! Flashing through a debug probe with probe-rs. Enumeration runs on its own thread and is
//! given up after a deadline: on a machine without a USB bus it was seen to hang.

use std::time::Duration;

use crate::{FirmwareImage, FlashError};

/// A connected debug probe.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProbeInfo {
    /// Product name.
    pub name: String,
    /// Serial number, to choose it.
    pub serial: Option<String>,
    /// USB vendor id.
    pub vendor_id: u16,
    /// USB product id.
    pub product_id: u16,
}

impl std::fmt::Display for ProbeInfo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} [{:04x}:{:04x}] serial {}",
            self.name,
            self.vendor_id,
            self.product_id,
            self.serial.as_deref().unwrap_or("(none)")
        )
    }
}

/// How far flashing is.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Progress {
    /// erase, program, verify (or fill).
    pub stage: &'static str,
    /// 0..=1 within the stage.
    pub fraction: f32,
}

#[cfg(feature = "probe")]
mod real {
    use std::sync::mpsc;
    use std::time::Duration;

    use probe_rs::flashing::{DownloadOptions, FlashProgress, ProgressEvent, ProgressOperation};
    use probe_rs::probe::list::Lister;
    use probe_rs::{Permissions, probe::DebugProbeInfo};

    use super::{ProbeInfo, Progress};
    use crate::{FirmwareImage, FlashError};

    fn info(p: &DebugProbeInfo) -> ProbeInfo {
        ProbeInfo {
            name: p.identifier.clone(),
            serial: p.serial_number.clone(),
            vendor_id: p.vendor_id,
            product_id: p.product_id,
        }
    }

    fn list_raw(timeout: Duration) -> Result<Vec<DebugProbeInfo>, FlashError> {
        let (tx, rx) = mpsc::channel();
        std::thread::Builder::new()
            .name("probe-list".into())
            .spawn(move || {
                let _ = tx.send(Lister::new().list_all());
            })
            .map_err(|e| FlashError::Flashing(format!("could not start probe listing: {e}")))?;
        // On a timeout the listing thread is left to finish (or hang) on its own.
        rx.recv_timeout(timeout)
            .map_err(|_| FlashError::ProbeListTimeout(timeout.as_secs().max(1)))
    }

    /// The debug probes connected, within `timeout`. No probe is an empty list.
    pub(super) fn list_probes(timeout: Duration) -> Result<Vec<ProbeInfo>, FlashError> {
        Ok(list_raw(timeout)?.iter().map(info).collect())
    }

    fn stage(op: ProgressOperation) -> &'static str {
        match op {
            ProgressOperation::Fill => "reading back",
            ProgressOperation::Erase => "erasing",
            ProgressOperation::Program => "programming",
            ProgressOperation::Verify => "verifying",
        }
    }

    /// Flash `image` to the RP2040 behind the probe with `serial` (or the only probe), verify it
    /// and reset the chip so it starts.
    pub(super) fn flash_with_probe(
        serial: Option<&str>,
        image: &FirmwareImage,
        timeout: Duration,
        progress: &mut dyn FnMut(Progress),
    ) -> Result<(), FlashError> {
        let probes = list_raw(timeout)?;
        let chosen = match serial {
            Some(s) => probes
                .iter()
                .find(|p| p.serial_number.as_deref() == Some(s))
                .ok_or_else(|| FlashError::ProbeNotFound(s.to_owned()))?,
            None => match probes.as_slice() {
                [] => return Err(FlashError::NoProbe),
                [one] => one,
                many => {
                    let names: Vec<String> = many.iter().map(|p| info(p).to_string()).collect();
                    return Err(FlashError::SeveralProbes(names.join("; ")));
                }
            },
        };
        let probe = chosen.open().map_err(|e| FlashError::ProbeBusy {
            probe: info(chosen).to_string(),
            detail: e.to_string(),
        })?;
        let mut session = probe
            .attach("RP2040", Permissions::default())
            .map_err(|e| FlashError::WrongChip(e.to_string()))?;
        let mut loader = session.target().flash_loader();
        for segment in &image.segments {
            loader
                .add_data(u64::from(segment.address), &segment.data)
                .map_err(|e| FlashError::Flashing(e.to_string()))?;
        }
        let mut totals: [u64; 4] = [0; 4];
        let mut done: [u64; 4] = [0; 4];
        let index = |op: ProgressOperation| match op {
            ProgressOperation::Fill => 0,
            ProgressOperation::Erase => 1,
            ProgressOperation::Program => 2,
            ProgressOperation::Verify => 3,
        };
        let mut options = DownloadOptions::default();
        options.verify = true;
        options.progress = FlashProgress::new(|event| match event {
            ProgressEvent::AddProgressBar {
                operation,
                total: Some(total),
            } => {
                if let Some(t) = totals.get_mut(index(operation)) {
                    *t = total;
                }
            }
            ProgressEvent::Progress {
                operation, size, ..
            } => {
                let i = index(operation);
                if let (Some(d), Some(t)) = (done.get_mut(i), totals.get(i)) {
                    *d += size;
                    progress(Progress {
                        stage: stage(operation),
                        fraction: if *t == 0 {
                            0.0
                        } else {
                            (*d as f32 / *t as f32).min(1.0)
                        },
                    });
                }
            }
            ProgressEvent::Finished(operation) => progress(Progress {
                stage: stage(operation),
                fraction: 1.0,
            }),
            _ => {}
        });
        loader
            .commit(&mut session, options)
            .map_err(|e| FlashError::Flashing(e.to_string()))?;
        session
            .core(0)
            .and_then(|mut core| core.reset())
            .map_err(|e| {
                FlashError::Flashing(format!("flashed and verified, but the reset failed: {e}"))
            })?;
        Ok(())
    }
}

/// The debug probes connected, within `timeout`. No probe is an empty list.
pub fn list_probes(timeout: Duration) -> Result<Vec<ProbeInfo>, FlashError> {
    #[cfg(feature = "probe")]
    return real::list_probes(timeout);
    #[cfg(not(feature = "probe"))]
    {
        let _ = timeout;
        Err(FlashError::NoProbeSupport)
    }
}

/// Flash `image` to the RP2040 behind the probe with `serial` (or the only probe), verify it
/// and reset the chip so it starts.
pub fn flash_with_probe(
    serial: Option<&str>,
    image: &FirmwareImage,
    timeout: Duration,
    progress: &mut dyn FnMut(Progress),
) -> Result<(), FlashError> {
    #[cfg(feature = "probe")]
    return real::flash_with_probe(serial, image, timeout, progress);
    #[cfg(not(feature = "probe"))]
    {
        let _ = (serial, image, timeout, progress);
        Err(FlashError::NoProbeSupport)
    }
}
