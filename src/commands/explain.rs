//! `casematch explain RULE PROFILE`: one rule on one profile, in full.

use crate::cli::ExplainArgs;
use crate::error::Error;

pub fn run(_args: ExplainArgs) -> Result<u8, Error> {
    super::not_yet("explain")
}
