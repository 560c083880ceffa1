//! `cohort --format csv`: the matrix in long form, one row per case and indicator
//! (`case,name,rule,verdict,reason`), for spreadsheets and data tools. The counts follow
//! from it; the claims are in the other formats.

use std::io::{self, Write};

use crate::cohort::Cohort;

pub fn write(w: &mut dyn Write, cohort: &Cohort) -> io::Result<()> {
    let mut out = csv::Writer::from_writer(w);
    out.write_record(["case", "name", "source", "rule", "verdict", "reason"])
        .map_err(io::Error::other)?;
    for row in &cohort.rows {
        for cell in &row.cells {
            out.write_record([
                row.id.as_str(),
                row.name.as_str(),
                row.source.as_str(),
                cell.rule.as_str(),
                cell.verdict.as_str(),
                cell.reason.as_str(),
            ])
            .map_err(io::Error::other)?;
        }
    }
    out.flush()
}
