//! Rule compilation and evaluation: any bytes, loaded as a rule file, then (if it
//! compiles) run beside the shipped rules it consults on three historical cases.
//!
//! What must hold: no panic, no hang, no runaway memory (libFuzzer's -timeout and
//! -rss_limit_mb catch those); a rule that fails to load says where; a rule that loads
//! gets exactly one finding per case, whatever it does.
#![no_main]

use std::fs;
use std::path::PathBuf;
use std::sync::OnceLock;

use casematch::engine::{self, Limits};
use casematch::evaluate::Scorer;
use casematch::finding::Report;
use casematch::input::{documents, Source};
use casematch::ruleset::RuleSet;
use libfuzzer_sys::fuzz_target;
use rhai::Engine;

/// Tighter than the defaults so that each run is quick; the limits themselves are what
/// is being exercised.
fn limits() -> Limits {
    Limits {
        max_operations: 20_000,
        max_string_size: 64 << 10,
        max_array_size: 10_000,
        max_map_size: 1_000,
        max_memory: 64 << 20,
        timeout_ms: 2_000,
        ..Limits::default()
    }
}

fn engine() -> &'static Engine {
    static ENGINE: OnceLock<Engine> = OnceLock::new();
    ENGINE.get_or_init(|| engine::build(&limits()))
}

/// The shipped rules' sources, by id, for the composites that consult them.
fn shipped() -> &'static Vec<(String, String)> {
    static RULES: OnceLock<Vec<(String, String)>> = OnceLock::new();
    RULES.get_or_init(|| {
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../rules");
        let mut out: Vec<(String, String)> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "rhai"))
            .map(|p| {
                let id = p.file_stem().unwrap().to_string_lossy().into_owned();
                (id, fs::read_to_string(&p).unwrap())
            })
            .collect();
        out.sort();
        out
    })
}

/// The three historical cases scored: one rich in facts, one sparse, one in between.
fn cases() -> Vec<Source> {
    let all = casematch::cases::sources();
    [0, 6, 19].iter().map(|&i| all[i].clone()).collect()
}

/// The id the rule declares (`id: "..."`), so that the shipped rules serve as seeds
/// as they are; `fuzz` when there is none usable as a file name.
fn stem(text: &str) -> String {
    let declared = text.find("id:").and_then(|at| {
        let rest = text[at + 3..].trim_start().strip_prefix('"')?;
        let id = &rest[..rest.find('"')?];
        let ok = !id.is_empty()
            && id.len() <= 64
            && id
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
        ok.then(|| id.to_string())
    });
    declared.unwrap_or_else(|| "fuzz".to_string())
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let stem = stem(&text);
    let file = format!("{stem}.rhai");
    let set = RuleSet::from_files(
        engine(),
        &limits(),
        vec![(file.clone(), stem.clone(), data.to_vec())],
    );
    assert_eq!(set.entries.len(), 1);
    for e in set.errors() {
        assert_eq!(e.file, file);
        let _ = e.to_string();
    }
    let Some(rule) = set.ready().next() else {
        return;
    };

    // Evaluate it, with the shipped rules it consults beside it.
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join(&file), data).unwrap();
    let mut ids = vec![stem.clone()];
    for (id, source) in shipped() {
        if rule.meta.uses.contains(id) && *id != stem {
            fs::write(dir.path().join(format!("{id}.rhai")), source).unwrap();
            ids.push(id.clone());
        }
    }
    ids.sort();
    let scorer = Scorer::new(Some(dir.path()), limits()).unwrap();
    for doc in documents(cases()) {
        let Report::Scored(s) = scorer.score_document(doc) else {
            panic!("a historical case failed to load");
        };
        let rules: Vec<&str> = s.findings.iter().map(|f| f.rule.as_str()).collect();
        assert_eq!(rules, ids);
        let _ = serde_json::to_string(&s).unwrap();
    }
});
