//! kbench: the harness library behind the `kbench` binary.
//!
//! `cli` parses, `commands` dispatches, `evaluate` is the pipeline, `store` the SQLite
//! store, `models` the answer providers, `prompt` the prompts, `extract` the code extraction, `metrics` the
//! summaries.

pub mod cli;
pub mod commands;
pub mod config;
pub mod evaluate;
pub mod extract;
pub mod llm;
pub mod metrics;
pub mod models;
pub mod prompt;
pub mod store;
