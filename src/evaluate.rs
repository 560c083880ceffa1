//! Profiles × rules → findings. One [`Scorer`] holds the engine and the compiled rules
//! and is shared by every thread; each profile is parsed once and read by every rule.

use std::cell::Cell;
use std::collections::BTreeSet;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use rhai::{CallFnOptions, Dynamic, Engine, Scope};
use serde_json::Value;

use crate::engine::{self, describe_error, with_trace, Answer, Limits, Node, Trace};
use crate::error::Error;
use crate::finding::{Evidence, Failed, Finding, Report, Score, Scored};
use crate::input::Document;
use crate::load::{self, Loaded};
use crate::memo::{self, Component, Memo, Reading, Remembered, Rested, Shown};
use crate::pointer::Pointer;
use crate::rule::RuleMeta;
use crate::ruleset::{Entry, RuleSet};
use crate::verdict::Verdict;
use crate::view::{Fields, Root, View};

/// Native stack for the stepped re-run of a rule that hit a limit.
const TRACER_STACK: usize = 64 << 20;

/// The engine and rules, ready to score.
pub struct Scorer {
    engine: Engine,
    /// The same engine, stepping statement by statement: run again on a rule that hit a
    /// limit, to say at which line.
    tracer: Engine,
    limits: Limits,
    rules: RuleSet,
    /// Whether some composite consults each rule (by index): only their verdicts and
    /// evidence are kept while a profile is scored.
    consulted: Vec<bool>,
    /// Answers remembered by what each rule observed; `None` runs every rule every time.
    memo: Option<Memo>,
}

fn consulted(rules: &RuleSet) -> Vec<bool> {
    let ids: BTreeSet<&str> = rules
        .ready()
        .flat_map(|r| r.meta.uses.iter().map(String::as_str))
        .collect();
    rules.entries.iter().map(|e| ids.contains(e.id())).collect()
}

/// One rule's evaluation in full: the finding, plus everything read along the way.
#[derive(Debug, Clone)]
pub struct Explained {
    pub finding: Finding,
    /// Every fact read, including those not named as evidence.
    pub reads: Vec<Evidence>,
}

impl Scorer {
    /// The embedded rules, or those in `dir`.
    pub fn new(dir: Option<&Path>, limits: Limits) -> Result<Scorer, Error> {
        let engine = engine::build(&limits);
        let rules = match dir {
            Some(d) => RuleSet::from_dir(&engine, &limits, d)?,
            None => RuleSet::embedded(&engine, &limits),
        };
        Ok(Scorer {
            engine,
            tracer: engine::build_tracer(&limits),
            limits,
            consulted: consulted(&rules),
            memo: Some(Memo::new(rules.entries.len(), memo::BUDGET)),
            rules,
        })
    }

    /// Whether to remember answers by what each rule observed (on by default; see
    /// [`crate::memo`]). Off, every rule runs on every profile.
    pub fn remembering(mut self, on: bool) -> Scorer {
        self.memo = on.then(|| Memo::new(self.rules.entries.len(), memo::BUDGET));
        self
    }

    /// How often a remembered answer was used, when answers are remembered.
    pub fn memo_stats(&self) -> Option<memo::Stats> {
        self.memo.as_ref().map(Memo::stats)
    }

    pub fn rules(&self) -> &RuleSet {
        &self.rules
    }

    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// Keeps only the rules `keep` accepts (and the rules they consult).
    pub fn select(mut self, keep: &dyn Fn(&Entry) -> bool) -> Scorer {
        self.rules = self.rules.select(keep);
        self.consulted = consulted(&self.rules);
        let on = self.memo.is_some();
        self.remembering(on)
    }

    /// Scores one document; a document that cannot be read becomes a failed report.
    pub fn score_document(&self, doc: Document) -> Report {
        match load::document(doc) {
            (Ok(loaded), origin) => Report::Scored(self.score(&loaded, &origin)),
            (Err(error), source) => Report::Failed(Failed { source, error }),
        }
    }

    /// Scores a loaded profile.
    pub fn score(&self, loaded: &Loaded, source: &str) -> Scored {
        let findings: Vec<Finding> = self
            .run_all(loaded, false)
            .into_iter()
            .map(|e| e.finding)
            .collect();
        Scored {
            id: loaded.profile.id.clone(),
            name: loaded.profile.name.clone(),
            source: source.to_string(),
            score: Score::of(&findings),
            findings,
        }
    }

    /// Every rule on one profile, in rule id order, with full traces.
    pub fn evaluate_all(&self, loaded: &Loaded) -> Vec<Explained> {
        self.run_all(loaded, true)
    }

    /// Every rule on one profile, each answer handed to `each` (with the rule's index) as
    /// it comes, in evaluation order: a remembered answer still borrows its evidence from
    /// the profile and the memory, so it can be written without being copied out first.
    pub fn score_with(&self, loaded: &Loaded, each: &mut dyn FnMut(usize, Outcome<'_>)) {
        self.run_with(loaded, false, each);
    }

    /// Every rule, in rule id order; `reads` kept only when asked for (scoring needs only
    /// the evidence).
    fn run_all(&self, loaded: &Loaded, keep_reads: bool) -> Vec<Explained> {
        let mut results: Vec<Option<Explained>> = vec![None; self.rules.entries.len()];
        self.run_with(loaded, keep_reads, &mut |i, outcome| {
            results[i] = Some(outcome.explained());
        });
        results.into_iter().flatten().collect()
    }

    fn run_with(
        &self,
        loaded: &Loaded,
        keep_reads: bool,
        each: &mut dyn FnMut(usize, Outcome<'_>),
    ) {
        // Answers from memory read only the fields remembered answers read; a rule that
        // runs reads the whole profile.
        // Scoring wants only the findings: a remembered one is exact. `explain` and
        // friends want every read, so they always run the rules.
        let memo = self.memo.as_ref().filter(|_| !keep_reads);
        let view = match memo.map(Memo::fields) {
            Some(fields) if fields != Fields::ALL => View::of(&loaded.profile, fields),
            _ => View::whole(Arc::clone(loaded.value())),
        };
        let reading = memo.and_then(Memo::read);
        // Only answers from memory read through the root; runs read the whole profile.
        let root = match reading {
            Some(_) => Root::indexed(view.root()),
            None => Root::new(view.root()),
        };
        let mut asked = ASKED.take().unwrap_or_default();
        asked.clear();
        let mut state = Scoring {
            loaded,
            root: &root,
            held: view.fields(),
            asked,
            verdicts: memo::Components::new(),
            tally: memo::Stats::default(),
            runs: Vec::new(),
        };
        for &i in &self.rules.order {
            let entry = &self.rules.entries[i];
            let step = Step {
                index: i,
                keep_reads,
                // Only what a composite consults is kept for it.
                consulted: self.consulted.get(i).copied().unwrap_or(false),
            };
            let component = self.evaluate_entry(step, entry, &mut state, reading.as_ref(), each);
            if let Some(c) = component {
                state.verdicts.insert(entry.id(), c);
            }
        }
        let Scoring {
            tally, runs, asked, ..
        } = state;
        ASKED.set(Some(asked));
        // The runs are remembered once the reading is over: a thread must not wait to
        // write where it holds the lock itself.
        drop(reading);
        if let Some(memo) = memo {
            for (rule, observed, answer) in runs {
                memo.remember(rule, observed, answer);
            }
            memo.count(tally);
        }
    }

    /// Runs `rule` again with the stepping engine to find the line where it hit a limit.
    fn limit_line(
        &self,
        rule: &crate::rule::Rule,
        root: Arc<Value>,
        first: &Trace,
    ) -> Option<usize> {
        let trace = Trace::new(
            root,
            first.components().clone(),
            Duration::from_millis(self.limits.timeout_ms),
        );
        let run = || {
            engine::reset_last_line();
            let options = CallFnOptions::new().eval_ast(false).rewind_scope(true);
            let _ = with_trace(trace, || {
                self.tracer.call_fn_with_options::<Dynamic>(
                    options,
                    &mut Scope::new(),
                    &rule.ast,
                    "evaluate",
                    (Dynamic::from(Node::root()),),
                )
            });
            engine::last_line()
        };
        // On a thread of its own with a deep stack: stepping deepens every native frame,
        // and a rule that recursed to the call-depth limit must not overflow the caller's.
        std::thread::scope(|s| {
            std::thread::Builder::new()
                .stack_size(TRACER_STACK)
                .spawn_scoped(s, run)
                .ok()
                .and_then(|h| h.join().ok())
                .flatten()
        })
    }

    /// Answers one rule and hands the answer to `each`; returns what a composite sees of
    /// it, when one consults it.
    fn evaluate_entry<'m>(
        &self,
        step: Step,
        entry: &'m Entry,
        state: &mut Scoring<'_, 'm>,
        reading: Option<&'m Reading<'_>>,
        each: &mut dyn FnMut(usize, Outcome<'_>),
    ) -> Option<Component<'m>> {
        let Scoring {
            loaded,
            root,
            held,
            asked,
            verdicts,
            tally,
            runs,
        } = state;
        let Step {
            index,
            keep_reads,
            consulted,
        } = step;
        let rule = match entry {
            Entry::Broken {
                id,
                title,
                weight,
                error,
            } => {
                let explained = Explained {
                    finding: Finding {
                        rule: id.clone(),
                        title: title.clone(),
                        verdict: Verdict::Error,
                        weight: *weight,
                        reason: format!("the rule could not be loaded: {error}"),
                        evidence: Vec::new(),
                        output: Vec::new(),
                    },
                    reads: Vec::new(),
                };
                return hand_on(index, explained, consulted, each);
            }
            Entry::Ready(r) => r,
        };
        let components: memo::Components<'m> = rule
            .meta
            .uses
            .iter()
            .filter_map(|u| verdicts.get(u.as_str()).map(|v| (u.as_str(), v.clone())))
            .collect();
        if let Some(reading) = reading {
            if let Some(r) = reading.recall(index, (root, *held), &components, asked) {
                tally.hits += 1;
                // A composite consulting it gets the answer itself, to show its evidence
                // from the profile too (or, where that evidence needs components of its
                // own, which are not kept, the evidence built now).
                let component = consulted.then(|| {
                    let rested = Rested::recalled(r)
                        .unwrap_or_else(|| Rested::Ran(r.evidence(root, &components)));
                    Ok((r.verdict, rested))
                });
                let recalled = Recalled {
                    rule: &rule.meta,
                    remembered: r,
                    root,
                    components: &components,
                };
                each(index, Outcome::Recalled(recalled));
                return component;
            }
            tally.misses += 1;
        }
        // A run reads the whole profile, and borrows nothing: what its components rested
        // on is its own.
        let root = Arc::clone(loaded.value());
        let whole = Root::new(&root);
        let components = components
            .into_iter()
            .map(|(id, c)| {
                (
                    id.to_string(),
                    c.map(|(v, rested)| (v, rested.owned(&whole))),
                )
            })
            .collect();
        let mut trace = Trace::new(
            Arc::clone(&root),
            components,
            Duration::from_millis(self.limits.timeout_ms),
        );
        if reading.is_some() {
            trace = trace.observing();
        }
        let options = CallFnOptions::new().eval_ast(false).rewind_scope(true);
        let (result, trace) = with_trace(trace, || {
            self.engine.call_fn_with_options::<Dynamic>(
                options,
                &mut Scope::new(),
                &rule.ast,
                "evaluate",
                (Dynamic::from(Node::root()),),
            )
        });
        let meta = &rule.meta;
        let mut trace = trace;
        let observed = trace.observed.take();
        // What the rule read is its evidence unless it named some; when the caller
        // does not want the reads too, they move rather than being copied.
        let reads = |trace: &mut Trace| {
            if keep_reads {
                trace.reads.clone()
            } else {
                std::mem::take(&mut trace.reads)
            }
        };
        let (verdict, reason, evidence) = match result {
            Ok(d) if d.is::<Answer>() => {
                let a: Answer = d.cast();
                if let (Some(_), Some(observed)) = (reading, observed) {
                    let shown = match &a.evidence {
                        Some(e) => {
                            Shown::Named(e.iter().map(|e| Pointer::new(e.path.clone())).collect())
                        }
                        None => Shown::Read {
                            reads: trace
                                .reads
                                .iter()
                                .map(|e| (Pointer::new(e.path.clone()), e.value.clone()))
                                .collect(),
                            consulted: observed
                                .iter()
                                .filter_map(|(op, _)| match op {
                                    memo::Op::Rule(id) => Some(id.clone()),
                                    _ => None,
                                })
                                .collect(),
                        },
                    };
                    let remembered =
                        Remembered::new(a.verdict, a.reason.clone(), trace.output.clone(), shown);
                    runs.push((index, observed, remembered));
                }
                let evidence = match a.evidence {
                    Some(e) => e,
                    None => {
                        let mut all = reads(&mut trace);
                        all.append(&mut trace.component_evidence);
                        all
                    }
                };
                (a.verdict, a.reason, evidence)
            }
            Ok(d) => (
                Verdict::Error,
                format!(
                    "{}: `evaluate` returned {}, expected the result of yes(...), no(...) \
                     or unknown(...)",
                    rule.file,
                    if d.is_unit() {
                        "nothing".to_string()
                    } else {
                        format!("a value of type `{}`", d.type_name())
                    }
                ),
                reads(&mut trace),
            ),
            Err(e) => {
                let (message, mut line) = describe_error(&e, &self.limits);
                if line.is_none() && engine::is_limit(&e) {
                    line = self.limit_line(rule, root, &trace);
                }
                let at = match (line, engine::error_position(&e)) {
                    (Some(l), (Some(pl), Some(c))) if pl == l => format!(":{l}:{c}"),
                    (Some(l), _) => format!(":{l}"),
                    (None, _) => String::new(),
                };
                (
                    Verdict::Error,
                    format!("{}{at}: {message}", rule.file),
                    reads(&mut trace),
                )
            }
        };
        let explained = Explained {
            finding: Finding {
                rule: meta.id.clone(),
                title: meta.title.clone(),
                verdict,
                weight: meta.weight,
                reason,
                evidence,
                output: std::mem::take(&mut trace.output),
            },
            reads: trace.reads,
        };
        hand_on(index, explained, consulted, each)
    }
}

thread_local! {
    /// The last profile's [`memo::Asked`] on this thread, cleared and reused by the next.
    static ASKED: Cell<Option<memo::Asked>> = const { Cell::new(None) };
}

/// One profile being scored, while the memory is held for reading (`'m`).
struct Scoring<'a, 'm> {
    loaded: &'a Loaded,
    /// What of it answers from memory read ...
    root: &'a Root<'a>,
    /// ... which holds these fields of it (see [`View`]).
    held: Fields,
    /// The answers it gave to the questions asked of it so far.
    asked: memo::Asked,
    /// What composites see of the rules answered so far.
    verdicts: memo::Components<'m>,
    tally: memo::Stats,
    /// The runs to remember (rule, what it observed, its answer) once the reading ends.
    runs: Vec<(usize, memo::Observed, Remembered)>,
}

/// Which rule [`Scorer::evaluate_entry`] answers, and what for.
#[derive(Clone, Copy)]
struct Step {
    index: usize,
    /// Keep every read (`explain`), which also means every rule runs.
    keep_reads: bool,
    /// Some composite consults this rule.
    consulted: bool,
}

/// Hands a run's answer to `each`, keeping what a composite would see of it first.
fn hand_on<'m>(
    index: usize,
    explained: Explained,
    consulted: bool,
    each: &mut dyn FnMut(usize, Outcome<'_>),
) -> Option<Component<'m>> {
    let component = consulted.then(|| {
        let f = &explained.finding;
        if f.verdict == Verdict::Error {
            Err(f.reason.clone())
        } else {
            Ok((f.verdict, Rested::Ran(f.evidence.clone())))
        }
    });
    each(index, Outcome::Ran(explained));
    component
}

/// A rule's answer on one profile, as [`Scorer::score_with`] hands it on.
pub enum Outcome<'a> {
    /// From a run (or a rule that could not be loaded): the finding in full.
    Ran(Explained),
    /// From memory, its evidence still in the profile.
    Recalled(Recalled<'a>),
}

impl Outcome<'_> {
    pub fn explained(self) -> Explained {
        match self {
            Outcome::Ran(e) => e,
            Outcome::Recalled(r) => Explained {
                finding: r.finding(),
                reads: Vec::new(),
            },
        }
    }
}

/// A remembered answer on one profile: the finding a run would give, not yet built.
pub struct Recalled<'a> {
    pub rule: &'a RuleMeta,
    pub remembered: &'a Remembered,
    /// The profile, which the evidence is read from.
    pub root: &'a Root<'a>,
    /// The components' findings, which a composite's evidence may take in.
    pub components: &'a memo::Components<'a>,
}

impl Recalled<'_> {
    pub fn finding(&self) -> Finding {
        let Recalled {
            rule,
            remembered: r,
            root,
            components,
        } = self;
        Finding {
            rule: rule.id.clone(),
            title: rule.title.clone(),
            verdict: r.verdict,
            weight: rule.weight,
            reason: r.reason.clone(),
            evidence: r.evidence(root, components),
            output: r.output.clone(),
        }
    }
}
