//! The end-of-run summary: a table per category, the earlier turns of a repair run,
//! model usage and failures, and where the time went.

use super::{Event, Reporter, RunFinished};
use crate::metrics::SummaryRow;
use comfy_table::{Table, presets::ASCII_BORDERS_ONLY_CONDENSED};
use std::io::Write;

/// Prints the summary when the run finishes.
pub struct Summary<W: Write + Send> {
    out: W,
}

impl Summary<std::io::Stdout> {
    /// On standard output.
    pub fn stdout() -> Self {
        Summary {
            out: std::io::stdout(),
        }
    }
}

impl<W: Write + Send> Summary<W> {
    /// Into `out`.
    pub fn new(out: W) -> Self {
        Summary { out }
    }
}

fn pct(x: f64) -> String {
    format!("{:.1}%", 100.0 * x)
}

/// Whether the rows summarise an emulator's estimated times (no speedups then).
fn estimated(rows: &[SummaryRow]) -> bool {
    rows.iter().any(|r| r.median_roofline_fraction.is_some())
}

/// A column of the summary table: its header and how a row shows in it.
type Column = (&'static str, fn(&SummaryRow) -> String);

/// The columns: speedups for measured times, the roofline fraction for estimates.
fn columns(estimated: bool) -> Vec<Column> {
    fn speedup(g: Option<f64>) -> String {
        g.map_or("-".into(), |g| format!("{g:.2}x"))
    }
    let mut columns: Vec<Column> = vec![
        ("category", |r| r.group.clone()),
        ("samples", |r| r.samples.to_string()),
        ("compiled", |r| pct(r.compile_rate)),
        ("correct", |r| pct(r.correct_rate)),
    ];
    if estimated {
        columns.push(("roofline fraction (median, estimated)", |r| {
            r.median_roofline_fraction.map_or("-".into(), pct)
        }));
    } else {
        columns.extend::<[Column; 4]>([
            ("fast_1", |r| pct(r.fast_1)),
            ("speedup", |r| speedup(r.geomean_speedup)),
            ("fast_1 torch", |r| r.fast_1_pytorch.map_or("-".into(), pct)),
            ("speedup torch", |r| speedup(r.geomean_speedup_pytorch)),
        ]);
    }
    columns.push(("roofline flags", |r| r.roofline_flags.to_string()));
    columns
}

fn table(rows: &[SummaryRow]) -> Table {
    let columns = columns(estimated(rows));
    let mut table = Table::new();
    table
        .load_style(ASCII_BORDERS_ONLY_CONDENSED)
        .set_header(columns.iter().map(|(h, _)| *h).collect::<Vec<_>>());
    for r in rows {
        table.add_row(columns.iter().map(|(_, show)| show(r)).collect::<Vec<_>>());
    }
    table
}

/// The summary's text.
pub fn render(f: &RunFinished) -> String {
    let legend = if estimated(&f.summary) {
        "kernel times are the emulated device's cost-model estimates, not measurements, so \
         no speedup is computed; roofline fraction = the device's roofline time for the \
         task over the estimate, median over correct, unflagged kernels."
    } else {
        "speedup = geometric mean over correct kernels of Rust reference median / kernel \
         median; the torch columns use PyTorch eager on the same inputs, where it was timed. \
         fast_1 counts every sample, failures included."
    };
    let mut text = format!("run {}: {legend}\n{}\n", f.run_id, table(&f.summary));
    for (turn, r) in &f.earlier_turns {
        text.push_str(&format!(
            "after turn {turn}: compiled {}, correct {}, fast_1 {}\n",
            pct(r.compile_rate),
            pct(r.correct_rate),
            pct(r.fast_1)
        ));
    }
    let u = &f.usage;
    if u.input_tokens + u.output_tokens > 0 || u.cached > 0 {
        text.push_str(&format!(
            "model usage: {} input, {} output ({} reasoning) tokens spent, {:.1} s waiting{}; \
             {} answers from the cache (no cost)\n",
            u.input_tokens,
            u.output_tokens,
            u.reasoning_tokens,
            u.llm_seconds,
            u.cost_usd.map(|c| format!(", ${c:.4}")).unwrap_or_default(),
            u.cached
        ));
    }
    if f.model_failures > 0 {
        text.push_str(&format!(
            "model failures: {} of {} samples got no answer because the model call failed \
             (stored with outcome model_error and the reason)\n",
            f.model_failures, f.samples
        ));
    }
    let b = &f.sandbox;
    if b.workers > 0 {
        let all_held = [
            b.network_isolated,
            b.writes_confined,
            b.reads_confined,
            b.signals_confined,
            b.syscalls_filtered,
            b.processes_hidden,
            b.unprivileged,
        ]
        .iter()
        .all(|&n| n == b.workers);
        text.push_str(&format!(
            "sandbox{}: of {} workers, {} without network, {} writing only their job folder, \
             {} reading only their job's files, {} unable to signal or trace the harness, {} \
             under the system-call filter, {} seeing no process outside their own, {} not root\n",
            if all_held {
                ""
            } else {
                " (NOT every protection held on this machine)"
            },
            b.workers,
            b.network_isolated,
            b.writes_confined,
            b.reads_confined,
            b.signals_confined,
            b.syscalls_filtered,
            b.processes_hidden,
            b.unprivileged
        ));
    }
    let p = &f.phases;
    text.push_str(&format!(
        "time: wall {:.1} s; summed over tasks and samples: inputs {:.1} s, baselines {:.1} s, \
         compile {:.1} s, checks {:.1} s, timing {:.1} s, model {:.1} s{}\n",
        p.wall_s,
        p.inputs_s,
        p.baseline_s,
        p.compile_s,
        p.checks_s,
        p.timing_s,
        p.model_s,
        p.median_sample_s
            .map(|m| format!(
                "; median {m:.2} s per sample (its share of its task's inputs and baselines included)"
            ))
            .unwrap_or_default()
    ));
    text
}

impl<W: Write + Send> Reporter for Summary<W> {
    fn report(&mut self, event: &Event) {
        if let Event::RunFinished(f) = event {
            let _ = write!(self.out, "{}", render(f));
            let _ = self.out.flush();
        }
    }
}
