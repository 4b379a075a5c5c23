//! Captures: a run's chain traffic as JSON lines, the file technicians attach to bug reports.
//!
//! The first line says what the capture is of:
//! `{"capture": 1, "family": "bm1362", "profile": "s19jpro", "app_version": "0.1.0"}`;
//! then one line per frame: `{"t_us": 123, "dir": "tx", "hex": "55AA52050000 0A"}`, `tx` host to
//! chips, `rx` chips to host, `t_us` jig time. A capture taken from a real board through a jig,
//! or written by hand from a logic-analyser trace, reads the same way. Formatting and parsing
//! only: the caller reads and writes the file.

use serde::{Deserialize, Serialize};

use crate::wire::{CapturedFrame, Dir};

/// The version of the capture format this code writes and reads.
pub const FORMAT: u32 = 1;

/// The first line of a capture.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaptureHeader {
    /// Format version ([`FORMAT`]).
    pub capture: u32,
    /// Chip family of the chain, e.g. `bm1362`.
    pub family: String,
    /// Board profile id, e.g. `s19jpro`.
    pub profile: String,
    /// Hashbench version that wrote it.
    pub app_version: String,
}

/// A capture read back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Capture {
    /// Its first line.
    pub header: CaptureHeader,
    /// Its frames, in file order.
    pub frames: Vec<CapturedFrame>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Line {
    t_us: u64,
    dir: Dir,
    hex: String,
}

/// What is wrong with a capture, naming the line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CaptureError {
    /// The text is empty.
    #[error("the capture is empty (its first line must say {{\"capture\": 1, \"family\": ...}})")]
    Empty,
    /// The first line is not a capture header.
    #[error(
        "line 1 is not a capture header ({0}); expected {{\"capture\": 1, \"family\": \"bm1362\", \"profile\": ..., \"app_version\": ...}}"
    )]
    Header(String),
    /// A newer format.
    #[error("line 1: capture format {0} is newer than this Hashbench reads ({FORMAT})")]
    Version(u32),
    /// A frame line is not `{"t_us", "dir", "hex"}`.
    #[error("line {line}: {problem}")]
    Frame {
        /// 1-based line number.
        line: usize,
        /// What is wrong.
        problem: String,
    },
}

/// The capture as JSON lines, ending in a newline.
#[must_use]
pub fn to_json_lines(header: &CaptureHeader, frames: &[CapturedFrame]) -> String {
    let mut out = String::with_capacity(64 + frames.len() * 48);
    out.push_str(&serde_json::to_string(header).unwrap_or_default());
    out.push('\n');
    for frame in frames {
        let line = Line {
            t_us: frame.t_us,
            dir: frame.dir,
            hex: hex(&frame.bytes),
        };
        out.push_str(&serde_json::to_string(&line).unwrap_or_default());
        out.push('\n');
    }
    out
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02X}");
    }
    s
}

fn unhex(text: &str) -> Result<Vec<u8>, String> {
    let digits: Vec<u8> = text.bytes().filter(|c| !c.is_ascii_whitespace()).collect();
    if !digits.len().is_multiple_of(2) {
        return Err(format!(
            "\"hex\" has an odd number of digits ({})",
            digits.len()
        ));
    }
    digits
        .chunks(2)
        .map(|pair| {
            let s = std::str::from_utf8(pair).unwrap_or("??");
            u8::from_str_radix(s, 16).map_err(|_| format!("\"hex\" has `{s}`, not a hex byte"))
        })
        .collect()
}

/// Read a capture. Blank lines are skipped; every other line must be a frame.
pub fn parse(text: &str) -> Result<Capture, CaptureError> {
    let mut lines = text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty());
    let (_, first) = lines.next().ok_or(CaptureError::Empty)?;
    let header: CaptureHeader =
        serde_json::from_str(first).map_err(|e| CaptureError::Header(e.to_string()))?;
    if header.capture > FORMAT || header.capture == 0 {
        return Err(CaptureError::Version(header.capture));
    }
    let mut frames = Vec::new();
    for (i, text) in lines {
        let frame = |problem: String| CaptureError::Frame {
            line: i + 1,
            problem,
        };
        let line: Line = serde_json::from_str(text).map_err(|e| frame(e.to_string()))?;
        let bytes = unhex(&line.hex).map_err(frame)?;
        frames.push(CapturedFrame {
            t_us: line.t_us,
            dir: line.dir,
            bytes,
        });
    }
    Ok(Capture { header, frames })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header() -> CaptureHeader {
        CaptureHeader {
            capture: 1,
            family: "bm1370".into(),
            profile: "bitaxe-gamma".into(),
            app_version: "0.1.0".into(),
        }
    }

    #[test]
    fn round_trips_and_reads_the_documented_form() {
        let frames = vec![
            CapturedFrame {
                t_us: 10,
                dir: Dir::Tx,
                bytes: vec![0x55, 0xAA, 0x52, 0x05, 0x00, 0x00, 0x0A],
            },
            CapturedFrame {
                t_us: 900,
                dir: Dir::Rx,
                bytes: vec![0xAA, 0x55, 0x13, 0x70, 0, 0, 0, 0, 0, 0, 0x10],
            },
        ];
        let text = to_json_lines(&header(), &frames);
        assert_eq!(
            text.lines().next(),
            Some(
                r#"{"capture":1,"family":"bm1370","profile":"bitaxe-gamma","app_version":"0.1.0"}"#
            )
        );
        assert_eq!(
            text.lines().nth(1),
            Some(r#"{"t_us":10,"dir":"tx","hex":"55AA520500000A"}"#)
        );
        assert_eq!(parse(&text).unwrap().frames, frames);
        // Written by hand, with spaces in the hex and a blank line.
        let hand = "{\"capture\": 1, \"family\": \"bm1370\", \"profile\": \"x\", \"app_version\": \"hand\"}\n\n{\"t_us\": 5, \"dir\": \"rx\", \"hex\": \"AA 55 4C 03\"}\n";
        assert_eq!(
            parse(hand).unwrap().frames[0].bytes,
            [0xAA, 0x55, 0x4C, 0x03]
        );
    }

    #[test]
    fn bad_lines_are_named() {
        assert_eq!(parse(""), Err(CaptureError::Empty));
        assert!(matches!(
            parse("{\"t_us\": 1}"),
            Err(CaptureError::Header(_))
        ));
        let newer =
            "{\"capture\": 2, \"family\": \"bm1370\", \"profile\": \"x\", \"app_version\": \"9\"}";
        assert_eq!(parse(newer), Err(CaptureError::Version(2)));
        let text =
            to_json_lines(&header(), &[]) + "{\"t_us\": 1, \"dir\": \"up\", \"hex\": \"00\"}\n";
        let Err(CaptureError::Frame { line, problem }) = parse(&text) else {
            panic!("a bad direction is an error")
        };
        assert_eq!(line, 2);
        assert!(problem.contains("up"), "{problem}");
        let text =
            to_json_lines(&header(), &[]) + "{\"t_us\": 1, \"dir\": \"tx\", \"hex\": \"5G\"}\n";
        assert_eq!(
            parse(&text),
            Err(CaptureError::Frame {
                line: 2,
                problem: "\"hex\" has `5G`, not a hex byte".into()
            })
        );
    }
}
