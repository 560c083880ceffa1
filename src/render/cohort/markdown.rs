//! `cohort --format markdown`: the counts, the matrix and the claims as Markdown tables.
//! Every profile-supplied string is escaped, so a `|`, a newline or markup in a name or
//! a reason stays text inside its cell.

use std::io::{self, Write};

use super::{claimed, letter, verdict_word, LEGEND};
use crate::claims::Checked;
use crate::cohort::Cohort;

/// Text safe inside a Markdown table cell.
pub fn cell(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '|' => out.push_str("\\|"),
            '\\' | '`' | '*' | '_' | '[' | ']' | '#' | '~' => {
                out.push('\\');
                out.push(ch);
            }
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '\r' => {}
            '\n' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

pub fn write(w: &mut dyn Write, cohort: &Cohort, claims: &[Checked]) -> io::Result<()> {
    writeln!(
        w,
        "# Cohort: {} cases, {} indicators\n",
        cohort.rows.len(),
        cohort.columns.len()
    )?;
    if !cohort.failed.is_empty() {
        writeln!(w, "{} profiles could not be read:\n", cohort.failed.len())?;
        for f in &cohort.failed {
            writeln!(w, "- {}", cell(&f.error.to_string()))?;
        }
        writeln!(w)?;
    }
    if !claims.is_empty() {
        let held = claims.iter().filter(|c| c.consistent).count();
        writeln!(w, "## Claims\n")?;
        writeln!(
            w,
            "{held} of {} consistent with the encoded cases. Bounds: the fewest and the most cases that \
             could answer as claimed, counting every unknown both ways.\n",
            claims.len()
        )?;
        writeln!(w, "| verdict | claim | section | claimed | bounds | why |")?;
        writeln!(w, "|---|---|---|---|---|---|")?;
        for c in claims {
            writeln!(
                w,
                "| {} | {} (`{}`) | {} | {} | {}..{} | {} |",
                verdict_word(c),
                cell(&c.text),
                cell(&c.id).replace('`', ""),
                cell(&c.section),
                claimed(c),
                c.lower,
                c.upper,
                cell(&c.why)
            )?;
        }
        writeln!(w)?;
    }
    writeln!(w, "## Answers per indicator\n")?;
    writeln!(w, "| indicator | title | yes | no | unknown | error |")?;
    writeln!(w, "|---|---|--:|--:|--:|--:|")?;
    for t in cohort.tallies() {
        let c = t.counts;
        writeln!(
            w,
            "| {} | {} | {} | {} | {} | {} |",
            cell(&t.rule),
            cell(&t.title),
            c.yes,
            c.no,
            c.unknown,
            c.error
        )?;
    }
    writeln!(w)?;
    writeln!(w, "## Case × indicator\n")?;
    writeln!(w, "{LEGEND}.\n")?;
    write!(w, "| case |")?;
    for c in &cohort.columns {
        write!(w, " {} |", cell(&c.rule))?;
    }
    writeln!(w)?;
    write!(w, "|---|")?;
    for _ in &cohort.columns {
        write!(w, ":-:|")?;
    }
    writeln!(w)?;
    for r in &cohort.rows {
        write!(w, "| {} |", cell(&r.id))?;
        for c in &r.cells {
            let l = letter(c.verdict);
            // `?` and `!` are plain text in Markdown; nothing to escape.
            write!(w, " {l} |")?;
        }
        writeln!(w)?;
    }
    writeln!(w)?;
    writeln!(w, "## Reasons\n")?;
    for r in &cohort.rows {
        writeln!(w, "### {} ({})\n", cell(&r.name), cell(&r.id))?;
        for c in &r.cells {
            writeln!(
                w,
                "- {} **{}**: {}",
                cell(&c.rule),
                c.verdict,
                cell(&c.reason)
            )?;
        }
        writeln!(w)?;
    }
    Ok(())
}
