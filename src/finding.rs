//! What scoring produces: findings with their evidence, a score, and one report per
//! profile. These are the types every renderer takes.

use serde::{Deserialize, Serialize};

use crate::citation::{Certainty, Citation};
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
            s.max += f.weight;
            match f.verdict {
                Verdict::Yes => {
                    s.value += f.weight;
                    s.assessed += 1;
                }
                Verdict::No => s.assessed += 1,
                Verdict::Unknown => {
                    s.unknown += 1;
                    s.upper += f.weight;
                }
                Verdict::Error => s.errors += 1,
            }
        }
        s.upper += s.value;
        s
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
