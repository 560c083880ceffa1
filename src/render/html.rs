//! `--format html`: one self-contained page (inline CSS, no scripts, no external
//! assets), one section per profile. Verdicts are told apart by word and mark as well
//! as colour. Every string from a profile or rule is escaped.

use std::io::{self, Write};

use crate::finding::{Evidence, Report};
use crate::render::{html_escape as h, score_line, Render};
use crate::verdict::Verdict;

#[derive(Debug, Default)]
pub struct Html {
    count: usize,
}

const STYLE: &str = "body{font:15px/1.45 system-ui,sans-serif;max-width:70rem;margin:2rem auto;\
padding:0 1rem;color:#1d1d1f}h1{font-size:1.5rem}h2{font-size:1.2rem;margin-top:2.5rem;\
border-bottom:1px solid #ccc}.src{color:#555;font-size:.9em}table{border-collapse:collapse;\
width:100%}th,td{text-align:left;vertical-align:top;padding:.35rem .5rem;border-bottom:1px \
solid #e3e3e3}th{background:#f4f4f4}.v{white-space:nowrap;font-weight:600}\
.yes{background:#fde2e1}.no{background:#e3f2e3}.unknown{background:#f1f1f1;\
font-style:italic}.error{background:#fff0c2}ul{margin:.2rem 0;padding-left:1.1rem}\
code{font-size:.9em}.quote{color:#333}.err{color:#a00}";

/// The mark shown beside each verdict, so the table reads without colour.
fn mark(v: Verdict) -> &'static str {
    match v {
        Verdict::Yes => "● yes",
        Verdict::No => "○ no",
        Verdict::Unknown => "? unknown",
        Verdict::Error => "⚠ error",
    }
}

fn cite(e: &Evidence) -> String {
    let mut s = format!("<code>{}</code>", h(&e.path));
    if e.value.is_null() && e.source.is_none() {
        return s + " (silent)";
    }
    if let Some(c) = &e.source {
        s += &format!(
            " ({}): <q class=\"quote\">{}</q>",
            h(&c.reference.to_string()),
            h(&c.quote)
        );
    }
    if !e.certainty.is_stated() {
        s += &format!(" [{}]", e.certainty.as_str());
    }
    s
}

impl Render for Html {
    fn begin(&mut self, w: &mut dyn Write) -> io::Result<()> {
        write!(
            w,
            "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
             <title>casematch report</title>\n<style>{STYLE}</style>\n</head>\n<body>\n\
             <h1>casematch report</h1>\n"
        )
    }

    fn report(&mut self, w: &mut dyn Write, report: &Report) -> io::Result<()> {
        self.count += 1;
        match report {
            Report::Failed(f) => writeln!(
                w,
                "<section class=\"failed\">\n<h2>Not scored: {}</h2>\n<p class=\"err\">{}</p>\n\
                 </section>",
                h(&f.source),
                h(&f.error.to_string())
            ),
            Report::Scored(s) => {
                writeln!(
                    w,
                    "<section>\n<h2>{} — {}</h2>\n<p class=\"src\">{}</p>\n\
                     <p><strong>Score {}</strong></p>",
                    h(&s.id),
                    h(&s.name),
                    h(&s.source),
                    h(&score_line(&s.score))
                )?;
                writeln!(
                    w,
                    "<table>\n<thead><tr><th>verdict</th><th>indicator</th><th>reason</th>\
                     <th>evidence</th></tr></thead>\n<tbody>"
                )?;
                for f in &s.findings {
                    let evidence: String = f
                        .evidence
                        .iter()
                        .map(|e| format!("<li>{}</li>", cite(e)))
                        .collect();
                    let evidence = if evidence.is_empty() {
                        String::new()
                    } else {
                        format!("<ul>{evidence}</ul>")
                    };
                    writeln!(
                        w,
                        "<tr class=\"{}\"><td class=\"v\">{}</td><td>{}</td><td>{}</td>\
                         <td>{}</td></tr>",
                        f.verdict.as_str(),
                        mark(f.verdict),
                        h(&f.title),
                        h(&f.reason),
                        evidence
                    )?;
                }
                writeln!(w, "</tbody>\n</table>\n</section>")
            }
        }
    }

    fn end(&mut self, w: &mut dyn Write) -> io::Result<()> {
        writeln!(
            w,
            "<footer><p class=\"src\">{} profile(s).</p></footer>\n</body>\n</html>",
            self.count
        )
    }
}
