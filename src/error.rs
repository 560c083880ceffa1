//! The one error type of the library, and the exit code each kind maps to.

use std::fmt;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// Everything that can go wrong, each variant carrying the context a user needs.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("cannot read `{path}`: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    Profile(#[from] ProfileError),
    #[error(transparent)]
    Rule(#[from] RuleError),
    #[error("cannot write output: {0}")]
    Output(#[source] std::io::Error),
    #[error("{0}")]
    Usage(String),
}

impl Error {
    /// The process exit code for this error (see the README's "Exit codes").
    pub fn code(&self) -> i32 {
        match self {
            Error::Io { .. } | Error::Profile(_) | Error::Usage(_) => 2,
            Error::Rule(_) => 1,
            Error::Output(_) => 1,
        }
    }
}

/// A profile that could not be read: where, and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, thiserror::Error)]
pub struct ProfileError {
    /// The file (with `:LINE` for a line of an NDJSON file), or `<stdin>`.
    pub origin: String,
    /// 1-based line and column in that text, when the parser knows them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<usize>,
    /// JSON pointer to the offending value (`/recalls/0/status`); empty for the root.
    pub path: String,
    pub message: String,
}

impl fmt::Display for ProfileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.origin)?;
        if let (Some(l), Some(c)) = (self.line, self.column) {
            write!(f, ":{l}:{c}")?;
        }
        if !self.path.is_empty() {
            write!(f, " at `{}`", self.path)?;
        }
        write!(f, ": {}", self.message)
    }
}

/// A rule that could not be loaded: which file, where, and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, thiserror::Error)]
pub struct RuleError {
    /// The rule file (or `<embedded>/name.rhai` for a built-in rule).
    pub file: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<usize>,
    pub message: String,
}

impl fmt::Display for RuleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file)?;
        if let Some(l) = self.line {
            write!(f, ":{l}")?;
            if let Some(c) = self.column {
                write!(f, ":{c}")?;
            }
        }
        write!(f, ": {}", self.message)
    }
}
