//! Rule answers remembered by what the rule observed.
//!
//! A rule is a pure function of what it observes of a profile: the sandbox has no clock,
//! no randomness and no state that outlives a call. So once a rule has answered on one
//! profile, any profile on which it would observe the same things, step by step, gets the
//! same verdict, reason and printed output, and it needs no second run. Each rule keeps a
//! trie of its runs: a node asks one question of the profile (the value at a path, a
//! fact's JSON, its certainty, a component's verdict), each distinct answer leads on, and
//! a leaf holds the answer. Since the next question depends only on the answers so far,
//! walking the trie on a new profile either reaches a leaf, which is exact, or stops,
//! and the rule runs as usual and its run is added.
//!
//! Evidence is never taken from the remembered run: it is rebuilt from the profile at
//! hand (its paths, values and citations), so two profiles that share a verdict still
//! show their own sources. Runs that end in `error` are never remembered (a limit can
//! depend on the machine), and the tries stop growing at a memory budget.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU32, AtomicU64, AtomicUsize, Ordering};
use std::sync::{RwLock, RwLockReadGuard};

use ahash::RandomState;
use serde_json::Value;

use crate::engine::{certainty_at, evidence_at_ref, json_at, read_evidence_ref};
use crate::finding::{Evidence, EvidenceRef};
use crate::pointer::{At, Pointer};
use crate::verdict::Verdict;
use crate::view::{Fields, Root};

/// What a composite may consult of each of its components, by rule id: its verdict and
/// what it rested on, or why it failed. `'m` is the memory's, which a remembered answer
/// (and the rule id) is borrowed from while a profile is scored.
pub type Components<'m> = BTreeMap<&'m str, Component<'m>>;

/// [`Components`] owned, as a run holds them: a run borrows nothing.
pub type OwnedComponents = BTreeMap<String, Component<'static>>;

/// One component's answer, as [`Components`] holds it.
pub type Component<'m> = Result<(Verdict, Rested<'m>), String>;

/// One piece of a remembered answer's evidence, as [`Remembered::each_item`] hands it on.
#[derive(Debug, Clone, Copy)]
pub enum Item<'a> {
    /// Read from the profile.
    Shown(EvidenceRef<'a>),
    /// The `k`-th piece of the evidence of `of`, a remembered component's answer, come
    /// through component `via`: what `of` shows as its `k`-th, with `via` added
    /// ([`Item::resolve`] reads it).
    Through {
        of: &'a Remembered,
        k: usize,
        via: &'a str,
    },
}

impl<'a> Item<'a> {
    /// The piece itself, read from `root`, the profile, where it is only named.
    pub fn resolve(self, root: &Root<'a>) -> EvidenceRef<'a> {
        match self {
            Item::Shown(e) => e,
            Item::Through { of, k, via } => of.own_item(root, k, via),
        }
    }
}

/// What a component's answer rested on.
#[derive(Debug, Clone)]
pub enum Rested<'m> {
    /// A run's evidence.
    Ran(Vec<Evidence>),
    /// A remembered answer's, rebuilt from the profile when shown: only for an answer
    /// whose evidence consults no component of its own (see [`Rested::recalled`]).
    Recalled(&'m Remembered),
}

/// The components of a component whose answer was remembered: none it can show.
static NO_COMPONENTS: Components<'static> = BTreeMap::new();

impl<'m> Rested<'m> {
    /// `r`'s evidence, kept to be rebuilt when shown; `None` when it would need the
    /// components `r` consulted, which are not kept with it.
    pub fn recalled(r: &'m Remembered) -> Option<Rested<'m>> {
        let own = match &r.evidence {
            Shown::Named(_) => true,
            Shown::Read { consulted, .. } => consulted.is_empty(),
        };
        own.then_some(Rested::Recalled(r))
    }

    /// The same, owning its evidence (built from `root`, the profile): what a rule that
    /// runs is given, since a run outlives no borrow.
    pub fn owned(self, root: &Root<'_>) -> Rested<'static> {
        match self {
            Rested::Ran(evidence) => Rested::Ran(evidence),
            Rested::Recalled(r) => Rested::Ran(r.evidence(root, &NO_COMPONENTS)),
        }
    }

    /// Each piece of evidence, with its path, as a composite consulting this component
    /// through `id` shows it: marked as come `via` that component unless it came through
    /// one of its own. A remembered answer's pieces are named ([`Item::Through`]), not
    /// read. The one rule for a composite's evidence, during a run
    /// (`add_component_evidence`) and when a remembered one is shown
    /// ([`Remembered::each_item`]); each keeps each path once, the first time it comes.
    pub fn through<'a>(&'a self, id: &'a str, mut f: impl FnMut(&'a str, Item<'a>)) {
        match self {
            Rested::Ran(evidence) => evidence.iter().for_each(|e| {
                let mut e = EvidenceRef::from(e);
                e.via = e.via.or(Some(id));
                f(e.path, Item::Shown(e));
            }),
            Rested::Recalled(of) => of
                .own_paths()
                .enumerate()
                .for_each(|(k, path)| f(path, Item::Through { of, k, via: id })),
        }
    }
}

/// Bytes all tries together may take, as estimated by the `size` methods: past it, runs
/// are no longer added. On input where no two profiles read alike, 8 MiB kept 79 % of
/// answers remembered, as much as 16 MiB did, with peak RSS about 50 MB (66 MB at 16).
pub const BUDGET: usize = 8 << 20;

/// What one run observed, in order: each question and the answer it got, as a key.
pub type Observed = Vec<(Op, String)>;

/// One question a rule asked of the profile.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Op {
    /// `fact.key`: what is at `pointer` (`facts`: a cited list, where `{"none": ...}`
    /// reads as an empty list).
    Get { pointer: Pointer, facts: bool },
    /// A fact's JSON, as `print`, interpolation and `join` show it.
    Json(Pointer),
    /// `certainty(fact)`.
    Certainty(Pointer),
    /// `rule(id)`.
    Rule(String),
}

impl Op {
    /// The answer this question gets on `root`, added to `out`; the same functions the
    /// engine records with, so a remembered run and a fresh one can never disagree.
    fn ask(&self, root: &Root<'_>, components: &Components<'_>, out: &mut String) {
        match self {
            Op::Get { pointer, facts } => key_of_get(pointer.resolve(root), *facts, out),
            Op::Json(pointer) => out.push_str(&json_at(root, pointer)),
            Op::Certainty(pointer) => out.push_str(certainty_at(root, pointer)),
            Op::Rule(id) => key_of_rule(components.get(id.as_str()), out),
        }
    }

    fn size(&self) -> usize {
        match self {
            Op::Get { pointer, .. } | Op::Json(pointer) | Op::Certainty(pointer) => pointer.size(),
            Op::Rule(id) => id.len(),
        }
    }

    /// Whether the answer depends on the profile alone, and so is the same for every rule
    /// that asks it of one profile. `rule(id)` is not: it answers from the asking rule's
    /// own components.
    fn of_profile(&self) -> bool {
        !matches!(self, Op::Rule(_))
    }

    /// The top-level fields of the profile this question reads.
    fn fields(&self) -> Fields {
        match self {
            Op::Get { pointer, .. } | Op::Json(pointer) | Op::Certainty(pointer) => {
                pointer.fields()
            }
            Op::Rule(_) => Fields::NONE,
        }
    }
}

/// Everything a rule can tell of the value at a path from what reading it returns: its
/// kind, a scalar's value, a list's length and each item's kind or value, written to
/// `out`. Every part is self-delimiting (a string carries its length, a number ends in
/// `;`), so two different values never write the same key.
pub fn key_of_get(v: Option<&Value>, facts: bool, out: &mut String) {
    fn item(out: &mut String, v: &Value) {
        match v {
            Value::Null => out.push('~'),
            Value::Bool(true) => out.push('t'),
            Value::Bool(false) => out.push('f'),
            Value::Number(n) => {
                out.push('#');
                // The digits `Display` writes, without a String for them.
                match (n.as_u64(), n.as_i64()) {
                    (Some(u), _) => out.push_str(itoa::Buffer::new().format(u)),
                    (None, Some(i)) => out.push_str(itoa::Buffer::new().format(i)),
                    _ => {
                        let _ = write!(out, "{n}");
                    }
                }
                out.push(';');
            }
            Value::String(s) => {
                out.push('s');
                out.push_str(itoa::Buffer::new().format(s.len()));
                out.push(':');
                out.push_str(s);
            }
            Value::Object(_) => out.push('O'),
            Value::Array(_) => out.push('A'),
        }
    }
    match v {
        None | Some(Value::Null) => out.push('~'),
        Some(Value::Object(m)) if facts && m.contains_key("none") => out.push('n'),
        Some(Value::Object(_)) => out.push('o'),
        Some(Value::Array(items)) => {
            out.push('a');
            out.push_str(itoa::Buffer::new().format(items.len()));
            out.push(':');
            for v in items {
                item(out, v);
            }
        }
        Some(v) => item(out, v),
    }
}

/// What `rule(id)` tells: the component's verdict, or why it cannot, written to `out`.
pub fn key_of_rule(c: Option<&Component<'_>>, out: &mut String) {
    match c {
        None => out.push('?'),
        Some(Err(message)) => {
            out.push('e');
            out.push_str(message);
        }
        Some(Ok((verdict, _))) => {
            out.push('v');
            out.push_str(verdict.as_str());
        }
    }
}

/// A remembered answer.
#[derive(Debug)]
pub struct Remembered {
    pub verdict: Verdict,
    pub reason: String,
    pub output: Vec<String>,
    pub evidence: Shown,
    /// The top-level fields of the profile its evidence is read from.
    needs: Fields,
    /// `reason` as a JSON string, quoted and escaped once: every report showing the
    /// answer writes it.
    reason_json: String,
}

/// Where a remembered answer's evidence comes from.
#[derive(Debug)]
pub enum Shown {
    /// The facts the rule named, by path.
    Named(Vec<Pointer>),
    /// Everything it read (path and the value it saw), then what its components
    /// rested on, in the order it consulted them.
    Read {
        reads: Vec<(Pointer, Value)>,
        consulted: Vec<String>,
    },
}

impl Remembered {
    pub fn new(verdict: Verdict, reason: String, output: Vec<String>, evidence: Shown) -> Self {
        let needs = match &evidence {
            Shown::Named(paths) => paths.iter().fold(Fields::NONE, |f, p| f.union(p.fields())),
            Shown::Read { reads, .. } => reads
                .iter()
                .fold(Fields::NONE, |f, (p, _)| f.union(p.fields())),
        };
        // Through `Value`'s `Display`, which cannot fail.
        let reason_json = Value::from(reason.as_str()).to_string();
        Remembered {
            verdict,
            reason,
            output,
            evidence,
            needs,
            reason_json,
        }
    }

    /// [`Remembered::reason`] as JSON text, `"` and escapes included.
    pub fn reason_json(&self) -> &str {
        &self.reason_json
    }

    /// The evidence, rebuilt from `root`: the same as a fresh run on it would give.
    pub fn evidence(&self, root: &Root<'_>, components: &Components<'_>) -> Vec<Evidence> {
        let mut out = Vec::new();
        self.each_evidence(root, components, |e| out.push(e.to_owned()));
        out
    }

    /// Each piece of [`Remembered::evidence`] in turn, borrowed from `root` and
    /// `components` rather than copied out of them.
    pub fn each_evidence<'a>(
        &'a self,
        root: &Root<'a>,
        components: &'a Components<'a>,
        mut f: impl FnMut(EvidenceRef<'a>),
    ) {
        self.each_item(root, components, |item| f(item.resolve(root)));
    }

    /// [`Remembered::each_evidence`], with what comes through a remembered component
    /// named rather than read: a writer that has just written that component's own
    /// evidence can copy it rather than look it up in the profile again.
    pub fn each_item<'a>(
        &'a self,
        root: &Root<'a>,
        components: &'a Components<'a>,
        mut f: impl FnMut(Item<'a>),
    ) {
        match &self.evidence {
            Shown::Named(paths) => paths
                .iter()
                .for_each(|p| f(Item::Shown(evidence_at_ref(root, p)))),
            Shown::Read { reads, consulted } => {
                for (p, v) in reads {
                    f(Item::Shown(read_evidence_ref(root, p, v)));
                }
                // Each path once, through the first component that rested on it.
                let mut seen: Vec<&'a str> = Vec::new();
                for id in consulted {
                    if let Some(Ok((_, rested))) = components.get(id.as_str()) {
                        rested.through(id, |path, item| {
                            if !seen.contains(&path) {
                                seen.push(path);
                                f(item);
                            }
                        });
                    }
                }
            }
        }
    }

    /// The paths of the evidence of an answer that consulted no component, in order.
    fn own_paths(&self) -> impl Iterator<Item = &str> {
        let (named, read) = match &self.evidence {
            Shown::Named(paths) => (paths.as_slice(), &[][..]),
            Shown::Read { reads, consulted } => {
                debug_assert!(consulted.is_empty(), "a component shown is its own");
                (&[][..], reads.as_slice())
            }
        };
        named
            .iter()
            .map(Pointer::text)
            .chain(read.iter().map(|(p, _)| p.text()))
    }

    /// The `k`-th piece of the evidence of an answer that consulted no component, as
    /// [`Remembered::each_evidence`] shows it, marked as come `via` a composite's
    /// component.
    fn own_item<'a>(&'a self, root: &Root<'a>, k: usize, via: &'a str) -> EvidenceRef<'a> {
        let mut e = match &self.evidence {
            Shown::Named(paths) => evidence_at_ref(root, &paths[k]),
            Shown::Read { reads, .. } => {
                let (p, v) = &reads[k];
                read_evidence_ref(root, p, v)
            }
        };
        e.via = Some(via);
        e
    }

    fn size(&self) -> usize {
        let shown = match &self.evidence {
            Shown::Named(paths) => paths.iter().map(|p| p.size() + 24).sum(),
            Shown::Read { reads, consulted } => {
                reads.iter().map(|(p, _)| p.size() + 96).sum::<usize>()
                    + consulted.iter().map(|c| c.len() + 24).sum::<usize>()
            }
        };
        self.reason.len()
            + self.reason_json.len()
            + self.output.iter().map(|o| o.len() + 24).sum::<usize>()
            + shown
            + 128
    }
}

/// A node of a trie, in a few words. Every profile walks every rule's trie, and a step
/// not read since the last profile is a fetch from memory, so what a walk reads is kept
/// in flat lists rather than in boxes of its own: the step, holding its first answer's
/// edge, in [`Trie::steps`]; the answer's key, among all the trie's keys, end to end;
/// and the question, among the few that all tries share ([`Questions`]).
#[derive(Debug, Clone, Copy)]
enum Step {
    /// Not reached by any run yet.
    Open,
    Ask {
        /// The question, by its number in [`Questions`].
        question: u32,
        /// The first answer this question had, and where it leads.
        first: Edge,
        /// The answers it had after the first, if any: one past their place in
        /// [`Trie::more`].
        more: Option<NonZeroU32>,
    },
    /// A remembered answer, by its place in [`Trie::answers`].
    Answer(u32),
}

/// One answer to a step's question: its key, by its span in [`Trie::keys`], and the
/// step it leads to.
#[derive(Debug, Clone, Copy)]
struct Edge {
    start: u32,
    len: u32,
    to: u32,
}

impl Edge {
    /// The key, from its trie's `keys`.
    #[inline]
    fn key(self, keys: &str) -> Option<&str> {
        let start = self.start as usize;
        keys.get(start..start + self.len as usize)
    }
}

/// A step's answers after its first. Most questions have had a handful of answers:
/// those are found by a scan, lengths compared first, which is cheaper than hashing the
/// key; a question with more is hashed.
#[derive(Debug)]
enum More {
    Few(Vec<Edge>),
    Many(HashMap<Box<str>, u32, RandomState>),
}

impl More {
    /// Answers kept in a list before they go into a map.
    const FEW: usize = 8;
}

/// Every question any trie asks, each numbered once and kept once: many rules ask the
/// same ones (`/family`, `/marital_status`...), and [`Asked`] keeps each answer of the
/// profile alone once.
#[derive(Debug, Default)]
struct Questions {
    ops: Vec<Op>,
    numbers: HashMap<Op, u32, RandomState>,
}

impl Questions {
    /// `op`'s number, given the first time it is asked; `None` past four billion
    /// questions, when a run asking a new one is no longer remembered.
    fn number(&mut self, op: &Op) -> Option<u32> {
        if let Some(&n) = self.numbers.get(op) {
            return Some(n);
        }
        let n = u32::try_from(self.ops.len()).ok()?;
        self.ops.push(op.clone());
        self.numbers.insert(op.clone(), n);
        Some(n)
    }

    fn get(&self, number: u32) -> Option<&Op> {
        self.ops.get(number as usize)
    }
}

/// The answers one profile gave to the questions asked of it so far, by question
/// number: a question another rule asked already is answered without reading the
/// profile again. Kept per thread and cleared for each profile.
#[derive(Debug, Default)]
pub struct Asked {
    /// Where each answer is in `text`.
    spans: Vec<Option<(usize, usize)>>,
    text: String,
}

impl Asked {
    /// Forgets the last profile's answers.
    pub fn clear(&mut self) {
        self.spans.clear();
        self.text.clear();
    }

    /// The answer to question `number`, asked with `ask` the first time.
    fn get(&mut self, number: usize, ask: impl FnOnce(&mut String)) -> &str {
        if self.spans.len() <= number {
            self.spans.resize(number + 1, None);
        }
        let (start, end) = match self.spans[number] {
            Some(span) => span,
            None => {
                let start = self.text.len();
                ask(&mut self.text);
                let span = (start, self.text.len());
                self.spans[number] = Some(span);
                span
            }
        };
        self.text.get(start..end).unwrap_or_default()
    }
}

/// One rule's trie. Its places are `u32`s, which keep a step small; a run that would
/// take one past `u32::MAX` is not added (the memory budget stops the tries long
/// before).
#[derive(Debug)]
struct Trie {
    /// The root first.
    steps: Vec<Step>,
    /// The answers' keys, end to end, but for those a step's map holds ([`More::Many`]).
    keys: String,
    more: Vec<More>,
    answers: Vec<Remembered>,
}

impl Default for Trie {
    fn default() -> Trie {
        Trie {
            steps: vec![Step::Open],
            keys: String::new(),
            more: Vec::new(),
            answers: Vec::new(),
        }
    }
}

impl Trie {
    /// Whether `e` is the answer `key`: lengths first, which need no fetch of the key.
    #[inline]
    fn matches(&self, e: Edge, key: &str) -> bool {
        e.len as usize == key.len() && e.key(&self.keys).is_some_and(|k| crate::keys::eq(k, key))
    }

    /// Where answer `key` leads from a step whose answers are `first` and `more`.
    #[inline]
    fn lead(&self, first: Edge, more: Option<NonZeroU32>, key: &str) -> Option<usize> {
        if self.matches(first, key) {
            return Some(first.to as usize);
        }
        let to = match self.more.get(more?.get() as usize - 1)? {
            More::Few(edges) => edges.iter().find(|e| self.matches(**e, key))?.to,
            More::Many(map) => *map.get(key)?,
        };
        Some(to as usize)
    }

    /// A new open step; its place.
    fn open(&mut self) -> Option<u32> {
        let to = u32::try_from(self.steps.len()).ok()?;
        self.steps.push(Step::Open);
        Some(to)
    }

    /// An edge for `key` to a new open step, the key put with the others.
    fn edge(&mut self, key: &str) -> Option<Edge> {
        let start = u32::try_from(self.keys.len()).ok()?;
        let len = u32::try_from(key.len()).ok()?;
        let to = self.open()?;
        self.keys.push_str(key);
        Some(Edge { start, len, to })
    }

    /// Adds `key` to the answers of question step `at`, which lacks it, leading to a new
    /// open step; where it leads.
    fn branch(&mut self, at: usize, key: &str) -> Option<usize> {
        let Step::Ask { more, .. } = self.steps[at] else {
            return None;
        };
        let Some(place) = more else {
            let place = NonZeroU32::new(u32::try_from(self.more.len() + 1).ok()?)?;
            let edge = self.edge(key)?;
            self.more.push(More::Few(vec![edge]));
            if let Step::Ask { more, .. } = &mut self.steps[at] {
                *more = Some(place);
            }
            return Some(edge.to as usize);
        };
        let slot = place.get() as usize - 1;
        if matches!(self.more.get(slot)?, More::Few(edges) if edges.len() < More::FEW) {
            let edge = self.edge(key)?;
            if let Some(More::Few(edges)) = self.more.get_mut(slot) {
                edges.push(edge);
            }
            return Some(edge.to as usize);
        }
        // Past the list, a key is kept by the map alone, not in `keys` as well.
        let to = self.open()?;
        let Trie { keys, more, .. } = self;
        let answers = more.get_mut(slot)?;
        if let More::Few(edges) = answers {
            let map = edges
                .iter()
                .filter_map(|e| Some((e.key(keys)?.into(), e.to)))
                .collect();
            *answers = More::Many(map);
        }
        if let More::Many(map) = answers {
            map.insert(key.into(), to);
        }
        Some(to as usize)
    }
}

/// One trie per rule, shared by every thread that scores.
///
/// All the tries are behind one lock, held for reading while a whole profile is scored
/// ([`Memo::read`]): remembered answers are then borrowed rather than copied, and two
/// threads scoring at once share one lock word per profile rather than one per rule
/// (each taking of a lock writes to it, and the cores pass that line back and forth).
/// What a profile's runs observed is added once its reading ends ([`Memo::remember`]).
#[derive(Debug)]
pub struct Memo {
    tries: RwLock<Tries>,
    /// The top-level fields any remembered question or evidence reads (bits of
    /// [`Fields`]): what a profile's [`crate::view::View`] is built with.
    fields: AtomicU32,
    left: AtomicUsize,
    hits: AtomicU64,
    misses: AtomicU64,
}

/// How often remembered answers were used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Stats {
    /// Answers taken from memory.
    pub hits: u64,
    /// Rules run (answers remembered so far did not apply).
    pub misses: u64,
}

/// The tries, and the questions they ask.
#[derive(Debug)]
struct Tries {
    tries: Vec<Trie>,
    questions: Questions,
}

impl Tries {
    /// Adds a run of rule `rule` (see [`Memo::remember`]); `None` where it stopped
    /// without adding its answer.
    fn add(&mut self, rule: usize, observed: Observed, answer: Remembered) -> Option<()> {
        let Tries { tries, questions } = self;
        let trie = tries.get_mut(rule)?;
        let mut at = 0;
        for (op, key) in observed {
            match trie.steps[at] {
                Step::Open => {
                    let question = questions.number(&op)?;
                    let first = trie.edge(&key)?;
                    trie.steps[at] = Step::Ask {
                        question,
                        first,
                        more: None,
                    };
                    at = first.to as usize;
                }
                Step::Ask {
                    question,
                    first,
                    more,
                } => {
                    // A pure rule asks the same question here every time; anything else
                    // means the run is not what it seemed, and it is not remembered.
                    if questions.get(question) != Some(&op) {
                        return None;
                    }
                    at = match trie.lead(first, more, &key) {
                        Some(to) => to,
                        None => trie.branch(at, &key)?,
                    };
                }
                // Another thread got here first with the same answer.
                Step::Answer(_) => return None,
            }
        }
        if let Step::Open = trie.steps[at] {
            let place = u32::try_from(trie.answers.len()).ok()?;
            trie.answers.push(answer);
            trie.steps[at] = Step::Answer(place);
        }
        Some(())
    }
}

/// The tries, held for reading while one profile is scored.
pub struct Reading<'m> {
    tries: RwLockReadGuard<'m, Tries>,
}

impl Memo {
    /// Empty tries for `rules` rules, growing to at most `budget` bytes in all.
    pub fn new(rules: usize, budget: usize) -> Memo {
        Memo {
            tries: RwLock::new(Tries {
                tries: (0..rules).map(|_| Trie::default()).collect(),
                questions: Questions::default(),
            }),
            fields: AtomicU32::new(0),
            left: AtomicUsize::new(budget),
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
        }
    }

    pub fn stats(&self) -> Stats {
        Stats {
            hits: self.hits.load(Ordering::Relaxed),
            misses: self.misses.load(Ordering::Relaxed),
        }
    }

    /// The top-level fields remembered answers read, so far.
    pub fn fields(&self) -> Fields {
        Fields::from_bits(self.fields.load(Ordering::Relaxed))
    }

    /// The tries, to recall answers from while one profile is scored. Not to be held
    /// while [`Memo::remember`] is called on the same thread. `None` if a thread
    /// panicked while adding to them: nothing is recalled then.
    pub fn read(&self) -> Option<Reading<'_>> {
        self.tries.read().ok().map(|tries| Reading { tries })
    }

    /// Counts answers taken from memory and rules run, once per profile rather than per
    /// rule: the counters are shared by every thread.
    pub fn count(&self, tally: Stats) {
        self.hits.fetch_add(tally.hits, Ordering::Relaxed);
        self.misses.fetch_add(tally.misses, Ordering::Relaxed);
    }

    /// Adds a run of rule `rule`: what it observed, in order, and its answer.
    pub fn remember(&self, rule: usize, observed: Observed, answer: Remembered) {
        let fields = observed
            .iter()
            .fold(answer.needs, |f, (op, _)| f.union(op.fields()));
        self.fields.fetch_or(fields.bits(), Ordering::Relaxed);
        let cost = answer.size()
            + observed
                .iter()
                // A step, its key and a copy of the question's strings, with room for the
                // lists' growth by doubling and a map's entry: more than the steps take,
                // since a question is kept once for all tries, so the budget bounds them.
                .map(|(op, key)| op.size() + key.len() + 192)
                .sum::<usize>();
        let taken = self
            .left
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |left| {
                left.checked_sub(cost)
            });
        if taken.is_err() {
            return;
        }
        if let Ok(mut tries) = self.tries.write() {
            // A run not added is only not remembered.
            let _ = tries.add(rule, observed, answer);
        }
    }
}

impl Reading<'_> {
    /// Rule `rule`'s remembered answer on `root`, if some run observed what it would.
    /// `root` holds the top-level fields `held` of the profile (see [`crate::view`]): a
    /// question or evidence that reads any other field makes it a miss. `asked` holds
    /// what this profile answered so far, and is cleared before each profile.
    pub fn recall(
        &self,
        rule: usize,
        (root, held): (&Root<'_>, Fields),
        components: &Components<'_>,
        asked: &mut Asked,
    ) -> Option<&Remembered> {
        let Tries { tries, questions } = &*self.tries;
        let trie = tries.get(rule)?;
        let mut at = 0;
        let mut own = String::new();
        loop {
            match *trie.steps.get(at)? {
                Step::Open => return None,
                Step::Answer(place) => {
                    let r = trie.answers.get(place as usize)?;
                    return held.contains(r.needs).then_some(r);
                }
                Step::Ask {
                    question,
                    first,
                    more,
                } => {
                    // The questions are few and shared: fetching one is a cache hit.
                    let op = questions.get(question)?;
                    if !held.contains(op.fields()) {
                        return None;
                    }
                    let ask = |out: &mut String| op.ask(root, components, out);
                    let key = if op.of_profile() {
                        asked.get(question as usize, ask)
                    } else {
                        own.clear();
                        ask(&mut own);
                        own.as_str()
                    };
                    at = trie.lead(first, more, key)?;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn key(v: Option<&Value>, facts: bool) -> String {
        let mut out = String::new();
        key_of_get(v, facts, &mut out);
        out
    }

    #[test]
    fn a_remembered_reason_is_kept_as_the_json_string_it_is_written_as() {
        for reason in [
            "plain",
            "",
            "a \"quote\", a \\ and a\nnewline",
            "\u{1}\u{7f}\u{e9}",
        ] {
            let r = Remembered::new(
                Verdict::Yes,
                reason.to_string(),
                Vec::new(),
                Shown::Named(Vec::new()),
            );
            assert_eq!(r.reason_json(), serde_json::to_string(reason).unwrap());
        }
    }

    #[test]
    fn answers_lead_where_they_were_put_before_and_after_the_list_becomes_a_map() {
        let mut trie = Trie::default();
        let first = trie.edge("a").unwrap();
        trie.steps[0] = Step::Ask {
            question: 0,
            first,
            more: None,
        };
        let lead = |trie: &Trie, key: &str| {
            let Step::Ask { first, more, .. } = trie.steps[0] else {
                panic!("the root asks");
            };
            trie.lead(first, more, key)
        };
        let mut to = vec![first.to as usize];
        for n in 2..=20u8 {
            // Keys of one length, so that the list's scan compares their bytes.
            let key = char::from(b'a' + n - 1).to_string();
            assert_eq!(lead(&trie, &key), None, "{key} before it is added");
            to.push(trie.branch(0, &key).unwrap());
            let mapped = matches!(trie.more.first(), Some(More::Many(_)));
            assert_eq!(mapped, usize::from(n) > More::FEW + 1, "{n}");
            for (m, to) in (1..=n).zip(&to) {
                let key = char::from(b'a' + m - 1).to_string();
                assert_eq!(lead(&trie, &key), Some(*to), "{key} after {n}");
            }
            assert_eq!(lead(&trie, "z"), None);
            assert_eq!(lead(&trie, ""), None);
        }
        // Each answer leads to a step of its own, open until a run reaches it.
        let mut distinct = to.clone();
        distinct.sort_unstable();
        distinct.dedup();
        assert_eq!(distinct.len(), to.len());
        assert!(to.iter().all(|&t| matches!(trie.steps[t], Step::Open)));
        // The first answer's key and the list's are kept end to end; the map's only in it.
        assert_eq!(trie.keys, "abcdefghi");
    }

    #[test]
    fn a_step_takes_a_few_words() {
        // What every profile's walk fetches: the step, its first answer inline.
        assert!(std::mem::size_of::<Step>() <= 24);
    }

    #[test]
    fn an_answer_is_recalled_only_from_a_view_holding_what_it_reads() {
        let memo = Memo::new(1, BUDGET);
        let asked = Pointer::new("/recalls".to_string());
        let shown = Pointer::new("/troubles".to_string());
        let (recalls, troubles) = (asked.fields(), shown.fields());
        let tree = json!({"recalls": [{}], "troubles": [{}]});
        let root = Root::new(&tree);
        let mut key = String::new();
        key_of_get(asked.resolve(&root), true, &mut key);
        let op = Op::Get {
            pointer: asked,
            facts: true,
        };
        let answer = Remembered::new(
            Verdict::Yes,
            "r".into(),
            Vec::new(),
            Shown::Named(vec![shown]),
        );
        memo.remember(0, vec![(op, key)], answer);
        assert_eq!(memo.fields(), recalls.union(troubles));
        let recall = |held| {
            let reading = memo.read().unwrap();
            reading
                .recall(0, (&root, held), &Components::new(), &mut Asked::default())
                .map(|r| r.verdict)
        };
        assert_eq!(recall(Fields::ALL), Some(Verdict::Yes));
        assert_eq!(recall(recalls.union(troubles)), Some(Verdict::Yes));
        // The question reads a field the view lacks; then the evidence does.
        assert_eq!(recall(troubles), None);
        assert_eq!(recall(recalls), None);
    }

    #[test]
    fn a_question_rules_share_is_answered_once_per_profile() {
        let memo = Memo::new(3, BUDGET);
        let asked = || Op::Get {
            pointer: Pointer::new("/recalls".to_string()),
            facts: true,
        };
        let one = json!({"recalls": [{}]});
        let two = json!({"recalls": [{}, {}]});
        let key_on = |tree: &Value| {
            let mut key = String::new();
            asked().ask(&Root::new(tree), &Components::new(), &mut key);
            key
        };
        let answer = || Remembered::new(Verdict::Yes, "r".into(), Vec::new(), Shown::Named(vec![]));
        memo.remember(0, vec![(asked(), key_on(&one))], answer());
        memo.remember(1, vec![(asked(), key_on(&one))], answer());
        // Rule 2 asks of its component, which is no question of the profile.
        memo.remember(2, vec![(Op::Rule("x".into()), "?".into())], answer());
        let reading = memo.read().unwrap();
        let mut cache = Asked::default();
        let recall = |rule, tree: &Value, cache: &mut Asked| {
            let root = Root::new(tree);
            reading
                .recall(rule, (&root, Fields::ALL), &Components::new(), cache)
                .map(|r| r.verdict)
        };
        assert_eq!(recall(0, &one, &mut cache), Some(Verdict::Yes));
        let kept = cache.text.clone();
        assert_eq!(kept, key_on(&one));
        assert_eq!(recall(1, &one, &mut cache), Some(Verdict::Yes));
        assert_eq!(recall(2, &one, &mut cache), Some(Verdict::Yes));
        assert_eq!(cache.text, kept, "asked once, and rule(x) not kept");
        // The next profile answers anew once the cache is cleared.
        cache.clear();
        assert_eq!(recall(0, &two, &mut cache), None);
        assert_eq!(cache.text, key_on(&two));
    }

    #[test]
    fn keys_tell_apart_what_a_rule_can_tell_apart() {
        let facts = json!({"none": {"ref": "preface", "quote": "x"}});
        assert_eq!(key(None, false), "~");
        assert_eq!(key(Some(&Value::Null), false), "~");
        assert_eq!(key(Some(&facts), true), "n");
        assert_eq!(key(Some(&facts), false), "o");
        assert_ne!(
            key(Some(&json!(["a", "b"])), false),
            key(Some(&json!(["as1:b"])), false)
        );
        assert_ne!(
            key(Some(&json!([1, 2])), false),
            key(Some(&json!([12])), false)
        );
        assert_ne!(
            key(Some(&json!([true])), false),
            key(Some(&json!(["t"])), false)
        );
        assert_ne!(key(Some(&json!(1)), false), key(Some(&json!(1.0)), false));
        for n in [
            json!(12),
            json!(-3),
            json!(u64::MAX),
            json!(1.5),
            json!(1e300),
        ] {
            assert_eq!(key(Some(&n), false), format!("#{n};"));
        }
        assert_ne!(
            key(Some(&json!([{}])), false),
            key(Some(&json!([[]])), false)
        );
        assert_ne!(key(Some(&json!("o")), false), key(Some(&json!({})), false));
    }
}
