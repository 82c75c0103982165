//! The memory window: how many bytes of prepared tasks a run holds at once.
//!
//! A prepared task keeps its trial sets (inputs, parameters and reference outputs of
//! every trial, in memory and as the files workers map) until its samples are done, so a run's memory
//! follows the tasks it holds, not their number: six small tasks fit anywhere, two 1 GB-output matmuls may
//! not. Each prepared task holds permits worth its footprint out of a budget of half
//! the memory available when the run starts; a task larger than the budget runs
//! alone (it takes the whole budget).

use super::trials::TRIALS;
use kbench_tasks::Task;
use std::sync::Arc;
use tokio::sync::{AcquireError, OwnedSemaphorePermit, Semaphore};

/// One permit stands for this many bytes.
const PERMIT_BYTES: u64 = 1 << 20;

/// Budget used where the available memory cannot be read.
const FALLBACK_BUDGET_BYTES: u64 = 8 << 30;

/// The smallest budget, however little memory is available.
const MIN_BUDGET_BYTES: u64 = 1 << 30;

/// Bytes of prepared tasks a run may hold at once.
pub struct MemoryWindow {
    permits: Arc<Semaphore>,
    budget: u32,
}

impl MemoryWindow {
    /// A window of `budget_bytes` (at least [`MIN_BUDGET_BYTES`]).
    pub fn new(budget_bytes: u64) -> Self {
        let permits = (budget_bytes.max(MIN_BUDGET_BYTES) / PERMIT_BYTES)
            .min(u64::from(u32::MAX >> 3)) as u32;
        MemoryWindow {
            permits: Arc::new(Semaphore::new(permits as usize)),
            budget: permits,
        }
    }

    /// Half of the memory this machine has available now.
    pub fn from_machine() -> Self {
        let available = std::fs::read_to_string("/proc/meminfo")
            .ok()
            .and_then(|text| available_bytes(&text))
            .unwrap_or(FALLBACK_BUDGET_BYTES * 2);
        MemoryWindow::new(available / 2)
    }

    /// Waits until `task`'s footprint fits beside the tasks already held; the permit
    /// gives the room back when dropped.
    pub async fn hold(&self, task: &Task) -> Result<OwnedSemaphorePermit, AcquireError> {
        let wanted = footprint_bytes(task).div_ceil(PERMIT_BYTES).max(1);
        let permits = wanted.min(u64::from(self.budget)) as u32;
        Arc::clone(&self.permits).acquire_many_owned(permits).await
    }
}

/// What a prepared task costs in memory: every trial's inputs, parameters and
/// reference outputs; one more set of outputs while a reference runs; the trial inputs
/// once more as the files the workers and the PyTorch baseline map (on `/dev/shm`,
/// which is memory, when it has room); and the PyTorch process's working set (one
/// call's outputs and temporaries, counted as a set of inputs and outputs).
pub fn footprint_bytes(task: &Task) -> u64 {
    let tensors: usize = task.inputs.iter().map(|s| s.size_bytes()).sum::<usize>()
        + task.params.iter().map(|s| s.size_bytes()).sum::<usize>();
    let outputs: usize = task.outputs.iter().map(|s| s.size_bytes()).sum();
    let held = TRIALS * (tensors + outputs) + outputs;
    let files = TRIALS * tensors;
    let pytorch = tensors + outputs;
    (held + files + pytorch) as u64
}

/// `MemAvailable` of `/proc/meminfo`, in bytes.
fn available_bytes(meminfo: &str) -> Option<u64> {
    let line = meminfo.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_available_memory() {
        let text = "MemTotal:       23000000 kB\nMemAvailable:   16000000 kB\n";
        assert_eq!(available_bytes(text), Some(16_000_000 * 1024));
        assert_eq!(available_bytes("MemTotal: 1 kB\n"), None);
    }

    #[tokio::test]
    async fn a_task_larger_than_the_budget_runs_alone_and_small_ones_share() {
        let largest = kbench_tasks::registry::all()
            .iter()
            .max_by_key(|t| footprint_bytes(t))
            .expect("tasks");
        assert!(
            footprint_bytes(largest) > MIN_BUDGET_BYTES,
            "{}",
            largest.id()
        );
        let small = kbench_tasks::registry::find("activation/relu").expect("task");
        let window = MemoryWindow::new(MIN_BUDGET_BYTES);
        let a = window.hold(small).await.expect("permit");
        let b = window.hold(small).await.expect("permit");
        assert!(window.permits.available_permits() < window.budget as usize);
        drop((a, b));
        let all = window.hold(largest).await.expect("the whole budget");
        assert_eq!(window.permits.available_permits(), 0);
        drop(all);
        assert_eq!(window.permits.available_permits(), window.budget as usize);
    }
}
