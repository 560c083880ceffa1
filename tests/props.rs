//! Properties of scoring over arbitrary profiles built from the schema: every generated
//! profile is valid, every shipped rule answers it, composites follow Kleene logic from
//! their parts, and taking a fact away never produces a yes.
//!
//! The strategies draw small vocabularies for the free-text fields that rules test
//! (`who`, `of`, `note`) mixed with arbitrary Unicode, so that the rules' branches are
//! reached often while the text is still hostile. Case counts are modest: these run in
//! the normal suite.

use std::collections::BTreeMap;

use casematch::citation::{Certainty, Citation, SourceRef};
use casematch::facts::{Fact, Facts, NoneStated, PartialDate};
use casematch::finding::{Evidence, Finding, Report, Score, Scored};
use casematch::load::{self, Loaded};
use casematch::profile::*;
use casematch::render::ndjson::{write_report, Ndjson};
use casematch::render::Render;
use casematch::verdict::Verdict;
use casematch::view::Fields;
use proptest::collection::vec;
use proptest::option;
use proptest::prelude::*;
use proptest::sample::select;
use proptest::test_runner::{RngSeed, TestCaseError};
use serde_json::{json, Value};

use crate::support::{check_view, shipped};

// ---------------------------------------------------------------------------------------
// Strategies
// ---------------------------------------------------------------------------------------

/// Any value of the enum `T`, read from its JSON Schema: a variant added to the profile
/// model is drawn here too, with no second list to keep in step.
fn every<T>() -> impl Strategy<Value = T>
where
    T: schemars::JsonSchema + serde::de::DeserializeOwned + Clone + std::fmt::Debug + 'static,
{
    fn names(v: &Value, out: &mut Vec<Value>) {
        match v {
            Value::Object(m) => {
                for (k, v) in m {
                    match (k.as_str(), v) {
                        ("enum", Value::Array(items)) => out.extend(items.iter().cloned()),
                        ("const", c) => out.push(c.clone()),
                        _ => names(v, out),
                    }
                }
            }
            Value::Array(items) => items.iter().for_each(|v| names(v, out)),
            _ => {}
        }
    }
    let schema = schemars::schema_for!(T);
    let mut found = Vec::new();
    names(schema.as_value(), &mut found);
    let values: Vec<T> = found
        .into_iter()
        .map(|v| serde_json::from_value(v).expect("a schema value deserialises"))
        .collect();
    assert!(
        !values.is_empty(),
        "no values in the schema of {}",
        std::any::type_name::<T>()
    );
    select(values)
}

/// Arbitrary text: printable and control characters, quotes, markup and non-ASCII.
fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => "\\PC{0,16}",
        1 => "[\\x00-\\x1f\\x7f\"\\\\<>|&]{0,6}",
        1 => select(vec!["", " ", "<script>alert(1)</script>", "a|b\nc", "Ж\u{301}🙂"])
            .prop_map(str::to_string),
    ]
}

/// Text from a vocabulary that rules may look for, or arbitrary text.
fn words(vocabulary: &'static [&'static str]) -> impl Strategy<Value = String> {
    prop_oneof![2 => select(vocabulary).prop_map(str::to_string), 1 => text()]
}

fn certainty() -> impl Strategy<Value = Certainty> {
    every::<Certainty>()
}

fn source_ref() -> impl Strategy<Value = SourceRef> {
    prop_oneof![
        select(vec![
            "preface",
            "summary",
            "conclusions",
            "section I",
            "section II",
            "section III",
            "section IV",
            "section V",
            "section VI",
        ])
        .prop_map(str::to_string),
        "[A-Z][a-z]{0,10}".prop_map(|name| format!("appendix: {name}")),
    ]
    .prop_map(|s| SourceRef::try_from(s).unwrap())
}

fn citation() -> impl Strategy<Value = Citation> {
    (source_ref(), text()).prop_map(|(reference, quote)| Citation { reference, quote })
}

fn date() -> impl Strategy<Value = PartialDate> {
    (
        1880u32..1960,
        option::of((1u32..=12, option::of(1u32..=31))),
    )
        .prop_map(|(y, md)| {
            let s = match md {
                None => format!("{y}"),
                Some((m, None)) => format!("{y}-{m:02}"),
                Some((m, Some(d))) => format!("{y}-{m:02}-{d:02}"),
            };
            PartialDate::try_from(s).unwrap()
        })
}

fn fact<T: std::fmt::Debug + Clone>(
    value: impl Strategy<Value = T>,
) -> impl Strategy<Value = Fact<T>> {
    (value, citation(), certainty()).prop_map(|(value, source, certainty)| Fact {
        value,
        source,
        certainty,
    })
}

/// A cited list: one to four items, or the source's statement that there were none.
fn facts<T: std::fmt::Debug + Clone>(
    item: impl Strategy<Value = T>,
) -> impl Strategy<Value = Facts<T>> {
    prop_oneof![
        4 => vec(item, 1..=4).prop_map(Facts::Items),
        1 => (citation(), certainty())
            .prop_map(|(none, certainty)| Facts::None(NoneStated { none, certainty })),
    ]
}

fn born() -> impl Strategy<Value = Born> {
    (
        option::of(date()),
        option::of(text()),
        citation(),
        certainty(),
    )
        .prop_map(|(date, place, source, certainty)| Born {
            date,
            place,
            source,
            certainty,
        })
}

fn defection() -> impl Strategy<Value = Defection> {
    const COUNTRIES: &[&str] = &["France", "United States", "Canada", "Australia", "Japan"];
    (
        (
            option::of(date()),
            option::of(text()),
            option::of(words(COUNTRIES)),
        ),
        (option::of(text()), option::of(text()), option::of(text())),
        (option::of(text()), citation(), certainty()),
    )
        .prop_map(
            |(
                (date, place, country),
                (establishment, post, agency),
                (protection, source, certainty),
            )| Defection {
                date,
                place,
                country,
                establishment,
                post,
                agency,
                protection,
                source,
                certainty,
            },
        )
}

fn recall() -> impl Strategy<Value = Recall> {
    (
        option::of(date()),
        every::<RecallStatus>(),
        option::of(every::<RecallForm>()),
        option::of(text()),
        citation(),
        certainty(),
    )
        .prop_map(|(date, status, form, note, source, certainty)| Recall {
            date,
            status,
            form,
            note,
            source,
            certainty,
        })
}

fn trouble() -> impl Strategy<Value = Trouble> {
    (
        every::<TroubleKind>(),
        option::of(date()),
        option::of(text()),
        citation(),
        certainty(),
    )
        .prop_map(|(kind, date, note, source, certainty)| Trouble {
            kind,
            date,
            note,
            source,
            certainty,
        })
}

fn marital_status() -> impl Strategy<Value = MaritalStatus> {
    every::<MaritalStatus>()
}

fn relative() -> impl Strategy<Value = Relative> {
    (
        every::<Relation>(),
        option::of(1u32..5),
        option::of(every::<Location>()),
        option::of(text()),
        option::of(text()),
        citation(),
        certainty(),
    )
        .prop_map(
            |(relation, count, location, nationality, note, source, certainty)| Relative {
                relation,
                count,
                location,
                nationality,
                note,
                source,
                certainty,
            },
        )
}

fn contact() -> impl Strategy<Value = Contact> {
    const WHO: &[&str] = &["an old friend", "the French police", "a stranger"];
    (
        (
            words(WHO),
            every::<ContactKind>(),
            option::of(text()),
            option::of(date()),
        ),
        (
            option::of(any::<bool>()),
            option::of(any::<bool>()),
            option::of(words(&["helped", "refused", "no success"])),
            citation(),
            certainty(),
        ),
    )
        .prop_map(
            |(
                (who, kind, nationality, date),
                (disclosed, government, outcome, source, certainty),
            )| {
                Contact {
                    who,
                    kind,
                    nationality,
                    date,
                    disclosed,
                    government,
                    outcome,
                    source,
                    certainty,
                }
            },
        )
}

fn membership() -> impl Strategy<Value = Membership> {
    (
        every::<Organization>(),
        any::<bool>(),
        option::of(date()),
        citation(),
        certainty(),
    )
        .prop_map(
            |(organization, member, since, source, certainty)| Membership {
                organization,
                member,
                since,
                source,
                certainty,
            },
        )
}

fn motive() -> impl Strategy<Value = Motive> {
    (
        every::<MotiveKind>(),
        option::of(text()),
        citation(),
        certainty(),
    )
        .prop_map(|(kind, note, source, certainty)| Motive {
            kind,
            note,
            source,
            certainty,
        })
}

fn fear() -> impl Strategy<Value = Fear> {
    const OF: &[&str] = &[
        "liquidation",
        "punishment on return",
        "the purges",
        "arrest",
    ];
    (
        words(OF),
        every::<FearConcerns>(),
        every::<Timing>(),
        citation(),
        certainty(),
    )
        .prop_map(|(of, concerns, timing, source, certainty)| Fear {
            of,
            concerns,
            timing,
            source,
            certainty,
        })
}

fn trait_() -> impl Strategy<Value = Trait> {
    (
        every::<TraitKind>(),
        option::of(text()),
        citation(),
        certainty(),
    )
        .prop_map(|(kind, note, source, certainty)| Trait {
            kind,
            note,
            source,
            certainty,
        })
}

fn concealment() -> impl Strategy<Value = Concealment> {
    (text(), every::<ConcealedBy>(), citation(), certainty()).prop_map(
        |(what, by, source, certainty)| Concealment {
            what,
            by,
            source,
            certainty,
        },
    )
}

fn event() -> impl Strategy<Value = Event> {
    (option::of(date()), text(), citation(), certainty()).prop_map(
        |(date, event, source, certainty)| Event {
            date,
            event,
            source,
            certainty,
        },
    )
}

/// Free-form JSON for `extra`: nested a few levels, keys unique as JSON objects are.
fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        // Decimals serde_json reads back exactly: its default parser may be one unit in
        // the last place off on long mantissas (`float_roundtrip` fixes that).
        (-1_000_000_000_000i64..1_000_000_000_000).prop_map(|n| Value::from(n as f64 / 1000.0)),
        text().prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            vec(inner.clone(), 0..4).prop_map(Value::Array),
            proptest::collection::btree_map(text(), inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn extra() -> impl Strategy<Value = serde_json::Map<String, Value>> {
    proptest::collection::btree_map(text(), json_value(), 0..4)
        .prop_map(|m| m.into_iter().collect())
}

/// A profile in which every field but `id` and `name` may be left out (unknown).
///
/// Each field's strategy is boxed: unboxed, the nested value trees are so large that
/// generating one overflows a test thread's stack in a debug build.
fn profile() -> impl Strategy<Value = Profile> {
    (
        (
            text(),
            text(),
            option::of(born().boxed()),
            option::of(defection().boxed()),
        ),
        (
            option::of(fact(any::<bool>()).boxed()),
            option::of(fact(any::<bool>()).boxed()),
            option::of(facts(recall()).boxed()),
            option::of(facts(trouble()).boxed()),
            option::of(fact(marital_status()).boxed()),
            option::of(facts(relative()).boxed()),
        ),
        (
            option::of(facts(contact()).boxed()),
            option::of(facts(membership()).boxed()),
            option::of(facts(motive()).boxed()),
            option::of(facts(fear()).boxed()),
            option::of(facts(trait_()).boxed()),
        ),
        (
            option::of(facts(concealment()).boxed()),
            option::of(facts(event()).boxed()),
            option::of(facts(event()).boxed()),
            option::of(extra().boxed()),
        ),
    )
        .prop_map(
            |(
                (id, name, born, defection),
                (induced, premeditated, recalls, troubles, marital_status, family),
                (contacts, memberships, motives, fears, traits),
                (concealments, history, aftermath, extra),
            )| Profile {
                id,
                name,
                born,
                defection,
                induced,
                premeditated,
                recalls,
                troubles,
                marital_status,
                family,
                contacts,
                memberships,
                motives,
                fears,
                traits,
                concealments,
                history,
                aftermath,
                extra,
            },
        )
}

// ---------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------

/// 48 cases from a fixed seed, so that the suite is quick and gives the same answer
/// every run; `PROPTEST_CASES` and `PROPTEST_RNG_SEED` override both for a deeper
/// search (see docs/fuzzing.md).
fn config() -> ProptestConfig {
    let env = ProptestConfig::default();
    let set = |name: &str| std::env::var_os(name).is_some();
    ProptestConfig {
        cases: if set("PROPTEST_CASES") { env.cases } else { 48 },
        rng_seed: if set("PROPTEST_RNG_SEED") {
            env.rng_seed
        } else {
            RngSeed::Fixed(1955)
        },
        // Shrinking a failure is worth it; a long search for a smaller one is not.
        max_shrink_iters: 512,
        // Failures found so far are replayed first; they live beside the tests.
        failure_persistence: Some(Box::new(
            proptest::test_runner::FileFailurePersistence::Direct(
                "tests/proptest-regressions/props.txt",
            ),
        )),
        ..env
    }
}

/// The profile as a user would write it, parsed the way every input is.
fn load(p: &Profile) -> Loaded {
    let text = serde_json::to_string_pretty(p).unwrap();
    load::parse(&text, "generated.json")
        .unwrap_or_else(|e| panic!("a generated profile was refused: {e}\n{text}"))
}

/// Each shipped rule's verdict and reason on `p`.
fn verdicts(p: &Profile) -> BTreeMap<String, (Verdict, String)> {
    let scored = shipped().score(&load(p), "generated.json");
    scored
        .findings
        .into_iter()
        .map(|f| (f.rule, (f.verdict, f.reason)))
        .collect()
}

fn shipped_ids() -> Vec<String> {
    shipped()
        .rules()
        .entries
        .iter()
        .map(|e| e.id().to_string())
        .collect()
}

/// `p` with one fact taken away, each way it can be: every field left out in turn, and
/// every item of a list of two or more dropped in turn (dropping the only item is
/// leaving the field out). Each comes with a description of what was taken.
fn reductions(p: &Profile) -> Vec<(String, Profile)> {
    let mut out = Vec::new();
    macro_rules! field {
        ($($f:ident)*) => {$(
            if p.$f.is_some() {
                let mut q = p.clone();
                q.$f = None;
                out.push((format!("without `{}`", stringify!($f)), q));
            }
        )*};
    }
    field!(born defection induced premeditated recalls troubles marital_status family
        contacts memberships motives fears traits concealments history aftermath extra);
    macro_rules! items {
        ($($f:ident)*) => {$(
            if let Some(Facts::Items(items)) = &p.$f {
                if items.len() > 1 {
                    for i in 0..items.len() {
                        let mut rest = items.clone();
                        rest.remove(i);
                        let mut q = p.clone();
                        q.$f = Some(Facts::Items(rest));
                        out.push((format!("without `/{}/{i}`", stringify!($f)), q));
                    }
                }
            }
        )*};
    }
    items!(recalls troubles family contacts memberships motives fears traits concealments
        history aftermath);
    out
}

// ---------------------------------------------------------------------------------------
// Properties
// ---------------------------------------------------------------------------------------

proptest! {
    #![proptest_config(config())]

    /// The schema accepts every generated profile, and reading it back gives the same
    /// profile: nothing is lost or changed between the JSON and the rules.
    #[test]
    fn every_generated_profile_is_valid_and_round_trips(p in profile()) {
        let loaded = load(&p);
        prop_assert_eq!(&loaded.profile, &p);
        prop_assert_eq!(&**loaded.value(), &serde_json::to_value(&p).unwrap());
    }

    /// Scoring never panics, every shipped rule answers, and none fails on a valid
    /// profile.
    #[test]
    fn every_shipped_rule_answers_every_valid_profile(p in profile()) {
        let scored = shipped().score(&load(&p), "generated.json");
        let rules: Vec<&str> = scored.findings.iter().map(|f| f.rule.as_str()).collect();
        prop_assert_eq!(rules, shipped_ids());
        for f in &scored.findings {
            prop_assert_ne!(f.verdict, Verdict::Error, "{}: {}", f.rule, f.reason);
        }
        prop_assert_eq!(scored.score.errors, 0);
    }

    /// The hand-written NDJSON writer gives the bytes serde_json gives, on whole
    /// reports of generated profiles.
    #[test]
    fn ndjson_reports_are_what_serde_json_writes(p in profile()) {
        let report = Report::Scored(shipped().score(&load(&p), "generated \"1\".json"));
        let mut ours = Vec::new();
        write_report(&mut ours, &report).unwrap();
        prop_assert_eq!(String::from_utf8(ours).unwrap(), serde_json::to_string(&report).unwrap());
    }

    /// The line a batch writes while the rules answer, evidence straight from the
    /// profile, is the report `score` builds as serde_json writes it (the shared scorer
    /// has remembered answers by now, so both ways are taken).
    #[test]
    fn ndjson_written_while_scoring_is_the_report(p in profile()) {
        let loaded = load(&p);
        let origin = "generated \"1\".json";
        let report = Report::Scored(shipped().score(&loaded, origin));
        let mut line = Vec::new();
        Ndjson::default().score_into(&mut line, shipped(), &loaded, origin);
        prop_assert_eq!(
            String::from_utf8(line).unwrap(),
            serde_json::to_string(&report).unwrap() + "\n"
        );
    }

    /// A view of a profile is its JSON without the fields left out, and its index finds
    /// each field a search finds.
    #[test]
    fn a_view_is_the_profile_without_the_fields_left_out(p in profile(), bits in any::<u32>()) {
        check_view(&p, Fields::from_bits(bits)).map_err(TestCaseError::fail)?;
    }

    /// ... and on every part of a finding, with arbitrary values and text in each.
    #[test]
    fn ndjson_findings_are_what_serde_json_writes(
        value in json_value(),
        reason in text(),
        output in vec(text(), 0..3),
        cited in option::of(citation()),
        certainty in certainty(),
        via in option::of(text()),
        verdict in every::<Verdict>(),
    ) {
        let evidence = Evidence { path: reason.clone(), value, source: cited, certainty, via };
        let finding = Finding {
            rule: "r".into(),
            title: reason.clone(),
            verdict,
            weight: 3,
            reason,
            evidence: vec![evidence.clone(), evidence],
            output,
        };
        let report = Report::Scored(Scored {
            id: "x".into(),
            name: "\u{1}".into(),
            source: "s".into(),
            score: Score::of(std::slice::from_ref(&finding)),
            findings: vec![finding],
        });
        let mut ours = Vec::new();
        write_report(&mut ours, &report).unwrap();
        prop_assert_eq!(String::from_utf8(ours).unwrap(), serde_json::to_string(&report).unwrap());
    }

    /// A composite's verdict is the Kleene combination of its parts' verdicts.
    #[test]
    fn composites_follow_kleene_logic_from_their_parts(p in profile()) {
        let v = verdicts(&p);
        let get = |id: &str| v.get(id).unwrap_or_else(|| panic!("no rule `{id}`")).0;
        prop_assert_eq!(
            get("recall_and_fear"),
            get("under_recall").and(get("fear_for_personal_safety"))
        );
        let free = get("immediate_family_abroad").or(!get("has_immediate_family"));
        let pressed = get("under_recall")
            .or(get("under_suspicion"))
            .or(get("confided_in_outsiders"));
        prop_assert_eq!(get("likely_subject"), free.and(pressed));
    }

    /// Leaving a field out never turns an unknown into a yes (less information can
    /// settle nothing new).
    #[test]
    fn leaving_a_field_out_never_makes_a_yes(p in profile()) {
        no_new_yes(&p, false, &[])?;
    }

    /// Dropping one item of a list never turns an unknown into a yes, except
    /// in rules that say something of *every* item.
    #[test]
    fn dropping_an_item_never_makes_a_yes(p in profile()) {
        no_new_yes(&p, true, UNIVERSALS)?;
    }
}

// Leaving a field out holds for every shipped rule, without exemption: a rule that
// reasoned from a default ("single, so no children") would fail it, as two once did.

/// Rules that say something of every item of a list (`immediate_family_abroad`: *all*
/// of his living spouse and children were outside the USSR): dropping the one item
/// that was in the USSR, or whose whereabouts were open, leaves a list of which it is
/// true. The lists are read as complete, so this is the rule working as written.
///
/// `likely_subject` consults `immediate_family_abroad`, and so inherits this.
const UNIVERSALS: &[&str] = &["immediate_family_abroad", "likely_subject"];

/// Checks every reduction of `p` of one kind (items, or whole fields) for a rule that
/// went from unknown to yes, other than those in `exempt`.
fn no_new_yes(p: &Profile, items: bool, exempt: &[&str]) -> Result<(), TestCaseError> {
    let before = verdicts(p);
    for (what, q) in reductions(p) {
        if what.contains('/') != items {
            continue;
        }
        let after = verdicts(&q);
        for (rule, (was, why)) in &before {
            if exempt.contains(&rule.as_str()) {
                continue;
            }
            let (now, because) = &after[rule];
            prop_assert!(
                *was != Verdict::Unknown || *now != Verdict::Yes,
                "{rule} went from {was} ({why}) to yes ({because}) {what}"
            );
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Fixed examples of the properties, so that a failure reads plainly
// ---------------------------------------------------------------------------------------

/// A minimal valid profile with `fields` added.
fn from_json(fields: Value) -> Profile {
    let mut v = json!({"id": "p", "name": "P"});
    v.as_object_mut()
        .unwrap()
        .extend(fields.as_object().unwrap().clone());
    load::parse(&v.to_string(), "p.json").unwrap().profile
}

fn cite() -> Value {
    json!({"ref": "section II", "quote": "q"})
}

#[test]
fn the_empty_profile_is_unknown_to_every_rule_but_none_fails() {
    let v = verdicts(&from_json(json!({})));
    assert_eq!(v.len(), shipped_ids().len());
    for (rule, (verdict, reason)) in &v {
        assert_eq!(*verdict, Verdict::Unknown, "{rule}: {reason}");
    }
}

#[test]
fn reductions_cover_each_field_and_each_item() {
    let p = from_json(json!({
        "recalls": [
            {"status": "in_force", "source": cite()},
            {"status": "cancelled", "source": cite()}
        ],
        "fears": {"none": cite()},
        "extra": {"k": 1}
    }));
    let what: Vec<String> = reductions(&p).into_iter().map(|(w, _)| w).collect();
    assert_eq!(
        what,
        vec![
            "without `recalls`",
            "without `fears`",
            "without `extra`",
            "without `/recalls/0`",
            "without `/recalls/1`",
        ]
    );
}

#[test]
fn recall_and_fear_on_the_nine_combinations_of_its_parts() {
    let recalls = [
        (
            "yes",
            json!({"recalls": [{"status": "in_force", "source": cite()}]}),
        ),
        ("no", json!({"recalls": {"none": cite()}})),
        ("unknown", json!({})),
    ];
    let fears = [
        (
            "yes",
            json!({"fears": [{"of": "arrest", "concerns": "self", "timing": "before", "source": cite()}]}),
        ),
        ("no", json!({"fears": {"none": cite()}})),
        ("unknown", json!({})),
    ];
    let mut table = Vec::new();
    for (r, rj) in &recalls {
        for (f, fj) in &fears {
            let mut fields = rj.clone();
            fields
                .as_object_mut()
                .unwrap()
                .extend(fj.as_object().unwrap().clone());
            let v = verdicts(&from_json(fields));
            assert_eq!(v["under_recall"].0.as_str(), *r);
            assert_eq!(v["fear_for_personal_safety"].0.as_str(), *f);
            table.push(format!("{r} & {f} = {}", v["recall_and_fear"].0));
        }
    }
    assert_eq!(
        table,
        vec![
            "yes & yes = yes",
            "yes & no = no",
            "yes & unknown = unknown",
            "no & yes = no",
            "no & no = no",
            "no & unknown = no",
            "unknown & yes = unknown",
            "unknown & no = no",
            "unknown & unknown = unknown",
        ]
    );
}

#[test]
fn the_exemptions_are_needed() {
    let relative = |relation: &str, location: Option<&str>| {
        let mut r = json!({"relation": relation, "source": cite()});
        if let Some(l) = location {
            r["location"] = json!(l);
        }
        r
    };
    // (rule, profile, what is taken away, verdict before, verdict after)
    let cases = [
        (
            "immediate_family_abroad",
            json!({
                "family": [relative("wife", Some("abroad")), relative("son", None)]
            }),
            "without `/family/1`",
            Verdict::Unknown,
        ),
        (
            "likely_subject",
            json!({
                "family": [relative("wife", Some("abroad")), relative("son", None)],
                "recalls": [{"status": "in_force", "source": cite()}]
            }),
            "without `/family/1`",
            Verdict::Unknown,
        ),
        (
            "immediate_family_abroad",
            json!({
                "family": [relative("wife", Some("ussr")), relative("son", Some("abroad"))]
            }),
            "without `/family/0`",
            Verdict::No,
        ),
    ];
    let mut shown = Vec::new();
    for (rule, fields, taken, was) in cases {
        let p = from_json(fields);
        let (_, q) = reductions(&p)
            .into_iter()
            .find(|(w, _)| w == taken)
            .unwrap();
        assert_eq!(verdicts(&p)[rule].0, was, "{rule} before");
        assert_eq!(verdicts(&q)[rule].0, Verdict::Yes, "{rule} {taken}");
        shown.push(rule);
    }
    let mut exempt = UNIVERSALS.to_vec();
    exempt.sort();
    shown.sort();
    shown.dedup();
    assert_eq!(shown, exempt);
}

#[test]
fn what_once_needed_an_exemption_now_holds() {
    // A married woman whose husband is on record as missing, with and without the record;
    // and a single man with a partner of unknown whereabouts, with and without her.
    let status = |s: &str| json!({"value": s, "source": cite()});
    let married = from_json(json!({
        "marital_status": status("married"),
        "family": [{"relation": "husband", "location": "missing", "source": cite()}]
    }));
    let married_alone = from_json(json!({"marital_status": status("married")}));
    assert_eq!(verdicts(&married)["has_immediate_family"].0, Verdict::Yes);
    assert_eq!(
        verdicts(&married_alone)["has_immediate_family"].0,
        Verdict::Yes
    );
    let recalled = json!([{"status": "in_force", "source": cite()}]);
    let single = from_json(json!({
        "marital_status": status("single"),
        "family": [{"relation": "partner", "source": cite()}],
        "recalls": recalled
    }));
    let single_alone = from_json(json!({"marital_status": status("single"), "recalls": recalled}));
    for p in [&single, &single_alone] {
        let v = verdicts(p);
        assert_eq!(
            v["likely_subject"].0,
            Verdict::Unknown,
            "{}",
            v["likely_subject"].1
        );
    }
    assert_eq!(
        verdicts(&single_alone)["has_immediate_family"].0,
        Verdict::Unknown
    );
}
