//! Output formats. Each renderer takes reports one at a time and writes them to any
//! writer, so output streams and tests can render into a `Vec<u8>`.

pub mod json;
pub mod table;

use std::io::{self, Write};

use crate::cli::ScoreFormat;
use crate::error::Error;
use crate::finding::Report;

/// A format that writes a stream of reports.
pub trait Render {
    fn begin(&mut self, _w: &mut dyn Write) -> io::Result<()> {
        Ok(())
    }
    fn report(&mut self, w: &mut dyn Write, report: &Report) -> io::Result<()>;
    fn end(&mut self, _w: &mut dyn Write) -> io::Result<()> {
        Ok(())
    }
}

/// The renderer for `format`.
pub fn renderer(format: ScoreFormat) -> Result<Box<dyn Render>, Error> {
    Ok(match format {
        ScoreFormat::Table => Box::new(table::Table::default()),
        ScoreFormat::Json => Box::new(json::Json::default()),
        other => {
            return Err(Error::Usage(format!(
                "`--format {}` is not available in this build yet",
                clap::ValueEnum::to_possible_value(&other)
                    .map(|v| v.get_name().to_string())
                    .unwrap_or_default()
            )))
        }
    })
}
