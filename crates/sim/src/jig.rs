//! The simulated jig: the [`diagnosis::Jig`] seam in front of a simulated board, on a virtual
//! clock. It keeps the jig's side of the wire (its UART rate, transmit queue and receive line)
//! and hands the board bytes and measurement requests exactly as a real jig would.

use bm13xx::framer::{Direction, Framer, ReplyLen};
use diagnosis::jig::{Jig, JigError, JigInfo, Received, SensorRef, Telemetry};

use crate::board::{Board, Ns};
use crate::rng::Rng;

/// Fastest UART rate of the jig (RP2040 at 3.125 Mbaud, the BM136x factory rate).
pub const MAX_BAUD: u32 = 3_125_000;
/// Protocol version the simulated jig reports.
pub const PROTOCOL: u16 = 1;

/// A simulated jig with a board mounted.
#[derive(Debug)]
pub struct SimJig {
    board: Board,
    now: Ns,
    baud: u32,
    tx_free_at: Ns,
    tx_framer: Framer,
    delivered_upto: usize,
    /// Bytes the host sent to the chain.
    pub tx_bytes: u64,
    /// Bytes the chain sent to the host.
    pub rx_bytes: u64,
    noise: Rng,
}

impl SimJig {
    /// A jig with `board` mounted, power off, reset held.
    #[must_use]
    pub fn new(board: Board) -> Self {
        let family = board.family;
        Self {
            board,
            now: 0,
            baud: 115_200,
            tx_free_at: 0,
            tx_framer: Framer::new(family, Direction::FromHost, ReplyLen::Auto),
            delivered_upto: 0,
            tx_bytes: 0,
            rx_bytes: 0,
            noise: Rng::new(0x4A16),
        }
    }

    /// The virtual clock, ns.
    #[must_use]
    pub fn now_ns(&self) -> Ns {
        self.now
    }

    /// The board (for tests of the simulator itself; the engine never sees it).
    #[must_use]
    pub fn board(&self) -> &Board {
        &self.board
    }
}

impl Jig for SimJig {
    fn info(&mut self) -> Result<JigInfo, JigError> {
        Ok(JigInfo {
            firmware: format!("hashbench-sim {}", env!("CARGO_PKG_VERSION")),
            protocol: PROTOCOL,
            max_baud: MAX_BAUD,
            simulated: true,
        })
    }

    fn now_us(&mut self) -> Result<u64, JigError> {
        Ok(self.now / 1000)
    }

    fn set_power(&mut self, on: bool) -> Result<(), JigError> {
        self.board.set_power(on, self.now);
        Ok(())
    }

    fn set_reset(&mut self, asserted: bool) -> Result<(), JigError> {
        self.board.set_reset(asserted, self.now);
        Ok(())
    }

    fn set_baud(&mut self, baud: u32) -> Result<(), JigError> {
        if baud == 0 || baud > MAX_BAUD {
            return Err(JigError::Refused(format!(
                "{baud} baud is outside 1..={MAX_BAUD}"
            )));
        }
        // Bytes already queued go out at the old rate.
        self.baud = baud;
        Ok(())
    }

    fn send(&mut self, bytes: &[u8]) -> Result<(), JigError> {
        let start = self.now.max(self.tx_free_at);
        let duration = (bytes.len() as f64 * 10.0 * 1e9 / f64::from(self.baud)) as Ns;
        self.board
            .host_bytes(bytes, start, self.baud, &mut self.tx_framer);
        self.tx_free_at = start + duration;
        self.tx_bytes += bytes.len() as u64;
        Ok(())
    }

    fn wait_until(&mut self, t_us: u64, received: &mut Vec<Received>) -> Result<(), JigError> {
        let until = (t_us * 1000).max(self.now);
        self.board.advance(until);
        self.now = until;
        // Hand over every reply fully received by now, in arrival order.
        let delivered = &self.board.delivered;
        while let Some((start, end, bytes)) = delivered.get(self.delivered_upto) {
            if *end > until {
                break;
            }
            self.rx_bytes += bytes.len() as u64;
            if self.board.chain_baud == self.baud {
                received.push(Received {
                    at_us: start / 1000,
                    bytes: bytes.clone(),
                });
            } else {
                // The jig samples at the wrong rate: framing errors and junk bytes.
                let junk = bytes.iter().map(|_| self.noise.next_u64() as u8).collect();
                received.push(Received {
                    at_us: start / 1000,
                    bytes: junk,
                });
            }
            self.delivered_upto += 1;
        }
        Ok(())
    }

    fn measure(&mut self) -> Result<Telemetry, JigError> {
        let (taps_mv, input_mv, input_ma) = self.board.electrical(self.now);
        Ok(Telemetry {
            at_us: self.now / 1000,
            taps_mv,
            input_mv,
            input_ma,
        })
    }

    fn read_temperature(&mut self, sensor: &SensorRef) -> Result<f32, JigError> {
        let index = self
            .board
            .sensor_index(sensor.kind, sensor.i2c_address, sensor.via_chip_address)
            .ok_or_else(|| JigError::NoDevice(describe(sensor)))?;
        self.board
            .temperature(index, self.now)
            .ok_or_else(|| JigError::NoDevice(describe(sensor)))
    }

    fn read_eeprom(&mut self, offset: u8, len: u8) -> Result<Vec<u8>, JigError> {
        if !self.board.powered {
            return Err(JigError::NoDevice("EEPROM (board power is off)".into()));
        }
        let start = usize::from(offset);
        let end = (start + usize::from(len)).min(256);
        Ok(self
            .board
            .eeprom
            .get(start..end)
            .unwrap_or_default()
            .to_vec())
    }
}

fn describe(sensor: &SensorRef) -> String {
    match (sensor.i2c_address, sensor.via_chip_address) {
        (Some(a), None) => format!("{} at I2C 0x{a:02X}", sensor.kind.name()),
        (Some(a), Some(c)) => format!(
            "{} at I2C 0x{a:02X} behind chip 0x{c:02X}",
            sensor.kind.name()
        ),
        (None, Some(c)) => format!("{} of chip 0x{c:02X}", sensor.kind.name()),
        (None, None) => sensor.kind.name().to_owned(),
    }
}
