//! Timing the Rust reference on the trial inputs: the baseline of every speedup.

use super::trials::TaskSets;
use kbench_backends::timing::{Stats, TimingPlan, evict_tensor, run_plan};
use kbench_tasks::{HostTensor, Task, TaskError};
use std::time::Instant;

/// Baseline kind stored for the Rust reference.
pub const RUST_REFERENCE: &str = "rust-reference";

/// Times the reference by `plan`, evicting each call's inputs from the caches first, as
/// kernels get. The calls go over the trial sets, then the check sets (inputs drawn
/// from the same distribution), then the trial sets again; the first output of each set
/// becomes its reference, so the calls the baseline makes anyway compute the references
/// and none is computed twice. Sets the plan left without a reference are computed by
/// `fill_references`.
pub fn time_reference(
    task: &Task,
    sets: &mut TaskSets,
    plan: &TimingPlan,
) -> Result<Stats, TaskError> {
    let trials = sets.trials.len().max(1);
    let rounds = trials + sets.checks.len();
    let sets = std::cell::RefCell::new(sets);
    // The check sets' inputs, written over one reused set of tensors: no allocation
    // churn between timed calls.
    let mut scratch: Option<Vec<HostTensor>> = None;
    let seconds = run_plan(
        plan,
        |_| {},
        |i, _| {
            let mut sets = sets.borrow_mut();
            let check = (i % rounds)
                .checked_sub(trials)
                .filter(|&j| sets.checks[j].reference.is_empty());
            let inputs = match check {
                Some(j) => {
                    let made = scratch.get_or_insert_with(|| sets.trials[0].inputs.clone());
                    sets.checks[j].inputs_into(task, &sets.trials, made)?;
                    &*made
                }
                None => &sets.trials[i % trials].inputs,
            };
            inputs.iter().for_each(evict_tensor);
            let start = Instant::now();
            let out = task.run_reference(inputs)?;
            let elapsed = start.elapsed();
            match check {
                Some(j) => sets.checks[j].keep_reference(out),
                None if sets.trials[i % trials].reference.is_empty() => {
                    sets.trials[i % trials].reference = out;
                }
                None => {}
            }
            Ok::<_, TaskError>(elapsed)
        },
    )?;
    Stats::of(&seconds).ok_or_else(|| TaskError::Shape("no timed reference call".into()))
}
