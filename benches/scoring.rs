//! Micro-benchmarks: one profile x all shipped rules (answers remembered, and every rule
//! run), parsing a profile, writing its findings as NDJSON, a batch's whole work on one
//! line, and compiling the rule set.
//! `cargo bench --bench scoring` (never part of `cargo test`).

use std::hint::black_box;

use casematch::engine::Limits;
use casematch::evaluate::Scorer;
use casematch::finding::Report;
use casematch::load;
use casematch::render::ndjson::{write_report, Ndjson};
use casematch::render::Render;
use criterion::{criterion_group, criterion_main, Criterion};

const PETROV: &str = include_str!("../fixtures/cases/20-petrov.json");

fn benches(c: &mut Criterion) {
    let scorer = Scorer::new(None, Limits::default()).expect("the embedded rules load");
    let fresh = Scorer::new(None, Limits::default())
        .expect("the embedded rules load")
        .remembering(false);
    let rules = scorer.rules().entries.len();
    let loaded = load::parse(PETROV, "petrov.json").expect("petrov parses");

    // After the first iteration every answer is remembered: the best case.
    c.bench_function(
        &format!("score one profile x {rules} rules, remembered"),
        |b| b.iter(|| scorer.score(black_box(&loaded), "petrov.json")),
    );
    c.bench_function(
        &format!("score one profile x {rules} rules, every rule run"),
        |b| b.iter(|| fresh.score(black_box(&loaded), "petrov.json")),
    );
    let scored = Report::Scored(fresh.score(&loaded, "petrov.json"));
    c.bench_function("write one profile's findings as an NDJSON line", |b| {
        b.iter(|| {
            let mut line = Vec::new();
            write_report(&mut line, black_box(&scored)).unwrap();
            line
        })
    });
    // What the line cost through serde_json, whose byte-at-a-time escaping it replaced.
    c.bench_function("the same line through serde_json::to_vec", |b| {
        b.iter(|| serde_json::to_vec(black_box(&scored)).unwrap())
    });
    c.bench_function("parse one profile", |b| {
        b.iter(|| load::parse(black_box(PETROV), "petrov.json"))
    });
    c.bench_function("parse and score one profile", |b| {
        b.iter(|| {
            let loaded = load::parse(black_box(PETROV), "petrov.json").unwrap();
            scorer.score(&loaded, "petrov.json")
        })
    });
    // What a batch does with each line of NDJSON: parse, score and write the line as the
    // rules answer, remembered evidence written straight from the profile.
    let mut ndjson = Ndjson::default();
    c.bench_function(
        "parse, score and write one NDJSON line, as a batch does",
        |b| {
            let mut line = Vec::with_capacity(64 << 10);
            b.iter(|| {
                line.clear();
                let loaded = load::parse(black_box(PETROV), "petrov.json").unwrap();
                ndjson.score_into(&mut line, &scorer, &loaded, "petrov.json");
                line.len()
            })
        },
    );
    c.bench_function("compile the rule set", |b| {
        b.iter(|| Scorer::new(None, black_box(Limits::default())))
    });
}

criterion_group!(scoring, benches);
criterion_main!(scoring);
