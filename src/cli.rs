//! The command line, as clap types. They stop at `app`, which hands each command's
//! arguments to its module under `commands/`.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::engine::Limits;

/// Score case profiles against indicators written as Rhai scripts: every indicator
/// answers yes, no or unknown, with its reason and the cited facts it rests on.
///
/// With no PATH, `score` and `cohort` run on the 20 historical cases of the FBI's 1955
/// study "Soviet Defectors", which ship inside the binary with its indicators.
#[derive(Debug, Parser)]
#[command(name = "casematch", version, max_term_width = 100)]
#[command(
    after_help = "Exit codes: 0 every profile scored and every rule answered; \
1 some rule failed (an `error` finding), a rule test failed, or output could not be \
written; 2 bad input or usage (a profile could not be read or validated, a bad flag)."
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
casematch score --format ndjson --jobs 2 people.ndjson > scores.ndjson\n  \
casematch score --rules my-rules/ --only under_recall suspect.json"
    )]
    Score(ScoreArgs),
    /// Check profiles against the schema; report every invalid one with
    /// file:line:column, the JSON path and what was expected.
    Validate(ValidateArgs),
    /// Print the JSON Schema of a profile (for editors and other tools).
    Schema,
    /// Work on rules: list, check, test, or start a new one.
    #[command(subcommand)]
    Rules(RulesCommand),
    /// Show one rule on one profile in full: every path it read and the value found,
    /// what it printed, and its verdict and reason.
    Explain(ExplainArgs),
    /// Aggregate verdicts over many cases, and check the study's published figures.
    Cohort(CohortArgs),
    /// Rank historical cases by how closely their indicator pattern matches a profile.
    Similar(SimilarArgs),
    /// Print a shell completion script.
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff).
    Man,
}

#[derive(Debug, Args)]
pub struct ScoreArgs {
    /// Profiles to score; none means the 20 embedded historical cases.
    pub paths: Vec<String>,
    /// Output format.
    #[arg(long, short, value_enum, default_value_t = ScoreFormat::Table)]
    pub format: ScoreFormat,
    /// Only these rules (comma-separated ids); composites still run what they consult.
    #[arg(long, value_delimiter = ',', value_name = "RULE,...")]
    pub only: Vec<String>,
    /// Only rules with one of these tags (comma-separated).
    #[arg(long, value_delimiter = ',', value_name = "TAG,...")]
    pub tags: Vec<String>,
    /// Threads that read, score and write (default: all cores); `--jobs 1` runs on one.
    #[arg(long, short, value_name = "N")]
    pub jobs: Option<usize>,
    /// Write the report to FILE (atomically: a temporary file, then rename).
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Score again whenever a rule or profile changes.
    #[arg(long)]
    pub watch: bool,
    /// No summary line on stderr at the end; problems are still reported there.
    #[arg(long, short)]
    pub quiet: bool,
    /// Run every rule on every profile. By default a rule's answer is reused on a
    /// profile where it would observe exactly what it observed before; the output is
    /// the same either way (see docs/performance.md).
    #[arg(long)]
    pub no_cache: bool,
    #[command(flatten)]
    pub rules: RulesArgs,
}

#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// Profiles, NDJSON files, directories, or `-` for stdin.
    #[arg(required = true)]
    pub paths: Vec<String>,
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
    /// Bytes of memory one rule may hold while it runs on one profile.
    #[arg(long, value_name = "BYTES", default_value_t = Limits::default().max_memory)]
    pub max_memory: usize,
}

impl RulesArgs {
    pub fn limits(&self) -> Limits {
        Limits {
            max_operations: self.max_operations,
            timeout_ms: self.timeout_ms,
            max_memory: self.max_memory,
            ..Limits::default()
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum RulesCommand {
    /// List the rules: id, title, weight, tags, citation.
    List {
        #[arg(long, short, value_enum, default_value_t = ListFormat::Table)]
        format: ListFormat,
        #[command(flatten)]
        rules: RulesArgs,
    },
    /// Compile every rule and check its metadata and the set; lint for typos in
    /// profile paths and for answers of `no` from unknown facts.
    Check {
        #[arg(long, short, value_enum, default_value_t = ListFormat::Table)]
        format: ListFormat,
        #[command(flatten)]
        rules: RulesArgs,
    },
    /// Run each rule's expectations (`expect` in its metadata) and report coverage.
    Test {
        #[arg(long, short, value_enum, default_value_t = ListFormat::Table)]
        format: ListFormat,
        /// Run again whenever a rule changes.
        #[arg(long)]
        watch: bool,
        #[command(flatten)]
        rules: RulesArgs,
    },
    /// Write a commented skeleton rule that passes `rules check` and `rules test`.
    New {
        /// The new rule's id (also its file name).
        name: String,
        /// The folder to write it in.
        #[arg(long, value_name = "DIR", default_value = "rules")]
        rules: PathBuf,
    },
}

#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// The rule's id.
    pub rule: String,
    /// The profile (a file, or `-` for stdin).
    pub profile: String,
    #[arg(long, short, value_enum, default_value_t = ListFormat::Table)]
    pub format: ListFormat,
    #[command(flatten)]
    pub rules: RulesArgs,
}

#[derive(Debug, Args)]
pub struct CohortArgs {
    /// Cases to aggregate; none means the 20 embedded historical cases.
    pub paths: Vec<String>,
    #[arg(long, short, value_enum, default_value_t = CohortFormat::Table)]
    pub format: CohortFormat,
    /// The claims to check (default: the study's, embedded).
    #[arg(long, value_name = "FILE")]
    pub claims: Option<PathBuf>,
    /// Write the report to FILE (atomically).
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
    #[command(flatten)]
    pub rules: RulesArgs,
}

#[derive(Debug, Args)]
pub struct SimilarArgs {
    /// The profile to compare.
    pub profile: String,
    /// The cases to compare against (default: the 20 embedded historical cases).
    #[arg(long, value_name = "PATH")]
    pub against: Vec<String>,
    /// How many matches to show.
    #[arg(long, default_value_t = 5)]
    pub top: usize,
    #[arg(long, short, value_enum, default_value_t = ListFormat::Table)]
    pub format: ListFormat,
    #[command(flatten)]
    pub rules: RulesArgs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ScoreFormat {
    /// A readable table per profile (fits 80 columns).
    Table,
    /// A JSON array, one object per profile.
    Json,
    /// One JSON object per line, streamed as results are ready.
    Ndjson,
    /// One row per profile and rule, streamed.
    Csv,
    /// A Markdown document.
    Markdown,
    /// A self-contained HTML page.
    Html,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CohortFormat {
    Table,
    Json,
    Csv,
    Markdown,
    Html,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ListFormat {
    Table,
    Json,
}
