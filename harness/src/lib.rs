//! kbench: the harness library behind the `kbench` binary.
//!
//! `cli` parses, `commands` dispatches, `evaluate` is the pipeline, `progress` its events
//! and reporters, `store` the SQLite store, `models` the answer providers, `llm` the HTTP
//! clients, `prompt` the prompts, `extract` the code extraction, `outcome` how a sample
//! ends, `metrics` the summaries, `report` the leaderboard files, `curate` the training set.

pub mod cli;
pub mod commands;
pub mod config;
pub mod curate;
pub mod evaluate;
pub mod extract;
pub mod llm;
pub mod metrics;
pub mod models;
pub mod outcome;
pub mod progress;
pub mod prompt;
pub mod report;
pub mod store;
