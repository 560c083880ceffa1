//! casematch: scores case profiles against indicators written as Rhai scripts, and
//! answers each with yes / no / unknown, a reason, and the evidence it rests on.
//!
//! The library returns data and never prints; `render` writes reports to any writer.
#![warn(clippy::print_stdout, clippy::print_stderr)]

pub mod app;
pub mod cases;
pub mod citation;
pub mod claims;
pub mod cli;
pub mod cohort;
pub mod commands;
pub mod diagnostic;
pub mod engine;
pub mod error;
pub mod evaluate;
pub mod facts;
pub mod finding;
pub mod input;
pub(crate) mod keys;
pub mod lint;
pub mod load;
pub mod memo;
pub mod output;
pub mod pointer;
pub mod profile;
pub mod render;
pub mod rewrite;
pub mod rule;
pub mod ruleset;
pub mod ruletest;
pub mod shape;
pub mod similar;
pub mod verdict;
pub mod view;
pub mod watch;

pub use error::{Error, ProfileError, RuleError};
pub use profile::Profile;

/// The JSON Schema of a profile, generated from the Rust types.
pub fn schema() -> serde_json::Value {
    serde_json::to_value(schemars::schema_for!(Profile)).expect("a schema is plain JSON")
}
