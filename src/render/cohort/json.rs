//! `cohort --format json`: `{"cases", "indicators", "matrix", "claims", "failed"}`.

use std::io::{self, Write};

use serde::Serialize;

use crate::claims::Checked;
use crate::cohort::{Cohort, Row, Tally};
use crate::finding::Failed;

#[derive(Serialize)]
struct Doc<'a> {
    /// How many profiles were scored.
    cases: usize,
    indicators: Vec<Tally>,
    /// One entry per case, its cells in indicator order.
    matrix: &'a [Row],
    claims: &'a [Checked],
    /// Profiles that could not be read.
    failed: &'a [Failed],
}

pub fn write(w: &mut dyn Write, cohort: &Cohort, claims: &[Checked]) -> io::Result<()> {
    let doc = Doc {
        cases: cohort.rows.len(),
        indicators: cohort.tallies(),
        matrix: &cohort.rows,
        claims,
        failed: &cohort.failed,
    };
    serde_json::to_writer_pretty(&mut *w, &doc).map_err(io::Error::other)?;
    writeln!(w)
}
