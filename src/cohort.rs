//! A cohort: many profiles scored with one rule set, seen as a case × indicator matrix
//! with the count of each answer per indicator. The study's figures are checked against
//! it in [`crate::claims`].

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;

use crate::evaluate::Scorer;
use crate::finding::{Failed, Scored};
use crate::input::Document;
use crate::load;
use crate::ruleset::Entry;
use crate::verdict::Verdict;

/// One indicator (a column of the matrix).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Column {
    pub rule: String,
    pub title: String,
    pub weight: u32,
}

/// One rule's answer on one case.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Cell {
    pub rule: String,
    pub verdict: Verdict,
    pub reason: String,
}

/// One case (a row of the matrix), its cells in column order.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Row {
    pub id: String,
    pub name: String,
    pub source: String,
    pub cells: Vec<Cell>,
    /// The profile values that claims about facts read, by JSON pointer (`Null` when
    /// the profile is silent there).
    #[serde(skip)]
    pub facts: BTreeMap<String, Value>,
}

impl Row {
    pub fn verdict(&self, rule: &str) -> Option<Verdict> {
        self.cells
            .iter()
            .find(|c| c.rule == rule)
            .map(|c| c.verdict)
    }
}

/// How often one indicator gave each answer over the cohort.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct Counts {
    pub yes: usize,
    pub no: usize,
    pub unknown: usize,
    pub error: usize,
}

impl Counts {
    pub fn add(&mut self, v: Verdict) {
        match v {
            Verdict::Yes => self.yes += 1,
            Verdict::No => self.no += 1,
            Verdict::Unknown => self.unknown += 1,
            Verdict::Error => self.error += 1,
        }
    }

    pub fn of(&self, v: Verdict) -> usize {
        match v {
            Verdict::Yes => self.yes,
            Verdict::No => self.no,
            Verdict::Unknown => self.unknown,
            Verdict::Error => self.error,
        }
    }

    pub fn total(&self) -> usize {
        self.yes + self.no + self.unknown + self.error
    }
}

/// An indicator's counts, as the JSON report lists them.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Tally {
    pub rule: String,
    pub title: String,
    #[serde(flatten)]
    pub counts: Counts,
}

/// Profiles scored as a set, in input order.
#[derive(Debug, Clone, PartialEq)]
pub struct Cohort {
    /// Every rule of the set, in id order.
    pub columns: Vec<Column>,
    /// Every profile that could be scored, in input order.
    pub rows: Vec<Row>,
    /// The profiles that could not be read.
    pub failed: Vec<Failed>,
}

impl Cohort {
    /// Scores every document with `scorer`, keeping the values at `pointers` for claims
    /// about facts.
    pub fn build(
        scorer: &Scorer,
        docs: impl IntoIterator<Item = Document>,
        pointers: &[String],
    ) -> Cohort {
        let columns: Vec<Column> = scorer
            .rules()
            .entries
            .iter()
            .map(|e| match e {
                Entry::Ready(r) => Column {
                    rule: r.meta.id.clone(),
                    title: r.meta.title.clone(),
                    weight: r.meta.weight,
                },
                Entry::Broken {
                    id, title, weight, ..
                } => Column {
                    rule: id.clone(),
                    title: title.clone(),
                    weight: *weight,
                },
            })
            .collect();
        let mut rows = Vec::new();
        let mut failed = Vec::new();
        for doc in docs {
            let loaded = doc.text.and_then(|text| load::parse(&text, &doc.origin));
            match loaded {
                Err(error) => failed.push(Failed {
                    source: doc.origin,
                    error,
                }),
                Ok(loaded) => {
                    let facts = pointers
                        .iter()
                        .map(|p| {
                            let v = loaded.value().pointer(p).cloned().unwrap_or(Value::Null);
                            (p.clone(), v)
                        })
                        .collect();
                    let scored = scorer.score(&loaded, &doc.origin);
                    rows.push(Row::of(&columns, scored, facts));
                }
            }
        }
        Cohort {
            columns,
            rows,
            failed,
        }
    }

    /// The counts of each answer, per indicator, in column order.
    pub fn tallies(&self) -> Vec<Tally> {
        self.columns
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let mut counts = Counts::default();
                for row in &self.rows {
                    counts.add(row.cells[i].verdict);
                }
                Tally {
                    rule: c.rule.clone(),
                    title: c.title.clone(),
                    counts,
                }
            })
            .collect()
    }

    pub fn row(&self, id: &str) -> Option<&Row> {
        self.rows.iter().find(|r| r.id == id)
    }

    pub fn has_rule(&self, rule: &str) -> bool {
        self.columns.iter().any(|c| c.rule == rule)
    }

    /// Whether any rule failed on any case.
    pub fn has_errors(&self) -> bool {
        self.rows
            .iter()
            .any(|r| r.cells.iter().any(|c| c.verdict == Verdict::Error))
    }
}

impl Row {
    fn of(columns: &[Column], scored: Scored, facts: BTreeMap<String, Value>) -> Row {
        let mut by_rule: BTreeMap<String, (Verdict, String)> = scored
            .findings
            .into_iter()
            .map(|f| (f.rule, (f.verdict, f.reason)))
            .collect();
        let cells = columns
            .iter()
            .map(|c| {
                // Every rule answers every profile; a gap would be a scorer bug, and is
                // shown as an error rather than hidden.
                let (verdict, reason) = by_rule.remove(&c.rule).unwrap_or((
                    Verdict::Error,
                    "the rule gave no finding for this profile".to_string(),
                ));
                Cell {
                    rule: c.rule.clone(),
                    verdict,
                    reason,
                }
            })
            .collect();
        Row {
            id: scored.id,
            name: scored.name,
            source: scored.source,
            cells,
            facts,
        }
    }
}
