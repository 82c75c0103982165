//! Summaries of stored samples: compile rate, correctness rate, fast_p and the
//! geometric-mean speedup, per category and overall.

use crate::outcome::is_faster;
use crate::store::SampleRow;
use kbench_tasks::Category;
use serde::Serialize;
use std::collections::BTreeMap;

/// One line of a summary.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SummaryRow {
    /// Category, or `all`.
    pub group: String,
    /// Samples counted.
    pub samples: usize,
    /// Share that compiled.
    pub compile_rate: f64,
    /// Share that passed every check.
    pub correct_rate: f64,
    /// Share correct, unflagged and faster than the baseline (failures count against).
    pub fast_1: f64,
    /// Geometric mean of the speedups (over the Rust reference) of the correct, unflagged
    /// samples.
    pub geomean_speedup: Option<f64>,
    /// Share correct and faster than PyTorch eager, among samples whose task has that
    /// baseline (failures count against).
    pub fast_1_pytorch: Option<f64>,
    /// Geometric mean of the speedups over PyTorch eager of the correct samples.
    pub geomean_speedup_pytorch: Option<f64>,
    /// Correct samples flagged as faster than the roofline.
    pub roofline_flags: usize,
    /// For an emulator's estimated times: the median over correct, unflagged samples of
    /// the roofline time over the estimate (the figure of merit in place of speedups).
    pub median_roofline_fraction: Option<f64>,
}

/// Whether a sample's speedups may be counted: it is correct and not flagged. A kernel
/// faster than the roofline allows (a constant output, a cache, a patched clock) never
/// contributes a speedup to any summary; it is counted in `roofline_flags` instead.
fn speedup_counts(s: &SampleRow) -> bool {
    s.correct && s.faster_than_roofline != Some(true)
}

fn correct_speedups(samples: &[&SampleRow], pick: impl Fn(&SampleRow) -> Option<f64>) -> Vec<f64> {
    samples
        .iter()
        .filter(|s| speedup_counts(s))
        .filter_map(|s| pick(s))
        .filter(|s| *s > 0.0)
        .collect()
}

/// The median of values, if any (the mean of the middle two for an even count).
pub(crate) fn median(mut values: Vec<f64>) -> Option<f64> {
    values.sort_by(f64::total_cmp);
    crate::report::leaderboard::median(&values)
}

/// The geometric mean of positive values, if any.
pub(crate) fn geomean(values: &[f64]) -> Option<f64> {
    (!values.is_empty())
        .then(|| (values.iter().map(|s| s.ln()).sum::<f64>() / values.len() as f64).exp())
}

fn row(group: String, samples: &[&SampleRow]) -> SummaryRow {
    let n = samples.len().max(1) as f64;
    let count = |f: &dyn Fn(&SampleRow) -> bool| samples.iter().filter(|s| f(s)).count();
    let speedups = correct_speedups(samples, |s| s.speedup);
    let torch_speedups = correct_speedups(samples, |s| s.speedup_pytorch);
    let with_torch: Vec<&&SampleRow> = samples.iter().filter(|s| s.has_pytorch_baseline).collect();
    SummaryRow {
        group,
        samples: samples.len(),
        compile_rate: count(&|s| s.compiled) as f64 / n,
        correct_rate: count(&|s| s.correct) as f64 / n,
        fast_1: count(&|s| speedup_counts(s) && is_faster(s.speedup)) as f64 / n,
        geomean_speedup: geomean(&speedups),
        fast_1_pytorch: (!with_torch.is_empty()).then(|| {
            with_torch
                .iter()
                .filter(|s| speedup_counts(s) && is_faster(s.speedup_pytorch))
                .count() as f64
                / with_torch.len() as f64
        }),
        geomean_speedup_pytorch: geomean(&torch_speedups),
        roofline_flags: count(&|s| s.correct && s.faster_than_roofline == Some(true)),
        median_roofline_fraction: median(correct_speedups(samples, |s| s.roofline_fraction)),
    }
}

/// The samples as they stood after turn `turn`: for each (task, sample), its last turn
/// up to `turn`.
pub fn at_turn(samples: &[SampleRow], turn: usize) -> Vec<SampleRow> {
    let mut last: BTreeMap<(String, i64), &SampleRow> = BTreeMap::new();
    for s in samples.iter().filter(|s| s.turn as usize <= turn) {
        let key = (s.task_id.clone(), s.sample_index);
        if last.get(&key).is_none_or(|prev| prev.turn < s.turn) {
            last.insert(key, s);
        }
    }
    last.into_values().cloned().collect()
}

/// Whether a task id belongs to the paper's set (its category is one of the paper's
/// fourteen; attention tasks were added upstream after it).
fn in_paper_set(task_id: &str) -> bool {
    let category = task_id.split('/').next().unwrap_or("");
    Category::parse(category).is_none_or(Category::in_paper)
}

/// Per-category rows, then `all` over the paper's categories; when the run holds
/// tasks outside them (attention), a last `all + attention` row over every sample, so
/// that the paper's set is never mixed with tasks it does not have.
pub fn summarize(samples: &[SampleRow]) -> Vec<SummaryRow> {
    let mut by_category: BTreeMap<String, Vec<&SampleRow>> = BTreeMap::new();
    for s in samples {
        let category = s.task_id.split('/').next().unwrap_or("").to_string();
        by_category.entry(category).or_default().push(s);
    }
    let mut rows: Vec<SummaryRow> = by_category.into_iter().map(|(c, s)| row(c, &s)).collect();
    let paper: Vec<&SampleRow> = samples
        .iter()
        .filter(|s| in_paper_set(&s.task_id))
        .collect();
    if !paper.is_empty() {
        rows.push(row("all".into(), &paper));
    }
    if paper.len() < samples.len() {
        rows.push(row(
            "all + attention".into(),
            &samples.iter().collect::<Vec<_>>(),
        ));
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(task: &str, compiled: bool, correct: bool, speedup: Option<f64>) -> SampleRow {
        SampleRow {
            task_id: task.into(),
            sample_index: 0,
            turn: 1,
            outcome: if correct {
                crate::outcome::Outcome::Correct
            } else {
                crate::outcome::Outcome::Wrong
            },
            compiled,
            correct,
            fault: None,
            detail: None,
            kernel_median_s: None,
            speedup,
            speedup_pytorch: None,
            has_pytorch_baseline: false,
            network_isolated: None,
            filesystem_confined: None,
            reads_confined: None,
            signals_confined: None,
            syscalls_filtered: None,
            processes_hidden: None,
            unprivileged: None,
            faster_than_roofline: Some(false),
            roofline_fraction: None,
        }
    }

    #[test]
    fn rates_count_failures_against_and_geomean_only_correct() {
        let rows = summarize(&[
            sample("a/x", true, true, Some(2.0)),
            sample("a/y", true, true, Some(0.5)),
            sample("a/z", true, false, Some(100.0)),
            sample("b/w", false, false, None),
        ]);
        let a = &rows[0];
        assert_eq!(a.group, "a");
        assert_eq!(a.samples, 3);
        assert!((a.correct_rate - 2.0 / 3.0).abs() < 1e-12);
        assert!((a.fast_1 - 1.0 / 3.0).abs() < 1e-12);
        assert!((a.geomean_speedup.expect("some") - 1.0).abs() < 1e-12);
        let all = rows.last().expect("all row");
        assert_eq!(all.samples, 4);
        assert!((all.compile_rate - 0.75).abs() < 1e-12);
        assert!(rows[1].geomean_speedup.is_none());
        assert!(a.fast_1_pytorch.is_none(), "no task had a PyTorch baseline");
    }

    #[test]
    fn a_flagged_sample_never_counts_as_fast() {
        let mut constant = sample("loss/mse", true, true, Some(500.0));
        constant.faster_than_roofline = Some(true);
        let rows = summarize(&[constant, sample("loss/mse", true, true, Some(0.5))]);
        let all = rows.last().expect("all row");
        assert_eq!(all.fast_1, 0.0);
        assert!((all.geomean_speedup.expect("one unflagged") - 0.5).abs() < 1e-12);
        assert_eq!(all.roofline_flags, 1);
        assert_eq!(all.correct_rate, 1.0, "still correct, just not fast");
    }

    #[test]
    fn attention_stays_out_of_the_paper_sets_all_row() {
        let rows = summarize(&[
            sample("loss/mse", true, true, Some(2.0)),
            sample("attention/causal_attention", true, false, None),
        ]);
        let groups: Vec<&str> = rows.iter().map(|r| r.group.as_str()).collect();
        assert_eq!(groups, ["attention", "loss", "all", "all + attention"]);
        assert_eq!(rows[2].samples, 1);
        assert_eq!(rows[2].correct_rate, 1.0);
        assert_eq!(rows[3].samples, 2);
        assert_eq!(rows[3].correct_rate, 0.5);
    }
}
