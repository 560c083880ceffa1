//! Re-running a command whenever a watched file changes (`rules test --watch`,
//! `score --watch`).
//!
//! Editors save in bursts (a temporary file, a rename, a metadata change), so events are
//! gathered until the files have been quiet for [`DEBOUNCE`], and then `run` is called
//! once.

use std::path::PathBuf;
use std::sync::mpsc;
use std::time::Duration;

use notify::{EventKind, RecursiveMode, Watcher};

use crate::error::Error;

/// How long the files must be quiet before a re-run.
pub const DEBOUNCE: Duration = Duration::from_millis(200);

/// Calls `run` once, then again after every change under `paths` (folders are watched
/// recursively), until the watcher stops. Returns `run`'s last exit code; an error if
/// a path cannot be watched.
pub fn watch(paths: &[PathBuf], run: &mut dyn FnMut() -> u8) -> Result<u8, Error> {
    let (tx, rx) = mpsc::channel();
    let mut watcher = notify::recommended_watcher(tx).map_err(|e| watch_error(None, e))?;
    for p in paths {
        let mode = if p.is_dir() {
            RecursiveMode::Recursive
        } else {
            RecursiveMode::NonRecursive
        };
        watcher
            .watch(p, mode)
            .map_err(|e| watch_error(Some(p.clone()), e))?;
    }
    let mut code = run();
    loop {
        // Block until something happens; a closed channel means the watcher is gone.
        let Ok(first) = rx.recv() else {
            return Ok(code);
        };
        let mut changed = relevant(&first);
        // Then gather the rest of the burst.
        loop {
            match rx.recv_timeout(DEBOUNCE) {
                Ok(event) => changed |= relevant(&event),
                Err(mpsc::RecvTimeoutError::Timeout) => break,
                Err(mpsc::RecvTimeoutError::Disconnected) => return Ok(code),
            }
        }
        if changed {
            code = run();
        }
    }
}

/// A change to content or names; reading a file (as `run` itself does) is not one.
fn relevant(event: &notify::Result<notify::Event>) -> bool {
    match event {
        Ok(e) => !matches!(e.kind, EventKind::Access(_)),
        // The watcher lost track (an overflow): re-running is the safe answer.
        Err(_) => true,
    }
}

fn watch_error(path: Option<PathBuf>, e: notify::Error) -> Error {
    let message = e.to_string();
    match path {
        Some(path) => Error::Io {
            path,
            source: std::io::Error::other(message),
        },
        None => Error::Usage(format!("cannot watch for changes: {message}")),
    }
}
