//! `rules test`: each rule's expectations, checked, and its coverage of history.
//!
//! Two kinds of expectation:
//! - `expect` in the rule's metadata maps a historical case id to the verdict the rule
//!   must give on it (`expect: #{ petrov: "yes", kravchenko: "no" }`);
//! - a file `<id>.samples.json` beside the rule holds small sample profiles, each with
//!   its expected verdict:
//!   `[{"name": "...", "expect": "yes", "profile": {"id": ..., "name": ..., ...}}]`.
//!   A sample profile is checked like any profile, and a bad one is reported with its
//!   file, line, column and JSON path.
//!
//! Coverage: per rule, how many of the historical cases it answered yes, no, unknown
//! or error, and whether it never fires (never yes) or is never assessable (never yes
//! or no).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_path_to_error::Segment;

use crate::diagnostic::{self, Diagnostic};
use crate::evaluate::{Explained, Scorer};
use crate::finding::Evidence;
use crate::lint::{load_errors, Case};
use crate::load::Loaded;
use crate::profile::Profile;
use crate::rule::{meta_key_position, Rule};
use crate::ruleset::SampleFile;
use crate::verdict::Verdict;

/// One sample of a `<id>.samples.json` file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Sample {
    /// What the sample shows, in a few words; names it in reports.
    pub name: String,
    /// The verdict the rule must give.
    pub expect: Verdict,
    /// A profile, checked like any other.
    pub profile: Profile,
}

/// Where an expectation comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// A historical case, by id.
    Case,
    /// A sample of the rule's samples file, by name.
    Sample,
}

/// One expectation checked.
#[derive(Debug, Clone, Serialize)]
pub struct Outcome {
    pub rule: String,
    pub kind: Kind,
    /// The case id or the sample's name.
    pub on: String,
    pub expected: Verdict,
    pub actual: Verdict,
    pub passed: bool,
    pub reason: String,
    /// Shown for failures only.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub evidence: Vec<Evidence>,
}

/// A rule's verdicts over the historical cases.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Coverage {
    pub rule: String,
    pub yes: usize,
    pub no: usize,
    pub unknown: usize,
    pub error: usize,
    /// Never answered yes.
    pub never_fires: bool,
    /// Never answered yes or no.
    pub never_assessable: bool,
}

/// Everything `rules test` found.
#[derive(Debug, Clone, Serialize)]
pub struct TestRun {
    pub passed: usize,
    pub failed: usize,
    pub results: Vec<Outcome>,
    pub coverage: Vec<Coverage>,
    /// Load errors, bad samples files, expectations that cannot be checked, and each
    /// failure at the line of its expectation.
    pub diagnostics: Vec<Diagnostic>,
}

impl TestRun {
    /// No failed expectation and no error.
    pub fn ok(&self) -> bool {
        self.failed == 0 && !self.diagnostics.iter().any(Diagnostic::is_error)
    }
}

/// Runs every expectation of every rule in `scorer` against `cases`.
pub fn run(scorer: &Scorer, cases: &[Case]) -> TestRun {
    let mut diagnostics = load_errors(scorer);
    let mut results = Vec::new();
    let found: Vec<BTreeMap<String, Explained>> = cases
        .iter()
        .map(|c| {
            scorer
                .evaluate_all(&c.loaded)
                .into_iter()
                .map(|e| (e.finding.rule.clone(), e))
                .collect()
        })
        .collect();
    let ids: Vec<&str> = cases.iter().map(|c| c.id.as_str()).collect();
    let samples = parse_all(scorer, &mut diagnostics);

    let mut coverage = Vec::new();
    for rule in scorer.rules().ready() {
        let id = &rule.meta.id;
        for (case, expected) in &rule.meta.expect {
            let Some(i) = ids.iter().position(|c| c == case) else {
                let at = expect_position(&rule.text, case);
                let near = ids
                    .iter()
                    .find(|c| crate::lint::is_near(case, c))
                    .map(|c| format!(" (did you mean `{c}`?)"))
                    .unwrap_or_default();
                diagnostics.push(
                    Diagnostic::error(
                        "test::unknown-case",
                        &rule.file,
                        format!("`expect` names `{case}`, which is not a historical case{near}"),
                    )
                    .rule(id)
                    .at(at.map(|a| a.0), at.map(|a| a.1))
                    .label("no such case")
                    .help(format!("the cases are: {}", ids.join(", ")))
                    .text(Some(rule.text.clone())),
                );
                continue;
            };
            let Some(e) = found[i].get(id) else { continue };
            let outcome = outcome(rule, Kind::Case, case, *expected, e);
            if !outcome.passed {
                let at = expect_position(&rule.text, case);
                diagnostics.push(failure(rule, &outcome, &rule.file, at, rule.text.clone()));
            }
            results.push(outcome);
        }
        if let Some((file, text, list)) = samples.get(id) {
            for sample in list {
                let loaded = Loaded::new(sample.profile.clone());
                let all = scorer.evaluate_all(&loaded);
                let Some(e) = all.iter().find(|e| &e.finding.rule == id) else {
                    continue;
                };
                let outcome = outcome(rule, Kind::Sample, &sample.name, sample.expect, e);
                if !outcome.passed {
                    let at = sample_position(text, &sample.name);
                    diagnostics.push(failure(rule, &outcome, file, at, text.clone()));
                }
                results.push(outcome);
            }
        }
        if rule.meta.expect.is_empty() && !samples.contains_key(id) {
            diagnostics.push(
                Diagnostic::warning(
                    "test::no-expectations",
                    &rule.file,
                    format!("`{id}` has no expectations to test"),
                )
                .rule(id)
                .at(meta_key_position(&rule.text, "id").map(|a| a.0), None)
                .help("add `expect: #{ case_id: \"yes\", ... }` to its metadata")
                .text(Some(rule.text.clone())),
            );
        }
        let mut c = Coverage {
            rule: id.clone(),
            yes: 0,
            no: 0,
            unknown: 0,
            error: 0,
            never_fires: false,
            never_assessable: false,
        };
        for f in &found {
            match f.get(id).map(|e| e.finding.verdict) {
                Some(Verdict::Yes) => c.yes += 1,
                Some(Verdict::No) => c.no += 1,
                Some(Verdict::Unknown) => c.unknown += 1,
                Some(Verdict::Error) => c.error += 1,
                None => {}
            }
        }
        c.never_fires = c.yes == 0;
        c.never_assessable = c.yes + c.no == 0;
        coverage.push(c);
    }
    let passed = results.iter().filter(|r| r.passed).count();
    let failed = results.len() - passed;
    diagnostic::sort(&mut diagnostics);
    TestRun {
        passed,
        failed,
        results,
        coverage,
        diagnostics,
    }
}

fn outcome(rule: &Rule, kind: Kind, on: &str, expected: Verdict, e: &Explained) -> Outcome {
    let passed = e.finding.verdict == expected;
    Outcome {
        rule: rule.meta.id.clone(),
        kind,
        on: on.to_string(),
        expected,
        actual: e.finding.verdict,
        passed,
        reason: e.finding.reason.clone(),
        evidence: if passed {
            Vec::new()
        } else {
            e.finding.evidence.clone()
        },
    }
}

/// A failed expectation, at the line that states it, with the actual answer in full.
fn failure(
    rule: &Rule,
    o: &Outcome,
    file: &str,
    at: Option<(usize, usize)>,
    text: Arc<str>,
) -> Diagnostic {
    let what = match o.kind {
        Kind::Case => format!("case `{}`", o.on),
        Kind::Sample => format!("sample \"{}\"", o.on),
    };
    let mut help = format!("reason: {}", o.reason);
    if o.evidence.is_empty() {
        help.push_str("\nevidence: none");
    } else {
        help.push_str("\nevidence:");
        for e in &o.evidence {
            help.push_str(&format!("\n  {}", describe_evidence(e)));
        }
    }
    Diagnostic::error(
        "test::failed",
        file,
        format!(
            "`{}` on {what}: expected `{}`, got `{}`",
            rule.meta.id, o.expected, o.actual
        ),
    )
    .rule(&rule.meta.id)
    .at(at.map(|a| a.0), at.map(|a| a.1))
    .label(format!("expected `{}`", o.expected))
    .help(help)
    .text(Some(text))
}

/// One line of evidence: `/recalls/1 = {...} (appendix: Petrov) [claimed]`.
pub fn describe_evidence(e: &Evidence) -> String {
    match e.provenance() {
        p if p.is_empty() => format!("{} = {}", e.path, e.value),
        p => format!("{} = {} {p}", e.path, e.value),
    }
}

/// Where `case: "..."` is written inside the rule's `expect` map.
fn expect_position(text: &str, case: &str) -> Option<(usize, usize)> {
    let (line, column) = meta_key_position(text, "expect")?;
    for (n, l) in text.lines().enumerate().skip(line - 1) {
        let from = if n + 1 == line {
            l.char_indices().nth(column - 1).map_or(0, |(b, _)| b)
        } else {
            0
        };
        let mut search = from;
        while let Some(b) = l[search..].find(case) {
            let at = search + b;
            let before_ok = l[..at]
                .chars()
                .next_back()
                .is_none_or(|c| !(c.is_alphanumeric() || c == '_'));
            let after = l[at + case.len()..].trim_start_matches('"').trim_start();
            if before_ok && after.starts_with(':') {
                return Some((n + 1, l[..at].chars().count() + 1));
            }
            search = at + case.len();
        }
        if n + 1 > line && l.trim_start().starts_with('}') {
            break;
        }
    }
    Some((line, column))
}

/// Where a sample starts in its file: the line of its name.
fn sample_position(text: &str, name: &str) -> Option<(usize, usize)> {
    let quoted = serde_json::to_string(name).ok()?;
    text.lines()
        .enumerate()
        .find_map(|(i, l)| l.find(&quoted).map(|b| (i + 1, l[..b].chars().count() + 1)))
}

/// The samples files of the set, parsed: by rule id, the file, its text and samples.
type Parsed = BTreeMap<String, (String, Arc<str>, Vec<Sample>)>;

fn parse_all(scorer: &Scorer, diagnostics: &mut Vec<Diagnostic>) -> Parsed {
    let mut out = Parsed::new();
    let set = scorer.rules();
    for (id, sf) in &set.samples {
        if !set.entries.iter().any(|e| e.id() == id) {
            diagnostics.push(
                Diagnostic::error(
                    "samples::orphan",
                    &sf.file,
                    format!("samples for `{id}`, but there is no rule `{id}` here"),
                )
                .help(format!(
                    "name the file after its rule: `<id>{}`",
                    crate::ruleset::SAMPLES_SUFFIX
                )),
            );
            continue;
        }
        match parse_samples(sf) {
            Ok((text, list)) => {
                out.insert(id.clone(), (sf.file.clone(), text, list));
            }
            Err(d) => diagnostics.push(*d),
        }
    }
    out
}

/// The diagnostics for the set's samples files alone (for `rules check`).
pub fn sample_diagnostics(scorer: &Scorer) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    parse_all(scorer, &mut out);
    out
}

/// Parses one samples file; a bad one is a diagnostic with file, line, column and the
/// JSON path of the offending value.
pub fn parse_samples(sf: &SampleFile) -> Result<(Arc<str>, Vec<Sample>), Box<Diagnostic>> {
    let text = match &sf.text {
        Ok(t) => t,
        Err(e) => {
            return Err(Box::new(Diagnostic::error(
                "samples::invalid",
                &sf.file,
                format!("cannot read: {e}"),
            )))
        }
    };
    let shared: Arc<str> = Arc::from(text.as_str());
    let body = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut de = serde_json::Deserializer::from_str(body);
    let parsed: Result<Vec<Sample>, _> = serde_path_to_error::deserialize(&mut de);
    let located = |path: String, inner: serde_json::Error| {
        let mut d = Diagnostic::error("samples::invalid", &sf.file, clean(&inner))
            .at(
                (inner.line() > 0).then_some(inner.line()),
                (inner.line() > 0).then_some(inner.column()),
            )
            .help(
                "a samples file is an array of {\"name\", \"expect\", \"profile\"} \
                 (see docs/rules.md, \"Testing a rule\")",
            )
            .text(Some(shared.clone()));
        if !path.is_empty() {
            d.label = Some(format!("at `{path}`"));
            d.path = Some(path);
        } else {
            d.label = Some("here".to_string());
        }
        Box::new(d)
    };
    let list = parsed.map_err(|e| {
        let path = pointer(e.path());
        located(path, e.into_inner())
    })?;
    de.end().map_err(|e| located(String::new(), e))?;
    // Sample names identify failures; two alike would be ambiguous.
    let mut seen = BTreeSet::new();
    for s in &list {
        if !seen.insert(s.name.clone()) {
            let at = sample_position(text, &s.name);
            return Err(Box::new(
                Diagnostic::error(
                    "samples::invalid",
                    &sf.file,
                    format!("two samples are named \"{}\"", s.name),
                )
                .at(at.map(|a| a.0), at.map(|a| a.1))
                .text(Some(shared.clone())),
            ));
        }
    }
    Ok((shared, list))
}

fn clean(e: &serde_json::Error) -> String {
    let s = e.to_string();
    match s.rfind(" at line ") {
        Some(i) => s[..i].to_string(),
        None => s,
    }
}

fn pointer(path: &serde_path_to_error::Path) -> String {
    let mut out = String::new();
    for seg in path.iter() {
        match seg {
            Segment::Seq { index } => out.push_str(&format!("/{index}")),
            Segment::Map { key } | Segment::Enum { variant: key } => {
                out.push('/');
                out.push_str(&key.replace('~', "~0").replace('/', "~1"));
            }
            Segment::Unknown => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expectations_are_found_in_the_expect_map() {
        let text = "const RULE = #{\n    id: \"x\",\n    expect: #{\n        petrov: \"yes\",\n        gouzenko: \"no\",\n    },\n};\n";
        assert_eq!(expect_position(text, "gouzenko"), Some((5, 9)));
        assert_eq!(expect_position(text, "petrov"), Some((4, 9)));
    }

    #[test]
    fn a_bad_sample_is_placed_by_line_and_path() {
        let sf = SampleFile {
            file: "x.samples.json".into(),
            text: Ok("[{\"name\": \"a\", \"expect\": \"yes\",\n  \"profile\": {\"id\": \"a\", \"name\": \"A\", \"recal\": 1}}]".into()),
        };
        let d = parse_samples(&sf).unwrap_err();
        assert_eq!(d.line, Some(2));
        assert_eq!(d.path.as_deref(), Some("/0/profile/recal"));
        assert!(
            d.message.starts_with("unknown field `recal`"),
            "{}",
            d.message
        );
    }
}
