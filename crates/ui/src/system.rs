//! Handing a file to the operating system: open it in the default viewer, or print it through
//! the system's spooler (CUPS `lp` on Linux and macOS, the shell's print verb on Windows). Each
//! call waits for the command, so callers run it on a named thread.

use std::path::Path;
use std::process::Command;

/// What a missing command means to the user.
fn missing(what: &str, e: &std::io::Error) -> String {
    if e.kind() == std::io::ErrorKind::NotFound {
        what.to_owned()
    } else {
        format!("{what} ({e})")
    }
}

/// Open `path` in the system's default application.
pub fn open(path: &Path) -> Result<String, String> {
    let mut command = if cfg!(target_os = "windows") {
        let mut c = Command::new("cmd");
        c.args(["/C", "start", ""]).arg(path);
        c
    } else if cfg!(target_os = "macos") {
        let mut c = Command::new("open");
        c.arg(path);
        c
    } else {
        let mut c = Command::new("xdg-open");
        c.arg(path);
        c
    };
    let status = command.status().map_err(|e| {
        missing(
            &format!(
                "No program to open PDFs was found (xdg-open). The report is at {}",
                path.display()
            ),
            &e,
        )
    })?;
    if status.success() {
        Ok(format!("Opened {}", path.display()))
    } else {
        Err(format!(
            "The PDF viewer could not be started ({status}). The report is at {}",
            path.display()
        ))
    }
}

/// Send `path` to the default printer.
pub fn print(path: &Path) -> Result<String, String> {
    let command = if cfg!(target_os = "windows") {
        let mut c = Command::new("powershell");
        c.args([
            "-NoProfile",
            "-Command",
            "Start-Process",
            "-Verb",
            "Print",
            "-FilePath",
        ])
        .arg(path);
        c
    } else {
        let mut c = Command::new("lp");
        c.arg(path);
        c
    };
    spool(command)
}

/// Run a spooler command and say what happened.
fn spool(mut command: Command) -> Result<String, String> {
    let output = command.output().map_err(|e| {
        missing(
            "There is no print spooler on this computer (CUPS `lp` was not found). Install CUPS and a printer, or save the PDF and print it from a viewer",
            &e,
        )
    })?;
    let said = |bytes: &[u8]| String::from_utf8_lossy(bytes).trim().to_owned();
    if output.status.success() {
        let job = said(&output.stdout);
        Ok(if job.is_empty() {
            "Sent to the printer".to_owned()
        } else {
            format!("Sent to the printer: {job}")
        })
    } else {
        let why = said(&output.stderr);
        Err(format!(
            "Printing failed: {}. Check that a printer is set up (a default destination), or save the PDF and print it from a viewer",
            if why.is_empty() {
                "the spooler refused the job".to_owned()
            } else {
                why
            }
        ))
    }
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    #[test]
    fn no_spooler_is_said_plainly() {
        let err = spool(Command::new("hashbench-test-no-such-lp")).unwrap_err();
        assert!(
            err.starts_with("There is no print spooler on this computer"),
            "{err}"
        );
    }

    #[test]
    fn a_refused_job_passes_on_what_the_spooler_said() {
        let mut lp = Command::new("sh");
        lp.args([
            "-c",
            "echo 'lp: Error - No default destination.' >&2; exit 1",
        ]);
        let err = spool(lp).unwrap_err();
        assert!(
            err.starts_with("Printing failed: lp: Error - No default destination."),
            "{err}"
        );
    }

    #[test]
    fn an_accepted_job_says_its_request_id() {
        let mut lp = Command::new("echo");
        lp.arg("request id is office-42 (1 file(s))");
        assert_eq!(
            spool(lp).unwrap(),
            "Sent to the printer: request id is office-42 (1 file(s))"
        );
    }
}
