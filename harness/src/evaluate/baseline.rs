//! Timing the Rust reference on the trial inputs: the baseline of every speedup.

use kbench_backends::timing::{Stats, TimingPlan, run_plan};
use kbench_tasks::{Task, TaskError};
use std::time::Instant;

use super::trials::TrialSet;

/// Baseline kind stored for the Rust reference.
pub const RUST_REFERENCE: &str = "rust-reference";

/// Times the reference by `plan`, rotating over the trial sets, with the same
/// cache flush as kernels get.
pub fn time_reference(
    task: &Task,
    sets: &[TrialSet],
    plan: &TimingPlan,
) -> Result<Stats, TaskError> {
    let seconds = run_plan(plan, |i| {
        let set = &sets[i % sets.len()];
        let start = Instant::now();
        let out = task.run_reference(&set.inputs)?;
        let elapsed = start.elapsed();
        drop(out);
        Ok::<_, TaskError>(elapsed)
    })?;
    Stats::of(&seconds).ok_or_else(|| TaskError::Shape("no timed reference call".into()))
}
