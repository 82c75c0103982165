//! `kbench evaluate`: the pipeline from answers to stored results.
//!
//! For each selected task: generate the trial sets from the run's secret salt, compute
//! the references, time the Rust reference (the baseline), write the inputs for the
//! workers; then for each sample not yet stored: ask the model, evaluate the answer
//! (`sample`), and store it in one transaction. A run can be killed at any moment and
//! resumed with `--resume`: stored samples are skipped, the rest are evaluated with the
//! same salt, so the same inputs.

mod baseline;
mod compare;
mod pytorch;
mod roofline;
mod sample;
mod trials;

pub use pytorch::{PYTORCH_EAGER, VENV_PYTHON, detect as detect_pytorch, has_torch};
pub use roofline::Roofline;

use crate::models::{AnswerRequest, Model, ModelError, Sampling};
use crate::prompt::Strategy;
use crate::store::{BaselineRow, NewRun, Store, TurnRow};
use anyhow::{Context, bail};
use indicatif::{ProgressBar, ProgressStyle};
use kbench_backends::Backend;
use kbench_backends::timing::TimingPlan;
use kbench_backends::worker::Limits;
use kbench_tasks::{Task, registry};
use serde::{Deserialize, Serialize};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// What a run was asked to do; stored with it so that `--resume` needs nothing else.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RunConfig {
    /// Backend name.
    pub backend: String,
    /// Model spec.
    pub model: String,
    /// Task filter: ids containing this text (empty for all).
    pub tasks: String,
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

/// Whether a sample needs no further turn: the last turn, a correct kernel at least as
/// fast as the reference, or no answer at all.
pub fn is_final(turn: &TurnRow, turns: usize) -> bool {
    turn.turn as usize >= turns
        || (turn.correct && turn.speedup.is_some_and(|s| s >= 1.0))
        || turn.outcome == "no_answer"
}

fn turn_row(r: &crate::store::SampleRecord) -> TurnRow {
    TurnRow {
        turn: r.turn,
        prompt: r.prompt.clone(),
        outcome: r.outcome.clone(),
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

/// The tasks a filter selects, in registry order (the exemplars when `exemplars`).
pub fn select_tasks(filter: &str, exemplars: bool) -> Vec<&'static Task> {
    let set = if exemplars {
        registry::exemplars()
    } else {
        registry::all()
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
    let id = store
        .create_run(&NewRun {
            backend: config.backend.clone(),
            model: config.model.clone(),
            config: serde_json::to_string(config)?,
            environment: environment.to_string(),
            salt: new_salt()?,
        })
        .await?;
    Ok(id)
}

/// Runs (or resumes) run `run_id` to the end.
pub async fn execute(
    store: &Store,
    run_id: i64,
    backend: Arc<dyn Backend>,
    model: Arc<dyn Model>,
    paths: &Paths,
) -> anyhow::Result<()> {
    let run = store.run(run_id).await?;
    let config: RunConfig =
        serde_json::from_str(&run.config).context("reading the run's stored configuration")?;
    let environment: serde_json::Value = serde_json::from_str(&run.environment)?;
    let roofline: Roofline = serde_json::from_value(environment["roofline"].clone())
        .context("reading the run's roofline")?;
    let tasks = select_tasks(&config.tasks, config.exemplars);
    let device = backend.device();
    if tasks.is_empty() {
        bail!("no task id contains `{}`", config.tasks);
    }
    let scratch = tempfile::Builder::new()
        .prefix("kbench-run-")
        .disable_cleanup(std::env::var_os(sample::KEEP_ENV).is_some())
        .tempdir()
        .context("creating a scratch folder")?;
    let bar = ProgressBar::new((tasks.len() * config.samples) as u64);
    bar.set_style(
        ProgressStyle::with_template("{elapsed_precise} [{bar:30}] {pos}/{len} {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    for task in tasks {
        let id = task.id();
        let cost = task.cost();
        store
            .record_task(run_id, &id, &definition_hash(task), cost.flops, cost.bytes)
            .await?;
        let mut todo = Vec::new();
        for s in 0..config.samples {
            match store.last_turn(run_id, &id, s as i64).await? {
                Some(t) if is_final(&t, config.turns) => bar.inc(1),
                last => todo.push((s, last)),
            }
        }
        if todo.is_empty() {
            continue;
        }
        bar.set_message(format!("{id}: references"));
        let salt = run.salt.clone();
        let sets = tokio::task::spawn_blocking(move || trials::trial_sets(task, &salt))
            .await?
            .with_context(|| format!("{id}: running the reference"))?;
        let sets = Arc::new(sets);
        let baseline_median = match store
            .baseline(run_id, &id, baseline::RUST_REFERENCE)
            .await?
        {
            Some(b) => b.median_s,
            None => {
                bar.set_message(format!("{id}: timing the reference"));
                let (s, plan) = (Arc::clone(&sets), config.timing);
                let stats =
                    tokio::task::spawn_blocking(move || baseline::time_reference(task, &s, &plan))
                        .await??;
                let row = BaselineRow {
                    calls: stats.calls as i64,
                    min_s: stats.min,
                    median_s: stats.median,
                    mean_s: stats.mean,
                    stddev_s: stats.stddev,
                };
                store
                    .save_baseline(run_id, &id, baseline::RUST_REFERENCE, &row)
                    .await?;
                stats.median
            }
        };
        let task_dir = scratch.path().join(id.replace('/', "__"));
        if let Some(python) = &config.pytorch
            && store.baseline(run_id, &id, PYTORCH_EAGER).await?.is_none()
        {
            bar.set_message(format!("{id}: timing PyTorch eager"));
            let (s, plan, python, dir) = (
                Arc::clone(&sets),
                config.timing,
                python.clone(),
                task_dir.join("pytorch"),
            );
            let timed = tokio::task::spawn_blocking(move || {
                pytorch::time_pytorch(&python, task, &s, &plan, &dir, Duration::from_secs(600))
            })
            .await?;
            match timed {
                Ok(row) => {
                    store
                        .save_baseline(run_id, &id, PYTORCH_EAGER, &row)
                        .await?
                }
                Err(why) => bar.println(format!("{id}: no PyTorch eager baseline: {why}")),
            }
        }
        let pytorch_median = store
            .baseline(run_id, &id, PYTORCH_EAGER)
            .await?
            .map(|b| b.median_s);
        let input_files = trials::write_inputs(&task_dir.join("inputs"), &sets)?;
        let input_digests: Vec<String> = sets
            .iter()
            .map(|s| compare::input_digest(&s.inputs))
            .collect();
        let first_prompt = crate::prompt::render(task, backend.name(), &device, config.strategy)?;
        for (sample_index, mut previous) in todo {
            bar.set_message(format!("{id} #{sample_index}"));
            let mut turn = previous.as_ref().map_or(1, |t| t.turn as usize + 1);
            let mut history = first_prompt.clone();
            while turn <= config.turns {
                let prompt = match &previous {
                    None => first_prompt.clone(),
                    Some(p) => crate::prompt::repair(&first_prompt, p),
                };
                if let Some(p) = &previous {
                    history.push('\0');
                    history.push_str(p.code.as_deref().unwrap_or_default());
                }
                let cache_basis = history.clone();
                let (backend, model, sets, input_files, input_digests, task_dir, paths, config) = (
                    Arc::clone(&backend),
                    Arc::clone(&model),
                    Arc::clone(&sets),
                    input_files.clone(),
                    input_digests.clone(),
                    task_dir.clone(),
                    paths.clone(),
                    config.clone(),
                );
                let record = tokio::task::spawn_blocking(move || {
                    let request = AnswerRequest {
                        task,
                        sample: sample_index,
                        turn,
                        prompt: &prompt,
                        cache_basis: &cache_basis,
                    };
                    let (answer, failure) = match model.answer(&request) {
                        Ok(a) => (a, None),
                        Err(ModelError::Provider(e)) => (None, Some(e.to_string())),
                        Err(e) => return Err(anyhow::Error::from(e)),
                    };
                    let ctx = sample::SampleContext {
                        backend: backend.as_ref(),
                        languages: &crate::extract::CPU_LANGUAGES,
                        task,
                        sets: &sets,
                        input_files: &input_files,
                        input_digests: &input_digests,
                        cache_dir: &paths.cache_dir,
                        scratch: &task_dir,
                        worker_exe: &paths.worker_exe,
                        limits: config.limits,
                        plan: config.timing,
                        baseline_median: Some(baseline_median),
                        pytorch_median,
                        roofline,
                    };
                    let mut record = sample::evaluate(&ctx, run_id, sample_index, turn, answer)?;
                    if let Some(why) = failure {
                        record.prompt = Some(prompt);
                        record.detail = Some(format!("the model call failed: {why}"));
                    }
                    Ok(record)
                })
                .await??;
                store.save_sample(&record).await?;
                let row = turn_row(&record);
                if is_final(&row, config.turns) {
                    break;
                }
                previous = Some(row);
                turn += 1;
            }
            bar.inc(1);
        }
        drop(sets);
        let _ = std::fs::remove_dir_all(&task_dir);
    }
    bar.finish_and_clear();
    store.finish_run(run_id).await?;
    Ok(())
}

/// Default worker limits: 180 s, 16 GiB of address space, no network.
pub fn default_limits(timeout_s: u64, memory_mb: u64) -> Limits {
    Limits {
        timeout: Duration::from_secs(timeout_s),
        memory_bytes: (memory_mb > 0).then_some(memory_mb << 20),
        isolate_network: true,
    }
}

/// The roofline of the backend's device (measured once per run).
pub fn roofline_for(backend: &dyn Backend) -> Roofline {
    roofline::measure(&backend.device())
}

/// Per-sample cost of one task's answer, for `kbench bench`: the references and the
/// baseline are computed once (as within a run); each repeat then compiles from an empty
/// cache, runs the worker with the correctness trials and the timed calls, and compares.
/// Returns the wall-clock seconds of each repeat and the last stored record's outcome.
pub fn bench_samples(
    task: &'static Task,
    answer: crate::models::Answer,
    backend: &dyn Backend,
    config: &RunConfig,
    worker_exe: &std::path::Path,
    repeats: usize,
) -> anyhow::Result<(Vec<f64>, String)> {
    let scratch = tempfile::tempdir().context("creating a scratch folder")?;
    let salt = new_salt()?;
    let sets = trials::trial_sets(task, &salt)?;
    let baseline = baseline::time_reference(task, &sets, &config.timing)?;
    let input_files = trials::write_inputs(&scratch.path().join("inputs"), &sets)?;
    let input_digests: Vec<String> = sets
        .iter()
        .map(|s| compare::input_digest(&s.inputs))
        .collect();
    let roofline = roofline::measure(&backend.device());
    let mut seconds = Vec::with_capacity(repeats);
    let mut outcome = String::new();
    for _ in 0..repeats {
        let cache = tempfile::tempdir().context("creating a compile cache")?;
        let ctx = sample::SampleContext {
            backend,
            languages: &crate::extract::CPU_LANGUAGES,
            task,
            sets: &sets,
            input_files: &input_files,
            input_digests: &input_digests,
            cache_dir: cache.path(),
            scratch: scratch.path(),
            worker_exe,
            limits: config.limits,
            plan: config.timing,
            baseline_median: Some(baseline.median),
            pytorch_median: None,
            roofline,
        };
        let start = std::time::Instant::now();
        let record = sample::evaluate(&ctx, 0, 0, 1, Some(answer.clone()))?;
        seconds.push(start.elapsed().as_secs_f64());
        outcome = record.outcome;
    }
    Ok((seconds, outcome))
}
