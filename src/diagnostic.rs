//! Diagnostics: one problem in a rule file or a profile, with where it is (file,
//! line:column, JSON path), rendered the way a compiler does (miette: the source line
//! with the spot marked), or serialised as data for `--format json`.

use std::fmt;
use std::sync::Arc;

use miette::{GraphicalReportHandler, GraphicalTheme, LabeledSpan, NamedSource, SourceSpan};
use serde::{Deserialize, Serialize};

use crate::error::{ProfileError, RuleError};

/// How bad it is: an error fails `rules check` / `rules test`; a warning does not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

/// One problem, with where it is.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Diagnostic {
    pub severity: Severity,
    /// What kind of problem (`rule::syntax`, `lint::unknown-field`, ...), listed in
    /// docs/rules.md.
    pub code: String,
    /// The rule it concerns, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule: Option<String>,
    /// The file it is in.
    pub file: String,
    /// 1-based line and column (in characters) in `file`, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub column: Option<usize>,
    /// For a profile: the JSON pointer to the offending value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    pub message: String,
    /// What to do about it, or more detail.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub help: Option<String>,
    /// The words under the marked spot.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// The file's text, to show the line; not part of the data form.
    #[serde(skip)]
    pub text: Option<Arc<str>>,
}

impl Diagnostic {
    pub fn new(severity: Severity, code: &str, file: &str, message: impl Into<String>) -> Self {
        Diagnostic {
            severity,
            code: code.to_string(),
            rule: None,
            file: file.to_string(),
            line: None,
            column: None,
            path: None,
            message: message.into(),
            help: None,
            label: None,
            text: None,
        }
    }

    pub fn error(code: &str, file: &str, message: impl Into<String>) -> Self {
        Diagnostic::new(Severity::Error, code, file, message)
    }

    pub fn warning(code: &str, file: &str, message: impl Into<String>) -> Self {
        Diagnostic::new(Severity::Warning, code, file, message)
    }

    pub fn at(mut self, line: Option<usize>, column: Option<usize>) -> Self {
        self.line = line;
        self.column = column;
        self
    }

    pub fn rule(mut self, rule: &str) -> Self {
        self.rule = Some(rule.to_string());
        self
    }

    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    pub fn label(mut self, label: impl Into<String>) -> Self {
        self.label = Some(label.into());
        self
    }

    pub fn text(mut self, text: Option<Arc<str>>) -> Self {
        self.text = text;
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// A rule that could not be loaded. The kind is told from the message, which
    /// `rule.rs` and `ruleset.rs` word.
    pub fn from_rule_error(rule: &str, e: &RuleError, text: Option<Arc<str>>) -> Self {
        let m = e.message.as_str();
        let (code, label, help) = if m.starts_with("syntax error") {
            ("rule::syntax", "here", None)
        } else if m.starts_with("not valid UTF-8") {
            (
                "rule::encoding",
                "this byte",
                Some("save the file as UTF-8"),
            )
        } else if m.starts_with("duplicate rule id") {
            (
                "rule::duplicate-id",
                "this id is taken",
                Some("give the rule its own id, and name the file after it"),
            )
        } else if m.contains("part of a cycle") {
            (
                "rule::cycle",
                "this closes the cycle",
                Some("a composite may not consult itself, directly or through others"),
            )
        } else if m.starts_with("`uses` names") {
            ("rule::unknown-uses", "no such rule", None)
        } else if m.starts_with("no `fn evaluate") {
            ("rule::no-evaluate", "", None)
        } else if m.starts_with("top level failed") {
            (
                "rule::top-level",
                "here",
                Some("keep the top level to `const RULE` and function definitions"),
            )
        } else if m.starts_with("metadata id") {
            ("rule::metadata", "must be the file name", None)
        } else {
            (
                "rule::metadata",
                "here",
                Some(
                    "required: id, title, description, weight, source; optional: tags, uses, \
                     expect (see docs/rules.md, \"Metadata\")",
                ),
            )
        };
        let mut d = Diagnostic::error(code, &e.file, m)
            .rule(rule)
            .at(e.line, e.column)
            .text(text);
        if !label.is_empty() {
            d = d.label(label);
        }
        if let Some(h) = help {
            d = d.help(h);
        }
        d
    }

    /// A profile that could not be read; `text` is the document, to show the line.
    pub fn from_profile_error(e: &ProfileError, text: Option<Arc<str>>) -> Self {
        let mut d = Diagnostic::error("profile::invalid", &e.origin, e.message.clone())
            .at(e.line, e.column)
            .text(text);
        if !e.path.is_empty() {
            d.path = Some(e.path.clone());
            d = d.label(format!("at `{}`", e.path));
        } else {
            d = d.label("here");
        }
        d
    }

    /// `file:line:column`, as far as known.
    pub fn location(&self) -> String {
        let mut s = self.file.clone();
        if let Some(l) = self.line {
            s.push_str(&format!(":{l}"));
            if let Some(c) = self.column {
                s.push_str(&format!(":{c}"));
            }
        }
        s
    }
}

impl fmt::Display for Diagnostic {
    /// One line: `error[code]: file:line:col: message`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sev = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        write!(f, "{sev}[{}]: {}", self.code, self.location())?;
        if let Some(p) = &self.path {
            write!(f, " at `{p}`")?;
        }
        write!(f, ": {}", self.message)
    }
}

/// How to render: width in columns, and colour or not.
#[derive(Debug, Clone, Copy)]
pub struct Style {
    pub width: usize,
    pub color: bool,
}

impl Default for Style {
    fn default() -> Self {
        Style {
            width: 100,
            color: false,
        }
    }
}

/// Renders `d` as a compiler does: the message, then the source line with the spot
/// marked, then the help. Without a position the file is named in the message.
pub fn render(d: &Diagnostic, style: Style) -> String {
    let theme = if style.color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    let handler = GraphicalReportHandler::new_themed(theme)
        .with_width(style.width)
        .with_links(false)
        .with_context_lines(1);
    let report = Report::of(d);
    let mut out = String::new();
    if handler.render_report(&mut out, &report).is_err() {
        // Rendering into a String cannot fail; if it ever did, the one-line form remains.
        return format!("{d}\n");
    }
    out
}

/// The adapter miette renders.
#[derive(Debug)]
struct Report {
    message: String,
    code: String,
    severity: miette::Severity,
    help: Option<String>,
    source: Option<NamedSource<String>>,
    span: Option<(SourceSpan, Option<String>)>,
}

impl Report {
    fn of(d: &Diagnostic) -> Report {
        let span = match (&d.text, d.line) {
            (Some(text), Some(line)) => span_at(text, line, d.column),
            _ => None,
        };
        let source = span
            .and(d.text.as_ref())
            .map(|t| NamedSource::new(d.file.clone(), t.to_string()).with_language("rhai"));
        let message = match (&source, &d.path) {
            // miette names the file above the snippet; without one, the message does.
            (Some(_), Some(p)) => format!("at `{p}`: {}", d.message),
            (Some(_), None) => d.message.clone(),
            (None, Some(p)) => format!("{} at `{p}`: {}", d.location(), d.message),
            (None, None) => format!("{}: {}", d.location(), d.message),
        };
        Report {
            message,
            code: d.code.clone(),
            severity: match d.severity {
                Severity::Error => miette::Severity::Error,
                Severity::Warning => miette::Severity::Warning,
            },
            help: d.help.clone(),
            source,
            span: span.map(|s| (s, d.label.clone())),
        }
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Report {}

impl miette::Diagnostic for Report {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new(&self.code))
    }

    fn severity(&self) -> Option<miette::Severity> {
        Some(self.severity)
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.help
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        self.source.as_ref().map(|s| s as &dyn miette::SourceCode)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        let (span, label) = self.span.clone()?;
        Some(Box::new(std::iter::once(LabeledSpan::new_with_span(
            label, span,
        ))))
    }
}

/// The span to mark at `line`:`column`: the word, string or symbol that starts there;
/// without a column, the line's text.
fn span_at(text: &str, line: usize, column: Option<usize>) -> Option<SourceSpan> {
    let mut start = 0usize;
    for (i, l) in text.split_inclusive('\n').enumerate() {
        if i + 1 < line {
            start += l.len();
            continue;
        }
        let body = l.trim_end_matches(['\n', '\r']);
        let Some(column) = column else {
            let lead = body.len() - body.trim_start().len();
            let len = body.trim().len().max(1);
            return Some(SourceSpan::new((start + lead).into(), len));
        };
        let offset = body
            .char_indices()
            .nth(column.saturating_sub(1))
            .map_or(body.len(), |(b, _)| b);
        let rest = &body[offset..];
        return Some(SourceSpan::new((start + offset).into(), token_len(rest)));
    }
    // A position past the end (an unexpected end of file): mark the last character.
    let end = text.trim_end().len();
    Some(SourceSpan::new(end.saturating_sub(1).into(), 1))
}

/// Length in bytes of the token at the start of `s` (at least one character).
fn token_len(s: &str) -> usize {
    let mut chars = s.char_indices();
    let Some((_, first)) = chars.next() else {
        return 0;
    };
    if first.is_alphanumeric() || first == '_' {
        return s
            .char_indices()
            .find(|(_, c)| !(c.is_alphanumeric() || *c == '_'))
            .map_or(s.len(), |(b, _)| b);
    }
    if first == '"' {
        let mut escaped = false;
        for (b, c) in chars {
            match c {
                '\\' if !escaped => escaped = true,
                '"' if !escaped => return b + 1,
                _ => escaped = false,
            }
        }
        return s.len();
    }
    first.len_utf8()
}

/// Diagnostics in a stable order: by file, line, column, then message.
pub fn sort(diagnostics: &mut [Diagnostic]) {
    diagnostics.sort_by(|a, b| {
        (&a.file, a.line, a.column, a.severity, &a.message)
            .cmp(&(&b.file, b.line, b.column, b.severity, &b.message))
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_cover_the_word_at_the_position() {
        let text = "let a = 1;\nlet recal = profile.recal;\n";
        let s = span_at(text, 2, Some(21)).unwrap();
        assert_eq!(&text[s.offset()..s.offset() + s.len()], "recal");
        let s = span_at(text, 2, None).unwrap();
        assert_eq!(
            &text[s.offset()..s.offset() + s.len()],
            "let recal = profile.recal;"
        );
    }

    #[test]
    fn a_rule_error_is_classified_and_rendered_with_its_line() {
        let text: Arc<str> = Arc::from("const RULE = #{};\nfn evaluate(p) { p. }\n");
        let e = RuleError {
            file: "r/x.rhai".into(),
            line: Some(2),
            column: Some(20),
            message: "syntax error: oops".into(),
        };
        let d = Diagnostic::from_rule_error("x", &e, Some(text));
        assert_eq!(d.code, "rule::syntax");
        let out = render(
            &d,
            Style {
                width: 80,
                color: false,
            },
        );
        assert!(out.contains("[r/x.rhai:2:20]"), "{out}");
        assert!(out.contains("fn evaluate(p) { p. }"), "{out}");
    }
}
