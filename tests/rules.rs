//! Every shipped rule over the 20 historical cases (one insta snapshot per rule), and
//! the promise that silence reads as unknown, never as no.

use std::sync::Arc;

use casematch::load;
use casematch::verdict::Verdict::{self, *};
use serde_json::{json, Value};

use crate::support::{case_files, history, shipped};

const CORE: [&str; 6] = [
    "confided_in_outsiders",
    "fear_for_personal_safety",
    "immediate_family_abroad",
    "recall_and_fear",
    "under_recall",
    "under_suspicion",
];

#[test]
fn snapshot_of_each_rule_over_history() {
    let cases = history();
    let scorer = shipped();
    let ids: Vec<String> = scorer.rules().ready().map(|r| r.meta.id.clone()).collect();
    for id in CORE {
        assert!(ids.iter().any(|i| i == id), "core rule `{id}` is shipped");
    }
    for id in ids {
        let rows: Vec<Value> = cases
            .iter()
            .map(|s| {
                let f = s.findings.iter().find(|f| f.rule == id).unwrap();
                json!({
                    "case": s.id,
                    "verdict": f.verdict,
                    "reason": f.reason,
                    "evidence": f.evidence,
                })
            })
            .collect();
        insta::assert_json_snapshot!(id.clone(), rows);
    }
}

fn strip(case: &Value, fields: &[&str]) -> Value {
    let mut v = case.clone();
    for f in fields {
        v.as_object_mut().unwrap().remove(*f);
    }
    v
}

fn verdicts(v: &Value) -> Vec<(String, Verdict)> {
    let loaded = load::parse(&v.to_string(), "test").unwrap();
    let scorer = shipped();
    scorer
        .score(&loaded, "test")
        .findings
        .into_iter()
        .map(|f| (f.rule, f.verdict))
        .collect()
}

fn read(path: &std::path::Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[test]
fn a_profile_of_name_alone_is_unknown_on_every_rule() {
    let v = json!({"id": "blank", "name": "Nobody Known"});
    for (rule, verdict) in verdicts(&v) {
        assert_eq!(verdict, Unknown, "{rule}");
    }
}

#[test]
fn removing_the_facts_a_rule_reads_gives_unknown_never_no() {
    let reads: [(&str, &[&str]); 6] = [
        ("under_recall", &["recalls"]),
        ("under_suspicion", &["troubles"]),
        ("immediate_family_abroad", &["family", "marital_status"]),
        ("confided_in_outsiders", &["contacts"]),
        ("fear_for_personal_safety", &["fears"]),
        ("recall_and_fear", &["recalls", "fears"]),
    ];
    for file in case_files() {
        let case = read(&file);
        for (rule, fields) in reads {
            let got = verdicts(&strip(&case, fields));
            let v = got.iter().find(|(r, _)| r == rule).unwrap().1;
            assert_eq!(
                v,
                Unknown,
                "{rule} on {} without {fields:?}",
                file.display()
            );
        }
    }
}

#[test]
fn removing_any_fact_never_makes_a_yes() {
    // Monotonicity: less information can lose a yes, but never create one.
    for file in case_files() {
        let case = read(&file);
        let before = verdicts(&case);
        for key in case.as_object().unwrap().keys() {
            if key == "id" || key == "name" {
                continue;
            }
            let after = verdicts(&strip(&case, &[key]));
            for ((rule, b), (_, a)) in before.iter().zip(&after) {
                if *b != Yes {
                    assert_ne!(
                        *a,
                        Yes,
                        "{rule} on {} became yes without `{key}`",
                        file.display()
                    );
                }
            }
        }
    }
}

#[test]
fn a_stated_none_answers_no_with_its_citation() {
    let v = json!({
        "id": "x", "name": "X",
        "recalls": {"none": {"ref": "section II", "quote": "nor was he under recall"}}
    });
    let loaded = load::parse(&v.to_string(), "t").unwrap();
    let scored = shipped().score(&loaded, "t");
    let f = scored
        .findings
        .iter()
        .find(|f| f.rule == "under_recall")
        .unwrap();
    assert_eq!(f.verdict, No);
    assert_eq!(f.evidence.len(), 1);
    assert_eq!(f.evidence[0].path, "/recalls");
    assert_eq!(
        f.evidence[0].source.as_ref().unwrap().quote,
        "nor was he under recall"
    );
}

#[test]
fn a_cancelled_recall_alone_is_not_a_no() {
    let v = json!({
        "id": "x", "name": "X",
        "recalls": [{"status": "cancelled", "source": {"ref": "appendix: Gouzenko",
            "quote": "Gouzenko was first recalled to Russia in September, 1944, but this order was cancelled."}}]
    });
    let got = verdicts(&v);
    assert!(got.contains(&("under_recall".into(), Unknown)), "{got:?}");
}

#[test]
fn evidence_names_paths_that_exist_in_the_profile() {
    for (file, s) in case_files().iter().zip(history()) {
        let case = Arc::new(read(file));
        for f in &s.findings {
            for e in &f.evidence {
                let found = case.pointer(&e.path).cloned().unwrap_or(Value::Null);
                if e.value.is_null() {
                    assert!(found.is_null(), "{}: {} {}", s.id, f.rule, e.path);
                } else {
                    assert!(!found.is_null(), "{}: {} {}", s.id, f.rule, e.path);
                    assert!(
                        e.source.is_some(),
                        "{}: {} {} has no citation",
                        s.id,
                        f.rule,
                        e.path
                    );
                }
            }
            if matches!(f.verdict, Yes | No) {
                assert!(
                    !f.evidence.is_empty(),
                    "{}: {} answered without evidence",
                    s.id,
                    f.rule
                );
            }
        }
    }
}

#[test]
fn every_registered_helper_is_documented() {
    let doc = std::fs::read_to_string(crate::support::root().join("docs/rules.md")).unwrap();
    for helper in casematch::engine::HELPERS {
        assert!(
            doc.contains(&format!("### `{helper}(")),
            "docs/rules.md has no `### `{helper}(...)`` section"
        );
    }
}

#[test]
fn join_shows_facts_as_their_json() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("joined.rhai"),
        r#"const RULE = #{ id: "joined", title: "t", description: "d", weight: 1,
    source: #{ ref: "section II", quote: "q" } };
fn evaluate(profile) {
    let r = profile.recalls;
    if r == () { return unknown("none"); }
    yes(r.map(|x| x.status).join("+") + " | " + r.join(" ; "))
}"#,
    )
    .unwrap();
    let scorer =
        casematch::evaluate::Scorer::new(Some(dir.path()), casematch::engine::Limits::default())
            .unwrap();
    let text =
        std::fs::read_to_string(crate::support::root().join("fixtures/cases/09-gouzenko.json"))
            .unwrap();
    let loaded = load::parse(&text, "g").unwrap();
    let f = &scorer.score(&loaded, "g").findings[0];
    assert_eq!(f.verdict, Yes, "{}", f.reason);
    assert!(
        f.reason.starts_with("cancelled+in_force | {"),
        "{}",
        f.reason
    );
    assert!(f.reason.contains(r#""status":"cancelled""#), "{}", f.reason);
    assert!(!f.reason.contains("Node"), "{}", f.reason);
}

#[test]
fn rules_run_in_id_order_each_composite_just_after_its_components() {
    let dir = tempfile::tempdir().unwrap();
    let rule = |id: &str, uses: &str| {
        format!(
            r#"const RULE = #{{ id: "{id}", title: "t", description: "d", weight: 1, tags: [],
                source: #{{ ref: "preface", quote: "x" }}, uses: [{uses}] }};
            fn evaluate(profile) {{ unknown("-") }}"#
        )
    };
    for (id, uses) in [
        ("a_comp", r#""z_one""#),
        ("b", ""),
        ("c_comp", r#""a_comp", "y_two""#),
        ("y_two", ""),
        ("z_one", ""),
    ] {
        std::fs::write(dir.path().join(format!("{id}.rhai")), rule(id, uses)).unwrap();
    }
    let scorer = casematch::evaluate::Scorer::new(Some(dir.path()), Default::default()).unwrap();
    let ids = |s: &casematch::evaluate::Scorer| -> Vec<String> {
        let entries = &s.rules().entries;
        s.rules()
            .order
            .iter()
            .map(|&i| entries[i].id().to_string())
            .collect()
    };
    assert_eq!(ids(&scorer), ["z_one", "a_comp", "b", "y_two", "c_comp"]);
    // The shipped rules: only the components a composite consults ahead of their own
    // turn move, each to just before the composite.
    let shipped = ids(shipped());
    let at = |id: &str| shipped.iter().position(|x| x == id).unwrap();
    assert_eq!(at("under_recall") + 1, at("under_suspicion"));
    assert_eq!(at("under_suspicion") + 1, at("likely_subject"));
    let mut others: Vec<&String> = shipped
        .iter()
        .filter(|x| !["under_recall", "under_suspicion"].contains(&x.as_str()))
        .collect();
    let sorted = {
        let mut s = others.clone();
        s.sort();
        s
    };
    assert_eq!(others, sorted);
    others.dedup();
    assert_eq!(others.len() + 2, shipped.len());
}
