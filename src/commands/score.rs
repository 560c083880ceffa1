//! `casematch score`: profiles in, one report per profile out, in input order.
//!
//! A pipeline of threads: one reads documents and hands them out in numbered batches,
//! `--jobs` workers parse and score them (and, for ndjson and csv, render them), and
//! this thread writes each batch in number order. A fixed number of batch tokens
//! bounds what is in flight, so memory stays flat however many profiles come in.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{self, IsTerminal, Write};
use std::path::PathBuf;
use std::sync::mpsc::{self, Receiver, SyncSender};
use std::sync::{Arc, Mutex};
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

/// Scores `docs` on `jobs` worker threads and writes each report with `renderer`, in
/// input order. Returns the counts; fails only when the output cannot be written.
pub fn pipeline(
    scorer: &Scorer,
    docs: impl Iterator<Item = Document> + Send,
    jobs: usize,
    mut renderer: Box<dyn Render + Send>,
    out: &mut dyn Write,
    on_batch: &mut dyn FnMut(&Tally),
) -> Result<Tally, Error> {
    let jobs = jobs.max(1);
    renderer.begin(out).map_err(Error::Output)?;
    let window = jobs * IN_FLIGHT_PER_JOB;
    // A batch may be read only with a token; the writer returns it once the batch is
    // written, so a slow profile holds back reading, not memory. The token is the
    // buffer the batch's text is rendered into, so those are reused, not reallocated.
    let (token_tx, token_rx) = mpsc::sync_channel::<Vec<u8>>(window);
    for _ in 0..window {
        let _ = token_tx.send(Vec::new());
    }
    let (work_tx, work_rx) = mpsc::sync_channel::<Work>(jobs);
    let work_rx = Arc::new(Mutex::new(work_rx));
    let (done_tx, done_rx) = mpsc::channel::<Done>();

    let mut tally = Tally::default();
    let result = std::thread::scope(|s| {
        s.spawn(move || read(docs, &token_rx, &work_tx));
        for _ in 0..jobs {
            let work_rx = Arc::clone(&work_rx);
            let done_tx = done_tx.clone();
            let fragment = renderer.fragment();
            s.spawn(move || work(scorer, &work_rx, &done_tx, fragment));
        }
        drop(done_tx);
        write(
            &done_rx,
            token_tx,
            renderer.as_mut(),
            out,
            &mut tally,
            on_batch,
        )
        // Returning drops the receiver and the token sender: on a write error the
        // reader and the workers see closed channels and stop.
    });
    result?;
    renderer.end(out).map_err(Error::Output)?;
    Ok(tally)
}

/// A numbered batch of documents, and the buffer to render it into.
type Work = (usize, Vec<Document>, Vec<u8>);

fn read(docs: impl Iterator<Item = Document>, tokens: &Receiver<Vec<u8>>, work: &SyncSender<Work>) {
    let mut docs = docs.peekable();
    let mut seq = 0;
    while docs.peek().is_some() {
        let Ok(buffer) = tokens.recv() else {
            return;
        };
        let batch: Vec<Document> = docs.by_ref().take(BATCH).collect();
        if work.send((seq, batch, buffer)).is_err() {
            return;
        }
        seq += 1;
    }
}

fn work(
    scorer: &Scorer,
    work: &Mutex<Receiver<Work>>,
    done: &mpsc::Sender<Done>,
    mut fragment: Option<Box<dyn Render + Send>>,
) {
    loop {
        // The lock is held only while waiting for the next batch.
        let next = match work.lock() {
            Ok(rx) => rx.recv(),
            Err(_) => return,
        };
        let Ok((seq, batch, mut text)) = next else {
            return;
        };
        text.clear();
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
        if done.send(d).is_err() {
            return;
        }
    }
}

fn write(
    done: &Receiver<Done>,
    tokens: SyncSender<Vec<u8>>,
    renderer: &mut dyn Render,
    out: &mut dyn Write,
    tally: &mut Tally,
    on_batch: &mut dyn FnMut(&Tally),
) -> Result<(), Error> {
    let mut waiting: BTreeMap<usize, Done> = BTreeMap::new();
    let mut next = 0;
    for d in done {
        waiting.insert(d.seq, d);
        while let Some(mut d) = waiting.remove(&next) {
            if !d.errors.is_empty() {
                let mut err = io::stderr().lock();
                for e in &d.errors {
                    let _ = writeln!(err, "{e}");
                }
            }
            out.write_all(&d.text).map_err(Error::Output)?;
            for r in &d.reports {
                renderer.report(out, r).map_err(Error::Output)?;
            }
            tally.read += d.tally.read;
            tally.scored += d.tally.scored;
            tally.failed += d.tally.failed;
            tally.rule_errors += d.tally.rule_errors;
            on_batch(tally);
            next += 1;
            // The buffer goes back as the next token, unless one batch made it large.
            let mut buffer = std::mem::take(&mut d.text);
            if buffer.capacity() > MAX_KEPT_BUFFER {
                buffer = Vec::new();
            }
            // The reader may have stopped already; a token it no longer needs is fine.
            let _ = tokens.try_send(buffer);
        }
    }
    Ok(())
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
        if self.bar.is_none() && self.started.elapsed() >= PROGRESS_AFTER {
            let bar = indicatif::ProgressBar::with_draw_target(
                None,
                indicatif::ProgressDrawTarget::stderr(),
            );
            if let Ok(style) = indicatif::ProgressStyle::with_template(
                "{spinner} {pos} profiles scored  {per_sec}  {elapsed}",
            ) {
                bar.set_style(style);
            }
            self.bar = Some(bar);
        }
        if let Some(bar) = &self.bar {
            bar.set_position(t.read as u64);
        }
    }

    fn finish(&mut self) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
    }
}
