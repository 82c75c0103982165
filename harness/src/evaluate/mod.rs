//! `kbench evaluate`: the pipeline from answers to stored results.
//!
//! `create_run` stores a run's configuration, environment and salt; `execute` runs (or
//! resumes) it through the concurrent pipeline of `pipeline`: model requests in flight
//! up to the model's concurrency, compiles and correctness checks on a pool of `jobs`,
//! and timing alone on the machine. A run can be killed at any moment and resumed with
//! `--resume`: stored samples are skipped, the rest are evaluated with the same salt,
//! so the same inputs.

mod baseline;
mod compare;
mod gate;
mod memory;
mod pipeline;
mod prepare;
mod pytorch;
mod sample;
mod timed_calls;
mod trials;

pub use pipeline::{ExecuteError, Execution, execute};
pub use pytorch::{PYTORCH_EAGER, VENV_PYTHON, detect as detect_pytorch, has_torch};
pub use sample::KEEP_ENV;

use crate::models::Sampling;
use crate::outcome::{Outcome, is_faster};
use crate::prompt::Strategy;
use crate::store::{NewRun, Store, TurnRow};
use anyhow::Context;
use kbench_backends::timing::TimingPlan;
use kbench_backends::worker::Limits;
use kbench_backends::{Backend, Clock, Roofline};
use kbench_tasks::{SizeProfile, Task, registry};
use serde::{Deserialize, Serialize};
use std::path::PathBuf;
use std::time::Duration;

/// The environment variable that fixes a run's salt, so that a failure can be replayed
/// with exactly the same inputs. A run made with it records that its salt is not
/// secret: anyone who knows it can derive every trial input.
pub const SALT_ENV: &str = "KBENCH_SALT";

/// What a run was asked to do; stored with it so that `--resume` needs nothing else.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RunConfig {
    /// Backend name.
    pub backend: String,
    /// The backend's options (`--nvcc`, `--arch`).
    #[serde(default)]
    pub backend_options: kbench_backends::BackendOptions,
    /// Model spec.
    pub model: String,
    /// Task filter: ids containing this text (empty for all).
    pub tasks: String,
    /// The size profile of the tasks (`paper` for runs stored before profiles existed).
    #[serde(default)]
    pub sizes: SizeProfile,
    /// Evaluate the one-shot exemplars instead of the benchmark tasks.
    #[serde(default)]
    pub exemplars: bool,
    /// Samples per task.
    pub samples: usize,
    /// Timing plan of kernels and baselines.
    pub timing: TimingPlan,
    /// Worker limits.
    pub limits: Limits,
    /// Python with torch for the PyTorch eager baseline; `None` for none.
    #[serde(default)]
    pub pytorch: Option<PathBuf>,
    /// Exemplar strategy of the prompts.
    #[serde(default = "default_strategy")]
    pub strategy: Strategy,
    /// Turns of the repair loop (1: no repair).
    #[serde(default = "one")]
    pub turns: usize,
    /// Sampling settings of model calls.
    #[serde(default = "greedy")]
    pub sampling: Sampling,
    /// `--base-url`, overriding the provider's.
    #[serde(default)]
    pub base_url: Option<String>,
    /// `--config`, the provider settings file.
    #[serde(default)]
    pub config_file: Option<PathBuf>,
    /// Read and write the answer cache.
    #[serde(default = "yes")]
    pub use_cache: bool,
}

fn default_strategy() -> Strategy {
    Strategy::CategoryShot
}

fn one() -> usize {
    1
}

fn greedy() -> Sampling {
    Sampling::GREEDY
}

fn yes() -> bool {
    true
}

/// Whether a sample needs no further turn: the last turn, a correct kernel faster than
/// the baseline, or no answer to repair.
pub fn is_final(turn: &TurnRow, turns: usize) -> bool {
    turn.turn as usize >= turns
        || (turn.correct && is_faster(turn.speedup))
        || matches!(turn.outcome, Outcome::NoAnswer | Outcome::ModelError)
}

fn turn_row(r: &crate::store::SampleRecord) -> TurnRow {
    TurnRow {
        turn: r.turn,
        prompt: r.prompt.clone(),
        outcome: r.outcome,
        correct: r.correct,
        code: r.code.clone(),
        detail: r.detail.clone(),
        compile_log: r.compile_log.clone(),
        kernel_median_s: r.kernel.map(|k| k.median),
        speedup: r.speedup,
    }
}

/// Where files go.
#[derive(Debug, Clone)]
pub struct Paths {
    /// Compile cache.
    pub cache_dir: PathBuf,
    /// The `kbench` binary for workers.
    pub worker_exe: PathBuf,
}

/// The tasks a filter selects at `sizes`, in registry order (the exemplars when
/// `exemplars`).
pub fn select_tasks(filter: &str, exemplars: bool, sizes: SizeProfile) -> Vec<&'static Task> {
    let set = if exemplars {
        registry::exemplars_in(sizes)
    } else {
        registry::all_in(sizes)
    };
    set.iter().filter(|t| t.id().contains(filter)).collect()
}

fn definition_hash(task: &Task) -> String {
    let definition = serde_json::json!({
        "inputs": task.inputs,
        "params": task.params,
        "outputs": task.outputs,
        "tolerance": task.tolerance,
        "flops": task.flops,
        "source": task.source,
    });
    blake3::hash(definition.to_string().as_bytes()).to_hex()[..32].to_string()
}

fn new_salt() -> anyhow::Result<String> {
    let mut bytes = [0u8; 32];
    let mut f = std::fs::File::open("/dev/urandom").context("opening /dev/urandom")?;
    std::io::Read::read_exact(&mut f, &mut bytes).context("reading /dev/urandom")?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// The salt of a new run and whether it is secret: `KBENCH_SALT` when set (not secret),
/// else 32 random bytes.
pub fn salt_for_new_run() -> anyhow::Result<(String, bool)> {
    match std::env::var(SALT_ENV) {
        Ok(fixed) if !fixed.is_empty() => Ok((fixed, false)),
        _ => Ok((new_salt()?, true)),
    }
}

/// Creates a run for `config` and returns its id.
pub async fn create_run(
    store: &Store,
    config: &RunConfig,
    backend: &dyn Backend,
    roofline: &Roofline,
) -> anyhow::Result<i64> {
    let environment = serde_json::json!({
        "device": backend.device(),
        "clock": backend.clock(),
        "kbench": env!("CARGO_PKG_VERSION"),
        "os": std::fs::read_to_string("/proc/version").unwrap_or_default().trim(),
        "roofline": roofline,
    });
    let (salt, salt_secret) = salt_for_new_run()?;
    let id = store
        .create_run(&NewRun {
            backend: config.backend.clone(),
            model: config.model.clone(),
            config: serde_json::to_string(config)?,
            environment: environment.to_string(),
            salt,
            salt_secret,
        })
        .await?;
    Ok(id)
}

/// The timing plan of a run's kernels on `backend`: the configured one, or
/// [`TimingPlan::for_estimates`] where the backend's times are its cost model's.
pub fn kernel_plan(configured: TimingPlan, backend: &dyn Backend) -> TimingPlan {
    match backend.clock() {
        Clock::CostModel => TimingPlan::for_estimates(),
        _ => configured,
    }
}

/// Default worker limits: 180 s, 16 GiB of address space, no network.
/// Without an address-space limit when `backend` cannot live with one (CUDA).
pub fn default_limits(backend: &dyn Backend, timeout_s: u64, memory_mb: u64) -> Limits {
    Limits {
        timeout: Duration::from_secs(timeout_s),
        memory_bytes: (memory_mb > 0 && backend.limits_address_space()).then_some(memory_mb << 20),
        isolate_network: true,
    }
}

/// Per-sample cost of one task's answer, for `kbench bench`: the references and the
/// baseline are computed once (as within a run); each repeat then compiles from an empty
/// cache, runs the correctness worker and the timing worker, and compares. Returns the
/// wall-clock seconds of each repeat and each repeat's stored record.
pub fn bench_samples(
    task: &'static Task,
    answer: crate::models::Answer,
    backend: std::sync::Arc<dyn Backend>,
    config: &RunConfig,
    worker_exe: &std::path::Path,
    repeats: usize,
) -> anyhow::Result<(Vec<f64>, Vec<crate::store::SampleRecord>)> {
    let scratch = tempfile::tempdir().context("creating a scratch folder")?;
    kbench_backends::worker::protocol::open_to_workers(scratch.path())
        .context("opening the scratch folder to workers")?;
    let (salt, _) = salt_for_new_run()?;
    let (prepared, mut sets) =
        prepare::PreparedTask::build(task, &salt, scratch.path().join("task"))?;
    let baseline = baseline::time_reference(task, &mut sets, &config.timing)?;
    let mut prepared = prepared.with_sets(sets)?;
    prepared.baseline_median = Some(baseline.median);
    let roofline = backend.roofline();
    let mut seconds = Vec::with_capacity(repeats);
    let mut records = Vec::with_capacity(repeats);
    for _ in 0..repeats {
        let cache = tempfile::tempdir().context("creating a compile cache")?;
        let run = sample::RunContext {
            backend: std::sync::Arc::clone(&backend),
            cache_dir: cache.path().to_path_buf(),
            worker_exe: worker_exe.to_path_buf(),
            limits: config.limits,
            plan: kernel_plan(config.timing, backend.as_ref()),
            roofline,
        };
        let start = std::time::Instant::now();
        let rec = sample::new_record(0, &task.id(), 0, 1, &Some(answer.clone()));
        let rec = sample::evaluate_sequentially(&run, &prepared, rec)?;
        seconds.push(start.elapsed().as_secs_f64());
        records.push(rec);
    }
    Ok((seconds, records))
}
