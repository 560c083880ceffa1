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
use crate::memo::{Item, Remembered};
use crate::profile::Profile;
use crate::render::Render;
use crate::rule::RuleMeta;
use crate::verdict::Verdict;

#[derive(Debug, Default, Clone)]
pub struct Ndjson {
    /// A profile's findings that came before their turn in the line ...
    findings: Vec<u8>,
    /// ... and where each rule's is in it, by rule index.
    spans: Vec<Option<Range<usize>>>,
    /// Each rule's finding head, by rule index, escaped once rather than per profile.
    heads: Vec<Option<RuleHead>>,
    /// Where the profile's remembered answers put their evidence.
    written: Written,
}

/// Where each remembered answer written for the profile at hand put each piece of its
/// evidence. A composite shows its components' evidence again, each piece with a `via`
/// added: about a quarter of a line's bytes on the shipped rules. Copied from where the
/// component's finding put it, it is not looked up in the profile (value and citation)
/// and escaped a second time.
#[derive(Debug, Default, Clone)]
struct Written {
    /// Per answer: its address (compared, never followed: the memory holds the answers
    /// while a profile is scored, and this is cleared before the next), whether its
    /// finding went to the scratch buffer rather than the line, and its pieces.
    answers: Vec<(usize, bool, Range<usize>)>,
    /// Each piece's bytes, `{` to `}`, in its buffer.
    pieces: Vec<Range<usize>>,
}

impl Written {
    fn clear(&mut self) {
        self.answers.clear();
        self.pieces.clear();
    }

    /// Where the `k`-th piece of `of`'s evidence was written, and whether to scratch.
    fn find(&self, of: &Remembered, k: usize) -> Option<(bool, Range<usize>)> {
        let at = std::ptr::from_ref(of).addr();
        let (_, in_scratch, pieces) = self.answers.iter().find(|(a, ..)| *a == at)?;
        let piece = self.pieces.get(pieces.clone())?.get(k)?;
        Some((*in_scratch, piece.clone()))
    }
}

/// The two buffers a profile's findings go into, the line and the scratch buffer where a
/// finding that comes before its turn waits, and which one this finding goes to.
struct Buffers<'a> {
    line: &'a mut Vec<u8>,
    scratch: &'a mut Vec<u8>,
    into_scratch: bool,
}

/// What every finding of one rule starts with: its id and title, then (after the
/// verdict) its weight. Kept with the rule's own fields, so that a head is only ever
/// used for the rule it was written for, whichever scorer the renderer is handed.
#[derive(Debug, Clone)]
struct RuleHead {
    id: String,
    title: String,
    weight: u32,
    /// `{"rule":ID,"title":TITLE,"verdict":`
    open: Vec<u8>,
    /// `,"weight":N,"reason":`
    middle: Vec<u8>,
}

impl RuleHead {
    fn new(rule: &RuleMeta) -> RuleHead {
        let mut open = Vec::new();
        head_open(&mut open, &rule.id, &rule.title);
        let mut middle = Vec::new();
        head_middle(&mut middle, rule.weight);
        RuleHead {
            id: rule.id.clone(),
            title: rule.title.clone(),
            weight: rule.weight,
            open,
            middle,
        }
    }

    fn is_for(&self, rule: &RuleMeta) -> bool {
        self.weight == rule.weight && self.id == rule.id && self.title == rule.title
    }
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
        let kept = (
            &mut self.findings,
            &mut self.spans,
            &mut self.heads,
            &mut self.written,
        );
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
/// out only to write it and drop it. Answers come in evaluation order, which is id order
/// but for a composite's components, answered just before it (`ruleset::order`): a
/// finding whose turn it is goes straight into the line, and only one that comes early
/// waits in `scratch` for its turn.
fn score_line(
    out: &mut Vec<u8>,
    (scratch, spans, heads, written): Kept<'_>,
    scorer: &Scorer,
    loaded: &Loaded,
    source: &str,
) -> Score {
    scratch.clear();
    spans.clear();
    written.clear();
    let rules = scorer.rules().entries.len();
    spans.resize(rules, None);
    heads.resize(rules, None);
    let mut score = Score::default();
    let Profile { id, name, .. } = &loaded.profile;
    report_open(out, (id.as_str(), name.as_str(), source));
    out.push(b'[');
    // The rule whose finding is next in the line, which is also how many are in it.
    let mut next = 0;
    scorer.score_with(loaded, &mut |i, outcome| {
        let now = i == next;
        if now {
            separate(out, next);
        }
        let start = if now { out.len() } else { scratch.len() };
        match outcome {
            Outcome::Ran(e) => {
                score.add(e.finding.weight, e.finding.verdict);
                finding(if now { &mut *out } else { &mut *scratch }, &e.finding);
            }
            Outcome::Recalled(r) => {
                score.add(r.rule.weight, r.remembered.verdict);
                let head = match &mut heads[i] {
                    Some(h) if h.is_for(r.rule) => h,
                    slot => slot.insert(RuleHead::new(r.rule)),
                };
                let buffers = Buffers {
                    line: &mut *out,
                    scratch: &mut *scratch,
                    into_scratch: !now,
                };
                recalled(buffers, &r, head, written);
            }
        }
        if !now {
            spans[i] = Some(start..scratch.len());
            return;
        }
        next += 1;
        // The findings that came early and whose turn it now is.
        while let Some(Some(span)) = spans.get_mut(next).map(Option::take) {
            separate(out, next);
            out.extend_from_slice(&scratch[span]);
            next += 1;
        }
    });
    // Every rule answers once, in an order that fills the line; should one not, the
    // findings held back still go out, in id order.
    for span in spans.iter_mut().filter_map(Option::take) {
        separate(out, next);
        out.extend_from_slice(&scratch[span]);
        next += 1;
    }
    out.push(b']');
    report_close(out, &score);
    score
}

/// The comma before a list's item when `written` items are in it already.
fn separate(out: &mut Vec<u8>, written: usize) {
    if written > 0 {
        out.push(b',');
    }
}

/// What a renderer keeps from profile to profile: the findings of one that came early,
/// where each is, and the rules' heads.
type Kept<'a> = (
    &'a mut Vec<u8>,
    &'a mut Vec<Option<Range<usize>>>,
    &'a mut Vec<Option<RuleHead>>,
    &'a mut Written,
);

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
/// and of a line written while scoring ([`report_open`], the findings, [`report_close`]).
/// `head` is the id, name and source.
fn report_of(
    out: &mut Vec<u8>,
    head: (&str, &str, &str),
    score: &Score,
    findings: impl FnOnce(&mut Vec<u8>),
) {
    report_open(out, head);
    findings(out);
    report_close(out, score);
}

/// A report up to its findings.
fn report_open(out: &mut Vec<u8>, (id, name, source): (&str, &str, &str)) {
    out.extend_from_slice(b"{\"id\":");
    string(out, id);
    out.extend_from_slice(b",\"name\":");
    string(out, name);
    out.extend_from_slice(b",\"source\":");
    string(out, source);
    out.extend_from_slice(b",\"findings\":");
}

/// A report after its findings.
fn report_close(out: &mut Vec<u8>, score: &Score) {
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
    let head = |out: &mut Vec<u8>| {
        head_open(out, rule, title);
        verdict_of(out, *verdict);
        head_middle(out, *weight);
        string(out, reason);
    };
    finding_of(out, head, output, |out| {
        list(out, b'[', b']', items, |out, e| {
            evidence(out, EvidenceRef::from(e))
        })
    });
}

/// A remembered answer, as [`Recalled::finding`] would be written, into the scratch
/// buffer or the line; `rule_head` is its rule's. Where each piece of its evidence went
/// is added to `written`.
fn recalled(buffers: Buffers<'_>, r: &Recalled<'_>, rule_head: &RuleHead, written: &mut Written) {
    let Recalled {
        rule: _,
        remembered,
        root,
        components,
    } = r;
    let Buffers {
        line,
        scratch,
        into_scratch,
    } = buffers;
    let (to, other) = if into_scratch {
        (scratch, &*line)
    } else {
        (line, &*scratch)
    };
    let head = |out: &mut Vec<u8>| {
        out.extend_from_slice(&rule_head.open);
        verdict_of(out, remembered.verdict);
        out.extend_from_slice(&rule_head.middle);
        out.extend_from_slice(remembered.reason_json().as_bytes());
    };
    let first_piece = written.pieces.len();
    finding_of(to, head, &remembered.output, |out| {
        out.push(b'[');
        let mut first = true;
        remembered.each_item(root, components, |item| {
            if !std::mem::take(&mut first) {
                out.push(b',');
            }
            let start = out.len();
            let copied = match item {
                Item::Through { of, k, via } => written.find(of, k).map(|at| (at, via)),
                Item::Shown(_) => None,
            };
            match copied {
                // The component's piece has no `via` (it consulted no component): all
                // but its closing brace, then the `via`.
                Some(((in_scratch, piece), via)) => {
                    let bytes = piece.start..piece.end - 1;
                    if in_scratch == into_scratch {
                        out.extend_from_within(bytes);
                    } else {
                        out.extend_from_slice(&other[bytes]);
                    }
                    out.extend_from_slice(b",\"via\":");
                    string(out, via);
                    out.push(b'}');
                }
                // Read from the profile, as every other format reads it. A piece come
                // through a component is copied instead whenever that component was
                // written first, which every rule a composite consults is.
                None => evidence(out, item.resolve(root)),
            }
            written.pieces.push(start..out.len());
        });
        out.push(b']');
    });
    let at = std::ptr::from_ref::<Remembered>(remembered).addr();
    written
        .answers
        .push((at, into_scratch, first_piece..written.pieces.len()));
}

/// A finding, its fields up to its reason written by `head`, its evidence list by
/// `items`: the one layout of an owned finding and of a remembered answer written from
/// the profile.
fn finding_of(
    out: &mut Vec<u8>,
    head: impl FnOnce(&mut Vec<u8>),
    output: &[String],
    items: impl FnOnce(&mut Vec<u8>),
) {
    head(out);
    out.extend_from_slice(b",\"evidence\":");
    items(out);
    if !output.is_empty() {
        out.extend_from_slice(b",\"output\":");
        list(out, b'[', b']', output, |out, line| string(out, line));
    }
    out.push(b'}');
}

/// A finding's first fields, up to its verdict.
fn head_open(out: &mut Vec<u8>, rule: &str, title: &str) {
    out.extend_from_slice(b"{\"rule\":");
    string(out, rule);
    out.extend_from_slice(b",\"title\":");
    string(out, title);
    out.extend_from_slice(b",\"verdict\":");
}

/// A finding's fields between its verdict and its reason.
fn head_middle(out: &mut Vec<u8>, weight: u32) {
    out.extend_from_slice(b",\"weight\":");
    number(out, weight);
    out.extend_from_slice(b",\"reason\":");
}

fn verdict_of(out: &mut Vec<u8>, v: Verdict) {
    out.extend_from_slice(match v {
        Verdict::Yes => b"\"yes\"",
        Verdict::No => b"\"no\"",
        Verdict::Unknown => b"\"unknown\"",
        Verdict::Error => b"\"error\"",
    });
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
        // A part of the study (`section II`, `appendix: Petrov`): letters, spaces, a colon.
        plain(out, c.reference());
        out.extend_from_slice(b",\"quote\":");
        string(out, c.quote());
        out.push(b'}');
    }
    if !certainty.is_stated() {
        out.extend_from_slice(b",\"certainty\":");
        plain(out, certainty.as_str());
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

/// A string known to need no escaping (`"`, `\\` and control characters are all
/// serde_json escapes), written as it is: for a short one, the escaper's setup costs
/// more than the copy. (Checking first whether a string needs escaping, for keys or
/// paths, cost more than escaping it: this is for what is known plain.)
fn plain(out: &mut Vec<u8>, s: &str) {
    debug_assert!(!s.bytes().any(|b| b < 0x20 || b == b'"' || b == b'\\'));
    out.reserve(s.len() + 2);
    out.push(b'"');
    out.extend_from_slice(s.as_bytes());
    out.push(b'"');
}

fn number(out: &mut Vec<u8>, n: impl itoa::Integer) {
    out.extend_from_slice(itoa::Buffer::new().format(n).as_bytes());
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::memo::{self, Components, Rested};
    use crate::pointer::Pointer;
    use crate::view::Root;

    fn rule(id: &str) -> RuleMeta {
        serde_json::from_value(json!({
            "id": id,
            "title": format!("The rule {id}"),
            "description": "A rule of the test.",
            "weight": 10,
            "source": {"ref": "summary", "quote": "a quote"},
        }))
        .expect("valid metadata")
    }

    /// Writes `r` with `written` as it stands: into the line, or into scratch when
    /// `into_scratch` is set.
    fn write(
        (line, scratch): (&mut Vec<u8>, &mut Vec<u8>),
        into_scratch: bool,
        r: &Recalled<'_>,
        written: &mut Written,
    ) {
        let buffers = Buffers {
            line,
            scratch,
            into_scratch,
        };
        recalled(buffers, r, &RuleHead::new(r.rule), written);
    }

    /// A remembered composite shows a remembered component's evidence again, with a `via`.
    /// It is copied from where the component's finding was written, on the line or in
    /// the scratch buffer; were that finding not written (a scored line always writes a
    /// component first), it is read from the profile instead. Each way, the bytes are
    /// those of the finding built and serialised.
    #[test]
    fn a_piece_through_a_component_is_copied_or_read_alike() {
        let tree = json!({
            "family": [{
                "relation": "wife",
                "location": "the \"USSR\"",
                "source": {"ref": "summary", "quote": "his wife remained"},
                "certainty": "claimed"
            }],
            "name": "A. B."
        });
        let root = Root::indexed(&tree);
        let named = vec![
            Pointer::new("/family/0".into()),
            Pointer::new("/name".into()),
        ];
        let component = Remembered::new(
            Verdict::Yes,
            "she stayed".into(),
            vec![],
            memo::Shown::Named(named),
        );
        let composite = Remembered::new(
            Verdict::Yes,
            "through \"a\"".into(),
            vec!["a line".into()],
            memo::Shown::Read {
                reads: vec![],
                consulted: vec!["a".into()],
            },
        );
        let (rule_a, rule_b) = (rule("a"), rule("b"));
        let none = Components::new();
        let mut components = Components::new();
        let rested = Rested::recalled(&component).expect("shows its own evidence");
        components.insert("a", Ok((Verdict::Yes, rested)));
        let first = Recalled {
            rule: &rule_a,
            remembered: &component,
            root: &root,
            components: &none,
        };
        let then = Recalled {
            rule: &rule_b,
            remembered: &composite,
            root: &root,
            components: &components,
        };
        let expected = String::from_utf8(serde_json::to_vec(&then.finding()).unwrap()).unwrap();
        assert!(expected.contains(r#""via":"a""#), "{expected}");

        // The component not written: each piece read from the profile.
        let (mut line, mut scratch) = (Vec::new(), Vec::new());
        let mut written = Written::default();
        write((&mut line, &mut scratch), false, &then, &mut written);
        assert_eq!(String::from_utf8_lossy(&line), expected);
        assert!(scratch.is_empty());

        // Written first, on the line or in scratch: each piece copied from there. The
        // component's bytes are marked after it is written, so that a copy shows.
        for component_in_scratch in [false, true] {
            let (mut line, mut scratch) = (Vec::new(), Vec::new());
            let mut written = Written::default();
            write(
                (&mut line, &mut scratch),
                component_in_scratch,
                &first,
                &mut written,
            );
            let mark = |b: &mut Vec<u8>| {
                let text = String::from_utf8(std::mem::take(b)).unwrap();
                assert!(text.contains("wife"), "{text}");
                *b = text.replace("wife", "WIFE").into_bytes();
            };
            mark(if component_in_scratch {
                &mut scratch
            } else {
                &mut line
            });
            let start = line.len();
            write((&mut line, &mut scratch), false, &then, &mut written);
            let got = String::from_utf8_lossy(&line[start..]).into_owned();
            assert_eq!(got, expected.replace("wife", "WIFE"));
        }
    }
}
