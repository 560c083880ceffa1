//! Where reports go: `--output FILE` replaces the file only once the report is whole,
//! and a reader that stops reading (`casematch score | head`) ends the run quietly.

use std::fs;
use std::io::{Read, Write};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::support::{case_files, root};

fn casematch() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_casematch"));
    c.current_dir(root());
    c
}

fn run(args: &[&str]) -> (i32, String, String) {
    let out = casematch().args(args).output().unwrap();
    (
        out.status.code().expect("exited, not killed"),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

/// The names in `dir`, sorted.
fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

/// Each historical case on one line, as NDJSON.
fn case_lines() -> Vec<String> {
    case_files()
        .iter()
        .map(|p| {
            let v: Value = serde_json::from_str(&fs::read_to_string(p).unwrap()).unwrap();
            serde_json::to_string(&v).unwrap()
        })
        .collect()
}

/// Waits for `done` to hold, for at most a minute: a guard against hanging the suite,
/// not a measure of speed.
fn wait_for(child: &mut Child, what: &str, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        if start.elapsed() > Duration::from_secs(60) {
            let _ = child.kill();
            panic!("gave up waiting for {what}");
        }
        thread::sleep(Duration::from_millis(10));
    }
}

// ---------------------------------------------------------------------------------------
// --output FILE
// ---------------------------------------------------------------------------------------

#[test]
fn output_file_holds_the_whole_report_and_nothing_is_left_beside_it() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("report.json");
    let out_s = out.display().to_string();
    let (code, stdout, stderr) = run(&["score", "--format", "json", "--output", &out_s]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(stdout, "", "the report goes to the file only");
    let (_, to_stdout, _) = run(&["score", "--format", "json"]);
    let written = fs::read_to_string(&out).unwrap();
    assert_eq!(written, to_stdout);
    let reports: Vec<Value> = serde_json::from_str(&written).unwrap();
    assert_eq!(reports.len(), 20);
    assert_eq!(reports[19]["id"], "petrov");
    // The temporary file was renamed, not copied.
    assert_eq!(names(dir.path()), vec!["report.json"]);
}

#[test]
fn an_existing_file_is_replaced_only_when_the_report_is_complete() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("report.ndjson");
    let old = "the previous report\n";
    fs::write(&out, old).unwrap();

    // Profiles come from stdin, so the run cannot end before stdin does: it is held
    // mid-way, output open, for as long as the test likes.
    let mut child = casematch()
        .args(["score", "--format", "ndjson", "--output"])
        .arg(&out)
        .arg("-")
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let lines = case_lines();
    let mut stdin = child.stdin.take().unwrap();
    for line in &lines[..10] {
        writeln!(stdin, "{line}").unwrap();
    }
    stdin.flush().unwrap();
    // The report is being written beside the old one, in a temporary file...
    let d = dir.path().to_path_buf();
    wait_for(&mut child, "the temporary file", || names(&d).len() == 2);
    let temp = names(dir.path())
        .into_iter()
        .find(|n| n != "report.ndjson")
        .unwrap();
    assert!(temp.starts_with('.'), "a hidden temporary file: {temp}");
    // ...while the old report stays whole where it was.
    assert_eq!(fs::read_to_string(&out).unwrap(), old);

    for line in &lines[10..] {
        writeln!(stdin, "{line}").unwrap();
    }
    drop(stdin);
    let status = child.wait().unwrap();
    let stderr = stderr_of(&mut child);
    assert_eq!(status.code(), Some(0), "{stderr}");

    let written = fs::read_to_string(&out).unwrap();
    let ids: Vec<String> = written
        .lines()
        .map(|l| {
            serde_json::from_str::<Value>(l).unwrap()["id"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(ids.len(), 20);
    assert_eq!(
        (ids[0].as_str(), ids[19].as_str()),
        ("bessedovsky", "petrov")
    );
    assert_eq!(names(dir.path()), vec!["report.ndjson"]);
}

#[test]
fn a_run_that_fails_before_writing_leaves_the_old_file_alone() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("report.json");
    fs::write(&out, "old").unwrap();
    let out_s = out.display().to_string();
    let missing = dir.path().join("no-rules-here");
    let missing_s = missing.display().to_string();
    let (code, stdout, stderr) = run(&[
        "score", "--format", "json", "--rules", &missing_s, "--output", &out_s,
    ]);
    assert_eq!(code, 2);
    assert_eq!(stdout, "");
    assert_eq!(
        stderr,
        format!("error: cannot read `{missing_s}`: No such file or directory (os error 2)\n")
    );
    assert_eq!(fs::read_to_string(&out).unwrap(), "old");
    assert_eq!(names(dir.path()), vec!["report.json"]);
}

#[test]
fn an_output_folder_that_does_not_exist_is_an_error_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("absent");
    let out = folder.join("report.json");
    let (code, stdout, stderr) = run(&["score", "--output", &out.display().to_string()]);
    assert_eq!(code, 2);
    assert_eq!(stdout, "");
    assert_eq!(
        stderr,
        format!(
            "error: cannot write `{}`: its folder does not exist\n",
            out.display()
        )
    );
    assert!(!folder.exists());
}

// ---------------------------------------------------------------------------------------
// A reader that closes early
// ---------------------------------------------------------------------------------------

/// Runs casematch with `args`, reads `take` bytes of its stdout and closes the pipe;
/// returns the exit code, what was read, and stderr.
fn read_then_close(args: &[String], take: usize) -> (Option<i32>, Vec<u8>, String) {
    let mut child = casematch()
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let mut head = vec![0u8; take];
    stdout.read_exact(&mut head).unwrap();
    drop(stdout);
    let stderr = stderr_of(&mut child);
    (child.wait().unwrap().code(), head, stderr)
}

/// The cases folder named `n` times: 20 × n profiles.
fn many(n: usize) -> Vec<String> {
    let cases = root().join("fixtures/cases").display().to_string();
    vec![cases; n]
}

#[test]
fn a_closed_stdout_ends_the_run_quietly_in_every_format() {
    for format in ["table", "json", "ndjson", "csv", "markdown", "html"] {
        let mut args: Vec<String> = ["score", "--format", format]
            .iter()
            .map(|s| s.to_string())
            .collect();
        // 100 profiles: 400 KB of output even as CSV, far more than a pipe holds (64 KiB),
        // so the run must write again after the pipe is closed.
        args.extend(many(5));
        let (code, head, stderr) = read_then_close(&args, 64);
        assert_eq!(code, Some(0), "{format}: {stderr}");
        assert_eq!(head.len(), 64);
        assert!(!stderr.contains("panicked"), "{format}: {stderr}");
        assert!(
            !stderr.contains("error"),
            "{format}: nothing to report: {stderr}"
        );
    }
}

/// Everything `child` wrote to its piped stderr.
fn stderr_of(child: &mut Child) -> String {
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    stderr
}
