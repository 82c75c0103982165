//! The command line, in one place.

use crate::progress::Format;
use clap::{Parser, Subcommand};
use kbench_backends::{BACKEND_NAMES, DEFAULT_BACKEND};
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
    /// Evaluate a model's kernels: compile, check against the references, time, store.
    ///
    /// With no options, evaluates the default backend's bundled reference solutions
    /// (`replay:solutions/<backend>`) on every task, offline, into
    /// `results/kbench.sqlite`. Compiles and checks run on `--jobs` cores at once; every
    /// timed call runs alone on the machine. Set KBENCH_SALT to fix the salt of the trial
    /// inputs and replay a failure exactly (the run records that its salt is not
    /// secret).
    Evaluate(Box<EvaluateArgs>),
    /// List the runs stored in the database.
    Runs {
        /// The database.
        #[arg(long, default_value = DEFAULT_DB)]
        db: PathBuf,
    },
    /// Write a leaderboard report of stored runs: `index.html` (self-contained, with one
    /// page per run and task behind the grid), `report.md`, `results.csv` and
    /// `results.json`.
    ///
    /// Runs are compared side by side only when their backend, size profile and task set
    /// (ids and stored definition hashes) agree; others are grouped apart with the reason.
    Report(ReportArgs),
    /// Curate a ConCuR-style training set from stored runs: `train.jsonl` (chat
    /// messages, the reasoning inside `<think>`), `train_prompt_completion.jsonl`,
    /// `rejects.jsonl` (every other sample with its reason) and a `README.md` dataset card.
    ///
    /// Filters (each rejection keeps its reason): hold-out list, flagged (roofline, timed
    /// outputs, faults, sandbox), not correct on every trial, no trace, trace cut off,
    /// no prompt, untimed, unstable timing, duplicate code. Rules: A (per task the
    /// shortest trace if also the fastest), B (speedup above --speedup-b), C
    /// (single-operator samples to balance multi-operator ones). The same store and
    /// options give the same bytes.
    Curate(CurateArgs),
    /// Print the exact prompt a model is sent for a task.
    Prompt {
        /// Task identifier, `<category>/<name>`.
        id: String,
        /// Backend the kernel is for.
        #[arg(long, default_value = DEFAULT_BACKEND)]
        backend: String,
        /// Exemplar strategy: zero-shot, add-shot or category-shot.
        #[arg(long, default_value = "category-shot")]
        strategy: String,
    },
    /// Measure the harness itself: the per-sample cost of evaluation.
    Bench(BenchArgs),
    /// Internal: run one job as an isolated worker (started by `evaluate`).
    #[command(name = "__worker", hide = true)]
    Worker {
        /// The job folder.
        dir: PathBuf,
    },
    /// Internal: run a compiler confined to its build folder (started by backends).
    #[command(name = "__build", hide = true)]
    Build {
        /// The build folder.
        dir: PathBuf,
        /// A toolchain folder the compiler may read.
        #[arg(long = "read")]
        read: Vec<PathBuf>,
        /// The compiler and its arguments.
        #[arg(last = true, required = true)]
        command: Vec<std::ffi::OsString>,
    },
}

/// Which stored runs a command reads.
#[derive(Debug, clap::Args)]
pub struct StoredRuns {
    /// The database.
    #[arg(long, default_value = DEFAULT_DB)]
    pub db: PathBuf,
    /// Only these runs, comma-separated (e.g. `3,5,9`).
    #[arg(long, value_delimiter = ',', conflicts_with = "all")]
    pub runs: Vec<i64>,
    /// Every stored run.
    #[arg(long)]
    pub all: bool,
}

impl StoredRuns {
    /// The selection: every run unless `--runs` names some.
    pub fn selection(&self) -> crate::report::Selection {
        if self.runs.is_empty() {
            crate::report::Selection::All
        } else {
            crate::report::Selection::Runs(self.runs.clone())
        }
    }
}

/// `kbench report` options.
#[derive(Debug, clap::Args)]
pub struct ReportArgs {
    /// The runs (all of them without `--runs`; `--runs` keeps their order).
    #[command(flatten)]
    pub source: StoredRuns,
    /// The folder to write into (created if needed).
    #[arg(long, default_value = "results/report")]
    pub out: PathBuf,
}

/// `kbench curate` options.
#[derive(Debug, clap::Args)]
#[command(group(clap::ArgGroup::new("which").required(true).args(["runs", "all"])))]
pub struct CurateArgs {
    /// The source runs: `--runs` or `--all` is required.
    #[command(flatten)]
    pub source: StoredRuns,
    /// The folder to write into (created if needed; its dataset files are replaced).
    #[arg(long, default_value = "results/dataset")]
    pub out: PathBuf,
    /// The selection rules to apply, comma-separated.
    #[arg(long, value_delimiter = ',', default_value = "A,B,C")]
    pub rules: Vec<crate::curate::select::Rule>,
    /// Rule B keeps correct samples with a speedup above this.
    #[arg(long, default_value_t = 5.0)]
    pub speedup_b: f64,
    /// Reject samples whose timed calls' standard deviation over mean is above this.
    #[arg(long, default_value_t = crate::curate::DEFAULT_MAX_SPREAD)]
    pub max_spread: f64,
    /// A file of tasks to hold out, one per line (`category/name`, or `category/` for a
    /// whole category; `#` starts a comment). Their texts are written nowhere: their
    /// rejects carry ids and reasons only.
    #[arg(long)]
    pub holdout: Option<PathBuf>,
    /// Difficulty by ConCuR's buckets of average reasoning length (easy < 4,000 tokens,
    /// hard > 8,500), or by tertiles of the tasks when the generator's counts differ.
    #[arg(long, value_enum, default_value = "buckets")]
    pub difficulty: crate::curate::difficulty::DifficultyMode,
}

/// `kbench bench` options.
#[derive(Debug, clap::Args)]
pub struct BenchArgs {
    /// Task whose bundled solution is evaluated.
    #[arg(long, default_value = "activation/relu")]
    pub task: String,
    /// Size profile of the task: `paper` or `current`.
    #[arg(long, default_value = "paper")]
    pub sizes: kbench_tasks::SizeProfile,
    /// Repeats (each compiles from an empty cache and times the kernel again).
    #[arg(long, default_value_t = 10)]
    pub repeats: usize,
    /// Measure compiling only: every task's bundled solution once, from an empty cache,
    /// one at a time (no device needed; for a GPU backend name the target with --arch).
    #[arg(long)]
    pub compile_only: bool,
    /// Backend that compiles and runs the kernel.
    #[arg(long, default_value = DEFAULT_BACKEND)]
    pub backend: String,
    /// Where the answer comes from, a `replay:DIR` (default: the backend's bundled
    /// solutions).
    #[arg(long)]
    pub model: Option<String>,
    /// Compiler and target of the GPU backend.
    #[command(flatten)]
    pub toolchain: ToolchainArgs,
}

/// Compiler and target of the GPU backend (CUDA).
#[derive(Debug, Clone, Default, clap::Args)]
pub struct ToolchainArgs {
    /// GPU backend: the nvcc to compile with (default: $KBENCH_NVCC, then nvcc on PATH,
    /// then $CUDA_HOME/bin and the usual install folder, then the PyPI toolchain the project's
    /// install script puts in the project, see the README).
    #[arg(long, value_name = "PATH")]
    pub nvcc: Option<std::path::PathBuf>,
    /// GPU backend: the architecture to build SASS for, e.g. sm_90 (default: the GPU's
    /// own; needed to compile on a machine without a GPU).
    #[arg(long, value_name = "sm_XY")]
    pub arch: Option<String>,
    /// Emulated TPU backend: the Python with JAX (default: $KBENCH_JAX_PYTHON, then
    /// .venv-jax/bin/python in the current folder or above the kbench binary, where
    /// `bash scripts/install-jax.sh` puts it).
    #[arg(long, value_name = "PATH")]
    pub python: Option<std::path::PathBuf>,
}

impl ToolchainArgs {
    /// As the backends crate takes them.
    pub fn options(&self) -> kbench_backends::BackendOptions {
        kbench_backends::BackendOptions {
            nvcc: self.nvcc.clone(),
            arch: self.arch.clone(),
            python: self.python.clone(),
        }
    }
}

/// Default database file.
pub const DEFAULT_DB: &str = "results/kbench.sqlite";

/// `kbench evaluate` options.
#[derive(Debug, clap::Args)]
pub struct EvaluateArgs {
    /// Backend that compiles and runs the kernels: C++ on this machine's cores (the
    /// default), or CUDA C++ on an NVIDIA GPU (speedups over PyTorch eager on that GPU);
    /// the NPU and TPU emulators are not implemented yet.
    #[arg(long, default_value = DEFAULT_BACKEND,
          value_parser = clap::builder::PossibleValuesParser::new(BACKEND_NAMES))]
    pub backend: String,
    /// Compiler and target of the GPU backend.
    #[command(flatten)]
    pub toolchain: ToolchainArgs,
    /// Where answers come from: `replay:DIR` reads DIR/<category>/<name>[.<sample>].md;
    /// `openai:NAME` and `anthropic:NAME` ask a model (key from OPENAI_API_KEY /
    /// ANTHROPIC_API_KEY, or as kbench.toml says); any provider of kbench.toml works too.
    /// Default: the backend's bundled solutions, `replay:solutions/<backend>`.
    #[arg(long)]
    pub model: Option<String>,
    /// Base URL of the provider (e.g. http://127.0.0.1:8000/v1 for a local server; for
    /// Anthropic the host alone also works).
    #[arg(long)]
    pub base_url: Option<String>,
    /// Provider settings and prices (default: ./kbench.toml when present).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Exemplar strategy: category-shot, add-shot or zero-shot.
    #[arg(long, default_value = "category-shot")]
    pub strategy: String,
    /// Turns of the repair loop: after a failed compile, a wrong result or a slow kernel,
    /// the next turn shows the model what went wrong.
    #[arg(long, default_value_t = 1)]
    pub turns: usize,
    /// Sampling preset: greedy (k = 1, temperature 0) or sampled (temperature 0.2,
    /// top_p 0.95), MultiKernelBench's settings; the options below override it.
    #[arg(long, default_value = "greedy")]
    pub preset: String,
    /// Sampling temperature.
    #[arg(long)]
    pub temperature: Option<f64>,
    /// Nucleus sampling.
    #[arg(long)]
    pub top_p: Option<f64>,
    /// Most output tokens per answer.
    #[arg(long)]
    pub max_tokens: Option<u32>,
    /// Seed sent where the API takes one (sample k sends seed + k).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Extended-thinking budget in tokens (Anthropic).
    #[arg(long)]
    pub thinking_budget: Option<u32>,
    /// Do not stream answers.
    #[arg(long)]
    pub no_stream: bool,
    /// Ask the model again even when the answer is cached.
    #[arg(long)]
    pub no_cache: bool,
    /// Only tasks whose id contains this text (e.g. `activation/` or `math/cumsum`).
    #[arg(long, default_value = "")]
    pub tasks: String,
    /// Size profile of the tasks: `paper` (the MultiKernelBench paper's sizes) or
    /// `current` (the upstream sizes of 2026-01, which modern GPUs need); stored with
    /// the run, and the PyTorch source in the prompt shows these sizes.
    #[arg(long, default_value = "paper")]
    pub sizes: kbench_tasks::SizeProfile,
    /// Samples per task (default: 1 with the greedy preset, 5 with sampled).
    #[arg(long)]
    pub samples: Option<usize>,
    /// Evaluate the one-shot exemplars instead of the benchmark tasks (default model:
    /// their bundled solutions, `replay:prompts/<backend>/exemplars`).
    #[arg(long)]
    pub exemplars: bool,
    /// The database.
    #[arg(long, default_value = DEFAULT_DB)]
    pub db: PathBuf,
    /// Compile cache folder.
    #[arg(long, default_value = "results/cache")]
    pub cache: PathBuf,
    /// Resume an interrupted run (its stored settings are used; other options ignored).
    #[arg(long, value_name = "RUN")]
    pub resume: Option<i64>,
    /// Wall-clock limit per sample's worker, seconds.
    #[arg(long, default_value_t = 180)]
    pub timeout: u64,
    /// Address-space limit of a worker in MiB (0 for none).
    #[arg(long, default_value_t = 16384)]
    pub memory_limit_mb: u64,
    /// Untimed warm-up calls at most...
    #[arg(long, default_value_t = 3)]
    pub warmup: usize,
    /// ...stopping early once the warm-up has taken this many seconds (at least one call)
    #[arg(long, default_value_t = 0.25)]
    pub warmup_seconds: f64,
    /// Timed calls always made.
    #[arg(long, default_value_t = 10)]
    pub min_calls: usize,
    /// Timed calls at most...
    #[arg(long, default_value_t = 100)]
    pub max_calls: usize,
    /// ...or until the timed phase (flushes included) has taken this many seconds.
    #[arg(long, default_value_t = 1.0)]
    pub timing_budget: f64,
    /// Compiles and correctness checks at once (default: the number of cores). Timing
    /// always runs alone.
    #[arg(long)]
    pub jobs: Option<usize>,
    /// Output: `text` (progress on standard error, a summary table on standard output)
    /// or `json` (one JSON object per event on standard output).
    #[arg(long, value_enum, default_value = "text")]
    pub format: Format,
    /// Python with torch for the second baseline, PyTorch eager on the CPU (default:
    /// .venv/bin/python when it has torch).
    #[arg(long, value_name = "PYTHON")]
    pub pytorch: Option<PathBuf>,
    /// Do not time PyTorch eager even when it is installed.
    #[arg(long, conflicts_with = "pytorch")]
    pub no_pytorch: bool,
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
        /// List the one-shot exemplars (ids `exemplar:<category>/<name>`) instead.
        #[arg(long)]
        exemplars: bool,
        /// Size profile: `paper` (the MultiKernelBench paper's sizes) or `current`
        /// (the upstream sizes of 2026-01, for modern GPUs).
        #[arg(long, default_value = "paper")]
        sizes: kbench_tasks::SizeProfile,
    },
    /// Show one task: its specification and the PyTorch source shown to models.
    Show {
        /// Task identifier, `<category>/<name>` (or `exemplar:<category>/<name>`).
        id: String,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
        /// Size profile: `paper` (the MultiKernelBench paper's sizes) or `current`
        /// (the upstream sizes of 2026-01, for modern GPUs).
        #[arg(long, default_value = "paper")]
        sizes: kbench_tasks::SizeProfile,
    },
    /// Generate a task's inputs and parameters for a seed, run the reference, and write
    /// everything as `.npy` files with a `manifest.json`.
    Export {
        /// Task identifier, `<category>/<name>` (or `exemplar:<category>/<name>`).
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
        /// Size profile: `paper` (the MultiKernelBench paper's sizes) or `current`
        /// (the upstream sizes of 2026-01, for modern GPUs).
        #[arg(long, default_value = "paper")]
        sizes: kbench_tasks::SizeProfile,
    },
}
