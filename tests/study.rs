//! The study's own findings, as plain assertions on the encoded cases and the shipped
//! rules; and the fidelity of every citation to the study's text.

use std::collections::BTreeMap;

use casematch::verdict::Verdict::{self, *};
use serde_json::Value;

use crate::support::{case_files, history, root, verdict};

/// The study's order, as the appendix lists the sketches.
const ORDER: [&str; 20] = [
    "bessedovsky",
    "agabekov",
    "krivitsky",
    "barmine",
    "orlov",
    "helfand",
    "akhmedov",
    "kravchenko",
    "gouzenko",
    "koriakov",
    "alexeev",
    "sharandak",
    "tokaev",
    "kasenkina",
    "samarin",
    "vassiliev",
    "rastvorov",
    "skochkov",
    "derjabin",
    "petrov",
];

#[test]
fn the_twenty_cases_are_named_in_the_studys_order() {
    let files = case_files();
    assert_eq!(files.len(), 20);
    for (i, (file, id)) in files.iter().zip(ORDER).enumerate() {
        let name = file.file_name().unwrap().to_string_lossy();
        assert_eq!(name, format!("{:02}-{id}.json", i + 1));
        let v: Value = serde_json::from_str(&std::fs::read_to_string(file).unwrap()).unwrap();
        assert_eq!(v["id"], id, "{name}");
    }
}

#[test]
fn recall_and_fear_in_14_of_20() {
    // Section II: "In 14 of the 20 cases here studied the defection was primarily
    // brought about by a combination of two elements: fear for personal safety [and]
    // recall to Russia." The 13 it goes on to describe, and Helfand (appendix: he
    // "told the American Ambassador in Rome that he was being recalled to Moscow, that
    // he felt certain that he would be liquidated").
    let expected = [
        "bessedovsky",
        "krivitsky",
        "barmine",
        "orlov",
        "helfand",
        "akhmedov",
        "gouzenko",
        "koriakov",
        "alexeev",
        "tokaev",
        "kasenkina",
        "samarin",
        "rastvorov",
        "petrov",
    ];
    let yes: Vec<String> = history()
        .iter()
        .filter(|s| verdict(s, "recall_and_fear") == Yes)
        .map(|s| s.id.clone())
        .collect();
    assert_eq!(yes, expected);
}

#[test]
fn kravchenko_and_vassiliev_neither_recalled_nor_in_trouble() {
    // Section II: the possible ideological exceptions.
    for s in history()
        .iter()
        .filter(|s| ["kravchenko", "vassiliev"].contains(&s.id.as_str()))
    {
        assert_eq!(verdict(s, "under_recall"), No, "{}", s.id);
        assert_eq!(verdict(s, "under_suspicion"), No, "{}", s.id);
        assert_eq!(verdict(s, "recall_and_fear"), No, "{}", s.id);
    }
}

#[test]
fn the_three_exceptions_had_immediate_family_in_the_ussr() {
    // Section III: "the three apparent exceptions to the general rule, Barmine,
    // Kravchenko, and Rastvorov."
    let cases = history();
    for id in ["barmine", "kravchenko", "rastvorov"] {
        let s = cases.iter().find(|s| s.id == id).unwrap();
        assert_eq!(verdict(s, "immediate_family_abroad"), No, "{id}");
    }
    // And no one else is known to have left wife or children behind.
    let others: Vec<&str> = cases
        .iter()
        .filter(|s| verdict(s, "immediate_family_abroad") == No)
        .map(|s| s.id.as_str())
        .filter(|id| !["barmine", "kravchenko", "rastvorov"].contains(id))
        .collect();
    // Those remaining "no" answers must be people with no immediate family at all.
    for id in others {
        let s = cases.iter().find(|s| s.id == id).unwrap();
        let reason = &crate::support::finding(s, "immediate_family_abroad").reason;
        assert!(
            reason.starts_with("single") || reason.starts_with("no living"),
            "{id}: {reason}"
        );
    }
}

#[test]
fn immediate_family_outside_the_ussr_within_the_studys_bounds() {
    // Section III: "Of these 14, 11 were outside the USSR". The encoded cases cannot
    // place every family, so the figure must lie between the yes count and yes+unknown.
    let counts = counts("immediate_family_abroad");
    let (yes, unknown) = (counts[&Yes], counts[&Unknown]);
    assert!(yes <= 11 && 11 <= yes + unknown, "{counts:?}");
}

fn counts(rule: &str) -> BTreeMap<Verdict, usize> {
    let mut out: BTreeMap<Verdict, usize> = Verdict::ALL.iter().map(|v| (*v, 0)).collect();
    for s in history() {
        *out.get_mut(&verdict(&s, rule)).unwrap() += 1;
    }
    out
}

#[test]
fn no_shipped_rule_fails_on_history() {
    for s in history() {
        for f in &s.findings {
            assert_ne!(f.verdict, Error, "{} on {}: {}", f.rule, s.id, f.reason);
        }
    }
}

/// The study's text split into the parts a citation may name.
fn parts() -> BTreeMap<String, String> {
    let text = std::fs::read_to_string(root().join("fixtures/study.txt")).unwrap();
    let fold = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
    // Headings in order of appearance after the table of contents.
    let mut marks: Vec<(&str, String)> = vec![
        ("PREFACE\n", "preface".into()),
        ("SUMMARY AND CONCLUSIONS\n", "summary".into()),
        ("\nConclusions\n", "conclusions".into()),
        ("I. FEAR AS AN ELEMENT", "section I".into()),
        ("II. IMMEDIATE CAUSES", "section II".into()),
        ("III. FAMILY CONSIDERATIONS", "section III".into()),
        ("IV. PERSONALITY FACTORS", "section IV".into()),
        ("V. SIGNIFICANT ACTIVITIES", "section V".into()),
        ("VI. FINAL CONSIDERATIONS", "section VI".into()),
        ("APPENDIX\n", "appendix".into()),
    ];
    let sketches = [
        ("GREGORY BESSEDOVSKY", "Bessedovsky"),
        ("GEORGES AGABEKOV", "Agabekov"),
        ("WALTER G. KRIVITSKY", "Krivitsky"),
        ("ALEXANDER BARMINE", "Barmine"),
        ("ALEXANDER ORLOV", "Orlov"),
        ("LEON HELFAND", "Helfand"),
        ("ISMAIL AKHMEDOV", "Akhmedov"),
        ("VICTOR A. KRAVCHENKO", "Kravchenko"),
        ("IGOR S. GOUZENKO", "Gouzenko"),
        ("MIKHAIL M. KORIAKOV", "Koriakov"),
        ("KIRILL M. ALEXEEV", "Alexeev"),
        ("VASILY M. SHARANDAK", "Sharandak"),
        ("GRIGORII A. TOKAEV", "Tokaev"),
        ("OKSANA S. KASENKINA", "Kasenkina"),
        ("MIKHAIL I. SAMARIN", "Samarin"),
        ("LEV M. VASSILIEV", "Vassiliev"),
        ("YURI A. RASTVOROV", "Rastvorov"),
        ("ANATOLI I. SKOCHKOV", "Skochkov"),
        ("PETR S. DERJABIN", "Derjabin"),
        ("VLADIMIR M. PETROV", "Petrov"),
    ];
    for (heading, name) in sketches {
        marks.push((heading, format!("appendix: {name}")));
    }
    marks.push(("SOURCES\n", "sources".into()));
    // Skip the table of contents: the body starts at the preface's first sentence.
    let mut at = text.find("PREFACE\n\nEspionage").expect("preface");
    let mut starts = Vec::new();
    for (heading, key) in &marks {
        let i = at
            + text[at..]
                .find(heading)
                .unwrap_or_else(|| panic!("heading {heading}"));
        starts.push((i, key.clone()));
        at = i + heading.len();
    }
    let mut out = BTreeMap::new();
    for (n, (i, key)) in starts.iter().enumerate() {
        let end = starts.get(n + 1).map(|s| s.0).unwrap_or(text.len());
        out.insert(key.clone(), fold(&text[*i..end]));
    }
    // The summary's conclusions belong to both names.
    let both = format!("{} {}", out["summary"], out["conclusions"]);
    out.insert("summary".into(), both);
    out
}

fn citations(v: &Value, at: String, out: &mut Vec<(String, String, String)>) {
    match v {
        Value::Object(m) => {
            if let (Some(Value::String(r)), Some(Value::String(q))) = (m.get("ref"), m.get("quote"))
            {
                out.push((at.clone(), r.clone(), q.clone()));
            }
            for (k, x) in m {
                citations(x, format!("{at}/{k}"), out);
            }
        }
        Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                citations(x, format!("{at}/{i}"), out);
            }
        }
        _ => {}
    }
}

#[test]
fn every_quote_is_verbatim_in_the_part_it_cites() {
    let parts = parts();
    let fold = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut all = Vec::new();
    for file in case_files() {
        let v: Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
        let name = file.file_name().unwrap().to_string_lossy().into_owned();
        citations(&v, name, &mut all);
    }
    for rule in std::fs::read_dir(root().join("rules")).unwrap() {
        let path = rule.unwrap().path();
        if path.extension().is_none_or(|e| e != "rhai") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        // `source: #{ ref: "...", quote: "..." }` in the metadata.
        let r = text
            .split("ref: \"")
            .nth(1)
            .and_then(|s| s.split('"').next())
            .unwrap();
        let q = text
            .split("quote: \"")
            .nth(1)
            .and_then(|s| s.split("\" }").next())
            .unwrap();
        all.push((path.display().to_string(), r.to_string(), q.to_string()));
    }
    assert!(all.len() > 200, "only {} citations found", all.len());
    let bad: Vec<String> = all
        .iter()
        .filter(|(_, r, q)| !parts.get(r.as_str()).is_some_and(|p| p.contains(&fold(q))))
        .map(|(at, r, q)| format!("{at}: not in `{r}`: {q}"))
        .collect();
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}
