//! Evaluating one sample: extract, compile, run in a worker, compare, time.

use super::compare::{Comparison, compare, trial_record};
use super::roofline::Roofline;
use super::trials::TrialSet;
use crate::extract::extract_code;
use crate::models::Answer;
use crate::store::SampleRecord;
use kbench_backends::backend::OutputShape;
use kbench_backends::timing::{Stats, TimingPlan};
use kbench_backends::worker::{Job, Limits, TensorFile, run_job};
use kbench_backends::{Backend, BackendError};
use kbench_tasks::Task;
use std::path::{Path, PathBuf};

/// Set this environment variable to keep the first job folder and stop, for debugging
/// a kernel by hand (`kbench __worker DIR`).
pub const KEEP_ENV: &str = "KBENCH_KEEP_JOB";

/// Everything a sample's evaluation needs besides the answer.
pub struct SampleContext<'a> {
    /// The backend.
    pub backend: &'a dyn Backend,
    /// Source languages accepted by the extractor.
    pub languages: &'a [&'a str],
    /// The task.
    pub task: &'a Task,
    /// Trial inputs and references.
    pub sets: &'a [TrialSet],
    /// The inputs as files the worker reads.
    pub input_files: &'a [Vec<TensorFile>],
    /// Input digests per set, to detect kernels that write their inputs.
    pub input_digests: &'a [String],
    /// Compile cache.
    pub cache_dir: &'a Path,
    /// Where job folders go.
    pub scratch: &'a Path,
    /// The `kbench` binary, re-executed as the worker.
    pub worker_exe: &'a Path,
    /// Worker limits.
    pub limits: Limits,
    /// Timing plan.
    pub plan: TimingPlan,
    /// Rust reference median seconds.
    pub baseline_median: Option<f64>,
    /// PyTorch eager median seconds, where timed.
    pub pytorch_median: Option<f64>,
    /// Speed-of-light estimate.
    pub roofline: Roofline,
}

fn empty_record(
    run_id: i64,
    task: &Task,
    sample: usize,
    turn: usize,
    answer: &Option<Answer>,
) -> SampleRecord {
    SampleRecord {
        run_id,
        task_id: task.id(),
        sample_index: sample as i64,
        turn: turn as i64,
        prompt: answer.as_ref().and_then(|a| a.prompt.clone()),
        answer: answer.as_ref().map(|a| a.text.clone()),
        reasoning: answer.as_ref().and_then(|a| a.reasoning.clone()),
        input_tokens: answer.as_ref().and_then(|a| a.input_tokens),
        output_tokens: answer.as_ref().and_then(|a| a.output_tokens),
        reasoning_tokens: answer.as_ref().and_then(|a| a.reasoning_tokens),
        llm_seconds: answer.as_ref().and_then(|a| a.seconds),
        cost_usd: answer.as_ref().and_then(|a| a.cost_usd),
        llm_attempts: answer.as_ref().and_then(|a| a.attempts),
        from_cache: answer.as_ref().map(|a| a.cached),
        code: None,
        outcome: "no_answer".into(),
        compiled: false,
        correct: false,
        fault: None,
        detail: None,
        compile_log: None,
        compile_key: None,
        compile_cached: None,
        compile_seconds: None,
        kernel: None,
        timed_outputs_ok: None,
        speedup: None,
        speedup_pytorch: None,
        faster_than_roofline: None,
        network_isolated: None,
        filesystem_confined: None,
        worker_seconds: None,
        trials: Vec::new(),
    }
}

fn read_outputs(dir: &Path, files: &[String]) -> Vec<Vec<u8>> {
    files
        .iter()
        .map(|f| std::fs::read(dir.join(f)).unwrap_or_default())
        .collect()
}

fn compare_all(ctx: &SampleContext, set: usize, outputs: &[Vec<u8>]) -> Vec<Comparison> {
    ctx.sets[set]
        .reference
        .iter()
        .enumerate()
        .map(|(k, reference)| {
            let bytes = outputs.get(k).map_or(&[][..], Vec::as_slice);
            compare(bytes, reference, ctx.task.tolerance)
        })
        .collect()
}

/// Evaluates one answer. `Err` only for problems of the harness or toolchain, never
/// for anything the kernel does.
pub fn evaluate(
    ctx: &SampleContext,
    run_id: i64,
    sample: usize,
    turn: usize,
    answer: Option<Answer>,
) -> Result<SampleRecord, BackendError> {
    let mut rec = empty_record(run_id, ctx.task, sample, turn, &answer);
    let Some(answer) = answer else {
        rec.detail = Some("the model gave no answer".into());
        return Ok(rec);
    };
    let Some(code) = extract_code(&answer.text, ctx.languages) else {
        rec.outcome = "no_code".into();
        rec.detail = Some("no code block found in the answer".into());
        return Ok(rec);
    };
    rec.code = Some(code.clone());

    let compiled = ctx.backend.compile(&code, ctx.cache_dir)?;
    rec.compile_log = Some(compiled.log.clone());
    rec.compile_key = Some(compiled.key.clone());
    rec.compile_cached = Some(compiled.cached);
    rec.compile_seconds = Some(compiled.seconds);
    let Some(artifact) = compiled.artifact.filter(|_| compiled.ok) else {
        rec.outcome = "compile_error".into();
        rec.detail = Some(first_error_line(&compiled.log));
        return Ok(rec);
    };
    rec.compiled = true;

    let job_dir = tempfile::Builder::new()
        .prefix(&format!("sample-{sample}-"))
        .tempdir_in(ctx.scratch)
        .map_err(BackendError::io("creating a job folder"))?;
    let job = Job {
        backend: ctx.backend.name().to_string(),
        artifact: absolute(&artifact),
        sets: ctx.input_files.to_vec(),
        outputs: ctx
            .task
            .outputs
            .iter()
            .map(|o| OutputShape {
                dtype: o.dtype,
                shape: o.shape.clone(),
            })
            .collect(),
        timing: Some(ctx.plan),
        parent_net_namespace: kbench_backends::worker::protocol::net_namespace(),
    };
    std::fs::write(
        job_dir
            .path()
            .join(kbench_backends::worker::protocol::JOB_FILE),
        serde_json::to_vec(&job).map_err(|e| BackendError::Protocol(e.to_string()))?,
    )
    .map_err(BackendError::io("writing job.json"))?;
    let outcome = run_job(ctx.worker_exe, &["__worker"], job_dir.path(), ctx.limits)?;
    if std::env::var_os(KEEP_ENV).is_some() {
        eprintln!("kept job folder {}", job_dir.keep().display());
        return Err(BackendError::Protocol(format!(
            "stopped after one job because {KEEP_ENV} is set"
        )));
    }
    rec.worker_seconds = Some(outcome.wall_seconds);
    let report = match outcome.result {
        Ok(report) => report,
        Err(fault) => {
            rec.outcome = "fault".into();
            rec.fault = Some(fault.label());
            let mut detail = serde_json::to_string(&fault).unwrap_or_default();
            if !outcome.stderr_tail.is_empty() {
                detail.push_str("\nstderr:\n");
                detail.push_str(&outcome.stderr_tail);
            }
            rec.detail = Some(detail);
            return Ok(rec);
        }
    };
    rec.network_isolated = Some(report.network_isolated);
    rec.filesystem_confined = Some(report.filesystem_confined);

    for (i, trial) in report.trials.iter().enumerate() {
        let unchanged = ctx.input_digests.get(i) == Some(&trial.input_digest_after);
        let outputs = read_outputs(job_dir.path(), &trial.outputs);
        let comparisons = compare_all(ctx, i, &outputs);
        rec.trials
            .push(trial_record(i, trial.status, unchanged, &comparisons));
    }
    if let Some(bad) = report.trials.iter().find(|t| t.status != 0) {
        rec.outcome = "fault".into();
        rec.fault = Some(status_fault(bad.status));
        rec.detail = Some(format!(
            "kb_forward returned {}\nstderr:\n{}",
            bad.status, outcome.stderr_tail
        ));
        return Ok(rec);
    }
    if let Some(t) = rec.trials.iter().find(|t| !t.passed) {
        rec.outcome = "wrong".into();
        rec.detail = Some(if t.inputs_unchanged == Some(false) {
            format!("trial {}: the kernel modified its inputs", t.trial)
        } else {
            format!(
                "trial {}: {} elements out of tolerance; first: {}",
                t.trial,
                t.mismatches.unwrap_or(0),
                t.first_mismatch.clone().unwrap_or_default()
            )
        });
        return Ok(rec);
    }

    let Some(timing) = report.timing else {
        rec.outcome = "correct".into();
        rec.correct = true;
        return Ok(rec);
    };
    if let Some(status) = timing.failed_status {
        rec.outcome = "fault".into();
        rec.fault = Some(status_fault(status));
        rec.detail = Some(format!("kb_forward returned {status} during timing"));
        return Ok(rec);
    }
    let recheck_ok = timing.last_outputs.iter().enumerate().all(|(set, files)| {
        files.is_empty()
            || compare_all(ctx, set, &read_outputs(job_dir.path(), files))
                .iter()
                .all(|c| c.passed)
    });
    rec.timed_outputs_ok = Some(recheck_ok);
    if !recheck_ok {
        rec.outcome = "wrong".into();
        rec.detail = Some("outputs of the timed calls differ from the reference".into());
        return Ok(rec);
    }
    rec.outcome = "correct".into();
    rec.correct = true;
    if let Some(stats) = Stats::of(&timing.seconds) {
        rec.kernel = Some(stats);
        rec.speedup = ctx.baseline_median.map(|b| b / stats.median);
        rec.speedup_pytorch = ctx.pytorch_median.map(|b| b / stats.median);
        let cost = ctx.task.cost();
        rec.faster_than_roofline =
            Some(stats.median < ctx.roofline.floor_seconds(cost.flops, cost.bytes));
    }
    Ok(rec)
}

/// The fault label of a non-zero status: the exception guard's codes, or the kernel's.
fn status_fault(status: i32) -> String {
    match status {
        kbench_backends::cpu::STATUS_OUT_OF_MEMORY => "out_of_memory".into(),
        kbench_backends::cpu::STATUS_EXCEPTION => "exception".into(),
        other => format!("kernel_status_{other}"),
    }
}

fn absolute(path: &Path) -> PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf())
}

fn first_error_line(log: &str) -> String {
    log.lines()
        .find(|l| {
            (l.contains("error") || l.contains("undefined reference")) && !l.starts_with("collect2")
        })
        .or_else(|| log.lines().next())
        .unwrap_or("compile failed")
        .to_string()
}
