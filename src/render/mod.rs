//! Output formats. Each renderer takes reports one at a time and writes them to any
//! writer, so output streams and tests can render into a `Vec<u8>`.

pub mod cohort;
pub mod csv;
pub mod html;
pub mod json;
pub mod markdown;
pub mod ndjson;
pub mod table;

use std::io::{self, Write};

use crate::cli::ScoreFormat;
use crate::error::Error;
use crate::evaluate::Scorer;
use crate::finding::{Report, Score};
use crate::load::Loaded;

/// A format that writes a stream of reports.
pub trait Render {
    fn begin(&mut self, _w: &mut dyn Write) -> io::Result<()> {
        Ok(())
    }
    fn report(&mut self, w: &mut dyn Write, report: &Report) -> io::Result<()>;
    /// `report` appended to a buffer: what worker threads call. A format may write
    /// straight into it rather than through `Write`.
    fn report_into(&mut self, out: &mut Vec<u8>, report: &Report) -> io::Result<()> {
        self.report(out, report)
    }
    /// Scores `loaded` and appends its report to `out` without building the [`Report`],
    /// where a format can (ndjson writes remembered evidence straight from the profile);
    /// the bytes are those [`Render::report_into`] writes for [`Scorer::score`]'s report.
    /// Returns the score, or `None` (and writes nothing) to be handed the report instead.
    fn score_into(
        &mut self,
        _out: &mut Vec<u8>,
        _scorer: &Scorer,
        _loaded: &Loaded,
        _source: &str,
    ) -> Option<Score> {
        None
    }
    fn end(&mut self, _w: &mut dyn Write) -> io::Result<()> {
        Ok(())
    }
    /// For a format whose text for one report does not depend on the reports before
    /// it (ndjson, csv): a renderer for that text alone, which worker threads can run in
    /// parallel while the writer only copies bytes in input order.
    fn fragment(&self) -> Option<Box<dyn Render + Send>> {
        None
    }
}

/// The renderer for `format`.
pub fn renderer(format: ScoreFormat) -> Result<Box<dyn Render + Send>, Error> {
    Ok(match format {
        ScoreFormat::Table => Box::new(table::Table::default()),
        ScoreFormat::Json => Box::new(json::Json::default()),
        ScoreFormat::Ndjson => Box::new(ndjson::Ndjson::default()),
        ScoreFormat::Csv => Box::new(csv::Csv),
        ScoreFormat::Markdown => Box::new(markdown::Markdown::default()),
        ScoreFormat::Html => Box::new(html::Html::default()),
    })
}

/// The score in words: "7 of 17; up to 10 if every unknown were yes (4 assessed,
/// 2 unknown)", the range given only when unknowns leave one.
pub fn score_line(sc: &Score) -> String {
    let mut line = format!("{} of {}", sc.value, sc.max);
    if sc.upper > sc.value {
        line += &format!("; up to {} if every unknown were yes", sc.upper);
    }
    line += &format!(" ({} assessed, {} unknown", sc.assessed, sc.unknown);
    if sc.errors > 0 {
        line += &format!(", {} failed", sc.errors);
    }
    line.push(')');
    line
}

/// `s` as HTML text (also safe inside a double-quoted attribute).
pub fn html_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// `s` as inline Markdown text, on one line: nothing in it can open markup, HTML, a
/// link or a table cell, and a line break cannot end a table row or start a heading.
pub fn markdown_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\r' if chars.peek() == Some(&'\n') => {}
            '\n' | '\r' => out.push(' '),
            // Text always follows other text on its line (a cell, or after `## `), so
            // only inline markup needs escaping, not `#`, `-` or `1.`.
            '\\' | '`' | '*' | '_' | '[' | ']' | '|' | '~' => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_text_cannot_become_markup() {
        assert_eq!(
            html_escape(r#"<script>alert("x&y")</script>'"#),
            "&lt;script&gt;alert(&quot;x&amp;y&quot;)&lt;/script&gt;&#39;"
        );
    }

    #[test]
    fn markdown_text_stays_in_its_cell_and_line() {
        assert_eq!(
            markdown_escape("a|b\nc\r\n# <b>*x*</b>"),
            r"a\|b c # &lt;b&gt;\*x\*&lt;/b&gt;"
        );
    }

    #[test]
    fn the_score_line_gives_the_range_only_when_there_is_one() {
        let sc = Score {
            value: 7,
            max: 17,
            assessed: 4,
            unknown: 2,
            errors: 0,
            upper: 10,
        };
        assert_eq!(
            score_line(&sc),
            "7 of 17; up to 10 if every unknown were yes (4 assessed, 2 unknown)"
        );
        let sure = Score {
            upper: 7,
            unknown: 0,
            errors: 1,
            ..sc
        };
        assert_eq!(
            score_line(&sure),
            "7 of 17 (4 assessed, 0 unknown, 1 failed)"
        );
    }
}
