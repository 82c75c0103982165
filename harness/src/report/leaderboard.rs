//! The leaderboard's metrics of one run (or one category of it), over the run's whole
//! task set: a task without a stored sample counts as failed, as does a sample still
//! missing.
//!
//! - `compile@1`, `pass@1`: the expected share of one sample that compiles / passes,
//!   averaged over tasks (a task's share is its successes over the samples asked).
//! - `pass@k` for `k` = the samples asked per task, when more than one: the unbiased
//!   estimator `1 - C(n - c, k) / C(n, k)` (Chen et al. 2021) with `n` samples of which
//!   `c` pass, averaged over tasks.
//! - `fast_p`: the expected share of one sample that is correct, not flagged, and more
//!   than `p` times faster than the baseline (KernelBench); `fast_0` is the share correct
//!   and unflagged.
//! - speedups: geometric mean and median over the correct, unflagged samples only.

use crate::metrics::geomean;
use crate::store::ReportSampleRow;
use serde::Serialize;
use std::collections::BTreeMap;

/// The `p` of the leaderboard's `fast_p` columns.
pub const FAST_P_COLUMNS: [f64; 4] = [0.0, 1.0, 1.5, 2.0];

/// `pass@k` by the unbiased estimator for `n` samples of which `c` passed: the chance
/// that at least one of `k` drawn without replacement passes. `None` when `k > n`.
pub fn pass_at_k(n: usize, c: usize, k: usize) -> Option<f64> {
    if k > n || c > n {
        return None;
    }
    if n - c < k {
        return Some(1.0);
    }
    // C(n - c, k) / C(n, k) = prod_{i = n - c + 1}^{n} (1 - k / i), stably.
    let missed: f64 = (n - c + 1..=n).map(|i| 1.0 - k as f64 / i as f64).product();
    Some(1.0 - missed)
}

/// Whether a sample's speedup may be counted: correct and not flagged.
fn counts(s: &ReportSampleRow) -> bool {
    s.correct && s.faster_than_roofline != Some(true)
}

/// Whether a sample counts toward `fast_p`.
fn is_fast(s: &ReportSampleRow, p: f64) -> bool {
    counts(s) && (p == 0.0 || s.speedup.is_some_and(|x| x > p))
}

/// The final turn of each sample (what a repair run ends with), or the state after
/// `turn` when given, grouped by task.
pub fn final_samples(
    samples: &[ReportSampleRow],
    turn: Option<i64>,
) -> BTreeMap<&str, Vec<&ReportSampleRow>> {
    let mut last: BTreeMap<(&str, i64), &ReportSampleRow> = BTreeMap::new();
    for s in samples.iter().filter(|s| turn.is_none_or(|t| s.turn <= t)) {
        let key = (s.task_id.as_str(), s.sample_index);
        if last.get(&key).is_none_or(|prev| prev.turn < s.turn) {
            last.insert(key, s);
        }
    }
    let mut by_task: BTreeMap<&str, Vec<&ReportSampleRow>> = BTreeMap::new();
    for ((task, _), s) in last {
        by_task.entry(task).or_default().push(s);
    }
    by_task
}

/// The samples of each of `tasks` (none for a task without samples).
fn samples_of<'m, 'r, 'k>(
    tasks: &[&'k str],
    by_task: &'m BTreeMap<&'k str, Vec<&'r ReportSampleRow>>,
) -> Vec<&'m [&'r ReportSampleRow]> {
    tasks
        .iter()
        .map(|t| by_task.get(t).map_or(&[][..], Vec::as_slice))
        .collect()
}

/// The mean over tasks of the share of a task's samples (at least `asked`) meeting `f`.
fn share(
    per_task: &[&[&ReportSampleRow]],
    asked: usize,
    f: impl Fn(&ReportSampleRow) -> bool,
) -> f64 {
    if per_task.is_empty() {
        return 0.0;
    }
    per_task
        .iter()
        .map(|samples| {
            let n = samples.len().max(asked.max(1));
            samples.iter().filter(|s| f(s)).count() as f64 / n as f64
        })
        .sum::<f64>()
        / per_task.len() as f64
}

/// `fast_r` for an emulator's estimated times: the share of tasks (per-task share of
/// samples, as `fast_p`) correct, unflagged and at least at fraction `r` of the device's
/// roofline, at each `r` of `rs`.
pub fn roofline_curve(
    tasks: &[&str],
    by_task: &BTreeMap<&str, Vec<&ReportSampleRow>>,
    asked: usize,
    rs: &[f64],
) -> Vec<f64> {
    let per_task = samples_of(tasks, by_task);
    rs.iter()
        .map(|&r| {
            share(&per_task, asked, |s| {
                counts(s) && s.roofline_fraction.is_some_and(|f| f >= r)
            })
        })
        .collect()
}

/// The roofline fractions of the correct, unflagged samples among `samples`, sorted.
pub fn counted_roofline_fractions<'a>(
    samples: impl Iterator<Item = &'a &'a ReportSampleRow>,
) -> Vec<f64> {
    let mut fractions: Vec<f64> = samples
        .filter(|s| counts(s))
        .filter_map(|s| s.roofline_fraction)
        .filter(|f| f.is_finite())
        .collect();
    fractions.sort_by(f64::total_cmp);
    fractions
}

/// The speedups of the correct, unflagged samples among `samples`, sorted.
pub fn counted_speedups<'a>(samples: impl Iterator<Item = &'a &'a ReportSampleRow>) -> Vec<f64> {
    let mut speedups: Vec<f64> = samples
        .filter(|s| counts(s))
        .filter_map(|s| s.speedup)
        .filter(|x| *x > 0.0 && x.is_finite())
        .collect();
    speedups.sort_by(f64::total_cmp);
    speedups
}

/// The metrics of a set of tasks.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Metrics {
    /// Tasks in the set (the denominator of every rate).
    pub tasks: usize,
    /// Sample turns stored (final turns).
    pub samples: usize,
    /// Expected share of one sample that compiles.
    pub compile_at_1: f64,
    /// Expected share of one sample that passes.
    pub pass_at_1: f64,
    /// `(k, pass@k)` with `k` the samples asked per task, when more than one.
    pub pass_at_k: Option<(usize, f64)>,
    /// `fast_p` for each `p` of [`FAST_P_COLUMNS`].
    pub fast: [f64; 4],
    /// Geometric mean speedup over the correct, unflagged samples.
    pub geomean_speedup: Option<f64>,
    /// Median speedup over the same samples.
    pub median_speedup: Option<f64>,
    /// Correct samples flagged as faster than the roofline.
    pub roofline_flags: usize,
}

/// The metrics of `tasks` (every task of the set, with or without samples) given their
/// final samples and the samples asked per task.
pub fn metrics(
    tasks: &[&str],
    by_task: &BTreeMap<&str, Vec<&ReportSampleRow>>,
    asked: usize,
) -> Metrics {
    let asked = asked.max(1);
    let per_task = samples_of(tasks, by_task);
    let pass_at_k = (asked > 1 && !per_task.is_empty()).then(|| {
        let total: f64 = per_task
            .iter()
            .map(|samples| {
                let n = samples.len().max(asked);
                let c = samples.iter().filter(|s| s.correct).count();
                pass_at_k(n, c, asked).unwrap_or(0.0)
            })
            .sum();
        (asked, total / per_task.len() as f64)
    });
    let speedups = counted_speedups(per_task.iter().flat_map(|samples| samples.iter()));
    Metrics {
        tasks: tasks.len(),
        samples: per_task.iter().map(|s| s.len()).sum(),
        compile_at_1: share(&per_task, asked, |s| s.compiled),
        pass_at_1: share(&per_task, asked, |s| s.correct),
        pass_at_k,
        fast: FAST_P_COLUMNS.map(|p| share(&per_task, asked, |s| is_fast(s, p))),
        geomean_speedup: geomean(&speedups),
        median_speedup: median(&speedups),
        roofline_flags: per_task
            .iter()
            .flat_map(|samples| samples.iter())
            .filter(|s| s.correct && s.faster_than_roofline == Some(true))
            .count(),
    }
}

/// `fast_p` of `tasks` for each `p` in `ps` (the curve of the report's chart).
pub fn fast_p_curve(
    tasks: &[&str],
    by_task: &BTreeMap<&str, Vec<&ReportSampleRow>>,
    asked: usize,
    ps: &[f64],
) -> Vec<f64> {
    let per_task = samples_of(tasks, by_task);
    ps.iter()
        .map(|&p| share(&per_task, asked, |s| is_fast(s, p)))
        .collect()
}

/// The median of sorted values, if any.
pub fn median(sorted: &[f64]) -> Option<f64> {
    let n = sorted.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(sorted[n / 2]),
        _ => Some((sorted[n / 2 - 1] + sorted[n / 2]) / 2.0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// C(n, k) as a float, for the hand computation.
    fn choose(n: usize, k: usize) -> f64 {
        (0..k).map(|i| (n - i) as f64 / (k - i) as f64).product()
    }

    #[test]
    fn pass_at_k_matches_the_binomial_definition_for_five_samples() {
        let expected_by_hand = [
            // c = 0..5 for k = 1: c / 5.
            [0.0, 0.2, 0.4, 0.6, 0.8, 1.0],
            // k = 2: 1 - C(5 - c, 2) / 10.
            [0.0, 0.4, 0.7, 0.9, 1.0, 1.0],
            // k = 3: 1 - C(5 - c, 3) / 10.
            [0.0, 0.6, 0.9, 1.0, 1.0, 1.0],
            // k = 4: 1 - C(5 - c, 4) / 5.
            [0.0, 0.8, 1.0, 1.0, 1.0, 1.0],
            // k = 5: any pass.
            [0.0, 1.0, 1.0, 1.0, 1.0, 1.0],
        ];
        for (k, by_hand) in (1..=5).zip(expected_by_hand) {
            for (c, hand) in by_hand.into_iter().enumerate() {
                let got = pass_at_k(5, c, k).expect("k <= n");
                let by_definition = if 5 - c < k {
                    1.0
                } else {
                    1.0 - choose(5 - c, k) / choose(5, k)
                };
                assert!((got - by_definition).abs() < 1e-12, "n 5 c {c} k {k}");
                assert!((got - hand).abs() < 1e-12, "n 5 c {c} k {k}: {got}");
            }
        }
        assert_eq!(pass_at_k(3, 1, 4), None);
    }

    fn sample(task: &str, index: i64, correct: bool, speedup: Option<f64>) -> ReportSampleRow {
        ReportSampleRow {
            run_id: 1,
            task_id: task.into(),
            sample_index: index,
            turn: 1,
            outcome: if correct { "correct" } else { "wrong" }.into(),
            compiled: true,
            correct,
            fault: None,
            trials: 5,
            trials_passed: if correct { 5 } else { 0 },
            kernel_calls: None,
            kernel_min_s: None,
            kernel_median_s: None,
            kernel_mean_s: None,
            kernel_stddev_s: None,
            timed_outputs_ok: None,
            speedup,
            speedup_pytorch: None,
            faster_than_roofline: Some(false),
            time_estimated: None,
            roofline_fraction: None,
            input_tokens: None,
            output_tokens: None,
            reasoning_tokens: None,
            cost_usd: None,
            llm_seconds: None,
            from_cache: None,
            compile_seconds: None,
            worker_seconds: None,
            timing_seconds: None,
            created_at: String::new(),
        }
    }

    #[test]
    fn fast_p_counts_missing_and_failed_tasks_against_and_speedups_only_correct() {
        let mut flagged = sample("a/flagged", 0, true, Some(400.0));
        flagged.faster_than_roofline = Some(true);
        let samples = vec![
            sample("a/fast", 0, true, Some(3.0)),
            sample("a/slow", 0, true, Some(0.5)),
            sample("a/wrong", 0, false, Some(50.0)),
            flagged,
        ];
        let tasks = ["a/fast", "a/slow", "a/wrong", "a/flagged", "a/missing"];
        let by_task = final_samples(&samples, None);
        let m = metrics(&tasks, &by_task, 1);
        assert_eq!(m.tasks, 5);
        assert_eq!(m.samples, 4);
        assert!((m.pass_at_1 - 3.0 / 5.0).abs() < 1e-12);
        assert!((m.compile_at_1 - 4.0 / 5.0).abs() < 1e-12);
        // fast_0: correct and unflagged; fast_1, fast_1.5, fast_2: only the 3x one.
        assert_eq!(m.fast, [0.4, 0.2, 0.2, 0.2]);
        assert_eq!(m.pass_at_k, None, "one sample asked");
        // Over the correct, unflagged samples: 3.0 and 0.5.
        assert!((m.geomean_speedup.expect("two") - 1.5f64.sqrt()).abs() < 1e-12);
        assert!((m.median_speedup.expect("two") - 1.75).abs() < 1e-12);
        assert_eq!(m.roofline_flags, 1);
        let curve = fast_p_curve(&tasks, &by_task, 1, &[0.0, 0.4, 2.9, 3.0]);
        assert_eq!(curve, [0.4, 0.4, 0.2, 0.0]);
    }

    #[test]
    fn samples_asked_but_missing_count_against_and_pass_at_k_uses_them() {
        // Task x: 2 of 4 asked samples stored, one correct; task y: 4 stored, none.
        let samples = vec![
            sample("c/x", 0, true, Some(2.0)),
            sample("c/x", 1, false, None),
            sample("c/y", 0, false, None),
            sample("c/y", 1, false, None),
            sample("c/y", 2, false, None),
            sample("c/y", 3, false, None),
        ];
        let by_task = final_samples(&samples, None);
        let m = metrics(&["c/x", "c/y"], &by_task, 4);
        assert!((m.pass_at_1 - (0.25 + 0.0) / 2.0).abs() < 1e-12);
        let (k, value) = m.pass_at_k.expect("4 asked");
        assert_eq!(k, 4);
        assert!((value - 0.5).abs() < 1e-12, "x passes at 4 of 4, y never");
    }

    #[test]
    fn the_last_turn_of_each_sample_counts() {
        let mut repaired = sample("r/t", 0, true, Some(1.2));
        repaired.turn = 2;
        let samples = vec![sample("r/t", 0, false, None), repaired];
        let after_one = final_samples(&samples, Some(1));
        let last = final_samples(&samples, None);
        assert!(!after_one["r/t"][0].correct);
        assert!(last["r/t"][0].correct);
        assert_eq!(last["r/t"].len(), 1);
    }
}
