//! Where profiles come from: files, directories, NDJSON and stdin, read lazily as a
//! stream of documents so a large NDJSON file never sits in memory whole.
//!
//! N inputs in, N documents out: a path that does not exist or cannot be read still
//! yields a document, carrying its error, in its place.

use std::collections::BTreeSet;
use std::fs;
use std::io::{self, BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use crate::error::ProfileError;

/// One profile's text, or why it could not be had, and where it came from.
#[derive(Debug, Clone)]
pub struct Document {
    /// The file, `file:LINE` for a line of an NDJSON file, or `<stdin>`.
    pub origin: String,
    pub text: Result<String, ProfileError>,
}

/// An input named on the command line, resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// A single-profile JSON file.
    Json(PathBuf),
    /// One profile per line.
    Ndjson(PathBuf),
    /// Standard input: NDJSON when its first line is a whole object, else one profile.
    Stdin,
    /// Text given directly (the embedded cases), with its display name.
    Text { origin: String, text: String },
    /// A path that could not be used.
    Broken { origin: String, message: String },
}

/// Resolves command-line paths: `-` is stdin; a directory expands to its `.json`,
/// `.ndjson` and `.jsonl` files, recursively and sorted.
pub fn resolve(paths: &[String]) -> Vec<Source> {
    let mut out = Vec::new();
    for p in paths {
        if p == "-" {
            out.push(Source::Stdin);
            continue;
        }
        let path = Path::new(p);
        match fs::metadata(path) {
            Ok(m) if m.is_dir() => {
                let mut seen = BTreeSet::new();
                walk_dir(path, &mut seen, &mut out);
            }
            Ok(_) => out.push(classify(path.to_path_buf())),
            Err(e) => out.push(Source::Broken {
                origin: p.clone(),
                message: unusable(path, &e),
            }),
        }
    }
    out
}

fn classify(path: PathBuf) -> Source {
    match path.extension().and_then(|e| e.to_str()) {
        Some("ndjson") | Some("jsonl") => Source::Ndjson(path),
        _ => Source::Json(path),
    }
}

fn walk_dir(dir: &Path, seen: &mut BTreeSet<PathBuf>, out: &mut Vec<Source>) {
    // A symlink loop would recurse for ever; canonical paths already walked are skipped.
    let canonical = match fs::canonicalize(dir) {
        Ok(c) => c,
        Err(e) => {
            out.push(Source::Broken {
                origin: dir.display().to_string(),
                message: io_message(&e),
            });
            return;
        }
    };
    if !seen.insert(canonical) {
        return;
    }
    let entries = match fs::read_dir(dir) {
        Ok(rd) => rd,
        Err(e) => {
            out.push(Source::Broken {
                origin: dir.display().to_string(),
                message: io_message(&e),
            });
            return;
        }
    };
    let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.sort();
    for path in paths {
        let ext = path.extension().and_then(|e| e.to_str());
        let wanted = matches!(ext, Some("json") | Some("ndjson") | Some("jsonl"));
        match fs::metadata(&path) {
            Ok(m) if m.is_dir() => walk_dir(&path, seen, out),
            Ok(m) if wanted && !m.is_file() => out.push(Source::Broken {
                // Reading a FIFO with no writer would block for ever; a file found in a
                // directory walk must be a regular file. (A FIFO named on the command
                // line, as in `<(cmd)`, is read: that is what was asked for.)
                origin: path.display().to_string(),
                message: "not a regular file (a FIFO, socket or device): skipped".to_string(),
            }),
            Ok(_) if wanted => out.push(classify(path)),
            Ok(_) => {}
            // Only files we would have read are worth an error.
            Err(e) if wanted => out.push(Source::Broken {
                origin: path.display().to_string(),
                message: unusable(&path, &e),
            }),
            Err(_) => {}
        }
    }
}

/// Why `path`, whose metadata could not be read, cannot be used.
fn unusable(path: &Path, e: &io::Error) -> String {
    let dangling = e.kind() == io::ErrorKind::NotFound
        && fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink());
    if dangling {
        "a broken symbolic link (its target does not exist)".to_string()
    } else {
        io_message(e)
    }
}

fn io_message(e: &io::Error) -> String {
    match e.kind() {
        io::ErrorKind::NotFound => "no such file or directory".to_string(),
        io::ErrorKind::PermissionDenied => "permission denied".to_string(),
        _ => e.to_string(),
    }
}

fn broken(origin: String, message: String) -> Document {
    Document {
        text: Err(ProfileError {
            origin: origin.clone(),
            line: None,
            column: None,
            path: String::new(),
            message,
        }),
        origin,
    }
}

/// How much of an NDJSON file is read at a time. With `BufReader`'s 8 KiB, a batch's
/// reader spent about half its time in the kernel, most of it in the calls themselves
/// (a profile is about 6 KiB); at 256 KiB that time fell by a third.
const READ_BUFFER: usize = 256 << 10;

/// Reads the sources in order, yielding one document per profile.
pub fn documents(sources: Vec<Source>) -> impl Iterator<Item = Document> + Send {
    sources.into_iter().flat_map(source_documents)
}

fn source_documents(source: Source) -> Box<dyn Iterator<Item = Document> + Send> {
    match source {
        Source::Broken { origin, message } => Box::new(std::iter::once(broken(origin, message))),
        Source::Text { origin, text } => Box::new(std::iter::once(Document {
            origin,
            text: Ok(text),
        })),
        Source::Json(path) => {
            let origin = path.display().to_string();
            Box::new(std::iter::once(match read_text(&path) {
                Ok(text) => Document {
                    origin,
                    text: Ok(text),
                },
                Err(message) => broken(origin, message),
            }))
        }
        Source::Ndjson(path) => {
            let origin = path.display().to_string();
            match fs::File::open(&path) {
                Ok(f) => Box::new(ndjson_lines(
                    origin,
                    BufReader::with_capacity(READ_BUFFER, f),
                )),
                Err(e) => Box::new(std::iter::once(broken(origin, io_message(&e)))),
            }
        }
        Source::Stdin => {
            let mut stdin = BufReader::new(io::stdin());
            // Peek at the first line: a whole JSON value on it means NDJSON.
            let mut first = Vec::new();
            if let Err(e) = stdin.read_until(b'\n', &mut first) {
                return Box::new(std::iter::once(broken("<stdin>".into(), io_message(&e))));
            }
            let first_line = String::from_utf8_lossy(&first);
            let trimmed = first_line.trim();
            let is_ndjson = trimmed.starts_with('{')
                && serde_json::from_str::<serde::de::IgnoredAny>(trimmed).is_ok();
            let rest = io::Cursor::new(first).chain(stdin);
            if is_ndjson {
                Box::new(ndjson_lines("<stdin>".into(), BufReader::new(rest)))
            } else {
                let mut bytes = Vec::new();
                let mut rest = rest;
                let doc = match rest.read_to_end(&mut bytes) {
                    Ok(_) => match decode(bytes, true) {
                        Ok(text) => Document {
                            origin: "<stdin>".into(),
                            text: Ok(text),
                        },
                        Err(m) => broken("<stdin>".into(), m),
                    },
                    Err(e) => broken("<stdin>".into(), io_message(&e)),
                };
                Box::new(std::iter::once(doc))
            }
        }
    }
}

fn read_text(path: &Path) -> Result<String, String> {
    let bytes = fs::read(path).map_err(|e| io_message(&e))?;
    decode(bytes, true)
}

/// The text of `bytes`, or where its first byte that is not UTF-8 sits: line and column
/// for a whole document, column alone for a line of NDJSON (whose origin names the line).
fn decode(bytes: Vec<u8>, whole: bool) -> Result<String, String> {
    // Every line of a batch is checked here, under the input's lock (see
    // `commands::score`): simdutf8's vectorised check is several times faster than
    // std's. Only when it fails does std check again, to say where.
    if simdutf8::basic::from_utf8(&bytes).is_ok() {
        // SAFETY: `bytes` was just checked to be UTF-8.
        return Ok(unsafe { String::from_utf8_unchecked(bytes) });
    }
    String::from_utf8(bytes).map_err(|e| {
        let at = e.utf8_error().valid_up_to();
        let good = &e.as_bytes()[..at];
        let line = good.iter().filter(|&&b| b == b'\n').count() + 1;
        let column = at - good.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1) + 1;
        let byte = e.as_bytes()[at];
        if whole {
            format!("not valid UTF-8: byte 0x{byte:02X} at line {line}, column {column} (byte offset {at})")
        } else {
            format!("not valid UTF-8: byte 0x{byte:02X} at column {column}")
        }
    })
}

/// One document per non-blank line; blank lines are skipped, a bad line is its own
/// error document named `file:LINE`.
fn ndjson_lines<R: BufRead + Send + 'static>(
    origin: String,
    reader: R,
) -> impl Iterator<Item = Document> + Send {
    let mut lines = Lines(reader).enumerate();
    std::iter::from_fn(move || loop {
        let (i, line) = lines.next()?;
        let at = format!("{origin}:{}", i + 1);
        match line {
            Err(e) => return Some(broken(at, io_message(&e))),
            Ok(bytes) => match decode(bytes, false) {
                Err(m) => return Some(broken(at, m)),
                Ok(text) if text.trim().is_empty() => continue,
                Ok(text) => {
                    return Some(Document {
                        origin: at,
                        text: Ok(text),
                    })
                }
            },
        }
    })
}

/// The lines of a reader, without their `\n`, as `BufRead::split` gives them, found with
/// `memchr`'s vectorised search: lines are read under the input's lock, which the other
/// threads may be waiting for, and the byte-at-a-time search of `split` was most of
/// what reading a batch cost.
struct Lines<R>(R);

impl<R: BufRead> Iterator for Lines<R> {
    type Item = io::Result<Vec<u8>>;

    fn next(&mut self) -> Option<io::Result<Vec<u8>>> {
        let mut line = Vec::new();
        loop {
            let buf = match self.0.fill_buf() {
                Ok(buf) => buf,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Some(Err(e)),
            };
            if buf.is_empty() {
                return (!line.is_empty()).then_some(Ok(line));
            }
            match memchr::memchr(b'\n', buf) {
                Some(at) => {
                    line.extend_from_slice(&buf[..at]);
                    self.0.consume(at + 1);
                    return Some(Ok(line));
                }
                None => {
                    let n = buf.len();
                    line.extend_from_slice(buf);
                    self.0.consume(n);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_those_split_gives() {
        for text in [
            "",
            "\n",
            "a",
            "a\n",
            "a\nb",
            "a\n\nb\n",
            "\r\n{\"x\": 1}\r\n",
            "a long line that does not fit the buffer\nand another\n\n",
        ] {
            // A buffer of 4 bytes: lines cross the buffer's edge.
            let ours: Vec<Vec<u8>> = Lines(BufReader::with_capacity(4, text.as_bytes()))
                .map(Result::unwrap)
                .collect();
            let std: Vec<Vec<u8>> = BufRead::split(text.as_bytes(), b'\n')
                .map(Result::unwrap)
                .collect();
            assert_eq!(ours, std, "{text:?}");
        }
    }
}
