//! Timing plans, statistics, and the last-level-cache flush.

use serde::{Deserialize, Serialize};
use std::time::Duration;

/// How many times to call a kernel and when to stop.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct TimingPlan {
    /// Untimed calls first.
    pub warmup: usize,
    /// Timed calls always made, however slow the kernel.
    pub min_calls: usize,
    /// Stop once this many timed calls are made...
    pub max_calls: usize,
    /// ...or once the timed calls add up to this many seconds (after `min_calls`).
    pub budget_seconds: f64,
    /// Bytes written before each timed call to evict the last-level cache (0: no flush).
    pub flush_bytes: usize,
}

impl TimingPlan {
    /// The protocol's default: 3 warm-up calls, then timed calls until 100 are made or
    /// they add up to 1 s, at least 10, each after a flush of `flush_bytes`.
    pub fn standard(flush_bytes: usize) -> Self {
        TimingPlan {
            warmup: 3,
            min_calls: 10,
            max_calls: 100,
            budget_seconds: 1.0,
            flush_bytes,
        }
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

/// A buffer written through before each timed call so that no input or output stays
/// in the last-level cache.
pub struct CacheFlusher {
    buffer: Vec<u8>,
    round: u8,
}

impl CacheFlusher {
    /// A flusher writing `bytes` bytes.
    pub fn new(bytes: usize) -> Self {
        CacheFlusher {
            buffer: vec![0; bytes],
            round: 0,
        }
    }

    /// Writes one byte in every 64-byte line.
    pub fn flush(&mut self) {
        self.round = self.round.wrapping_add(1);
        for i in (0..self.buffer.len()).step_by(64) {
            self.buffer[i] = self.buffer[i].wrapping_add(self.round);
        }
        std::hint::black_box(&self.buffer);
    }
}

/// Times `call` by the plan, flushing before each timed call; `call` returns the
/// elapsed time it measured, or an error that stops the series.
pub fn run_plan<E>(
    plan: &TimingPlan,
    mut call: impl FnMut(usize) -> Result<Duration, E>,
) -> Result<Vec<f64>, E> {
    let mut flusher = CacheFlusher::new(plan.flush_bytes);
    for i in 0..plan.warmup {
        call(i)?;
    }
    let mut seconds = Vec::new();
    let mut spent = Duration::ZERO;
    while plan.wants_more(seconds.len(), spent) {
        flusher.flush();
        let elapsed = call(plan.warmup + seconds.len())?;
        spent += elapsed;
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
            min_calls: 3,
            max_calls: 5,
            budget_seconds: 1.0,
            flush_bytes: 1024,
        };
        let mut calls = 0;
        let fast = run_plan::<()>(&plan, |_| {
            calls += 1;
            Ok(Duration::from_millis(1))
        })
        .expect("runs");
        assert_eq!(fast.len(), 5);
        assert_eq!(calls, 7, "warm-up calls are made but not kept");
        let slow = run_plan::<()>(&plan, |_| Ok(Duration::from_millis(600))).expect("runs");
        assert_eq!(slow.len(), 3, "min_calls even past the budget");
    }
}
