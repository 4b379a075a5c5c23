//! The developer tools' command line, declared with clap.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// Hashbench's developer tools: accuracy, fuzzing and the performance goals.
#[derive(Debug, Parser)]
#[command(name = "hashbench-dev", version, about)]
pub struct Cli {
    /// Directory of board profile files that replace or add to the built-in ones.
    #[arg(long, global = true, value_name = "DIR")]
    pub profiles_dir: Option<PathBuf>,

    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// The engine's accuracy over simulated boards: healthy boards of every profile and every
    /// fault kind at several places; a confusion matrix per kind. Exit 1 when a goal is missed.
    Eval(EvalArgs),
    /// Fuzz the parsers of outside bytes (chain framer, jig wire, profiles, hex input) from
    /// their seed corpora. Exit 1 when an input panicked or hung.
    Fuzz(FuzzArgs),
    /// Measure the performance goals and print them against their bounds (or, with --server,
    /// the shop server's load test).
    Bench(BenchArgs),
}

/// Arguments of `hashbench-dev eval`.
#[derive(Debug, Args)]
pub struct EvalArgs {
    /// Seeds of healthy boards per profile (16 profiles: 63 seeds give 1,008 boards).
    #[arg(long, default_value_t = 63)]
    pub healthy_seeds: u64,
    /// Profiles to place the faults on, comma separated.
    #[arg(long, default_value = "s9,s19jpro,s21pro,bitaxe-hex")]
    pub fault_profiles: String,
    /// Seeds per fault.
    #[arg(long, default_value_t = 3)]
    pub fault_seeds: u64,
    /// First seed of every range (healthy boards use first..first+healthy_seeds, faults
    /// first..first+fault_seeds). The tests use seeds below 100: report on a range above.
    #[arg(long, default_value_t = 1)]
    pub first_seed: u64,
    /// Random boards instead of the fixed corpus: this many, seeds `--seed`.., each with 0-3
    /// faults placed at random on a profile (every profile in turn) under one noise level.
    #[arg(long)]
    pub random: Option<u64>,
    /// First seed of the random boards (tune on one range, report on another).
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Noise levels of the random boards, ppm, comma separated (a quiet bench, a long cable,
    /// ten times worse, and a link nobody should test on).
    #[arg(long, default_value = "0,300,1000,3000", value_delimiter = ',')]
    pub noise: Vec<u32>,
    /// Print the random boards' counts as JSON.
    #[arg(long)]
    pub json: bool,
    /// Also list the random boards with a fault left inconclusive (the listing always holds
    /// the boards with a miss, a wrong place, a good chip blamed or a healthy board short of
    /// pass).
    #[arg(long)]
    pub list_inconclusive: bool,
    /// Run only the random boards with a fault counted on this row of the per-kind table (for
    /// instance "weak past a joint"): a rare row's boards over a long seed range, for tuning.
    /// "healthy" runs the boards with no fault placed. The figures are then that subset's.
    #[arg(long, value_name = "ROW")]
    pub only: Option<String>,
    /// One fixed board instead of random ones: the `--fault`s on this profile, over sim seeds
    /// `--seed`.. (`--random` of them, 40 if not given), judged and listed as random boards
    /// are: how often each fault of that board is found where it is.
    #[arg(long, value_name = "PROFILE")]
    pub sweep: Option<String>,
    /// A fault of the `--sweep` board, as `diagnose --sim --fault` takes it (repeat for more;
    /// line noise such as txnoise:1000 is the board's condition, not a fault to find).
    #[arg(long = "fault", value_name = "FAULT")]
    pub faults: Vec<String>,
}

/// Arguments of `hashbench-dev fuzz`.
#[derive(Debug, Args)]
pub struct FuzzArgs {
    /// One target (reply-framer, jig-wire, profile, decode-hex); default: all.
    #[arg(long)]
    pub target: Option<String>,
    /// Inputs per target.
    #[arg(long, default_value_t = 100_000)]
    pub inputs: u64,
    /// Seed of the mutations (the same seed gives the same inputs).
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Folder of seed corpora, one subfolder per target.
    #[arg(long, default_value = "fixtures/fuzz")]
    pub corpus: PathBuf,
    /// Where inputs that panic are saved.
    #[arg(long, default_value = "target/fuzz-crashes")]
    pub crashes: PathBuf,
    /// Run one saved input (with --target), letting a panic show.
    #[arg(long, value_name = "FILE")]
    pub replay: Option<PathBuf>,
}

/// Arguments of `hashbench-dev bench`.
#[derive(Debug, Args)]
pub struct BenchArgs {
    /// Simulated diagnoses to time (the best is reported).
    #[arg(long, default_value_t = 3)]
    pub runs: usize,
    /// Nonces for the host-cost measurement.
    #[arg(long, default_value_t = 200_000)]
    pub nonces: usize,
    /// Frames for the GUI frame-time measurement.
    #[arg(long, default_value_t = 300)]
    pub frames: usize,
    /// Tickets in the synthetic shop database for the record measurements (0 skips them).
    #[arg(long, default_value_t = 100_000)]
    pub tickets: u64,
    /// Chip results in the synthetic shop database.
    #[arg(long, default_value_t = 1_000_000)]
    pub chip_results: u64,
    /// Instead of the goals: the shop server's load test against this server (an address
    /// whose role may create databases; the load runs in a fresh one).
    #[arg(long, value_name = "URL")]
    pub server: Option<String>,
    /// Benches saving at once in the load test.
    #[arg(long, default_value_t = 8, requires = "server")]
    pub benches: usize,
    /// Runs each bench saves in the load test.
    #[arg(long, default_value_t = 200, requires = "server")]
    pub bench_runs: usize,
    /// A shell command that kills the server mid-load (e.g. `bash .ci/postgres kill`).
    #[arg(long, value_name = "COMMAND", requires = "server")]
    pub kill_server: Option<String>,
    /// The shell command that brings it back, 2 s later.
    #[arg(long, value_name = "COMMAND", requires = "server")]
    pub resume_server: Option<String>,
    /// When to kill it: this share of the runs saved.
    #[arg(long, default_value_t = 0.5, requires = "kill_server")]
    pub kill_at: f64,
}
