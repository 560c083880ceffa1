//! `--format markdown`: a document with one section per profile: its score (and the
//! range its unknowns leave) and a table of verdicts, reasons and cited evidence. Every
//! string from a profile or rule is escaped, so a name cannot add markup, HTML or cells.

use std::io::{self, Write};

use crate::finding::{Evidence, Report};
use crate::render::{markdown_escape as md, score_line, Render};

#[derive(Debug, Default)]
pub struct Markdown {
    count: usize,
}

fn cite(e: &Evidence) -> String {
    let mut s = format!("`{}`", e.path.replace('`', "'"));
    if e.value.is_null() && e.source.is_none() {
        return s + " (silent)";
    }
    if let Some(c) = &e.source {
        s += &format!(" ({}): \"{}\"", md(&c.reference.to_string()), md(&c.quote));
    }
    if !e.certainty.is_stated() {
        s += &format!(" \\[{}\\]", e.certainty.as_str());
    }
    s
}

impl Render for Markdown {
    fn begin(&mut self, w: &mut dyn Write) -> io::Result<()> {
        writeln!(w, "# casematch report")
    }

    fn report(&mut self, w: &mut dyn Write, report: &Report) -> io::Result<()> {
        self.count += 1;
        writeln!(w)?;
        match report {
            Report::Failed(f) => {
                writeln!(w, "## Not scored: {}", md(&f.source))?;
                writeln!(w)?;
                writeln!(w, "**Error:** {}", md(&f.error.to_string()))
            }
            Report::Scored(s) => {
                writeln!(w, "## {} — {}", md(&s.id), md(&s.name))?;
                writeln!(w)?;
                writeln!(w, "Source: {}", md(&s.source))?;
                writeln!(w)?;
                writeln!(w, "**Score {}**", md(&score_line(&s.score)))?;
                writeln!(w)?;
                writeln!(w, "| verdict | indicator | reason | evidence |")?;
                writeln!(w, "|---|---|---|---|")?;
                for f in &s.findings {
                    let evidence: Vec<String> = f.evidence.iter().map(cite).collect();
                    writeln!(
                        w,
                        "| {} | {} | {} | {} |",
                        f.verdict.as_str(),
                        md(&f.title),
                        md(&f.reason),
                        evidence.join("<br>")
                    )?;
                }
                Ok(())
            }
        }
    }

    fn end(&mut self, w: &mut dyn Write) -> io::Result<()> {
        writeln!(w)?;
        writeln!(w, "{} profile(s).", self.count)
    }
}
