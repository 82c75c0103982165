//! The trial sets of one task in one run: inputs from seeds derived from the run's
//! secret salt, reference outputs, and the raw input files the workers read.

use kbench_backends::BackendError;
use kbench_backends::abi::{gather, kept_positions, kept_seed};
use kbench_backends::worker::TensorFile;
use kbench_backends::worker::protocol::open_to_workers;
use kbench_tasks::{HostTensor, Task};
use std::path::Path;

/// Correctness trials per sample (the protocol's 5).
pub const TRIALS: usize = 5;

/// The seed of `trial` of `task` in a run with `salt`. Without the salt, the seeds
/// cannot be predicted, so a kernel cannot special-case them.
pub fn trial_seed(salt: &str, task_id: &str, trial: usize) -> u64 {
    let mut h = blake3::Hasher::new();
    h.update(salt.as_bytes());
    h.update(&[0]);
    h.update(task_id.as_bytes());
    h.update(&(trial as u64).to_le_bytes());
    let bytes = h.finalize();
    let mut first = [0u8; 8];
    first.copy_from_slice(&bytes.as_bytes()[..8]);
    u64::from_le_bytes(first)
}

/// One trial's inputs (inputs then parameters) and reference outputs.
#[derive(Debug, Clone)]
pub struct TrialSet {
    /// Inputs then parameters.
    pub inputs: Vec<HostTensor>,
    /// Reference outputs; empty until computed (the baseline's timed calls compute
    /// them as they go, see [`super::baseline::time_reference`]).
    pub reference: Vec<HostTensor>,
}

/// Generates the trial inputs of `task` from the run's salt, references not yet run.
pub fn trial_inputs(task: &Task, salt: &str) -> Vec<TrialSet> {
    let id = task.id();
    (0..TRIALS)
        .map(|trial| TrialSet {
            inputs: task.generate(trial_seed(salt, &id, trial)),
            reference: Vec::new(),
        })
        .collect()
}

/// Timed calls checked per sample (see `timed_calls` for why seven suffice).
pub const CHECKED_CALLS: usize = 7;

/// The inputs of a timed call whose outputs are checked: trial set `base` perturbed
/// with `seed` (`kbench_tasks::perturb`). Only the reference is kept (for a large
/// output, at the elements `keep_seed` picks); the inputs are made again when needed.
#[derive(Debug, Clone)]
pub struct CheckSet {
    /// The trial set the inputs are made from.
    pub base: usize,
    /// The perturbation's seed, secret like the trial seeds.
    pub seed: u64,
    /// Picks the checked elements of a large output
    /// (`kbench_backends::abi::kept_positions`), secret too.
    pub keep_seed: u64,
    /// Reference outputs at the kept elements; empty until computed.
    pub reference: Vec<HostTensor>,
}

impl CheckSet {
    /// Keeps the reference outputs `full` at the elements this check keeps.
    pub fn keep_reference(&mut self, full: Vec<HostTensor>) {
        self.reference = full
            .into_iter()
            .enumerate()
            .map(
                |(k, r)| match kept_positions(r.len(), kept_seed(self.keep_seed, k)) {
                    None => r,
                    Some(positions) => {
                        let bytes = gather(&r.le_bytes(), r.dtype().size_bytes(), &positions);
                        HostTensor::from_le_bytes(r.dtype(), vec![positions.len()], &bytes)
                            .unwrap_or(r)
                    }
                },
            )
            .collect();
    }

    /// Writes the inputs of this check, made from the trial sets, into `out` (tensors
    /// of the trial sets' shapes, reused: a check allocates nothing).
    pub fn inputs_into(
        &self,
        task: &Task,
        trials: &[TrialSet],
        out: &mut [HostTensor],
    ) -> Result<(), kbench_tasks::TaskError> {
        let base = trials
            .get(self.base)
            .ok_or_else(|| kbench_tasks::TaskError::Shape(format!("no trial set {}", self.base)))?;
        task.perturb_into(&base.inputs, self.seed, out)
    }
}

/// A task's trial sets and the check sets of its timed calls.
#[derive(Debug, Clone)]
pub struct TaskSets {
    /// The correctness trials.
    pub trials: Vec<TrialSet>,
    /// The checked timed calls' inputs.
    pub checks: Vec<CheckSet>,
}

/// The check sets of `task` in a run with `salt`, references not yet run.
pub fn check_sets(task: &Task, salt: &str) -> Vec<CheckSet> {
    let id = format!("{}#timed", task.id());
    (0..CHECKED_CALLS)
        .map(|j| CheckSet {
            base: j % TRIALS,
            seed: trial_seed(salt, &id, j),
            keep_seed: trial_seed(salt, &id, CHECKED_CALLS + j),
            reference: Vec::new(),
        })
        .collect()
}

/// Runs the reference on every set that has no reference outputs yet.
pub fn fill_references(task: &Task, sets: &mut TaskSets) -> Result<(), kbench_tasks::TaskError> {
    for set in sets.trials.iter_mut().filter(|s| s.reference.is_empty()) {
        set.reference = task.run_reference(&set.inputs)?;
    }
    let mut scratch: Option<Vec<HostTensor>> = None;
    for j in 0..sets.checks.len() {
        if sets.checks[j].reference.is_empty() {
            let inputs = scratch.get_or_insert_with(|| sets.trials[0].inputs.clone());
            sets.checks[j].inputs_into(task, &sets.trials, inputs)?;
            let full = task.run_reference(inputs)?;
            sets.checks[j].keep_reference(full);
        }
    }
    Ok(())
}

/// Writes every set's inputs as raw files in `dir`, returning absolute descriptions.
pub fn write_inputs(dir: &Path, sets: &[TrialSet]) -> Result<Vec<Vec<TensorFile>>, BackendError> {
    std::fs::create_dir_all(dir)
        .map_err(BackendError::io(format!("creating {}", dir.display())))?;
    // Workers (an unprivileged user when the harness is root) pass through the task's
    // folders to read the inputs.
    for folder in [Some(dir), dir.parent()].into_iter().flatten() {
        open_to_workers(folder)
            .map_err(BackendError::io(format!("opening {}", folder.display())))?;
    }
    sets.iter()
        .enumerate()
        .map(|(s, set)| {
            set.inputs
                .iter()
                .enumerate()
                .map(|(k, t)| {
                    let mut f = TensorFile::write(dir, format!("in_s{s}_{k}.bin"), t)?;
                    f.file = dir.join(&f.file).display().to_string();
                    Ok(f)
                })
                .collect()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeds_depend_on_salt_task_and_trial() {
        let a = trial_seed("salt", "activation/relu", 0);
        assert_eq!(a, trial_seed("salt", "activation/relu", 0));
        assert_ne!(a, trial_seed("other", "activation/relu", 0));
        assert_ne!(a, trial_seed("salt", "activation/gelu", 0));
        assert_ne!(a, trial_seed("salt", "activation/relu", 1));
    }
}
