//! The case profile: typed, strict, and cited.
//!
//! Every field but `id` and `name` may be left out, and a field left out is *unknown*.
//! A list field is either cited items or a cited `{"none": ...}` (see [`Facts`]).
//! Unknown keys are errors, so a typo can never silently turn a fact into "unknown";
//! free-form data for custom rules goes under `extra`.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::citation::{Certainty, Citation};
use crate::facts::{Fact, Facts, PartialDate};

/// One case: a person and what the source says about the circumstances of the defection.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "casematch case profile")]
pub struct Profile {
    /// Stable identifier: for the historical cases, the lower-case surname.
    pub id: String,
    /// The person's name as the source gives it.
    pub name: String,
    /// Birth date and place.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub born: Option<Born>,
    /// The defection itself: when, where, from which post.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub defection: Option<Defection>,
    /// Whether an opposing intelligence service persuaded and aided the defection
    /// (the preface's "induced defector").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub induced: Option<Fact<bool>>,
    /// Whether the defection was planned beforehand.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub premeditated: Option<Fact<bool>>,
    /// Orders to return to the USSR during the posting from which he defected.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recalls: Option<Facts<Recall>>,
    /// Suspicion, and trouble with superiors or the Party, in the run-up to defection.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub troubles: Option<Facts<Trouble>>,
    /// Marital status at the time of defection.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub marital_status: Option<Fact<MaritalStatus>>,
    /// Relatives and fiancées, each with where they were at the time of defection.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub family: Option<Facts<Relative>>,
    /// People outside the Soviet establishment approached before the defection.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contacts: Option<Facts<Contact>>,
    /// Communist Party and Komsomol membership.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memberships: Option<Facts<Membership>>,
    /// Reasons given or evident for the defection.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub motives: Option<Facts<Motive>>,
    /// Fears, for himself or for others, before or after the defection.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fears: Option<Facts<Fear>>,
    /// Personality traits the source remarks on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub traits: Option<Facts<Trait>>,
    /// Facts hidden from the Soviet authorities that would bring punishment if known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub concealments: Option<Facts<Concealment>>,
    /// Earlier career events: postings, earlier recalls and investigations.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub history: Option<Facts<Event>>,
    /// What happened after the defection.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aftermath: Option<Facts<Event>>,
    /// Free-form data for custom rules; not checked, except that no object in it may
    /// repeat a key (JSON parsers disagree on which of two values wins).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "free::unique_keys"
    )]
    pub extra: Option<serde_json::Map<String, serde_json::Value>>,
}

/// Birth date and place.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Born {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date: Option<PartialDate>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub place: Option<String>,
    pub source: Citation,
    #[serde(default, skip_serializing_if = "Certainty::is_stated")]
    pub certainty: Certainty,
}

/// The defection: date, place and the post held.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Defection {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date: Option<PartialDate>,
    /// City, as the source names it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub place: Option<String>,
    /// Country, in present-day English (`France`, `United States`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
    /// The Soviet establishment: `Soviet Embassy`, `trade commission`...
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub establishment: Option<String>,
    /// The post held at the time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub post: Option<String>,
    /// The service he belonged to, where the source names it: `OGPU`, `MVD`,
    /// `military intelligence`, `Foreign Office`...
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agency: Option<String>,
    /// To whom he turned: `French police`, `American Embassy`...
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub protection: Option<String>,
    pub source: Citation,
    #[serde(default, skip_serializing_if = "Certainty::is_stated")]
    pub certainty: Certainty,
}

/// An order to return to the USSR.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Recall {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date: Option<PartialDate>,
    pub status: RecallStatus,
    /// How the order came.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub form: Option<RecallForm>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    pub source: Citation,
    #[serde(default, skip_serializing_if = "Certainty::is_stated")]
    pub certainty: Certainty,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum RecallStatus {
    /// Still standing when he defected.
    InForce,
    /// Withdrawn or postponed indefinitely before the defection.
    Cancelled,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum RecallForm {
    /// A plain order to return.
    Order,
    /// An invitation amounting to an order (to board a Soviet ship, attend a meeting).
    Invitation,
    /// Return under escort or in custody.
    Escort,
    /// Word that he was to be replaced and sent home.
    Replacement,
}

/// Suspicion or trouble in the run-up to defection.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Trouble {
    pub kind: TroubleKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date: Option<PartialDate>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    pub source: Citation,
    #[serde(default, skip_serializing_if = "Certainty::is_stated")]
    pub certainty: Certainty,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum TroubleKind {
    /// Under suspicion or distrusted by the authorities.
    Suspicion,
    /// Differences, displeasure or adverse reports from superiors.
    Superiors,
    /// Watched or virtually under arrest.
    Surveillance,
    /// Involved in a scandal.
    Scandal,
    /// Held responsible, or expecting to be, for a failure or another's act.
    Blame,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum MaritalStatus {
    Married,
    Single,
    Widowed,
    Divorced,
}

/// A relative (or fiancée) and where they were at the time of defection.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Relative {
    pub relation: Relation,
    /// How many, when one entry stands for several (twin sons).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count: Option<u32>,
    /// Where they were when he defected; left out when the source does not say.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<Location>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nationality: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    pub source: Citation,
    #[serde(default, skip_serializing_if = "Certainty::is_stated")]
    pub certainty: Certainty,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Relation {
    Wife,
    Husband,
    /// A companion the source treats as a spouse (Kravchenko's "wife").
    Partner,
    Son,
    Daughter,
    Child,
    Mother,
    Father,
    Parents,
    Brother,
    Sister,
    Siblings,
    Grandparent,
    InLaw,
    /// Relatives not further specified ("his family", "both their families").
    Relatives,
    Fiancee,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Location {
    /// Abroad with the defector.
    WithDefector,
    /// Outside the USSR (not stated to be with him).
    Abroad,
    /// In the USSR.
    Ussr,
    /// Dead before the defection.
    Deceased,
    /// Lost before the defection: seized and never heard from, missing in action.
    Missing,
}

/// Someone outside the Soviet establishment approached before the defection.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Contact {
    /// Who, in the source's words: `an old friend in Paris`, `his fiancée's brother`.
    pub who: String,
    pub kind: ContactKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nationality: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date: Option<PartialDate>,
    /// Whether he disclosed his intentions, desires or dissatisfaction to them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disclosed: Option<bool>,
    /// Whether this was a negotiation or attempt to negotiate with a foreign government.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub government: Option<bool>,
    /// What came of it: `helped`, `refused`, `no success`...
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcome: Option<String>,
    pub source: Citation,
    #[serde(default, skip_serializing_if = "Certainty::is_stated")]
    pub certainty: Certainty,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ContactKind {
    Friend,
    /// A chance or casual acquaintance.
    Acquaintance,
    Stranger,
    /// A foreign official, diplomat or police.
    Official,
    /// A foreign intelligence or security service, or its agent.
    Intelligence,
    /// A journalist, editor or writer.
    Press,
    /// A refugee or émigré organization.
    Organization,
    /// A relative of a fiancée or friend.
    Relative,
}

/// Party or Komsomol membership, or the statement that there was none.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Membership {
    pub organization: Organization,
    pub member: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub since: Option<PartialDate>,
    pub source: Citation,
    #[serde(default, skip_serializing_if = "Certainty::is_stated")]
    pub certainty: Certainty,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Organization {
    /// The Communist Party (of the Soviet Union or of a Soviet republic).
    Party,
    /// The Communist youth league.
    Komsomol,
}

/// A reason for the defection.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Motive {
    pub kind: MotiveKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    pub source: Citation,
    #[serde(default, skip_serializing_if = "Certainty::is_stated")]
    pub certainty: Certainty,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum MotiveKind {
    /// Disillusion with or opposition to the regime.
    Ideological,
    /// Love for someone abroad.
    Romance,
    /// Religious conviction.
    Religion,
    /// Attraction to the freedom of life abroad.
    Freedom,
    /// Internal events in the USSR: the purges, Beria's fall, arrests.
    InternalEvents,
    /// Another defection that would be blamed on him.
    AnotherDefection,
    /// Lack of promotion or career grievance.
    Career,
    /// Marital difficulties.
    Marital,
    /// The future of his children.
    Children,
    /// A political event abroad (the Russo-German Pact).
    ForeignPolicy,
}

/// A fear, and whose safety it concerned.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Fear {
    /// What was feared, in a few words: `liquidation`, `punishment on return`.
    pub of: String,
    pub concerns: FearConcerns,
    /// Before the defection (a factor in it) or after (in adjusting to the new life).
    pub timing: Timing,
    pub source: Citation,
    #[serde(default, skip_serializing_if = "Certainty::is_stated")]
    pub certainty: Certainty,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum FearConcerns {
    /// His own safety.
    #[serde(rename = "self")]
    Self_,
    /// His family's or friends' safety.
    Family,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Timing {
    Before,
    After,
}

/// A personality trait the source remarks on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Trait {
    pub kind: TraitKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    pub source: Citation,
    #[serde(default, skip_serializing_if = "Certainty::is_stated")]
    pub certainty: Certainty,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum TraitKind {
    /// Emotional instability: nervous, excitable, temperamental, unstable.
    Unstable,
    /// Obsessed by fear.
    Obsessive,
    Religious,
    /// A strong, dominating personality.
    Dominant,
    /// Little practical experience, not an aggressive type.
    Inexperienced,
    /// Better than average education.
    Educated,
}

/// A fact hidden from the Soviet authorities.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Concealment {
    /// What was hidden.
    pub what: String,
    /// Who hid it: `self` or `spouse`.
    pub by: ConcealedBy,
    pub source: Citation,
    #[serde(default, skip_serializing_if = "Certainty::is_stated")]
    pub certainty: Certainty,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ConcealedBy {
    #[serde(rename = "self")]
    Self_,
    Spouse,
}

/// A dated event in the career or after the defection.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Event {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date: Option<PartialDate>,
    pub event: String,
    pub source: Citation,
    #[serde(default, skip_serializing_if = "Certainty::is_stated")]
    pub certainty: Certainty,
}

/// The free-form `extra` data, read as plain JSON but refusing duplicate keys at any
/// depth, where serde_json would keep the last value without a word.
mod free {
    use std::fmt;

    use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
    use serde::Deserialize;
    use serde_json::{Map, Number, Value};

    pub fn unique_keys<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Option<Map<String, Value>>, D::Error> {
        struct Object;

        impl<'de> Visitor<'de> for Object {
            type Value = Option<Map<String, Value>>;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object")
            }

            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(None)
            }

            fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(None)
            }

            fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
                d.deserialize_map(self)
            }

            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
                unique_map(map).map(Some)
            }
        }

        d.deserialize_option(Object)
    }

    /// Any JSON value, with no key twice in any of its objects.
    struct Unique(Value);

    impl<'de> Deserialize<'de> for Unique {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            d.deserialize_any(UniqueVisitor).map(Unique)
        }
    }

    struct UniqueVisitor;

    impl<'de> Visitor<'de> for UniqueVisitor {
        type Value = Value;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("any JSON value")
        }

        fn visit_bool<E: de::Error>(self, v: bool) -> Result<Value, E> {
            Ok(Value::Bool(v))
        }

        fn visit_i64<E: de::Error>(self, v: i64) -> Result<Value, E> {
            Ok(Value::Number(v.into()))
        }

        fn visit_u64<E: de::Error>(self, v: u64) -> Result<Value, E> {
            Ok(Value::Number(v.into()))
        }

        fn visit_f64<E: de::Error>(self, v: f64) -> Result<Value, E> {
            // As serde_json's own `Value` does: JSON cannot hold a non-finite number.
            Ok(Number::from_f64(v).map_or(Value::Null, Value::Number))
        }

        fn visit_str<E: de::Error>(self, v: &str) -> Result<Value, E> {
            Ok(Value::String(v.to_string()))
        }

        fn visit_string<E: de::Error>(self, v: String) -> Result<Value, E> {
            Ok(Value::String(v))
        }

        fn visit_unit<E: de::Error>(self) -> Result<Value, E> {
            Ok(Value::Null)
        }

        fn visit_none<E: de::Error>(self) -> Result<Value, E> {
            Ok(Value::Null)
        }

        fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
            Unique::deserialize(d).map(|u| u.0)
        }

        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
            let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(1024));
            while let Some(Unique(v)) = seq.next_element()? {
                out.push(v);
            }
            Ok(Value::Array(out))
        }

        fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Value, A::Error> {
            unique_map(map).map(Value::Object)
        }
    }

    fn unique_map<'de, A: MapAccess<'de>>(mut map: A) -> Result<Map<String, Value>, A::Error> {
        let mut out = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            if out.contains_key(&key) {
                // Refused as the value is read, so that the error's path ends in the key.
                return map.next_value_seed(Duplicate(key));
            }
            let Unique(value) = map.next_value()?;
            out.insert(key, value);
        }
        Ok(out)
    }

    /// The value of a repeated key: never read, always an error.
    struct Duplicate(String);

    impl<'de> DeserializeSeed<'de> for Duplicate {
        type Value = Map<String, Value>;

        fn deserialize<D: Deserializer<'de>>(self, _: D) -> Result<Self::Value, D::Error> {
            Err(de::Error::custom(format_args!(
                "duplicate key `{}`: each key may appear once in an object",
                self.0
            )))
        }
    }
}
