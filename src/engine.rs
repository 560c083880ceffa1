//! The sandboxed Rhai engine and the helpers rules call.
//!
//! A rule sees the profile as `profile`, a [`Node`]: reading `profile.recalls` goes through
//! the engine, which records every fact read (with its citation) so that each answer
//! carries its evidence without the author writing any. A key the profile schema does
//! not have is an error, never a silent unknown.
//!
//! Per-evaluation state lives in a thread-local [`Trace`]: evaluation is synchronous,
//! so each thread of a parallel run has its own.

use std::alloc::{GlobalAlloc, Layout};
use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use rhai::{Array, Dynamic, Engine, EvalAltResult, ImmutableString, Position as RhaiPos};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::citation::{Certainty, CitationRef};
use crate::finding::{Evidence, EvidenceRef, Shown};
use crate::memo::{self, Op, Rested};
use crate::pointer::{At, Pointer};
use crate::shape::{Position, Shape};
use crate::verdict::Verdict;
use crate::view::Root;

/// Resource limits for one rule evaluation. Every limit turns into an `error` finding
/// for that rule alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Limits {
    /// Rhai operations per evaluation (an endless loop stops here).
    pub max_operations: u64,
    /// Nested function calls (unbounded recursion stops here).
    pub max_call_levels: usize,
    /// Nesting of expressions in the source.
    pub max_expr_depth: usize,
    /// Bytes in one string.
    pub max_string_size: usize,
    /// Elements in one array (or bytes in one blob).
    pub max_array_size: usize,
    /// Entries in one object map.
    pub max_map_size: usize,
    /// Bytes of memory one evaluation may hold at once. Rhai checks a map's size only
    /// when the whole map is passed around, not when `m[key] = value` adds a key, so the
    /// limits above alone do not bound memory: this does.
    #[serde(default = "default_max_memory")]
    pub max_memory: usize,
    /// Wall-clock time per evaluation, in milliseconds: a backstop for the rare
    /// operation that is slow without being many.
    pub timeout_ms: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_operations: 1_000_000,
            max_call_levels: 32,
            max_expr_depth: 64,
            max_string_size: 1 << 20,
            max_array_size: 100_000,
            max_map_size: 10_000,
            max_memory: default_max_memory(),
            timeout_ms: 1_000,
        }
    }
}

fn default_max_memory() -> usize {
    256 << 20
}

/// The global allocator: mimalloc, counting the bytes each thread holds so that one
/// evaluation's memory can be bounded (see [`Limits::max_memory`]). Scoring allocates
/// many small short-lived values; with glibc's malloc a third of a run went to
/// allocation (docs/performance.md).
struct Metered;

/// mimalloc's option number for `mi_option_arena_eager_commit`, from `mi_option_e` in
/// the v3 `mimalloc.h` that libmimalloc-sys builds (which does not name it).
const MI_OPTION_ARENA_EAGER_COMMIT: libmimalloc_sys::mi_option_t = 4;

/// Tunes the allocator for long batch runs: arenas are committed as they are used, not
/// all at once, so resident memory follows what is live. With mimalloc's default, a
/// 20,000-profile run peaked at 54-88 MB; with this, about 27 MB, and no slower
/// (docs/performance.md). It must run before mimalloc reserves its first arena, which
/// happens before `main`: hence the constructor below.
fn tune_allocator() {
    // SAFETY: a plain setter of one of mimalloc's global options; it neither allocates
    // nor touches memory already handed out.
    unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_ARENA_EAGER_COMMIT, 0) };
}

/// Runs [`tune_allocator`] as the program loads, as C constructors do (what the `ctor`
/// crate does, in the one line it takes here).
#[cfg(target_os = "linux")]
#[used]
#[link_section = ".init_array"]
static TUNE_BEFORE_MAIN: extern "C" fn() = {
    extern "C" fn tune() {
        tune_allocator();
    }
    tune
};

thread_local! {
    /// Bytes this thread has allocated less those it has freed (memory allocated on one
    /// thread and freed on another makes this drift, which only differences ever see).
    static HELD: Cell<isize> = const { Cell::new(0) };
    /// `HELD` when the current Rhai run began.
    static HELD_AT_START: Cell<isize> = const { Cell::new(0) };
}

fn held() -> isize {
    HELD.try_with(Cell::get).unwrap_or(0)
}

fn count(bytes: isize) {
    let _ = HELD.try_with(|h| h.set(h.get().wrapping_add(bytes)));
}

/// Every block mimalloc hands out is at least word-aligned (its size classes are whole
/// words), so a layout asking no more than that can take `mi_malloc`'s fast path; the
/// `_aligned` entry points that `mimalloc::MiMalloc` always calls cost a few percent of
/// a batch run in checks that such layouts never need.
const WORD: usize = std::mem::size_of::<usize>();

// SAFETY: every call is passed on to mimalloc: the plain entry points for layouts of at
// most word alignment (which mimalloc always gives), the aligned ones otherwise; blocks
// from either are freed by `mi_free`. The counting beside it touches only a
// const-initialised thread-local `Cell` with no destructor, which never allocates.
unsafe impl GlobalAlloc for Metered {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = if layout.align() <= WORD {
            unsafe { libmimalloc_sys::mi_malloc(layout.size()) as *mut u8 }
        } else {
            unsafe { mimalloc::MiMalloc.alloc(layout) }
        };
        if !p.is_null() {
            count(layout.size() as isize);
        }
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let p = if layout.align() <= WORD {
            unsafe { libmimalloc_sys::mi_zalloc(layout.size()) as *mut u8 }
        } else {
            unsafe { mimalloc::MiMalloc.alloc_zeroed(layout) }
        };
        if !p.is_null() {
            count(layout.size() as isize);
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { mimalloc::MiMalloc.dealloc(ptr, layout) };
        count(-(layout.size() as isize));
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = if layout.align() <= WORD {
            unsafe { libmimalloc_sys::mi_realloc(ptr.cast(), new_size) as *mut u8 }
        } else {
            unsafe { mimalloc::MiMalloc.realloc(ptr, layout, new_size) }
        };
        if !p.is_null() {
            count(new_size as isize - layout.size() as isize);
        }
        p
    }
}

#[global_allocator]
static ALLOCATOR: Metered = Metered;

/// The token `on_progress` stops a run with when it holds too much memory.
const MEMORY_LIMIT: &str = "memory limit";

/// A view of one position in the profile being evaluated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Node {
    pointer: String,
    /// `pointer` with array indices as `*` (`/recalls/*/status`): its place in the
    /// schema. Shared: every item of a list has the same one.
    pattern: Arc<str>,
}

impl Node {
    pub fn root() -> Node {
        Node {
            pointer: String::new(),
            pattern: Arc::from(""),
        }
    }

    pub fn pointer(&self) -> &str {
        &self.pointer
    }
}

/// A rule's answer, as returned by `yes`, `no` and `unknown`.
#[derive(Debug, Clone)]
pub struct Answer {
    pub verdict: Verdict,
    pub reason: String,
    /// Evidence named by the rule; when `None`, everything it read is the evidence.
    pub evidence: Option<Vec<Evidence>>,
}

/// What one evaluation read, printed and used.
#[derive(Debug, Default)]
pub struct Trace {
    root: Arc<Value>,
    /// Facts read, in the order first read.
    pub reads: Vec<Evidence>,
    /// What the rule printed.
    pub output: Vec<String>,
    /// Verdicts (and evidence) of the rules this one may consult, owned: a run borrows
    /// nothing.
    components: memo::OwnedComponents,
    /// Evidence of the components it did consult.
    pub component_evidence: Vec<Evidence>,
    deadline: Option<Instant>,
    /// Everything the rule observed of the profile, in order, when asked for: what
    /// [`crate::memo`] keys its answers on.
    pub observed: Option<memo::Observed>,
}

impl Trace {
    /// The verdicts of the rules this one may consult.
    pub fn components(&self) -> &memo::OwnedComponents {
        &self.components
    }

    pub fn new(root: Arc<Value>, components: memo::OwnedComponents, timeout: Duration) -> Trace {
        Trace {
            root,
            components,
            deadline: Some(Instant::now() + timeout),
            ..Trace::default()
        }
    }

    /// Asks the trace to keep what the rule observes (see [`crate::memo`]).
    pub fn observing(mut self) -> Trace {
        self.observed = Some(Vec::new());
        self
    }

    /// Logs one observation, when observing: both parts are built only then.
    fn observe(&mut self, op: impl FnOnce() -> Op, key: impl FnOnce() -> String) {
        if let Some(log) = self.observed.as_mut() {
            log.push((op(), key()));
        }
    }

    fn record(&mut self, pointer: &str, value: Value) {
        if self.reads.iter().any(|e| e.path == pointer) {
            return;
        }
        self.reads
            .push(read_evidence(&Root::new(&self.root), pointer, value));
    }
}

/// A fact read at `pointer`, with the citation that covers it.
pub(crate) fn read_evidence(
    root: &Root<'_>,
    pointer: &(impl At + ?Sized),
    value: Value,
) -> Evidence {
    let (source, certainty) = citation_for(root, pointer).1;
    Evidence {
        path: pointer.text().to_string(),
        value,
        source: source.map(CitationRef::to_owned),
        certainty,
        via: None,
    }
}

/// [`read_evidence`], borrowed: `value` is what the rule saw at `pointer`.
pub(crate) fn read_evidence_ref<'a>(
    root: &Root<'a>,
    pointer: &'a (impl At + ?Sized),
    value: &'a Value,
) -> EvidenceRef<'a> {
    let (source, certainty) = citation_for(root, pointer).1;
    EvidenceRef {
        path: pointer.text(),
        value: Shown::Value(value),
        source,
        certainty,
        via: None,
    }
}

/// The fact at `pointer` named as evidence: its value without the citation, which has
/// fields of its own.
pub(crate) fn evidence_at(root: &Root<'_>, pointer: &(impl At + ?Sized)) -> Evidence {
    evidence_at_ref(root, pointer).to_owned()
}

/// What evidence shows where the profile is silent.
static NULL: Value = Value::Null;

/// [`evidence_at`], borrowed from the profile.
pub(crate) fn evidence_at_ref<'a>(
    root: &Root<'a>,
    pointer: &'a (impl At + ?Sized),
) -> EvidenceRef<'a> {
    let (found, (source, certainty)) = citation_for(root, pointer);
    EvidenceRef {
        path: pointer.text(),
        value: match found {
            None => Shown::Value(&NULL),
            Some(Value::Object(m)) => Shown::Fact(m),
            Some(v) => Shown::Value(v),
        },
        source,
        certainty,
        via: None,
    }
}

/// Adds what a consulted component rested on to a composite's evidence, during a run,
/// as [`Rested::through`] shows it: each path once, the first time it comes.
pub(crate) fn add_component_evidence(
    to: &mut Vec<Evidence>,
    id: &str,
    rested: &Rested<'_>,
    root: &Root<'_>,
) {
    rested.through(id, |path, item| {
        if !to.iter().any(|x| x.path == path) {
            to.push(item.resolve(root).to_owned());
        }
    });
}

thread_local! {
    static TRACE: RefCell<Option<Trace>> = const { RefCell::new(None) };
}

/// Runs `f` with `trace` as the current evaluation's state, and hands the trace back.
pub fn with_trace<R>(trace: Trace, f: impl FnOnce() -> R) -> (R, Trace) {
    TRACE.with(|t| *t.borrow_mut() = Some(trace));
    let r = f();
    let trace = TRACE.with(|t| t.borrow_mut().take()).unwrap_or_default();
    (r, trace)
}

fn with_current<R>(
    f: impl FnOnce(&mut Trace) -> Result<R, Box<EvalAltResult>>,
) -> Result<R, Box<EvalAltResult>> {
    TRACE.with(|t| match t.borrow_mut().as_mut() {
        Some(trace) => f(trace),
        None => Err("profile facts can only be read while a rule is evaluated".into()),
    })
}

/// The value at `pointer`, and the citation that covers it: that of the nearest
/// enclosing fact (the deepest object on the way down with a citation that is one).
fn citation_for<'a>(
    root: &Root<'a>,
    pointer: &(impl At + ?Sized),
) -> (Option<&'a Value>, (Option<CitationRef<'a>>, Certainty)) {
    // The objects on the way down, looked at deepest first: the nearest fact is usually
    // one or two steps up, and each object looked at costs two key lookups. The profile
    // itself is not looked at: it is no fact (it has no `source` or `none` field), and
    // its lookups are the dearest, in the largest map.
    const KEPT: usize = 16;
    let mut objects: [Option<&'a serde_json::Map<String, Value>>; KEPT] = [None; KEPT];
    let mut depth = 0;
    let tree = root.tree();
    let mut last = tree;
    let whole = pointer.walk(root, |v| {
        if let Value::Object(m) = v {
            if !std::ptr::eq(v, tree) {
                objects[depth % KEPT] = Some(m);
                depth += 1;
            }
        }
        last = v;
    });
    let found = whole.then_some(last);
    let kept = depth.min(KEPT);
    let nearest = (1..=kept)
        .filter_map(|up| objects[(depth - up) % KEPT])
        .find_map(fact_citation);
    let nearest = match nearest {
        // Past the objects kept, the walk is made again, looking at every level.
        None if depth > KEPT => {
            let mut deepest = None;
            pointer.walk(root, |v| {
                let fact = v.as_object().filter(|_| !std::ptr::eq(v, tree));
                if let Some(c) = fact.and_then(fact_citation) {
                    deepest = Some(c);
                }
            });
            deepest
        }
        nearest => nearest,
    };
    match nearest {
        Some((c, certainty)) => (found, (Some(c), certainty)),
        None => (found, (None, Certainty::Stated)),
    }
}

/// The citation of the fact `m` is, if it is one (its `source`, or the `none` of a list
/// the source says was empty), and the fact's certainty.
fn fact_citation(m: &serde_json::Map<String, Value>) -> Option<(CitationRef<'_>, Certainty)> {
    // A fact has a handful of fields: one pass over them, each name told by its length
    // and a compare the compiler inlines, is cheaper than a key search for each (every
    // piece of evidence looks for its citation). A large map is searched.
    const FEW: usize = 8;
    let (source, none, certainty) = if m.len() <= FEW {
        let (mut source, mut none, mut certainty) = (None, None, None);
        for (k, v) in m {
            match k.as_str() {
                "source" => source = Some(v),
                "none" => none = Some(v),
                "certainty" => certainty = Some(v),
                _ => {}
            }
        }
        (source, none, certainty)
    } else {
        (m.get("source"), m.get("none"), m.get("certainty"))
    };
    let citation = CitationRef::from_json(source.or(none)?)?;
    let certainty = certainty
        .and_then(Value::as_str)
        .and_then(Certainty::from_name)
        .unwrap_or_default();
    Some((citation, certainty))
}

fn escape(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

fn scalar(v: &Value) -> Dynamic {
    match v {
        Value::Null => Dynamic::UNIT,
        Value::Bool(b) => Dynamic::from_bool(*b),
        Value::Number(n) => match n.as_i64() {
            Some(i) => Dynamic::from_int(i),
            None => Dynamic::from_float(n.as_f64().unwrap_or(f64::NAN)),
        },
        Value::String(s) => Dynamic::from(ImmutableString::from(s.as_str())),
        Value::Array(_) | Value::Object(_) => Dynamic::UNIT,
    }
}

fn did_you_mean<'a>(key: &str, keys: impl Iterator<Item = &'a String>) -> String {
    let close: Vec<&String> = keys.filter(|k| similar(key, k)).collect();
    match close.first() {
        Some(k) => format!(" (did you mean `{k}`?)"),
        None => String::new(),
    }
}

/// A cheap closeness test: one is a prefix of the other, or they differ in one edit.
fn similar(a: &str, b: &str) -> bool {
    if a.len().min(b.len()) >= 3 && (a.starts_with(b) || b.starts_with(a)) {
        return true;
    }
    if a.chars().count().abs_diff(b.chars().count()) > 1 {
        return false;
    }
    crate::shape::edit_distance(a, b) <= 1
}

/// What the schema says of a child position, computed once per position and thread.
#[derive(Clone)]
enum Child {
    /// A key the schema has there (or any key, under `extra`); `facts` when it is a
    /// cited list, whose `{"none": ...}` form reads as an empty array.
    Allowed { facts: bool },
    /// Not a field there: the message for the rule author.
    Unknown(String),
}

thread_local! {
    /// `child pattern` -> what the schema says of it. Rules read the same few fields on
    /// every profile, so this saves walking the schema on every read. Capped, since a
    /// rule may compute keys.
    static CHILDREN: RefCell<HashMap<String, Child>> = RefCell::new(HashMap::new());
}

const CHILDREN_CAP: usize = 4096;

fn child_of(pattern: &str, key: &str, child_pattern: &str) -> Child {
    if let Some(c) = CHILDREN.with(|c| c.borrow().get(child_pattern).cloned()) {
        return c;
    }
    let shape = Shape::profile();
    let child = match shape.position(pattern) {
        Position::Object(keys) if !keys.contains(key) => {
            let at = if pattern.is_empty() {
                "a profile".to_string()
            } else {
                format!("`{pattern}`")
            };
            Child::Unknown(format!(
                "`{key}` is not a field of {at}{}; fields there: {}",
                did_you_mean(key, keys.iter()),
                keys.iter().cloned().collect::<Vec<_>>().join(", ")
            ))
        }
        _ => Child::Allowed {
            facts: shape.is_facts(child_pattern),
        },
    };
    CHILDREN.with(|c| {
        let mut c = c.borrow_mut();
        if c.len() >= CHILDREN_CAP {
            c.clear();
        }
        c.insert(child_pattern.to_string(), child.clone());
    });
    child
}

/// `node.key` and `node["key"]`.
fn node_get(node: &mut Node, key: &str) -> Result<Dynamic, Box<EvalAltResult>> {
    let escaped = escape(key);
    let child_pattern = format!("{}/{}", node.pattern, escaped);
    let facts = match child_of(&node.pattern, key, &child_pattern) {
        Child::Unknown(message) => {
            // Name the concrete position the rule was at, as before.
            let message = if node.pointer.is_empty() || node.pointer == *node.pattern {
                message
            } else {
                message.replacen(
                    &format!("`{}`", node.pattern),
                    &format!("`{}`", node.pointer),
                    1,
                )
            };
            return Err(message.into());
        }
        Child::Allowed { facts } => facts,
    };
    let pointer = format!("{}/{}", node.pointer, escaped);
    with_current(|t| {
        // Borrowed, not cloned: only scalars are copied out of the profile.
        let tree = Arc::clone(&t.root);
        let found = pointer.as_str().resolve(&Root::new(&tree));
        t.observe(
            || Op::Get {
                pointer: Pointer::new(pointer.clone()),
                facts,
            },
            || {
                let mut key = String::new();
                memo::key_of_get(found, facts, &mut key);
                key
            },
        );
        Ok(match found {
            None | Some(Value::Null) => {
                t.record(&pointer, Value::Null);
                Dynamic::UNIT
            }
            Some(Value::Object(m)) if facts && m.contains_key("none") => {
                t.record(&pointer, Value::Array(Vec::new()));
                Dynamic::from_array(Array::new())
            }
            Some(Value::Object(_)) => Dynamic::from(Node {
                pointer,
                pattern: Arc::from(child_pattern),
            }),
            Some(Value::Array(items)) => {
                let item_pattern: Arc<str> = Arc::from(format!("{child_pattern}/*"));
                let mut out = Array::with_capacity(items.len());
                for (i, item) in items.iter().enumerate() {
                    let p = format!("{pointer}/{i}");
                    if item.is_object() || item.is_array() {
                        out.push(Dynamic::from(Node {
                            pointer: p,
                            pattern: Arc::clone(&item_pattern),
                        }));
                    } else {
                        t.record(&p, item.clone());
                        out.push(scalar(item));
                    }
                }
                Dynamic::from_array(out)
            }
            Some(v) => {
                let d = scalar(v);
                t.record(&pointer, v.clone());
                d
            }
        })
    })
}

fn node_json(node: &Node) -> String {
    TRACE.with(|t| {
        let mut t = t.borrow_mut();
        let Some(t) = t.as_mut() else {
            return "()".to_string();
        };
        let json = json_at(&Root::new(&t.root), node.pointer.as_str());
        t.observe(
            || Op::Json(Pointer::new(node.pointer.clone())),
            || json.clone(),
        );
        json
    })
}

/// A fact as a rule sees it in `print`, interpolation and `join`: its JSON.
pub(crate) fn json_at(root: &Root<'_>, pointer: &(impl At + ?Sized)) -> String {
    pointer
        .resolve(root)
        .map(|v| v.to_string())
        .unwrap_or_else(|| "()".to_string())
}

/// What `certainty(fact)` answers.
pub(crate) fn certainty_at<'a>(root: &Root<'a>, pointer: &(impl At + ?Sized)) -> &'a str {
    pointer
        .resolve(root)
        .and_then(|v| v.get("certainty"))
        .and_then(Value::as_str)
        .unwrap_or("stated")
}

fn answer(
    verdict: Verdict,
    reason: ImmutableString,
    evidence: Option<Dynamic>,
) -> Result<Answer, Box<EvalAltResult>> {
    let evidence = match evidence {
        None => None,
        Some(d) => Some(with_current(|t| {
            let items: Vec<Dynamic> = if d.is_array() {
                d.into_array().unwrap_or_default()
            } else {
                vec![d]
            };
            let mut out = Vec::new();
            for item in items {
                if item.is_unit() {
                    continue;
                }
                match item.try_cast::<Node>() {
                    Some(node) => out.push(evidence_at(&Root::new(&t.root), node.pointer.as_str())),
                    None => {
                        return Err("evidence must be facts read from `profile` \
                                    (an object or a list of objects)"
                            .into())
                    }
                }
            }
            Ok(out)
        })?),
    };
    Ok(Answer {
        verdict,
        reason: reason.to_string(),
        evidence,
    })
}

fn truth(v: &str) -> Result<Verdict, Box<EvalAltResult>> {
    match v.parse::<Verdict>() {
        Ok(Verdict::Error) | Err(_) => Err(format!(
            "`{v}` is not a truth value: expected \"yes\", \"no\" or \"unknown\""
        )
        .into()),
        Ok(v) => Ok(v),
    }
}

fn fold(items: Array, start: Verdict, op: fn(Verdict, Verdict) -> Verdict) -> RhaiResult {
    let mut acc = start;
    for item in items {
        let s = item
            .into_immutable_string()
            .map_err(|t| format!("expected a verdict string, got {t}"))?;
        acc = op(acc, truth(&s)?);
    }
    Ok(acc.as_str().into())
}

type RhaiResult = Result<ImmutableString, Box<EvalAltResult>>;

fn consult(id: &str) -> RhaiResult {
    with_current(|t| {
        let key = || {
            let mut key = String::new();
            memo::key_of_rule(t.components.get(id), &mut key);
            key
        };
        if let Some(log) = t.observed.as_mut() {
            log.push((Op::Rule(id.to_string()), key()));
        }
        match t.components.get(id) {
            None => Err(format!(
                "rule `{id}` is not among this rule's `uses`: list it there to consult it"
            )
            .into()),
            Some(Err(message)) => Err(format!("component rule `{id}` failed: {message}").into()),
            Some(Ok((verdict, rested))) => {
                let root = Root::new(&t.root);
                add_component_evidence(&mut t.component_evidence, id, rested, &root);
                Ok(verdict.as_str().into())
            }
        }
    })
}

/// Builds the sandboxed engine with the helpers rules may call.
pub fn build(limits: &Limits) -> Engine {
    let mut engine = Engine::new();
    engine
        .set_max_operations(limits.max_operations)
        .set_max_call_levels(limits.max_call_levels)
        .set_max_expr_depths(limits.max_expr_depth, limits.max_expr_depth)
        .set_max_string_size(limits.max_string_size)
        .set_max_array_size(limits.max_array_size)
        .set_max_map_size(limits.max_map_size)
        .set_max_variables(1_000)
        .set_max_functions(512)
        .set_max_modules(0)
        // Rhai's string interner is one lock shared by every thread using the engine,
        // and with `sync` a thread that finds it taken sleeps 10 ms: two workers then
        // take turns instead of running side by side. Interning saves little here.
        .set_max_strings_interned(0)
        .set_optimization_level(rhai::OptimizationLevel::Simple);
    // Rules are data from outside: no code from strings, no modules.
    engine.disable_symbol("eval");
    engine.disable_symbol("import");
    engine.disable_symbol("export");

    let check_every = 1 << 12;
    let max_memory = isize::try_from(limits.max_memory).unwrap_or(isize::MAX);
    engine.on_progress(move |ops| {
        // Every operation counts from 1 in each run (a rule's top level, or one call of
        // `evaluate`), so the first marks where this run's memory starts.
        if ops == 1 {
            let _ = HELD_AT_START.try_with(|s| s.set(held()));
        }
        let start = HELD_AT_START.try_with(Cell::get).unwrap_or(0);
        if held().wrapping_sub(start) > max_memory {
            return Some(Dynamic::from(MEMORY_LIMIT));
        }
        if ops % check_every != 0 {
            return None;
        }
        let late = TRACE.with(|t| {
            t.borrow()
                .as_ref()
                .and_then(|t| t.deadline)
                .is_some_and(|d| Instant::now() > d)
        });
        late.then(|| Dynamic::from("time limit"))
    });
    engine.on_print(|s| {
        TRACE.with(|t| {
            if let Some(t) = t.borrow_mut().as_mut() {
                t.output.push(s.to_string());
            }
        })
    });
    engine.on_debug(|s, _, pos| {
        TRACE.with(|t| {
            if let Some(t) = t.borrow_mut().as_mut() {
                let at = pos
                    .line()
                    .map(|l| format!("line {l}: "))
                    .unwrap_or_default();
                t.output.push(format!("{at}{s}"));
            }
        })
    });

    engine
        .register_type_with_name::<Node>("Fact")
        .register_indexer_get(node_get)
        .register_fn("to_string", |n: &mut Node| node_json(n))
        .register_fn("to_debug", |n: &mut Node| node_json(n))
        .register_type_with_name::<Answer>("Answer");

    engine
        .register_fn("yes", |r: ImmutableString| answer(Verdict::Yes, r, None))
        .register_fn("yes", |r: ImmutableString, e: Dynamic| {
            answer(Verdict::Yes, r, Some(e))
        })
        .register_fn("no", |r: ImmutableString| answer(Verdict::No, r, None))
        .register_fn("no", |r: ImmutableString, e: Dynamic| {
            answer(Verdict::No, r, Some(e))
        })
        .register_fn("unknown", |r: ImmutableString| {
            answer(Verdict::Unknown, r, None)
        })
        .register_fn("unknown", |r: ImmutableString, e: Dynamic| {
            answer(Verdict::Unknown, r, Some(e))
        });

    engine
        .register_fn("rule", |id: &str| consult(id))
        .register_fn("kleene_and", |items: Array| {
            fold(items, Verdict::Yes, Verdict::and)
        })
        .register_fn("kleene_or", |items: Array| {
            fold(items, Verdict::No, Verdict::or)
        })
        .register_fn("kleene_not", |v: &str| -> RhaiResult {
            Ok((!truth(v)?).as_str().into())
        })
        .register_fn("certainty", |n: &mut Node| -> RhaiResult {
            with_current(|t| {
                let c = certainty_at(&Root::new(&t.root), n.pointer.as_str()).to_string();
                t.observe(
                    || Op::Certainty(Pointer::new(n.pointer.clone())),
                    || c.clone(),
                );
                Ok(c.into())
            })
        })
        .register_fn("join", |items: Array, sep: &str| -> String {
            // A fact shows as its JSON, as it does in `print` and interpolation.
            items
                .iter()
                .map(|d| match d.read_lock::<Node>() {
                    Some(node) => node_json(&node),
                    None => d.to_string(),
                })
                .collect::<Vec<_>>()
                .join(sep)
        })
        .register_fn("is_unknown", |d: Dynamic| d.is_unit())
        .register_fn("known", |d: Dynamic| !d.is_unit());

    // `sleep` is not in Rhai's standard library; defining it here turns a call into a
    // clear message rather than "function not found".
    engine
        .register_fn("sleep", |_: rhai::INT| -> Result<(), Box<EvalAltResult>> {
            Err("`sleep` is not allowed in rules".into())
        })
        .register_fn(
            "sleep",
            |_: rhai::FLOAT| -> Result<(), Box<EvalAltResult>> {
                Err("`sleep` is not allowed in rules".into())
            },
        );
    engine
}

/// The helpers the engine registers for rules, as documented in `docs/rules.md`.
pub const HELPERS: &[&str] = &[
    "yes",
    "no",
    "unknown",
    "rule",
    "kleene_and",
    "kleene_or",
    "kleene_not",
    "certainty",
    "join",
    "is_unknown",
    "known",
];

/// A runtime error as a message with its line, in words a rule author can act on.
pub fn describe_error(err: &EvalAltResult, limits: &Limits) -> (String, Option<usize>) {
    use EvalAltResult as E;
    let line = line_of(err.position());
    let message = match err {
        E::ErrorTooManyOperations(_) => format!(
            "exceeded the limit of {} operations (an endless loop?)",
            limits.max_operations
        ),
        E::ErrorStackOverflow(_) => format!(
            "exceeded the limit of {} nested calls (unbounded recursion?)",
            limits.max_call_levels
        ),
        E::ErrorTerminated(token, _)
            if token.clone().into_immutable_string().ok().as_deref() == Some(MEMORY_LIMIT) =>
        {
            format!(
                "held more than the limit of {} bytes of memory",
                limits.max_memory
            )
        }
        E::ErrorTerminated(_, _) => {
            format!("ran longer than the {} ms time limit", limits.timeout_ms)
        }
        // Rhai names only the kind of value; say which limit it was.
        E::ErrorDataTooLarge(what, _) => match what.as_str() {
            "Length of string" => format!(
                "a string grew beyond the limit of {} bytes",
                limits.max_string_size
            ),
            "Size of array/BLOB" => format!(
                "an array or blob grew beyond the limit of {} elements",
                limits.max_array_size
            ),
            "Size of object map" => format!(
                "an object map grew beyond the limit of {} entries",
                limits.max_map_size
            ),
            other => format!("{other} grew beyond its limit"),
        },
        // `x.prop` where `x` is `()`: say so in the rule author's terms.
        E::ErrorDotExpr(s, _) if s.ends_with("for type '()'") => {
            let prop = s.split('\'').nth(1).unwrap_or("?");
            format!(
                "cannot read `.{prop}` of nothing (`()`): the value before `.{prop}` is \
                 unknown or absent; test it with `known(...)` or `== ()` first"
            )
        }
        E::ErrorInFunctionCall(name, _, inner, pos) => {
            let (m, l) = describe_error(inner, limits);
            return (format!("in `{name}`: {m}"), l.or(line_of(*pos)));
        }
        E::ErrorRuntime(d, _) => d.to_string(),
        other => {
            let s = other.to_string();
            match s.rfind(" (line ") {
                Some(i) => s[..i].to_string(),
                None => s,
            }
        }
    };
    (message, line)
}

fn line_of(pos: RhaiPos) -> Option<usize> {
    pos.line()
}

/// Where a runtime error happened, as line and column: the innermost position known,
/// the same one [`describe_error`] reports the line of.
pub fn error_position(err: &EvalAltResult) -> (Option<usize>, Option<usize>) {
    if let EvalAltResult::ErrorInFunctionCall(_, _, inner, pos) = err {
        let found = error_position(inner);
        if found.0.is_some() {
            return found;
        }
        return (pos.line(), pos.position());
    }
    let pos = err.position();
    (pos.line(), pos.position())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn near_misses_are_suggested() {
        assert!(similar("recal", "recalls"));
        assert!(similar("famly", "family"));
        assert!(!similar("zzz", "family"));
    }

    #[test]
    fn citations_come_from_the_nearest_fact() {
        let tree: Value = serde_json::json!({
            "recalls": [{"status": "in_force", "certainty": "claimed",
                         "source": {"ref": "section II", "quote": "q"}}],
            "troubles": {"none": {"ref": "section III", "quote": "n"}}
        });
        // Followed as text from a plain root, and split from an indexed one.
        for root in [Root::new(&tree), Root::indexed(&tree)] {
            let split = |p: &str| Pointer::new(p.to_string());
            for p in ["/recalls/0/status", "/troubles", "/family"] {
                assert_eq!(citation_for(&root, p), citation_for(&root, &split(p)));
            }
            let (_, (c, cert)) = citation_for(&root, "/recalls/0/status");
            assert_eq!(c.unwrap().quote(), "q");
            assert_eq!(cert, Certainty::Claimed);
            let (_, (c, _)) = citation_for(&root, "/troubles");
            assert_eq!(c.unwrap().quote(), "n");
            assert_eq!(citation_for(&root, "/family").1 .0, None);
        }
        // A fact with many fields is searched rather than scanned: the same answer.
        let mut big = serde_json::json!({
            "source": {"ref": "section IV", "quote": "b"}, "certainty": "reported"
        });
        for i in 0..12 {
            big[format!("k{i}")] = serde_json::json!(i);
        }
        let tree = serde_json::json!({ "extra": big });
        let (found, (c, cert)) = citation_for(&Root::new(&tree), "/extra/k3");
        assert_eq!(found, Some(&serde_json::json!(3)));
        assert_eq!((c.unwrap().quote(), cert), ("b", Certainty::Reported));
    }

    #[test]
    fn citations_are_found_past_the_objects_kept_on_the_way_down() {
        let cite = |q: &str| serde_json::json!({"ref": "section II", "quote": q});
        // 30 nested objects under one with a citation: the nearest is far up.
        let mut deep = serde_json::json!({"leaf": 1});
        for _ in 0..29 {
            deep = serde_json::json!({ "d": deep });
        }
        let root = serde_json::json!({"extra": {"source": cite("top"), "d": deep}});
        let pointer = format!("/extra{}/leaf", "/d".repeat(30));
        let (found, (c, _)) = citation_for(&Root::new(&root), pointer.as_str());
        assert_eq!(found, Some(&serde_json::json!(1)));
        assert_eq!(c.unwrap().quote(), "top");
        // A citation near the bottom wins over the top one.
        let pointer = format!("/extra{}", "/d".repeat(29));
        let mut root = root;
        root.pointer_mut(&pointer).unwrap()["source"] = cite("low");
        let (_, (c, _)) = citation_for(&Root::new(&root), format!("{pointer}/d/leaf").as_str());
        assert_eq!(c.unwrap().quote(), "low");
        // An invalid citation is passed over for the next one up.
        root.pointer_mut(&pointer).unwrap()["source"] = serde_json::json!({"ref": "x"});
        let (_, (c, _)) = citation_for(&Root::new(&root), format!("{pointer}/d/leaf").as_str());
        assert_eq!(c.unwrap().quote(), "top");
    }
}

thread_local! {
    /// The line of the last statement the tracing engine stepped onto.
    static LAST_LINE: Cell<Option<usize>> = const { Cell::new(None) };
}

/// The engine of [`build`], stepping through every statement to remember the line it
/// is on. Rhai reports a limit (operations, data size, time, memory) at the call of
/// `evaluate`, not where it was hit; a rule that hits one is run again with this engine
/// to find the line. Never used on the common path: stepping is slow.
pub fn build_tracer(limits: &Limits) -> Engine {
    let mut engine = build(limits);
    // Rhai marks the debugger interface volatile (through `deprecated`), not deprecated.
    #[allow(deprecated)]
    engine.register_debugger(
        |_, debugger| debugger,
        |_, event, _, _, pos| {
            // Only steps onto statements; a function's exit reports its closing brace.
            if matches!(event, rhai::debugger::DebuggerEvent::Step) {
                if let Some(line) = pos.line() {
                    LAST_LINE.with(|l| l.set(Some(line)));
                }
            }
            Ok(rhai::debugger::DebuggerCommand::StepInto)
        },
    );
    engine
}

/// Forgets the last line, before a traced run.
pub fn reset_last_line() {
    LAST_LINE.with(|l| l.set(None));
}

/// The line the tracing engine last stepped onto in this thread.
pub fn last_line() -> Option<usize> {
    LAST_LINE.with(Cell::get)
}

/// Whether `err` is a limit whose line Rhai does not keep and a second, stepped run can
/// find.
pub fn is_limit(err: &EvalAltResult) -> bool {
    use EvalAltResult as E;
    matches!(
        err,
        E::ErrorTooManyOperations(_)
            | E::ErrorStackOverflow(_)
            | E::ErrorDataTooLarge(..)
            | E::ErrorTerminated(..)
            | E::ErrorTooManyVariables(_)
    )
}
