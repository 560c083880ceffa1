//! `--format ndjson`: one compact JSON object per line, per profile, in input order; the
//! same objects as `--format json`.

use std::io::{self, Write};

use crate::finding::Report;
use crate::render::Render;

#[derive(Debug, Default, Clone, Copy)]
pub struct Ndjson;

impl Render for Ndjson {
    fn report(&mut self, w: &mut dyn Write, report: &Report) -> io::Result<()> {
        let mut line = serde_json::to_vec(report).map_err(io::Error::other)?;
        line.push(b'\n');
        w.write_all(&line)
    }

    fn fragment(&self) -> Option<Box<dyn Render + Send>> {
        Some(Box::new(Ndjson))
    }
}
