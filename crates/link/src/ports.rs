//! Serial port discovery: which ports are there, and which are jigs.

use crate::{JIG_PID, JIG_PRODUCT, JIG_VID};

/// What a port is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PortKind {
    /// A Hashbench jig, recognised by USB VID/PID or product string.
    Jig,
    /// Another USB serial device.
    OtherUsb {
        /// Vendor id.
        vid: u16,
        /// Product id.
        pid: u16,
        /// Product string.
        product: Option<String>,
    },
    /// Not USB (on-board UART, pseudo-terminal, Bluetooth).
    Other,
}

/// One serial port.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Port {
    /// Path or name (e.g. `/dev/ttyACM0`, `COM3`).
    pub path: String,
    /// What it is.
    pub kind: PortKind,
}

/// Whether a USB device is a jig.
#[must_use]
pub fn is_jig(vid: u16, pid: u16, product: Option<&str>) -> bool {
    (vid == JIG_VID && pid == JIG_PID) || product.is_some_and(|p| p.contains(JIG_PRODUCT))
}

/// Every serial port the system lists, jigs first. Listing never probes a port.
pub fn list() -> std::io::Result<Vec<Port>> {
    let found = serialport::available_ports().map_err(std::io::Error::other)?;
    let mut ports: Vec<Port> = found
        .into_iter()
        .map(|p| {
            let kind = match p.port_type {
                serialport::SerialPortType::UsbPort(usb)
                    if is_jig(usb.vid, usb.pid, usb.product.as_deref()) =>
                {
                    PortKind::Jig
                }
                serialport::SerialPortType::UsbPort(usb) => PortKind::OtherUsb {
                    vid: usb.vid,
                    pid: usb.pid,
                    product: usb.product,
                },
                _ => PortKind::Other,
            };
            Port {
                path: p.port_name,
                kind,
            }
        })
        .collect();
    ports.sort_by_key(|p| (p.kind != PortKind::Jig, p.path.clone()));
    Ok(ports)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jigs_are_recognised_by_ids_or_product() {
        assert!(is_jig(0x1209, 0x0001, None));
        assert!(is_jig(0x2E8A, 0x000A, Some("Hashbench jig (rev B)")));
        assert!(!is_jig(0x2E8A, 0x000A, Some("Pico")));
    }
}
