//! `casematch score`: profiles in, one report per profile out, in input order.
//!
//! `--jobs` workers, the calling thread one of them, each take the next numbered batch
//! of documents, parse and score it (and, for ndjson and csv, render it), and write
//! every batch that is next in number order. A fixed number of batch buffers bounds
//! what is in flight, so memory stays flat however many profiles come in.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{self, IsTerminal, Write};
use std::path::PathBuf;
use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use crate::app::exit;
use crate::cli::ScoreArgs;
use crate::error::Error;
use crate::evaluate::Scorer;
use crate::finding::{Failed, Report};
use crate::input::{self, Document};
use crate::load;
use crate::output::Sink;
use crate::render::{self, Render};
use crate::ruleset::Entry;
use crate::verdict::Verdict;

/// Profiles per batch: enough to make handing out work cheap, few enough that the
/// first results come out at once.
const BATCH: usize = 64;
/// Batches in flight per worker (read, being scored, or waiting to be written).
const IN_FLIGHT_PER_JOB: usize = 4;
/// A batch's text buffer larger than this is freed rather than reused.
const MAX_KEPT_BUFFER: usize = 4 << 20;
/// A run shows a progress bar only once it has taken this long.
const PROGRESS_AFTER: Duration = Duration::from_secs(1);

pub fn run(args: ScoreArgs) -> Result<u8, Error> {
    if !args.watch {
        return run_once(&args);
    }
    if args.paths.iter().any(|p| p == "-") {
        return Err(Error::Usage(
            "--watch cannot watch stdin (`-`): name files or folders".to_string(),
        ));
    }
    let mut paths: Vec<PathBuf> = args.paths.iter().map(PathBuf::from).collect();
    paths.extend(args.rules.rules.clone());
    if paths.is_empty() {
        return Err(Error::Usage(
            "--watch needs something that can change: PATHs to score or --rules DIR".to_string(),
        ));
    }
    // Each run reports its own problems and the watch goes on; the last run's exit code
    // is the command's.
    crate::watch::watch(&paths, &mut || match run_once(&args) {
        Ok(code) => code,
        Err(e) => {
            let _ = writeln!(io::stderr(), "error: {e}");
            u8::try_from(e.code()).unwrap_or(exit::BAD_INPUT)
        }
    })
}

/// Counts for the summary and the exit code.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Tally {
    /// Profiles read (documents, including those that could not be parsed).
    pub read: usize,
    pub scored: usize,
    /// Profiles that could not be read or validated.
    pub failed: usize,
    /// Scored profiles on which some rule answered `error`.
    pub rule_errors: usize,
}

/// The end-of-run summary: "100000 profiles read, 99998 scored, 2 failed in 1.93 s
/// (51813 profiles/s)".
pub fn summary(t: &Tally, elapsed: Duration) -> String {
    let secs = elapsed.as_secs_f64();
    let rate = if secs > 0.0 {
        (t.read as f64 / secs).round() as u64
    } else {
        0
    };
    let mut s = format!(
        "{} profile{} read, {} scored, {} failed",
        t.read,
        if t.read == 1 { "" } else { "s" },
        t.scored,
        t.failed
    );
    if t.rule_errors > 0 {
        s += &format!(" ({} with a rule error)", t.rule_errors);
    }
    s += &format!(" in {secs:.2} s ({rate} profiles/s)");
    s
}

/// Keeps only the rules `--only` and `--tags` name; an id or tag no rule has is a usage
/// error, so a typo never silently scores nothing.
pub fn select(scorer: Scorer, only: &[String], tags: &[String]) -> Result<Scorer, Error> {
    if only.is_empty() && tags.is_empty() {
        return Ok(scorer);
    }
    let ids: BTreeSet<&str> = scorer.rules().entries.iter().map(Entry::id).collect();
    let known_tags: BTreeSet<&str> = scorer
        .rules()
        .ready()
        .flat_map(|r| r.meta.tags.iter().map(String::as_str))
        .collect();
    let list = |s: &BTreeSet<&str>| s.iter().copied().collect::<Vec<_>>().join(", ");
    if let Some(bad) = only.iter().find(|r| !ids.contains(r.as_str())) {
        return Err(Error::Usage(format!(
            "--only: no rule `{bad}`; the rules are: {}",
            list(&ids)
        )));
    }
    if let Some(bad) = tags.iter().find(|t| !known_tags.contains(t.as_str())) {
        return Err(Error::Usage(format!(
            "--tags: no rule has the tag `{bad}`; the tags are: {}",
            list(&known_tags)
        )));
    }
    let keep = |e: &Entry| {
        let by_id = only.iter().any(|r| r == e.id());
        let by_tag = match e {
            Entry::Ready(r) => r.meta.tags.iter().any(|t| tags.contains(t)),
            Entry::Broken { .. } => false,
        };
        by_id || by_tag
    };
    Ok(scorer.select(&keep))
}

fn run_once(args: &ScoreArgs) -> Result<u8, Error> {
    let started = Instant::now();
    let scorer =
        Scorer::new(args.rules.rules.as_deref(), args.rules.limits())?.remembering(!args.no_cache);
    let scorer = select(scorer, &args.only, &args.tags)?;
    let mut code = super::report_rule_errors(&scorer);
    let sources = super::sources_or_history(&args.paths);
    let jobs = match args.jobs {
        Some(0) => return Err(Error::Usage("--jobs must be at least 1".to_string())),
        Some(n) => n,
        None => std::thread::available_parallelism().map_or(1, |n| n.get()),
    };
    let renderer = render::renderer(args.format)?;
    let mut out = Sink::open(args.output.as_deref())?;
    let terminal = io::stderr().is_terminal();
    let mut progress = Progress::new(terminal, started);
    let tally = pipeline(
        &scorer,
        input::documents(sources),
        jobs,
        renderer,
        &mut out,
        &mut |t| progress.update(t),
    )?;
    progress.finish();
    out.finish()?;
    // Last on stderr, after every problem line, so a script can take it or drop it
    // (`tail -n 1`, `--quiet`).
    if !args.quiet {
        let mut line = summary(&tally, started.elapsed());
        if let Some(m) = scorer.memo_stats().filter(|m| m.hits + m.misses > 0) {
            let share = 100.0 * m.hits as f64 / (m.hits + m.misses) as f64;
            line += &format!("; {share:.0}% of answers remembered");
        }
        let _ = writeln!(io::stderr(), "{line}");
    }
    if tally.rule_errors > 0 {
        code = exit::RULE_FAILED;
    }
    Ok(if tally.failed > 0 {
        exit::BAD_INPUT
    } else {
        code
    })
}

/// One batch's results, in input order within the batch.
struct Done {
    seq: usize,
    /// Rendered by the worker (a fragment format) ...
    text: Vec<u8>,
    /// ... or left for the writer, which renders in order.
    reports: Vec<Report>,
    /// The error line of each profile that could not be read, in order.
    errors: Vec<String>,
    tally: Tally,
}

/// Where the documents come from, taken in turn by the workers.
struct Input<I: Iterator> {
    docs: std::iter::Peekable<I>,
    /// The number the next batch gets.
    seq: usize,
}

/// Where the batches go, written in turn by the workers, strictly in number order.
struct Output<'o> {
    /// Batches scored ahead of the one to write next.
    waiting: BTreeMap<usize, Done>,
    next: usize,
    /// Text buffers free for a batch; a worker waits for one before reading a batch.
    free: Vec<Vec<u8>>,
    renderer: &'o mut (dyn Render + Send),
    out: &'o mut (dyn Write + Send),
    tally: Tally,
    on_batch: &'o mut (dyn FnMut(&Tally) + Send),
    /// Workers waiting for a free buffer.
    waiting_for_buffer: usize,
    /// Set when the output failed (or a worker died): every worker stops.
    stop: bool,
    error: Option<Error>,
}

/// What the workers share: the input, the output, and the signal that a buffer is free.
struct Shared<'o, I: Iterator> {
    scorer: &'o Scorer,
    input: Mutex<Input<I>>,
    output: Mutex<Output<'o>>,
    freed: Condvar,
}

/// Scores `docs` on `jobs` threads and writes each report with `renderer`, in input
/// order. Returns the counts; fails only when the output cannot be written.
///
/// There is no reader or writer thread: each worker (the calling thread is one) takes
/// the next batch from the input under one lock, scores it, and puts it in the output
/// under another, writing every batch that is next in order. No batch is handed from
/// thread to thread, so no thread is woken per batch, and `--jobs N` keeps N threads
/// busy, the calling one included. A fixed number of text buffers bounds what is in
/// flight: a worker takes one before it reads a batch and it comes back when the batch
/// is written, so a slow profile holds back reading, not memory, and the buffers are
/// reused rather than reallocated.
pub fn pipeline<I>(
    scorer: &Scorer,
    docs: I,
    jobs: usize,
    mut renderer: Box<dyn Render + Send>,
    out: &mut (dyn Write + Send),
    on_batch: &mut (dyn FnMut(&Tally) + Send),
) -> Result<Tally, Error>
where
    I: Iterator<Item = Document> + Send,
{
    let jobs = jobs.max(1);
    renderer.begin(out).map_err(Error::Output)?;
    let fragments: Vec<_> = (0..jobs).map(|_| renderer.fragment()).collect();
    let shared = Shared {
        scorer,
        input: Mutex::new(Input {
            docs: docs.peekable(),
            seq: 0,
        }),
        output: Mutex::new(Output {
            waiting: BTreeMap::new(),
            next: 0,
            free: vec![Vec::new(); jobs * IN_FLIGHT_PER_JOB],
            renderer: renderer.as_mut(),
            out: &mut *out,
            tally: Tally::default(),
            on_batch,
            waiting_for_buffer: 0,
            stop: false,
            error: None,
        }),
        freed: Condvar::new(),
    };
    std::thread::scope(|s| {
        let mut fragments = fragments.into_iter();
        let own = fragments.next().flatten();
        for fragment in fragments {
            let shared = &shared;
            s.spawn(move || work(shared, fragment));
        }
        work(&shared, own);
    });
    let output = shared
        .output
        .into_inner()
        .unwrap_or_else(PoisonError::into_inner);
    if let Some(e) = output.error {
        return Err(e);
    }
    let tally = output.tally;
    renderer.end(out).map_err(Error::Output)?;
    Ok(tally)
}

/// One worker: take a buffer and a batch, score it, put it out; until the input ends or
/// the output fails.
fn work<I>(shared: &Shared<'_, I>, mut fragment: Option<Box<dyn Render + Send>>)
where
    I: Iterator<Item = Document> + Send,
{
    // Should this thread die, the others must not wait for its batch forever.
    let _guard = StopOnPanic(shared);
    let mut done: Option<Done> = None;
    loop {
        let Some(text) = put_out(shared, done.take()) else {
            return;
        };
        let (seq, batch) = {
            let mut input = lock(&shared.input);
            if input.docs.peek().is_none() {
                drop(input);
                give_back(shared, text);
                return;
            }
            let batch: Vec<Document> = input.docs.by_ref().take(BATCH).collect();
            input.seq += 1;
            (input.seq - 1, batch)
        };
        done = Some(score_batch(
            shared.scorer,
            seq,
            batch,
            text,
            fragment.as_mut(),
        ));
    }
}

/// Puts a scored batch out, writes whatever is next in order, and returns a free buffer
/// for the next batch; `None` when the run is stopping.
fn put_out<I: Iterator>(shared: &Shared<'_, I>, done: Option<Done>) -> Option<Vec<u8>> {
    let mut output = lock(&shared.output);
    if let Some(d) = done {
        output.waiting.insert(d.seq, d);
        if let Err(e) = output.write_ready() {
            output.stop = true;
            output.error = Some(e);
        }
        // Waking costs a system call, so only when someone waits (seldom: only when a
        // slow batch holds back the writing).
        if output.waiting_for_buffer > 0 {
            shared.freed.notify_all();
        }
    }
    loop {
        if output.stop {
            return None;
        }
        if let Some(text) = output.free.pop() {
            return Some(text);
        }
        output.waiting_for_buffer += 1;
        output = shared
            .freed
            .wait(output)
            .unwrap_or_else(PoisonError::into_inner);
        output.waiting_for_buffer -= 1;
    }
}

/// Returns a buffer a worker took but did not use.
fn give_back<I: Iterator>(shared: &Shared<'_, I>, text: Vec<u8>) {
    let mut output = lock(&shared.output);
    output.free.push(text);
    if output.waiting_for_buffer > 0 {
        shared.freed.notify_all();
    }
}

impl Output<'_> {
    /// Writes every batch that is next in order, freeing its buffer.
    fn write_ready(&mut self) -> Result<(), Error> {
        while let Some(mut d) = self.waiting.remove(&self.next) {
            if !d.errors.is_empty() {
                let mut err = io::stderr().lock();
                for e in &d.errors {
                    let _ = writeln!(err, "{e}");
                }
            }
            self.out.write_all(&d.text).map_err(Error::Output)?;
            for r in &d.reports {
                self.renderer
                    .report(&mut *self.out, r)
                    .map_err(Error::Output)?;
            }
            self.tally.read += d.tally.read;
            self.tally.scored += d.tally.scored;
            self.tally.failed += d.tally.failed;
            self.tally.rule_errors += d.tally.rule_errors;
            (self.on_batch)(&self.tally);
            self.next += 1;
            // The buffer is free again, unless one batch made it large.
            let mut buffer = std::mem::take(&mut d.text);
            if buffer.capacity() > MAX_KEPT_BUFFER {
                buffer = Vec::new();
            }
            buffer.clear();
            self.free.push(buffer);
        }
        Ok(())
    }
}

/// Stops the run when a worker unwinds, so that no other waits for its batch.
struct StopOnPanic<'s, 'o, I: Iterator>(&'s Shared<'o, I>);

impl<I: Iterator> Drop for StopOnPanic<'_, '_, I> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            lock(&self.0.output).stop = true;
            self.0.freed.notify_all();
        }
    }
}

/// A lock whose holder died still guards data worth reading: the counts and the error.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Parses and scores one batch; for ndjson and csv, also renders it into `text`.
fn score_batch(
    scorer: &Scorer,
    seq: usize,
    batch: Vec<Document>,
    text: Vec<u8>,
    mut fragment: Option<&mut Box<dyn Render + Send>>,
) -> Done {
    let mut d = Done {
        seq,
        text,
        reports: Vec::new(),
        errors: Vec::new(),
        tally: Tally::default(),
    };
    for doc in batch {
        d.tally.read += 1;
        let report = match load::document(doc) {
            (Err(error), source) => {
                d.tally.failed += 1;
                d.errors.push(format!("error: {error}"));
                Report::Failed(Failed { source, error })
            }
            (Ok(loaded), origin) => {
                d.tally.scored += 1;
                // A format that writes a scored profile without its report does so.
                let written = fragment
                    .as_mut()
                    .and_then(|r| r.score_into(&mut d.text, scorer, &loaded, &origin));
                let scored = match written {
                    Some(score) => {
                        d.tally.rule_errors += usize::from(score.errors > 0);
                        continue;
                    }
                    None => scorer.score(&loaded, &origin),
                };
                if scored.findings.iter().any(|f| f.verdict == Verdict::Error) {
                    d.tally.rule_errors += 1;
                }
                Report::Scored(scored)
            }
        };
        // Writing into a Vec cannot fail; should serialising fail, the writer renders
        // this report itself and reports the error.
        let rendered = match fragment.as_mut() {
            Some(r) => r.report_into(&mut d.text, &report).is_ok(),
            None => false,
        };
        if !rendered {
            d.reports.push(report);
        }
    }
    d
}

/// What the progress bar says: "31680 profiles scored  30112 profiles/s  1.1 s".
fn progress_line(read: usize, elapsed: Duration) -> String {
    let secs = elapsed.as_secs_f64();
    let rate = if secs > 0.0 { read as f64 / secs } else { 0.0 };
    format!("{read} profiles scored  {rate:.0} profiles/s  {secs:.1} s")
}

/// A progress bar on stderr, shown only when stderr is a terminal and the run has
/// lasted a while.
struct Progress {
    terminal: bool,
    started: Instant,
    bar: Option<indicatif::ProgressBar>,
}

impl Progress {
    fn new(terminal: bool, started: Instant) -> Progress {
        Progress {
            terminal,
            started,
            bar: None,
        }
    }

    fn update(&mut self, t: &Tally) {
        if !self.terminal {
            return;
        }
        let elapsed = self.started.elapsed();
        if self.bar.is_none() && elapsed >= PROGRESS_AFTER {
            let bar = indicatif::ProgressBar::with_draw_target(
                None,
                indicatif::ProgressDrawTarget::stderr(),
            );
            if let Ok(style) = indicatif::ProgressStyle::with_template("{spinner} {msg}") {
                bar.set_style(style);
            }
            self.bar = Some(bar);
        }
        if let Some(bar) = &self.bar {
            // The rate and time of the whole run, which began before the bar did: the
            // bar's own estimate would see the profiles scored before it as one jump.
            bar.set_message(progress_line(t.read, elapsed));
            // One spinner step a batch: it turns as long as batches come out.
            bar.tick();
        }
    }

    fn finish(&mut self) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_progress_line_gives_the_whole_runs_rate_and_time() {
        assert_eq!(
            progress_line(31_680, Duration::from_millis(1_100)),
            "31680 profiles scored  28800 profiles/s  1.1 s"
        );
        assert_eq!(
            progress_line(0, Duration::ZERO),
            "0 profiles scored  0 profiles/s  0.0 s"
        );
    }
}
