//! All integration tests in one binary, one module per feature.

mod cli;
mod hostile;
mod rules;
mod study;
mod support;
