//! `hashbench-dev`: the developer's tools, kept out of the technician's `hashbench`: `eval`
//! (the engine's accuracy over simulated boards, with line noise), `fuzz` (the parsers of
//! outside bytes from their seed corpora) and `bench` (every performance goal against its
//! bound, and the shop server's load test). Owns their measuring and printing; the engine,
//! simulator and store they measure are the shipped crates, used as `hashbench` uses them.

mod bench;
mod cli;
mod eval;
mod fuzz;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = match cli::Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return match e.kind() {
                clap::error::ErrorKind::DisplayHelp | clap::error::ErrorKind::DisplayVersion => {
                    ExitCode::SUCCESS
                }
                _ => ExitCode::from(hashbench::EXIT_BAD_INPUT),
            };
        }
    };
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    match run(&cli, &mut out) {
        Ok(code) => code,
        Err(error) => {
            #[allow(clippy::print_stderr)] // The binary's one place to report a failed command.
            {
                eprintln!("error: {error:#}");
            }
            ExitCode::from(hashbench::EXIT_BAD_INPUT)
        }
    }
}

fn run(cli: &cli::Cli, out: &mut dyn std::io::Write) -> anyhow::Result<ExitCode> {
    let catalog = || hashbench::profiles::load_catalog(cli.profiles_dir.as_deref());
    match &cli.command {
        cli::Command::Eval(args) => {
            if !eval::run(&catalog()?, args, out)? {
                return Ok(ExitCode::FAILURE);
            }
        }
        cli::Command::Fuzz(args) => {
            if !fuzz::run(args, out)? {
                return Ok(ExitCode::FAILURE);
            }
        }
        cli::Command::Bench(args) => bench::run(&catalog()?, args, out)?,
    }
    Ok(ExitCode::SUCCESS)
}
