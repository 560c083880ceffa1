//! The four answers a rule can give, and Kleene's three-valued logic over the first three.

use std::fmt;
use std::str::FromStr;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// A rule's answer on one profile. `Error` is not a truth value: it says the rule
/// itself failed, and is never folded into logic as if it were one.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    Yes,
    No,
    Unknown,
    Error,
}

impl Verdict {
    pub const ALL: [Verdict; 4] = [Verdict::Yes, Verdict::No, Verdict::Unknown, Verdict::Error];

    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Yes => "yes",
            Verdict::No => "no",
            Verdict::Unknown => "unknown",
            Verdict::Error => "error",
        }
    }

    /// Kleene conjunction: no wins, then unknown; yes only if all are yes.
    pub fn and(self, other: Verdict) -> Verdict {
        use Verdict::*;
        match (self, other) {
            (Error, _) | (_, Error) => Error,
            (No, _) | (_, No) => No,
            (Unknown, _) | (_, Unknown) => Unknown,
            (Yes, Yes) => Yes,
        }
    }

    /// Kleene disjunction: yes wins, then unknown; no only if all are no.
    pub fn or(self, other: Verdict) -> Verdict {
        use Verdict::*;
        match (self, other) {
            (Error, _) | (_, Error) => Error,
            (Yes, _) | (_, Yes) => Yes,
            (Unknown, _) | (_, Unknown) => Unknown,
            (No, No) => No,
        }
    }
}

/// Kleene negation: unknown stays unknown.
impl std::ops::Not for Verdict {
    type Output = Verdict;

    fn not(self) -> Verdict {
        match self {
            Verdict::Yes => Verdict::No,
            Verdict::No => Verdict::Yes,
            v => v,
        }
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Verdict {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "yes" => Ok(Verdict::Yes),
            "no" => Ok(Verdict::No),
            "unknown" => Ok(Verdict::Unknown),
            "error" => Ok(Verdict::Error),
            _ => Err(format!(
                "`{s}` is not a verdict: expected `yes`, `no` or `unknown`"
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Verdict::{self, *};

    const TRUTH: [Verdict; 3] = [Yes, No, Unknown];

    #[test]
    fn kleene_tables() {
        assert_eq!(Yes.and(Unknown), Unknown);
        assert_eq!(No.and(Unknown), No);
        assert_eq!(Yes.or(Unknown), Yes);
        assert_eq!(No.or(Unknown), Unknown);
        assert_eq!(!Unknown, Unknown);
        for a in TRUTH {
            for b in TRUTH {
                // De Morgan holds in Kleene logic.
                assert_eq!(!a.and(b), (!a).or(!b), "{a} {b}");
                assert_eq!(a.and(b), b.and(a));
            }
        }
    }

    #[test]
    fn error_is_never_a_truth_value() {
        for a in TRUTH {
            assert_eq!(a.and(Error), Error);
            assert_eq!(Error.or(a), Error);
        }
    }
}
