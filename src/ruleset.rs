//! A folder of rules (or the embedded defaults), checked as a set: unique ids, known
//! dependencies, no cycles, and an evaluation order in which every composite comes
//! after the rules it consults.
//!
//! A rule that fails to load is kept as [`Entry::Broken`]: it answers `error` on every
//! profile, with its load error, while the others run as usual.
//!
//! Beside a rule `x.rhai` may lie `x.samples.json`, small sample profiles with their
//! expected verdicts (checked by `rules test`); the set keeps their text, unparsed.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::Path;
use std::sync::Arc;

use include_dir::{include_dir, Dir};
use rhai::Engine;

use crate::engine::Limits;
use crate::error::{Error, RuleError};
use crate::rule::{check_stem, compile_any, meta_key_position, meta_value_position, Rule};

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
    /// The text of every rule file that was valid UTF-8, by file name, so that a
    /// diagnostic can show the line even for a rule that did not load.
    pub texts: BTreeMap<String, Arc<str>>,
    /// `<id>.samples.json` files, by rule id (the file's stem before `.samples`).
    pub samples: BTreeMap<String, SampleFile>,
}

/// A file of sample profiles for one rule, as read (parsed by `ruletest`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SampleFile {
    pub file: String,
    pub text: Result<String, String>,
}

/// The suffix of a samples file: `under_recall.samples.json`.
pub const SAMPLES_SUFFIX: &str = ".samples.json";

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
        let mut set = RuleSet::from_files(engine, limits, files);
        for f in EMBEDDED_RULES.files() {
            let name = f.path().to_string_lossy();
            if let Some(id) = name.strip_suffix(SAMPLES_SUFFIX) {
                set.samples.insert(
                    id.to_string(),
                    SampleFile {
                        file: format!("<embedded>/rules/{name}"),
                        text: f
                            .contents_utf8()
                            .map(str::to_string)
                            .ok_or_else(|| "not valid UTF-8".to_string()),
                    },
                );
            }
        }
        set
    }

    /// Every `*.rhai` file directly in `dir`, and the `*.samples.json` beside them.
    pub fn from_dir(engine: &Engine, limits: &Limits, dir: &Path) -> Result<RuleSet, Error> {
        let io = |source| Error::Io {
            path: dir.to_path_buf(),
            source,
        };
        let mut files = Vec::new();
        let mut samples = BTreeMap::new();
        for entry in fs::read_dir(dir).map_err(io)? {
            let path = entry.map_err(io)?.path();
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            if let Some(id) = name.strip_suffix(SAMPLES_SUFFIX) {
                if path.is_file() {
                    let text = fs::read(&path)
                        .map_err(|e| e.to_string())
                        .and_then(|b| String::from_utf8(b).map_err(|_| "not valid UTF-8".into()));
                    samples.insert(
                        id.to_string(),
                        SampleFile {
                            file: path.display().to_string(),
                            text,
                        },
                    );
                }
                continue;
            }
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
        let mut set = RuleSet::from_files(engine, limits, files);
        set.samples = samples;
        Ok(set)
    }

    /// Loads `(file, stem, bytes)` triples.
    pub fn from_files(
        engine: &Engine,
        limits: &Limits,
        files: Vec<(String, String, Vec<u8>)>,
    ) -> RuleSet {
        let stems: BTreeMap<String, String> = files
            .iter()
            .map(|(file, stem, _)| (stem.clone(), file.clone()))
            .collect();
        let mut texts = BTreeMap::new();
        let mut entries: Vec<Entry> = files
            .into_iter()
            .map(|(file, stem, bytes)| {
                let loaded = match String::from_utf8(bytes) {
                    Ok(text) => {
                        texts.insert(file.clone(), Arc::from(text.as_str()));
                        compile_any(engine, limits, &file, &text)
                            .and_then(|rule| stem_check(rule, &stem, &stems))
                    }
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
        RuleSet {
            entries,
            order,
            texts,
            samples: BTreeMap::new(),
        }
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
        RuleSet {
            entries,
            order,
            texts: self.texts,
            samples: self.samples,
        }
    }
}

/// The id must be the file name. An id that is another file's name is the usual way a
/// duplicate arises (a rule copied and not renamed), and is said so.
fn stem_check(rule: Rule, stem: &str, stems: &BTreeMap<String, String>) -> Result<Rule, RuleError> {
    match check_stem(&rule, stem) {
        Ok(()) => Ok(rule),
        Err(mut e) => {
            if let Some(other) = stems.get(&rule.meta.id) {
                e.message = format!(
                    "duplicate rule id `{}`: `{other}` already has it (the id must also \
                     match this file's name, `{stem}`)",
                    rule.meta.id
                );
            }
            Err(e)
        }
    }
}

/// A set-level problem: the entry, where in its file (line, column), and the message.
type Problem = (usize, Option<(usize, usize)>, String);

/// Set-level checks; a rule that fails one becomes broken.
fn check_set(entries: &mut [Entry]) {
    let ids: BTreeMap<String, usize> = entries
        .iter()
        .filter(|e| matches!(e, Entry::Ready(_)))
        .fold(BTreeMap::new(), |mut m, e| {
            *m.entry(e.id().to_string()).or_default() += 1;
            m
        });
    let mut problems: Vec<Problem> = Vec::new();
    for (i, e) in entries.iter().enumerate() {
        let Entry::Ready(r) = e else { continue };
        if ids.get(&r.meta.id).copied().unwrap_or(0) > 1 {
            problems.push((
                i,
                meta_value_position(&r.text, "id"),
                format!("duplicate rule id `{}`", r.meta.id),
            ));
            continue;
        }
        for u in &r.meta.uses {
            if !entries.iter().any(|x| x.id() == u) {
                problems.push((
                    i,
                    uses_position(&r.text, u),
                    format!("`uses` names `{u}`, which is not a rule here"),
                ));
            }
        }
    }
    for (i, path) in in_cycles(entries) {
        let Entry::Ready(r) = &entries[i] else {
            continue;
        };
        let next = path.get(1).cloned().unwrap_or_default();
        problems.push((
            i,
            uses_position(&r.text, &next),
            format!(
                "`{}` is part of a cycle of composite rules (through `uses`): {}",
                r.meta.id,
                path.iter()
                    .map(|p| format!("`{p}`"))
                    .collect::<Vec<_>>()
                    .join(" -> ")
            ),
        ));
    }
    for (i, at, message) in problems {
        if let Entry::Ready(r) = &entries[i] {
            entries[i] = Entry::Broken {
                id: r.meta.id.clone(),
                title: r.meta.title.clone(),
                weight: r.meta.weight,
                error: RuleError {
                    file: r.file.clone(),
                    line: at.map(|a| a.0),
                    column: at.map(|a| a.1),
                    message,
                },
            };
        }
    }
}

/// Where `"id"` is written in the rule's `uses` list (else the `uses` key itself).
fn uses_position(text: &str, id: &str) -> Option<(usize, usize)> {
    let (line, column) = meta_key_position(text, "uses")?;
    let needle = format!("\"{id}\"");
    // The list may run over several lines; look from the key to the closing bracket.
    for (n, l) in text.lines().enumerate().skip(line - 1) {
        let from = if n + 1 == line {
            l.char_indices().nth(column - 1).map_or(0, |(b, _)| b)
        } else {
            0
        };
        if let Some(b) = l[from..].find(&needle) {
            return Some((n + 1, l[..from + b].chars().count() + 1));
        }
        if l[from..].contains(']') {
            break;
        }
    }
    Some((line, column))
}

/// Each rule's index, by id.
fn index_of(entries: &[Entry]) -> BTreeMap<&str, usize> {
    entries
        .iter()
        .enumerate()
        .map(|(i, e)| (e.id(), i))
        .collect()
}

/// The rules `entries[i]` consults, by index; a `uses` that names no rule is left out.
fn consulted(entries: &[Entry], index: &BTreeMap<&str, usize>, i: usize) -> Vec<usize> {
    match &entries[i] {
        Entry::Ready(r) => r
            .meta
            .uses
            .iter()
            .filter_map(|u| index.get(u.as_str()).copied())
            .collect(),
        Entry::Broken { .. } => Vec::new(),
    }
}

/// Rules that take part in a `uses` cycle, each with the cycle as seen from it
/// (`a -> b -> a`).
fn in_cycles(entries: &[Entry]) -> BTreeMap<usize, Vec<String>> {
    let index = index_of(entries);
    let deps = |i: usize| consulted(entries, &index, i);
    let mut out = BTreeMap::new();
    for start in 0..entries.len() {
        // A breadth-first search back to `start` finds the shortest cycle through it.
        let mut parent: BTreeMap<usize, usize> = BTreeMap::new();
        let mut queue = std::collections::VecDeque::from([start]);
        let mut found = None;
        while let Some(n) = queue.pop_front() {
            for d in deps(n) {
                if d == start {
                    found = Some(n);
                    break;
                }
                if d != start && !parent.contains_key(&d) {
                    parent.insert(d, n);
                    queue.push_back(d);
                }
            }
            if found.is_some() {
                break;
            }
        }
        if let Some(last) = found {
            let mut path = vec![last];
            let mut cur = last;
            while cur != start {
                cur = parent.get(&cur).copied().unwrap_or(start);
                path.push(cur);
            }
            path.reverse();
            path.push(start);
            // `path` now runs start -> ... -> last -> start.
            let names = path.iter().map(|&i| entries[i].id().to_string()).collect();
            out.insert(start, names);
        }
    }
    out
}

/// Id order, each rule just after the rules it consults that have not come yet (depth
/// first): a composite's components come right before it and every other rule keeps its
/// own turn, so a writer that puts findings out in id order holds back only those
/// components. Rules in cycles are broken by now; should one remain, it is placed when
/// the cycle comes back to it, and the walk still ends. A stack, not recursion: a long
/// chain of `uses` cannot run it out of stack.
fn order(entries: &[Entry]) -> Vec<usize> {
    let index = index_of(entries);
    let uses = |i: usize| consulted(entries, &index, i);
    let mut done: Vec<usize> = Vec::with_capacity(entries.len());
    // Seen: placed, or on the stack now.
    let mut seen = vec![false; entries.len()];
    for root in 0..entries.len() {
        if seen[root] {
            continue;
        }
        seen[root] = true;
        // Each rule on the way down, with the rules it consults still to look at.
        let mut stack = vec![(root, uses(root).into_iter())];
        while let Some((i, deps)) = stack.last_mut() {
            match deps.find(|&j| !seen[j]) {
                Some(j) => {
                    seen[j] = true;
                    stack.push((j, uses(j).into_iter()));
                }
                None => {
                    done.push(*i);
                    stack.pop();
                }
            }
        }
    }
    done
}
