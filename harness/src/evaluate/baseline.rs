//! Timing the Rust reference on the trial inputs: the baseline of every speedup.

use super::trials::TrialSet;
use kbench_backends::timing::{Stats, TimingPlan, evict_tensor, run_plan};
use kbench_tasks::{Task, TaskError};
use std::time::Instant;

/// Baseline kind stored for the Rust reference.
pub const RUST_REFERENCE: &str = "rust-reference";

/// Times the reference by `plan`, rotating over the trial sets, evicting each call's
/// inputs from the caches first, as kernels get.
pub fn time_reference(
    task: &Task,
    sets: &[TrialSet],
    plan: &TimingPlan,
) -> Result<Stats, TaskError> {
    let seconds = run_plan(
        plan,
        |i| sets[i % sets.len()].inputs.iter().for_each(evict_tensor),
        |i| {
            let set = &sets[i % sets.len()];
            let start = Instant::now();
            let out = task.run_reference(&set.inputs)?;
            let elapsed = start.elapsed();
            drop(out);
            Ok::<_, TaskError>(elapsed)
        },
    )?;
    Stats::of(&seconds).ok_or_else(|| TaskError::Shape("no timed reference call".into()))
}
