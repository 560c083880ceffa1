//! What scoring produces: findings with their evidence, a score, and one report per
//! profile. These are the types every renderer takes.

use serde::{Deserialize, Serialize};

use crate::citation::{Certainty, Citation, CitationRef};
use crate::error::ProfileError;
use crate::verdict::Verdict;

/// One fact a verdict rests on: where in the profile, what it said, and its citation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Evidence {
    /// JSON pointer into the profile (`/recalls/1/status`).
    pub path: String,
    /// The value found there; `null` when the profile is silent (unknown). Objects are
    /// shown without their `source` and `certainty`, which have fields of their own.
    pub value: serde_json::Value,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<Citation>,
    #[serde(default, skip_serializing_if = "Certainty::is_stated")]
    pub certainty: Certainty,
    /// For a composite rule: the component rule this came through.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub via: Option<String>,
}

impl Evidence {
    /// Where it comes from, for text output: `(appendix: Petrov) [claimed] via
    /// `under_recall``, each part only when there is one; empty when none is.
    pub fn provenance(&self) -> String {
        let mut parts = Vec::new();
        if let Some(c) = &self.source {
            parts.push(format!("({})", c.reference));
        }
        if !self.certainty.is_stated() {
            parts.push(format!("[{}]", self.certainty.as_str()));
        }
        if let Some(v) = &self.via {
            parts.push(format!("via `{v}`"));
        }
        parts.join(" ")
    }
}

/// [`Evidence`] borrowed: from an owned one, or straight from a profile and the memory
/// of a rule's answers, so that a batch can write evidence without copying it out first.
/// [`EvidenceRef::to_owned`] gives the [`Evidence`] it shows.
#[derive(Debug, Clone, Copy)]
pub struct EvidenceRef<'a> {
    pub path: &'a str,
    pub value: Shown<'a>,
    pub source: Option<CitationRef<'a>>,
    pub certainty: Certainty,
    pub via: Option<&'a str>,
}

/// The value a piece of evidence shows.
#[derive(Debug, Clone, Copy)]
pub enum Shown<'a> {
    /// This value, as it is.
    Value(&'a serde_json::Value),
    /// A fact: this object without its `source` and `certainty`.
    Fact(&'a serde_json::Map<String, serde_json::Value>),
}

impl Shown<'_> {
    /// Keys a fact is shown without: they are evidence fields of their own.
    pub const HIDDEN: [&'static str; 2] = ["source", "certainty"];

    /// The entries of a [`Shown::Fact`] that are shown.
    pub fn shown(
        m: &serde_json::Map<String, serde_json::Value>,
    ) -> impl Iterator<Item = (&String, &serde_json::Value)> {
        m.iter()
            .filter(|(k, _)| !Shown::HIDDEN.contains(&k.as_str()))
    }

    pub fn to_owned(self) -> serde_json::Value {
        match self {
            Shown::Value(v) => v.clone(),
            Shown::Fact(m) => serde_json::Value::Object(
                Shown::shown(m)
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect(),
            ),
        }
    }
}

impl EvidenceRef<'_> {
    pub fn to_owned(&self) -> Evidence {
        Evidence {
            path: self.path.to_string(),
            value: self.value.to_owned(),
            source: self.source.map(CitationRef::to_owned),
            certainty: self.certainty,
            via: self.via.map(str::to_string),
        }
    }
}

impl<'a> From<&'a Evidence> for EvidenceRef<'a> {
    fn from(e: &'a Evidence) -> EvidenceRef<'a> {
        let Evidence {
            path,
            value,
            source,
            certainty,
            via,
        } = e;
        EvidenceRef {
            path,
            value: Shown::Value(value),
            source: source.as_ref().map(CitationRef::from),
            certainty: *certainty,
            via: via.as_deref(),
        }
    }
}

/// One rule's answer on one profile.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    pub rule: String,
    pub title: String,
    pub verdict: Verdict,
    pub weight: u32,
    pub reason: String,
    pub evidence: Vec<Evidence>,
    /// What the rule printed with `print` or `debug`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub output: Vec<String>,
}

/// The weighted total of a profile's findings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Score {
    /// Sum of the weights of the rules that answered yes.
    pub value: u32,
    /// Sum of the weights of all rules.
    pub max: u32,
    /// How many rules answered yes or no.
    pub assessed: usize,
    /// How many rules answered unknown.
    pub unknown: usize,
    /// How many rules failed.
    pub errors: usize,
    /// What `value` would be if every unknown were yes.
    pub upper: u32,
}

impl Score {
    pub fn of(findings: &[Finding]) -> Score {
        let mut s = Score::default();
        for f in findings {
            s.add(f.weight, f.verdict);
        }
        s
    }

    /// Counts one more finding.
    pub fn add(&mut self, weight: u32, verdict: Verdict) {
        self.max += weight;
        match verdict {
            Verdict::Yes => {
                self.value += weight;
                self.upper += weight;
                self.assessed += 1;
            }
            Verdict::No => self.assessed += 1,
            Verdict::Unknown => {
                self.unknown += 1;
                self.upper += weight;
            }
            Verdict::Error => self.errors += 1,
        }
    }
}

/// The result for one input profile: scored, or the reason it could not be.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Report {
    Scored(Scored),
    Failed(Failed),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Scored {
    pub id: String,
    pub name: String,
    pub source: String,
    pub findings: Vec<Finding>,
    pub score: Score,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Failed {
    pub source: String,
    pub error: ProfileError,
}

impl Report {
    pub fn source(&self) -> &str {
        match self {
            Report::Scored(s) => &s.source,
            Report::Failed(f) => &f.source,
        }
    }
}
