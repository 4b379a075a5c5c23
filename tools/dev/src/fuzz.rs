//! `hashbench-dev fuzz`: mutation fuzzing of everything that reads outside bytes, on stable Rust
//! (cargo-fuzz needs nightly and libFuzzer). Each target starts from its seed corpus in
//! `fixtures/fuzz/<target>/`, mutates inputs (bit flips, random bytes, inserts, deletes,
//! repeats, splices, truncation), and runs them under `catch_unwind`, watching for panics, slow
//! inputs and memory growth. Deterministic per seed, so a failure can be replayed.

use std::io::Write;
use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::Context;
use bm13xx::framer::{Direction, Framer, ReplyLen};

use crate::cli::FuzzArgs;

/// The fuzz targets.
pub const TARGETS: [&str; 4] = ["reply-framer", "jig-wire", "profile", "decode-hex"];

/// An input slower than this is reported as a hang.
const SLOW: Duration = Duration::from_millis(250);

/// What one target's run found.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    /// Target name.
    pub target: String,
    /// Inputs run.
    pub inputs: u64,
    /// Inputs the target refused cleanly (errors or garbage events), of `inputs`.
    pub refused: u64,
    /// Slowest input, s.
    pub slowest_s: f64,
    /// Inputs that panicked, saved where.
    pub panics: Vec<PathBuf>,
    /// Inputs slower than [`SLOW`].
    pub slow: u64,
    /// Peak resident memory of the process after the run, KiB (Linux; 0 elsewhere).
    pub peak_rss_kib: u64,
    /// Wall time, s.
    pub seconds: f64,
}

/// A small, fast, seedable generator (xorshift64*): the same seed gives the same inputs.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator for `seed`.
    #[must_use]
    pub fn new(seed: u64) -> Self {
        Self(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A number below `n` (0 when `n` is 0).
    pub fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next_u64() % n as u64) as usize
        }
    }
}

/// One mutated input from `corpus`.
pub fn mutate(rng: &mut Rng, corpus: &[Vec<u8>], max_len: usize) -> Vec<u8> {
    let mut input = corpus
        .get(rng.below(corpus.len()))
        .cloned()
        .unwrap_or_default();
    for _ in 0..1 + rng.below(4) {
        let len = input.len();
        match rng.below(8) {
            0 if len > 0 => {
                let i = rng.below(len);
                if let Some(b) = input.get_mut(i) {
                    *b ^= 1 << rng.below(8);
                }
            }
            1 if len > 0 => {
                let i = rng.below(len);
                if let Some(b) = input.get_mut(i) {
                    *b = rng.next_u64() as u8;
                }
            }
            2 => {
                let at = rng.below(len + 1);
                let n = 1 + rng.below(16);
                let bytes: Vec<u8> = (0..n).map(|_| rng.next_u64() as u8).collect();
                input.splice(at..at, bytes);
            }
            3 if len > 0 => {
                let at = rng.below(len);
                let n = 1 + rng.below(len - at);
                input.drain(at..at + n);
            }
            4 if len > 0 => {
                let at = rng.below(len);
                let n = 1 + rng.below((len - at).min(64));
                let copy: Vec<u8> = input
                    .get(at..at + n)
                    .map(<[u8]>::to_vec)
                    .unwrap_or_default();
                let to = rng.below(len + 1);
                input.splice(to..to, copy);
            }
            5 if !corpus.is_empty() => {
                let other = corpus
                    .get(rng.below(corpus.len()))
                    .cloned()
                    .unwrap_or_default();
                let cut = rng.below(len + 1);
                let from = rng.below(other.len() + 1);
                input.truncate(cut);
                input.extend_from_slice(other.get(from..).unwrap_or_default());
            }
            6 => input.truncate(rng.below(len + 1)),
            _ => {
                // Interesting bytes for these formats: delimiters and preambles.
                let special = [0x00, 0xAA, 0x55, 0xFF, b'\n', b'"', b'[', b'=', b'#'];
                let at = rng.below(len + 1);
                input.insert(at, special[rng.below(special.len())]);
            }
        }
    }
    input.truncate(max_len);
    input
}

/// Run target `name` on `input`; `Ok(true)` when it refused the input cleanly.
pub fn run_target(name: &str, input: &[u8]) -> anyhow::Result<bool> {
    match name {
        "reply-framer" => {
            // Every family, both directions, fed in uneven chunks.
            let mut garbage = false;
            for family in bm13xx::ALL_FAMILIES {
                for direction in [Direction::FromChip, Direction::FromHost] {
                    let mut framer = Framer::new(family, direction, ReplyLen::Auto);
                    for chunk in input.chunks(7) {
                        framer.feed(chunk, |event| {
                            garbage |= matches!(event, bm13xx::framer::Event::Garbage { .. });
                        });
                    }
                    framer.finish();
                    framer.flush(|_| {});
                }
            }
            Ok(garbage)
        }
        "jig-wire" => {
            let mut decoder = jig_wire::Decoder::new();
            let mut refused = false;
            for chunk in input.chunks(5) {
                decoder.feed(chunk, |frame| match frame {
                    Ok(payload) => {
                        let host = jig_wire::decode::<jig_wire::HostFrame<'_>>(payload);
                        let jig = jig_wire::decode::<jig_wire::JigFrame<'_>>(payload);
                        refused |= host.is_err() && jig.is_err();
                    }
                    Err(_) => refused = true,
                });
            }
            Ok(refused)
        }
        "profile" => {
            let text = String::from_utf8_lossy(input);
            Ok(boards::Profile::from_toml("fuzz.toml", &text).is_err())
        }
        "decode-hex" => {
            let text = String::from_utf8_lossy(input);
            Ok(hashbench::hex::parse("fuzz", &text).is_err())
        }
        other => anyhow::bail!(
            "unknown fuzz target `{other}`; one of: {}",
            TARGETS.join(", ")
        ),
    }
}

fn corpus(dir: &Path) -> anyhow::Result<Vec<Vec<u8>>> {
    let mut seeds = Vec::new();
    let entries =
        std::fs::read_dir(dir).with_context(|| format!("seed corpus {}", dir.display()))?;
    let mut paths: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
    paths.sort();
    for path in paths {
        seeds.push(std::fs::read(&path).with_context(|| format!("reading {}", path.display()))?);
    }
    anyhow::ensure!(!seeds.is_empty(), "seed corpus {} is empty", dir.display());
    Ok(seeds)
}

fn peak_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        })
        .unwrap_or(0)
}

/// Fuzz `target` with `inputs` inputs from the corpus in `corpus_dir`; panicking inputs are
/// saved under `crashes`.
pub fn fuzz(
    target: &str,
    corpus_dir: &Path,
    inputs: u64,
    seed: u64,
    crashes: &Path,
) -> anyhow::Result<Outcome> {
    run_target(target, b"")?; // names an unknown target before anything else
    let seeds = corpus(corpus_dir)?;
    let max_len = seeds.iter().map(Vec::len).max().unwrap_or(0).max(64) * 2;
    let mut rng = Rng::new(seed);
    let mut outcome = Outcome {
        target: target.to_owned(),
        inputs: 0,
        refused: 0,
        slowest_s: 0.0,
        panics: Vec::new(),
        slow: 0,
        peak_rss_kib: 0,
        seconds: 0.0,
    };
    // Panics are caught and counted; keep their messages off the terminal.
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let start = Instant::now();
    for n in 0..inputs {
        let input = if n < seeds.len() as u64 {
            seeds.get(n as usize).cloned().unwrap_or_default()
        } else {
            mutate(&mut rng, &seeds, max_len)
        };
        let t = Instant::now();
        let result = std::panic::catch_unwind(AssertUnwindSafe(|| run_target(target, &input)));
        let took = t.elapsed();
        outcome.slowest_s = outcome.slowest_s.max(took.as_secs_f64());
        if took > SLOW {
            outcome.slow += 1;
        }
        match result {
            Ok(Ok(refused)) => outcome.refused += u64::from(refused),
            Ok(Err(e)) => return Err(e),
            Err(_) => {
                std::fs::create_dir_all(crashes).ok();
                let path = crashes.join(format!("{target}-{seed}-{n}.bin"));
                std::fs::write(&path, &input).ok();
                outcome.panics.push(path);
            }
        }
        outcome.inputs += 1;
    }
    std::panic::set_hook(hook);
    outcome.seconds = start.elapsed().as_secs_f64();
    outcome.peak_rss_kib = peak_rss_kib();
    Ok(outcome)
}

/// The `fuzz` command; `Ok(false)` when an input panicked or hung.
pub fn run(args: &FuzzArgs, out: &mut dyn Write) -> anyhow::Result<bool> {
    if let Some(file) = &args.replay {
        let target = args.target.as_deref().context("--replay needs --target")?;
        let input = std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
        // No catch_unwind here: a panic shows its message and backtrace.
        let refused = run_target(target, &input)?;
        writeln!(
            out,
            "{target}: {} bytes, {}",
            input.len(),
            if refused {
                "refused cleanly"
            } else {
                "accepted"
            }
        )?;
        return Ok(true);
    }
    let targets: Vec<&str> = match &args.target {
        Some(t) => vec![t.as_str()],
        None => TARGETS.to_vec(),
    };
    let mut clean = true;
    writeln!(
        out,
        "{:<14} {:>12} {:>10} {:>8} {:>6} {:>11} {:>10} {:>8}",
        "target", "inputs", "inputs/s", "refused", "panics", "slowest ms", "peak MiB", "s"
    )?;
    for target in targets {
        let dir = args.corpus.join(target);
        let o = fuzz(target, &dir, args.inputs, args.seed, &args.crashes)?;
        writeln!(
            out,
            "{:<14} {:>12} {:>10.0} {:>7.0}% {:>6} {:>11.3} {:>10.1} {:>8.1}",
            o.target,
            o.inputs,
            o.inputs as f64 / o.seconds.max(1e-9),
            o.refused as f64 * 100.0 / o.inputs.max(1) as f64,
            o.panics.len(),
            o.slowest_s * 1e3,
            o.peak_rss_kib as f64 / 1024.0,
            o.seconds
        )?;
        for p in &o.panics {
            writeln!(
                out,
                "  PANIC: replay with `hashbench-dev fuzz --replay {}` (target {target})",
                p.display()
            )?;
        }
        if o.slow > 0 {
            writeln!(
                out,
                "  {} input(s) took longer than {} ms",
                o.slow,
                SLOW.as_millis()
            )?;
        }
        clean &= o.panics.is_empty() && o.slow == 0;
    }
    Ok(clean)
}

#[cfg(test)]
mod tests {
    use super::*;
    use jig_wire::{HostFrame, JigFrame, PROTOCOL_VERSION, Request, Response};

    /// The jig-wire seeds: real frames from the encoder, both directions.
    fn jig_wire_seeds() -> Vec<(&'static str, Vec<u8>)> {
        let mut seeds = Vec::new();
        let mut add = |name: &'static str, frame: &dyn erased::Frame| {
            let mut buf = [0u8; 600];
            let n = frame.encode(&mut buf);
            seeds.push((name, buf[..n].to_vec()));
        };
        add(
            "hello.bin",
            &HostFrame {
                id: 1,
                request: Request::Hello {
                    protocol: PROTOCOL_VERSION,
                },
            },
        );
        add(
            "power.bin",
            &HostFrame {
                id: 2,
                request: Request::SetPower { on: true },
            },
        );
        add(
            "measure.bin",
            &HostFrame {
                id: 3,
                request: Request::Measure { taps: 0 },
            },
        );
        add(
            "write-eeprom.bin",
            &HostFrame {
                id: 9,
                request: Request::WriteEeprom {
                    offset: 0xF8,
                    bytes: &[0xFF, 0xFF, 0xFF, 0xFF, 0x39, 0x10, 0x6B, 0xDB],
                },
            },
        );
        add(
            "sync.bin",
            &HostFrame {
                id: 4,
                request: Request::Sync {
                    until_us: 1_500_000,
                },
            },
        );
        add(
            "send.bin",
            &HostFrame {
                id: 5,
                request: Request::AsicSend {
                    bytes: &[0x55, 0xAA, 0x52, 0x05, 0x00, 0x00, 0x0A],
                },
            },
        );
        add(
            "hello-reply.bin",
            &JigFrame::Response {
                id: 1,
                response: Response::Hello {
                    protocol: PROTOCOL_VERSION,
                    firmware: "hashbench-jig 0.1.0",
                    max_baud: 3_125_000,
                    simulated: false,
                },
            },
        );
        seeds
    }

    mod erased {
        /// Any encodable frame.
        pub trait Frame {
            fn encode(&self, out: &mut [u8]) -> usize;
        }
        impl<T: serde::Serialize> Frame for T {
            fn encode(&self, out: &mut [u8]) -> usize {
                jig_wire::encode(self, out).unwrap()
            }
        }
    }

    fn fixtures() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/fuzz")
    }

    #[test]
    fn the_jig_wire_seed_corpus_is_real_frames() {
        let dir = fixtures().join("jig-wire");
        for (name, bytes) in jig_wire_seeds() {
            if std::env::var_os("HASHBENCH_WRITE_SEEDS").is_some() {
                std::fs::write(dir.join(name), &bytes).unwrap();
            }
            assert_eq!(std::fs::read(dir.join(name)).unwrap(), bytes, "{name}");
            assert!(!run_target("jig-wire", &bytes).unwrap(), "{name} decodes");
        }
    }

    #[test]
    fn every_target_survives_a_short_run_from_its_seeds() {
        let crashes = std::env::temp_dir().join("hashbench-fuzz-test-crashes");
        for target in TARGETS {
            let o = fuzz(target, &fixtures().join(target), 3_000, 7, &crashes).unwrap();
            assert_eq!(o.inputs, 3_000);
            assert!(o.panics.is_empty(), "{target}: {:?}", o.panics);
            assert!(
                o.refused > 0 && o.refused < o.inputs,
                "{target}: mutations reach both outcomes ({} refused)",
                o.refused
            );
        }
    }

    #[test]
    fn the_same_seed_gives_the_same_inputs() {
        let corpus = vec![b"hello".to_vec(), b"world!".to_vec()];
        let (mut a, mut b) = (Rng::new(3), Rng::new(3));
        for _ in 0..100 {
            assert_eq!(mutate(&mut a, &corpus, 64), mutate(&mut b, &corpus, 64));
        }
    }

    #[test]
    fn an_unknown_target_is_named() {
        let err = run_target("pdf", b"").unwrap_err().to_string();
        assert!(err.contains("unknown fuzz target `pdf`"), "{err}");
    }
}
