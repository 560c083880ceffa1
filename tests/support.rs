//! Shared helpers for the integration tests.

use std::path::{Path, PathBuf};

use casematch::engine::Limits;
use casematch::evaluate::Scorer;
use casematch::finding::{Finding, Report, Scored};
use casematch::input::{documents, resolve};
use casematch::verdict::Verdict;

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
