//! Shared helpers for the integration tests.

use std::path::{Path, PathBuf};

use casematch::engine::Limits;
use casematch::evaluate::Scorer;
use casematch::finding::{Finding, Report, Scored};
use casematch::input::{documents, resolve};
use casematch::verdict::Verdict;
use casematch::view::{self, Fields, Root, View};

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn case_files() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(root().join("fixtures/cases"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    files
}

/// The shipped rules, loaded once from the repository's `rules/` folder.
pub fn shipped() -> &'static Scorer {
    static SCORER: std::sync::OnceLock<Scorer> = std::sync::OnceLock::new();
    SCORER.get_or_init(|| Scorer::new(Some(&root().join("rules")), Limits::default()).unwrap())
}

/// Scores every path with `scorer`.
pub fn score_paths(scorer: &Scorer, paths: &[&Path]) -> Vec<Report> {
    let paths: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
    documents(resolve(&paths))
        .map(|d| scorer.score_document(d))
        .collect()
}

/// The 20 historical cases, scored with the shipped rules.
pub fn history() -> Vec<Scored> {
    score_history(shipped())
}

/// The 20 historical cases, scored with `scorer`.
pub fn score_history(scorer: &Scorer) -> Vec<Scored> {
    case_files()
        .iter()
        .map(|p| match score_paths(scorer, &[p]).remove(0) {
            Report::Scored(s) => s,
            Report::Failed(f) => panic!("{} failed: {}", f.source, f.error),
        })
        .collect()
}

pub fn finding<'a>(s: &'a Scored, rule: &str) -> &'a Finding {
    s.findings
        .iter()
        .find(|f| f.rule == rule)
        .unwrap_or_else(|| panic!("no finding for `{rule}` on {}", s.id))
}

pub fn verdict(s: &Scored, rule: &str) -> Verdict {
    finding(s, rule).verdict
}

/// Runs the casematch binary in the repository root: exit code, stdout, stderr.
pub fn run_binary(args: &[&str]) -> (i32, String, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_casematch"))
        .current_dir(root())
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().expect("exited, not killed"),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

/// The 20 cases, then `n` profiles each made of fields taken from different cases, so
/// that rules meet both repeated and new combinations of facts.
pub fn mixed_profiles(n: usize) -> Vec<String> {
    let cases: Vec<serde_json::Value> = case_files()
        .iter()
        .map(|p| serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap())
        .collect();
    let keys: Vec<String> = {
        let mut keys: Vec<String> = cases
            .iter()
            .flat_map(|c| c.as_object().unwrap().keys().cloned())
            .collect();
        keys.sort();
        keys.dedup();
        keys
    };
    let mut out: Vec<String> = cases.iter().map(serde_json::Value::to_string).collect();
    for i in 0..n {
        let mut p = serde_json::Map::new();
        p.insert("id".into(), serde_json::Value::from(format!("mixed-{i}")));
        p.insert("name".into(), serde_json::Value::from(format!("Mixed {i}")));
        for (k, key) in keys.iter().enumerate() {
            if key == "id" || key == "name" {
                continue;
            }
            // A deterministic spread: each field from its own case.
            let from = &cases[(i * 7 + k * 13 + i * k) % cases.len()];
            if let Some(v) = from.get(key) {
                p.insert(key.clone(), v.clone());
            }
        }
        out.push(serde_json::Value::Object(p).to_string());
    }
    out
}

/// Checks a view of `profile` with `fields`: its JSON is the profile's without the
/// other fields, and an indexed root of it finds what a search of it finds, field by
/// field. Says what differs, if anything.
pub fn check_view(profile: &casematch::Profile, fields: Fields) -> Result<(), String> {
    let mut expected = serde_json::to_value(profile).unwrap();
    expected
        .as_object_mut()
        .unwrap()
        .retain(|k, _| fields.contains(Fields::at(std::iter::once(k.as_str()))));
    let got = view::json(profile, fields);
    if got != expected {
        return Err(format!("{fields:?}: {got} instead of {expected}"));
    }
    let v = View::of(profile, fields);
    if v.fields() != fields || *v.root() != expected {
        return Err(format!("{fields:?}: the view holds {:?}", v.fields()));
    }
    let root = Root::indexed(v.root());
    for (i, name) in view::FIELDS.iter().enumerate() {
        if root.top(i) != expected.get(name) {
            return Err(format!("{fields:?}: the index finds another {name}"));
        }
    }
    Ok(())
}
