//! `casematch similar`: nearest historical cases by indicator pattern.

use casematch::finding::Scored;
use casematch::similar::{compare, rank};
use casematch::verdict::Verdict;
use serde_json::{json, Value};

use crate::support::{history, root, shipped};

fn score(v: &Value) -> Scored {
    let loaded = casematch::load::parse(&v.to_string(), "t").unwrap();
    shipped().score(&loaded, "t")
}

fn case(file: &str) -> Value {
    serde_json::from_str(
        &std::fs::read_to_string(root().join("fixtures/cases").join(file)).unwrap(),
    )
    .unwrap()
}

#[test]
fn a_copy_of_a_case_ranks_that_case_first_with_similarity_one() {
    let cases = history();
    for file in ["20-petrov.json", "08-kravchenko.json", "16-vassiliev.json"] {
        let mut v = case(file);
        let id = v["id"].as_str().unwrap().to_string();
        v["id"] = json!("someone-new");
        let ranked = rank(&score(&v), &cases);
        assert_eq!(ranked[0].id, id);
        assert_eq!(ranked[0].similarity, 1.0);
        assert!(ranked[0].differ.is_empty());
        assert_eq!(ranked[0].comparable, ranked[0].agree.len());
        // Strictly ahead of the runner-up: by similarity, by what could be compared, or
        // by fewer indicators only one side could assess.
        assert!(
            ranked[1].similarity < 1.0
                || ranked[1].comparable < ranked[0].comparable
                || ranked[1].one_sided > ranked[0].one_sided,
            "{id}"
        );
    }
}

#[test]
fn unknowns_neither_help_nor_hurt() {
    let blank = score(&json!({"id": "b", "name": "B"}));
    for m in rank(&blank, &history()) {
        assert_eq!((m.similarity, m.comparable), (0.0, 0), "{}", m.id);
    }
}

#[test]
fn similarity_is_the_weight_of_agreement_over_the_weight_compared() {
    // Only recalls stated: under_recall no (weight 3) and recall_and_fear no (weight 4)
    // are comparable. Kravchenko agrees on both; Petrov differs on both.
    let p = score(&json!({"id": "p", "name": "P",
        "recalls": {"none": {"ref": "section II", "quote": "nor was he under recall"}}}));
    let cases = history();
    let by = |id: &str| cases.iter().find(|c| c.id == id).unwrap();
    let k = compare(&p, by("kravchenko"));
    assert_eq!((k.similarity, k.comparable), (1.0, 2));
    let rules: Vec<&str> = k.agree.iter().map(|a| a.rule.as_str()).collect();
    assert_eq!(rules, ["recall_and_fear", "under_recall"]);
    let pe = compare(&p, by("petrov"));
    assert_eq!((pe.similarity, pe.comparable), (0.0, 2));
    assert_eq!(pe.differ[0].profile, Verdict::No);
    assert_eq!(pe.differ[0].case, Verdict::Yes);
    // Bessedovsky: recall yes, fear yes => both differ too. Agabekov: recall unknown,
    // so nothing is comparable.
    assert_eq!(compare(&p, by("agabekov")).comparable, 0);

    // Add a fear: now fear_for_personal_safety (3) is comparable as well.
    let p2 = score(&json!({"id": "p", "name": "P",
        "recalls": {"none": {"ref": "section II", "quote": "nor was he under recall"}},
        "fears": [{"of": "x", "concerns": "self", "timing": "before",
                   "source": {"ref": "section I", "quote": "And above all he is afraid for his own personal safety."}}]}));
    let pe = compare(&p2, by("petrov"));
    assert_eq!(pe.comparable, 3);
    // Agree on fear (3) out of 3 + 3 + 4.
    assert_eq!(pe.similarity, 0.3);
}

use crate::support::run_binary as casematch;

#[test]
fn the_cli_json_has_the_documented_shape() {
    let dir = tempfile::tempdir().unwrap();
    let mut v = case("09-gouzenko.json");
    v["id"] = json!("copy");
    let path = dir.path().join("copy.json");
    std::fs::write(&path, v.to_string()).unwrap();
    let (code, out, err) = casematch(&[
        "similar",
        path.to_str().unwrap(),
        "--format",
        "json",
        "--top",
        "3",
    ]);
    assert_eq!(code, 0, "{err}");
    let arr: Vec<Value> = serde_json::from_str(&out).unwrap();
    assert_eq!(arr.len(), 3);
    let first = &arr[0];
    let keys: Vec<&str> = first
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        [
            "agree",
            "comparable",
            "differ",
            "id",
            "name",
            "one_sided",
            "similarity",
            "source"
        ]
    );
    assert_eq!(first["one_sided"], 0);
    assert_eq!(first["id"], "gouzenko");
    assert_eq!(first["similarity"], 1.0);
    assert_eq!(
        first["agree"][0],
        json!({"rule": "fear_for_personal_safety", "verdict": "yes"})
    );
    for w in arr.windows(2) {
        assert!(w[0]["similarity"].as_f64() >= w[1]["similarity"].as_f64());
    }
}

#[test]
fn the_cli_table_against_a_folder() {
    let dir = tempfile::tempdir().unwrap();
    for f in ["08-kravchenko.json", "16-vassiliev.json", "20-petrov.json"] {
        std::fs::copy(root().join("fixtures/cases").join(f), dir.path().join(f)).unwrap();
    }
    let (code, out, err) = casematch(&[
        "similar",
        "fixtures/cases/16-vassiliev.json",
        "--against",
        dir.path().to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    insta::assert_snapshot!(
        "similar_table_vassiliev",
        out.replace(dir.path().to_str().unwrap(), "<dir>")
    );
}

#[test]
fn a_profile_that_cannot_be_read_is_an_error() {
    let (code, _, err) = casematch(&["similar", "no/such/file.json"]);
    assert_eq!(code, 2);
    assert_eq!(
        err.trim(),
        "error: no/such/file.json: no such file or directory"
    );
}
