//! The command line, in one place.

use clap::{Parser, Subcommand};
use std::path::PathBuf;

/// kbench measures how well language models write compute kernels.
#[derive(Debug, Parser)]
#[command(name = "kbench", version, about, long_about = None)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Top-level commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Browse and export the task registry.
    #[command(subcommand)]
    Tasks(TasksCommand),
}

/// `kbench tasks ...`
#[derive(Debug, Subcommand)]
pub enum TasksCommand {
    /// List the registered tasks as a table (or JSON).
    List {
        /// Only tasks of this category (e.g. `activation`).
        #[arg(long)]
        category: Option<String>,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Show one task: its specification and the PyTorch source shown to models.
    Show {
        /// Task identifier, `<category>/<name>`.
        id: String,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Generate a task's inputs and parameters for a seed, run the reference, and write
    /// everything as `.npy` files with a `manifest.json`.
    Export {
        /// Task identifier, `<category>/<name>`.
        id: String,
        /// Seed of the generator (an unsigned 64-bit integer).
        #[arg(long)]
        seed: u64,
        /// Folder to write into (created if missing).
        #[arg(long)]
        out: PathBuf,
        /// Also time this many extra runs of the reference and record them.
        #[arg(long, default_value_t = 0)]
        time_runs: usize,
    },
}
