//! What `kbench report` reads: runs with their settings, task sets, every sample's
//! numbers, and (for the per-sample pages) texts and trials.

use super::{Store, StoreError};
use serde::Serialize;

/// A run as a report lists it.
#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct ReportRunRow {
    /// Id.
    pub id: i64,
    /// Creation time (UTC).
    pub created_at: String,
    /// Completion time; `None` while the run is in progress (or was cut off).
    pub finished_at: Option<String>,
    /// Backend.
    pub backend: String,
    /// Model spec.
    pub model: String,
    /// Size profile of the tasks.
    pub sizes: String,
    /// Exemplar strategy of the prompts.
    pub strategy: String,
    /// Turns of the repair loop.
    pub turns: i64,
    /// Samples asked per task.
    pub samples_per_task: i64,
}

/// A task of a run's task set.
#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct RunTaskRow {
    /// Task id.
    pub task_id: String,
    /// blake3 of the task's declaration and PyTorch source.
    pub definition_hash: String,
    /// Declared FLOPs.
    pub flops: i64,
    /// Minimum bytes moved.
    pub min_bytes: i64,
    /// Median seconds of the Rust reference, where timed.
    pub reference_median_s: Option<f64>,
    /// Median seconds of PyTorch eager, where timed.
    pub pytorch_median_s: Option<f64>,
}

/// One stored sample turn with every number a metric needs (one line of
/// `results.csv`).
#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct ReportSampleRow {
    /// Run.
    pub run_id: i64,
    /// Task.
    pub task_id: String,
    /// Sample number.
    pub sample_index: i64,
    /// Turn of the repair loop.
    pub turn: i64,
    /// `no_answer`, `no_code`, `compile_error`, `fault`, `wrong` or `correct`.
    pub outcome: String,
    /// Compiled.
    pub compiled: bool,
    /// Passed every check.
    pub correct: bool,
    /// Fault label.
    pub fault: Option<String>,
    /// Correctness trials run.
    pub trials: i64,
    /// Correctness trials passed.
    pub trials_passed: i64,
    /// Timed kernel calls.
    pub kernel_calls: Option<i64>,
    /// Fastest kernel call, seconds.
    pub kernel_min_s: Option<f64>,
    /// Median kernel call, seconds.
    pub kernel_median_s: Option<f64>,
    /// Mean kernel call, seconds.
    pub kernel_mean_s: Option<f64>,
    /// Standard deviation of the kernel calls, seconds.
    pub kernel_stddev_s: Option<f64>,
    /// The timed calls' outputs were right.
    pub timed_outputs_ok: Option<bool>,
    /// Rust reference median / kernel median.
    pub speedup: Option<f64>,
    /// PyTorch eager median / kernel median.
    pub speedup_pytorch: Option<f64>,
    /// Faster than the roofline allows (never counted as fast).
    pub faster_than_roofline: Option<bool>,
    /// The kernel times are an emulator's cost-model estimates (no speedups then).
    pub time_estimated: Option<bool>,
    /// For estimated times: the roofline time over the estimate.
    pub roofline_fraction: Option<f64>,
    /// Prompt tokens.
    pub input_tokens: Option<i64>,
    /// Answer tokens.
    pub output_tokens: Option<i64>,
    /// Reasoning tokens.
    pub reasoning_tokens: Option<i64>,
    /// Cost, where prices are configured.
    pub cost_usd: Option<f64>,
    /// Seconds waiting for the model.
    pub llm_seconds: Option<f64>,
    /// Served from the answer cache.
    pub from_cache: Option<bool>,
    /// Seconds compiling.
    pub compile_seconds: Option<f64>,
    /// Seconds of the checking worker.
    pub worker_seconds: Option<f64>,
    /// Seconds of the timing worker.
    pub timing_seconds: Option<f64>,
    /// When the sample was stored.
    pub created_at: String,
}

/// The texts behind one sample turn (its page in the report).
#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct SampleTextRow {
    /// Task.
    pub task_id: String,
    /// Sample number.
    pub sample_index: i64,
    /// Turn.
    pub turn: i64,
    /// The model's answer.
    pub answer: Option<String>,
    /// The model's reasoning trace.
    pub reasoning: Option<String>,
    /// The extracted code.
    pub code: Option<String>,
    /// Compiler diagnostics.
    pub compile_log: Option<String>,
    /// Detail of the outcome.
    pub detail: Option<String>,
}

/// One correctness trial of a sample turn.
#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct TrialRow {
    /// Task.
    pub task_id: String,
    /// Sample number.
    pub sample_index: i64,
    /// Turn.
    pub turn: i64,
    /// Trial number.
    pub trial: i64,
    /// Passed.
    pub passed: bool,
    /// `max |out - ref|`.
    pub max_abs_err: Option<f64>,
    /// `max |out - ref| / (1 + |ref|)`.
    pub max_e: Option<f64>,
    /// Elements out of tolerance.
    pub mismatches: Option<i64>,
    /// The first element out of tolerance.
    pub first_mismatch: Option<String>,
}

impl Store {
    /// Every run, oldest first, with the settings a report shows.
    pub async fn report_runs(&self) -> Result<Vec<ReportRunRow>, StoreError> {
        Ok(sqlx::query_as::<_, ReportRunRow>(
            "SELECT id, created_at, finished_at, backend, model, \
                    COALESCE(json_extract(config, '$.sizes'), 'paper') AS sizes, \
                    COALESCE(json_extract(config, '$.strategy'), 'category-shot') AS strategy, \
                    COALESCE(json_extract(config, '$.turns'), 1) AS turns, \
                    COALESCE(json_extract(config, '$.samples'), 1) AS samples_per_task \
             FROM runs ORDER BY id",
        )
        .fetch_all(&self.pool)
        .await?)
    }

    /// A run's task set with its baselines' medians, by task id.
    pub async fn run_tasks(&self, run: i64) -> Result<Vec<RunTaskRow>, StoreError> {
        Ok(sqlx::query_as::<_, RunTaskRow>(
            "SELECT t.task_id, t.definition_hash, t.flops, t.min_bytes, \
                    (SELECT median_s FROM baselines b WHERE b.run_id = t.run_id \
                       AND b.task_id = t.task_id AND b.kind = 'rust-reference') \
                      AS reference_median_s, \
                    (SELECT median_s FROM baselines b WHERE b.run_id = t.run_id \
                       AND b.task_id = t.task_id AND b.kind = 'pytorch-eager') \
                      AS pytorch_median_s \
             FROM run_tasks t WHERE t.run_id = ? ORDER BY t.task_id",
        )
        .bind(run)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Every sample turn of a run, in task, sample and turn order.
    pub async fn report_samples(&self, run: i64) -> Result<Vec<ReportSampleRow>, StoreError> {
        Ok(sqlx::query_as::<_, ReportSampleRow>(
            "SELECT s.run_id, s.task_id, s.sample_index, s.turn, s.outcome, s.compiled, \
                    s.correct, s.fault, \
                    (SELECT COUNT(*) FROM trials t WHERE t.sample_id = s.id) AS trials, \
                    (SELECT COUNT(*) FROM trials t WHERE t.sample_id = s.id AND t.passed) \
                      AS trials_passed, \
                    s.kernel_calls, s.kernel_min_s, s.kernel_median_s, s.kernel_mean_s, \
                    s.kernel_stddev_s, s.timed_outputs_ok, s.speedup, s.speedup_pytorch, \
                    s.faster_than_roofline, s.time_estimated, s.roofline_fraction, \
                    s.input_tokens, s.output_tokens, \
                    s.reasoning_tokens, s.cost_usd, s.llm_seconds, s.from_cache, \
                    s.compile_seconds, s.worker_seconds, s.timing_seconds, s.created_at \
             FROM samples s WHERE s.run_id = ? ORDER BY s.task_id, s.sample_index, s.turn",
        )
        .bind(run)
        .fetch_all(&self.pool)
        .await?)
    }

    /// The texts of every sample turn of a run, in task, sample and turn order.
    pub async fn run_texts(&self, run: i64) -> Result<Vec<SampleTextRow>, StoreError> {
        Ok(sqlx::query_as::<_, SampleTextRow>(
            "SELECT s.task_id, s.sample_index, s.turn, t.answer, t.reasoning, t.code, \
                    t.compile_log, s.detail \
             FROM samples s JOIN sample_texts t ON t.sample_id = s.id \
             WHERE s.run_id = ? ORDER BY s.task_id, s.sample_index, s.turn",
        )
        .bind(run)
        .fetch_all(&self.pool)
        .await?)
    }

    /// The trials of every sample turn of a run, in task, sample, turn and trial order.
    pub async fn run_trials(&self, run: i64) -> Result<Vec<TrialRow>, StoreError> {
        Ok(sqlx::query_as::<_, TrialRow>(
            "SELECT s.task_id, s.sample_index, s.turn, t.trial, t.passed, t.max_abs_err, \
                    t.max_e, t.mismatches, t.first_mismatch \
             FROM trials t JOIN samples s ON s.id = t.sample_id WHERE s.run_id = ? \
             ORDER BY s.task_id, s.sample_index, s.turn, t.trial",
        )
        .bind(run)
        .fetch_all(&self.pool)
        .await?)
    }
}
