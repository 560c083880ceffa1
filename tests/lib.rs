//! All integration tests in one binary, one module per feature.

mod authoring;
mod batch;
mod cli;
mod cohort;
mod hostile;
mod memo;
mod output;
mod props;
mod rules;
mod similar;
mod study;
mod support;
