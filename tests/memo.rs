//! Remembered answers (`src/memo.rs`) must be exactly what running the rule gives.

use std::path::Path;

use serde_json::Value;

use casematch::engine::Limits;
use casematch::evaluate::Scorer;
use casematch::load;
use casematch::render::ndjson::Ndjson;
use casematch::render::Render;
use casematch::view::{Fields, FIELDS};

use crate::support::{check_view, mixed_profiles, root};

/// Each profile scored by `scorer`, as JSON text.
fn scored(scorer: &Scorer, profiles: &[String]) -> Vec<String> {
    profiles
        .iter()
        .enumerate()
        .map(|(i, text)| {
            let origin = format!("mixed.ndjson:{}", i + 1);
            match load::parse(text, &origin) {
                Ok(loaded) => serde_json::to_string(&scorer.score(&loaded, &origin)).unwrap(),
                Err(e) => format!("error: {e}"),
            }
        })
        .collect()
}

/// Each profile scored by `scorer` as `--format ndjson` writes it while scoring, without
/// building the report (remembered evidence is written straight from the profile).
fn written(scorer: &Scorer, profiles: &[String]) -> Vec<String> {
    let mut ndjson = Ndjson::default();
    profiles
        .iter()
        .enumerate()
        .map(|(i, text)| {
            let origin = format!("mixed.ndjson:{}", i + 1);
            match load::parse(text, &origin) {
                Ok(loaded) => {
                    let mut line = Vec::new();
                    let score = ndjson.score_into(&mut line, scorer, &loaded, &origin);
                    let line = String::from_utf8(line).unwrap();
                    let line = line.strip_suffix('\n').expect("one line").to_string();
                    let report: Value = serde_json::from_str(&line).unwrap();
                    assert_eq!(
                        serde_json::to_value(score.expect("ndjson writes while scoring")).unwrap(),
                        report["score"]
                    );
                    line
                }
                Err(e) => format!("error: {e}"),
            }
        })
        .collect()
}

/// Scores `profiles` with every rule run, then with answers remembered (built as
/// reports, and written while scoring), and checks that all agree byte for byte.
fn compare(dir: &Path, profiles: &[String]) -> casematch::memo::Stats {
    let fresh = Scorer::new(Some(dir), Limits::default())
        .unwrap()
        .remembering(false);
    let remembering = Scorer::new(Some(dir), Limits::default()).unwrap();
    let writing = Scorer::new(Some(dir), Limits::default()).unwrap();
    let expected = scored(&fresh, profiles);
    assert_eq!(
        written(&fresh, profiles),
        expected,
        "written, every rule run"
    );
    // Twice: the second pass answers from memory wherever the first could fill it.
    for pass in 0..2 {
        let got = scored(&remembering, profiles);
        let lines = written(&writing, profiles);
        for (i, e) in expected.iter().enumerate() {
            assert_eq!(&got[i], e, "pass {pass}, profile {i}");
            assert_eq!(&lines[i], e, "written, pass {pass}, profile {i}");
        }
    }
    assert_eq!(fresh.memo_stats(), None);
    assert_eq!(
        writing.memo_stats(),
        remembering.memo_stats(),
        "both remembered alike"
    );
    remembering.memo_stats().unwrap()
}

#[test]
fn remembered_answers_are_those_of_a_fresh_run_for_every_shipped_rule() {
    let profiles = mixed_profiles(300);
    let valid = profiles
        .iter()
        .filter(|p| load::parse(p, "x").is_ok())
        .count();
    assert!(valid > 250, "only {valid} mixed profiles are valid");
    let stats = compare(&root().join("rules"), &profiles);
    // Both paths were taken: some answers from memory, some from runs.
    assert!(stats.hits > 0 && stats.misses > 0, "{stats:?}");
}

/// Rules that use every way of observing a profile: reading, printing a fact, its
/// certainty, naming evidence, and consulting another rule (and a composite).
const OBSERVERS: &[(&str, &str)] = &[
    (
        "printer",
        r#"const RULE = #{ id: "printer", title: "t", description: "d", weight: 1, tags: [],
            source: #{ ref: "preface", quote: "x" } };
        fn evaluate(profile) {
            let d = profile.defection;
            if d == () { return unknown("no defection"); }
            print(`defection: ${d}`);
            debug(d.place);
            yes(`at ${d.place}`)
        }"#,
    ),
    (
        "certain",
        r#"const RULE = #{ id: "certain", title: "t", description: "d", weight: 2, tags: [],
            source: #{ ref: "preface", quote: "x" } };
        fn evaluate(profile) {
            let fs = profile.fears;
            if fs == () { return unknown("silent"); }
            if fs.is_empty() { return no("none"); }
            let c = fs.map(|f| certainty(f));
            let named = fs.filter(|f| certainty(f) == "stated");
            if named.is_empty() { return unknown(join(fs, " | "), fs); }
            yes(`${named.len()} of ${fs.len()} stated: ${c}`, named)
        }"#,
    ),
    (
        "composite",
        r#"const RULE = #{ id: "composite", title: "t", description: "d", weight: 3, tags: [],
            source: #{ ref: "preface", quote: "x" }, uses: ["certain", "printer"] };
        fn evaluate(profile) {
            let a = rule("certain");
            let b = rule("printer");
            let r = profile.recalls;
            let n = if r == () { -1 } else { r.len() };
            let v = kleene_and([a, b]);
            let w = kleene_or([a, b]);
            switch v { "yes" => yes(`${w} ${n}`), "no" => no(`${w} ${n}`), _ => unknown(`${w} ${n}`) }
        }"#,
    ),
    (
        // A composite of a composite: what `composite` rested on comes through it.
        "outer",
        r#"const RULE = #{ id: "outer", title: "t", description: "d", weight: 1, tags: [],
            source: #{ ref: "preface", quote: "x" }, uses: ["composite", "certain"] };
        fn evaluate(profile) {
            let a = rule("composite");
            let b = rule("certain");
            let m = profile.marital_status;
            switch a { "yes" => yes(b), "no" => no(b), _ => unknown(`${b} ${m == ()}`) }
        }"#,
    ),
];

#[test]
fn remembered_answers_are_exact_for_every_kind_of_observation() {
    let dir = tempfile::tempdir().unwrap();
    for (id, text) in OBSERVERS {
        std::fs::write(dir.path().join(format!("{id}.rhai")), text).unwrap();
    }
    // Mixed profiles take each field whole from one case, so facts that agree on one
    // thing mostly agree on all. Copies of the cases that change one thing at a time
    // make each kind of observation the only one that tells two profiles apart.
    let mut profiles = mixed_profiles(200);
    for (n, text) in profiles.clone().iter().take(20).enumerate() {
        let case: Value = serde_json::from_str(text).unwrap();
        // Each fear's certainty changed: only `certainty(fact)` sees it.
        let mut p = case.clone();
        if let Some(fears) = p["fears"].as_array_mut() {
            for (i, f) in fears.iter_mut().enumerate() {
                let c = ["stated", "claimed", "presumed", "reported"][(n + i) % 4];
                f["certainty"] = Value::from(c);
            }
        }
        // The defection's date changed: only its printed JSON shows it.
        if p["defection"].is_object() {
            p["defection"]["date"] = Value::from("1950");
        }
        p["id"] = Value::from(format!("changed-{n}"));
        profiles.push(p.to_string());
        // No fears at all: a component's verdict changes, the composite's reads do not.
        let mut p = case;
        p.as_object_mut().unwrap().remove("fears");
        p["id"] = Value::from(format!("fearless-{n}"));
        profiles.push(p.to_string());
    }
    let stats = compare(dir.path(), &profiles);
    assert!(stats.hits > 0 && stats.misses > 0, "{stats:?}");
}

#[test]
fn a_remembered_answer_shows_the_evidence_of_the_profile_at_hand() {
    let scorer = Scorer::new(Some(&root().join("rules")), Limits::default())
        .unwrap()
        .select(&|e| e.id() == "under_recall");
    let petrov: Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("fixtures/cases/20-petrov.json")).unwrap(),
    )
    .unwrap();
    let mut other = petrov.clone();
    other["id"] = Value::from("other");
    // Same facts, another citation: the rule observes nothing different.
    let quote = "In March, 1954, he received word";
    let cited = other["recalls"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|r| r["source"]["quote"].as_str().unwrap().contains(quote))
        .unwrap();
    cited["source"]["ref"] = Value::from("section II");
    let first = scorer.score(&load::parse(&petrov.to_string(), "a").unwrap(), "a");
    let second = scorer.score(&load::parse(&other.to_string(), "b").unwrap(), "b");
    assert_eq!(scorer.memo_stats().unwrap().hits, 1);
    let refs = |s: &casematch::finding::Scored| -> Vec<String> {
        s.findings[0]
            .evidence
            .iter()
            .map(|e| e.source.as_ref().unwrap().reference.to_string())
            .collect()
    };
    assert_eq!(first.findings[0].reason, second.findings[0].reason);
    assert!(refs(&first).contains(&"appendix: Petrov".to_string()));
    assert!(
        refs(&second).contains(&"section II".to_string()),
        "{:?}",
        refs(&second)
    );
}

#[test]
fn a_view_is_the_profile_json_without_the_fields_left_out() {
    let profiles: Vec<casematch::load::Loaded> = mixed_profiles(60)
        .iter()
        .filter_map(|t| load::parse(t, "x").ok())
        .collect();
    let single = (0..FIELDS.len()).map(|i| Fields::from_bits(1 << i));
    let masks: Vec<Fields> = single
        .chain([
            Fields::NONE,
            Fields::ALL,
            Fields::from_bits(0b1010_1100_0011_0101),
        ])
        .collect();
    for loaded in &profiles {
        let whole = serde_json::to_value(&loaded.profile).unwrap();
        assert_eq!(**loaded.value(), whole);
        for &mask in &masks {
            check_view(&loaded.profile, mask).unwrap();
        }
    }
}

/// A renderer keeps each rule's finding head (id, title, weight) from profile to
/// profile, by rule index: handed another scorer, whose rules sit at other indices, it
/// must write that scorer's rules, never the heads it kept.
#[test]
fn one_renderer_writes_each_scorers_own_rules() {
    let dir = root().join("rules");
    let all = Scorer::new(Some(&dir), Limits::default()).unwrap();
    let first = all.rules().entries[0].id().to_string();
    // Without the first rule, every other rule moves down an index.
    let fewer = Scorer::new(Some(&dir), Limits::default())
        .unwrap()
        .select(&|e| e.id() != first);
    let profiles: Vec<String> = mixed_profiles(40)
        .into_iter()
        .filter(|p| load::parse(p, "x").is_ok())
        .collect();
    let mut ndjson = Ndjson::default();
    // Twice round, so that the second answers come from memory and use the heads.
    for pass in 0..2 {
        for (i, text) in profiles.iter().enumerate() {
            for scorer in [&all, &fewer, &all] {
                let loaded = load::parse(text, "x").unwrap();
                let mut line = Vec::new();
                ndjson.score_into(&mut line, scorer, &loaded, "x");
                let built = serde_json::to_string(&scorer.score(&loaded, "x")).unwrap() + "\n";
                assert_eq!(
                    String::from_utf8(line).unwrap(),
                    built,
                    "pass {pass}, profile {i}"
                );
            }
        }
    }
}
