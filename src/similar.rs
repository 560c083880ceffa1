//! The historical cases nearest a profile, by indicator pattern.
//!
//! Two profiles are compared on the indicators both could assess (each answered yes or
//! no). The similarity is the weight of the indicators on which they agree, divided by
//! the weight of all the comparable ones: 1.0 when every comparable indicator agrees, 0
//! when none does or none is comparable. An unknown (or failed) answer on either side
//! takes that indicator out of the comparison, so silence neither helps nor hurts.

use std::cmp::Ordering;

use serde::Serialize;

use crate::finding::Scored;
use crate::verdict::Verdict;

/// One indicator on which both answered the same.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Agreement {
    pub rule: String,
    pub verdict: Verdict,
}

/// One indicator on which they answered differently.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Difference {
    pub rule: String,
    /// The profile's answer.
    pub profile: Verdict,
    /// The historical case's answer.
    pub case: Verdict,
}

/// One historical case, compared with the profile.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Match {
    pub id: String,
    pub name: String,
    pub source: String,
    /// From 0 to 1, rounded to four decimal places.
    pub similarity: f64,
    /// How many indicators both sides could assess.
    pub comparable: usize,
    pub agree: Vec<Agreement>,
    pub differ: Vec<Difference>,
    /// How many indicators only one side could assess: the tie-breaker between equally
    /// similar cases (an exact copy of a pattern has none).
    pub one_sided: usize,
}

fn assessed(v: Verdict) -> bool {
    matches!(v, Verdict::Yes | Verdict::No)
}

/// Compares `profile` with one case, rule by rule (matched by rule id).
pub fn compare(profile: &Scored, case: &Scored) -> Match {
    let mut agree = Vec::new();
    let mut differ = Vec::new();
    let (mut agreed, mut total) = (0u64, 0u64);
    let mut one_sided = 0;
    for f in &profile.findings {
        let Some(g) = case.findings.iter().find(|g| g.rule == f.rule) else {
            continue;
        };
        if assessed(f.verdict) != assessed(g.verdict) {
            one_sided += 1;
        }
        if !assessed(f.verdict) || !assessed(g.verdict) {
            continue;
        }
        total += u64::from(f.weight);
        if f.verdict == g.verdict {
            agreed += u64::from(f.weight);
            agree.push(Agreement {
                rule: f.rule.clone(),
                verdict: f.verdict,
            });
        } else {
            differ.push(Difference {
                rule: f.rule.clone(),
                profile: f.verdict,
                case: g.verdict,
            });
        }
    }
    let similarity = if total == 0 {
        0.0
    } else {
        (agreed as f64 / total as f64 * 10_000.0).round() / 10_000.0
    };
    Match {
        id: case.id.clone(),
        name: case.name.clone(),
        source: case.source.clone(),
        similarity,
        comparable: agree.len() + differ.len(),
        agree,
        differ,
        one_sided,
    }
}

/// Every case ranked against `profile`: most similar first. Among equals: fewer
/// differences (a weight-0 indicator can differ without lowering the similarity), then
/// more indicators compared, then fewer known on one side only, then by id.
pub fn rank(profile: &Scored, cases: &[Scored]) -> Vec<Match> {
    let mut out: Vec<Match> = cases.iter().map(|c| compare(profile, c)).collect();
    out.sort_by(|a, b| {
        b.similarity
            .partial_cmp(&a.similarity)
            .unwrap_or(Ordering::Equal)
            .then(a.differ.len().cmp(&b.differ.len()))
            .then(b.comparable.cmp(&a.comparable))
            .then(a.one_sided.cmp(&b.one_sided))
            .then_with(|| a.id.cmp(&b.id))
            .then_with(|| a.source.cmp(&b.source))
    });
    out
}
