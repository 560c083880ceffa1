//! `--format json`: one array, one object per profile, written as each is ready.

use std::io::{self, Write};

use crate::finding::Report;
use crate::render::Render;

#[derive(Debug, Default)]
pub struct Json {
    count: usize,
}

impl Render for Json {
    fn begin(&mut self, w: &mut dyn Write) -> io::Result<()> {
        w.write_all(b"[")
    }

    fn report(&mut self, w: &mut dyn Write, report: &Report) -> io::Result<()> {
        let text = serde_json::to_string_pretty(report).map_err(io::Error::other)?;
        w.write_all(if self.count == 0 { b"\n" } else { b",\n" })?;
        for (i, line) in text.lines().enumerate() {
            if i > 0 {
                w.write_all(b"\n")?;
            }
            write!(w, "  {line}")?;
        }
        self.count += 1;
        Ok(())
    }

    fn end(&mut self, w: &mut dyn Write) -> io::Result<()> {
        if self.count > 0 {
            w.write_all(b"\n")?;
        }
        w.write_all(b"]\n")
    }
}
