//! The command line as a user meets it: output, errors and exit codes.

use std::process::Command;

use casematch::finding::Report;
use insta_cmd::{assert_cmd_snapshot, get_cargo_bin};
use serde_json::Value;

use crate::support::root;

fn casematch() -> Command {
    let mut c = Command::new(get_cargo_bin("casematch"));
    c.current_dir(root());
    c
}

use crate::support::run_binary as run;

#[test]
fn score_table_of_one_case() {
    // The summary on stderr carries a time: it is checked in tests/batch.rs.
    assert_cmd_snapshot!(casematch().args(["score", "--quiet", "fixtures/cases/20-petrov.json"]));
}

#[test]
fn score_table_fits_80_columns() {
    let (code, out, _) = run(&["score"]);
    assert_eq!(code, 0);
    for line in out.lines() {
        assert!(line.chars().count() <= 80, "too wide: {line}");
    }
    // All 20 embedded cases, in the study's order.
    let ids: Vec<&str> = out
        .lines()
        .filter(|l| l.contains(" - ") && l.contains("(<embedded>/cases/"))
        .map(|l| l.split(" - ").next().unwrap())
        .collect();
    assert_eq!(ids.len(), 20);
    assert_eq!((ids[0], ids[19]), ("bessedovsky", "petrov"));
}

#[test]
fn score_json_has_the_documented_shape() {
    let (code, out, err) = run(&["score", "--format", "json", "fixtures/cases/"]);
    assert_eq!(code, 0, "{err}");
    let reports: Vec<Report> = serde_json::from_str(&out).unwrap();
    assert_eq!(reports.len(), 20);
    let Report::Scored(petrov) = &reports[19] else {
        panic!("petrov scored")
    };
    assert_eq!(petrov.id, "petrov");
    assert_eq!(petrov.source, "fixtures/cases/20-petrov.json");
    let recall = petrov
        .findings
        .iter()
        .find(|f| f.rule == "under_recall")
        .unwrap();
    assert_eq!(recall.verdict.as_str(), "yes");
    assert_eq!(recall.evidence[0].path, "/recalls/1");
    // The raw JSON keys, as DESIGN documents them.
    let raw: Value = serde_json::from_str(&out).unwrap();
    let first = &raw[0];
    for key in ["id", "name", "source", "findings", "score"] {
        assert!(first.get(key).is_some(), "missing `{key}`");
    }
    for key in ["rule", "title", "verdict", "weight", "reason", "evidence"] {
        assert!(first["findings"][0].get(key).is_some(), "missing `{key}`");
    }
    for key in ["value", "max", "assessed", "unknown"] {
        assert!(first["score"].get(key).is_some(), "missing `{key}`");
    }
}

#[test]
fn score_keeps_going_past_bad_input() {
    let (code, out, err) = run(&[
        "score",
        "--format",
        "json",
        "fixtures/cases/09-gouzenko.json",
        "fixtures/invalid/truncated.json",
        "no/such/file.json",
        "fixtures/cases/20-petrov.json",
    ]);
    assert_eq!(code, 2, "bad input is exit code 2");
    let reports: Vec<Value> = serde_json::from_str(&out).unwrap();
    assert_eq!(reports.len(), 4, "N profiles in, N results out");
    assert_eq!(reports[0]["id"], "gouzenko");
    assert_eq!(reports[1]["source"], "fixtures/invalid/truncated.json");
    assert_eq!(reports[1]["error"]["message"], "EOF while parsing a value");
    assert_eq!(reports[2]["error"]["message"], "no such file or directory");
    assert_eq!(reports[3]["id"], "petrov");
    assert!(err.contains("fixtures/invalid/truncated.json:"), "{err}");
    assert!(
        err.contains("no/such/file.json: no such file or directory"),
        "{err}"
    );
}

#[test]
fn score_reads_stdin() {
    use std::io::Write;
    let text = std::fs::read_to_string(root().join("fixtures/cases/09-gouzenko.json")).unwrap();
    let mut child = casematch()
        .args(["score", "--format", "json", "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v[0]["id"], "gouzenko");
    assert_eq!(v[0]["source"], "<stdin>");
}

#[test]
fn validate_accepts_the_historical_cases() {
    assert_cmd_snapshot!(casematch().args(["validate", "fixtures/cases"]));
}

#[test]
fn validate_reports_each_bad_profile_where_and_why() {
    assert_cmd_snapshot!(casematch().args([
        "validate",
        "fixtures/invalid/truncated.json",
        "fixtures/invalid/unknown-key.json",
        "fixtures/invalid/bad-enum.json",
        "fixtures/invalid/bad-ref.json",
        "fixtures/invalid/missing.json",
        "fixtures/cases/20-petrov.json",
    ]));
}

#[test]
fn schema_is_the_profile_json_schema() {
    let (code, out, _) = run(&["schema"]);
    assert_eq!(code, 0);
    let schema: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(schema["title"], "casematch case profile");
    assert_eq!(schema["additionalProperties"], false);
    let props = schema["properties"].as_object().unwrap();
    for key in [
        "id", "name", "recalls", "troubles", "family", "contacts", "fears", "extra",
    ] {
        assert!(props.contains_key(key), "schema lacks `{key}`");
    }
    assert_eq!(schema["required"], serde_json::json!(["id", "name"]));
}

#[test]
fn usage_errors_exit_2() {
    let (code, _, err) = run(&["score", "--format", "yaml"]);
    assert_eq!(code, 2);
    assert!(err.contains("invalid value 'yaml'"), "{err}");
    let (code, out, _) = run(&["--help"]);
    assert_eq!(code, 0);
    assert!(out.contains("Exit codes"), "{out}");
}

#[test]
fn clap_definition_is_consistent() {
    use clap::CommandFactory;
    casematch::cli::Cli::command().debug_assert();
}

#[test]
fn score_in_each_format() {
    // One snapshot per output format, on one case, so a change to any renderer shows.
    for format in ["json", "ndjson", "csv", "markdown", "html"] {
        let out = casematch()
            .args(["score", "--format", format, "fixtures/cases/20-petrov.json"])
            .output()
            .unwrap();
        assert!(out.status.success(), "{format}");
        let text = String::from_utf8(out.stdout).unwrap();
        insta::assert_snapshot!(format!("score_format_{format}"), text);
    }
}

#[test]
fn rules_list_fits_80_columns_and_names_every_rule() {
    let (code, out, _) = run(&["rules", "list"]);
    assert_eq!(code, 0);
    for line in out.lines() {
        assert!(line.chars().count() <= 80, "too wide: {line}");
    }
    let ids: Vec<String> = std::fs::read_dir(root().join("rules"))
        .unwrap()
        .filter_map(|e| {
            let p = e.unwrap().path();
            (p.extension()? == "rhai").then(|| p.file_stem().unwrap().to_string_lossy().into())
        })
        .collect();
    assert_eq!(ids.len(), 18);
    for id in &ids {
        // Each id whole, at the start of its row.
        assert!(
            out.lines()
                .any(|l| l.trim_start().starts_with(&format!("{id} "))),
            "{id} missing:\n{out}"
        );
    }
    assert!(out.contains("Recall combined with fear"), "{out}");
}
