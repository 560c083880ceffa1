//! `cohort --format table`: for people, in 80 columns. Each indicator with its counts and
//! its answer on every case as one letter per case; then each claim with its bounds and
//! why it holds or not.

use std::io::{self, Write};

use comfy_table::{presets, Cell, ColumnConstraint, ContentArrangement, Table, Width};

use super::{claimed, letter, verdict_word, LEGEND};
use crate::claims::Checked;
use crate::cohort::Cohort;

pub fn write(w: &mut dyn Write, cohort: &Cohort, claims: &[Checked]) -> io::Result<()> {
    writeln!(
        w,
        "{} cases, {} indicators",
        cohort.rows.len(),
        cohort.columns.len()
    )?;
    if !cohort.failed.is_empty() {
        writeln!(w, "{} profiles could not be read", cohort.failed.len())?;
    }
    writeln!(w)?;
    // Cases by number, in input order; the pattern column uses the same order.
    let mut legend = String::from("cases:");
    let mut width = legend.len();
    for (i, r) in cohort.rows.iter().enumerate() {
        let item = format!(" {} {}", i + 1, r.id);
        if width + item.len() > 80 {
            legend.push_str("\n      ");
            width = 6;
        }
        width += item.len();
        legend.push_str(&item);
    }
    writeln!(w, "{legend}")?;
    writeln!(w, "answers: {LEGEND}")?;

    // Laid out by hand rather than wrapped: an id or a pattern broken over two lines
    // would misalign the letters. With the shipped ids it is 74 columns wide.
    let tallies = cohort.tallies();
    let id_w = tallies
        .iter()
        .map(|t| t.rule.chars().count())
        .max()
        .unwrap_or(0)
        .max(9);
    let header = format!(
        "{:<id_w$} {:>4} {:>4} {:>4} {:>4}  each case",
        "indicator", "yes", "no", "?", "err"
    );
    let rule = "\u{2500}".repeat(header.chars().count().max(id_w + 23 + 22));
    writeln!(w, "{rule}\n{header}\n{rule}")?;
    for (i, t) in tallies.iter().enumerate() {
        let pattern: Vec<String> = cohort
            .rows
            .chunks(5)
            .map(|chunk| chunk.iter().map(|r| letter(r.cells[i].verdict)).collect())
            .collect();
        let c = t.counts;
        writeln!(
            w,
            "{:<id_w$} {:>4} {:>4} {:>4} {:>4}  {}",
            t.rule,
            c.yes,
            c.no,
            c.unknown,
            c.error,
            pattern.join(" ")
        )?;
    }
    writeln!(w, "{rule}")?;

    if claims.is_empty() {
        return Ok(());
    }
    let held = claims.iter().filter(|c| c.consistent).count();
    writeln!(w)?;
    writeln!(
        w,
        "claims: {held} of {} consistent with the encoded cases",
        claims.len()
    )?;
    let mut grid = Table::new();
    grid.load_preset(presets::UTF8_HORIZONTAL_ONLY)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_width(80)
        .set_header(vec!["verdict", "claim", "figure / bounds"]);
    if let Some(col) = grid.column_mut(0) {
        col.set_constraint(ColumnConstraint::UpperBoundary(Width::Fixed(12)));
    }
    for c in claims {
        grid.add_row(vec![
            Cell::new(verdict_word(c)),
            Cell::new(format!("{} ({}, {})\n{}", c.text, c.id, c.section, c.why)),
            Cell::new(format!("{}\n{}..{}", claimed(c), c.lower, c.upper)),
        ]);
    }
    writeln!(w, "{grid}")
}
