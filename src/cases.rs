//! The 20 historical cases of the study, embedded in the binary so that `casematch`
//! works from any folder.

use include_dir::{include_dir, Dir};

use crate::input::Source;

static CASES: Dir = include_dir!("$CARGO_MANIFEST_DIR/fixtures/cases");

/// The embedded cases as sources, in the study's order (their file names sort so).
pub fn sources() -> Vec<Source> {
    let mut files: Vec<_> = CASES
        .files()
        .filter(|f| f.path().extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort_by_key(|f| f.path());
    files
        .into_iter()
        .map(|f| Source::Text {
            origin: format!("<embedded>/cases/{}", f.path().display()),
            text: f.contents_utf8().unwrap_or_default().to_string(),
        })
        .collect()
}
