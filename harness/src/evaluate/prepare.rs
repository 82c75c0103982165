//! What evaluating a task's samples needs, computed once per task: the trial sets and
//! their references, the baselines' medians, and the input files workers read.

use super::compare::input_digest;
use super::trials::{
    CheckSet, TaskSets, TrialSet, check_sets, fill_references, trial_inputs, write_inputs,
};
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
    /// The checked timed calls' seeds and references.
    pub checks: Vec<CheckSet>,
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
    /// The secret the seeds of the unchecked timed calls' inputs derive from (from the
    /// run's salt, so a resumed run repeats them).
    pub timed_secret: [u8; 32],
}

/// The secret of `task`'s timed inputs in a run with `salt`.
fn timed_secret(salt: &str, task_id: &str) -> [u8; 32] {
    let mut h = blake3::Hasher::new_derive_key("kbench timed inputs v1");
    h.update(salt.as_bytes());
    h.update(&[0]);
    h.update(task_id.as_bytes());
    *h.finalize().as_bytes()
}

impl PreparedTask {
    /// Generates the trial inputs of `task` from `salt` and writes them below `dir` for
    /// the workers. The sets come back apart, without references: the baseline's timed
    /// calls compute those; [`PreparedTask::with_sets`] completes the task.
    pub fn build(
        task: &'static Task,
        salt: &str,
        dir: PathBuf,
    ) -> Result<(Self, TaskSets), PrepareError> {
        let sets = trial_inputs(task, salt);
        let input_files =
            write_inputs(&dir.join("inputs"), &sets).map_err(|source| PrepareError::Inputs {
                task: task.id(),
                source,
            })?;
        let input_digests = sets.iter().map(|s| input_digest(&s.inputs)).collect();
        let prepared = PreparedTask {
            task,
            sets: std::sync::Arc::new(Vec::new()),
            checks: Vec::new(),
            input_files,
            input_digests,
            dir,
            baseline_median: None,
            pytorch_median: None,
            timed_secret: timed_secret(salt, &task.id()),
        };
        let checks = check_sets(task, salt);
        Ok((
            prepared,
            TaskSets {
                trials: sets,
                checks,
            },
        ))
    }

    /// Takes the trial sets back, running the reference on any set that has none yet.
    pub fn with_sets(mut self, mut sets: TaskSets) -> Result<Self, PrepareError> {
        fill_references(self.task, &mut sets).map_err(|source| PrepareError::Reference {
            task: self.task.id(),
            source,
        })?;
        self.sets = std::sync::Arc::new(sets.trials);
        self.checks = sets.checks;
        Ok(self)
    }
}
