//! The study's published figures as claims, checked against a cohort with bounds that
//! respect unknowns.
//!
//! A count claim ("14 of the 20") is consistent when its figure can be the true count:
//! for the answer it counts, the lower bound is how many cases gave that answer, and
//! the upper bound adds every case whose answer is unknown (or failed), since each of
//! those could go either way. A claim about named cases ("Kravchenko and Vassiliev were
//! not under recall") is consistent when no named case contradicts it.
//!
//! Claims are data (`fixtures/claims/study.json`, embedded), never code.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::Path;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::citation::SourceRef;
use crate::cohort::{Cohort, Counts, Row};
use crate::error::Error;
use crate::verdict::Verdict;

/// The study's claims, as shipped.
pub const STUDY: &str = include_str!("../fixtures/claims/study.json");

/// A file of claims.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
struct ClaimFile {
    claims: Vec<Claim>,
}

/// One published figure or statement, and what it says about the cohort.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Claim {
    /// A short stable identifier (`recall-and-fear-14`).
    pub id: String,
    /// The claim in words.
    pub text: String,
    /// The part of the study that makes it.
    pub section: SourceRef,
    /// The study's words, verbatim.
    pub quote: String,
    /// The rules whose answers the claim is about (one, for a count claim).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rules: Vec<String>,
    /// Or a fact of the profile, when the claim is about no indicator.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fact: Option<FactTest>,
    /// The answer counted (`yes`, `no`, or `unknown` for "no information").
    #[serde(default = "yes")]
    pub verdict: Verdict,
    /// For a claim about named cases: their ids. Every (case, rule) pair must give
    /// `verdict`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cases: Vec<String>,
    /// The figure, for a count claim.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expected: Option<usize>,
    /// How the figure is meant: exactly (the default), at least, or at most.
    #[serde(default)]
    pub relation: Relation,
}

fn yes() -> Verdict {
    Verdict::Yes
}

/// A test on one profile value, read as an answer: `Null` (silence) is unknown; with
/// `equals`, yes when equal and no otherwise; without it, yes when there is something
/// there, no for a list stated as none (`{"none": ...}`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FactTest {
    /// A JSON pointer into the profile (`/defection/country`).
    pub path: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub equals: Option<Value>,
}

impl FactTest {
    pub fn answer(&self, value: &Value) -> Verdict {
        match (value, &self.equals) {
            (Value::Null, _) => Verdict::Unknown,
            (v, Some(e)) => {
                if v == e {
                    Verdict::Yes
                } else {
                    Verdict::No
                }
            }
            (Value::Array(a), None) if a.is_empty() => Verdict::No,
            (Value::Object(m), None) if m.contains_key("none") => Verdict::No,
            _ => Verdict::Yes,
        }
    }

    fn describe(&self) -> String {
        match &self.equals {
            Some(e) => format!("{} = {e}", self.path),
            None => format!("{} recorded", self.path),
        }
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Relation {
    #[default]
    Exactly,
    AtLeast,
    AtMost,
}

impl Relation {
    fn words(self) -> &'static str {
        match self {
            Relation::Exactly => "",
            Relation::AtLeast => "at least ",
            Relation::AtMost => "at most ",
        }
    }
}

/// A claim, checked: its figure, the bounds the cohort allows, and the verdict.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Checked {
    pub id: String,
    pub text: String,
    pub section: String,
    pub quote: String,
    pub expected: usize,
    #[serde(skip_serializing_if = "is_exactly")]
    pub relation: Relation,
    /// The fewest cases (or case-rule pairs) that certainly answer as claimed.
    pub lower: usize,
    /// The most that could, if every unknown went the claim's way.
    pub upper: usize,
    pub consistent: bool,
    /// Why, in a sentence.
    pub why: String,
}

fn is_exactly(r: &Relation) -> bool {
    *r == Relation::Exactly
}

/// A checked set of claims.
#[derive(Debug, Clone, PartialEq)]
pub struct ClaimSet {
    pub claims: Vec<Claim>,
}

impl ClaimSet {
    /// The study's claims, embedded in the binary.
    pub fn study() -> ClaimSet {
        ClaimSet::parse(STUDY, "<embedded>/claims/study.json")
            .expect("the embedded claims are valid (a test checks them)")
    }

    pub fn from_file(path: &Path) -> Result<ClaimSet, Error> {
        let text = std::fs::read_to_string(path).map_err(|source| Error::Io {
            path: path.to_path_buf(),
            source,
        })?;
        ClaimSet::parse(&text, &path.display().to_string())
    }

    /// Parses and validates a claims file; errors name the file, line, column and path.
    pub fn parse(text: &str, origin: &str) -> Result<ClaimSet, Error> {
        let mut de = serde_json::Deserializer::from_str(text);
        let file: ClaimFile = serde_path_to_error::deserialize(&mut de).map_err(|e| {
            let inner = e.inner();
            Error::Usage(format!(
                "{origin}:{}:{} at `{}`: {}",
                inner.line(),
                inner.column(),
                e.path(),
                strip_position(&inner.to_string())
            ))
        })?;
        let bad = |id: &str, why: &str| Error::Usage(format!("{origin}: claim `{id}`: {why}"));
        let mut ids = BTreeSet::new();
        for c in &file.claims {
            if !ids.insert(c.id.as_str()) {
                return Err(bad(&c.id, "the id is used twice"));
            }
            if c.rules.is_empty() == c.fact.is_none() {
                return Err(bad(&c.id, "give either `rules` or `fact`"));
            }
            if c.verdict == Verdict::Error {
                return Err(bad(&c.id, "`verdict` must be yes, no or unknown"));
            }
            if let Some(f) = &c.fact {
                if !(f.path.is_empty() || f.path.starts_with('/')) {
                    return Err(bad(
                        &c.id,
                        "`fact.path` must be a JSON pointer (`/defection/country`)",
                    ));
                }
            }
            if c.cases.is_empty() {
                if c.rules.len() > 1 {
                    return Err(bad(&c.id, "a count claim is about one rule"));
                }
                if c.expected.is_none() {
                    return Err(bad(&c.id, "a count claim needs `expected`"));
                }
            } else {
                if c.relation != Relation::Exactly {
                    return Err(bad(&c.id, "`relation` applies to count claims only"));
                }
                if c.verdict == Verdict::Unknown {
                    return Err(bad(&c.id, "a claim about named cases says yes or no"));
                }
                let pairs = c.cases.len() * (c.rules.len() + usize::from(c.fact.is_some()));
                if c.expected.is_some_and(|e| e != pairs) {
                    return Err(bad(
                        &c.id,
                        &format!("`expected` must be the number of case-rule pairs ({pairs}), or left out"),
                    ));
                }
            }
        }
        Ok(ClaimSet {
            claims: file.claims,
        })
    }

    /// The profile pointers that fact claims read (for [`Cohort::build`]).
    pub fn pointers(&self) -> Vec<String> {
        let set: BTreeSet<String> = self
            .claims
            .iter()
            .filter_map(|c| c.fact.as_ref().map(|f| f.path.clone()))
            .collect();
        set.into_iter().collect()
    }

    /// Checks every claim against `cohort`, in file order.
    pub fn check(&self, cohort: &Cohort) -> Vec<Checked> {
        self.claims.iter().map(|c| check(c, cohort)).collect()
    }
}

/// serde_json appends " at line L column C"; the message already leads with them.
fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(i) => message[..i].to_string(),
        None => message.to_string(),
    }
}

/// A claim's subject: one rule or one fact.
enum Measure<'a> {
    Rule(&'a str),
    Fact(&'a FactTest),
}

impl Measure<'_> {
    fn name(&self) -> String {
        match self {
            Measure::Rule(r) => (*r).to_string(),
            Measure::Fact(f) => f.describe(),
        }
    }

    fn answer(&self, row: &Row) -> Verdict {
        match self {
            // A rule missing from the set cannot answer: unknown, and said so.
            Measure::Rule(r) => row.verdict(r).unwrap_or(Verdict::Unknown),
            Measure::Fact(f) => f.answer(row.facts.get(&f.path).unwrap_or(&Value::Null)),
        }
    }
}

fn measures(c: &Claim) -> Vec<Measure<'_>> {
    let mut out: Vec<Measure> = c.rules.iter().map(|r| Measure::Rule(r)).collect();
    if let Some(f) = &c.fact {
        out.push(Measure::Fact(f));
    }
    out
}

fn check(c: &Claim, cohort: &Cohort) -> Checked {
    let missing: Vec<&str> = c
        .rules
        .iter()
        .filter(|r| !cohort.has_rule(r))
        .map(String::as_str)
        .collect();
    let (expected, lower, upper, consistent, mut why) = if c.cases.is_empty() {
        check_count(c, cohort)
    } else {
        check_cases(c, cohort)
    };
    if !missing.is_empty() {
        let _ = write!(
            why,
            " (no rule `{}` in this rule set: it counts as unknown)",
            missing.join("`, `")
        );
    }
    Checked {
        id: c.id.clone(),
        text: c.text.clone(),
        section: c.section.to_string(),
        quote: c.quote.clone(),
        expected,
        relation: c.relation,
        lower,
        upper,
        consistent,
        why,
    }
}

type Outcome = (usize, usize, usize, bool, String);

fn check_count(c: &Claim, cohort: &Cohort) -> Outcome {
    let m = &measures(c)[0];
    let mut counts = Counts::default();
    for row in &cohort.rows {
        counts.add(m.answer(row));
    }
    let expected = c.expected.unwrap_or(0);
    let open = counts.unknown + counts.error;
    let (lower, upper) = match c.verdict {
        // The study's "no information" can only be among the cases we cannot answer.
        Verdict::Unknown => (0, open),
        v => (counts.of(v), counts.of(v) + open),
    };
    let consistent = match c.relation {
        Relation::Exactly => lower <= expected && expected <= upper,
        Relation::AtLeast => upper >= expected,
        Relation::AtMost => lower <= expected,
    };
    let name = m.name();
    let v = c.verdict;
    let mut tally = format!(
        "{name}: {} yes, {} no, {} unknown",
        counts.yes, counts.no, counts.unknown
    );
    if counts.error > 0 {
        let _ = write!(tally, ", {} failed (counted as unknown)", counts.error);
    }
    let claimed = format!("{}{expected}", c.relation.words());
    let why = if v == Verdict::Unknown {
        if consistent {
            format!("{tally}; cases without information can only be among the {open} unknown, so {claimed} is possible")
        } else {
            format!("{tally}; only {open} cases are unknown, fewer than {claimed}")
        }
    } else if consistent {
        if lower == upper {
            format!("{tally}; exactly {lower} answer {v}, as claimed ({claimed})")
        } else {
            format!(
                "{tally}; the true count lies between {lower} and {upper} (every unknown could go either way), and {claimed} is within reach"
            )
        }
    } else if upper < expected {
        format!("{tally}; at most {upper} could answer {v} ({lower} {v} + {open} unknown), fewer than {claimed}")
    } else {
        format!("{tally}; already {lower} answer {v}, more than {claimed}")
    };
    (expected, lower, upper, consistent, why)
}

fn check_cases(c: &Claim, cohort: &Cohort) -> Outcome {
    let ms = measures(c);
    let v = c.verdict;
    let (mut lower, mut open) = (0, 0);
    let mut against = Vec::new();
    let mut unsure = Vec::new();
    for case in &c.cases {
        let Some(row) = cohort.row(case) else {
            open += ms.len();
            unsure.push(format!("{case} is not in the cohort"));
            continue;
        };
        for m in &ms {
            match m.answer(row) {
                a if a == v => lower += 1,
                a @ (Verdict::Unknown | Verdict::Error) => {
                    open += 1;
                    unsure.push(format!("{case}: {} is {a}", m.name()));
                }
                a => against.push(format!("{case}: {} is {a}", m.name())),
            }
        }
    }
    let expected = c.cases.len() * ms.len();
    let upper = lower + open;
    let consistent = against.is_empty();
    let why = if !against.is_empty() {
        format!("contradicted: {}", against.join("; "))
    } else if unsure.is_empty() {
        format!(
            "{v}, as claimed, for {} on {}",
            ms.iter()
                .map(Measure::name)
                .collect::<Vec<_>>()
                .join(" and "),
            c.cases.join(", ")
        )
    } else {
        format!("not contradicted, but not all known: {}", unsure.join("; "))
    };
    (expected, lower, upper, consistent, why)
}
