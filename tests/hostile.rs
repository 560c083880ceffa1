//! The hostile-input corpus: rules that loop, recurse, grow, throw or cheat, and profiles
//! that are truncated, mistyped, huge, deep, not UTF-8 or not files at all. Each must
//! end in its own `error` (rules) or failed report (profiles), naming the file and the
//! cause, while everything else in the same run is scored as usual.
//!
//! No test here measures wall time: every hostile rule is stopped by a limit that counts
//! (operations, call depth, data size), and the time limit is set far out of reach so
//! that it can never be the one that fires.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use casematch::engine::Limits;
use casematch::evaluate::Scorer;
use casematch::finding::{Failed, Report, Scored};
use casematch::input::{documents, resolve, Source};
use casematch::verdict::Verdict;

use crate::support::{case_files, finding, root, shipped};

// ---------------------------------------------------------------------------------------
// Hostile rules
// ---------------------------------------------------------------------------------------

/// Low enough that the endless loop stops quickly, high enough that every growth rule
/// reaches its data limit first.
const MAX_OPERATIONS: u64 = 200_000;

fn rules_dir() -> PathBuf {
    root().join("fixtures/hostile/rules")
}

fn hostile_limits() -> Limits {
    Limits {
        max_operations: MAX_OPERATIONS,
        // Below the default (256 MiB), to keep the memory-hungry rule quick.
        max_memory: 32 << 20,
        // A backstop only: far beyond what any rule here needs to hit its real limit.
        timeout_ms: 600_000,
        ..Limits::default()
    }
}

fn hostile_scorer() -> Scorer {
    Scorer::new(Some(&rules_dir()), hostile_limits()).unwrap()
}

const NOT_AN_ANSWER: &str = "expected the result of yes(...), no(...) or unknown(...)";

/// Every hostile rule and the exact reason it gives on every profile. `{file}` stands for
/// the rule's path.
fn expected_reasons() -> Vec<(&'static str, String)> {
    let d = Limits::default();
    let ops = format!("exceeded the limit of {MAX_OPERATIONS} operations (an endless loop?)");
    let fields = "aftermath, born, concealments, contacts, defection, extra, family, fears, \
                  history, id, induced, marital_status, memberships, motives, name, \
                  premeditated, recalls, traits, troubles";
    vec![
        // Rhai reports a limit at the call of `evaluate`; the rule is run again with a
        // stepping engine to find the line where the limit was hit.
        ("infinite_loop", format!("{{file}}:14: {ops}")),
        (
            "unbounded_recursion",
            format!(
                "{{file}}:12: exceeded the limit of {} nested calls (unbounded recursion?)",
                d.max_call_levels
            ),
        ),
        (
            "string_growth",
            format!(
                "{{file}}:14: a string grew beyond the limit of {} bytes",
                d.max_string_size
            ),
        ),
        (
            "array_growth",
            format!(
                "{{file}}:14: an array or blob grew beyond the limit of {} elements",
                d.max_array_size
            ),
        ),
        (
            "blob_growth",
            format!(
                "{{file}}:15: an array or blob grew beyond the limit of {} elements",
                d.max_array_size
            ),
        ),
        // Rhai does not check a map's size when `m[key] = value` adds a key (only the
        // value's), so the map limit never fires here: the operations limit does.
        ("map_growth", format!("{{file}}:15: {ops}")),
        // The same hole with half-megabyte keys would take tens of gigabytes before the
        // operations limit: the memory limit stops it.
        (
            "map_memory",
            format!(
                "{{file}}:19: held more than the limit of {} bytes of memory",
                hostile_limits().max_memory
            ),
        ),
        (
            "uses_eval",
            "the rule could not be loaded: {file}:12:5: syntax error: reserved keyword \
             'eval' is disabled"
                .to_string(),
        ),
        (
            "uses_import",
            "the rule could not be loaded: {file}:11:1: syntax error: 'import' is a \
             reserved keyword"
                .to_string(),
        ),
        (
            "calls_sleep",
            "{file}:12:5: `sleep` is not allowed in rules".to_string(),
        ),
        ("throws", "{file}:12:5: boom".to_string()),
        (
            "returns_number",
            format!("{{file}}: `evaluate` returned a value of type `i64`, {NOT_AN_ANSWER}"),
        ),
        (
            "returns_nothing",
            format!("{{file}}: `evaluate` returned nothing, {NOT_AN_ANSWER}"),
        ),
        (
            "property_of_unit",
            "{file}:13:27: cannot read `.x` of nothing (`()`): the value before `.x` is unknown \
             or absent; test it with `known(...)` or `== ()` first"
                .to_string(),
        ),
        (
            "not_utf8",
            "the rule could not be loaded: {file}:5:38: not valid UTF-8: byte 0xE9 at byte \
             offset 168"
                .to_string(),
        ),
        (
            "self_cycle",
            "the rule could not be loaded: {file}:9:12: `self_cycle` is part of a cycle of \
             composite rules (through `uses`): `self_cycle` -> `self_cycle`"
                .to_string(),
        ),
        (
            "field_typo",
            format!(
                "{{file}}:12:15: `recal` is not a field of a profile (did you mean `recalls`?); \
                 fields there: {fields}"
            ),
        ),
    ]
}

use crate::support::score_history;

#[test]
fn the_corpus_holds_each_hostile_rule_and_one_good_one() {
    let mut on_disk: Vec<String> = fs::read_dir(rules_dir())
        .unwrap()
        .map(|e| {
            let p = e.unwrap().path();
            assert_eq!(p.extension().unwrap(), "rhai", "{}", p.display());
            p.file_stem().unwrap().to_string_lossy().into_owned()
        })
        .collect();
    on_disk.sort();
    let mut expected: Vec<String> = expected_reasons()
        .into_iter()
        .map(|(id, _)| id.to_string())
        .chain(["under_recall".to_string()])
        .collect();
    expected.sort();
    assert_eq!(on_disk, expected);
    // The one file that must stay broken: a Latin-1 é in UTF-8 text.
    assert!(fs::read_to_string(rules_dir().join("not_utf8.rhai")).is_err());
}

#[test]
fn only_the_syntax_level_rules_fail_to_load() {
    let scorer = hostile_scorer();
    let broken: Vec<(String, Option<usize>)> = scorer
        .rules()
        .errors()
        .into_iter()
        .map(|e| {
            let name = Path::new(&e.file).file_name().unwrap();
            (name.to_string_lossy().into_owned(), e.line)
        })
        .collect();
    assert_eq!(
        broken,
        vec![
            ("not_utf8.rhai".to_string(), Some(5)),
            ("self_cycle.rhai".to_string(), Some(9)),
            ("uses_eval.rhai".to_string(), Some(12)),
            ("uses_import.rhai".to_string(), Some(11)),
        ]
    );
    // Everything else compiled: the hostile ones fail only when they run.
    assert_eq!(scorer.rules().ready().count(), 14);
}

#[test]
fn every_hostile_rule_errors_with_its_cause_on_every_case() {
    let scored = score_history(&hostile_scorer());
    assert_eq!(scored.len(), 20);
    let expected = expected_reasons();
    for s in &scored {
        assert_eq!(s.findings.len(), expected.len() + 1, "{}", s.id);
        for (id, reason) in &expected {
            let file = rules_dir().join(format!("{id}.rhai"));
            let reason = reason.replace("{file}", &file.display().to_string());
            let f = finding(s, id);
            assert_eq!(f.verdict, Verdict::Error, "{id} on {}", s.id);
            assert_eq!(f.reason, reason, "{id} on {}", s.id);
        }
        assert_eq!(s.score.errors, expected.len(), "{}", s.id);
    }
}

#[test]
fn the_good_rule_answers_as_if_alone() {
    // The same file, in a folder of its own.
    let dir = tempfile::tempdir().unwrap();
    fs::copy(
        rules_dir().join("under_recall.rhai"),
        dir.path().join("under_recall.rhai"),
    )
    .unwrap();
    let alone = score_history(&Scorer::new(Some(dir.path()), hostile_limits()).unwrap());
    let among_hostiles = score_history(&hostile_scorer());
    assert_eq!(alone.len(), 20);
    for (a, h) in alone.iter().zip(&among_hostiles) {
        assert_eq!(a.id, h.id);
        let (good, reference) = (finding(h, "under_recall"), finding(a, "under_recall"));
        assert_ne!(good.verdict, Verdict::Error, "{}: {}", h.id, good.reason);
        assert_eq!(good, reference, "{}", h.id);
    }
}

#[test]
fn limits_stop_the_hostile_rules_whatever_their_size() {
    // Tighter limits give the same causes with the new numbers: the stop is the limit's
    // doing, not the fixture's.
    let limits = Limits {
        max_operations: 5_000,
        max_call_levels: 8,
        max_string_size: 1_000,
        max_array_size: 500,
        max_memory: 16 << 20,
        timeout_ms: 600_000,
        ..Limits::default()
    };
    let scorer = Scorer::new(Some(&rules_dir()), limits).unwrap();
    let s = score_history(&scorer).remove(0);
    let reason = |id: &str| {
        let f = finding(&s, id);
        assert_eq!(f.verdict, Verdict::Error);
        f.reason.clone()
    };
    assert!(reason("infinite_loop")
        .ends_with("exceeded the limit of 5000 operations (an endless loop?)"));
    assert!(
        reason("map_growth").ends_with("exceeded the limit of 5000 operations (an endless loop?)")
    );
    assert!(
        reason("unbounded_recursion").ends_with("limit of 8 nested calls (unbounded recursion?)")
    );
    assert!(reason("string_growth").ends_with("a string grew beyond the limit of 1000 bytes"));
    assert!(reason("array_growth").ends_with("beyond the limit of 500 elements"));
    assert!(reason("blob_growth").ends_with("beyond the limit of 500 elements"));
    // Half-megabyte keys are too long for this string limit.
    assert!(reason("map_memory").ends_with("a string grew beyond the limit of 1000 bytes"));
    assert_ne!(finding(&s, "under_recall").verdict, Verdict::Error);
}

#[test]
fn memory_is_bounded_even_where_rhai_does_not_count_it() {
    let limits = Limits {
        max_memory: 16 << 20,
        ..hostile_limits()
    };
    let scorer = Scorer::new(Some(&rules_dir()), limits)
        .unwrap()
        .select(&|e| ["map_memory", "under_recall"].contains(&e.id()));
    for s in score_history(&scorer) {
        let f = finding(&s, "map_memory");
        assert_eq!(f.verdict, Verdict::Error);
        assert!(
            f.reason.ends_with(
                "map_memory.rhai:19: held more than the limit of 16777216 bytes of memory"
            ),
            "{}",
            f.reason
        );
        assert_ne!(finding(&s, "under_recall").verdict, Verdict::Error);
    }
}

#[test]
fn the_time_limit_is_a_backstop_with_its_own_message() {
    // With operations unlimited, only the clock stops the endless loop.
    let limits = Limits {
        max_operations: 0,
        timeout_ms: 50,
        ..Limits::default()
    };
    let scorer = Scorer::new(Some(&rules_dir()), limits)
        .unwrap()
        .select(&|e| e.id() == "infinite_loop");
    let s = score_history(&scorer).remove(0);
    let f = finding(&s, "infinite_loop");
    assert_eq!(f.verdict, Verdict::Error);
    assert!(
        f.reason
            .ends_with("infinite_loop.rhai:14: ran longer than the 50 ms time limit"),
        "{}",
        f.reason
    );
}

#[test]
fn recursion_is_stopped_before_the_native_stack() {
    // Rhai counts call levels itself; the limit must stop the recursion well within a
    // small thread stack (256 KiB, an eighth of a test thread's), or this test aborts.
    let handle = std::thread::Builder::new()
        .stack_size(256 * 1024)
        .spawn(|| {
            let scorer = hostile_scorer().select(&|e| e.id() == "unbounded_recursion");
            let s = score_history(&scorer).remove(0);
            finding(&s, "unbounded_recursion").reason.clone()
        })
        .unwrap();
    let reason = handle.join().expect("no panic, no overflow");
    assert!(
        reason.ends_with(":12: exceeded the limit of 32 nested calls (unbounded recursion?)"),
        "{reason}"
    );
}

// ---------------------------------------------------------------------------------------
// Hostile profiles
// ---------------------------------------------------------------------------------------

fn profiles_dir() -> PathBuf {
    root().join("fixtures/hostile/profiles")
}

fn hostile(name: &str) -> String {
    profiles_dir().join(name).display().to_string()
}

fn score_strings(paths: &[String]) -> Vec<Report> {
    let scorer = shipped();
    documents(resolve(paths))
        .map(|d| scorer.score_document(d))
        .collect()
}

/// How many rules ship (each profile that loads gets one finding from each).
fn shipped_count() -> usize {
    shipped().rules().entries.len()
}

fn failed(r: &Report) -> &Failed {
    match r {
        Report::Failed(f) => f,
        Report::Scored(s) => panic!("{} was scored, expected an error", s.source),
    }
}

fn scored(r: &Report) -> &Scored {
    match r {
        Report::Scored(s) => s,
        Report::Failed(f) => panic!("{} failed: {}", f.source, f.error),
    }
}

/// The exact error each single-profile fixture gives, after its path.
fn profile_errors() -> Vec<(&'static str, &'static str)> {
    vec![
        (
            "array_root.json",
            ":1:1: a profile is a JSON object `{...}`, not an array (for several profiles, \
             put one object per line in an .ndjson file)",
        ),
        (
            "beyond_f64_in_extra.json",
            ":4:25 at `/extra/huge`: number out of range",
        ),
        (
            "big_count.json",
            ":5:63 at `/family/0/count`: invalid type: floating point \
             `1.2345678901234568e+29`, expected u32",
        ),
        ("duplicate_key.json", ":4:8: duplicate field `name`"),
        (
            "duplicate_key_in_extra.json",
            ":4:25 at `/extra/k`: duplicate key `k`: each key may appear once in an object",
        ),
        ("empty.json", ": empty: no profile here"),
        (
            "negative_count.json",
            ":5:35 at `/family/0/count`: invalid value: integer `-1`, expected u32",
        ),
        (
            "not_utf8.json",
            ": not valid UTF-8: byte 0xE9 at line 3, column 15 (byte offset 34)",
        ),
        (
            "truncated.json",
            ":6:0 at `/recalls`: EOF while parsing a list",
        ),
        (
            "unknown_key.json",
            ":4:9 at `/recal`: unknown field `recal`, expected one of `id`, `name`, `born`, \
             `defection`, `induced`, `premeditated`, `recalls`, `troubles`, \
             `marital_status`, `family`, `contacts`, `memberships`, `motives`, `fears`, \
             `traits`, `concealments`, `history`, `aftermath`, `extra`",
        ),
        (
            "unknown_nested_key.json",
            ":5:33 at `/recalls/0/when`: unknown field `when`, expected one of `date`, \
             `status`, `form`, `note`, `source`, `certainty`",
        ),
        (
            "wrong_type_born_string.json",
            ":4:22 at `/born`: invalid type: string \"1900, Kiev\", expected struct Born",
        ),
        (
            "wrong_type_count_string.json",
            ":5:38 at `/family/0/count`: invalid type: string \"two\", expected u32",
        ),
        (
            "wrong_type_name_number.json",
            ":3:12 at `/name`: invalid type: integer `42`, expected a string",
        ),
        (
            "wrong_type_recalls_number.json",
            ":4:14 at `/recalls`: invalid type: integer `3`, expected a non-empty array of \
             cited items, or {\"none\": citation}",
        ),
    ]
}

/// The fixtures that load: (file, profile id).
const PROFILES_THAT_SCORE: &[(&str, &str)] =
    &[("big_number_in_extra.json", "bigx"), ("bom.json", "bom")];

/// mixed.ndjson, line by line: (line, Ok(id) or Err(exact error after `file:LINE`)).
fn mixed_lines() -> Vec<(usize, Result<&'static str, &'static str>)> {
    vec![
        (1, Ok("first")),
        // line 2 is blank: skipped
        (3, Err(" at `/name`: EOF while parsing a value (column 25)")),
        // line 4 holds only spaces: skipped too
        (5, Ok("third")),
        (
            6,
            Err(": expected a JSON value (the only bare words are `true`, \
                 `false` and `null`) (column 2)"),
        ),
        (
            7,
            Err(
                " at `/oops`: unknown field `oops`, expected one of `id`, `name`, `born`, \
                 `defection`, `induced`, `premeditated`, `recalls`, `troubles`, \
                 `marital_status`, `family`, `contacts`, `memberships`, `motives`, `fears`, \
                 `traits`, `concealments`, `history`, `aftermath`, `extra` (column 39)",
            ),
        ),
        (8, Ok("sixth")),
    ]
}

#[test]
fn each_bad_profile_fails_alone_with_file_line_and_cause() {
    for (name, tail) in profile_errors() {
        let path = hostile(name);
        let reports = score_strings(std::slice::from_ref(&path));
        assert_eq!(reports.len(), 1, "{name}");
        let f = failed(&reports[0]);
        assert_eq!(f.source, path);
        assert_eq!(f.error.origin, path);
        assert_eq!(f.error.to_string(), format!("{path}{tail}"), "{name}");
    }
}

#[test]
fn the_profiles_that_load_are_scored() {
    for (name, id) in PROFILES_THAT_SCORE {
        let reports = score_strings(&[hostile(name)]);
        let s = scored(&reports[0]);
        assert_eq!(s.id, *id);
        assert_eq!(s.findings.len(), shipped_count(), "{name}");
        assert!(s.findings.iter().all(|f| f.verdict != Verdict::Error));
    }
}

#[test]
fn a_leading_byte_order_mark_is_ignored() {
    let text = fs::read(profiles_dir().join("bom.json")).unwrap();
    assert_eq!(&text[..3], b"\xEF\xBB\xBF");
    let s = score_strings(&[hostile("bom.json")]);
    assert_eq!(scored(&s[0]).name, "Byte-order mark");
}

#[test]
fn duplicate_keys_are_rejected_in_the_schema_and_in_extra() {
    // A duplicated profile field is an error (serde's "duplicate field")...
    let text = fs::read_to_string(profiles_dir().join("duplicate_key.json")).unwrap();
    let e = casematch::load::parse(&text, "dup.json").unwrap_err();
    assert_eq!(e.message, "duplicate field `name`");
    assert_eq!((e.line, e.column), (Some(4), Some(8)));
    // ...and so is a duplicated key in the free-form `extra`, where serde_json alone
    // would keep the last value without a word.
    let text = fs::read_to_string(profiles_dir().join("duplicate_key_in_extra.json")).unwrap();
    let e = casematch::load::parse(&text, "dupx.json").unwrap_err();
    assert_eq!(e.path, "/extra/k");
    assert_eq!(
        e.message,
        "duplicate key `k`: each key may appear once in an object"
    );
    assert_eq!((e.line, e.column), (Some(4), Some(25)));
}

#[test]
fn duplicate_keys_are_found_at_any_depth_of_extra() {
    let parse = |extra: &str| {
        let text = format!("{{\"id\": \"x\", \"name\": \"X\",\n\"extra\": {extra}}}");
        casematch::load::parse(&text, "x.json")
    };
    let e = parse(r#"{"a": [1, {"b": {"k": 1, "k": 2}}]}"#).unwrap_err();
    assert_eq!(
        e.to_string(),
        "x.json:2:39 at `/extra/a/1/b/k`: duplicate key `k`: each key may appear once in an object"
    );
    // The same key in sibling objects is no duplicate; nor is a key equal to a value.
    let loaded = parse(r#"{"a": {"k": 1}, "b": {"k": "k"}, "c": [{"k": 1}, {"k": 2}]}"#).unwrap();
    let extra = serde_json::Value::Object(loaded.profile.extra.unwrap());
    assert_eq!(
        extra,
        serde_json::json!({"a": {"k": 1}, "b": {"k": "k"}, "c": [{"k": 1}, {"k": 2}]})
    );
    // null is no extra at all; anything but an object is refused.
    assert_eq!(parse("null").unwrap().profile.extra, None);
    assert_eq!(
        parse("[1]").unwrap_err().to_string(),
        "x.json:2:9 at `/extra`: invalid type: sequence, expected an object"
    );
}

/// Serde's derive would read an array where a struct belongs, field by field in order:
/// `"born": ["1919", "Kiev", {...}]` would be a birth date and place.
#[test]
fn an_array_where_an_object_belongs_is_refused_at_every_level() {
    let cite = r#"{"ref": "section II", "quote": "q"}"#;
    let cases = [
        (
            format!(r#""born": ["1919", "Kiev", {cite}]"#),
            "/born",
            "struct Born",
        ),
        (
            r#""defection": ["1954", "Canberra"]"#.to_string(),
            "/defection",
            "struct Defection",
        ),
        (
            format!(r#""induced": [true, {cite}]"#),
            "/induced",
            "struct Fact",
        ),
        (
            r#""recalls": [["1954", "in_force"]]"#.to_string(),
            "/recalls/0",
            "struct Recall",
        ),
        (
            r#""recalls": [{"status": "in_force", "source": ["section II", "q"]}]"#.to_string(),
            "/recalls/0/source",
            "struct Citation",
        ),
        (
            r#""fears": {"none": ["section II", "q"]}"#.to_string(),
            "/fears/none",
            "struct Citation",
        ),
    ];
    for (field, path, what) in cases {
        let text = format!("{{\"id\": \"x\", \"name\": \"X\", {field}}}");
        let e = casematch::load::parse(&text, "x.json").unwrap_err();
        assert_eq!(e.path, path, "{field}");
        assert_eq!(
            e.message,
            format!(
                "invalid type: array, expected an object {{...}} ({what}): fields are named, \
                 never given by position"
            ),
            "{field}"
        );
        assert_eq!(e.line, Some(1), "{field}");
    }
}

#[test]
fn an_enum_is_a_name_never_an_object() {
    // serde_json also reads `{"in_force": null}` as the variant `in_force`.
    let text = r#"{"id": "x", "name": "X", "recalls": [
        {"status": {"in_force": null}, "source": {"ref": "section II", "quote": "q"}}]}"#;
    let e = casematch::load::parse(text, "x.json").unwrap_err();
    assert_eq!(
        e.to_string(),
        "x.json:2:20 at `/recalls/0/status`: invalid type: map, expected enum RecallStatus \
         (a string)"
    );
    let text = r#"{"id": "x", "name": "X", "marital_status": {"value": ["married"],
        "source": {"ref": "section II", "quote": "q"}}}"#;
    let e = casematch::load::parse(text, "x.json").unwrap_err();
    assert_eq!(e.path, "/marital_status/value");
    assert_eq!(
        e.message,
        "invalid type: sequence, expected enum MaritalStatus (a string)"
    );
    // A name still gets serde's own message when it is not a variant.
    let text = r#"{"id": "x", "name": "X", "recalls": [
        {"status": "maybe", "source": {"ref": "section II", "quote": "q"}}]}"#;
    let e = casematch::load::parse(text, "x.json").unwrap_err();
    assert_eq!(
        e.message,
        "unknown variant `maybe`, expected `in_force` or `cancelled`"
    );
}

#[test]
fn the_binary_names_an_array_for_a_struct_with_file_line_and_path() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("positional.json");
    fs::write(
        &path,
        "{\n  \"id\": \"x\",\n  \"name\": \"X\",\n  \"born\": [\"1919\", \"Kiev\"]\n}\n",
    )
    .unwrap();
    let p = path.display().to_string();
    let (code, stdout, stderr) = casematch(&["validate", &p]);
    assert_eq!(code, 2);
    assert_eq!(stdout, "0 valid, 1 invalid\n");
    assert_eq!(
        stderr,
        format!(
            "error: {p}:4:11 at `/born`: invalid type: array, expected an object {{...}} \
             (struct Born): fields are named, never given by position\n"
        )
    );
}

#[test]
fn numbers_beyond_i64_become_floats_in_extra() {
    let text = fs::read_to_string(profiles_dir().join("big_number_in_extra.json")).unwrap();
    let loaded = casematch::load::parse(&text, "bigx.json").unwrap();
    let extra = loaded.profile.extra.unwrap();
    assert_eq!(extra["beyond_i64"].as_f64(), Some(1.2345678901234568e29));
    assert_eq!(extra["beyond_u64"].as_i64(), None);
    assert_eq!(extra["beyond_u64"].as_f64(), Some(18446744073709551616.0));
}

#[test]
fn ndjson_bad_lines_are_named_and_good_lines_scored_in_order() {
    let path = hostile("mixed.ndjson");
    let reports = score_strings(std::slice::from_ref(&path));
    let expected = mixed_lines();
    assert_eq!(reports.len(), expected.len());
    for (report, (line, outcome)) in reports.iter().zip(expected) {
        let origin = format!("{path}:{line}");
        assert_eq!(report.source(), origin);
        match outcome {
            Ok(id) => assert_eq!(scored(report).id, id),
            Err(tail) => {
                let f = failed(report);
                assert_eq!(f.error.origin, origin);
                assert_eq!((f.error.line, f.error.column), (None, None));
                assert_eq!(f.error.to_string(), format!("{origin}{tail}"));
            }
        }
    }
}

#[test]
fn a_whole_hostile_folder_among_good_cases_gives_one_report_each_in_order() {
    let cases = case_files();
    let first = cases[0].display().to_string();
    let last = cases[19].display().to_string();
    let missing = profiles_dir().join("no-such.json").display().to_string();
    let paths = vec![
        first.clone(),
        profiles_dir().display().to_string(),
        missing.clone(),
        last.clone(),
    ];
    let reports = score_strings(&paths);

    // Expected, in order: the first case; the folder's files sorted by name (with
    // mixed.ndjson expanded line by line); the missing path; the last case.
    let mut names: Vec<&str> = profile_errors()
        .iter()
        .map(|(n, _)| *n)
        .chain(PROFILES_THAT_SCORE.iter().map(|(n, _)| *n))
        .chain(["mixed.ndjson"])
        .collect();
    names.sort();
    let mut expected: Vec<(String, bool)> = vec![(first, true)];
    for name in names {
        if name == "mixed.ndjson" {
            for (line, outcome) in mixed_lines() {
                expected.push((format!("{}:{line}", hostile(name)), outcome.is_ok()));
            }
        } else {
            let ok = PROFILES_THAT_SCORE.iter().any(|(n, _)| *n == name);
            expected.push((hostile(name), ok));
        }
    }
    expected.push((missing.clone(), false));
    expected.push((last, true));

    let got: Vec<(String, bool)> = reports
        .iter()
        .map(|r| (r.source().to_string(), matches!(r, Report::Scored(_))))
        .collect();
    assert_eq!(got, expected);
    assert_eq!(
        failed(&reports[reports.len() - 2]).error.to_string(),
        format!("{missing}: no such file or directory")
    );
    assert_eq!(scored(&reports[0]).id, "bessedovsky");
    assert_eq!(scored(reports.last().unwrap()).id, "petrov");
}

#[test]
fn nesting_100000_deep_is_refused_without_overflowing_the_stack() {
    let dir = tempfile::tempdir().unwrap();
    let depth = 100_000;
    let deep = format!(
        "{{\"id\": \"deep\", \"name\": \"Deep\",\n\"extra\": {{\"a\": {}{}}}}}\n",
        "[".repeat(depth),
        "]".repeat(depth)
    );
    let path = dir.path().join("deep.json");
    fs::write(&path, deep).unwrap();
    // The same, as a line of NDJSON between two good ones.
    let nd = dir.path().join("deep.ndjson");
    let line = format!(
        "{{\"id\": \"deep\", \"name\": \"Deep\", \"extra\": {{\"a\": {}{}}}}}",
        "[".repeat(depth),
        "]".repeat(depth)
    );
    fs::write(
        &nd,
        format!("{{\"id\": \"a\", \"name\": \"A\"}}\n{line}\n{{\"id\": \"b\", \"name\": \"B\"}}\n"),
    )
    .unwrap();
    let p = path.display().to_string();
    let n = nd.display().to_string();
    let reports = score_strings(&[p.clone(), n.clone()]);
    assert_eq!(reports.len(), 4);
    // serde_json gives up at 128 levels (the root and `extra` are two of them).
    let at = format!("/extra/a{}", "/0".repeat(125));
    assert_eq!(
        failed(&reports[0]).error.to_string(),
        format!("{p}:2:141 at `{at}`: recursion limit exceeded")
    );
    assert_eq!(scored(&reports[1]).id, "a");
    assert_eq!(
        failed(&reports[2]).error.to_string(),
        format!("{n}:2 at `{at}`: recursion limit exceeded (column 172)")
    );
    assert_eq!(scored(&reports[3]).id, "b");
}

#[test]
fn a_50_mb_string_is_read_and_scored() {
    let dir = tempfile::tempdir().unwrap();
    let size = 50 << 20;
    let name = "x".repeat(size);
    let path = dir.path().join("huge.json");
    fs::write(&path, format!("{{\"id\": \"huge\", \"name\": \"{name}\"}}")).unwrap();
    let good = case_files()[1].display().to_string();
    let reports = score_strings(&[path.display().to_string(), good]);
    assert_eq!(reports.len(), 2);
    let s = scored(&reports[0]);
    assert_eq!(s.name.len(), size);
    assert_eq!(s.findings.len(), shipped_count());
    assert!(s.findings.iter().all(|f| f.verdict == Verdict::Unknown));
    assert_eq!(scored(&reports[1]).id, "agabekov");
}

#[test]
fn symlink_loops_are_walked_once() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    fs::copy(&case_files()[0], d.join("good.json")).unwrap();
    fs::create_dir(d.join("sub")).unwrap();
    std::os::unix::fs::symlink("..", d.join("sub/up")).unwrap();
    std::os::unix::fs::symlink(".", d.join("here")).unwrap();
    // A symlink to itself cannot be resolved at all.
    std::os::unix::fs::symlink("self.json", d.join("self.json")).unwrap();
    // Not a profile: its breakage is nobody's concern.
    std::os::unix::fs::symlink("nowhere", d.join("README")).unwrap();

    let sources = resolve(&[d.display().to_string()]);
    let good = d.join("good.json");
    let selfloop = d.join("self.json").display().to_string();
    assert_eq!(
        sources,
        vec![
            Source::Json(good),
            Source::Broken {
                origin: selfloop.clone(),
                message: "Too many levels of symbolic links (os error 40)".to_string(),
            },
        ]
    );
    let reports = score_strings(&[d.display().to_string()]);
    assert_eq!(reports.len(), 2);
    assert_eq!(scored(&reports[0]).id, "bessedovsky");
    assert_eq!(failed(&reports[1]).source, selfloop);
}

/// Whether this process can read a file whose mode is 000 (it can as root).
fn can_read_mode_000(dir: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    let p = dir.join("probe");
    fs::write(&p, "x").unwrap();
    fs::set_permissions(&p, fs::Permissions::from_mode(0o000)).unwrap();
    let readable = fs::read(&p).is_ok();
    fs::remove_file(&p).unwrap();
    readable
}

#[test]
fn unreadable_entries_fail_alone_and_never_block() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    fs::copy(&case_files()[0], d.join("a-good.json")).unwrap();
    // A FIFO with no writer: reading it would block for ever, so the walk skips it.
    let status = Command::new("mkfifo")
        .arg(d.join("b-fifo.json"))
        .status()
        .unwrap();
    assert!(status.success());
    // A dangling symlink.
    std::os::unix::fs::symlink("gone.json", d.join("c-dangling.json")).unwrap();
    // Mode 000: unreadable, except to root (the tests usually run as root), where the
    // FIFO and the dangling symlink above stand in as the unreadable cases.
    let locked = d.join("d-locked.json");
    let root_reads_anything = can_read_mode_000(d);
    if !root_reads_anything {
        fs::copy(&case_files()[1], &locked).unwrap();
        fs::set_permissions(&locked, fs::Permissions::from_mode(0o000)).unwrap();
    }
    fs::copy(&case_files()[19], d.join("e-good.json")).unwrap();

    let reports = score_strings(&[d.display().to_string()]);
    let name = |n: &str| d.join(n).display().to_string();
    let mut expected = vec![
        (name("a-good.json"), Ok("bessedovsky")),
        (
            name("b-fifo.json"),
            Err("not a regular file (a FIFO, socket or device): skipped"),
        ),
        (
            name("c-dangling.json"),
            Err("a broken symbolic link (its target does not exist)"),
        ),
    ];
    if !root_reads_anything {
        expected.push((name("d-locked.json"), Err("permission denied")));
    }
    expected.push((name("e-good.json"), Ok("petrov")));
    assert_eq!(reports.len(), expected.len());
    for (r, (source, outcome)) in reports.iter().zip(expected) {
        assert_eq!(r.source(), source);
        match outcome {
            Ok(id) => assert_eq!(scored(r).id, id),
            Err(m) => assert_eq!(failed(r).error.to_string(), format!("{source}: {m}")),
        }
    }
    // Named directly, a dangling symlink says the same.
    let direct = score_strings(&[name("c-dangling.json")]);
    assert_eq!(
        failed(&direct[0]).error.message,
        "a broken symbolic link (its target does not exist)"
    );
}

// ---------------------------------------------------------------------------------------
// The real binary
// ---------------------------------------------------------------------------------------

use crate::support::run_binary as casematch;

#[test]
fn the_binary_reports_bad_profiles_with_exit_code_2() {
    let good = case_files()[0].display().to_string();
    let truncated = hostile("truncated.json");
    let mixed = hostile("mixed.ndjson");
    let (code, stdout, stderr) =
        casematch(&["score", "--format", "json", &good, &truncated, &mixed]);
    assert_eq!(code, 2, "{stderr}");
    let reports: Vec<serde_json::Value> = serde_json::from_str(&stdout).unwrap();
    let sources: Vec<&str> = reports
        .iter()
        .map(|r| {
            r["source"]
                .as_str()
                .or(r["error"]["origin"].as_str())
                .unwrap()
        })
        .collect();
    let line = |l: usize| format!("{mixed}:{l}");
    assert_eq!(
        sources,
        vec![
            good.as_str(),
            truncated.as_str(),
            &line(1),
            &line(3),
            &line(5),
            &line(6),
            &line(7),
            &line(8),
        ]
    );
    let (problems, summary) = stderr.trim_end().rsplit_once('\n').unwrap();
    assert!(
        summary.starts_with("8 profiles read, 4 scored, 4 failed in "),
        "{stderr}"
    );
    assert_eq!(
        problems.lines().collect::<Vec<_>>(),
        vec![
            format!("error: {truncated}:6:0 at `/recalls`: EOF while parsing a list"),
            format!("error: {}{}", line(3), mixed_lines()[1].1.unwrap_err()),
            format!("error: {}{}", line(6), mixed_lines()[3].1.unwrap_err()),
            format!("error: {}{}", line(7), mixed_lines()[4].1.unwrap_err()),
        ]
    );
}

#[test]
fn the_binary_validates_the_corpus_with_exit_code_2() {
    let (code, stdout, stderr) = casematch(&["validate", &profiles_dir().display().to_string()]);
    assert_eq!(code, 2);
    // 2 files that load and 3 good NDJSON lines; 15 bad files and 3 bad lines.
    assert_eq!(stdout, "5 valid, 18 invalid\n");
    assert_eq!(stderr.lines().count(), 18);
    assert!(stderr.contains(&format!(
        "error: {}: empty: no profile here",
        hostile("empty.json")
    )));
}

#[test]
fn the_binary_scores_with_hostile_rules_and_exits_1() {
    let good = case_files()[0].display().to_string();
    let dir = rules_dir().display().to_string();
    let args = [
        "score",
        "--format",
        "json",
        "--rules",
        &dir,
        "--max-operations",
        "200000",
        "--timeout-ms",
        "600000",
        &good,
    ];
    let (code, stdout, stderr) = casematch(&args);
    assert_eq!(code, 1, "{stderr}");
    // The four rules that cannot be loaded are named on stderr, with file and line;
    // the summary counts the profile whose rules failed.
    let loaded: Vec<&str> = stderr.lines().collect();
    assert_eq!(loaded.len(), 5, "{stderr}");
    assert!(
        loaded[4].starts_with("1 profile read, 1 scored, 0 failed (1 with a rule error) in "),
        "{stderr}"
    );
    assert!(loaded[0].starts_with(&format!("error: rule {dir}/not_utf8.rhai:5:38: ")));
    let reports: Vec<serde_json::Value> = serde_json::from_str(&stdout).unwrap();
    let findings = reports[0]["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 18);
    let verdicts: Vec<(&str, &str)> = findings
        .iter()
        .map(|f| (f["rule"].as_str().unwrap(), f["verdict"].as_str().unwrap()))
        .filter(|(_, v)| *v != "error")
        .collect();
    assert_eq!(verdicts, vec![("under_recall", "yes")]);
}

// ---------------------------------------------------------------------------------------
// Fuzzing regressions: every input a fuzz target crashed on (fuzz/regressions/), run
// through the same checks as the target (see docs/fuzzing.md)
// ---------------------------------------------------------------------------------------

fn regressions(target: &str) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = fs::read_dir(root().join("fuzz/regressions").join(target))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.file_name().is_some_and(|n| n != ".gitkeep"))
        .collect();
    files.sort();
    files
}

/// The profile target's checks (fuzz/fuzz_targets/profile.rs), on one input.
fn profile_target(data: &[u8]) -> Result<usize, String> {
    use casematch::cli::ScoreFormat;
    use clap::ValueEnum;
    let Ok(text) = std::str::from_utf8(data) else {
        return Err("not UTF-8".to_string());
    };
    let mut scored = 0;
    for origin in ["fuzz.json", "fuzz.ndjson:7"] {
        let report = match casematch::load::parse(text, origin) {
            Err(error) => {
                assert_eq!(error.origin, origin);
                assert!(error.to_string().starts_with(origin));
                Report::Failed(Failed {
                    source: origin.to_string(),
                    error,
                })
            }
            Ok(loaded) => {
                let again = casematch::load::parse(&loaded.value().to_string(), origin)
                    .map_err(|e| format!("its own JSON does not load: {e}"))?;
                if again.value() != loaded.value() {
                    return Err(format!("changed in a round trip: {}", loaded.value()));
                }
                let s = shipped().score(&loaded, origin);
                assert_eq!(s.findings.len(), shipped_count());
                for f in &s.findings {
                    assert_ne!(f.verdict, Verdict::Error, "{}: {}", f.rule, f.reason);
                }
                scored += 1;
                Report::Scored(s)
            }
        };
        for &format in ScoreFormat::value_variants() {
            let mut out = Vec::new();
            let mut r = casematch::render::renderer(format).unwrap();
            r.begin(&mut out).unwrap();
            r.report(&mut out, &report).unwrap();
            r.end(&mut out).unwrap();
            String::from_utf8(out).expect("renderers write UTF-8");
        }
    }
    Ok(scored)
}

#[test]
fn every_profile_the_fuzzer_crashed_on_now_passes_its_checks() {
    let files = regressions("profile");
    assert!(!files.is_empty());
    for f in files {
        let data = fs::read(&f).unwrap();
        let outcome = profile_target(&data);
        assert!(outcome.is_ok(), "{}: {}", f.display(), outcome.unwrap_err());
    }
}

#[test]
fn a_float_beyond_i64_in_extra_reads_back_as_itself() {
    // The first crash: 123416789012345678901234567890 was read as 1.2341678901234568e29,
    // written so, and read back as ...567e29 (serde_json without `float_roundtrip`).
    let data = fs::read(root().join("fuzz/regressions/profile/float-roundtrip.json")).unwrap();
    assert_eq!(profile_target(&data), Ok(2));
    let loaded = casematch::load::parse(std::str::from_utf8(&data).unwrap(), "f.json").unwrap();
    let again = casematch::load::parse(&loaded.value().to_string(), "f.json").unwrap();
    let (x, y) = (
        loaded.value()["extra"]["beyond_i64"].as_f64().unwrap(),
        again.value()["extra"]["beyond_i64"].as_f64().unwrap(),
    );
    // Exact, now that serde_json parses with correct rounding (`float_roundtrip`).
    assert_eq!(x.to_bits(), y.to_bits(), "{x} vs {y}");
}
