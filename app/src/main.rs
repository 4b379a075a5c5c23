//! The `hashbench` binary: parse the command line and hand over to the library.

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let command = std::env::args().nth(1);
    let cli = match hashbench::cli::Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return match e.kind() {
                clap::error::ErrorKind::DisplayHelp | clap::error::ErrorKind::DisplayVersion => {
                    ExitCode::SUCCESS
                }
                _ if command.as_deref() == Some("diagnose") => {
                    ExitCode::from(hashbench::diagnose::EXIT_COULD_NOT_RUN)
                }
                _ => ExitCode::from(hashbench::EXIT_BAD_INPUT),
            };
        }
    };
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    match hashbench::run(cli, &mut out) {
        Ok(code) => code,
        Err(error) => {
            #[allow(clippy::print_stderr)] // The binary's one place to report a failed command.
            {
                eprintln!("error: {error:#}");
            }
            ExitCode::from(hashbench::exit_code_for(&error, command.as_deref()))
        }
    }
}
