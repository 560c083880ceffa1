//! `casematch cohort`: verdict counts over many cases, the case × indicator matrix, and
//! the study's published figures checked as claims.

use std::io::{self, Write};

use crate::app::exit;
use crate::claims::ClaimSet;
use crate::cli::CohortArgs;
use crate::cohort::Cohort;
use crate::error::Error;
use crate::evaluate::Scorer;
use crate::input;
use crate::output::Sink;
use crate::render;

/// Exit code: 2 if a profile could not be read; else 1 if a rule failed (or could not
/// be loaded) or a claim is inconsistent; else 0.
pub fn run(args: CohortArgs) -> Result<u8, Error> {
    let scorer = Scorer::new(args.rules.rules.as_deref(), args.rules.limits())?;
    let claims = match &args.claims {
        Some(path) => ClaimSet::from_file(path)?,
        None => ClaimSet::study(),
    };
    let mut code = super::report_rule_errors(&scorer);
    let mut err = io::stderr().lock();
    let sources = super::sources_or_history(&args.paths);
    let cohort = Cohort::build(&scorer, input::documents(sources), &claims.pointers());
    for f in &cohort.failed {
        let _ = writeln!(err, "error: {}", f.error);
    }
    let checked = claims.check(&cohort);
    for c in checked.iter().filter(|c| !c.consistent) {
        let _ = writeln!(err, "inconsistent claim `{}`: {}", c.id, c.why);
        code = exit::RULE_FAILED;
    }
    if cohort.has_errors() {
        code = exit::RULE_FAILED;
    }
    let mut out = Sink::open(args.output.as_deref())?;
    render::cohort::write(args.format, &mut out, &cohort, &checked).map_err(Error::Output)?;
    out.finish()?;
    Ok(if cohort.failed.is_empty() {
        code
    } else {
        exit::BAD_INPUT
    })
}
