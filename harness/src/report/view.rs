//! What the pages show, computed once: per group of comparable runs, the leaderboard,
//! the per-category tables, the task-by-run grid and the charts' data.

use super::groups::Group;
use super::leaderboard::{
    Metrics, counted_roofline_fractions, counted_speedups, fast_p_curve, final_samples, metrics,
    roofline_curve,
};
use super::{RunData, task_link};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// One group of comparable runs, ready to render.
#[derive(Debug, Clone, Serialize)]
pub struct GroupView {
    /// 1-based group number.
    pub number: usize,
    /// Backend of its runs.
    pub backend: String,
    /// Size profile of its runs.
    pub sizes: String,
    /// Tasks in its task set.
    pub tasks: usize,
    /// Why it is apart from group 1 (empty for group 1).
    pub apart_because: Vec<String>,
    /// One row per run.
    pub leaderboard: Vec<RunRow>,
    /// Per category, one metrics row per run (same order as `leaderboard`).
    pub categories: Vec<CategoryView>,
    /// Task-by-run outcomes.
    pub grid: Vec<GridRow>,
    /// `p` values of the `fast_p` curves.
    pub fast_p_axis: Vec<f64>,
}

/// A run's leaderboard row.
#[derive(Debug, Clone, Serialize)]
pub struct RunRow {
    /// Run id.
    pub run_id: i64,
    /// Model spec.
    pub model: String,
    /// Backend.
    pub backend: String,
    /// Size profile.
    pub sizes: String,
    /// Exemplar strategy.
    pub strategy: String,
    /// Repair turns.
    pub turns: i64,
    /// Samples asked per task.
    pub samples_per_task: i64,
    /// Creation date (`YYYY-MM-DD`).
    pub date: String,
    /// Not finished.
    pub in_progress: bool,
    /// The metrics over the run's whole task set (final turns).
    pub metrics: Metrics,
    /// Prompt tokens (cached answers excluded).
    pub input_tokens: i64,
    /// Answer tokens (cached answers excluded).
    pub output_tokens: i64,
    /// Cost in US dollars, where prices are configured.
    pub cost_usd: Option<f64>,
    /// `fast_p` at each `p` of the group's axis.
    pub fast_p_curve: Vec<f64>,
    /// `pass@1` after each turn (one value for single-turn runs).
    pub pass_at_1_by_turn: Vec<f64>,
    /// Speedups of the correct, unflagged final samples.
    pub speedups: Vec<f64>,
    /// For a run whose kernel times are an emulator's estimates: the median fraction of
    /// the device's roofline over its correct, unflagged final samples (its tables show
    /// no speedup-based figure). `Some(None)` when estimated but nothing was correct.
    pub estimated_roofline: Option<Option<f64>>,
    /// Estimated runs: `fast_r` at each `r` of the group's roofline axis (empty for
    /// measured runs).
    pub roofline_curve: Vec<f64>,
    /// Estimated runs: the roofline fractions of the correct, unflagged final samples.
    pub roofline_fractions: Vec<f64>,
}

/// One category's rows.
#[derive(Debug, Clone, Serialize)]
pub struct CategoryView {
    /// Category name.
    pub category: String,
    /// One per run, in leaderboard order.
    pub rows: Vec<Metrics>,
}

/// One task's cells.
#[derive(Debug, Clone, Serialize)]
pub struct GridRow {
    /// Task id.
    pub task_id: String,
    /// One per run, in leaderboard order.
    pub cells: Vec<GridCell>,
}

/// One task of one run: its best final sample.
#[derive(Debug, Clone, Serialize)]
pub struct GridCell {
    /// `correct`, `fast` (correct and faster than the baseline), `flagged` (correct
    /// but faster than the roofline allows: never counted as fast), `wrong`, `compile`
    /// (did not compile), `fault`, `missing`.
    pub class: String,
    /// What the cell says: the best speedup, or the outcome.
    pub label: String,
    /// The page of the run's samples of the task, relative to `index.html`.
    pub link: Option<String>,
}

/// The `r` axis of the `fast_r` chart of estimated runs: 0 to 1 in steps of 0.05.
pub fn roofline_axis() -> Vec<f64> {
    (0..=20).map(|i| f64::from(i) * 0.05).collect()
}

/// The `p` axis of the `fast_p` chart: 0 to 3 in steps of 0.05.
fn fast_p_axis() -> Vec<f64> {
    (0..=60).map(|i| f64::from(i) * 0.05).collect()
}

/// The category of a task id.
fn category(task_id: &str) -> &str {
    task_id.split('/').next().unwrap_or("")
}

/// The views of every group.
pub fn build(runs: &[RunData], groups: &[Group]) -> Vec<GroupView> {
    groups
        .iter()
        .enumerate()
        .map(|(i, g)| group_view(i + 1, runs, g))
        .collect()
}

fn group_view(number: usize, runs: &[RunData], group: &Group) -> GroupView {
    let members: Vec<&RunData> = group.runs.iter().map(|&i| &runs[i]).collect();
    let first = members[0];
    let task_ids: Vec<&str> = first.tasks.keys().map(String::as_str).collect();
    let axis = fast_p_axis();
    let finals: Vec<_> = members
        .iter()
        .map(|r| final_samples(&r.samples, None))
        .collect();
    let leaderboard = members
        .iter()
        .zip(&finals)
        .map(|(r, by_task)| run_row(r, by_task, &task_ids, &axis))
        .collect();
    let categories: BTreeSet<&str> = task_ids.iter().map(|t| category(t)).collect();
    let categories = categories
        .into_iter()
        .map(|c| {
            let in_category: Vec<&str> = task_ids
                .iter()
                .copied()
                .filter(|t| category(t) == c)
                .collect();
            CategoryView {
                category: c.to_string(),
                rows: members
                    .iter()
                    .zip(&finals)
                    .map(|(r, by_task)| {
                        metrics(&in_category, by_task, r.run.samples_per_task as usize)
                    })
                    .collect(),
            }
        })
        .collect();
    let grid = task_ids
        .iter()
        .map(|t| GridRow {
            task_id: t.to_string(),
            cells: members
                .iter()
                .zip(&finals)
                .map(|(r, by_task)| cell(r.run.id, t, by_task.get(t).map(Vec::as_slice)))
                .collect(),
        })
        .collect();
    GroupView {
        number,
        backend: first.run.backend.clone(),
        sizes: first.run.sizes.clone(),
        tasks: task_ids.len(),
        apart_because: group.apart_because.clone(),
        leaderboard,
        categories,
        grid,
        fast_p_axis: axis,
    }
}

fn run_row(
    run: &RunData,
    by_task: &BTreeMap<&str, Vec<&crate::store::ReportSampleRow>>,
    tasks: &[&str],
    axis: &[f64],
) -> RunRow {
    let asked = run.run.samples_per_task as usize;
    let uncached = run.samples.iter().filter(|s| s.from_cache != Some(true));
    let (mut input_tokens, mut output_tokens, mut cost, mut priced) = (0, 0, 0.0, false);
    for s in uncached {
        input_tokens += s.input_tokens.unwrap_or(0);
        output_tokens += s.output_tokens.unwrap_or(0);
        if let Some(c) = s.cost_usd {
            cost += c;
            priced = true;
        }
    }
    let turns = run.run.turns.max(1);
    let pass_at_1_by_turn = (1..=turns)
        .map(|t| {
            let at = final_samples(&run.samples, Some(t));
            metrics(tasks, &at, asked).pass_at_1
        })
        .collect();
    let m = metrics(tasks, by_task, asked);
    let speedups = counted_speedups(by_task.values().flatten());
    let estimated = run.samples.iter().any(|s| s.time_estimated == Some(true));
    let roofline_fractions = if estimated {
        counted_roofline_fractions(by_task.values().flatten())
    } else {
        Vec::new()
    };
    let estimated_roofline = estimated.then(|| super::leaderboard::median(&roofline_fractions));
    let roofline_curve = if estimated {
        roofline_curve(tasks, by_task, asked, &roofline_axis())
    } else {
        Vec::new()
    };
    RunRow {
        run_id: run.run.id,
        model: run.run.model.clone(),
        backend: run.run.backend.clone(),
        sizes: run.run.sizes.clone(),
        strategy: run.run.strategy.clone(),
        turns: run.run.turns,
        samples_per_task: run.run.samples_per_task,
        date: run.run.created_at.chars().take(10).collect(),
        in_progress: run.in_progress(),
        metrics: m,
        input_tokens,
        output_tokens,
        cost_usd: priced.then_some(cost),
        fast_p_curve: fast_p_curve(tasks, by_task, asked, axis),
        pass_at_1_by_turn,
        speedups,
        estimated_roofline,
        roofline_curve,
        roofline_fractions,
    }
}

/// The cell of task `task` of run `run`: its best final sample (correct and fastest
/// first).
fn cell(run: i64, task: &str, samples: Option<&[&crate::store::ReportSampleRow]>) -> GridCell {
    let link = Some(task_link(run, task));
    let Some(samples) = samples.filter(|s| !s.is_empty()) else {
        return GridCell {
            class: "missing".into(),
            label: "-".into(),
            link: None,
        };
    };
    let best_speedup = samples
        .iter()
        .filter(|s| s.correct && s.faster_than_roofline != Some(true))
        .filter_map(|s| s.speedup)
        .max_by(f64::total_cmp);
    if let Some(x) = best_speedup {
        return GridCell {
            class: if x > 1.0 { "fast" } else { "correct" }.into(),
            label: format!("{x:.2}x"),
            link,
        };
    }
    let outcome = if samples
        .iter()
        .any(|s| s.correct && s.faster_than_roofline == Some(true))
    {
        "flagged"
    } else if samples.iter().any(|s| s.correct) {
        "correct"
    } else if samples.iter().any(|s| s.outcome == "wrong") {
        "wrong"
    } else if samples.iter().any(|s| s.outcome == "fault") {
        "fault"
    } else {
        "compile"
    };
    let label = samples
        .iter()
        .map(|s| s.outcome.as_str())
        .find(|o| *o == outcome || outcome == "compile")
        .unwrap_or(outcome)
        .replace('_', " ");
    GridCell {
        class: outcome.into(),
        label,
        link,
    }
}
