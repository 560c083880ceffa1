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
