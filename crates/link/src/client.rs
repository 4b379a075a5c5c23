//! The jig-wire client.

use std::time::{Duration, Instant};

use diagnosis::jig::{Jig, JigError, JigInfo, Received, SensorRef, Telemetry, Trip};
use jig_wire::frame::{Decoder, MAX_FRAME};
use jig_wire::{
    AsicI2cPath, DeviceError, EEPROM_PAGE, Event, HostFrame, JigFrame, PROTOCOL_VERSION, Request,
    Response, SensorAddress, TripReason,
};

/// The board EEPROM's write cycle, waited out after every page, µs (AT24C02 t_WR: 5 ms).
const EEPROM_WRITE_US: u64 = 6_000;

/// A byte stream to a jig.
pub trait Transport {
    /// Write all of `bytes`.
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<()>;
    /// Read what is available, waiting at most `timeout`; `Ok(0)` when nothing came.
    fn read(&mut self, buf: &mut [u8], timeout: Duration) -> std::io::Result<usize>;
}

/// An owned copy of a response.
#[derive(Debug, Clone, PartialEq)]
enum Answer {
    Hello {
        protocol: u16,
        firmware: String,
        max_baud: u32,
        simulated: bool,
    },
    Ok,
    Synced(u64),
    Telemetry(jig_wire::Telemetry),
    Temperature(i32),
    Bytes(Vec<u8>),
    Error(DeviceError),
    Stats(jig_wire::JigStats),
    Queued(u64),
    Calibrated(Calibration),
}

/// What a calibration scan found (`Client::calibrate`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Calibration {
    /// Taps that read within 5 % of the reference.
    pub taps: u8,
    /// Their largest error without correction, mV.
    pub worst_raw_mv: u32,
    /// Their largest error with the corrections in force during the scan, mV.
    pub worst_corrected_mv: u32,
}

impl From<&Response<'_>> for Answer {
    fn from(r: &Response<'_>) -> Self {
        match r {
            Response::Hello {
                protocol,
                firmware,
                max_baud,
                simulated,
            } => Self::Hello {
                protocol: *protocol,
                firmware: (*firmware).to_owned(),
                max_baud: *max_baud,
                simulated: *simulated,
            },
            Response::Ok => Self::Ok,
            Response::Synced { now_us } => Self::Synced(*now_us),
            Response::Telemetry(t) => Self::Telemetry(t.clone()),
            Response::Temperature { centi_c } => Self::Temperature(*centi_c),
            Response::Bytes(b) => Self::Bytes(b.to_vec()),
            Response::Error(e) => Self::Error(*e),
            Response::Stats(s) => Self::Stats(*s),
            Response::Queued { starts_us } => Self::Queued(*starts_us),
            Response::Calibrated {
                taps,
                worst_raw_mv,
                worst_corrected_mv,
            } => Self::Calibrated(Calibration {
                taps: *taps,
                worst_raw_mv: *worst_raw_mv,
                worst_corrected_mv: *worst_corrected_mv,
            }),
        }
    }
}

/// Counters of the link.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LinkStats {
    /// Frames dropped by the decoder (bad CRC, garbage).
    pub dropped_frames: u32,
    /// Frames that decoded to no message of this protocol.
    pub unknown_frames: u32,
    /// Chain bytes the jig lost (its overflow reports).
    pub jig_overflow_bytes: u32,
}

/// The host side of a jig connection.
#[derive(Debug)]
pub struct Client<T> {
    transport: T,
    decoder: Decoder,
    next_id: u16,
    timeout: Duration,
    pending_rx: Vec<Received>,
    info: Option<JigInfo>,
    trip: Option<(TripReason, u64)>,
    unplugged: bool,
    /// Counters.
    pub stats: LinkStats,
    now_us: u64,
}

fn trip_of(reason: TripReason) -> Trip {
    match reason {
        TripReason::LeaseExpired => Trip::LeaseExpired,
        TripReason::OverCurrent => Trip::OverCurrent,
        TripReason::OverTemperature => Trip::OverTemperature,
        TripReason::UnderVoltage => Trip::UnderVoltage,
        TripReason::SensorFailed => Trip::SensorFailed,
        TripReason::Unplugged => Trip::Unplugged,
    }
}

fn io(e: &std::io::Error) -> JigError {
    JigError::Disconnected(e.to_string())
}

fn device(e: DeviceError) -> JigError {
    match e {
        DeviceError::NoDevice => JigError::NoDevice("the device did not answer".into()),
        DeviceError::VersionMismatch { jig } => JigError::Protocol(format!(
            "the jig speaks protocol {jig}, this app speaks {PROTOCOL_VERSION}: update the jig firmware (hashbench flash) or the app"
        )),
        DeviceError::OutOfRange => JigError::Refused("value out of range".into()),
        DeviceError::Tripped => JigError::Refused("a safety trip is latched".into()),
        DeviceError::BadRequest => JigError::Protocol("the jig could not parse a request".into()),
        DeviceError::Busy => JigError::Refused(
            "the jig is busy (its transmit buffer is full, or the board EEPROM is still storing a page)"
                .into(),
        ),
    }
}

impl<T: Transport> Client<T> {
    /// Connect: handshake and check the protocol version. `timeout` bounds every answer.
    pub fn connect(transport: T, timeout: Duration) -> Result<Self, JigError> {
        let mut client = Self {
            transport,
            decoder: Decoder::new(),
            next_id: 0,
            timeout,
            pending_rx: Vec::new(),
            info: None,
            trip: None,
            unplugged: false,
            stats: LinkStats::default(),
            now_us: 0,
        };
        match client.request(Request::Hello {
            protocol: PROTOCOL_VERSION,
        })? {
            Answer::Hello {
                protocol,
                firmware,
                max_baud,
                simulated,
            } => {
                if protocol != PROTOCOL_VERSION {
                    return Err(device(DeviceError::VersionMismatch { jig: protocol }));
                }
                client.info = Some(JigInfo {
                    firmware,
                    protocol,
                    max_baud,
                    simulated,
                });
            }
            other => {
                return Err(JigError::Protocol(format!(
                    "expected a Hello answer, got {other:?}"
                )));
            }
        }
        // Learn the jig's clock: it has run since the jig powered on, so a wait "200 ms from
        // now" measured from 0 would return at once.
        match client.request(Request::Sync { until_us: 0 })? {
            Answer::Synced(now) => client.now_us = now,
            other => {
                return Err(JigError::Protocol(format!(
                    "expected Synced, got {other:?}"
                )));
            }
        }
        client.pending_rx.clear();
        Ok(client)
    }

    /// Scan every tap against `reference_mv` on the calibration plug (board off); with `store`,
    /// keep the new corrections in the jig's EEPROM.
    pub fn calibrate(&mut self, reference_mv: u32, store: bool) -> Result<Calibration, JigError> {
        match self.request(Request::Calibrate {
            reference_mv,
            store,
        })? {
            Answer::Calibrated(c) => Ok(c),
            other => Err(JigError::Protocol(format!(
                "expected Calibrated, got {other:?}"
            ))),
        }
    }

    /// Set the APW12 supply's output voltage, mV (11,777 to 15,092).
    pub fn set_supply_voltage(&mut self, mv: u32) -> Result<(), JigError> {
        self.expect_ok(Request::SupplyVoltage { mv })
    }

    /// Set a Bitaxe's core rail through its regulator, mV.
    pub fn set_core_voltage(
        &mut self,
        regulator: jig_wire::CoreRegulator,
        mv: u32,
    ) -> Result<(), JigError> {
        self.expect_ok(Request::CoreVoltage { regulator, mv })
    }

    /// The transport.
    pub fn transport(&mut self) -> &mut T {
        &mut self.transport
    }

    /// Close the session and give the transport back (to open a new session on it).
    #[must_use]
    pub fn into_transport(self) -> T {
        self.transport
    }

    /// The safety trip the jig reported, if any: (reason, jig time µs).
    #[must_use]
    pub fn trip(&self) -> Option<(TripReason, u64)> {
        self.trip
    }

    fn handle_event(&mut self, event: &Event<'_>) {
        match event {
            Event::AsicRx { at_us, bytes } => self.pending_rx.push(Received {
                at_us: *at_us,
                bytes: bytes.to_vec(),
            }),
            Event::Trip { reason, at_us } => self.trip = Some((*reason, *at_us)),
            Event::Plug { present } => self.unplugged = !present,
            Event::Overflow { dropped } => self.stats.jig_overflow_bytes += dropped,
        }
    }

    /// Send `request` and wait for its answer, handling events meanwhile.
    fn request(&mut self, request: Request<'_>) -> Result<Answer, JigError> {
        if let Some((reason, _)) = self.trip
            && !matches!(
                request,
                Request::Hello { .. }
                    | Request::SetPower { .. }
                    | Request::ClearTrip
                    | Request::Stats
                    | Request::Sync { .. }
            )
        {
            return Err(JigError::Tripped(trip_of(reason)));
        }
        self.next_id = self.next_id.wrapping_add(1);
        let id = self.next_id;
        let mut buf = [0u8; MAX_FRAME];
        let n = jig_wire::encode(&HostFrame { id, request }, &mut buf)
            .map_err(|e| JigError::Protocol(e.to_string()))?;
        self.transport
            .write(buf.get(..n).unwrap_or_default())
            .map_err(|e| io(&e))?;
        let deadline = Instant::now() + self.timeout;
        let mut chunk = [0u8; 4096];
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(JigError::Timeout {
                    after_ms: self.timeout.as_millis() as u64,
                });
            }
            let got = self.transport.read(&mut chunk, left).map_err(|e| io(&e))?;
            let mut answer = None;
            let mut frames: Vec<Vec<u8>> = Vec::new();
            let mut dropped = 0;
            self.decoder
                .feed(chunk.get(..got).unwrap_or_default(), |r| match r {
                    Ok(payload) => frames.push(payload.to_vec()),
                    Err(_) => dropped += 1,
                });
            self.stats.dropped_frames += dropped;
            for payload in frames {
                match jig_wire::decode::<JigFrame<'_>>(&payload) {
                    Ok(JigFrame::Response {
                        id: got_id,
                        response,
                    }) if got_id == id => answer = Some(Answer::from(&response)),
                    Ok(JigFrame::Response { .. }) => {}
                    Ok(JigFrame::Event(event)) => self.handle_event(&event),
                    Err(_) => self.stats.unknown_frames += 1,
                }
            }
            if let Some(answer) = answer {
                return match answer {
                    Answer::Error(e) => Err(device(e)),
                    other => Ok(other),
                };
            }
        }
    }

    /// Wait until the jig's clock reads `until_us` (at once when it already does); returns the
    /// jig's clock then. Chain bytes meanwhile stay pending for the next `wait_until`.
    fn sync_to(&mut self, until_us: u64) -> Result<u64, JigError> {
        match self.request(Request::Sync { until_us })? {
            Answer::Synced(jig_now) => {
                self.now_us = self.now_us.max(until_us).max(jig_now);
                Ok(jig_now)
            }
            other => Err(JigError::Protocol(format!(
                "expected Synced, got {other:?}"
            ))),
        }
    }

    fn expect_ok(&mut self, request: Request<'_>) -> Result<(), JigError> {
        match self.request(request)? {
            Answer::Ok => Ok(()),
            other => Err(JigError::Protocol(format!("expected Ok, got {other:?}"))),
        }
    }
}

impl<T: Transport> Jig for Client<T> {
    fn set_supply_mv(&mut self, mv: u32) -> Result<(), JigError> {
        self.set_supply_voltage(mv)
    }

    fn info(&mut self) -> Result<JigInfo, JigError> {
        self.info
            .clone()
            .ok_or_else(|| JigError::Protocol("no handshake yet".into()))
    }

    fn now_us(&mut self) -> Result<u64, JigError> {
        Ok(self.now_us)
    }

    fn set_power(&mut self, on: bool) -> Result<(), JigError> {
        // A latched trip stays until `clear_trip`: the jig refuses to switch on before.
        self.expect_ok(Request::SetPower { on })
    }

    fn clear_trip(&mut self) -> Result<(), JigError> {
        self.expect_ok(Request::ClearTrip)?;
        self.trip = None;
        Ok(())
    }

    fn pic(
        &mut self,
        address: u8,
        command: diagnosis::jig::PicCommand,
    ) -> Result<Option<u8>, JigError> {
        use diagnosis::jig::PicCommand as C;
        let op = match command {
            C::Reset => jig_wire::PicOp::Reset,
            C::JumpToApp => jig_wire::PicOp::JumpToApp,
            C::Version => jig_wire::PicOp::Version,
            C::SetVoltage(code) => jig_wire::PicOp::SetVoltage { code },
            C::EnableDcDc(on) => jig_wire::PicOp::EnableDcDc { on },
            C::Heartbeat(every_ms) => jig_wire::PicOp::Heartbeat { every_ms },
            C::GetVoltage => jig_wire::PicOp::GetVoltage,
        };
        match self.request(Request::Pic { address, op })? {
            Answer::Ok => Ok(None),
            Answer::Bytes(b) => Ok(b.first().copied()),
            other => Err(JigError::Protocol(format!(
                "expected Ok or Bytes, got {other:?}"
            ))),
        }
    }

    fn stats(&mut self) -> Result<Option<diagnosis::jig::JigStats>, JigError> {
        match self.request(Request::Stats)? {
            Answer::Stats(s) => Ok(Some(diagnosis::jig::JigStats {
                worst_loop_gap_us: s.worst_loop_gap_us,
                rx_dropped_bytes: s.rx_dropped_bytes,
                uart_errors: s.uart_errors,
                usb_dropped: s.usb_dropped,
                pic_heartbeats: s.pic_heartbeats,
                pic_heartbeats_missed: s.pic_heartbeats_missed,
            })),
            other => Err(JigError::Protocol(format!("expected Stats, got {other:?}"))),
        }
    }

    fn set_reset(&mut self, asserted: bool) -> Result<(), JigError> {
        self.expect_ok(Request::SetReset { asserted })
    }

    fn set_baud(&mut self, baud: u32) -> Result<(), JigError> {
        self.expect_ok(Request::SetBaud { baud })
    }

    fn send(&mut self, bytes: &[u8]) -> Result<Option<u64>, JigError> {
        let mut first = None;
        for chunk in bytes.chunks(jig_wire::MAX_ASIC_BYTES) {
            match self.request(Request::AsicSend { bytes: chunk })? {
                Answer::Queued(t) => {
                    first.get_or_insert(t);
                }
                other => {
                    return Err(JigError::Protocol(format!(
                        "expected Queued, got {other:?}"
                    )));
                }
            }
        }
        Ok(first)
    }

    fn wait_until(&mut self, t_us: u64, received: &mut Vec<Received>) -> Result<(), JigError> {
        match self.request(Request::Sync { until_us: t_us })? {
            Answer::Synced(jig_now) => {
                // The jig answers once its clock passed `t_us`; a real jig may be a little later.
                self.now_us = self.now_us.max(t_us).max(jig_now);
                received.append(&mut self.pending_rx);
                if self.unplugged {
                    return Err(JigError::Disconnected(
                        "the board was unplugged from the jig".into(),
                    ));
                }
                match self.trip {
                    Some((reason, _)) => Err(JigError::Tripped(trip_of(reason))),
                    None => Ok(()),
                }
            }
            other => Err(JigError::Protocol(format!(
                "expected Synced, got {other:?}"
            ))),
        }
    }

    fn measure(&mut self) -> Result<Telemetry, JigError> {
        match self.request(Request::Measure { taps: 0 })? {
            Answer::Telemetry(t) => Ok(Telemetry {
                at_us: t.at_us,
                taps_mv: t.taps_mv.iter().map(|&v| u32::from(v)).collect(),
                input_mv: t.input_mv,
                input_ma: t.input_ma,
            }),
            other => Err(JigError::Protocol(format!(
                "expected Telemetry, got {other:?}"
            ))),
        }
    }

    fn read_temperature(&mut self, sensor: &SensorRef) -> Result<f32, JigError> {
        let address = SensorAddress {
            kind: sensor_kind_code(sensor.kind),
            i2c_address: sensor.i2c_address,
            via_chip: sensor.via_chip_address,
        };
        let request = match &sensor.path {
            Some(path) => Request::ReadAsicSensor {
                sensor: address,
                path: AsicI2cPath {
                    start: frame_bytes(&path.start)?,
                    poll: frame_bytes(&path.poll)?,
                    chip: path.chip,
                    device: path.device,
                    command_register: path.command_register,
                    device_register: path.device_register,
                    reply_len: path.reply_len,
                },
            },
            None => Request::ReadTemperature { sensor: address },
        };
        match self.request(request)? {
            Answer::Temperature(centi) => Ok(centi as f32 / 100.0),
            other => Err(JigError::Protocol(format!(
                "expected a temperature, got {other:?}"
            ))),
        }
    }

    fn read_eeprom(&mut self, offset: u8, len: u8) -> Result<Vec<u8>, JigError> {
        match self.request(Request::ReadEeprom { offset, len })? {
            Answer::Bytes(b) => Ok(b),
            other => Err(JigError::Protocol(format!("expected bytes, got {other:?}"))),
        }
    }

    fn write_eeprom(&mut self, offset: u8, bytes: &[u8]) -> Result<(), JigError> {
        let end = usize::from(offset) + bytes.len();
        if end > 256 {
            return Err(JigError::Refused(format!(
                "{} bytes from {offset:#04X} run past the EEPROM's 256",
                bytes.len()
            )));
        }
        let mut at = usize::from(offset);
        while at < end {
            // One page at a time, never across a page boundary (the part wraps inside a page).
            let page_end = (at / EEPROM_PAGE + 1) * EEPROM_PAGE;
            let chunk = bytes
                .get(at - usize::from(offset)..page_end.min(end) - usize::from(offset))
                .unwrap_or_default();
            self.expect_ok(Request::WriteEeprom {
                offset: at as u8,
                bytes: chunk,
            })?;
            // The part stores the page for up to t_WR and acknowledges nothing meanwhile: wait
            // that long from the jig's clock now (the host's copy of it may lag).
            let written_at = self.sync_to(0)?;
            self.sync_to(written_at + EEPROM_WRITE_US)?;
            at = page_end.min(end);
        }
        Ok(())
    }
}

/// The wire code of a sensor part (see `jig_wire::SensorAddress::kind`).
#[must_use]
pub fn sensor_kind_code(kind: boards::SensorKind) -> u8 {
    use boards::SensorKind as K;
    match kind {
        K::Lm75a => 0,
        K::Tmp75 => 1,
        K::Tmp451 => 2,
        K::Nct218 => 3,
        K::Emc2101 => 4,
        K::Tmp1075 => 5,
        K::AsicDiode => 6,
    }
}

/// A chain frame for an [`AsicI2cPath`]: at most `jig_wire::MAX_PATH_FRAME` bytes.
fn frame_bytes(
    bytes: &[u8],
) -> Result<jig_wire::heapless::Vec<u8, { jig_wire::MAX_PATH_FRAME }>, JigError> {
    jig_wire::heapless::Vec::from_slice(bytes).map_err(|_| {
        JigError::Protocol(format!(
            "a {}-byte chain frame does not fit a sensor path ({} at most)",
            bytes.len(),
            jig_wire::MAX_PATH_FRAME
        ))
    })
}
