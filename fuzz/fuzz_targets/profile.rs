//! Profile parsing and scoring: any bytes, read as a profile file and as a line of
//! NDJSON, then scored with the shipped rules and rendered in every format.
//!
//! What must hold: no panic; an error names its origin; a profile that loads is the
//! same after a round trip through its JSON; every shipped rule answers it (no `error`);
//! the JSON renderers write valid JSON.
#![no_main]

use std::sync::OnceLock;

use casematch::cli::ScoreFormat;
use casematch::engine::Limits;
use casematch::evaluate::Scorer;
use casematch::finding::{Failed, Report};
use casematch::load;
use casematch::render;
use casematch::verdict::Verdict;
use clap::ValueEnum;
use libfuzzer_sys::fuzz_target;

fn scorer() -> &'static Scorer {
    static SCORER: OnceLock<Scorer> = OnceLock::new();
    SCORER.get_or_init(|| Scorer::new(None, Limits::default()).expect("the embedded rules"))
}

fn render_all(report: &Report) {
    for &format in ScoreFormat::value_variants() {
        let mut out = Vec::new();
        let mut r = render::renderer(format).expect("every format has a renderer");
        r.begin(&mut out).unwrap();
        r.report(&mut out, report).unwrap();
        r.end(&mut out).unwrap();
        let text = String::from_utf8(out).expect("renderers write UTF-8");
        match format {
            ScoreFormat::Json => {
                serde_json::from_str::<serde_json::Value>(&text).expect("json output is JSON");
            }
            ScoreFormat::Ndjson => {
                assert_eq!(text.lines().count(), 1, "one line per report: {text:?}");
                serde_json::from_str::<serde_json::Value>(&text).expect("ndjson output is JSON");
            }
            _ => {}
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    for origin in ["fuzz.json", "fuzz.ndjson:7"] {
        match load::parse(text, origin) {
            Err(error) => {
                assert_eq!(error.origin, origin);
                assert!(!error.message.is_empty());
                let shown = error.to_string();
                assert!(shown.starts_with(origin), "{shown}");
                render_all(&Report::Failed(Failed {
                    source: origin.to_string(),
                    error,
                }));
            }
            Ok(loaded) => {
                let again = load::parse(&loaded.value.to_string(), origin)
                    .expect("a loaded profile's own JSON loads");
                assert_eq!(again.profile, loaded.profile);
                let scored = scorer().score(&loaded, origin);
                assert_eq!(scored.findings.len(), scorer().rules().entries.len());
                for f in &scored.findings {
                    assert_ne!(f.verdict, Verdict::Error, "{}: {}", f.rule, f.reason);
                }
                render_all(&Report::Scored(scored));
            }
        }
    }
});
