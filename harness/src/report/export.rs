//! `results.csv` and `results.json`: one record per stored sample turn with every field
//! a reader needs to recompute any metric (outcome, trials, kernel timings, both
//! speedups and the baselines' medians they came from, flags, tokens, cost), plus the
//! run's settings. JSON also lists each run's task set, so that a missing task can be
//! counted against it.

use super::{ReportError, RunData};
use crate::store::{ReportRunRow, ReportSampleRow, RunTaskRow};
use serde::Serialize;
use std::collections::BTreeMap;

/// The run's settings on each CSV line.
#[derive(Debug, Serialize)]
struct RunFields<'a> {
    model: &'a str,
    backend: &'a str,
    sizes: &'a str,
    strategy: &'a str,
    samples_per_task: i64,
}

/// The task's definition and baselines on each CSV line.
#[derive(Debug, Serialize)]
struct TaskFields<'a> {
    definition_hash: Option<&'a str>,
    reference_median_s: Option<f64>,
    pytorch_median_s: Option<f64>,
}

/// Every sample turn of every run, as CSV with a header line.
pub fn csv(runs: &[RunData]) -> Result<Vec<u8>, ReportError> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    for run in runs {
        let tasks: BTreeMap<&str, &RunTaskRow> = run
            .task_rows
            .iter()
            .map(|t| (t.task_id.as_str(), t))
            .collect();
        for sample in &run.samples {
            let task = tasks.get(sample.task_id.as_str());
            let settings = RunFields {
                model: &run.run.model,
                backend: &run.run.backend,
                sizes: &run.run.sizes,
                strategy: &run.run.strategy,
                samples_per_task: run.run.samples_per_task,
            };
            let baselines = TaskFields {
                definition_hash: task.map(|t| t.definition_hash.as_str()),
                reference_median_s: task.and_then(|t| t.reference_median_s),
                pytorch_median_s: task.and_then(|t| t.pytorch_median_s),
            };
            writer.serialize((settings, sample, baselines))?;
        }
    }
    writer
        .into_inner()
        .map_err(|e| ReportError::Csv(e.into_error().into()))
}

/// A run in `results.json`.
#[derive(Debug, Serialize)]
struct JsonRun<'a> {
    #[serde(flatten)]
    run: &'a ReportRunRow,
    in_progress: bool,
    tasks: &'a [RunTaskRow],
    samples: &'a [ReportSampleRow],
}

/// Every run with its task set and samples, as pretty JSON.
pub fn json(runs: &[RunData]) -> Result<Vec<u8>, ReportError> {
    let runs: Vec<JsonRun> = runs
        .iter()
        .map(|r| JsonRun {
            run: &r.run,
            in_progress: r.in_progress(),
            tasks: &r.task_rows,
            samples: &r.samples,
        })
        .collect();
    let mut bytes = serde_json::to_vec_pretty(&serde_json::json!({ "runs": runs }))?;
    bytes.push(b'\n');
    Ok(bytes)
}
