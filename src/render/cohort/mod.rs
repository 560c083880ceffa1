//! `casematch cohort` output: the indicator counts, the case × indicator matrix and the
//! checked claims, in each `--format`. Unlike score output, a cohort is rendered whole.

pub mod csv;
pub mod html;
pub mod json;
pub mod markdown;
pub mod table;

use std::io::{self, Write};

use crate::claims::Checked;
use crate::cli::CohortFormat;
use crate::cohort::Cohort;
use crate::verdict::Verdict;

/// Writes `cohort` and its checked `claims` as `format`.
pub fn write(
    format: CohortFormat,
    w: &mut dyn Write,
    cohort: &Cohort,
    claims: &[Checked],
) -> io::Result<()> {
    match format {
        CohortFormat::Table => table::write(w, cohort, claims),
        CohortFormat::Json => json::write(w, cohort, claims),
        CohortFormat::Csv => csv::write(w, cohort),
        CohortFormat::Markdown => markdown::write(w, cohort, claims),
        CohortFormat::Html => html::write(w, cohort, claims),
    }
}

/// One character per answer, so the matrix reads without colour.
pub fn letter(v: Verdict) -> char {
    match v {
        Verdict::Yes => 'Y',
        Verdict::No => 'N',
        Verdict::Unknown => '?',
        Verdict::Error => '!',
    }
}

/// The legend for [`letter`].
pub const LEGEND: &str = "Y yes, N no, ? unknown, ! error";

/// "consistent" or "INCONSISTENT", for text formats.
pub fn verdict_word(c: &Checked) -> &'static str {
    if c.consistent {
        "consistent"
    } else {
        "INCONSISTENT"
    }
}

/// The figure as claimed: `14`, `at least 11`.
pub fn claimed(c: &Checked) -> String {
    match c.relation {
        crate::claims::Relation::Exactly => c.expected.to_string(),
        crate::claims::Relation::AtLeast => format!("at least {}", c.expected),
        crate::claims::Relation::AtMost => format!("at most {}", c.expected),
    }
}
