//! `casematch validate`: every invalid profile with where and why; a count at the end.

use std::io::{self, Write};

use crate::app::exit;
use crate::cli::ValidateArgs;
use crate::error::Error;
use crate::input;

pub fn run(args: ValidateArgs) -> Result<u8, Error> {
    let (mut valid, mut invalid) = (0usize, 0usize);
    let mut err = io::stderr().lock();
    for doc in input::documents(input::resolve(&args.paths)) {
        let checked = doc
            .text
            .and_then(|text| crate::load::parse(&text, &doc.origin));
        match checked {
            Ok(_) => valid += 1,
            Err(e) => {
                invalid += 1;
                let _ = writeln!(err, "error: {e}");
            }
        }
    }
    writeln!(io::stdout().lock(), "{valid} valid, {invalid} invalid").map_err(Error::Output)?;
    Ok(if invalid > 0 {
        exit::BAD_INPUT
    } else {
        exit::OK
    })
}
