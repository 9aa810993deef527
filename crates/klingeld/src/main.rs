//! `klingeld`: Klingel without a window — the push listener, contacts and the call log on the
//! command line, for servers, scripts and tests.
//!
//! Layout:
//! - `cli`      — the command-line grammar
//! - `serve`    — run the listener and log call updates
//! - `contacts` — add, list, edit, remove contacts; lookup
//! - `interchange` — import and export of contacts (vCard, CSV) and of the call log
//! - `calls`    — the call log and seen marks
//! - `simulate` — send a realistic call through a running listener
//! - `desks`    — the office hub's desks: add (token once), list, revoke
//! - `watch`    — a headless desk: follow a hub, one line per call update
//! - `account`  — the sipgate account: connect, status, webhook URLs; dial
//! - `show`     — how calls, contacts and times are written to the terminal

/// Prints a line on stdout and returns its error, so that a closed pipe
/// (`klingeld calls | head`) ends the command quietly instead of panicking.
macro_rules! out {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        writeln!(std::io::stdout().lock(), $($arg)*)?
    }};
}

mod account;
mod blocking;
mod calls;
mod cli;
mod contacts;
mod desks;
mod interchange;
mod serve;
mod show;
mod simulate;
mod watch;

use anyhow::Context as _;
use clap::Parser as _;
use klingel_core::{Paths, Session, Settings};
use time::UtcOffset;

/// What every command needs: resolved paths, settings, and the local time offset.
pub struct Context {
    /// Where settings and data live.
    pub paths: Paths,
    /// The loaded settings (with command-line overrides applied by the command).
    pub settings: Settings,
    /// The local UTC offset, read before any thread starts (reading it later is unsound on Linux).
    pub offset: UtcOffset,
}

impl Context {
    /// Opens the session every command works through.
    pub fn session(&self) -> anyhow::Result<Session> {
        Session::open(self.paths.clone(), self.settings.clone()).with_context(|| {
            format!(
                "opening Klingel's data in {}",
                self.paths.data_dir.display()
            )
        })
    }
}

fn main() -> std::process::ExitCode {
    let offset = UtcOffset::current_local_offset().unwrap_or(UtcOffset::UTC);
    let cli = cli::Cli::parse();
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(cli.log_filter())),
        )
        .init();
    match run(cli, offset) {
        Ok(code) => code,
        // The reader went away (`| head`): what it wanted, it has.
        Err(e) if closed_pipe(&e) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("klingeld: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn run(cli: cli::Cli, offset: UtcOffset) -> anyhow::Result<std::process::ExitCode> {
    let paths = Paths::resolve(cli.config.clone(), cli.data_dir.clone())?;
    let settings = Settings::load(&paths.config_file)?;
    let ctx = Context {
        paths,
        settings,
        offset,
    };
    match cli.command {
        cli::Command::Serve(args) => serve::run(ctx, args),
        cli::Command::Contacts(args) => contacts::run(&ctx, args),
        cli::Command::Lookup(args) => contacts::lookup(&ctx, &args),
        cli::Command::Calls(args) => calls::run(&ctx, args),
        cli::Command::Requests(args) => calls::requests(&ctx, &args),
        cli::Command::Simulate(args) => simulate::run(&ctx, &args),
        cli::Command::Block(args) => blocking::block(&ctx, &args),
        cli::Command::Unblock(args) => blocking::unblock(&ctx, &args),
        cli::Command::Blocked(args) => blocking::list(&ctx, &args),
        cli::Command::Desks(args) => desks::run(&ctx, args),
        cli::Command::Watch(args) => watch::run(&ctx, &args),
        cli::Command::Account(args) => account::run(&ctx, args),
        cli::Command::Dial(args) => account::dial(&ctx, &args),
    }
}

/// Whether `e` is stdout's reader having closed the pipe.
fn closed_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}
