//! Batch scoring: streaming formats in input order, N in and N out, parallel runs that
//! match serial ones, rule selection, and output that profile text cannot break.

use std::io::{self, Write};
use std::path::Path;
use std::time::Duration;

use casematch::cli::ScoreFormat;
use casematch::commands::score::{pipeline, summary, Tally};
use casematch::error::Error;
use casematch::input::Document;
use casematch::render;
use serde_json::{json, Value};

use crate::support::shipped;

use crate::support::run_binary as casematch;

fn lines(s: &str) -> Vec<Value> {
    s.lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// A profile whose every free-text field tries to break out of its format.
const HOSTILE_NAME: &str = "<script>alert(\"x\")</script> | a, \"b\"\nnew line";

fn hostile_profile(dir: &Path) -> String {
    let p = json!({
        "id": "evil|<b>",
        "name": HOSTILE_NAME,
        "troubles": [{"kind": "suspicion",
                      "source": {"ref": "section II", "quote": "a | b <i>c</i>\n\"d\""}}],
    });
    let path = dir.join("hostile.json");
    std::fs::write(&path, serde_json::to_string(&p).unwrap()).unwrap();
    path.display().to_string()
}

#[test]
fn ndjson_streams_one_line_per_profile_in_input_order() {
    let (code, out, err) = casematch(&["score", "-f", "ndjson", "--jobs", "2", "fixtures/cases"]);
    assert_eq!(code, 0, "{err}");
    let ids: Vec<String> = lines(&out)
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(ids.len(), 20);
    assert_eq!(ids[0], "bessedovsky");
    assert_eq!(ids[8], "gouzenko");
    assert_eq!(ids[19], "petrov");
    // The same objects as `--format json`, compact.
    let (_, json_out, _) = casematch(&["score", "-f", "json", "fixtures/cases"]);
    let array: Vec<Value> = serde_json::from_str(&json_out).unwrap();
    assert_eq!(array, lines(&out));
}

#[test]
fn a_bad_ndjson_line_gets_its_error_in_its_place_and_exit_2() {
    let (code, out, err) = casematch(&[
        "score",
        "-f",
        "ndjson",
        "fixtures/hostile/profiles/mixed.ndjson",
    ]);
    assert_eq!(code, 2);
    let reports = lines(&out);
    // Eight non-blank lines in, eight results out.
    let at: Vec<String> = reports
        .iter()
        .map(|r| match r.get("error") {
            Some(e) => format!("error@{}", e["origin"].as_str().unwrap()),
            None => r["id"].as_str().unwrap().to_string(),
        })
        .collect();
    let f = "fixtures/hostile/profiles/mixed.ndjson";
    assert_eq!(
        at,
        vec![
            "first".to_string(),
            format!("error@{f}:3"),
            "third".to_string(),
            format!("error@{f}:6"),
            format!("error@{f}:7"),
            "sixth".to_string(),
        ]
    );
    // One stderr line per bad line, in order, naming file and line; then the summary.
    let errs: Vec<&str> = err.lines().collect();
    assert_eq!(errs.len(), 4, "{err}");
    assert!(errs[0].starts_with(&format!("error: {f}:3")), "{err}");
    assert!(errs[2].starts_with(&format!("error: {f}:7")), "{err}");
    assert!(
        errs[3].starts_with("6 profiles read, 3 scored, 3 failed in "),
        "{err}"
    );
    // --quiet drops the summary and nothing else.
    let (quiet_code, quiet_out, quiet_err) = casematch(&[
        "score",
        "-f",
        "ndjson",
        "--quiet",
        "fixtures/hostile/profiles/mixed.ndjson",
    ]);
    assert_eq!((quiet_code, quiet_out.as_str()), (2, out.as_str()));
    assert_eq!(quiet_err.lines().collect::<Vec<_>>(), errs[..3]);
}

#[test]
fn parallel_output_is_byte_identical_to_serial() {
    let dir = tempfile::tempdir().unwrap();
    // Profiles mixed from the cases, so that threads both find and add answers.
    let path = dir.path().join("mixed.ndjson");
    std::fs::write(&path, crate::support::mixed_profiles(300).join("\n")).unwrap();
    let file = path.display().to_string();
    let (c1, one, _) = casematch(&["score", "-f", "ndjson", "--jobs", "1", &file]);
    let (c4, four, err) = casematch(&["score", "-f", "ndjson", "--jobs", "4", &file]);
    assert_eq!((c1, c4), (0, 0));
    assert_eq!(one, four);
    // Four threads sharing remembered answers, against every rule run on one thread.
    assert!(err.contains("% of answers remembered"), "{err}");
    let (c, fresh, err) = casematch(&["score", "-f", "ndjson", "--no-cache", "--jobs", "1", &file]);
    assert_eq!(c, 0);
    assert_eq!(four, fresh);
    assert!(!err.contains("remembered"), "{err}");
    let ids: Vec<String> = lines(&four)
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_string())
        .collect();
    // The 20 cases, then the 300 mixed profiles, in input order.
    assert_eq!(ids.len(), 320);
    assert_eq!(
        (ids[0].as_str(), ids[19].as_str()),
        ("bessedovsky", "petrov")
    );
    assert_eq!(
        (ids[20].as_str(), ids[319].as_str()),
        ("mixed-0", "mixed-299")
    );
    let (_, csv1, _) = casematch(&["score", "-f", "csv", "-j", "1", &file]);
    let (_, csv3, _) = casematch(&["score", "-f", "csv", "-j", "3", &file]);
    assert_eq!(csv1, csv3);
}

#[test]
fn ndjson_lines_are_the_reports_as_serde_json_writes_them() {
    let mut texts = crate::support::mixed_profiles(300);
    texts.push("{\"id\": \"broken\"".to_string());
    texts.push(
        r#"{"id": "x\u0001\"", "name": "\\ \t", "extra": {"n": [1.5, -2, 1e300]}}"#.to_string(),
    );
    let mut failed = 0;
    for (i, text) in texts.into_iter().enumerate() {
        let doc = Document {
            origin: format!("in.ndjson:{}", i + 1),
            text: Ok(text),
        };
        let report = shipped().score_document(doc);
        failed += usize::from(matches!(report, casematch::finding::Report::Failed(_)));
        let mut ours = Vec::new();
        render::ndjson::write_report(&mut ours, &report).unwrap();
        assert_eq!(
            String::from_utf8(ours).unwrap(),
            serde_json::to_string(&report).unwrap(),
            "line {}",
            i + 1
        );
    }
    assert_eq!(failed, 1);
}

#[test]
fn csv_quotes_every_field_that_needs_it() {
    let dir = tempfile::tempdir().unwrap();
    let file = hostile_profile(dir.path());
    let (code, out, err) = casematch(&["score", "-f", "csv", "--only", "under_suspicion", &file]);
    assert_eq!(code, 0, "{err}");
    let mut rd = csv::Reader::from_reader(out.as_bytes());
    let header: Vec<String> = rd.headers().unwrap().iter().map(String::from).collect();
    assert_eq!(header, render::csv::HEADER.to_vec());
    let rows: Vec<csv::StringRecord> = rd.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 1);
    assert_eq!(&rows[0][1], "evil|<b>");
    assert_eq!(&rows[0][2], HOSTILE_NAME);
    assert_eq!(&rows[0][3], "under_suspicion");
    assert_eq!(&rows[0][4], "yes");
    assert_eq!(&rows[0][7], "/troubles/0 (section II)");
}

#[test]
fn csv_gives_a_failed_profile_one_row_with_its_error() {
    let (code, out, _) = casematch(&[
        "score",
        "-f",
        "csv",
        "--only",
        "under_recall",
        "fixtures/hostile/profiles/mixed.ndjson",
    ]);
    assert_eq!(code, 2);
    let mut rd = csv::Reader::from_reader(out.as_bytes());
    let rows: Vec<csv::StringRecord> = rd.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 6);
    assert!(rows[1][0].ends_with("mixed.ndjson:3"));
    assert_eq!(&rows[1][3], "");
    assert!(!rows[1][12].is_empty());
}

#[test]
fn markdown_escapes_profile_text() {
    let dir = tempfile::tempdir().unwrap();
    let file = hostile_profile(dir.path());
    let (code, out, err) = casematch(&["score", "-f", "markdown", &file]);
    assert_eq!(code, 0, "{err}");
    assert!(!out.contains("<script>") && !out.contains("<b>") && !out.contains("<i>"));
    assert!(out.contains(
        "## evil\\|&lt;b&gt; — &lt;script&gt;alert(\"x\")&lt;/script&gt; \\| a, \"b\" new line"
    ));
    // Every row of the table has exactly its four cells: no `|` from the profile
    // survives unescaped, and no newline breaks a row.
    let rows: Vec<&str> = out.lines().filter(|l| l.starts_with("| ")).collect();
    assert_eq!(rows.len(), 1 + shipped().rules().entries.len());
    for row in rows {
        let cells = row.replace("\\|", "").matches('|').count();
        assert_eq!(cells, 5, "{row}");
    }
}

#[test]
fn markdown_shows_the_score_range() {
    let (code, out, _) = casematch(&[
        "score",
        "-f",
        "markdown",
        "--only",
        "under_recall,confided_in_outsiders",
        "fixtures/cases/09-gouzenko.json",
    ]);
    assert_eq!(code, 0);
    // Gouzenko: recalled (3), contacts unknown (2).
    assert!(
        out.contains("**Score 3 of 5; up to 5 if every unknown were yes (1 assessed, 1 unknown)**"),
        "{out}"
    );
}

#[test]
fn html_is_one_self_contained_page_with_profile_text_escaped() {
    let dir = tempfile::tempdir().unwrap();
    let file = hostile_profile(dir.path());
    let (code, out, err) = casematch(&[
        "score",
        "-f",
        "html",
        &file,
        "fixtures/cases/20-petrov.json",
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(out.starts_with("<!DOCTYPE html>\n<html lang=\"en\">"));
    assert!(out.trim_end().ends_with("</html>"));
    // No script at all, no external asset.
    assert!(!out.to_lowercase().contains("<script"));
    assert!(!out.contains("src=") && !out.contains("href="));
    assert!(out.contains(
        "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; | a, &quot;b&quot;\nnew line"
    ));
    assert_eq!(out.matches("<section>").count(), 2);
    let rules = shipped().rules().entries.len();
    assert_eq!(out.matches("<tr class=\"").count(), 2 * rules);
    // Verdicts read without colour: a mark and a word in each cell.
    assert!(out.contains("<td class=\"v\">● yes</td>"));
    assert!(out.contains("Score "));
}

#[test]
fn only_and_tags_select_rules() {
    let (code, out, _) = casematch(&["score", "-f", "ndjson", "--only", "under_recall"]);
    assert_eq!(code, 0);
    let reports = lines(&out);
    assert_eq!(reports.len(), 20);
    for r in &reports {
        let rules: Vec<&str> = r["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["rule"].as_str().unwrap())
            .collect();
        assert_eq!(rules, vec!["under_recall"]);
    }
    // A composite brings the rules it consults.
    let (_, out, _) = casematch(&["score", "-f", "ndjson", "--only", "recall_and_fear"]);
    let first = &lines(&out)[0];
    let rules: Vec<&str> = first["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule"].as_str().unwrap())
        .collect();
    assert_eq!(
        rules,
        vec![
            "fear_for_personal_safety",
            "recall_and_fear",
            "under_recall"
        ]
    );
    let (code, out, _) = casematch(&["score", "-f", "ndjson", "--tags", "section-iii"]);
    assert_eq!(code, 0);
    let tagged: Vec<String> = shipped()
        .rules()
        .ready()
        .filter(|r| r.meta.tags.iter().any(|t| t == "section-iii"))
        .map(|r| r.meta.id.clone())
        .collect();
    assert!(tagged.contains(&"immediate_family_abroad".to_string()));
    let got: Vec<String> = lines(&out)[0]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule"].as_str().unwrap().to_string())
        .collect();
    for t in &tagged {
        assert!(got.contains(t), "{t} missing from {got:?}");
    }
}

#[test]
fn an_unknown_rule_or_tag_is_a_usage_error_naming_it() {
    let (code, out, err) = casematch(&["score", "--only", "under_recall,under_recal"]);
    assert_eq!(code, 2);
    assert!(out.is_empty());
    assert!(
        err.starts_with("error: --only: no rule `under_recal`; the rules are: "),
        "{err}"
    );
    let (code, _, err) = casematch(&["score", "--tags", "nosuchtag"]);
    assert_eq!(code, 2);
    assert!(err.contains("no rule has the tag `nosuchtag`"), "{err}");
}

#[test]
fn output_goes_to_the_file_and_nowhere_else() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("scores.ndjson");
    let (code, out, err) = casematch(&[
        "score",
        "-f",
        "ndjson",
        "-o",
        &path.display().to_string(),
        "fixtures/cases/20-petrov.json",
    ]);
    // Nothing on stdout; on stderr, only the summary.
    assert_eq!((code, out.as_str()), (0, ""));
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.starts_with("1 profile read, 1 scored, 0 failed in "),
        "{err}"
    );
    let written = std::fs::read_to_string(&path).unwrap();
    assert_eq!(lines(&written)[0]["id"], "petrov");
    // Only the report: no temporary file left beside it.
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
}

#[test]
fn the_summary_says_what_was_read_scored_and_failed() {
    let t = Tally {
        read: 100_000,
        scored: 99_998,
        failed: 2,
        rule_errors: 0,
    };
    assert_eq!(
        summary(&t, Duration::from_millis(2_000)),
        "100000 profiles read, 99998 scored, 2 failed in 2.00 s (50000 profiles/s)"
    );
    let one = Tally {
        read: 1,
        scored: 1,
        failed: 0,
        rule_errors: 1,
    };
    assert_eq!(
        summary(&one, Duration::from_millis(500)),
        "1 profile read, 1 scored, 0 failed (1 with a rule error) in 0.50 s (2 profiles/s)"
    );
}

/// A writer that takes `left` bytes, then fails like a closed pipe.
struct Closing {
    left: usize,
}

impl Write for Closing {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.left == 0 {
            return Err(io::ErrorKind::BrokenPipe.into());
        }
        let n = buf.len().min(self.left);
        self.left -= n;
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[test]
fn an_endless_input_into_a_closed_output_stops_without_reading_it_all() {
    // Endless: a pipeline that collected its input first would never return.
    let text = std::fs::read_to_string(&crate::support::case_files()[19]).unwrap();
    let docs = (0..).map(move |i| Document {
        origin: format!("endless:{i}"),
        text: Ok(text.clone()),
    });
    let renderer = render::renderer(ScoreFormat::Ndjson).unwrap();
    let mut batches = 0;
    let result = pipeline(
        shipped(),
        docs,
        2,
        renderer,
        &mut Closing { left: 100_000 },
        &mut |_| batches += 1,
    );
    match result {
        Err(Error::Output(e)) => assert_eq!(e.kind(), io::ErrorKind::BrokenPipe),
        other => panic!("expected a broken pipe, got {other:?}"),
    }
    assert!(
        batches < 20,
        "{batches} batches written after the pipe closed"
    );
}

#[test]
fn the_pipeline_counts_what_it_read() {
    let docs = vec![
        Document {
            origin: "a".into(),
            text: Ok(r#"{"id": "a", "name": "A"}"#.into()),
        },
        Document {
            origin: "b:2".into(),
            text: Ok("{".into()),
        },
    ];
    let mut out = Vec::new();
    let tally = pipeline(
        shipped(),
        docs.into_iter(),
        3,
        render::renderer(ScoreFormat::Ndjson).unwrap(),
        &mut out,
        &mut |_| {},
    )
    .unwrap();
    assert_eq!(
        tally,
        Tally {
            read: 2,
            scored: 1,
            failed: 1,
            rule_errors: 0
        }
    );
    let text = String::from_utf8(out).unwrap();
    let reports = lines(&text);
    assert_eq!(reports[0]["id"], "a");
    assert_eq!(reports[1]["error"]["origin"], "b:2");
}

#[test]
fn watch_refuses_what_it_cannot_watch() {
    let (code, out, err) = casematch(&["score", "--watch", "-"]);
    assert_eq!((code, out.as_str()), (2, ""));
    assert_eq!(
        err,
        "error: --watch cannot watch stdin (`-`): name files or folders\n"
    );
    let (code, _, err) = casematch(&["score", "--watch"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("--watch needs something that can change"),
        "{err}"
    );
}

#[test]
fn jobs_zero_is_a_usage_error() {
    let (code, out, err) = casematch(&["score", "--jobs", "0"]);
    assert_eq!((code, out.as_str()), (2, ""));
    assert_eq!(err, "error: --jobs must be at least 1\n");
}

/// The Python script of the side-by-side benchmark computes the four core indicators as
/// the shipped rules do: on the 20 cases and on profiles mixed from them. (It drifted
/// once, when a rule changed; this keeps the benchmark's comparison honest.)
#[test]
fn the_benchmarks_python_script_agrees_with_the_core_rules() {
    use std::io::Write as _;
    use std::process::{Command, Stdio};
    let profiles = crate::support::mixed_profiles(300);
    let input = profiles.join("\n") + "\n";
    let mut child = Command::new("python3")
        .arg(crate::support::root().join("benches/indicators.py"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("python3 runs");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    let python: Vec<Value> = lines(&String::from_utf8(out.stdout).unwrap());

    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("mixed.ndjson");
    std::fs::write(&file, &input).unwrap();
    let core = "under_recall,under_suspicion,immediate_family_abroad,confided_in_outsiders";
    let (code, out, err) = casematch(&[
        "score",
        "-q",
        "-f",
        "ndjson",
        "--only",
        core,
        &file.display().to_string(),
    ]);
    assert_eq!(code, 0, "{err}");
    let ours: Vec<Value> = lines(&out)
        .iter()
        .map(|r| {
            let mut v = serde_json::Map::new();
            v.insert("id".into(), r["id"].clone());
            for f in r["findings"].as_array().unwrap() {
                v.insert(f["rule"].as_str().unwrap().into(), f["verdict"].clone());
            }
            Value::Object(v)
        })
        .collect();
    assert_eq!(python.len(), profiles.len());
    assert_eq!(python, ours);
}

#[test]
fn a_slow_batch_holds_back_the_others_and_every_format_keeps_input_order() {
    // One rule that spins on the first profile only: while its batch is scored, the other
    // workers run through every free buffer and must wait for that batch to be written.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("slow.rhai"),
        r#"const RULE = #{ id: "slow", title: "t", description: "d", weight: 1, tags: [],
            source: #{ ref: "preface", quote: "x" } };
        fn evaluate(profile) {
            if profile.id == "p-0" { let n = 0; while n < 100000 { n += 1; } }
            unknown(`seen ${profile.id}`)
        }"#,
    )
    .unwrap();
    let scorer = casematch::evaluate::Scorer::new(Some(dir.path()), Default::default()).unwrap();
    // 40 batches of 64: far more than the buffers of 3 workers.
    let docs = || {
        (0..2560).map(|i| Document {
            origin: format!("in:{i}"),
            text: Ok(if i % 500 == 7 {
                "{".to_string()
            } else {
                format!(r#"{{"id": "p-{i}", "name": "P"}}"#)
            }),
        })
    };
    for format in [ScoreFormat::Ndjson, ScoreFormat::Json, ScoreFormat::Csv] {
        let run = |jobs| {
            let mut out = Vec::new();
            let mut written = 0;
            let tally = pipeline(
                &scorer,
                docs(),
                jobs,
                render::renderer(format).unwrap(),
                &mut out,
                &mut |t| written = t.read,
            )
            .unwrap();
            (tally, written, String::from_utf8(out).unwrap())
        };
        let (tally, written, three) = run(3);
        assert_eq!(
            tally,
            Tally {
                read: 2560,
                scored: 2554,
                failed: 6,
                rule_errors: 0
            },
            "{format:?}"
        );
        assert_eq!(written, 2560, "{format:?}");
        assert_eq!(three, run(1).2, "{format:?}");
        if format == ScoreFormat::Ndjson {
            let origins: Vec<String> = lines(&three)
                .iter()
                .map(|r| r["source"].as_str().unwrap().to_string())
                .collect();
            let expected: Vec<String> = (0..2560).map(|i| format!("in:{i}")).collect();
            assert_eq!(origins, expected);
        }
    }
}
