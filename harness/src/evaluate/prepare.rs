//! What evaluating a task's samples needs, computed once per task: the trial sets and
//! their references, the baselines' medians, and the input files workers read.

use super::compare::input_digest;
use super::trials::{TrialSet, trial_sets, write_inputs};
use kbench_backends::BackendError;
use kbench_backends::worker::TensorFile;
use kbench_tasks::{Task, TaskError};
use std::path::PathBuf;
use thiserror::Error;

/// Errors of preparing a task.
#[derive(Debug, Error)]
pub enum PrepareError {
    /// The reference failed on generated inputs (a bug of the registry).
    #[error("{task}: running the reference: {source}")]
    Reference {
        /// The task.
        task: String,
        /// The cause.
        #[source]
        source: TaskError,
    },
    /// The inputs could not be written for the workers.
    #[error("{task}: writing the inputs: {source}")]
    Inputs {
        /// The task.
        task: String,
        /// The cause.
        #[source]
        source: BackendError,
    },
}

/// A task ready for its samples. Dropping it frees its trial sets; its folder is removed
/// by the pipeline when the task is done.
pub struct PreparedTask {
    /// The task.
    pub task: &'static Task,
    /// Trial inputs and references (shared with the baselines' timing threads).
    pub sets: std::sync::Arc<Vec<TrialSet>>,
    /// The inputs as files the workers read.
    pub input_files: Vec<Vec<TensorFile>>,
    /// Digest of each set's inputs, to catch kernels that write their inputs.
    pub input_digests: Vec<String>,
    /// Scratch folder of the task's job folders.
    pub dir: PathBuf,
    /// Rust reference median seconds.
    pub baseline_median: Option<f64>,
    /// PyTorch eager median seconds, where timed.
    pub pytorch_median: Option<f64>,
}

impl PreparedTask {
    /// Generates the trial sets of `task` from `salt`, runs the reference on each and
    /// writes the inputs below `dir`. The baselines are filled in later.
    pub fn build(task: &'static Task, salt: &str, dir: PathBuf) -> Result<Self, PrepareError> {
        let sets = trial_sets(task, salt).map_err(|source| PrepareError::Reference {
            task: task.id(),
            source,
        })?;
        let input_files =
            write_inputs(&dir.join("inputs"), &sets).map_err(|source| PrepareError::Inputs {
                task: task.id(),
                source,
            })?;
        let input_digests = sets.iter().map(|s| input_digest(&s.inputs)).collect();
        Ok(PreparedTask {
            task,
            sets: std::sync::Arc::new(sets),
            input_files,
            input_digests,
            dir,
            baseline_median: None,
            pytorch_median: None,
        })
    }
}
