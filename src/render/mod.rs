//! Output formats. Each renderer takes reports one at a time and writes them to any
//! writer, so output streams and tests can render into a `Vec<u8>`.

pub mod json;
pub mod table;

use std::io::{self, Write};

use crate::cli::Format;
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
pub fn renderer(format: Format) -> Box<dyn Render> {
    match format {
        Format::Table => Box::new(table::Table::default()),
        Format::Json => Box::new(json::Json::default()),
    }
}
