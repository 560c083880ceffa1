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

use crate::error::Error;

/// For commands still to come: a clear message rather than a silent no-op.
pub(crate) fn not_yet(what: &str) -> Result<u8, Error> {
    Err(Error::Usage(format!(
        "`{what}` is not available in this build yet"
    )))
}
