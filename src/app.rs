//! The command-line program: parse arguments, run the command, write to stdout and
//! stderr, and return the exit code. `main.rs` only calls [`run`].

use std::ffi::OsString;
use std::io::{self, Write};

use clap::Parser;

use crate::cli::{Cli, CliCommand, ScoreArgs};
use crate::error::Error;
use crate::evaluate::Scorer;
use crate::finding::Report;
use crate::input;
use crate::render;
use crate::verdict::Verdict;

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
        CliCommand::Score(args) => score(args),
        CliCommand::Validate { paths } => validate(&paths),
        CliCommand::Schema => schema(),
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

fn score(args: ScoreArgs) -> Result<u8, Error> {
    let scorer = Scorer::new(args.rules.rules.as_deref(), args.rules.limits())?;
    let mut code = exit::OK;
    {
        let mut err = io::stderr().lock();
        for e in scorer.rules().errors() {
            let _ = writeln!(err, "error: rule {e}");
            code = exit::RULE_FAILED;
        }
    }
    let sources = if args.paths.is_empty() {
        crate::cases::sources()
    } else {
        input::resolve(&args.paths)
    };
    let mut out = io::BufWriter::new(io::stdout().lock());
    let mut renderer = render::renderer(args.format);
    renderer.begin(&mut out).map_err(Error::Output)?;
    let mut bad_input = false;
    for doc in input::documents(sources) {
        let report = scorer.score_document(doc);
        match &report {
            Report::Failed(f) => {
                bad_input = true;
                let _ = writeln!(io::stderr(), "error: {}", f.error);
            }
            Report::Scored(s) => {
                if s.findings.iter().any(|f| f.verdict == Verdict::Error) {
                    code = exit::RULE_FAILED;
                }
            }
        }
        renderer.report(&mut out, &report).map_err(Error::Output)?;
    }
    renderer.end(&mut out).map_err(Error::Output)?;
    out.flush().map_err(Error::Output)?;
    Ok(if bad_input { exit::BAD_INPUT } else { code })
}

fn validate(paths: &[String]) -> Result<u8, Error> {
    let (mut valid, mut invalid) = (0usize, 0usize);
    let mut err = io::stderr().lock();
    for doc in input::documents(input::resolve(paths)) {
        let checked = doc
            .text
            .and_then(|text| crate::load::parse(&text, &doc.origin));
        match checked {
            Ok(_) => valid += 1,
            Err(e) => {
                invalid += 1;
                let _ = writeln!(err, "error: {e}");
            }
        }
    }
    let mut out = io::stdout().lock();
    writeln!(out, "{valid} valid, {invalid} invalid").map_err(Error::Output)?;
    Ok(if invalid > 0 {
        exit::BAD_INPUT
    } else {
        exit::OK
    })
}

fn schema() -> Result<u8, Error> {
    let text =
        serde_json::to_string_pretty(&crate::schema()).map_err(|e| Error::Usage(e.to_string()))?;
    let mut out = io::stdout().lock();
    writeln!(out, "{text}").map_err(Error::Output)?;
    Ok(exit::OK)
}
