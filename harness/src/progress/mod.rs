//! Events of a run and the reporters that render them.
//!
//! The engine only emits [`Event`]s into a channel; a dispatcher task hands each event
//! to every reporter in turn, so rendering never slows the pipeline and no reporter
//! knows another. Reporters: a progress bar on a terminal ([`bar`]), one line per
//! finished sample otherwise ([`lines`]), JSON lines on standard output
//! (`--format json`, [`json`]), and the end-of-run summary table ([`summary`]).

pub mod bar;
pub mod json;
pub mod lines;
pub mod summary;

use crate::metrics::SummaryRow;
use crate::outcome::Outcome;
use crate::store::RunUsage;
use serde::Serialize;
use std::io::IsTerminal;
use tokio::sync::mpsc;

/// Something that happened in a run.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Event {
    /// The run begins (or resumes).
    RunStarted {
        /// Run id.
        run_id: i64,
        /// Model spec.
        model: String,
        /// Backend name.
        backend: String,
        /// Tasks selected.
        tasks: usize,
        /// Samples in all (tasks x samples per task).
        samples: usize,
        /// Samples already finished by an earlier, interrupted execution.
        done: usize,
        /// Concurrent jobs (compiles and checks).
        jobs: usize,
    },
    /// Something worth a line that is not a result (e.g. a baseline that could not
    /// be timed).
    Notice {
        /// The task it concerns, if any.
        task: Option<String>,
        /// What happened.
        message: String,
    },
    /// One turn of one sample is stored.
    SampleFinished(SampleFinished),
    /// Every sample of a task is final.
    TaskFinished {
        /// Task id.
        task: String,
    },
    /// The run is finished and stored.
    RunFinished(Box<RunFinished>),
}

/// One stored turn.
#[derive(Debug, Clone, Serialize)]
pub struct SampleFinished {
    /// Task id.
    pub task: String,
    /// Sample index.
    pub sample: usize,
    /// Turn.
    pub turn: usize,
    /// How it ended.
    pub outcome: Outcome,
    /// The fault's label, when it ended in one (e.g. `timeout`, `device_error`).
    pub fault: Option<String>,
    /// No further turn follows for this sample.
    pub final_turn: bool,
    /// Speedup over the Rust reference, when correct and timed.
    pub speedup: Option<f64>,
    /// Kernel median seconds, when timed.
    pub kernel_median_s: Option<f64>,
    /// The first line of the outcome's detail.
    pub detail: Option<String>,
    /// Seconds this turn took in the harness, from its answer to its stored result
    /// (waiting for a slot included).
    pub seconds: f64,
}

/// Where the harness spent its time, summed over the tasks and samples of this
/// execution.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct Phases {
    /// Generating the trial inputs and writing them for the workers (the references
    /// come from the baseline's calls, counted under `baseline_s`).
    pub inputs_s: f64,
    /// Timing the baselines (Rust reference and PyTorch eager).
    pub baseline_s: f64,
    /// Compiling (0 for cache hits).
    pub compile_s: f64,
    /// Correctness workers.
    pub checks_s: f64,
    /// Timing workers.
    pub timing_s: f64,
    /// Waiting for models.
    pub model_s: f64,
    /// Median over samples of compile + checks + timing + the sample's share of its
    /// task's inputs and baselines.
    pub median_sample_s: Option<f64>,
    /// Wall-clock seconds of the execution.
    pub wall_s: f64,
}

/// The end of a run.
#[derive(Debug, Clone, Serialize)]
pub struct RunFinished {
    /// Run id.
    pub run_id: i64,
    /// Summary per category and `all`, after the last turn.
    pub summary: Vec<SummaryRow>,
    /// The `all` row after each earlier turn, for repair runs.
    pub earlier_turns: Vec<(usize, SummaryRow)>,
    /// Model usage (answers served from the cache cost nothing).
    pub usage: RunUsage,
    /// Samples whose model call failed.
    pub model_failures: usize,
    /// Samples stored in the run (final turns).
    pub samples: usize,
    /// Where this execution spent its time.
    pub phases: Phases,
    /// Which protections of the worker's sandbox held, over the samples checked.
    pub sandbox: SandboxTally,
}

/// How many of the samples that ran in a worker had each protection of the sandbox.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct SandboxTally {
    /// Samples whose kernel ran in a worker.
    pub workers: usize,
    /// Without network.
    pub network_isolated: usize,
    /// Writing only to the job folder.
    pub writes_confined: usize,
    /// Reading only the job's files and the system libraries.
    pub reads_confined: usize,
    /// Unable to signal or trace the harness.
    pub signals_confined: usize,
    /// Under the seccomp filter.
    pub syscalls_filtered: usize,
    /// In PID and mount namespaces of their own.
    pub processes_hidden: usize,
    /// Running as a user other than root.
    pub unprivileged: usize,
}

impl SandboxTally {
    /// Counts the protections recorded in `samples`.
    pub fn of(samples: &[crate::store::SampleRow]) -> Self {
        let mut t = SandboxTally::default();
        for s in samples.iter().filter(|s| s.network_isolated.is_some()) {
            t.workers += 1;
            t.network_isolated += usize::from(s.network_isolated == Some(true));
            t.writes_confined += usize::from(s.filesystem_confined == Some(true));
            t.reads_confined += usize::from(s.reads_confined == Some(true));
            t.signals_confined += usize::from(s.signals_confined == Some(true));
            t.syscalls_filtered += usize::from(s.syscalls_filtered == Some(true));
            t.processes_hidden += usize::from(s.processes_hidden == Some(true));
            t.unprivileged += usize::from(s.unprivileged == Some(true));
        }
        t
    }
}

/// Renders events.
pub trait Reporter: Send {
    /// Handles one event.
    fn report(&mut self, event: &Event);
}

/// How `kbench evaluate` reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Progress on standard error (a bar on a terminal, else a line per sample) and a
    /// summary table on standard output.
    Text,
    /// One JSON object per event on standard output, nothing else.
    Json,
}

/// The reporters of `format`, given whether standard error is a terminal.
pub fn reporters(format: Format) -> Vec<Box<dyn Reporter>> {
    match format {
        Format::Json => vec![Box::new(json::JsonLines::stdout())],
        Format::Text => {
            let progress: Box<dyn Reporter> = if std::io::stderr().is_terminal() {
                Box::new(bar::Bar::new())
            } else {
                Box::new(lines::Lines::stderr())
            };
            vec![progress, Box::new(summary::Summary::stdout())]
        }
    }
}

/// The sending side the engine holds.
pub type EventSender = mpsc::UnboundedSender<Event>;

/// Starts a dispatcher handing every event to `reporters`; it ends once every sender
/// is dropped.
pub fn dispatch(
    mut reporters: Vec<Box<dyn Reporter>>,
) -> (EventSender, tokio::task::JoinHandle<()>) {
    let (tx, mut rx) = mpsc::unbounded_channel::<Event>();
    let handle = tokio::spawn(async move {
        while let Some(event) = rx.recv().await {
            for r in &mut reporters {
                r.report(&event);
            }
        }
    });
    (tx, handle)
}
