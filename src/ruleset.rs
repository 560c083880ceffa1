//! A folder of rules (or the embedded defaults), checked as a set: unique ids, known
//! dependencies, no cycles, and an evaluation order in which every composite comes
//! after the rules it consults.
//!
//! A rule that fails to load is kept as [`Entry::Broken`]: it answers `error` on every
//! profile, with its load error, while the others run as usual.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::Path;

use include_dir::{include_dir, Dir};
use rhai::Engine;

use crate::engine::Limits;
use crate::error::{Error, RuleError};
use crate::rule::{compile, Rule};

static EMBEDDED_RULES: Dir = include_dir!("$CARGO_MANIFEST_DIR/rules");

/// A rule, or why it could not be loaded.
#[derive(Debug, Clone)]
pub enum Entry {
    Ready(Rule),
    Broken {
        id: String,
        title: String,
        weight: u32,
        error: RuleError,
    },
}

impl Entry {
    pub fn id(&self) -> &str {
        match self {
            Entry::Ready(r) => &r.meta.id,
            Entry::Broken { id, .. } => id,
        }
    }
}

/// The rules to score with, sorted by id, with their evaluation order.
#[derive(Debug, Clone)]
pub struct RuleSet {
    pub entries: Vec<Entry>,
    /// Indices into `entries`, dependencies first.
    pub order: Vec<usize>,
}

impl RuleSet {
    /// The rules shipped inside the binary.
    pub fn embedded(engine: &Engine, limits: &Limits) -> RuleSet {
        let mut files: Vec<(String, String, Vec<u8>)> = EMBEDDED_RULES
            .files()
            .filter(|f| f.path().extension().is_some_and(|e| e == "rhai"))
            .map(|f| {
                let stem = f.path().file_stem().unwrap_or_default();
                (
                    format!("<embedded>/rules/{}", f.path().display()),
                    stem.to_string_lossy().into_owned(),
                    f.contents().to_vec(),
                )
            })
            .collect();
        files.sort();
        RuleSet::from_files(engine, limits, files)
    }

    /// Every `*.rhai` file directly in `dir`.
    pub fn from_dir(engine: &Engine, limits: &Limits, dir: &Path) -> Result<RuleSet, Error> {
        let io = |source| Error::Io {
            path: dir.to_path_buf(),
            source,
        };
        let mut files = Vec::new();
        for entry in fs::read_dir(dir).map_err(io)? {
            let path = entry.map_err(io)?.path();
            if path.extension().is_some_and(|e| e == "rhai") && path.is_file() {
                let bytes = fs::read(&path).map_err(|source| Error::Io {
                    path: path.clone(),
                    source,
                })?;
                let stem = path.file_stem().unwrap_or_default().to_string_lossy();
                files.push((path.display().to_string(), stem.into_owned(), bytes));
            }
        }
        files.sort();
        Ok(RuleSet::from_files(engine, limits, files))
    }

    /// Loads `(file, stem, bytes)` triples.
    pub fn from_files(
        engine: &Engine,
        limits: &Limits,
        files: Vec<(String, String, Vec<u8>)>,
    ) -> RuleSet {
        let mut entries: Vec<Entry> = files
            .into_iter()
            .map(|(file, stem, bytes)| {
                let loaded = match String::from_utf8(bytes) {
                    Ok(text) => compile(engine, limits, &file, &stem, &text),
                    Err(e) => {
                        // Point at the bad byte: its line and column, like a syntax error.
                        let at = e.utf8_error().valid_up_to();
                        let good = &e.as_bytes()[..at];
                        let line = good.iter().filter(|&&b| b == b'\n').count() + 1;
                        let column =
                            at - good.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1) + 1;
                        Err(RuleError {
                            file: file.clone(),
                            line: Some(line),
                            column: Some(column),
                            message: format!(
                                "not valid UTF-8: byte 0x{:02X} at byte offset {at}",
                                e.as_bytes()[at]
                            ),
                        })
                    }
                };
                match loaded {
                    Ok(rule) => Entry::Ready(rule),
                    Err(error) => Entry::Broken {
                        id: stem,
                        title: String::new(),
                        weight: 0,
                        error,
                    },
                }
            })
            .collect();
        entries.sort_by(|a, b| a.id().cmp(b.id()));
        check_set(&mut entries);
        let order = order(&entries);
        RuleSet { entries, order }
    }

    /// The load errors, in id order.
    pub fn errors(&self) -> Vec<&RuleError> {
        self.entries
            .iter()
            .filter_map(|e| match e {
                Entry::Broken { error, .. } => Some(error),
                Entry::Ready(_) => None,
            })
            .collect()
    }

    pub fn ready(&self) -> impl Iterator<Item = &Rule> {
        self.entries.iter().filter_map(|e| match e {
            Entry::Ready(r) => Some(r),
            Entry::Broken { .. } => None,
        })
    }

    /// Keeps only the rules named (and what they consult).
    pub fn select(self, keep: &dyn Fn(&Entry) -> bool) -> RuleSet {
        let mut wanted: BTreeSet<String> = self
            .entries
            .iter()
            .filter(|e| keep(e))
            .map(|e| e.id().to_string())
            .collect();
        // Composites need their parts evaluated, even if not shown.
        loop {
            let before = wanted.len();
            for e in &self.entries {
                if let Entry::Ready(r) = e {
                    if wanted.contains(&r.meta.id) {
                        wanted.extend(r.meta.uses.iter().cloned());
                    }
                }
            }
            if wanted.len() == before {
                break;
            }
        }
        let entries: Vec<Entry> = self
            .entries
            .into_iter()
            .filter(|e| wanted.contains(e.id()))
            .collect();
        let order = order(&entries);
        RuleSet { entries, order }
    }
}

/// Set-level checks; a rule that fails one becomes broken.
fn check_set(entries: &mut [Entry]) {
    let ids: BTreeMap<String, usize> = entries
        .iter()
        .filter(|e| matches!(e, Entry::Ready(_)))
        .fold(BTreeMap::new(), |mut m, e| {
            *m.entry(e.id().to_string()).or_default() += 1;
            m
        });
    let mut problems: Vec<(usize, String)> = Vec::new();
    for (i, e) in entries.iter().enumerate() {
        let Entry::Ready(r) = e else { continue };
        if ids.get(&r.meta.id).copied().unwrap_or(0) > 1 {
            problems.push((i, format!("duplicate rule id `{}`", r.meta.id)));
            continue;
        }
        for u in &r.meta.uses {
            if !entries.iter().any(|x| x.id() == u) {
                problems.push((i, format!("`uses` names `{u}`, which is not a rule here")));
            }
        }
    }
    for i in in_cycles(entries) {
        let Entry::Ready(r) = &entries[i] else {
            continue;
        };
        problems.push((
            i,
            format!(
                "`{}` is part of a cycle of composite rules (through `uses`)",
                r.meta.id
            ),
        ));
    }
    for (i, message) in problems {
        if let Entry::Ready(r) = &entries[i] {
            let line = None;
            entries[i] = Entry::Broken {
                id: r.meta.id.clone(),
                title: r.meta.title.clone(),
                weight: r.meta.weight,
                error: RuleError {
                    file: r.file.clone(),
                    line,
                    column: None,
                    message,
                },
            };
        }
    }
}

/// Indices of rules that take part in a `uses` cycle.
fn in_cycles(entries: &[Entry]) -> BTreeSet<usize> {
    let index: BTreeMap<&str, usize> = entries
        .iter()
        .enumerate()
        .map(|(i, e)| (e.id(), i))
        .collect();
    let deps = |i: usize| -> Vec<usize> {
        match &entries[i] {
            Entry::Ready(r) => r
                .meta
                .uses
                .iter()
                .filter_map(|u| index.get(u.as_str()).copied())
                .collect(),
            Entry::Broken { .. } => Vec::new(),
        }
    };
    let mut out = BTreeSet::new();
    for start in 0..entries.len() {
        // Is `start` reachable from itself?
        let mut stack = deps(start);
        let mut seen = BTreeSet::new();
        while let Some(n) = stack.pop() {
            if n == start {
                out.insert(start);
                break;
            }
            if seen.insert(n) {
                stack.extend(deps(n));
            }
        }
    }
    out
}

/// Dependencies first; ties in id order. Rules in cycles are broken by now, so this
/// always terminates.
fn order(entries: &[Entry]) -> Vec<usize> {
    let mut done: Vec<usize> = Vec::new();
    let mut placed = vec![false; entries.len()];
    while done.len() < entries.len() {
        let before = done.len();
        for (i, e) in entries.iter().enumerate() {
            if placed[i] {
                continue;
            }
            let ready = match e {
                Entry::Ready(r) => r.meta.uses.iter().all(|u| {
                    entries
                        .iter()
                        .position(|x| x.id() == u)
                        .is_none_or(|j| placed[j])
                }),
                Entry::Broken { .. } => true,
            };
            if ready {
                placed[i] = true;
                done.push(i);
            }
        }
        if done.len() == before {
            // Unreachable after check_set; place the rest rather than loop.
            for (i, p) in placed.iter_mut().enumerate() {
                if !*p {
                    *p = true;
                    done.push(i);
                }
            }
        }
    }
    done
}
