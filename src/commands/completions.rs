//! `casematch completions SHELL` and `casematch man`, generated from the clap
//! definitions so they never drift from the real flags.

use std::io::{self, Write};

use clap::CommandFactory;

use crate::cli::Cli;
use crate::error::Error;

pub fn completions(shell: clap_complete::Shell) -> Result<u8, Error> {
    let mut cmd = Cli::command();
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut cmd, "casematch", &mut out);
    io::stdout().write_all(&out).map_err(Error::Output)?;
    Ok(0)
}

pub fn man() -> Result<u8, Error> {
    let mut out = Vec::new();
    clap_mangen::Man::new(Cli::command())
        .render(&mut out)
        .map_err(Error::Output)?;
    io::stdout().write_all(&out).map_err(Error::Output)?;
    Ok(0)
}
