//! `index.html` (one self-contained page: styles, script and charts inline, no network)
//! and one page per run and task with the samples behind a grid cell.

use super::markdown::{
    CATEGORY_COLUMNS, Cell, LEADERBOARD_COLUMNS, category_cells, leaderboard_cells, speedup,
};
use super::svg;
use super::view::{GroupView, RunRow, roofline_axis};
use super::{ReportError, RunData, create_dir, task_slug, write_file};
use crate::store::{SampleTextRow, Store, TrialRow};
use minijinja::Environment;
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

const INDEX: &str = include_str!("templates/index.html");
const SAMPLE: &str = include_str!("templates/sample.html");
const STYLE: &str = include_str!("templates/report.css");
const SCRIPT: &str = include_str!("templates/sort.js");

/// The templates, auto-escaping (their names end in `.html`).
fn environment() -> Result<Environment<'static>, ReportError> {
    let mut env = Environment::new();
    env.add_template("index.html", INDEX)?;
    env.add_template("sample.html", SAMPLE)?;
    Ok(env)
}

/// A leaderboard row of the page.
#[derive(Debug, Serialize)]
struct PageRow {
    run_id: i64,
    in_progress: bool,
    cells: Vec<Cell>,
}

/// A category table of the page.
#[derive(Debug, Serialize)]
struct PageCategory {
    category: String,
    rows: Vec<Vec<Cell>>,
}

/// A group as the page shows it.
#[derive(Debug, Serialize)]
struct PageGroup<'a> {
    number: usize,
    backend: &'a str,
    sizes: &'a str,
    tasks: usize,
    apart_because: &'a [String],
    rows: Vec<PageRow>,
    categories: Vec<PageCategory>,
    grid: &'a [super::view::GridRow],
    category_chart: String,
    fast_chart: String,
    fast_caption: &'static str,
    distribution_chart: String,
    distribution_caption: &'static str,
    turn_chart: Option<String>,
}

fn page_group(g: &GroupView) -> PageGroup<'_> {
    let label = |r: &RunRow| format!("#{} {}", r.run_id, r.model);
    let rows = g
        .leaderboard
        .iter()
        .map(|r| PageRow {
            run_id: r.run_id,
            in_progress: r.in_progress,
            cells: leaderboard_cells(r),
        })
        .collect();
    let categories = g
        .categories
        .iter()
        .map(|c| PageCategory {
            category: c.category.clone(),
            rows: g
                .leaderboard
                .iter()
                .zip(&c.rows)
                .map(|(r, m)| category_cells(r, m))
                .collect(),
        })
        .collect();
    let names: Vec<String> = g.categories.iter().map(|c| c.category.clone()).collect();
    let per_category: Vec<(String, Vec<f64>)> = g
        .leaderboard
        .iter()
        .enumerate()
        .map(|(i, r)| {
            (
                label(r),
                g.categories.iter().map(|c| c.rows[i].pass_at_1).collect(),
            )
        })
        .collect();
    // An emulator's estimated times give no speedups: its charts are the roofline
    // fraction's instead (fast_r, and the distribution of the fractions).
    let estimated = g.leaderboard.iter().any(|r| r.estimated_roofline.is_some());
    let per_run = |f: fn(&RunRow) -> &Vec<f64>| -> Vec<(String, Vec<f64>)> {
        g.leaderboard
            .iter()
            .map(|r| (label(r), f(r).clone()))
            .collect()
    };
    let (fast_chart, fast_caption, distribution_chart, distribution_caption) = if estimated {
        (
            svg::lines(
                "fast_r against r",
                &roofline_axis(),
                "r (fraction of the roofline, estimated)",
                &per_run(|r| &r.roofline_curve),
            ),
            "fast_r against r (correct and at least r of the roofline; estimated times)",
            svg::roofline_histogram(
                "roofline fraction distribution",
                &per_run(|r| &r.roofline_fractions),
            ),
            "Roofline fraction distribution (correct samples; estimated times)",
        )
    } else {
        (
            svg::lines(
                "fast_p against p",
                &g.fast_p_axis,
                "p (speedup threshold)",
                &per_run(|r| &r.fast_p_curve),
            ),
            "fast_p against p",
            svg::speedup_histogram("speedup distribution", &per_run(|r| &r.speedups)),
            "Speedup distribution (correct samples)",
        )
    };
    // Every run of the group (a single-turn run is one point), so colours match the
    // other charts; drawn only when a run of the group repaired.
    let turn_chart = g.leaderboard.iter().any(|r| r.turns > 1).then(|| {
        let most = g.leaderboard.iter().map(|r| r.turns).max().unwrap_or(1);
        let axis: Vec<f64> = (1..=most).map(|t| t as f64).collect();
        let series: Vec<(String, Vec<f64>)> = g
            .leaderboard
            .iter()
            .map(|r| (label(r), r.pass_at_1_by_turn.clone()))
            .collect();
        svg::lines("pass@1 per turn", &axis, "turn", &series)
    });
    PageGroup {
        number: g.number,
        backend: &g.backend,
        sizes: &g.sizes,
        tasks: g.tasks,
        apart_because: &g.apart_because,
        rows,
        categories,
        grid: &g.grid,
        category_chart: svg::grouped_bars("pass@1 per category", &names, &per_category),
        fast_chart,
        fast_caption,
        distribution_chart,
        distribution_caption,
        turn_chart,
    }
}

/// The index page of every group.
pub fn index(groups: &[GroupView]) -> Result<String, ReportError> {
    let env = environment()?;
    let page_groups: Vec<PageGroup> = groups.iter().map(page_group).collect();
    Ok(env
        .get_template("index.html")?
        .render(minijinja::context! {
            groups => minijinja::Value::from(minijinja::value::Serde(&page_groups)),
            leaderboard_columns => LEADERBOARD_COLUMNS,
            category_columns => CATEGORY_COLUMNS,
            style => STYLE,
            script => SCRIPT,
        })?)
}

/// One sample turn on its task's page.
#[derive(Debug, Serialize)]
struct PageSample<'a> {
    sample_index: i64,
    turn: i64,
    outcome: &'a str,
    class: &'a str,
    fault: Option<&'a str>,
    detail: Option<&'a str>,
    trials: i64,
    trials_passed: i64,
    kernel_median: String,
    speedup: String,
    speedup_pytorch: String,
    tokens: String,
    trial_rows: Vec<TrialCells>,
    code: Option<&'a str>,
    compile_log: Option<&'a str>,
    answer: Option<&'a str>,
    reasoning: Option<&'a str>,
}

/// A trial as its page's table shows it (`-` where a value is missing).
#[derive(Debug, Serialize)]
struct TrialCells {
    trial: i64,
    passed: &'static str,
    max_abs_err: String,
    max_e: String,
    mismatches: String,
    first_mismatch: String,
}

impl TrialCells {
    fn of(t: &TrialRow) -> TrialCells {
        let number = |x: Option<f64>| x.map_or_else(|| "-".into(), |x| format!("{x:.3e}"));
        TrialCells {
            trial: t.trial,
            passed: if t.passed { "yes" } else { "no" },
            max_abs_err: number(t.max_abs_err),
            max_e: number(t.max_e),
            mismatches: t.mismatches.map_or_else(|| "-".into(), |m| m.to_string()),
            first_mismatch: t.first_mismatch.clone().unwrap_or_else(|| "-".into()),
        }
    }
}

/// Writes `samples/run-<id>/<task>.html` for every task of every run with samples;
/// returns the files.
pub async fn sample_pages(
    store: &Store,
    runs: &[RunData],
    out: &Path,
) -> Result<Vec<PathBuf>, ReportError> {
    let env = environment()?;
    let template = env.get_template("sample.html")?;
    let mut files = Vec::new();
    for run in runs {
        let dir = out.join("samples").join(format!("run-{}", run.run.id));
        create_dir(&dir)?;
        let texts = store.run_texts(run.run.id).await?;
        let trials = store.run_trials(run.run.id).await?;
        let text_of: BTreeMap<(&str, i64, i64), &SampleTextRow> = texts
            .iter()
            .map(|t| ((t.task_id.as_str(), t.sample_index, t.turn), t))
            .collect();
        let mut trials_of: BTreeMap<(&str, i64, i64), Vec<&TrialRow>> = BTreeMap::new();
        for t in &trials {
            trials_of
                .entry((t.task_id.as_str(), t.sample_index, t.turn))
                .or_default()
                .push(t);
        }
        let mut by_task: BTreeMap<&str, Vec<PageSample>> = BTreeMap::new();
        for s in &run.samples {
            let key = (s.task_id.as_str(), s.sample_index, s.turn);
            let text = text_of.get(&key);
            let tokens = match (s.input_tokens, s.output_tokens) {
                (None, None) => "-".to_string(),
                (i, o) => format!(
                    "{} in, {} out, {} reasoning",
                    i.unwrap_or(0),
                    o.unwrap_or(0),
                    s.reasoning_tokens.unwrap_or(0)
                ),
            };
            by_task.entry(&s.task_id).or_default().push(PageSample {
                sample_index: s.sample_index,
                turn: s.turn,
                outcome: &s.outcome,
                class: if s.correct { "correct" } else { "wrong" },
                fault: s.fault.as_deref(),
                detail: text.and_then(|t| t.detail.as_deref()),
                trials: s.trials,
                trials_passed: s.trials_passed,
                kernel_median: s
                    .kernel_median_s
                    .map_or_else(|| "-".into(), |x| format!("{:.3} ms", x * 1e3)),
                speedup: speedup(s.speedup),
                speedup_pytorch: speedup(s.speedup_pytorch),
                tokens,
                trial_rows: trials_of
                    .remove(&key)
                    .unwrap_or_default()
                    .into_iter()
                    .map(TrialCells::of)
                    .collect(),
                code: text.and_then(|t| t.code.as_deref()),
                compile_log: text.and_then(|t| t.compile_log.as_deref()),
                answer: text.and_then(|t| t.answer.as_deref()),
                reasoning: text.and_then(|t| t.reasoning.as_deref()),
            });
        }
        for (task, samples) in by_task {
            let page = template.render(minijinja::context! {
                task_id => task,
                run_id => run.run.id,
                model => &run.run.model,
                backend => &run.run.backend,
                sizes => &run.run.sizes,
                samples => minijinja::Value::from(minijinja::value::Serde(&samples)),
                style => STYLE,
            })?;
            let path = dir.join(format!("{}.html", task_slug(task)));
            write_file(&path, page.as_bytes())?;
            files.push(path);
        }
    }
    Ok(files)
}
