//! `casematch similar`: the historical cases nearest a profile by indicator pattern.

use crate::cli::SimilarArgs;
use crate::error::Error;

pub fn run(_args: SimilarArgs) -> Result<u8, Error> {
    super::not_yet("similar")
}
