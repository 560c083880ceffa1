//! One module per subcommand. Each takes its parsed arguments and returns the exit
//! code, writing its output to stdout (or `--output`) and its diagnostics to stderr.

pub mod cohort;
pub mod completions;
pub mod explain;
pub mod rules;
pub mod schema;
pub mod score;
pub mod similar;
pub mod validate;

use std::io::{self, Write};

use crate::app::exit;
use crate::evaluate::Scorer;
use crate::input::{self, Source};

/// Tells stderr about every rule that could not be loaded; the exit code that calls for.
pub(crate) fn report_rule_errors(scorer: &Scorer) -> u8 {
    let mut err = io::stderr().lock();
    let mut code = exit::OK;
    for e in scorer.rules().errors() {
        let _ = writeln!(err, "error: rule {e}");
        code = exit::RULE_FAILED;
    }
    code
}

/// The inputs named, or the embedded historical cases when none are.
pub(crate) fn sources_or_history(paths: &[String]) -> Vec<Source> {
    if paths.is_empty() {
        crate::cases::sources()
    } else {
        input::resolve(paths)
    }
}
