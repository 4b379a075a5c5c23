//! `hashbench decode`: captured chain bytes to frames.

use std::io::Write;

use anyhow::Context;
use bm13xx::framer::{Direction, Event, Framer, ReplyLen};
use bm13xx::job::{DecodedJob, decode_job_ignoring_crc};
use bm13xx::{Command, Dest, Family, Reply};
use serde::Serialize;

use crate::cli::{DecodeArgs, Source};
use crate::hex;

/// One decoded frame, as printed. Integers are JSON numbers; fields a frame or family does not
/// define are left out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Frame {
    /// Byte offset in the input.
    pub offset: u64,
    /// `command`, `job`, `register`, `nonce` or `garbage`.
    pub kind: &'static str,
    /// Whether the frame's CRC matched (false for garbage).
    pub crc_ok: bool,
    /// The bytes, as hex.
    pub bytes: String,
    /// Header byte of a command.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub command: Option<u8>,
    /// Name of a command: `set_address`, `write_register`, `read_register`, `chain_inactive`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub command_name: Option<&'static str>,
    /// Whether a command goes to every chip.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub broadcast: Option<bool>,
    /// Chip address (command target, register reply source, or nonce owner).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub chip_address: Option<u8>,
    /// Register address.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub register: Option<u8>,
    /// Register value.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<u32>,
    /// Chip ID, for a reply to a read of register 0x00.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub chip_id: Option<u16>,
    /// Job id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub job_id: Option<u8>,
    /// Header nonce.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nonce: Option<u32>,
    /// Core id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub core: Option<u8>,
    /// Sub-core.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subcore: Option<u8>,
    /// Midstate index of a nonce, or midstate count of a job.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub midstate: Option<u8>,
    /// Version bits to OR into the job's version.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version_bits: Option<u32>,
    /// Block version sent in a full-header job.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<u32>,
    /// nBits of a job.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nbits: Option<u32>,
    /// nTime of a job.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ntime: Option<u32>,
}

impl Frame {
    fn new(offset: u64, kind: &'static str, crc_ok: bool, bytes: &[u8]) -> Self {
        Self {
            offset,
            kind,
            crc_ok,
            bytes: hex::format(bytes),
            command: None,
            command_name: None,
            broadcast: None,
            chip_address: None,
            register: None,
            value: None,
            chip_id: None,
            job_id: None,
            nonce: None,
            core: None,
            subcore: None,
            midstate: None,
            version_bits: None,
            version: None,
            nbits: None,
            ntime: None,
        }
    }
}

/// The interval used for chip addresses when none is given: 4 on BM1387 (S9, BMM), 2 otherwise
/// (factory BM136x chains, facts §2.1).
#[must_use]
pub fn default_interval(family: Family) -> u16 {
    if family == Family::Bm1387 { 4 } else { 2 }
}

/// Decode `bytes` captured in `direction` on a `family` chain.
#[must_use]
pub fn decode(family: Family, direction: Direction, interval: u16, bytes: &[u8]) -> Vec<Frame> {
    let mut framer = Framer::new(family, direction, ReplyLen::Auto);
    let mut frames = Vec::new();
    let mut on_event = |event: Event<'_>| {
        frames.push(match event {
            Event::Garbage { offset, len } => {
                let start = usize::try_from(offset).unwrap_or(usize::MAX);
                let slice = bytes
                    .get(start..start.saturating_add(len))
                    .unwrap_or_default();
                Frame::new(offset, "garbage", false, slice)
            }
            Event::Frame {
                offset,
                bytes,
                crc_ok,
            } => match direction {
                Direction::FromChip => reply_frame(family, interval, offset, bytes, crc_ok),
                Direction::FromHost => host_frame(family, offset, bytes, crc_ok),
            },
        });
    };
    framer.feed(bytes, &mut on_event);
    framer.flush(&mut on_event);
    frames
}

fn reply_frame(family: Family, interval: u16, offset: u64, bytes: &[u8], crc_ok: bool) -> Frame {
    match Reply::parse_ignoring_crc(family, bytes) {
        Ok(Reply::Register(r)) => {
            let mut f = Frame::new(offset, "register", crc_ok, bytes);
            f.chip_address = Some(r.chip_address);
            f.register = Some(r.register);
            f.value = Some(r.value);
            f.chip_id = (r.register == bm13xx::registers::CHIP_ADDRESS).then(|| r.chip_id());
            f
        }
        Ok(Reply::Nonce(n)) => {
            let fields = n.fields(family, &family.default_params(), interval);
            let mut f = Frame::new(offset, "nonce", crc_ok, bytes);
            f.nonce = Some(fields.nonce);
            f.core = Some(fields.core);
            f.job_id = Some(fields.job_id);
            f.subcore = fields.subcore;
            f.midstate = fields.midstate;
            f.version_bits = fields.version_bits;
            f.chip_address = fields.chip_address;
            f
        }
        Err(_) => Frame::new(offset, "garbage", false, bytes),
    }
}

fn host_frame(family: Family, offset: u64, bytes: &[u8], crc_ok: bool) -> Frame {
    let body = if family.has_preamble() {
        bytes.get(2..).unwrap_or_default()
    } else {
        bytes
    };
    if let Some(command) = Command::decode(family, body) {
        let mut f = Frame::new(offset, "command", crc_ok, bytes);
        f.command = body.first().copied();
        let (name, dest, register, value) = match command {
            Command::SetAddress { address } => {
                ("set_address", Some(Dest::Chip(address)), None, None)
            }
            Command::ChainInactive => ("chain_inactive", Some(Dest::All), None, None),
            Command::ReadRegister { dest, register } => {
                ("read_register", Some(dest), Some(register), None)
            }
            Command::WriteRegister {
                dest,
                register,
                value,
            } => ("write_register", Some(dest), Some(register), Some(value)),
        };
        f.command_name = Some(name);
        f.broadcast = dest.map(|d| d == Dest::All);
        f.chip_address = match dest {
            Some(Dest::Chip(address)) => Some(address),
            _ => None,
        };
        f.register = register;
        f.value = value;
        return f;
    }
    match decode_job_ignoring_crc(family, body) {
        Ok(job) => {
            let mut f = Frame::new(offset, "job", crc_ok, bytes);
            f.job_id = Some(job.job_id());
            match job {
                DecodedJob::FullHeader { header, .. } => {
                    f.version = Some(bm13xx::header::fields::version(&header));
                    f.nbits = Some(bm13xx::header::fields::nbits(&header));
                    f.ntime = Some(bm13xx::header::fields::time(&header));
                }
                DecodedJob::Midstate { count, tail, .. } => {
                    f.midstate = Some(count);
                    f.ntime = Some(u32::from_le_bytes([tail[4], tail[5], tail[6], tail[7]]));
                    f.nbits = Some(u32::from_le_bytes([tail[8], tail[9], tail[10], tail[11]]));
                }
            }
            f
        }
        Err(_) => Frame::new(offset, "garbage", false, bytes),
    }
}

/// One line of text for a frame.
#[must_use]
pub fn describe(f: &Frame) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut push = |label: &str, value: Option<String>| {
        if let Some(v) = value {
            parts.push(format!("{label}={v}"));
        }
    };
    push("cmd", f.command_name.map(str::to_owned));
    push(
        "broadcast",
        f.broadcast.filter(|b| *b).map(|_| "yes".to_owned()),
    );
    push("chip", f.chip_address.map(|a| format!("0x{a:02X}")));
    push("reg", f.register.map(|r| format!("0x{r:02X}")));
    push("value", f.value.map(|v| format!("0x{v:08X}")));
    push("chip_id", f.chip_id.map(|v| format!("0x{v:04X}")));
    push("nonce", f.nonce.map(|v| format!("0x{v:08X}")));
    push("core", f.core.map(|v| v.to_string()));
    push("job", f.job_id.map(|v| format!("0x{v:02X}")));
    push("subcore", f.subcore.map(|v| v.to_string()));
    push(
        if f.kind == "job" {
            "midstates"
        } else {
            "midstate"
        },
        f.midstate.map(|v| v.to_string()),
    );
    push("version_bits", f.version_bits.map(|v| format!("0x{v:08X}")));
    push("version", f.version.map(|v| format!("0x{v:08X}")));
    push("nbits", f.nbits.map(|v| format!("0x{v:08X}")));
    push("ntime", f.ntime.map(|v| format!("0x{v:08X}")));
    let crc = match (f.kind, f.crc_ok) {
        ("garbage", _) => "",
        (_, true) => "crc ok ",
        (_, false) => "CRC BAD",
    };
    format!(
        "{:>6}  {:<8} {:<7}  {:<60}  [{}]",
        f.offset,
        f.kind,
        crc,
        parts.join(" "),
        f.bytes
    )
}

/// One frame of a capture, decoded: its jig time and direction, then the frame's fields.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CapturedFrame {
    /// Jig time, µs.
    pub t_us: u64,
    /// `tx` (host to chips) or `rx` (chips to host).
    pub dir: &'static str,
    /// Line of the capture file (1-based).
    pub line: usize,
    /// The decoded frame; `offset` is the byte offset within the line's bytes.
    #[serde(flatten)]
    pub frame: Frame,
}

/// Decode every line of a capture file's text.
pub fn decode_capture(
    text: &str,
    family: Option<Family>,
    interval: Option<u16>,
) -> anyhow::Result<(Family, Vec<CapturedFrame>)> {
    let capture = diagnosis::capture::parse(text)?;
    let family = match family {
        Some(f) => f,
        None => capture.header.family.parse().map_err(|_| {
            anyhow::anyhow!(
                "line 1: unknown chip family `{}` (give --family)",
                capture.header.family
            )
        })?,
    };
    let interval = interval.unwrap_or_else(|| default_interval(family));
    // Line numbers: the header is line 1 and blank lines are skipped by the parser.
    let lines: Vec<usize> = text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, _)| i + 1)
        .skip(1)
        .collect();
    let mut out = Vec::new();
    for (k, frame) in capture.frames.iter().enumerate() {
        let (direction, dir) = match frame.dir {
            diagnosis::wire::Dir::Tx => (Direction::FromHost, "tx"),
            diagnosis::wire::Dir::Rx => (Direction::FromChip, "rx"),
        };
        for decoded in decode(family, direction, interval, &frame.bytes) {
            out.push(CapturedFrame {
                t_us: frame.t_us,
                dir,
                line: lines.get(k).copied().unwrap_or(k + 2),
                frame: decoded,
            });
        }
    }
    Ok((family, out))
}

fn run_capture(
    args: &DecodeArgs,
    path: &std::path::Path,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let (_, frames) = decode_capture(&text, args.family.map(Family::from), args.interval)
        .with_context(|| format!("{} is not a readable capture", path.display()))?;
    if args.json {
        write_json(&frames, out)?;
    } else {
        for f in &frames {
            let text = describe(&f.frame);
            writeln!(out, "{:>12} us  {}  {}", f.t_us, f.dir, text.trim_end())
                .context("writing output")?;
        }
    }
    Ok(())
}

/// `{"frames":[...]}` and a newline.
fn write_json<T: Serialize>(frames: &[T], out: &mut dyn Write) -> anyhow::Result<()> {
    #[derive(Serialize)]
    struct Output<'a, T> {
        frames: &'a [T],
    }
    serde_json::to_writer(&mut *out, &Output { frames }).context("writing JSON")?;
    writeln!(out).context("writing JSON")?;
    Ok(())
}

/// The `decode` command.
pub fn run(args: &DecodeArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    if let Some(path) = &args.capture {
        return run_capture(args, path, out);
    }
    let mut bytes = Vec::new();
    for (i, text) in args.hex.iter().enumerate() {
        bytes.extend(hex::parse(&format!("argument {}", i + 1), text)?);
    }
    if let Some(path) = &args.file {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        bytes.extend(hex::parse(&path.display().to_string(), &text)?);
    }
    if bytes.is_empty() {
        anyhow::bail!("no bytes to decode: give hex bytes as arguments or a hex file with --file");
    }
    let family =
        Family::from(args.family.ok_or_else(|| {
            anyhow::anyhow!("say which chip family the bytes are from: --family")
        })?);
    let direction = match args.from {
        Source::Host => Direction::FromHost,
        Source::Chip => Direction::FromChip,
    };
    let interval = args.interval.unwrap_or_else(|| default_interval(family));
    let frames = decode(family, direction, interval, &bytes);
    if args.json {
        write_json(&frames, out)?;
    } else {
        for frame in &frames {
            writeln!(out, "{}", describe(frame).trim_end()).context("writing output")?;
        }
    }
    Ok(())
}
