//! `report.md`: the leaderboard and the per-category tables of every group, in
//! Markdown, for a README or a pull request.

use super::leaderboard::Metrics;
use super::view::{GroupView, RunRow};
use std::fmt::Write;

/// A share as a percentage with one decimal.
pub fn percent(x: f64) -> String {
    format!("{:.1}%", x * 100.0)
}

/// A speedup with two decimals, or `-`.
pub fn speedup(x: Option<f64>) -> String {
    x.map_or_else(|| "-".into(), |x| format!("{x:.2}x"))
}

/// A cost in dollars, or `-`.
pub fn dollars(x: Option<f64>) -> String {
    x.map_or_else(|| "-".into(), |x| format!("${x:.2}"))
}

/// The run's label in tables: `#id model`, marked while in progress.
pub fn run_label(r: &RunRow) -> String {
    let mut label = format!("#{} {}", r.run_id, r.model);
    if r.in_progress {
        label.push_str(" (in progress)");
    }
    label
}

/// `pass@k` as `value (k=K)`, or `-` with one sample per task.
pub fn pass_at_k(m: &Metrics) -> String {
    m.pass_at_k
        .map_or_else(|| "-".into(), |(k, v)| format!("{} (k={k})", percent(v)))
}

/// The leaderboard's column names, shared with the HTML page.
pub const LEADERBOARD_COLUMNS: [&str; 17] = [
    "run",
    "backend",
    "sizes",
    "strategy",
    "turns",
    "date",
    "tasks",
    "compile@1",
    "pass@1",
    "pass@k",
    "fast_0",
    "fast_1",
    "fast_1.5",
    "fast_2",
    "geomean",
    "median",
    "tokens / cost",
];

/// A table cell: what it shows and the value it sorts by (a number where the column
/// is numeric, `-1` where the value is missing, else the text).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Cell {
    /// Shown.
    pub text: String,
    /// Sorted by.
    pub sort: String,
}

impl Cell {
    /// A text cell, sorted by its text.
    fn text(text: String) -> Cell {
        Cell {
            sort: text.clone(),
            text,
        }
    }

    /// A number cell, shown by `show`.
    fn number(value: Option<f64>, show: impl Fn(Option<f64>) -> String) -> Cell {
        Cell {
            text: show(value),
            sort: value.map_or_else(|| "-1".into(), |x| format!("{x}")),
        }
    }
}

/// A share as a cell.
fn rate(x: f64) -> Cell {
    Cell::number(Some(x), |x| percent(x.unwrap_or(0.0)))
}

/// The leaderboard cells of a run, in [`LEADERBOARD_COLUMNS`] order.
pub fn leaderboard_cells(r: &RunRow) -> Vec<Cell> {
    let m = &r.metrics;
    let mut cells = vec![
        Cell {
            text: run_label(r),
            sort: r.run_id.to_string(),
        },
        Cell::text(r.backend.clone()),
        Cell::text(r.sizes.clone()),
        Cell::text(r.strategy.clone()),
        Cell::number(Some(r.turns as f64), |_| r.turns.to_string()),
        Cell::text(r.date.clone()),
        Cell::number(Some(m.tasks as f64), |_| m.tasks.to_string()),
        rate(m.compile_at_1),
        rate(m.pass_at_1),
        Cell::number(m.pass_at_k.map(|(_, v)| v), |_| pass_at_k(m)),
    ];
    match r.estimated_roofline {
        Some(roofline) => {
            // Estimated times: correctness (fast_0) only, then the roofline fraction.
            cells.extend(m.fast.iter().take(1).map(|&f| rate(f)));
            cells.extend((1..m.fast.len() + 1).map(|_| estimated()));
            cells.push(Cell::number(roofline, |x| {
                x.map_or("-".into(), |x| format!("roofline {} (est.)", percent(x)))
            }));
        }
        None => {
            cells.extend(m.fast.iter().map(|&f| rate(f)));
            cells.push(Cell::number(m.geomean_speedup, speedup));
            cells.push(Cell::number(m.median_speedup, speedup));
        }
    }
    cells.push(Cell {
        text: format!(
            "{} in / {} out, {}",
            r.input_tokens,
            r.output_tokens,
            dollars(r.cost_usd)
        ),
        sort: (r.input_tokens + r.output_tokens).to_string(),
    });
    cells
}

/// The per-category columns.
pub const CATEGORY_COLUMNS: [&str; 7] = [
    "run",
    "tasks",
    "compile@1",
    "pass@1",
    "fast_1",
    "geomean",
    "median",
];

/// A run's cells in a category table.
pub fn category_cells(r: &RunRow, m: &Metrics) -> Vec<Cell> {
    let speedup_based = if r.estimated_roofline.is_some() {
        [estimated(), estimated(), estimated()]
    } else {
        [
            rate(m.fast[1]),
            Cell::number(m.geomean_speedup, speedup),
            Cell::number(m.median_speedup, speedup),
        ]
    };
    let mut cells = vec![
        Cell {
            text: run_label(r),
            sort: r.run_id.to_string(),
        },
        Cell::number(Some(m.tasks as f64), |_| m.tasks.to_string()),
        rate(m.compile_at_1),
        rate(m.pass_at_1),
    ];
    cells.extend(speedup_based);
    cells
}

/// The cell of a speedup-based figure for a run whose times are estimates.
fn estimated() -> Cell {
    Cell {
        text: "n/a (estimated)".into(),
        sort: "-1".into(),
    }
}

/// One Markdown table.
fn table(out: &mut String, header: &[&str], rows: impl Iterator<Item = Vec<Cell>>) {
    let _ = writeln!(out, "| {} |", header.join(" | "));
    let _ = writeln!(out, "|{}", "---|".repeat(header.len()));
    for row in rows {
        let escaped: Vec<String> = row.iter().map(|c| c.text.replace('|', "\\|")).collect();
        let _ = writeln!(out, "| {} |", escaped.join(" | "));
    }
}

/// The whole Markdown report.
pub fn render(groups: &[GroupView]) -> String {
    let mut out = String::from("# kbench report\n\n");
    out.push_str(
        "Rates are over every task of a run's task set (a missing or failed sample counts \
         against); speedups are over the Rust reference, from correct samples not flagged \
         as faster than the roofline.\n",
    );
    for g in groups {
        let _ = write!(
            out,
            "\n## Group {}: {} backend, {} sizes, {} tasks\n\n",
            g.number, g.backend, g.sizes, g.tasks
        );
        if !g.apart_because.is_empty() {
            let _ = writeln!(
                out,
                "Not comparable with group 1: {}.\n",
                g.apart_because.join("; ")
            );
        }
        table(
            &mut out,
            &LEADERBOARD_COLUMNS,
            g.leaderboard.iter().map(leaderboard_cells),
        );
        for c in &g.categories {
            let _ = write!(out, "\n### {}\n\n", c.category);
            table(
                &mut out,
                &CATEGORY_COLUMNS,
                g.leaderboard
                    .iter()
                    .zip(&c.rows)
                    .map(|(r, m)| category_cells(r, m)),
            );
        }
    }
    out
}
