//! The command line, declared with clap.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Hashbench: test, diagnose and track the repair of Bitcoin ASIC hashboards.
#[derive(Debug, Parser)]
#[command(name = "hashbench", version, about)]
pub struct Cli {
    /// Directory of board profile files that replace or add to the built-in ones
    /// (default: `boards/` in the user's config directory).
    #[arg(long, global = true, value_name = "DIR")]
    pub profiles_dir: Option<PathBuf>,

    /// The repair database: a SQLite file (default: `hashbench.db` in the user's data
    /// directory), or the shop's PostgreSQL server as `postgres://USER[:PASSWORD]@HOST[:PORT]/DB`.
    #[arg(long, global = true, value_name = "PATH|URL")]
    pub db: Option<PathBuf>,

    /// Open the workbench straight into a simulated board (with no command).
    #[arg(long)]
    pub demo: bool,

    /// Board profile for --demo.
    #[arg(long, value_name = "PROFILE", requires = "demo")]
    pub model: Option<String>,

    /// Fault of the --demo board (repeatable), as for `diagnose --fault`.
    #[arg(long, value_name = "SPEC", requires = "demo")]
    pub fault: Vec<String>,

    /// Start a diagnosis as soon as the workbench window opens.
    #[arg(long)]
    pub run: bool,

    /// The --demo board's runs include the frequency ladder (85 %, 110 %).
    #[arg(long, requires = "demo")]
    pub ladder: bool,

    /// The --demo board's runs end with an aging test of MINUTES.
    #[arg(long, value_name = "MINUTES", requires = "demo", value_parser = clap::value_parser!(u32).range(1..=480))]
    pub aging: Option<u32>,

    /// What to do. With none, the workbench window opens.
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Decode captured BM13xx chain traffic (hex) into frames.
    Decode(DecodeArgs),
    /// List the board profiles.
    Profiles(ProfilesArgs),
    /// Diagnose a board: chips, domains, sensors, and what to repair.
    /// Exit code 0 pass, 1 fail, 2 inconclusive, 3 could not run.
    Diagnose(DiagnoseArgs),
    /// Find the chip holding the return line low (a chain that counts 0 chips): where to short
    /// RO to 1V8 next, a count with the short in place, until one chip is left (Bitmain's
    /// halving). On a simulated board the short is applied for you.
    Halve(HalveArgs),
    /// Serve a simulated jig with a board on a pseudo-terminal, until interrupted.
    Sim(SimArgs),
    /// List serial ports and say which are jigs.
    Ports(PortsArgs),
    /// Look after the jig itself: calibrate its tap dividers.
    #[command(subcommand)]
    Jig(JigCommand),
    /// The board EEPROM: read (and back up on a ticket), decode, compare, write back.
    #[command(subcommand)]
    Eeprom(EepromCommand),
    /// Repair tickets: take a board in, list, show, record repairs, close.
    #[command(subcommand)]
    Tickets(TicketsCommand),
    /// Export the repair history (one row per repair action and per closed ticket).
    Export(ExportArgs),
    /// The shop server: move a bench's history onto it, send the bench's outbox.
    #[command(subcommand)]
    Db(DbCommand),
    /// Write a zip for whoever helps you: versions, where the records are, the logs; a
    /// capture and a ticket (customer data) only when given.
    SupportBundle(SupportBundleArgs),
    /// Write a ticket's diagnostic report as PDF.
    Report(ReportArgs),
    /// Bring the jig to the firmware this Hashbench expects: through a debug probe, or as UF2
    /// to the RP2040's BOOTSEL drive.
    Flash(FlashArgs),
}

/// Arguments of `hashbench flash`.
#[derive(Debug, Args)]
pub struct FlashArgs {
    /// Flash through the debug probe with this serial number (default: the only probe).
    #[arg(long, value_name = "SERIAL", conflicts_with = "uf2")]
    pub probe: Option<String>,
    /// Copy the firmware as UF2 to the BOOTSEL drive (mounted at MOUNT, or found).
    #[arg(long, value_name = "MOUNT", num_args = 0..=1)]
    #[allow(clippy::option_option)] // clap: absent / `--uf2` / `--uf2 MOUNT`.
    pub uf2: Option<Option<PathBuf>>,
    /// Flash this firmware ELF instead of the one built into Hashbench.
    #[arg(long, value_name = "FIRMWARE")]
    pub file: Option<PathBuf>,
    /// Only list debug probes and BOOTSEL drives, and say which firmware would be flashed.
    #[arg(long, conflicts_with_all = ["probe", "uf2"])]
    pub list: bool,
    /// Seconds to wait for the list of debug probes.
    #[arg(long, default_value_t = 5)]
    pub probe_timeout: u64,
}

/// Arguments of `hashbench report`.
#[derive(Debug, Args)]
pub struct ReportArgs {
    /// Ticket number.
    #[arg(long, value_name = "N")]
    pub ticket: i64,
    /// Report on this run of the ticket (default: its latest).
    #[arg(long, value_name = "RUN")]
    pub run: Option<i64>,
    /// Where to write the PDF.
    #[arg(long, value_name = "FILE.pdf")]
    pub out: PathBuf,
    /// Paper size: a4 or letter.
    #[arg(long, default_value = "a4")]
    pub paper: String,
}

/// `hashbench tickets ...`.
#[derive(Debug, Subcommand)]
pub enum TicketsCommand {
    /// Take a board in; prints the new ticket's number.
    New(NewTicketArgs),
    /// List tickets, newest first.
    List(ListTicketsArgs),
    /// Show a ticket with its runs and repair actions.
    Show(ShowTicketArgs),
    /// Record a repair action on a ticket.
    Repair(RepairArgs),
    /// Record a meter reading at a test point (a chip's CLK, CI, RO, BO, RST; a domain's
    /// supply, 1V8, 0V8), judged against what the board should read there.
    Reading(ReadingArgs),
    /// Move a ticket to another status (done, returned and scrapped close it).
    Status(StatusArgs),
    /// Every ticket, run and repair of one board, with repeat failures flagged.
    History(HistoryArgs),
    /// Write the capture attached to a run (its chain traffic, JSON lines) to a file.
    Capture(CaptureArgs),
    /// Write a ticket's label (62 x 29 mm PDF: ticket number, serial, model, customer, intake
    /// date, and a QR code the Scan field reads back) for a label printer.
    Label(LabelArgs),
    /// The shop's statistics: tickets per status, repair yield, median times, and the chip
    /// positions and domains that failed most per model; with --pdf, the same with charts.
    Stats(StatsArgs),
}

/// Arguments of `hashbench tickets stats`.
#[derive(Debug, Args)]
pub struct StatsArgs {
    /// Also write the statistics with their charts as PDF here.
    #[arg(long, value_name = "FILE")]
    pub pdf: Option<PathBuf>,
    /// Paper size of the PDF: a4 or letter.
    #[arg(long, default_value = "a4")]
    pub paper: String,
}

/// Arguments of `hashbench tickets label`.
#[derive(Debug, Args)]
pub struct LabelArgs {
    /// The ticket.
    pub ticket: i64,
    /// Write the PDF here.
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
}

/// Arguments of `hashbench tickets capture`.
#[derive(Debug, Args)]
pub struct CaptureArgs {
    /// The run (see `hashbench tickets show`).
    #[arg(long)]
    pub run: i64,
    /// Write the capture here (`-` for standard output).
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
}

/// Arguments of `hashbench tickets new`.
#[derive(Debug, Args)]
pub struct NewTicketArgs {
    /// Board serial number.
    #[arg(long)]
    pub serial: String,
    /// Board profile (see `hashbench profiles`).
    #[arg(long, value_name = "PROFILE")]
    pub model: String,
    /// Customer.
    #[arg(long, default_value = "")]
    pub customer: String,
    /// What the customer reported.
    #[arg(long, value_name = "TEXT", default_value = "")]
    pub symptom: String,
    /// Technician taking the board in (default: the login name).
    #[arg(long)]
    pub technician: Option<String>,
}

/// Arguments of `hashbench tickets list`.
#[derive(Debug, Args)]
pub struct ListTicketsArgs {
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
    /// Words in the serial, customer, symptom or notes, or a ticket number.
    #[arg(long, value_name = "TEXT", default_value = "")]
    pub search: String,
    /// Only this status.
    #[arg(long, value_name = "STATUS")]
    pub status: Option<String>,
    /// Only this profile.
    #[arg(long, value_name = "PROFILE", default_value = "")]
    pub model: String,
    /// Taken in on or after this day (YYYY-MM-DD, UTC).
    #[arg(long, value_name = "DATE")]
    pub since: Option<String>,
    /// Taken in on or before this day (YYYY-MM-DD, UTC).
    #[arg(long, value_name = "DATE")]
    pub until: Option<String>,
    /// At most this many tickets.
    #[arg(long, default_value_t = 50)]
    pub limit: usize,
}

/// Arguments of `hashbench tickets show`.
#[derive(Debug, Args)]
pub struct ShowTicketArgs {
    /// Ticket number.
    pub ticket: i64,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

/// Arguments of `hashbench tickets repair`.
#[derive(Debug, Args)]
pub struct RepairArgs {
    /// Ticket number.
    pub ticket: i64,
    /// Chain index of the chip (0-based, as on the board map); leave out for a board-level action.
    #[arg(long)]
    pub chip: Option<usize>,
    /// reflow, replace, reball, clean or other.
    #[arg(long)]
    pub action: String,
    /// Part source or lot.
    #[arg(long, default_value = "")]
    pub part: String,
    /// Minutes it took.
    #[arg(long, default_value_t = 0)]
    pub minutes: u32,
    /// Notes.
    #[arg(long, default_value = "")]
    pub notes: String,
    /// Technician (default: the login name).
    #[arg(long)]
    pub technician: Option<String>,
}

/// Arguments of `hashbench tickets reading`.
#[derive(Debug, Args)]
pub struct ReadingArgs {
    /// Ticket number.
    pub ticket: i64,
    /// The chip whose signal was read (chain index, as on the board map).
    #[arg(long, conflicts_with = "domain", required_unless_present = "domain")]
    pub chip: Option<usize>,
    /// The domain whose supply or LDO was read.
    #[arg(long)]
    pub domain: Option<usize>,
    /// CLK, CI, RO, BO, RST (at a chip, against its domain's ground) or domain, 1V8, 0V8.
    #[arg(long)]
    pub point: String,
    /// What the meter read, mV.
    #[arg(long, value_name = "MV")]
    pub mv: u32,
    /// Technician (default: the login name).
    #[arg(long)]
    pub technician: Option<String>,
}

/// Arguments of `hashbench tickets status`.
#[derive(Debug, Args)]
pub struct StatusArgs {
    /// Ticket number.
    pub ticket: i64,
    /// received, diagnosing, repairing, verifying, done, returned or scrapped.
    pub status: String,
    /// Verification policy: passing full-board runs after the last repair before the ticket
    /// may close as done (0 turns the check off).
    #[arg(long, default_value_t = store::DEFAULT_REQUIRED_PASSES)]
    pub passes: u32,
}

/// Arguments of `hashbench tickets history`.
#[derive(Debug, Args)]
pub struct HistoryArgs {
    /// Board serial number.
    pub serial: String,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

/// Arguments of `hashbench export`.
#[derive(Debug, Args)]
pub struct ExportArgs {
    /// Write CSV to this file (`-` for standard output).
    #[arg(long, value_name = "FILE")]
    pub csv: PathBuf,
    /// Repair actions done and tickets closed on or after this day (YYYY-MM-DD, UTC).
    #[arg(long, value_name = "DATE")]
    pub since: Option<String>,
    /// ... on or before this day (YYYY-MM-DD, UTC).
    #[arg(long, value_name = "DATE")]
    pub until: Option<String>,
    /// Only tickets with this status.
    #[arg(long, value_name = "STATUS")]
    pub status: Option<String>,
}

/// Chip families, as named on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FamilyArg {
    /// Antminer S9.
    Bm1387,
    /// Antminer S17 generation.
    Bm1397,
    /// Antminer S19 / S19 Pro.
    Bm1398,
    /// Antminer S19j Pro.
    Bm1362,
    /// Antminer S19k Pro / S19 XP, Bitaxe Ultra / Hex.
    Bm1366,
    /// Antminer S21, Bitaxe Supra / SupraHex.
    Bm1368,
    /// Antminer S21 Pro, Bitaxe Gamma.
    Bm1370,
}

impl From<FamilyArg> for bm13xx::Family {
    fn from(f: FamilyArg) -> Self {
        match f {
            FamilyArg::Bm1387 => Self::Bm1387,
            FamilyArg::Bm1397 => Self::Bm1397,
            FamilyArg::Bm1398 => Self::Bm1398,
            FamilyArg::Bm1362 => Self::Bm1362,
            FamilyArg::Bm1366 => Self::Bm1366,
            FamilyArg::Bm1368 => Self::Bm1368,
            FamilyArg::Bm1370 => Self::Bm1370,
        }
    }
}

/// Which line of the chain the capture was taken on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Source {
    /// Host to chips (TX / CI): commands and jobs.
    Host,
    /// Chips to host (RX / RO): register replies and nonces.
    Chip,
}

/// Arguments of `hashbench decode`.
#[derive(Debug, Args)]
pub struct DecodeArgs {
    /// Chip family of the chain (with --capture: the capture's own, unless given).
    #[arg(long, value_enum, required_unless_present = "capture")]
    pub family: Option<FamilyArg>,
    /// Decode a capture written by `hashbench diagnose --capture` (JSON lines, both directions).
    #[arg(long, value_name = "FILE", conflicts_with_all = ["hex", "file"])]
    pub capture: Option<PathBuf>,
    /// Direction of the captured bytes.
    #[arg(long, value_enum, default_value = "chip")]
    pub from: Source,
    /// Print `{"frames":[...]}` instead of one line per frame.
    #[arg(long)]
    pub json: bool,
    /// Address interval of the chain, for the chip address of nonces (default: 4 for BM1387,
    /// 2 otherwise).
    #[arg(long, value_parser = clap::value_parser!(u16).range(1..=256))]
    pub interval: Option<u16>,
    /// Hex bytes; spaces, `:` and `,` between bytes are optional.
    #[arg(value_name = "HEX")]
    pub hex: Vec<String>,
    /// A file of hex text (`#` starts a comment).
    #[arg(long, value_name = "PATH")]
    pub file: Option<PathBuf>,
}

/// Arguments of `hashbench profiles`.
#[derive(Debug, Args)]
pub struct ProfilesArgs {
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

/// Arguments of `hashbench diagnose`.
#[derive(Debug, Args)]
pub struct DiagnoseArgs {
    /// Diagnose a simulated board of this profile (see `hashbench profiles`).
    #[arg(long, value_name = "PROFILE", conflicts_with = "port")]
    pub sim: Option<String>,
    /// Diagnose the board on the jig at this serial port (see `hashbench ports`).
    #[arg(long, value_name = "PATH")]
    pub port: Option<String>,
    /// The board's profile, when diagnosing through --port (default: read from the board's EEPROM).
    #[arg(long, value_name = "PROFILE", requires = "port")]
    pub model: Option<String>,
    /// Inject a fault into the simulated board (repeatable): dead:K, break:K, weak:K:PCT,
    /// hwerr:K:PCT, short:D, sensor:S, wrongid:K, flaky:K, slowlink:K, hot:K (0-based).
    #[arg(long, value_name = "SPEC")]
    pub fault: Vec<String>,
    /// Seed of the simulated board.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Baud rate for the pattern test (default: the profile's high rate, capped by the jig).
    #[arg(long)]
    pub baud: Option<u32>,
    /// Print one JSON object instead of the summary.
    #[arg(long)]
    pub json: bool,
    /// Save the run against this ticket (default: a new ticket for the board).
    #[arg(long, value_name = "N")]
    pub ticket: Option<i64>,
    /// Who runs the diagnosis, recorded with it (default: the login name).
    #[arg(long, value_name = "NAME")]
    pub operator: Option<String>,
    /// Also write the diagnostic report of this run (with its ticket) as PDF.
    #[arg(long, value_name = "FILE.pdf")]
    pub report: Option<PathBuf>,
    /// Paper size of --report: a4 or letter.
    #[arg(long, default_value = "a4")]
    pub paper: String,
    /// Also write the run's chain traffic, every frame both ways with its jig time, as JSON lines
    /// (read it back with `hashbench decode --capture FILE`).
    #[arg(long, value_name = "FILE")]
    pub capture: Option<PathBuf>,
    /// After the pattern test, hash until the board is warm (a sensor at 60 °C) or MINUTES pass
    /// (default 10), then test again: chips that fail only warm are named (`fails_hot`).
    #[arg(long, value_name = "MINUTES", num_args = 0..=1, default_missing_value = "10")]
    pub soak: Option<u32>,
    /// After the pattern test, test again at these shares of the profile's hash clock, percent,
    /// comma separated (default 85,110), and back: each chip's `margin_mhz`, and a note on a
    /// chip that fails a step the rest of the board passes.
    #[arg(
        long,
        value_name = "PCTS",
        num_args = 0..=1,
        default_missing_value = "85,110",
        value_delimiter = ','
    )]
    pub ladder: Option<Vec<f64>>,
    /// After the pattern test, test again at the profile's clock with the board supply (the
    /// APW12 the jig drives) at each of these, mV, comma separated (e.g. 13600,13200, Bitmain's
    /// PT2 steps), then back at the profile's stack voltage: each chip's `margin_mv`, and a note
    /// on a chip that fails a lower supply the rest of the board passes. Stacked boards only.
    #[arg(long, value_name = "MVS", value_delimiter = ',')]
    pub ladder_mv: Option<Vec<u32>>,
    /// At the end, keep the chips hashing known-nonce work for MINUTES, counting each chip's
    /// missed and miscomputed nonces every 30 s: a chip that passed and errs far more than the
    /// board while aging is named (`aging_errors`); the windows are in the JSON (`aging`).
    #[arg(long, value_name = "MINUTES")]
    pub aging: Option<u32>,
}

/// Arguments of `hashbench halve`.
#[derive(Debug, Args)]
pub struct HalveArgs {
    /// Halve a simulated board of this profile (the shorts are applied for you).
    #[arg(long, value_name = "PROFILE", conflicts_with = "port")]
    pub sim: Option<String>,
    /// Halve the board on the jig at this serial port (you short, then press Enter).
    #[arg(long, value_name = "PATH")]
    pub port: Option<String>,
    /// The board's profile, through --port (default: read from the board's EEPROM).
    #[arg(long, value_name = "PROFILE", requires = "port")]
    pub model: Option<String>,
    /// A fault of the simulated board (repeatable), as for `diagnose --fault`: rostuck:K.
    #[arg(long, value_name = "SPEC", requires = "sim")]
    pub fault: Vec<String>,
    /// Seed of the simulated board.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Save each count as a run on this ticket.
    #[arg(long, value_name = "N")]
    pub ticket: Option<i64>,
}

/// Arguments of `hashbench sim`.
#[derive(Debug, Args)]
pub struct SimArgs {
    /// Board profile of the simulated board.
    #[arg(long, value_name = "PROFILE")]
    pub model: String,
    /// Inject a fault (repeatable), as for `diagnose --fault`.
    #[arg(long, value_name = "SPEC")]
    pub fault: Vec<String>,
    /// Seed of the simulated board.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// A jig whose EEPROM holds no tap calibration (its 0.1 % dividers read up to ±14 mV off).
    #[arg(long)]
    pub uncalibrated: bool,
    /// The calibration plug on the harness: this reference on every clip, mV.
    #[arg(long, value_name = "MV")]
    pub calibration_plug: Option<u32>,
    /// Serve on this serial port (one end of a virtual null-modem pair, e.g. com0com's COM5 on
    /// Windows, which has no pseudo-terminals) instead of a new pseudo-terminal.
    #[arg(long, value_name = "PORT")]
    pub on: Option<String>,
}

/// Arguments of `hashbench support-bundle`.
#[derive(Debug, Args)]
pub struct SupportBundleArgs {
    /// Write the zip here.
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
    /// Include this ticket with its runs and repairs (its customer and notes go along).
    #[arg(long)]
    pub ticket: Option<i64>,
    /// Include this capture (`diagnose --capture`, `tickets capture`).
    #[arg(long, value_name = "FILE")]
    pub capture: Option<PathBuf>,
}

impl Command {
    /// The command's name, for the logs.
    #[must_use]
    pub fn name(&self) -> &'static str {
        match self {
            Command::Decode(_) => "decode",
            Command::Profiles(_) => "profiles",
            Command::Diagnose(_) => "diagnose",
            Command::Halve(_) => "halve",
            Command::Sim(_) => "sim",
            Command::Ports(_) => "ports",
            Command::Jig(_) => "jig",
            Command::Eeprom(_) => "eeprom",
            Command::Tickets(_) => "tickets",
            Command::Export(_) => "export",
            Command::Db(_) => "db",
            Command::SupportBundle(_) => "support-bundle",
            Command::Report(_) => "report",
            Command::Flash(_) => "flash",
        }
    }
}

/// `hashbench db ...`.
#[derive(Debug, Subcommand)]
pub enum DbCommand {
    /// Copy every record of a bench's SQLite file into the shop server. Safe to run again: rows
    /// already there (by their origin) are not copied twice; rows added since are.
    Push(DbPushArgs),
    /// Runs kept in this bench's outbox while the shop server was away: list them, or send
    /// them (each saved exactly once) with --send.
    Outbox(DbOutboxArgs),
}

/// Arguments of `hashbench db push`.
#[derive(Debug, Args)]
pub struct DbPushArgs {
    /// The bench's database file.
    #[arg(long, value_name = "FILE")]
    pub from: PathBuf,
    /// The shop server (`postgres://…`).
    #[arg(long, value_name = "URL")]
    pub to: String,
}

/// Arguments of `hashbench db outbox`.
#[derive(Debug, Args)]
pub struct DbOutboxArgs {
    /// Send the waiting runs to the shop server (`--db`).
    #[arg(long)]
    pub send: bool,
    /// The outbox file (default: `outbox.db` in the user's data directory).
    #[arg(long, value_name = "FILE")]
    pub outbox: Option<PathBuf>,
}

/// `hashbench eeprom ...`.
#[derive(Debug, Subcommand)]
pub enum EepromCommand {
    /// Read the board's EEPROM, print what it holds, keep it on --ticket as a backup, and/or
    /// save it to --out.
    Read(EepromReadArgs),
    /// Decode an image: a file (256 raw bytes, or a hex dump) or `image:N` from the database.
    Decode(EepromDecodeArgs),
    /// Compare two images byte by byte and field by field.
    Diff(EepromDiffArgs),
    /// Write an image to the board: the board's current image is kept on --ticket first (no
    /// backup, no write), a legacy image's CRC is fixed, and the write is read back.
    Write(EepromWriteArgs),
}

/// Which board: a simulated one or the one on a jig.
#[derive(Debug, Args)]
pub struct EepromBoardArgs {
    /// A simulated board of this profile.
    #[arg(
        long,
        value_name = "PROFILE",
        conflicts_with = "port",
        required_unless_present = "port"
    )]
    pub sim: Option<String>,
    /// The board on the jig at this serial port.
    #[arg(long, value_name = "PATH")]
    pub port: Option<String>,
    /// Seed of the simulated board.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
}

/// Arguments of `hashbench eeprom read`.
#[derive(Debug, Args)]
pub struct EepromReadArgs {
    #[command(flatten)]
    pub board: EepromBoardArgs,
    /// Keep the image on this ticket, as a backup.
    #[arg(long, value_name = "N")]
    pub ticket: Option<i64>,
    /// Save the 256 bytes to this file.
    #[arg(long, value_name = "FILE")]
    pub out: Option<std::path::PathBuf>,
}

/// Arguments of `hashbench eeprom decode`.
#[derive(Debug, Args)]
pub struct EepromDecodeArgs {
    /// A file (256 raw bytes, or a hex dump) or `image:N` (see `hashbench eeprom read --ticket`).
    pub image: String,
}

/// Arguments of `hashbench eeprom diff`.
#[derive(Debug, Args)]
pub struct EepromDiffArgs {
    /// The first image: a file or `image:N`.
    pub a: String,
    /// The second image: a file or `image:N`.
    pub b: String,
}

/// Arguments of `hashbench eeprom write`.
#[derive(Debug, Args)]
pub struct EepromWriteArgs {
    #[command(flatten)]
    pub board: EepromBoardArgs,
    /// The ticket the board's current image is kept on before the write (required: no backup,
    /// no write), and the written image after.
    #[arg(long, value_name = "N")]
    pub ticket: i64,
    /// The image to write: a file or `image:N` (e.g. a good board's, to bring three boards to
    /// one valid image).
    #[arg(long, value_name = "IMAGE")]
    pub from: String,
}

/// `hashbench jig ...`.
#[derive(Debug, Subcommand)]
pub enum JigCommand {
    /// Calibrate the 64 tap dividers against a reference on the calibration plug (board off,
    /// every harness clip on the reference); the corrections are kept in the jig's EEPROM.
    Calibrate(CalibrateArgs),
    /// Set the APW12 supply's output voltage over its I2C (11.78 V to 15.09 V).
    Supply(SupplyArgs),
    /// Set a Bitaxe's core rail through its TPS546 or DS4432U (for a stacked board, the sum of
    /// its domains, as ESP-Miner sets it).
    Core(CoreArgs),
}

/// A Bitaxe core regulator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RegulatorArg {
    /// TPS546 (Ultra 207, Supra 402/403, Gamma, Hex, SupraHex).
    Tps546,
    /// DS4432U (Max, Ultra 201-205, Supra 400/401).
    Ds4432u,
}

/// Arguments of `hashbench jig core`.
#[derive(Debug, Args)]
pub struct CoreArgs {
    /// The jig's serial port (see `hashbench ports`).
    #[arg(long, value_name = "PATH")]
    pub port: String,
    /// The board's regulator.
    #[arg(long, value_enum)]
    pub regulator: RegulatorArg,
    /// Output, mV.
    #[arg(long, value_name = "MV")]
    pub mv: u32,
}

/// Arguments of `hashbench jig supply`.
#[derive(Debug, Args)]
pub struct SupplyArgs {
    /// The jig's serial port (see `hashbench ports`).
    #[arg(long, value_name = "PATH")]
    pub port: String,
    /// Output voltage, mV.
    #[arg(long, value_name = "MV")]
    pub mv: u32,
}

/// Arguments of `hashbench jig calibrate`.
#[derive(Debug, Args)]
pub struct CalibrateArgs {
    /// The jig's serial port (see `hashbench ports`).
    #[arg(long, value_name = "PATH")]
    pub port: String,
    /// The reference on the plug, as a good meter reads it, mV (near the taps' working voltage,
    /// e.g. 13600 for an S19 Pro).
    #[arg(long, value_name = "MV", value_parser = clap::value_parser!(u32).range(1000..=30000))]
    pub reference_mv: u32,
    /// Only check: scan and report the errors, keep the stored corrections.
    #[arg(long)]
    pub check: bool,
}

/// Arguments of `hashbench ports`.
#[derive(Debug, Args)]
pub struct PortsArgs {
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
    /// Also try a handshake on ports not recognised as jigs (a jig with other USB ids, or one
    /// behind a USB-serial adapter). Writes a few bytes to each such port.
    #[arg(long)]
    pub probe: bool,
}
