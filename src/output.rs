//! Where a report goes: stdout, or a file written atomically (a temporary file in the
//! same folder, renamed into place when complete), so an interrupted run never leaves
//! a half-written report where the old one was.

use std::io::{self, Write};
use std::path::{Path, PathBuf};

use tempfile::NamedTempFile;

use crate::error::Error;

/// A report's destination.
pub enum Sink {
    Stdout(io::BufWriter<io::Stdout>),
    File {
        temp: io::BufWriter<NamedTempFile>,
        path: PathBuf,
    },
}

impl Sink {
    /// Stdout, or a temporary file beside `path`.
    pub fn open(path: Option<&Path>) -> Result<Sink, Error> {
        let Some(path) = path else {
            return Ok(Sink::Stdout(io::BufWriter::new(io::stdout())));
        };
        let dir = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let temp = NamedTempFile::new_in(&dir).map_err(|e| {
            Error::Usage(format!(
                "cannot write `{}`: {}",
                path.display(),
                match e.kind() {
                    std::io::ErrorKind::NotFound => "its folder does not exist".to_string(),
                    std::io::ErrorKind::PermissionDenied => "permission denied".to_string(),
                    _ => e.kind().to_string(),
                }
            ))
        })?;
        Ok(Sink::File {
            temp: io::BufWriter::new(temp),
            path: path.to_path_buf(),
        })
    }

    /// Flushes, and for a file renames it into place.
    pub fn finish(self) -> Result<(), Error> {
        match self {
            Sink::Stdout(mut w) => w.flush().map_err(Error::Output),
            Sink::File { temp, path } => {
                let temp = temp
                    .into_inner()
                    .map_err(|e| Error::Output(e.into_error()))?;
                temp.as_file().sync_all().map_err(Error::Output)?;
                temp.persist(&path).map_err(|e| Error::Io {
                    path: path.clone(),
                    source: e.error,
                })?;
                Ok(())
            }
        }
    }
}

impl Write for Sink {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Sink::Stdout(w) => w.write(buf),
            Sink::File { temp, .. } => temp.write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Sink::Stdout(w) => w.flush(),
            Sink::File { temp, .. } => temp.flush(),
        }
    }
}
