//! The `hashbench` binary: parse the command line and hand over to the library.

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = hashbench::cli::Cli::parse();
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    match hashbench::run(cli, &mut out) {
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
