//! The command-line program: parse arguments, run the command, write to stdout and
//! stderr, and return the exit code. `main.rs` only calls [`run`].

use std::ffi::OsString;
use std::io::{self, Write};

use clap::Parser;

use crate::cli::{Cli, CliCommand};
use crate::commands;
use crate::error::Error;

/// Exit codes (documented in the README and `--help`).
pub mod exit {
    pub const OK: u8 = 0;
    /// Some rule failed on some profile, or could not be loaded.
    pub const RULE_FAILED: u8 = 1;
    /// Bad input or usage.
    pub const BAD_INPUT: u8 = 2;
}

/// Runs casematch with `args` (program name first) and returns the exit code.
pub fn run<I, T>(args: I) -> u8
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() {
                exit::BAD_INPUT
            } else {
                exit::OK
            };
        }
    };
    let result = match cli.command {
        CliCommand::Score(args) => commands::score::run(args),
        CliCommand::Validate(args) => commands::validate::run(args),
        CliCommand::Schema => commands::schema::run(),
        CliCommand::Rules(command) => commands::rules::run(command),
        CliCommand::Explain(args) => commands::explain::run(args),
        CliCommand::Cohort(args) => commands::cohort::run(args),
        CliCommand::Similar(args) => commands::similar::run(args),
        CliCommand::Completions { shell } => commands::completions::completions(shell),
        CliCommand::Man => commands::completions::man(),
    };
    match result {
        Ok(code) => code,
        // A closed pipe (`casematch score | head`) is the reader's choice, not an error.
        Err(Error::Output(e)) if e.kind() == io::ErrorKind::BrokenPipe => exit::OK,
        Err(e) => {
            let _ = writeln!(io::stderr(), "error: {e}");
            u8::try_from(e.code()).unwrap_or(exit::BAD_INPUT)
        }
    }
}
