//! Micro-benchmarks: one profile x all shipped rules, compiling the rule set, and
//! parsing a profile. `cargo bench --bench scoring` (never part of `cargo test`).

use std::hint::black_box;

use casematch::engine::Limits;
use casematch::evaluate::Scorer;
use casematch::load;
use criterion::{criterion_group, criterion_main, Criterion};

const PETROV: &str = include_str!("../fixtures/cases/20-petrov.json");

fn benches(c: &mut Criterion) {
    let scorer = Scorer::new(None, Limits::default()).expect("the embedded rules load");
    let rules = scorer.rules().entries.len();
    let loaded = load::parse(PETROV, "petrov.json").expect("petrov parses");

    c.bench_function(&format!("score one profile x {rules} rules"), |b| {
        b.iter(|| scorer.score(black_box(&loaded), "petrov.json"))
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
    c.bench_function("compile the rule set", |b| {
        b.iter(|| Scorer::new(None, black_box(Limits::default())))
    });
}

criterion_group!(scoring, benches);
criterion_main!(scoring);
