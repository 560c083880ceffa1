//! `casematch cohort`: counts, the matrix, and the study's figures checked as claims with
//! unknown-aware bounds; each output format; the HTML page's structure and escaping.

use casematch::cases;
use casematch::claims::{Checked, ClaimSet};
use casematch::cli::CohortFormat;
use casematch::cohort::Cohort;
use casematch::input::{documents, resolve};
use casematch::render::cohort::write;
use serde_json::{json, Value};

use crate::support::{root, shipped};

fn history() -> Cohort {
    let claims = ClaimSet::study();
    Cohort::build(shipped(), documents(cases::sources()), &claims.pointers())
}

fn claim<'a>(checked: &'a [Checked], id: &str) -> &'a Checked {
    checked.iter().find(|c| c.id == id).unwrap()
}

fn render(format: CohortFormat, cohort: &Cohort, claims: &[Checked]) -> String {
    let mut out = Vec::new();
    write(format, &mut out, cohort, claims).unwrap();
    String::from_utf8(out).unwrap()
}

#[test]
fn every_study_claim_is_consistent_with_its_bounds() {
    let checked = ClaimSet::study().check(&history());
    let bounds: Vec<(&str, usize, usize, usize)> = checked
        .iter()
        .map(|c| (c.id.as_str(), c.expected, c.lower, c.upper))
        .collect();
    assert_eq!(
        bounds,
        vec![
            ("recall-and-fear-14", 14, 14, 18),
            ("immediate-family-14", 14, 11, 19),
            ("immediate-family-outside-11", 11, 6, 16),
            ("three-exceptions", 3, 3, 3),
            ("remote-family-11", 11, 3, 20),
            ("agabekov-parents", 1, 1, 1),
            ("party-members-17", 17, 15, 19),
            ("party-unknown-1", 1, 0, 4),
            ("party-not-2", 2, 1, 5),
            ("united-states-3", 3, 3, 3),
            ("ideological-exceptions-not-pressed", 4, 4, 4),
            ("ideological-exceptions-claimed", 2, 2, 2),
            ("purges", 4, 4, 4),
            ("beria", 2, 2, 2),
            ("skochkov-unpremeditated", 1, 1, 1),
            ("derjabin-after-skochkov", 1, 1, 1),
            ("fear-in-all-20", 20, 19, 20),
        ]
    );
    for c in &checked {
        assert!(c.consistent, "{}: {}", c.id, c.why);
    }
    assert_eq!(
        claim(&checked, "recall-and-fear-14").why,
        "recall_and_fear: 14 yes, 2 no, 4 unknown; the true count lies between 14 and 18 \
         (every unknown could go either way), and 14 is within reach"
    );
}

const WRONG: &str = r#"{ "claims": [
  { "id": "too-many", "text": "19 recalled in fear", "section": "section II",
    "quote": "x", "rules": ["recall_and_fear"], "expected": 19 },
  { "id": "too-few", "text": "13 recalled in fear", "section": "section II",
    "quote": "x", "rules": ["recall_and_fear"], "expected": 13 },
  { "id": "at-most-too-few", "text": "at most 10", "section": "section II",
    "quote": "x", "rules": ["recall_and_fear"], "expected": 10, "relation": "at_most" },
  { "id": "kravchenko-recalled", "text": "Kravchenko was recalled", "section": "section II",
    "quote": "x", "rules": ["under_recall"], "cases": ["kravchenko", "petrov"] },
  { "id": "nobody-unknown", "text": "5 without information", "section": "section IV",
    "quote": "x", "rules": ["party_or_komsomol_member"], "verdict": "unknown", "expected": 5 }
] }"#;

#[test]
fn a_deliberately_wrong_claim_is_reported_inconsistent_and_why() {
    let claims = ClaimSet::parse(WRONG, "wrong.json").unwrap();
    let checked = claims.check(&history());
    let got: Vec<(&str, bool, usize, usize, &str)> = checked
        .iter()
        .map(|c| {
            (
                c.id.as_str(),
                c.consistent,
                c.lower,
                c.upper,
                c.why.as_str(),
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            ("too-many", false, 14, 18,
             "recall_and_fear: 14 yes, 2 no, 4 unknown; at most 18 could answer yes (14 yes + 4 unknown), fewer than 19"),
            ("too-few", false, 14, 18,
             "recall_and_fear: 14 yes, 2 no, 4 unknown; already 14 answer yes, more than 13"),
            ("at-most-too-few", false, 14, 18,
             "recall_and_fear: 14 yes, 2 no, 4 unknown; already 14 answer yes, more than at most 10"),
            ("kravchenko-recalled", false, 1, 1, "contradicted: kravchenko: under_recall is no"),
            ("nobody-unknown", false, 0, 4,
             "party_or_komsomol_member: 15 yes, 1 no, 4 unknown; only 4 cases are unknown, fewer than 5"),
        ]
    );
}

#[test]
fn unknowns_widen_the_bounds_and_a_missing_case_is_open() {
    // Without `recalls`, Petrov's recall is unknown: the claim can no longer be settled
    // either way, so it stays consistent with a wider range.
    let dir = tempfile::tempdir().unwrap();
    let mut petrov: Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("fixtures/cases/20-petrov.json")).unwrap(),
    )
    .unwrap();
    petrov.as_object_mut().unwrap().remove("recalls");
    std::fs::write(dir.path().join("p.json"), petrov.to_string()).unwrap();
    let cohort = Cohort::build(
        shipped(),
        documents(resolve(&[dir.path().display().to_string()])),
        &[],
    );
    let claims = ClaimSet::parse(
        r#"{"claims": [
          {"id": "one", "text": "t", "section": "section II", "quote": "q",
           "rules": ["recall_and_fear"], "expected": 1},
          {"id": "two", "text": "t", "section": "section II", "quote": "q",
           "rules": ["under_recall"], "verdict": "no", "cases": ["kravchenko"]},
          {"id": "ghost", "text": "t", "section": "section II", "quote": "q",
           "rules": ["no_such_rule"], "expected": 1}
        ]}"#,
        "t.json",
    )
    .unwrap();
    let checked = claims.check(&cohort);
    assert_eq!(
        (checked[0].lower, checked[0].upper, checked[0].consistent),
        (0, 1, true)
    );
    assert_eq!(
        (checked[1].lower, checked[1].upper, checked[1].consistent),
        (0, 1, true)
    );
    assert_eq!(
        checked[1].why,
        "not contradicted, but not all known: kravchenko is not in the cohort"
    );
    assert_eq!((checked[2].lower, checked[2].upper), (0, 1));
    assert!(
        checked[2]
            .why
            .ends_with("(no rule `no_such_rule` in this rule set: it counts as unknown)"),
        "{}",
        checked[2].why
    );
}

#[test]
fn a_bad_claims_file_is_an_error_that_says_where() {
    let cases = [
        (
            r#"{"claims": [{"id": "a"}]}"#,
            "c.json:1:23 at `claims[0]`: missing field `text`",
        ),
        (
            r#"{"claims": [{"id": "a", "text": "t", "section": "chapter 2", "quote": "q", "rules": ["x"], "expected": 1}]}"#,
            "c.json:1:59 at `claims[0].section`: invalid source reference `chapter 2`",
        ),
        (
            r#"{"claims": [{"id": "a", "text": "t", "section": "preface", "quote": "q", "rules": ["x"]}]}"#,
            "c.json: claim `a`: a count claim needs `expected`",
        ),
        (
            r#"{"claims": [{"id": "a", "text": "t", "section": "preface", "quote": "q", "expected": 1}]}"#,
            "c.json: claim `a`: give either `rules` or `fact`",
        ),
        (
            r#"{"claims": [{"id": "a", "text": "t", "section": "preface", "quote": "q", "rules": ["x"], "expected": 1},
                         {"id": "a", "text": "t", "section": "preface", "quote": "q", "rules": ["x"], "expected": 1}]}"#,
            "c.json: claim `a`: the id is used twice",
        ),
    ];
    for (text, want) in cases {
        let e = ClaimSet::parse(text, "c.json").unwrap_err().to_string();
        assert!(e.starts_with(want), "{e}\n  wanted: {want}");
    }
}

#[test]
fn every_claim_quote_stands_in_the_study() {
    let fold = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
    let study = fold(&std::fs::read_to_string(root().join("fixtures/study.txt")).unwrap());
    let file: Value = serde_json::from_str(casematch::claims::STUDY).unwrap();
    let claims = file["claims"].as_array().unwrap();
    assert_eq!(claims.len(), 17);
    for c in claims {
        let q = fold(c["quote"].as_str().unwrap());
        assert!(study.contains(&q), "{}: {q}", c["id"]);
    }
}

#[test]
fn counts_and_matrix_of_the_twenty() {
    let cohort = history();
    assert_eq!(cohort.rows.len(), 20);
    assert!(cohort.failed.is_empty());
    let t = cohort.tallies();
    let get = |id: &str| t.iter().find(|x| x.rule == id).unwrap().counts;
    let c = get("recall_and_fear");
    assert_eq!((c.yes, c.no, c.unknown, c.error), (14, 2, 4, 0));
    let c = get("has_immediate_family");
    assert_eq!((c.yes, c.no, c.unknown, c.error), (11, 1, 8, 0));
    let c = get("party_or_komsomol_member");
    assert_eq!((c.yes, c.no, c.unknown, c.error), (15, 1, 4, 0));
    for x in &t {
        assert_eq!(x.counts.total(), 20, "{}", x.rule);
    }
    // Rows in the study's order; cells in rule id order.
    assert_eq!(cohort.rows[0].id, "bessedovsky");
    assert_eq!(cohort.rows[19].id, "petrov");
    let ids: Vec<&str> = cohort.rows[0]
        .cells
        .iter()
        .map(|c| c.rule.as_str())
        .collect();
    let mut sorted = ids.clone();
    sorted.sort();
    assert_eq!(ids, sorted);
}

use crate::support::run_binary as casematch;

#[test]
fn cohort_json_has_the_documented_shape() {
    let (code, out, err) = casematch(&["cohort", "--format", "json"]);
    assert_eq!(code, 0, "{err}");
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["cases"], 20);
    let keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(keys, ["cases", "claims", "failed", "indicators", "matrix"]);
    let ind = &v["indicators"][0];
    assert_eq!(
        ind,
        &json!({"rule": "concealed_compromising_background",
                "title": "Concealed compromising background",
                "yes": 2, "no": 0, "unknown": 18, "error": 0})
    );
    let c = &v["claims"][0];
    for k in [
        "id",
        "text",
        "section",
        "expected",
        "lower",
        "upper",
        "consistent",
        "why",
        "quote",
    ] {
        assert!(c.get(k).is_some(), "claim has no `{k}`: {c}");
    }
    assert_eq!(c["lower"], 14);
    assert_eq!(c["upper"], 18);
    assert_eq!(c["consistent"], true);
    let row = &v["matrix"][19];
    assert_eq!(row["id"], "petrov");
    let cell = row["cells"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["rule"] == "under_recall")
        .unwrap();
    assert_eq!(cell["verdict"], "yes");
}

#[test]
fn a_wrong_claims_file_exits_1_and_names_the_claim() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("wrong.json");
    std::fs::write(&path, WRONG).unwrap();
    let (code, out, err) = casematch(&["cohort", "--claims", path.to_str().unwrap()]);
    assert_eq!(code, 1);
    assert!(
        out.contains("claims: 0 of 5 consistent with the encoded cases"),
        "{out}"
    );
    assert!(
        err.contains("inconsistent claim `kravchenko-recalled`: contradicted: kravchenko: under_recall is no"),
        "{err}"
    );
}

#[test]
fn each_format_of_the_twenty() {
    let cohort = history();
    let checked = ClaimSet::study().check(&cohort);
    for (name, format) in [
        ("table", CohortFormat::Table),
        ("csv", CohortFormat::Csv),
        ("markdown", CohortFormat::Markdown),
        ("html", CohortFormat::Html),
    ] {
        insta::assert_snapshot!(format!("cohort_{name}"), render(format, &cohort, &checked));
    }
    let json: Value = serde_json::from_str(&render(CohortFormat::Json, &cohort, &checked)).unwrap();
    insta::assert_json_snapshot!("cohort_json", json);
}

#[test]
fn the_table_fits_80_columns() {
    let cohort = history();
    let out = render(
        CohortFormat::Table,
        &cohort,
        &ClaimSet::study().check(&cohort),
    );
    for line in out.lines() {
        assert!(line.chars().count() <= 80, "{line}");
    }
}

/// A minimal tag-balance check: every element we open is closed, in order.
fn check_nesting(html: &str) -> Vec<String> {
    let void = ["meta", "br", "rect", "line", "img", "input", "hr"];
    let mut stack: Vec<String> = Vec::new();
    let mut rest = html;
    while let Some(i) = rest.find('<') {
        rest = &rest[i + 1..];
        let end = rest.find('>').expect("every tag ends");
        let tag = &rest[..end];
        rest = &rest[end + 1..];
        if tag.starts_with('!') {
            continue;
        }
        let self_closing = tag.ends_with('/');
        let name: String = tag
            .trim_start_matches('/')
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .collect();
        if tag.starts_with('/') {
            let open = stack.pop().unwrap_or_default();
            assert_eq!(open, name, "closing </{name}> while <{open}> is open");
        } else if !self_closing && !void.contains(&name.as_str()) {
            stack.push(name.clone());
        }
        if name == "style" && !tag.starts_with('/') {
            // Skip the stylesheet's text (it has no tags, but `>` in selectors).
            let close = rest.find("</style>").unwrap();
            rest = &rest[close..];
        }
    }
    stack
}

#[test]
fn html_is_self_contained_well_formed_and_escapes_profile_text() {
    let dir = tempfile::tempdir().unwrap();
    let hostile = json!({
        "id": "x\"><b>",
        "name": "<script>alert('x')</script> & Co",
        "recalls": [{"status": "in_force", "note": "n",
                     "source": {"ref": "section II", "quote": "<img src=x onerror=alert(1)>"}}]
    });
    std::fs::write(dir.path().join("h.json"), hostile.to_string()).unwrap();
    let cohort = Cohort::build(
        shipped(),
        documents(resolve(&[dir.path().display().to_string()])),
        &[],
    );
    let checked = ClaimSet::study().check(&cohort);
    let html = render(CohortFormat::Html, &cohort, &checked);

    assert!(!html.contains("<script"), "a script tag got through");
    assert!(!html.contains("<b>"));
    assert!(html.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; Co"));
    assert!(html.contains("x&quot;&gt;&lt;b&gt;"));
    // Self-contained: no external stylesheet, script, image or font.
    for bad in ["<link", "src=", "@import", "url(http", "<script"] {
        assert!(!html.contains(bad), "found `{bad}`");
    }
    assert_eq!(html.matches("http").count(), 1, "only the SVG namespace");
    assert!(html.contains("<style>") && html.contains("<svg "));
    assert_eq!(check_nesting(&html), Vec::<String>::new());

    // One heatmap row with one cell per rule, each with its letter and its reason.
    let rules = shipped().rules().entries.len();
    assert_eq!(html.matches("<td class=\"cell ").count(), rules);
    assert_eq!(html.matches("<dt id=\"cell-0-").count(), rules);
    let recall = html
        .split("<td class=\"cell ")
        .find(|c| c.contains(" - under_recall: "))
        .unwrap();
    assert!(recall.starts_with("v-yes\" title=\"x&quot;&gt;&lt;b&gt; - under_recall: yes. recalled: an order to return"), "{recall}");
    assert!(recall.contains(">Y</a></td>"));
    // Claims with their verdicts: against one case, most cannot be settled.
    assert_eq!(html.matches("<span class=\"badge ").count(), 17);
}

#[test]
fn markdown_escapes_cells() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("m.json"),
        json!({"id": "a|b", "name": "Pipe | and\nnewline <i>x</i>"}).to_string(),
    )
    .unwrap();
    let cohort = Cohort::build(
        shipped(),
        documents(resolve(&[dir.path().display().to_string()])),
        &[],
    );
    let md = render(CohortFormat::Markdown, &cohort, &[]);
    assert!(
        md.contains("### Pipe \\| and newline &lt;i&gt;x&lt;/i&gt; (a\\|b)"),
        "{md}"
    );
    assert!(md.contains("| a\\|b |"));
    assert!(!md.contains("<i>"));
}

#[test]
fn csv_has_one_row_per_case_and_rule() {
    let cohort = history();
    let out = render(CohortFormat::Csv, &cohort, &[]);
    let mut reader = csv::Reader::from_reader(out.as_bytes());
    assert_eq!(
        reader.headers().unwrap().iter().collect::<Vec<_>>(),
        ["case", "name", "source", "rule", "verdict", "reason"]
    );
    let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.unwrap()).collect();
    assert_eq!(rows.len(), 20 * cohort.columns.len());
    let r = rows
        .iter()
        .find(|r| &r[0] == "kravchenko" && &r[3] == "under_recall")
        .unwrap();
    assert_eq!(&r[4], "no");
    assert_eq!(&r[5], "the source states he was not under recall");
}
