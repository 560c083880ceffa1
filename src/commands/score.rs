//! `casematch score`: profiles in, one report per profile out, in input order.

use std::io::{self, Write};

use crate::app::exit;
use crate::cli::ScoreArgs;
use crate::error::Error;
use crate::evaluate::Scorer;
use crate::finding::Report;
use crate::input;
use crate::output::Sink;
use crate::render;
use crate::verdict::Verdict;

pub fn run(args: ScoreArgs) -> Result<u8, Error> {
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
    let mut renderer = render::renderer(args.format)?;
    let mut out = Sink::open(args.output.as_deref())?;
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
    out.finish()?;
    Ok(if bad_input { exit::BAD_INPUT } else { code })
}
