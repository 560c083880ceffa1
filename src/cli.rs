//! The command line, as clap types. They stop here: [`Cli::into_command`] turns them into
//! the plain [`Command`] the rest of the program runs.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::engine::Limits;

/// Score case profiles against indicators written as Rhai scripts: every indicator
/// answers yes, no or unknown, with its reason and the cited facts it rests on.
///
/// With no PATH, `score` runs on the 20 historical cases of the FBI's 1955 study
/// "Soviet Defectors", which ship inside the binary with its indicators.
#[derive(Debug, Parser)]
#[command(name = "casematch", version, max_term_width = 100)]
#[command(
    after_help = "Exit codes: 0 every profile scored and every rule answered; \
1 some rule failed (an `error` finding); 2 bad input or usage (a profile could not be \
read or validated, a bad flag)."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: CliCommand,
}

#[derive(Debug, Subcommand)]
pub enum CliCommand {
    /// Score profiles: each indicator's verdict, reason and evidence, and a score.
    ///
    /// PATH may be a profile (.json), a file of one profile per line (.ndjson, .jsonl),
    /// a directory (searched recursively, in sorted order) or `-` for stdin. A profile
    /// that cannot be read gets an error entry in its place; the others are scored.
    #[command(
        after_help = "Examples:\n  casematch score fixtures/cases/20-petrov.json\n  \
casematch score --format json fixtures/cases/ > report.json\n  \
casematch score --rules my-rules/ suspect.json"
    )]
    Score(ScoreArgs),
    /// Check profiles against the schema; report every invalid one with
    /// file:line:column, the JSON path and what was expected.
    Validate {
        /// Profiles, NDJSON files, directories, or `-` for stdin.
        #[arg(required = true)]
        paths: Vec<String>,
    },
    /// Print the JSON Schema of a profile (for editors and other tools).
    Schema,
}

#[derive(Debug, Args)]
pub struct ScoreArgs {
    /// Profiles to score; none means the 20 embedded historical cases.
    pub paths: Vec<String>,
    /// Output format.
    #[arg(long, short, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    #[command(flatten)]
    pub rules: RulesArgs,
}

#[derive(Debug, Args)]
pub struct RulesArgs {
    /// Use the rules in this folder (every *.rhai file) instead of the built-in ones.
    #[arg(long, value_name = "DIR")]
    pub rules: Option<PathBuf>,
    /// Operations one rule may run on one profile before it is stopped.
    #[arg(long, value_name = "N", default_value_t = Limits::default().max_operations)]
    pub max_operations: u64,
    /// Wall-clock milliseconds one rule may run on one profile.
    #[arg(long, value_name = "MS", default_value_t = Limits::default().timeout_ms)]
    pub timeout_ms: u64,
}

impl RulesArgs {
    pub fn limits(&self) -> Limits {
        Limits {
            max_operations: self.max_operations,
            timeout_ms: self.timeout_ms,
            ..Limits::default()
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// A readable table per profile (fits 80 columns).
    Table,
    /// A JSON array, one object per profile.
    Json,
}
