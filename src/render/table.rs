//! `--format table`: for people. One block per profile, readable in 80 columns: each
//! indicator's verdict and reason, and for a yes or no the cited facts it rests on.

use std::io::{self, Write};

use comfy_table::{presets, Cell, ColumnConstraint, ContentArrangement, Table as Grid, Width};

use crate::finding::{Evidence, Finding, Report, Scored};
use crate::render::Render;
use crate::verdict::Verdict;

/// Quotes longer than this are shortened in the table (JSON has them whole).
const QUOTE_CHARS: usize = 90;

#[derive(Debug, Default)]
pub struct Table {
    count: usize,
}

impl Render for Table {
    fn report(&mut self, w: &mut dyn Write, report: &Report) -> io::Result<()> {
        if self.count > 0 {
            writeln!(w)?;
        }
        self.count += 1;
        match report {
            Report::Failed(f) => writeln!(w, "error: {}", f.error),
            Report::Scored(s) => scored(w, s),
        }
    }
}

fn scored(w: &mut dyn Write, s: &Scored) -> io::Result<()> {
    writeln!(w, "{} - {}  ({})", s.id, s.name, s.source)?;
    let sc = &s.score;
    let mut line = format!(
        "score {} of {}: {} assessed, {} unknown",
        sc.value, sc.max, sc.assessed, sc.unknown
    );
    if sc.errors > 0 {
        line += &format!(", {} failed", sc.errors);
    }
    if sc.upper > sc.value {
        line += &format!("; up to {} if every unknown were yes", sc.upper);
    }
    writeln!(w, "{line}")?;

    let mut grid = Grid::new();
    grid.load_preset(presets::UTF8_HORIZONTAL_ONLY)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_width(80)
        .set_header(vec!["verdict", "indicator", "reason and evidence"]);
    if let Some(col) = grid.column_mut(1) {
        col.set_constraint(ColumnConstraint::UpperBoundary(Width::Fixed(16)));
    }
    for f in &s.findings {
        grid.add_row(vec![
            Cell::new(f.verdict.as_str()),
            Cell::new(&f.title).add_attribute(comfy_table::Attribute::Bold),
            Cell::new(detail(f)),
        ]);
    }
    writeln!(w, "{grid}")
}

fn detail(f: &Finding) -> String {
    let mut out = f.reason.clone();
    match f.verdict {
        Verdict::Yes | Verdict::No => {
            for e in &f.evidence {
                out.push_str("\n- ");
                out.push_str(&cite(e));
            }
        }
        Verdict::Unknown => {
            let silent: Vec<&str> = f
                .evidence
                .iter()
                .filter(|e| e.value.is_null())
                .map(|e| e.path.as_str())
                .collect();
            if !silent.is_empty() {
                out.push_str(&format!("\n- silent: {}", silent.join(", ")));
            }
        }
        Verdict::Error => {}
    }
    out
}

fn cite(e: &Evidence) -> String {
    let mut s = e.path.clone();
    if let Some(c) = &e.source {
        s.push_str(&format!(" ({}): \"{}\"", c.reference, shorten(&c.quote)));
    }
    if !e.certainty.is_stated() {
        s.push_str(&format!(" [{}]", e.certainty.as_str()));
    }
    s
}

fn shorten(q: &str) -> String {
    if q.chars().count() <= QUOTE_CHARS {
        return q.to_string();
    }
    let cut: String = q.chars().take(QUOTE_CHARS).collect();
    let cut = cut.rsplit_once(' ').map(|(a, _)| a).unwrap_or(&cut);
    format!("{cut}...")
}
