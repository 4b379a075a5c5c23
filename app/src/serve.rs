//! `hashbench sim` (a simulated jig on a pseudo-terminal, or on a named serial port) and
//! `hashbench ports`.

use std::io::Write;

use anyhow::Context;
use boards::Catalog;
use link::ports::PortKind;

use crate::cli::{PortsArgs, SimArgs};
use crate::diagnose::profile;

/// The `sim` command: print the pseudo-terminal's path, then serve until the process ends.
pub fn run(catalog: &Catalog, args: &SimArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    let profile = profile(catalog, &args.model)?;
    let faults = crate::diagnose::faults(profile, &args.fault)?;
    let board = sim::Board::new(profile, &faults, args.seed);
    let mut jig = if args.uncalibrated {
        sim::SimTransport::uncalibrated(board)
    } else {
        sim::SimTransport::new(board)
    };
    jig.plug_calibration(args.calibration_plug);
    let mut ready_error = None;
    let on_ready = |path: &str| {
        let faults: Vec<String> = faults.iter().map(ToString::to_string).collect();
        let line = format!(
            "{path}\nA simulated jig with a {} ({}{}) is serving on {path}.\nDiagnose it with: hashbench diagnose --port {path}\nStop with Ctrl-C.",
            profile.name,
            profile.id,
            if faults.is_empty() {
                String::new()
            } else {
                format!(", faults {}", faults.join(" "))
            }
        );
        if let Err(e) = writeln!(out, "{line}").and_then(|()| out.flush()) {
            ready_error = Some(e);
        }
    };
    match &args.on {
        Some(name) => sim::serve_on_port(jig, name, on_ready),
        None => sim::serve(jig, on_ready),
    }
    .context("serving the simulated jig")?;
    if let Some(e) = ready_error {
        return Err(e).context("printing the port path");
    }
    Ok(())
}

/// The `jig calibrate` command.
pub fn calibrate(args: &crate::cli::CalibrateArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    let mut jig = crate::diagnose::connect(&args.port)?;
    let first = jig
        .calibrate(args.reference_mv, !args.check)
        .context("calibrating (is the board off and the calibration plug on?)")?;
    if first.taps == 0 {
        anyhow::bail!(
            "no tap read within 5 % of {} mV: put the calibration plug on the harness and check the reference",
            args.reference_mv
        );
    }
    writeln!(
        out,
        "{} taps at {} mV: worst error {} mV uncorrected, {} mV with the corrections stored before",
        first.taps, args.reference_mv, first.worst_raw_mv, first.worst_corrected_mv
    )?;
    if !args.check {
        // A second scan with the new corrections: what the jig reads from now on.
        let after = jig.calibrate(args.reference_mv, false)?;
        writeln!(
            out,
            "stored; now every tap reads within {} mV (goal 10 mV)",
            after.worst_corrected_mv
        )?;
    }
    Ok(())
}

/// The `jig supply` command.
pub fn supply(args: &crate::cli::SupplyArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    let mut jig = crate::diagnose::connect(&args.port)?;
    jig.set_supply_voltage(args.mv)
        .with_context(|| format!("setting the supply to {} mV", args.mv))?;
    writeln!(out, "APW12 set to {} mV", args.mv)?;
    Ok(())
}

/// The `jig core` command.
pub fn core(args: &crate::cli::CoreArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    let regulator = match args.regulator {
        crate::cli::RegulatorArg::Tps546 => jig_wire::CoreRegulator::Tps546,
        crate::cli::RegulatorArg::Ds4432u => jig_wire::CoreRegulator::Ds4432u,
    };
    let mut jig = crate::diagnose::connect(&args.port)?;
    jig.set_core_voltage(regulator, args.mv)
        .with_context(|| format!("setting the core rail to {} mV", args.mv))?;
    writeln!(out, "core rail set to {} mV", args.mv)?;
    Ok(())
}

/// Whether the device at `path` answers the jig handshake, and with which firmware.
#[must_use]
pub fn probe(path: &str) -> Option<String> {
    let transport = link::SerialTransport::open(path).ok()?;
    let mut client =
        link::Client::connect(transport, std::time::Duration::from_millis(300)).ok()?;
    diagnosis::Jig::info(&mut client).ok().map(|i| i.firmware)
}

/// The `ports` command.
pub fn ports(args: &PortsArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    let mut ports = link::ports::list().context("listing serial ports")?;
    let mut answered: Vec<(String, String)> = Vec::new();
    if args.probe {
        for p in &mut ports {
            if p.kind != PortKind::Jig
                && let Some(firmware) = probe(&p.path)
            {
                answered.push((p.path.clone(), firmware));
                p.kind = PortKind::Jig;
            }
        }
    }
    let firmware_of = |path: &str| {
        answered
            .iter()
            .find(|(p, _)| p == path)
            .map(|(_, f)| f.clone())
    };
    if args.json {
        let list: Vec<serde_json::Value> = ports
            .iter()
            .map(|p| {
                let (kind, vid, pid, product) = match &p.kind {
                    PortKind::Jig => ("jig", None, None, None),
                    PortKind::OtherUsb { vid, pid, product } => {
                        ("usb", Some(*vid), Some(*pid), product.clone())
                    }
                    PortKind::Other => ("other", None, None, None),
                };
                serde_json::json!({
                    "path": p.path, "kind": kind, "vid": vid, "pid": pid, "product": product,
                    "answered_handshake": firmware_of(&p.path),
                })
            })
            .collect();
        serde_json::to_writer(&mut *out, &serde_json::json!({ "ports": list }))
            .context("writing JSON")?;
        writeln!(out).context("writing JSON")?;
        return Ok(());
    }
    if ports.is_empty() {
        writeln!(out, "No serial ports. Plug in the jig (USB), or run a simulated one: hashbench sim --model s19jpro")
            .context("writing")?;
    }
    for p in &ports {
        let what = match &p.kind {
            PortKind::Jig => match firmware_of(&p.path) {
                Some(firmware) => format!("Hashbench jig (answered the handshake: {firmware})"),
                None => "Hashbench jig".to_owned(),
            },
            PortKind::OtherUsb { vid, pid, product } => {
                format!(
                    "USB {vid:04x}:{pid:04x} {}",
                    product.as_deref().unwrap_or("")
                )
            }
            PortKind::Other => "not USB".to_owned(),
        };
        writeln!(out, "{:<24} {what}", p.path).context("writing")?;
    }
    Ok(())
}
