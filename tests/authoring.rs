//! The rule author's loop: diagnostics that point at the line (snapshots of the
//! rendered output for each broken-rule fixture), `rules check / test / new`,
//! `explain`, and the generated completions and manual page.

use std::path::Path;
use std::process::Command;

use casematch::diagnostic::{render, Diagnostic, Style};
use casematch::engine::Limits;
use casematch::evaluate::Scorer;
use casematch::lint;
use serde_json::Value;

use crate::support::root;

fn casematch_in(dir: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_casematch"));
    c.current_dir(dir);
    c
}

fn run_in(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let out = casematch_in(dir).args(args).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

fn run(args: &[&str]) -> (i32, String, String) {
    run_in(&root(), args)
}

/// `rules check` on one fixture folder, as diagnostics (paths relative to the root).
fn check(folder: &str) -> Vec<Diagnostic> {
    let dir = Path::new("fixtures/broken-rules").join(folder);
    let scorer = Scorer::new(Some(&dir), Limits::default()).unwrap();
    lint::check(&scorer, &lint::historical_cases())
}

/// The diagnostics as a terminal shows them, at a fixed width and without colour.
fn rendered(diagnostics: &[Diagnostic]) -> String {
    let style = Style {
        width: 80,
        color: false,
    };
    diagnostics.iter().map(|d| render(d, style)).collect()
}

fn at(d: &Diagnostic) -> (&str, &str, Option<usize>, Option<usize>) {
    (d.code.as_str(), d.file.as_str(), d.line, d.column)
}

#[test]
fn a_syntax_error_is_shown_at_its_line_and_column() {
    let ds = check("syntax");
    assert_eq!(ds.len(), 1);
    assert_eq!(
        at(&ds[0]),
        (
            "rule::syntax",
            "fixtures/broken-rules/syntax/unclosed_call.rhai",
            Some(12),
            Some(62)
        )
    );
    insta::assert_snapshot!(rendered(&ds));
}

#[test]
fn a_runtime_type_error_is_shown_at_its_line_and_column() {
    let ds = check("runtime-type");
    assert_eq!(ds.len(), 1);
    assert_eq!(
        at(&ds[0]),
        (
            "rule::runtime",
            "fixtures/broken-rules/runtime-type/date_arithmetic.rhai",
            Some(16),
            Some(24)
        )
    );
    assert!(ds[0]
        .message
        .contains("`*` cannot take a string and a number"));
    insta::assert_snapshot!(rendered(&ds));
}

#[test]
fn missing_metadata_is_shown_where_it_belongs() {
    let ds = check("missing-metadata");
    let got: Vec<_> = ds.iter().map(at).collect();
    assert_eq!(
        got,
        [
            (
                "rule::metadata",
                "fixtures/broken-rules/missing-metadata/no_description.rhai",
                Some(2),
                Some(1)
            ),
            (
                "rule::metadata",
                "fixtures/broken-rules/missing-metadata/no_metadata.rhai",
                None,
                None
            ),
            (
                "rule::metadata",
                "fixtures/broken-rules/missing-metadata/weight_fraction.rhai",
                Some(6),
                Some(13)
            ),
        ]
    );
    assert_eq!(
        ds[0].message,
        "invalid metadata: missing field `description`"
    );
    insta::assert_snapshot!(rendered(&ds));
}

#[test]
fn a_duplicate_id_points_at_the_copy() {
    let ds = check("duplicate-id");
    assert_eq!(ds.len(), 1, "the original still loads");
    assert_eq!(
        at(&ds[0]),
        (
            "rule::duplicate-id",
            "fixtures/broken-rules/duplicate-id/recalled_copy.rhai",
            Some(3),
            Some(9)
        )
    );
    insta::assert_snapshot!(rendered(&ds));
}

#[test]
fn a_cycle_is_shown_in_each_rule_it_runs_through() {
    let ds = check("cycle");
    let got: Vec<_> = ds.iter().map(at).collect();
    assert_eq!(
        got,
        [
            (
                "rule::cycle",
                "fixtures/broken-rules/cycle/pressed.rhai",
                Some(8),
                Some(12)
            ),
            (
                "rule::cycle",
                "fixtures/broken-rules/cycle/worried.rhai",
                Some(9),
                Some(9)
            ),
        ]
    );
    assert!(ds[0]
        .message
        .ends_with("`pressed` -> `worried` -> `pressed`"));
    insta::assert_snapshot!(rendered(&ds));
}

#[test]
fn a_misspelt_path_is_shown_at_the_word() {
    let ds = check("misspelled-path");
    let got: Vec<_> = ds.iter().map(at).collect();
    let file = "fixtures/broken-rules/misspelled-path/recall_typos.rhai";
    assert_eq!(
        got,
        [
            ("lint::unknown-field", file, Some(15), Some(27)),
            ("lint::unknown-field", file, Some(18), Some(16)),
        ]
    );
    assert_eq!(
        ds[0].message,
        "`stauts` is not a field of `/recalls/*` (did you mean `status`?)"
    );
    assert_eq!(
        ds[1].message,
        "`recal` is not a field of a profile (did you mean `recalls`?)"
    );
    insta::assert_snapshot!(rendered(&ds));
}

#[test]
fn check_gives_the_same_diagnostics_as_json_and_fails() {
    let (code, out, _) = run(&[
        "rules",
        "check",
        "--format",
        "json",
        "--rules",
        "fixtures/broken-rules/misspelled-path",
    ]);
    assert_eq!(code, 1);
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["rules"], 1);
    assert_eq!(v["errors"], 2);
    assert_eq!(v["warnings"], 0);
    let d = &v["diagnostics"][1];
    assert_eq!(d["severity"], "error");
    assert_eq!(d["code"], "lint::unknown-field");
    assert_eq!(d["rule"], "recall_typos");
    assert_eq!(
        d["file"],
        "fixtures/broken-rules/misspelled-path/recall_typos.rhai"
    );
    assert_eq!(
        (d["line"].as_u64(), d["column"].as_u64()),
        (Some(18), Some(16))
    );
}

#[test]
fn check_of_a_folder_that_does_not_exist_is_a_usage_error() {
    let (code, _, err) = run(&["rules", "check", "--rules", "no/such/folder"]);
    assert_eq!(code, 2);
    assert!(err.contains("cannot read `no/such/folder`"), "{err}");
}

#[test]
fn the_shipped_rules_pass_check_and_test() {
    let (code, out, _) = run(&["rules", "check"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.ends_with(": 0 errors, 0 warnings\n"), "{out}");

    let (code, out, _) = run(&["rules", "test", "--format", "json"]);
    assert_eq!(code, 0, "{out}");
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["failed"], 0);
    let rules = v["coverage"].as_array().unwrap().len();
    // Every shipped rule has an expectation on every one of the 20 cases.
    assert_eq!(v["passed"].as_u64(), Some(20 * rules as u64));
    assert_eq!(v["diagnostics"], Value::Array(vec![]));
    let recall = v["coverage"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["rule"] == "under_recall")
        .unwrap();
    assert_eq!(
        (&recall["yes"], &recall["no"], &recall["unknown"]),
        (&Value::from(14), &Value::from(2), &Value::from(4))
    );
}

#[test]
fn every_shipped_rule_expects_a_verdict_on_every_case() {
    let cases: Vec<String> = lint::historical_cases().into_iter().map(|c| c.id).collect();
    assert_eq!(cases.len(), 20);
    for rule in crate::support::shipped().rules().ready() {
        let keys: Vec<&String> = rule.meta.expect.keys().collect();
        let mut want: Vec<&String> = cases.iter().collect();
        want.sort();
        assert_eq!(keys, want, "`{}`", rule.meta.id);
    }
}

#[test]
fn a_new_rule_passes_check_and_test_as_written() {
    let dir = tempfile::tempdir().unwrap();
    let (code, out, err) = run_in(dir.path(), &["rules", "new", "x", "--rules", "r"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("wrote `r/x.rhai`"), "{out}");
    let text = std::fs::read_to_string(dir.path().join("r/x.rhai")).unwrap();
    assert!(text.contains("id: \"x\","), "{text}");
    assert!(text.contains("expect: #{ petrov: \"yes\" }"), "{text}");

    let (code, out, _) = run_in(dir.path(), &["rules", "check", "--rules", "r"]);
    assert_eq!(code, 0, "{out}");
    assert_eq!(out, "checked 1 rule: 0 errors, 0 warnings\n");

    let (code, out, _) = run_in(dir.path(), &["rules", "test", "--rules", "r"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.starts_with("pass  x on petrov: yes\n"), "{out}");
    assert!(out.ends_with("1 passed, 0 failed\n"), "{out}");

    // A second `new` of the same name would overwrite work: refused.
    let (code, _, err) = run_in(dir.path(), &["rules", "new", "x", "--rules", "r"]);
    assert_eq!(code, 2);
    assert!(err.contains("`r/x.rhai` already exists"), "{err}");
    let (code, _, err) = run_in(dir.path(), &["rules", "new", "Bad-Name", "--rules", "r"]);
    assert_eq!(code, 2);
    assert!(err.contains("`Bad-Name` is not a valid rule id"), "{err}");
}

const SILENT_NO: &str = r#"const RULE = #{
    id: "silent_no",
    title: "Silent no",
    description: "Answers no from silence, on purpose.",
    weight: 1,
    source: #{ ref: "section II", quote: "nor was he under recall" },
    expect: #{ petrov: "no", kravchenko: "no", petrof: "yes" },
};

fn evaluate(profile) {
    let recalls = profile.recalls;
    if recalls != () && recalls.some(|r| r.status == "in_force") {
        return yes("recalled", recalls.filter(|r| r.status == "in_force"));
    }
    no("not recalled")
}
"#;

const SAMPLES: &str = r#"[
  {"name": "recall in force", "expect": "yes",
   "profile": {"id": "s1", "name": "Sample",
               "recalls": [{"status": "in_force", "source": {"ref": "section II", "quote": "q"}}]}},
  {"name": "silent", "expect": "unknown", "profile": {"id": "s2", "name": "Sample"}}
]
"#;

#[test]
fn a_no_from_silence_is_a_warning_naming_rule_and_case() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("silent_no.rhai"), SILENT_NO).unwrap();
    let (code, out, _) = run_in(
        dir.path(),
        &["rules", "check", "--rules", ".", "-f", "json"],
    );
    assert_eq!(code, 0, "warnings do not fail: {out}");
    let v: Value = serde_json::from_str(&out).unwrap();
    let ds = v["diagnostics"].as_array().unwrap();
    assert_eq!(ds.len(), 1, "{out}");
    assert_eq!(ds[0]["code"], "lint::no-from-unknown");
    assert_eq!(ds[0]["severity"], "warning");
    assert_eq!(ds[0]["line"], 15, "the `no(` it answers with");
    assert_eq!(
        ds[0]["message"],
        "`silent_no` answers `no` when the facts it read are unknown: on `bessedovsky` \
         without `recalls`; `krivitsky` without `recalls`; `barmine` without `recalls`; 14 more"
    );
}

#[test]
fn a_failed_expectation_shows_verdict_reason_and_evidence() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("silent_no.rhai"), SILENT_NO).unwrap();
    std::fs::write(dir.path().join("silent_no.samples.json"), SAMPLES).unwrap();
    let (code, out, _) = run_in(dir.path(), &["rules", "test", "--rules", "."]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("FAIL  silent_no on petrov: expected no, got yes\n"),
        "{out}"
    );
    assert!(out.contains("pass  silent_no on kravchenko: no\n"), "{out}");
    assert!(
        out.contains("pass  silent_no on sample \"recall in force\": yes\n"),
        "{out}"
    );
    assert!(
        out.contains("FAIL  silent_no on sample \"silent\": expected unknown, got no\n"),
        "{out}"
    );
    assert!(
        out.ends_with("2 passed, 2 failed, 1 other error\n"),
        "{out}"
    );

    let (code, out, _) = run_in(dir.path(), &["rules", "test", "--rules", ".", "-f", "json"]);
    assert_eq!(code, 1);
    let v: Value = serde_json::from_str(&out).unwrap();
    let petrov = v["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["on"] == "petrov")
        .unwrap();
    assert_eq!(petrov["expected"], "no");
    assert_eq!(petrov["actual"], "yes");
    assert_eq!(petrov["reason"], "recalled");
    assert_eq!(petrov["evidence"][0]["path"], "/recalls/1");
    let codes: Vec<(&str, u64)> = v["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| (d["code"].as_str().unwrap(), d["line"].as_u64().unwrap()))
        .collect();
    assert_eq!(
        codes,
        [
            ("test::failed", 7),
            ("test::unknown-case", 7),
            ("test::failed", 5)
        ]
    );
    let unknown = &v["diagnostics"][1];
    assert_eq!(
        unknown["message"],
        "`expect` names `petrof`, which is not a historical case (did you mean `petrov`?)"
    );
    assert_eq!(v["diagnostics"][2]["file"], "./silent_no.samples.json");
}

#[test]
fn a_bad_sample_profile_is_placed_by_file_line_and_path() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("silent_no.rhai"), SILENT_NO).unwrap();
    let bad = SAMPLES.replace("\"in_force\"", "\"in force\"");
    std::fs::write(dir.path().join("silent_no.samples.json"), bad).unwrap();
    let (code, out, _) = run_in(dir.path(), &["rules", "check", "--rules", "."]);
    assert_eq!(code, 1, "{out}");
    let (_, json, _) = run_in(
        dir.path(),
        &["rules", "check", "--rules", ".", "-f", "json"],
    );
    let v: Value = serde_json::from_str(&json).unwrap();
    let d = v["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["code"] == "samples::invalid")
        .unwrap();
    assert_eq!(d["path"], "/0/profile/recalls/0/status");
    assert_eq!(d["line"], 4);
    assert!(d["message"]
        .as_str()
        .unwrap()
        .starts_with("unknown variant `in force`"));
    assert!(out.contains("[./silent_no.samples.json:4:"), "{out}");
}

#[test]
fn explain_shows_reads_output_and_verdict() {
    let (code, out, err) = run(&["explain", "under_recall", "fixtures/cases/20-petrov.json"]);
    assert_eq!(code, 0, "{err}");
    insta::assert_snapshot!(out);

    let (code, out, _) = run(&[
        "explain",
        "recall_and_fear",
        "fixtures/cases/08-kravchenko.json",
        "-f",
        "json",
    ]);
    assert_eq!(code, 0);
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["verdict"], "no");
    assert_eq!(v["profile"]["id"], "kravchenko");
    assert_eq!(
        v["consulted"],
        serde_json::json!([
            {"rule": "under_recall", "verdict": "no"},
            {"rule": "fear_for_personal_safety", "verdict": "yes"}
        ])
    );
    assert_eq!(
        v["reads"],
        Value::Array(vec![]),
        "a composite reads through its parts"
    );
}

#[test]
fn explain_names_what_is_wrong() {
    let (code, _, err) = run(&["explain", "under_recal", "fixtures/cases/20-petrov.json"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("no rule `under_recal` (did you mean `under_recall`?)"),
        "{err}"
    );
    let (code, _, err) = run(&["explain", "under_recall", "fixtures/invalid/bad-enum.json"]);
    assert_eq!(code, 2);
    assert!(err.contains("[fixtures/invalid/bad-enum.json:"), "{err}");
    assert!(err.contains("profile::invalid"), "{err}");
}

#[test]
fn completions_and_man_page_come_from_the_cli() {
    let (code, out, _) = run(&["completions", "bash"]);
    assert_eq!(code, 0);
    assert!(out.contains("_casematch()"), "a bash function");
    for word in ["score", "rules", "explain", "--rules", "--max-operations"] {
        assert!(out.contains(word), "bash completion lacks `{word}`");
    }
    let (code, out, _) = run(&["completions", "zsh"]);
    assert_eq!(code, 0);
    assert!(
        out.starts_with("#compdef casematch"),
        "{}",
        &out[..40.min(out.len())]
    );

    let (code, out, _) = run(&["man"]);
    assert_eq!(code, 0);
    assert!(out.contains(".TH casematch"), "a roff title");
    assert!(
        out.contains("Exit codes"),
        "the exit codes are in the manual"
    );
    assert!(out.contains("explain"), "subcommands are listed");
}
