//! `casematch cohort`: verdict counts over many cases, the case × indicator matrix, and
//! the study's published figures checked as claims.

use crate::cli::CohortArgs;
use crate::error::Error;

pub fn run(_args: CohortArgs) -> Result<u8, Error> {
    super::not_yet("cohort")
}
