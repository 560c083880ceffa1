//! `--format csv`: one row per profile and rule (RFC 4180 quoting), streamed. A profile
//! that could not be read is one row with its error and no rule.

use std::io::{self, Write};

use crate::finding::{Evidence, Report};
use crate::render::Render;

/// The columns, in order.
pub const HEADER: [&str; 13] = [
    "source", "id", "name", "rule", "verdict", "weight", "reason", "evidence", "score", "upper",
    "max", "unknown", "error",
];

#[derive(Debug, Default, Clone, Copy)]
pub struct Csv;

fn writer(w: &mut dyn Write) -> csv::Writer<&mut dyn Write> {
    csv::WriterBuilder::new()
        .has_headers(false)
        .terminator(csv::Terminator::CRLF)
        .from_writer(w)
}

fn csv_error(e: csv::Error) -> io::Error {
    match e.into_kind() {
        csv::ErrorKind::Io(e) => e,
        other => io::Error::other(format!("{other:?}")),
    }
}

/// Evidence as one cell: `path (ref)` for each fact, separated by `; `.
fn evidence(es: &[Evidence]) -> String {
    es.iter()
        .map(|e| match &e.source {
            Some(c) => format!("{} ({})", e.path, c.reference),
            None => e.path.clone(),
        })
        .collect::<Vec<_>>()
        .join("; ")
}

impl Render for Csv {
    fn begin(&mut self, w: &mut dyn Write) -> io::Result<()> {
        let mut out = writer(w);
        out.write_record(HEADER).map_err(csv_error)?;
        out.flush()
    }

    fn report(&mut self, w: &mut dyn Write, report: &Report) -> io::Result<()> {
        let mut out = writer(w);
        match report {
            Report::Failed(f) => {
                let mut row = vec![String::new(); HEADER.len()];
                row[0] = f.source.clone();
                row[12] = f.error.to_string();
                out.write_record(&row).map_err(csv_error)?;
            }
            Report::Scored(s) => {
                let sc = &s.score;
                for f in &s.findings {
                    out.write_record([
                        s.source.as_str(),
                        &s.id,
                        &s.name,
                        &f.rule,
                        f.verdict.as_str(),
                        &f.weight.to_string(),
                        &f.reason,
                        &evidence(&f.evidence),
                        &sc.value.to_string(),
                        &sc.upper.to_string(),
                        &sc.max.to_string(),
                        &sc.unknown.to_string(),
                        "",
                    ])
                    .map_err(csv_error)?;
                }
            }
        }
        out.flush()
    }

    fn fragment(&self) -> Option<Box<dyn Render + Send>> {
        Some(Box::new(Csv))
    }
}
