//! The building blocks of a profile: cited facts, lists of them, partial dates, and the
//! difference between "the source is silent" and "the source says there was none".

use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;

use schemars::{json_schema, JsonSchema, Schema, SchemaGenerator};
use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Serialize};

use crate::citation::{Certainty, Citation};

/// A single cited value: `{"value": ..., "source": {...}, "certainty": "claimed"}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Fact<T> {
    pub value: T,
    pub source: Citation,
    #[serde(default, skip_serializing_if = "Certainty::is_stated")]
    pub certainty: Certainty,
}

/// What the source says about a kind of thing (recalls, relatives, contacts...).
///
/// In JSON it is either a non-empty array of cited items, or `{"none": citation}` when
/// the source states there were none. Silence is the field left out (or `null`), which
/// is *unknown*. An empty array is rejected: it would claim "none" without a source.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Facts<T> {
    Items(Vec<T>),
    None(NoneStated),
}

impl<T> Facts<T> {
    pub fn items(&self) -> &[T] {
        match self {
            Facts::Items(v) => v,
            Facts::None(_) => &[],
        }
    }
}

/// The source's statement that there was none of a thing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NoneStated {
    pub none: Citation,
    #[serde(default, skip_serializing_if = "Certainty::is_stated")]
    pub certainty: Certainty,
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Facts<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        // Dispatch on the JSON type by hand rather than `#[serde(untagged)]`, so that an
        // error inside an item keeps its own message and path instead of collapsing
        // into "data did not match any variant".
        struct FactsVisitor<T>(PhantomData<T>);

        impl<'de, T: Deserialize<'de>> Visitor<'de> for FactsVisitor<T> {
            type Value = Facts<T>;

            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a non-empty array of cited items, or {\"none\": citation}")
            }

            fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
                let items: Vec<T> =
                    Deserialize::deserialize(de::value::SeqAccessDeserializer::new(seq))?;
                if items.is_empty() {
                    return Err(de::Error::custom(
                        "an empty list states nothing: leave the field out (or null) when the \
                         source is silent, or write {\"none\": {\"ref\": ..., \"quote\": ...}} \
                         citing where it says there was none",
                    ));
                }
                Ok(Facts::Items(items))
            }

            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
                let none: NoneStated =
                    Deserialize::deserialize(de::value::MapAccessDeserializer::new(map))?;
                Ok(Facts::None(none))
            }
        }

        d.deserialize_any(FactsVisitor(PhantomData))
    }
}

impl<T: JsonSchema> JsonSchema for Facts<T> {
    fn schema_name() -> Cow<'static, str> {
        format!("Facts_of_{}", T::schema_name()).into()
    }

    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        let item = generator.subschema_for::<T>();
        let none = generator.subschema_for::<NoneStated>();
        json_schema!({
            "description": "A non-empty array of cited items, or {\"none\": citation} when the source says there were none. Leave the field out when the source is silent.",
            "anyOf": [
                { "type": "array", "minItems": 1, "items": item },
                none
            ]
        })
    }
}

/// A date as precise as the source gives it: `1945`, `1945-09` or `1945-09-05`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Deserialize)]
#[serde(try_from = "String")]
pub struct PartialDate(String);

/// Written as its text, borrowed: `into = "String"` would copy it each time.
impl Serialize for PartialDate {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl PartialDate {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for PartialDate {
    type Error = String;

    fn try_from(s: String) -> Result<Self, String> {
        // By length and bytes, without splitting: every date of every profile comes
        // through here. Digits are ASCII, so a byte offset is a character's.
        let b = s.as_bytes();
        let digits = |r: &[u8]| r.iter().all(u8::is_ascii_digit);
        let two = |r: &[u8], lo: u8, hi: u8| {
            digits(r) && (lo..=hi).contains(&((r[0] - b'0') * 10 + (r[1] - b'0')))
        };
        let year = |b: &[u8]| digits(&b[..4]);
        let month = |b: &[u8]| b[4] == b'-' && two(&b[5..7], 1, 12);
        let ok = match b.len() {
            4 => year(b),
            7 => year(b) && month(b),
            10 => year(b) && month(b) && b[7] == b'-' && two(&b[8..10], 1, 31),
            _ => false,
        };
        if ok {
            Ok(PartialDate(s))
        } else {
            Err(format!(
                "invalid date `{s}`: expected YYYY, YYYY-MM or YYYY-MM-DD"
            ))
        }
    }
}

impl From<PartialDate> for String {
    fn from(d: PartialDate) -> String {
        d.0
    }
}

impl fmt::Display for PartialDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl JsonSchema for PartialDate {
    fn schema_name() -> Cow<'static, str> {
        "PartialDate".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "string",
            "description": "A date as precise as the source: YYYY, YYYY-MM or YYYY-MM-DD.",
            "pattern": "^[0-9]{4}(-(0[1-9]|1[0-2])(-(0[1-9]|[12][0-9]|3[01]))?)?$"
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Deserialize)]
    struct Item {
        #[allow(dead_code)]
        x: u32,
    }

    #[test]
    fn dates_take_three_precisions() {
        for ok in ["1945", "1945-09", "1945-09-05", "1945-12-31", "1945-01-01"] {
            let date = PartialDate::try_from(ok.to_string()).unwrap();
            assert_eq!(serde_json::to_value(&date).unwrap(), ok);
        }
        for bad in [
            "45",
            "1945-9",
            "1945-13",
            "1945-09-32",
            "Sept 1945",
            "1945-09-05-01",
            "",
            "-",
            "1945-",
            "1945-09-",
            "1945--05",
            "1945-09-05-",
            "1945-00",
            "1945-09-00",
            "1945x09",
            "1945-09x05",
            "19a5",
            "1945-1a",
            "1945-1-05",
            "19\u{e9}5",
            "\u{ff11}\u{ff19}\u{ff14}\u{ff15}",
        ] {
            assert!(PartialDate::try_from(bad.to_string()).is_err(), "{bad}");
        }
    }

    #[test]
    fn facts_reject_an_empty_list() {
        let err = serde_json::from_str::<Facts<Item>>("[]").unwrap_err();
        assert!(
            err.to_string().contains("an empty list states nothing"),
            "{err}"
        );
    }

    #[test]
    fn facts_take_items_or_a_cited_none() {
        let items: Facts<Item> = serde_json::from_str(r#"[{"x": 1}]"#).unwrap();
        assert_eq!(items.items().len(), 1);
        let none: Facts<Item> = serde_json::from_str(
            r#"{"none": {"ref": "section II", "quote": "nor was he under recall"}}"#,
        )
        .unwrap();
        assert!(matches!(none, Facts::None(_)));
    }

    #[test]
    fn facts_keep_the_inner_error() {
        let err = serde_json::from_str::<Facts<Item>>(r#"[{"y": 1}]"#).unwrap_err();
        assert!(err.to_string().contains("missing field `x`"), "{err}");
    }
}
