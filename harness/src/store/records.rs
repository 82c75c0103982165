//! Rows going into and coming out of the store.

use crate::outcome::Outcome;
use kbench_backends::timing::Stats;

/// A run about to be created.
#[derive(Debug, Clone)]
pub struct NewRun {
    /// Backend name.
    pub backend: String,
    /// Model spec, e.g. `openai:gpt-4o` or `replay:DIR`.
    pub model: String,
    /// JSON configuration.
    pub config: String,
    /// JSON environment.
    pub environment: String,
    /// Salt of the trial seeds (hex, or KBENCH_SALT's value).
    pub salt: String,
    /// False when the salt came from KBENCH_SALT.
    pub salt_secret: bool,
}

/// A stored run.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RunRow {
    /// Id.
    pub id: i64,
    /// Creation time (UTC).
    pub created_at: String,
    /// Completion time, when finished.
    pub finished_at: Option<String>,
    /// Backend name.
    pub backend: String,
    /// Model spec.
    pub model: String,
    /// JSON configuration.
    pub config: String,
    /// JSON environment.
    pub environment: String,
    /// Salt of the trial seeds.
    pub salt: String,
    /// False when the salt came from KBENCH_SALT (not secret).
    pub salt_secret: bool,
}

/// A line of `kbench runs`.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RunSummary {
    /// Id.
    pub id: i64,
    /// Creation time.
    pub created_at: String,
    /// Completion time.
    pub finished_at: Option<String>,
    /// Backend.
    pub backend: String,
    /// Model.
    pub model: String,
    /// Size profile of the tasks (`paper` for runs stored before profiles existed).
    pub sizes: String,
    /// Samples stored.
    pub samples: i64,
    /// Samples that compiled.
    pub compiled: i64,
    /// Samples that passed.
    pub correct: i64,
    /// Prompt tokens spent over every turn (answers served from the cache excluded).
    pub input_tokens: i64,
    /// Answer tokens spent over every turn (cached answers excluded).
    pub output_tokens: i64,
    /// Cost in US dollars, where prices are configured.
    pub cost_usd: Option<f64>,
}

/// One correctness trial.
#[derive(Debug, Clone, PartialEq)]
pub struct TrialRecord {
    /// Trial number, from 0.
    pub trial: i64,
    /// `kb_forward`'s status.
    pub status: Option<i64>,
    /// Every element within tolerance, inputs unchanged.
    pub passed: bool,
    /// Inputs byte-identical after the call.
    pub inputs_unchanged: Option<bool>,
    /// Largest |out - ref|.
    pub max_abs_err: Option<f64>,
    /// Largest |out - ref| / (1 + |ref|).
    pub max_e: Option<f64>,
    /// Elements out of tolerance.
    pub mismatches: Option<i64>,
    /// Where the first mismatch is, and its values.
    pub first_mismatch: Option<String>,
}

/// One evaluated sample, ready to store.
#[derive(Debug, Clone)]
pub struct SampleRecord {
    /// Run.
    pub run_id: i64,
    /// Task.
    pub task_id: String,
    /// Sample number, from 0.
    pub sample_index: i64,
    /// Turn, from 1.
    pub turn: i64,
    /// Prompt sent (none for replayed answers).
    pub prompt: Option<String>,
    /// The model's answer.
    pub answer: Option<String>,
    /// The reasoning trace.
    pub reasoning: Option<String>,
    /// Prompt tokens.
    pub input_tokens: Option<u64>,
    /// Answer tokens.
    pub output_tokens: Option<u64>,
    /// Reasoning tokens.
    pub reasoning_tokens: Option<u64>,
    /// Why the model stopped, as its provider said it.
    pub finish_reason: Option<String>,
    /// Seconds the model took.
    pub llm_seconds: Option<f64>,
    /// Cost in US dollars.
    pub cost_usd: Option<f64>,
    /// Attempts the request took.
    pub llm_attempts: Option<u32>,
    /// Served from the answer cache.
    pub from_cache: Option<bool>,
    /// Extracted code.
    pub code: Option<String>,
    /// How it ended.
    pub outcome: Outcome,
    /// Compiled.
    pub compiled: bool,
    /// Correct.
    pub correct: bool,
    /// Fault label.
    pub fault: Option<String>,
    /// Human-readable detail of the outcome.
    pub detail: Option<String>,
    /// Compiler diagnostics.
    pub compile_log: Option<String>,
    /// Compile cache key.
    pub compile_key: Option<String>,
    /// From the compile cache.
    pub compile_cached: Option<bool>,
    /// Compile seconds.
    pub compile_seconds: Option<f64>,
    /// Kernel timing.
    pub kernel: Option<Stats>,
    /// Outputs of the timed calls re-checked and within tolerance.
    pub timed_outputs_ok: Option<bool>,
    /// Rust reference median / kernel median.
    pub speedup: Option<f64>,
    /// PyTorch eager median / kernel median, where PyTorch was timed.
    pub speedup_pytorch: Option<f64>,
    /// Faster than the roofline allows: flagged, never celebrated.
    pub faster_than_roofline: Option<bool>,
    /// The kernel's times are an emulator's cost-model estimates, not measurements
    /// (then no speedup is computed).
    pub time_estimated: Option<bool>,
    /// For estimated times: the device's roofline time for the task over the estimate.
    pub roofline_fraction: Option<f64>,
    /// The worker had no network.
    pub network_isolated: Option<bool>,
    /// The worker could write only to its job folder.
    pub filesystem_confined: Option<bool>,
    /// The worker could read only its job's files and the system libraries.
    pub reads_confined: Option<bool>,
    /// The worker could signal or trace only processes of its own sandbox.
    pub signals_confined: Option<bool>,
    /// The worker ran under the seccomp filter.
    pub syscalls_filtered: Option<bool>,
    /// The worker ran in PID and mount namespaces of its own with a private `/proc`.
    pub processes_hidden: Option<bool>,
    /// The worker ran as a user other than root.
    pub unprivileged: Option<bool>,
    /// Wall-clock seconds of the correctness worker.
    pub worker_seconds: Option<f64>,
    /// Wall-clock seconds of the timing worker.
    pub timing_seconds: Option<f64>,
    /// Correctness trials.
    pub trials: Vec<TrialRecord>,
}

impl SampleRecord {
    /// Characters of the reasoning trace without surrounding whitespace; `None` without
    /// a trace.
    pub fn reasoning_chars(&self) -> Option<i64> {
        self.reasoning
            .as_deref()
            .map(|r| r.trim().chars().count() as i64)
    }
}

/// A stored sample, as summaries need it.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct SampleRow {
    /// Task.
    pub task_id: String,
    /// Sample number.
    pub sample_index: i64,
    /// Turn.
    pub turn: i64,
    /// Outcome.
    pub outcome: Outcome,
    /// Compiled.
    pub compiled: bool,
    /// Correct.
    pub correct: bool,
    /// Fault label.
    pub fault: Option<String>,
    /// Detail.
    pub detail: Option<String>,
    /// Kernel median seconds.
    pub kernel_median_s: Option<f64>,
    /// Speedup over the Rust reference.
    pub speedup: Option<f64>,
    /// Speedup over PyTorch eager.
    pub speedup_pytorch: Option<f64>,
    /// The run timed PyTorch eager for this task.
    pub has_pytorch_baseline: bool,
    /// Roofline flag.
    pub faster_than_roofline: Option<bool>,
    /// For an emulator's estimated times: the roofline time over the estimate (no
    /// speedup is computed from estimates).
    pub roofline_fraction: Option<f64>,
    /// The worker had no network.
    pub network_isolated: Option<bool>,
    /// The worker could write only to its job folder.
    pub filesystem_confined: Option<bool>,
    /// The worker could read only its job's files and the system libraries.
    pub reads_confined: Option<bool>,
    /// The worker could signal or trace only processes of its own sandbox.
    pub signals_confined: Option<bool>,
    /// The worker ran under the seccomp filter.
    pub syscalls_filtered: Option<bool>,
    /// The worker ran in PID and mount namespaces of its own with a private `/proc`.
    pub processes_hidden: Option<bool>,
    /// The worker ran as a user other than root.
    pub unprivileged: Option<bool>,
}

/// The last turn of a sample, as the repair loop needs it.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct TurnRow {
    /// Turn number.
    pub turn: i64,
    /// The prompt of that turn.
    pub prompt: Option<String>,
    /// Outcome.
    pub outcome: Outcome,
    /// Correct.
    pub correct: bool,
    /// Extracted code.
    pub code: Option<String>,
    /// Detail of the outcome.
    pub detail: Option<String>,
    /// Compiler diagnostics.
    pub compile_log: Option<String>,
    /// Kernel median seconds.
    pub kernel_median_s: Option<f64>,
    /// Speedup over the Rust reference.
    pub speedup: Option<f64>,
}

/// Model usage summed over a run.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, sqlx::FromRow)]
pub struct RunUsage {
    /// Prompt tokens.
    pub input_tokens: i64,
    /// Answer tokens.
    pub output_tokens: i64,
    /// Reasoning tokens.
    pub reasoning_tokens: i64,
    /// Seconds waiting for models.
    pub llm_seconds: f64,
    /// Cost, where prices are configured.
    pub cost_usd: Option<f64>,
    /// Answers served from the cache (their tokens and cost are not counted above).
    pub cached: i64,
}
