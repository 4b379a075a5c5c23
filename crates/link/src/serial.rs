//! The serial-port transport (USB CDC-ACM to the jig, or a pseudo-terminal to a simulated one).

use std::io::{Read, Write};
use std::time::Duration;

use crate::client::Transport;

/// A jig on a serial port.
pub struct SerialTransport {
    port: Box<dyn serialport::SerialPort>,
}

impl std::fmt::Debug for SerialTransport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SerialTransport")
            .field("port", &self.port.name())
            .finish()
    }
}

impl SerialTransport {
    /// Open `path`. The rate is nominal for USB CDC-ACM; it matters only for real UARTs.
    pub fn open(path: &str) -> std::io::Result<Self> {
        let port = serialport::new(path, 115_200)
            .timeout(Duration::from_millis(50))
            .open()
            .map_err(|e| std::io::Error::other(format!("{path}: {e}")))?;
        Ok(Self { port })
    }

    /// Wrap an open port (tests use a pseudo-terminal pair).
    #[must_use]
    pub fn from_port(port: Box<dyn serialport::SerialPort>) -> Self {
        Self { port }
    }
}

impl Transport for SerialTransport {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        self.port.write_all(bytes)?;
        self.port.flush()
    }

    fn read(&mut self, buf: &mut [u8], timeout: Duration) -> std::io::Result<usize> {
        self.port
            .set_timeout(timeout.max(Duration::from_millis(1)))
            .map_err(std::io::Error::other)?;
        match self.port.read(buf) {
            Ok(n) => Ok(n),
            Err(e)
                if e.kind() == std::io::ErrorKind::TimedOut
                    || e.kind() == std::io::ErrorKind::WouldBlock =>
            {
                Ok(0)
            }
            Err(e) => Err(e),
        }
    }
}
