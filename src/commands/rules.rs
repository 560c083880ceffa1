//! `casematch rules list | check | test | new`: the rule author's loop.

use crate::cli::RulesCommand;
use crate::error::Error;

pub fn run(_command: RulesCommand) -> Result<u8, Error> {
    super::not_yet("rules")
}
