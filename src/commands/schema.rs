//! `casematch schema`: the profile's JSON Schema.

use std::io::{self, Write};

use crate::error::Error;

pub fn run() -> Result<u8, Error> {
    let text =
        serde_json::to_string_pretty(&crate::schema()).map_err(|e| Error::Usage(e.to_string()))?;
    writeln!(io::stdout().lock(), "{text}").map_err(Error::Output)?;
    Ok(0)
}
