//! Timing the Rust reference on the trial inputs: the baseline of every speedup.

use super::trials::TaskSets;
use kbench_backends::timing::{Stats, TimingPlan, evict_tensor, run_plan};
use kbench_tasks::{Task, TaskError};
use std::time::Instant;

/// Baseline kind stored for the Rust reference.
pub const RUST_REFERENCE: &str = "rust-reference";

/// Times the reference by `plan`, rotating over the trial sets, evicting each call's
/// inputs from the caches first, as kernels get. The first output of each set becomes
/// its reference: the calls the baseline makes anyway compute the trial references, so
/// they are never computed twice. (The check sets' references are computed apart, in
/// `fill_references`, off the machine-exclusive baseline.)
pub fn time_reference(
    task: &Task,
    sets: &mut TaskSets,
    plan: &TimingPlan,
) -> Result<Stats, TaskError> {
    let sets = &mut sets.trials[..];
    let n = sets.len().max(1);
    let sets = std::cell::RefCell::new(sets);
    let seconds = run_plan(
        plan,
        |i| sets.borrow()[i % n].inputs.iter().for_each(evict_tensor),
        |i, _| {
            let start = Instant::now();
            let out = task.run_reference(&sets.borrow()[i % n].inputs)?;
            let elapsed = start.elapsed();
            let mut sets = sets.borrow_mut();
            if sets[i % n].reference.is_empty() {
                sets[i % n].reference = out;
            }
            Ok::<_, TaskError>(elapsed)
        },
    )?;
    Stats::of(&seconds).ok_or_else(|| TaskError::Shape("no timed reference call".into()))
}
