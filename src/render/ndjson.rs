//! `--format ndjson`: one compact JSON object per line, per profile, in input order; the
//! same objects as `--format json`.
//!
//! A scored report is written field by field rather than through `serde_json`: on a
//! batch, escaping strings one byte at a time was the largest single cost of a run (a
//! report is about twice the size of its profile). Strings go through a SIMD escaper;
//! the bytes are the same as `serde_json::to_vec` gives, which the tests check on every
//! shipped case and on arbitrary values.

use std::io::{self, Write};
use std::ops::Range;

use serde_json::Value;

use crate::evaluate::{Outcome, Recalled, Scorer};
use crate::finding::{EvidenceRef, Finding, Report, Score, Scored, Shown};
use crate::load::Loaded;
use crate::profile::Profile;
use crate::render::Render;
use crate::verdict::Verdict;

#[derive(Debug, Default, Clone)]
pub struct Ndjson {
    /// A profile's findings, written as they come, before they are put in order ...
    findings: Vec<u8>,
    /// ... and where each rule's is in it, by rule index.
    spans: Vec<Range<usize>>,
}

impl Render for Ndjson {
    fn report(&mut self, w: &mut dyn Write, report: &Report) -> io::Result<()> {
        let mut line = Vec::with_capacity(16 << 10);
        self.report_into(&mut line, report)?;
        w.write_all(&line)
    }

    fn report_into(&mut self, out: &mut Vec<u8>, report: &Report) -> io::Result<()> {
        let start = out.len();
        if let Err(e) = write_report(out, report) {
            // Nothing of a report that failed half-way is left in the buffer.
            out.truncate(start);
            return Err(e);
        }
        out.push(b'\n');
        Ok(())
    }

    fn score_into(
        &mut self,
        out: &mut Vec<u8>,
        scorer: &Scorer,
        loaded: &Loaded,
        source: &str,
    ) -> Option<Score> {
        let kept = (&mut self.findings, &mut self.spans);
        let score = score_line(out, kept, scorer, loaded, source);
        out.push(b'\n');
        Some(score)
    }

    fn fragment(&self) -> Option<Box<dyn Render + Send>> {
        Some(Box::new(Ndjson::default()))
    }
}

/// Scores `loaded` and writes its report: the bytes [`write_report`] writes for what
/// [`Scorer::score`] returns, without building it. A remembered answer's evidence is
/// written straight from the profile, where building the report would copy each fact
/// out only to write it and drop it. Answers come in evaluation order (components
/// before composites), so each finding goes to `scratch` first and the line takes them
/// in rule id order.
fn score_line(
    out: &mut Vec<u8>,
    (scratch, spans): (&mut Vec<u8>, &mut Vec<Range<usize>>),
    scorer: &Scorer,
    loaded: &Loaded,
    source: &str,
) -> Score {
    scratch.clear();
    spans.clear();
    spans.resize(scorer.rules().entries.len(), 0..0);
    let mut score = Score::default();
    scorer.score_with(loaded, &mut |i, outcome| {
        let start = scratch.len();
        match outcome {
            Outcome::Ran(e) => {
                score.add(e.finding.weight, e.finding.verdict);
                finding(scratch, &e.finding);
            }
            Outcome::Recalled(r) => {
                score.add(r.rule.weight, r.remembered.verdict);
                recalled(scratch, &r);
            }
        }
        spans[i] = start..scratch.len();
    });
    let Profile { id, name, .. } = &loaded.profile;
    let head = (id.as_str(), name.as_str(), source);
    report_of(out, head, &score, |out| {
        list(out, b'[', b']', spans.drain(..), |out, span| {
            out.extend_from_slice(&scratch[span]);
        });
    });
    score
}

/// `report` as compact JSON, exactly as `serde_json::to_vec` writes it.
pub fn write_report(out: &mut Vec<u8>, report: &Report) -> io::Result<()> {
    match report {
        Report::Scored(s) => {
            scored(out, s);
            Ok(())
        }
        // Rare, and small: not worth a second writer.
        Report::Failed(_) => serde_json::to_writer(out, report).map_err(io::Error::other),
    }
}

// Each writer destructures its type without `..`, so a field added to it cannot be left
// out of the output unnoticed: the build fails here first.

fn scored(out: &mut Vec<u8>, s: &Scored) {
    let Scored {
        id,
        name,
        source,
        findings,
        score,
    } = s;
    report_of(out, (id, name, source), score, |out| {
        list(out, b'[', b']', findings, finding)
    });
}

/// A scored report, its findings written by `findings`: the one layout of a built report
/// and of a line written while scoring. `head` is the id, name and source.
fn report_of(
    out: &mut Vec<u8>,
    (id, name, source): (&str, &str, &str),
    score: &Score,
    findings: impl FnOnce(&mut Vec<u8>),
) {
    out.extend_from_slice(b"{\"id\":");
    string(out, id);
    out.extend_from_slice(b",\"name\":");
    string(out, name);
    out.extend_from_slice(b",\"source\":");
    string(out, source);
    out.extend_from_slice(b",\"findings\":");
    findings(out);
    out.extend_from_slice(b",\"score\":");
    score_of(out, score);
    out.push(b'}');
}

fn finding(out: &mut Vec<u8>, f: &Finding) {
    let Finding {
        rule,
        title,
        verdict,
        weight,
        reason,
        evidence: items,
        output,
    } = f;
    let head = Head {
        rule,
        title,
        verdict: *verdict,
        weight: *weight,
        reason,
    };
    finding_of(out, head, output, |out| {
        list(out, b'[', b']', items, |out, e| {
            evidence(out, EvidenceRef::from(e))
        })
    });
}

/// A remembered answer, as [`Recalled::finding`] would be written.
fn recalled(out: &mut Vec<u8>, r: &Recalled<'_>) {
    let Recalled {
        rule,
        remembered,
        root,
        components,
    } = r;
    let head = Head {
        rule: &rule.id,
        title: &rule.title,
        verdict: remembered.verdict,
        weight: rule.weight,
        reason: &remembered.reason,
    };
    finding_of(out, head, &remembered.output, |out| {
        out.push(b'[');
        let mut first = true;
        remembered.each_evidence(root, components, |e| {
            if !std::mem::take(&mut first) {
                out.push(b',');
            }
            evidence(out, e);
        });
        out.push(b']');
    });
}

/// A finding's fields before its evidence.
struct Head<'a> {
    rule: &'a str,
    title: &'a str,
    verdict: Verdict,
    weight: u32,
    reason: &'a str,
}

/// A finding, its evidence list written by `items`: the one layout of an owned finding
/// and of a remembered answer written from the profile.
fn finding_of(
    out: &mut Vec<u8>,
    head: Head<'_>,
    output: &[String],
    items: impl FnOnce(&mut Vec<u8>),
) {
    let Head {
        rule,
        title,
        verdict,
        weight,
        reason,
    } = head;
    out.extend_from_slice(b"{\"rule\":");
    string(out, rule);
    out.extend_from_slice(b",\"title\":");
    string(out, title);
    out.extend_from_slice(b",\"verdict\":");
    string(out, verdict.as_str());
    out.extend_from_slice(b",\"weight\":");
    number(out, weight);
    out.extend_from_slice(b",\"reason\":");
    string(out, reason);
    out.extend_from_slice(b",\"evidence\":");
    items(out);
    if !output.is_empty() {
        out.extend_from_slice(b",\"output\":");
        list(out, b'[', b']', output, |out, line| string(out, line));
    }
    out.push(b'}');
}

fn evidence(out: &mut Vec<u8>, e: EvidenceRef<'_>) {
    let EvidenceRef {
        path,
        value: shown,
        source,
        certainty,
        via,
    } = e;
    out.extend_from_slice(b"{\"path\":");
    string(out, path);
    out.extend_from_slice(b",\"value\":");
    match shown {
        Shown::Value(v) => value(out, v),
        Shown::Fact(m) => object(out, Shown::shown(m)),
    }
    if let Some(c) = source {
        out.extend_from_slice(b",\"source\":{\"ref\":");
        string(out, c.reference());
        out.extend_from_slice(b",\"quote\":");
        string(out, c.quote());
        out.push(b'}');
    }
    if !certainty.is_stated() {
        out.extend_from_slice(b",\"certainty\":");
        string(out, certainty.as_str());
    }
    if let Some(via) = via {
        out.extend_from_slice(b",\"via\":");
        string(out, via);
    }
    out.push(b'}');
}

fn score_of(out: &mut Vec<u8>, s: &Score) {
    let Score {
        value,
        max,
        assessed,
        unknown,
        errors,
        upper,
    } = s;
    out.extend_from_slice(b"{\"value\":");
    number(out, *value);
    out.extend_from_slice(b",\"max\":");
    number(out, *max);
    out.extend_from_slice(b",\"assessed\":");
    number(out, *assessed);
    out.extend_from_slice(b",\"unknown\":");
    number(out, *unknown);
    out.extend_from_slice(b",\"errors\":");
    number(out, *errors);
    out.extend_from_slice(b",\"upper\":");
    number(out, *upper);
    out.push(b'}');
}

/// Any JSON value; an object's keys in the map's own (sorted) order, as serde_json.
pub fn value(out: &mut Vec<u8>, v: &Value) {
    match v {
        Value::Null => out.extend_from_slice(b"null"),
        Value::Bool(true) => out.extend_from_slice(b"true"),
        Value::Bool(false) => out.extend_from_slice(b"false"),
        // serde_json's own digits: integers and shortest round-trip floats alike.
        Value::Number(n) => out.extend_from_slice(n.to_string().as_bytes()),
        Value::String(s) => string(out, s),
        Value::Array(items) => list(out, b'[', b']', items, value),
        Value::Object(m) => object(out, m),
    }
}

/// An object of these entries, in the order given.
fn object<'v>(out: &mut Vec<u8>, entries: impl IntoIterator<Item = (&'v String, &'v Value)>) {
    list(out, b'{', b'}', entries, |out, (k, item)| {
        string(out, k);
        out.push(b':');
        value(out, item);
    });
}

/// `items` between `open` and `close`, comma-separated, each written by `each`.
fn list<T>(
    out: &mut Vec<u8>,
    open: u8,
    close: u8,
    items: impl IntoIterator<Item = T>,
    mut each: impl FnMut(&mut Vec<u8>, T),
) {
    out.push(open);
    for (i, item) in items.into_iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        each(out, item);
    }
    out.push(close);
}

fn string(out: &mut Vec<u8>, s: &str) {
    json_escape_simd::escape_into(s, out);
}

fn number(out: &mut Vec<u8>, n: impl itoa::Integer) {
    out.extend_from_slice(itoa::Buffer::new().format(n).as_bytes());
}
