//! Timing plans, statistics, and evicting a call's data from the host caches.
//!
//! Before each timed call the data the call touches (its inputs and outputs) is evicted
//! from every cache level, line by line (`clflush` on x86-64, `dc civac` on AArch64), so
//! each timed call starts cold and the flush costs in proportion to the task's data,
//! not to the machine's last-level cache. ARCHITECTURE.md gives the measurements that
//! chose this over writing a cache-sized buffer.

use serde::{Deserialize, Serialize};
use std::time::{Duration, Instant};

/// How many times to call a kernel and when to stop.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct TimingPlan {
    /// Untimed calls first...
    pub warmup: usize,
    /// ...but no more once the warm-up has taken this many seconds (at least one call
    /// is made): one 400 ms call warms what three would. `None` (runs stored before
    /// this field existed): always `warmup` calls.
    #[serde(default)]
    pub warmup_seconds: Option<f64>,
    /// Timed calls always made, however slow the kernel.
    pub min_calls: usize,
    /// Stop once this many timed calls are made...
    pub max_calls: usize,
    /// ...or once the timed phase (calls, flushes and everything between them) has
    /// taken this many seconds of wall time (after `min_calls`).
    pub budget_seconds: f64,
}

impl TimingPlan {
    /// The protocol's default: 3 warm-up calls (fewer once they took 0.25 s), then timed
    /// calls until 100 are made or the timed phase has taken 1 s, at least 10, each
    /// after a cache flush.
    pub const STANDARD: TimingPlan = TimingPlan {
        warmup: 3,
        warmup_seconds: Some(0.25),
        min_calls: 10,
        max_calls: 100,
        budget_seconds: 1.0,
    };

    /// Timed calls of a kernel whose time is a cost model's estimate.
    pub const ESTIMATE_CALLS: usize = 3;

    /// The plan for a kernel whose time is a cost model's estimate: no warm-up (nothing
    /// to warm) and [`Self::ESTIMATE_CALLS`] timed calls, however the run was configured.
    /// An estimate does not vary from call to call the way a clock does; the calls still
    /// run on the unseen timed inputs, whose outputs are checked, and a cost that depends
    /// on the data still shows in the spread.
    pub fn for_estimates() -> TimingPlan {
        TimingPlan {
            warmup: 0,
            warmup_seconds: Some(0.0),
            min_calls: Self::ESTIMATE_CALLS,
            max_calls: Self::ESTIMATE_CALLS,
            budget_seconds: 0.0,
        }
    }

    /// The number of timed calls when each costs `per_call` seconds of the timed phase
    /// (the call and all that goes with it): as many as fit the budget, between
    /// `min_calls` and `max_calls`.
    pub fn calls_for(&self, per_call: f64) -> usize {
        // Saturating casts: a zero cost fits without end, an unreadable one not at all.
        let fit = if per_call.is_nan() {
            0
        } else {
            (self.budget_seconds / per_call).floor() as usize
        };
        fit.clamp(self.min_calls, self.max_calls.max(self.min_calls))
    }

    /// True when another timed call is due after `calls` calls taking `spent`.
    pub fn wants_more(&self, calls: usize, spent: Duration) -> bool {
        calls < self.min_calls
            || (calls < self.max_calls && spent.as_secs_f64() < self.budget_seconds)
    }
}

/// Summary of a series of timings, in seconds.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Stats {
    /// Number of timed calls.
    pub calls: usize,
    /// Fastest call.
    pub min: f64,
    /// Median call.
    pub median: f64,
    /// Mean.
    pub mean: f64,
    /// Sample standard deviation (0 for one call).
    pub stddev: f64,
}

impl Stats {
    /// Summarises `seconds`; `None` when empty.
    pub fn of(seconds: &[f64]) -> Option<Stats> {
        if seconds.is_empty() {
            return None;
        }
        let mut sorted = seconds.to_vec();
        sorted.sort_by(f64::total_cmp);
        let n = sorted.len();
        let median = if n % 2 == 1 {
            sorted[n / 2]
        } else {
            (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0
        };
        let mean = sorted.iter().sum::<f64>() / n as f64;
        let var = if n > 1 {
            sorted.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1) as f64
        } else {
            0.0
        };
        Some(Stats {
            calls: n,
            min: sorted[0],
            median,
            mean,
            stddev: var.sqrt(),
        })
    }
}

/// Evicts `bytes` from every level of the host's data caches (written back first where
/// dirty). Costs one cache-line operation per 64 bytes of `bytes`.
pub fn evict_from_caches(bytes: &[u8]) {
    const LINE: usize = 64;
    #[cfg(target_arch = "x86_64")]
    {
        for offset in (0..bytes.len()).step_by(LINE) {
            // SAFETY: the address lies inside `bytes`; clflush only changes cache state
            // and is part of SSE2, which every x86-64 processor has.
            unsafe { std::arch::x86_64::_mm_clflush(bytes.as_ptr().add(offset)) };
        }
        // SAFETY: a fence has no memory effects beyond ordering.
        unsafe { std::arch::x86_64::_mm_mfence() };
    }
    #[cfg(target_arch = "aarch64")]
    {
        for offset in (0..bytes.len()).step_by(LINE) {
            // SAFETY: the address lies inside `bytes`; `dc civac` cleans and invalidates
            // its line to the point of coherency, changing no data.
            unsafe {
                std::arch::asm!("dc civac, {0}", in(reg) bytes.as_ptr().add(offset), options(nostack))
            };
        }
        // SAFETY: a barrier has no memory effects beyond ordering.
        unsafe { std::arch::asm!("dsb ish", options(nostack)) };
    }
    #[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
    {
        // No line eviction here: stream twice the data through the caches instead,
        // which costs in proportion to the data as well.
        let mut scratch = vec![0u8; 2 * bytes.len()];
        for offset in (0..scratch.len()).step_by(LINE) {
            scratch[offset] = scratch[offset].wrapping_add(1);
        }
        std::hint::black_box(&scratch);
    }
}

/// Evicts a host tensor's elements from the caches (see [`evict_from_caches`]).
pub fn evict_tensor(tensor: &kbench_tasks::HostTensor) {
    evict_from_caches(&tensor.le_bytes());
}

/// Makes the plan's warm-up calls, `call(i)` for i = 0, 1, ...: up to `plan.warmup`,
/// fewer once they took `plan.warmup_seconds`, at least one. Returns how many.
pub fn run_warmup<E>(
    plan: &TimingPlan,
    mut call: impl FnMut(usize) -> Result<(), E>,
) -> Result<usize, E> {
    let start = Instant::now();
    let mut warmups = 0;
    while warmups < plan.warmup
        && (warmups == 0
            || plan
                .warmup_seconds
                .is_none_or(|cap| start.elapsed().as_secs_f64() < cap))
    {
        call(warmups)?;
        warmups += 1;
    }
    Ok(warmups)
}

/// Times `call` by the plan: up to `plan.warmup` untimed calls (see
/// [`TimingPlan::warmup_seconds`]), then timed calls each after
/// `flush(i)`, until the plan is satisfied. The budget counts the whole wall time of the
/// timed phase, flushes included. `call(i, timed)` makes call `i` (a warm-up call when
/// `timed` is false) and returns the elapsed time it measured, or an error that stops
/// the series.
pub fn run_plan<E>(
    plan: &TimingPlan,
    mut flush: impl FnMut(usize),
    mut call: impl FnMut(usize, bool) -> Result<Duration, E>,
) -> Result<Vec<f64>, E> {
    let warmups = run_warmup(plan, |i| call(i, false).map(|_| ()))?;
    let mut seconds = Vec::new();
    let start = Instant::now();
    while plan.wants_more(seconds.len(), start.elapsed()) {
        let i = warmups + seconds.len();
        flush(i);
        let elapsed = call(i, true)?;
        seconds.push(elapsed.as_secs_f64());
    }
    Ok(seconds)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stats_by_hand() {
        let s = Stats::of(&[3.0, 1.0, 2.0, 4.0]).expect("non-empty");
        assert_eq!(s.calls, 4);
        assert_eq!(s.min, 1.0);
        assert_eq!(s.median, 2.5);
        assert_eq!(s.mean, 2.5);
        assert!((s.stddev - (5.0f64 / 3.0).sqrt()).abs() < 1e-12);
        assert!(Stats::of(&[]).is_none());
    }

    #[test]
    fn plan_stops_at_max_calls_or_budget() {
        let plan = TimingPlan {
            warmup: 2,
            warmup_seconds: None,
            min_calls: 3,
            max_calls: 5,
            budget_seconds: 0.2,
        };
        let (mut calls, mut flushes, mut untimed) = (0, Vec::new(), Vec::new());
        let fast = run_plan::<()>(
            &plan,
            |i| flushes.push(i),
            |i, timed| {
                calls += 1;
                if !timed {
                    untimed.push(i);
                }
                Ok(Duration::from_millis(1))
            },
        )
        .expect("runs");
        assert_eq!(fast.len(), 5);
        assert_eq!(calls, 7, "warm-up calls are made but not kept");
        assert_eq!(untimed, vec![0, 1], "the warm-up calls are told apart");
        assert_eq!(
            flushes,
            vec![2, 3, 4, 5, 6],
            "a flush before each timed call only"
        );
        let capped = TimingPlan {
            warmup_seconds: Some(0.05),
            ..plan
        };
        let mut slow_calls = 0;
        let slow = run_plan::<()>(
            &capped,
            |_| {},
            |_, _| {
                slow_calls += 1;
                std::thread::sleep(Duration::from_millis(100));
                Ok(Duration::from_millis(100))
            },
        )
        .expect("runs");
        assert_eq!(slow.len(), 3, "min_calls even past the budget");
        assert_eq!(
            slow_calls, 4,
            "one warm-up call once it took the warm-up's time"
        );
    }

    #[test]
    fn calls_fit_the_budget_within_the_bounds() {
        let plan = TimingPlan::STANDARD;
        assert_eq!(plan.calls_for(0.001), 100);
        assert_eq!(plan.calls_for(0.0), 100);
        assert_eq!(plan.calls_for(0.02), 50);
        assert_eq!(plan.calls_for(0.5), 10);
        assert_eq!(plan.calls_for(f64::NAN), 10);
    }

    #[test]
    fn the_budget_counts_flushes_too() {
        let plan = TimingPlan {
            warmup: 0,
            warmup_seconds: None,
            min_calls: 1,
            max_calls: 1000,
            budget_seconds: 0.05,
        };
        let calls = run_plan::<()>(
            &plan,
            |_| std::thread::sleep(Duration::from_millis(10)),
            |_, _| Ok(Duration::from_micros(1)),
        )
        .expect("runs");
        assert!(
            calls.len() <= 6,
            "slow flushes end the phase: {}",
            calls.len()
        );
    }

    #[test]
    fn eviction_leaves_the_data_unchanged() {
        let data: Vec<u8> = (0..10_000u32).map(|i| (i % 251) as u8).collect();
        let copy = data.clone();
        evict_from_caches(&data);
        evict_from_caches(&[]);
        assert_eq!(data, copy);
    }
}
