//! Where a fact comes from: a reference into the study and a verbatim quote, plus how
//! sure the study is of it.

use std::borrow::Cow;
use std::fmt;

use schemars::{json_schema, JsonSchema, Schema, SchemaGenerator};
use serde::{Deserialize, Serialize};

/// A pointer into the source text: which part of the study, and its own words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Citation {
    /// Which part of the study: `preface`, `summary`, `section I` … `section VI`, or
    /// `appendix: Surname` for a biographical sketch.
    #[serde(rename = "ref")]
    pub reference: SourceRef,
    /// A short verbatim quote from that part (whitespace may be folded).
    pub quote: String,
}

/// A [`Citation`] borrowed, from one or from a profile's JSON; only ever a valid one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CitationRef<'a> {
    reference: &'a str,
    quote: &'a str,
}

impl<'a> CitationRef<'a> {
    /// The citation `v` holds, if it is one: an object of exactly `ref` (a known part of
    /// the study) and `quote`, as the profile parser requires. Read without serde's
    /// machinery, since evidence takes a citation for every fact it shows.
    pub fn from_json(v: &'a serde_json::Value) -> Option<CitationRef<'a>> {
        // Its two keys in the map's (sorted) order, rather than a search for each.
        let mut entries = v.as_object()?.iter();
        let (Some((q, quote)), Some((r, reference)), None) =
            (entries.next(), entries.next(), entries.next())
        else {
            return None;
        };
        if q != "quote" || r != "ref" {
            return None;
        }
        let reference = reference.as_str().filter(|r| SourceRef::is_valid(r))?;
        let quote = quote.as_str()?;
        Some(CitationRef { reference, quote })
    }

    pub fn reference(&self) -> &'a str {
        self.reference
    }

    pub fn quote(&self) -> &'a str {
        self.quote
    }

    pub fn to_owned(self) -> Citation {
        Citation {
            reference: SourceRef(self.reference.to_string()),
            quote: self.quote.to_string(),
        }
    }
}

impl<'a> From<&'a Citation> for CitationRef<'a> {
    fn from(c: &'a Citation) -> CitationRef<'a> {
        let Citation { reference, quote } = c;
        CitationRef {
            reference: reference.as_str(),
            quote,
        }
    }
}

/// How the study holds a fact. `stated` is the default and is left out of output.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Certainty {
    /// The study states it as fact.
    #[default]
    Stated,
    /// The defector's own account, which the study reports without vouching for it.
    Claimed,
    /// The study's own guess ("it is presumed").
    Presumed,
    /// Reported by others ("it was reported", "from other sources").
    Reported,
}

impl Certainty {
    /// The certainty named `name` in JSON (`"claimed"`).
    pub fn from_name(name: &str) -> Option<Certainty> {
        Some(match name {
            "stated" => Certainty::Stated,
            "claimed" => Certainty::Claimed,
            "presumed" => Certainty::Presumed,
            "reported" => Certainty::Reported,
            _ => return None,
        })
    }

    pub fn is_stated(&self) -> bool {
        *self == Certainty::Stated
    }

    pub fn as_str(&self) -> &'static str {
        match self {
            Certainty::Stated => "stated",
            Certainty::Claimed => "claimed",
            Certainty::Presumed => "presumed",
            Certainty::Reported => "reported",
        }
    }
}

/// A validated reference to a part of the study.
///
/// Kept as a closed vocabulary so that a typo (`apendix: Petrov`) is an error rather
/// than a citation nobody can follow.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Deserialize)]
#[serde(try_from = "String")]
pub struct SourceRef(String);

/// Written as the string it is, without the copy `#[serde(into = "String")]` makes: every
/// piece of evidence in every report carries one.
impl Serialize for SourceRef {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

const SECTIONS: [&str; 6] = ["I", "II", "III", "IV", "V", "VI"];
const PARTS: [&str; 3] = ["preface", "summary", "conclusions"];

impl SourceRef {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl SourceRef {
    /// Whether `s` names a part of the study.
    pub fn is_valid(s: &str) -> bool {
        PARTS.contains(&s)
            || s.strip_prefix("section ")
                .is_some_and(|n| SECTIONS.contains(&n))
            // Bytes, not chars: every citation of every profile is checked, and a byte of
            // a multi-byte character is never an ASCII letter.
            || s.strip_prefix("appendix: ").is_some_and(|name| {
                matches!(name.as_bytes(), [first, rest @ ..]
                    if first.is_ascii_uppercase() && rest.iter().all(u8::is_ascii_lowercase))
            })
    }
}

impl TryFrom<String> for SourceRef {
    type Error = String;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        if SourceRef::is_valid(&s) {
            Ok(SourceRef(s))
        } else {
            Err(format!(
                "invalid source reference `{s}`: expected `preface`, `summary`, `conclusions`, \
                 `section I` … `section VI`, or `appendix: Surname`"
            ))
        }
    }
}

impl From<SourceRef> for String {
    fn from(r: SourceRef) -> String {
        r.0
    }
}

impl fmt::Display for SourceRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl JsonSchema for SourceRef {
    fn schema_name() -> Cow<'static, str> {
        "SourceRef".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "string",
            "description": "A part of the study: preface, summary, conclusions, section I-VI, or `appendix: Surname`.",
            "pattern": "^(preface|summary|conclusions|section (I|II|III|IV|V|VI)|appendix: [A-Z][a-z]+)$"
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_the_study_parts() {
        for ok in [
            "preface",
            "section II",
            "section VI",
            "appendix: Petrov",
            "appendix: P",
        ] {
            assert!(SourceRef::try_from(ok.to_string()).is_ok(), "{ok}");
        }
    }

    #[test]
    fn a_citation_read_from_json_is_what_deserialising_gives() {
        use serde_json::json;
        for v in [
            json!({"ref": "section II", "quote": "q"}),
            json!({"ref": "appendix: Petrov", "quote": ""}),
            json!({"ref": "section VII", "quote": "q"}),
            json!({"ref": "section II", "quote": "q", "page": 3}),
            json!({"ref": "section II"}),
            json!({"ref": "section II", "quote": 1}),
            json!({"ref": 2, "quote": "q"}),
            json!({"ref": "section II", "note": "q"}),
            json!("section II"),
            json!(null),
        ] {
            assert_eq!(
                CitationRef::from_json(&v).map(CitationRef::to_owned),
                Citation::deserialize(&v).ok(),
                "{v}"
            );
        }
        // serde's derive would also take an array, field by field; a profile's
        // citations are objects (the parser is strict about it), and so is this.
        assert_eq!(CitationRef::from_json(&json!(["section II", "q"])), None);
        for c in [
            Certainty::Stated,
            Certainty::Claimed,
            Certainty::Presumed,
            Certainty::Reported,
        ] {
            assert_eq!(Certainty::from_name(c.as_str()), Some(c));
        }
        assert_eq!(Certainty::from_name("Claimed"), None);
    }

    #[test]
    fn rejects_typos() {
        for bad in [
            "apendix: Petrov",
            "section VII",
            "appendix: petrov",
            "Section II",
            "",
            "appendix: ",
            "appendix: PEtrov",
            "appendix: P\u{e9}trov",
            "appendix: \u{c9}va",
            "appendix:Petrov",
            "appendix: Petrov ",
        ] {
            assert!(SourceRef::try_from(bad.to_string()).is_err(), "{bad}");
        }
    }
}
