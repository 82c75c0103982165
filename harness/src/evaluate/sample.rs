//! Evaluating one sample, in stages the pipeline schedules separately: read the answer
//! and extract its code, compile, check correctness in one worker, time in another.
//! Each stage fills in the sample's record and says whether the next one is due.
//! Every stage returns `Err` only for problems of the harness or the toolchain, never
//! for anything the kernel does.

use super::compare::{Comparison, compare, trial_record};
use super::prepare::PreparedTask;
use crate::extract::extract_code;
use crate::models::Answer;
use crate::outcome::Outcome;
use crate::store::SampleRecord;
use kbench_backends::abi::{AlignedBuffer, fingerprint};
use kbench_backends::backend::OutputShape;
use kbench_backends::timing::{Stats, TimingPlan};
use kbench_backends::worker::{Job, Limits, WorkerOutcome, run_job};
use kbench_backends::{Backend, BackendError, Roofline};
use std::path::{Path, PathBuf};

/// Set this environment variable to keep the first job folder and stop, for debugging
/// a kernel by hand (`kbench __worker DIR`).
pub const KEEP_ENV: &str = "KBENCH_KEEP_JOB";

/// What every sample of a run shares.
pub struct RunContext {
    /// The backend.
    pub backend: std::sync::Arc<dyn Backend>,
    /// Compile cache.
    pub cache_dir: PathBuf,
    /// The `kbench` binary, re-executed as the worker.
    pub worker_exe: PathBuf,
    /// Worker limits.
    pub limits: Limits,
    /// Timing plan.
    pub plan: TimingPlan,
    /// Speed-of-light estimate.
    pub roofline: Roofline,
}

/// A new record for a sample's turn, with the answer's text and usage.
pub fn new_record(
    run_id: i64,
    task_id: &str,
    sample: usize,
    turn: usize,
    answer: &Option<Answer>,
) -> SampleRecord {
    SampleRecord {
        run_id,
        task_id: task_id.to_string(),
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
        outcome: Outcome::NoAnswer,
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
        reads_confined: None,
        signals_confined: None,
        worker_seconds: None,
        timing_seconds: None,
        trials: Vec::new(),
    }
}

/// Extracts the kernel code of the record's answer; `None` (and the outcome set) when
/// there is nothing to compile.
pub fn extract(rec: &mut SampleRecord, languages: &[&str]) -> Option<String> {
    let Some(answer) = rec.answer.as_deref() else {
        if rec.detail.is_none() {
            rec.detail = Some("the model gave no answer".into());
        }
        return None;
    };
    let Some(code) = extract_code(answer, languages) else {
        rec.outcome = Outcome::NoCode;
        rec.detail = Some("no code block found in the answer".into());
        return None;
    };
    rec.code = Some(code.clone());
    Some(code)
}

/// Compiles `code`; the artifact when it compiled.
pub fn compile(
    run: &RunContext,
    rec: &mut SampleRecord,
    code: &str,
) -> Result<Option<PathBuf>, BackendError> {
    let compiled = run.backend.compile(code, &run.cache_dir)?;
    rec.compile_log = Some(compiled.log.clone());
    rec.compile_key = Some(compiled.key.clone());
    rec.compile_cached = Some(compiled.cached);
    rec.compile_seconds = Some(compiled.seconds);
    match compiled.artifact.filter(|_| compiled.ok) {
        Some(artifact) => {
            rec.compiled = true;
            Ok(Some(std::path::absolute(&artifact).unwrap_or(artifact)))
        }
        None => {
            rec.outcome = Outcome::CompileError;
            rec.detail = Some(run.backend.compile_error_summary(&compiled.log));
            Ok(None)
        }
    }
}

/// A job folder with its worker's outcome. The folder is removed when this is dropped.
pub struct FinishedJob {
    dir: tempfile::TempDir,
    outcome: WorkerOutcome,
}

fn run_worker(
    run: &RunContext,
    task: &PreparedTask,
    artifact: &Path,
    rec: &SampleRecord,
    check: bool,
) -> Result<FinishedJob, BackendError> {
    let dir = tempfile::Builder::new()
        .prefix(&format!(
            "{}-{}-{}-",
            if check { "check" } else { "time" },
            rec.sample_index,
            rec.turn
        ))
        .tempdir_in(&task.dir)
        .map_err(BackendError::io("creating a job folder"))?;
    let job = Job {
        backend: run.backend.name().to_string(),
        artifact: artifact.to_path_buf(),
        sets: task.input_files.clone(),
        outputs: task
            .task
            .outputs
            .iter()
            .map(|o| OutputShape {
                dtype: o.dtype,
                shape: o.shape.clone(),
            })
            .collect(),
        check,
        timing: (!check).then_some(run.plan),
        parent_net_namespace: kbench_backends::worker::protocol::net_namespace(),
    };
    std::fs::write(
        dir.path().join(kbench_backends::worker::protocol::JOB_FILE),
        serde_json::to_vec(&job).map_err(|e| BackendError::Protocol(e.to_string()))?,
    )
    .map_err(BackendError::io("writing job.json"))?;
    let outcome = run_job(&run.worker_exe, &["__worker"], dir.path(), run.limits)?;
    if std::env::var_os(KEEP_ENV).is_some() {
        eprintln!("kept job folder {}", dir.keep().display());
        return Err(BackendError::Protocol(format!(
            "stopped after one job because {KEEP_ENV} is set"
        )));
    }
    Ok(FinishedJob { dir, outcome })
}

/// Compares the output files a worker named for `set` with the references. The files
/// are mapped, not read: a large task's outputs are never copied. A missing file, or one
/// of the wrong size or kind, compares as no bytes written. Also returns the files'
/// fingerprint when every file could be mapped.
fn compare_files(
    task: &PreparedTask,
    set: usize,
    dir: &Path,
    files: &[String],
) -> (Vec<Comparison>, Option<u64>) {
    let mapped: Vec<Option<AlignedBuffer>> = task.sets[set]
        .reference
        .iter()
        .enumerate()
        .map(|(k, reference)| {
            files
                .get(k)
                .filter(|f| is_plain_name(f))
                .and_then(|f| AlignedBuffer::map_file(&dir.join(f), reference.size_bytes()).ok())
        })
        .collect();
    let comparisons = task.sets[set]
        .reference
        .iter()
        .zip(&mapped)
        .map(|(reference, m)| {
            let bytes = m.as_ref().map_or(&[][..], AlignedBuffer::bytes);
            compare(bytes, reference, task.task.tolerance)
        })
        .collect();
    let all_mapped: Option<Vec<&AlignedBuffer>> = mapped.iter().map(Option::as_ref).collect();
    let print = all_mapped.map(|bufs| fingerprint(bufs.into_iter().map(AlignedBuffer::bytes)));
    (comparisons, print)
}

/// Stores a kernel whose outputs changed after `kb_forward` returned.
fn record_late_writes(rec: &mut SampleRecord, when: &str) {
    rec.outcome = Outcome::Fault;
    rec.correct = false;
    rec.fault = Some("work_after_return".into());
    rec.detail = Some(format!(
        "the outputs of {when} changed after kb_forward returned: work was left running \
         (a thread, or a later call finishing it)"
    ));
}

/// A file name inside the job folder: no separators, no `..`.
fn is_plain_name(name: &str) -> bool {
    !name.is_empty() && !name.contains('/') && name != "." && name != ".."
}

fn record_fault(rec: &mut SampleRecord, job: &FinishedJob) -> bool {
    let Err(fault) = &job.outcome.result else {
        return false;
    };
    rec.outcome = Outcome::Fault;
    rec.fault = Some(fault.label());
    let mut detail = serde_json::to_string(fault).unwrap_or_default();
    if !job.outcome.stderr_tail.is_empty() {
        detail.push_str("\nstderr:\n");
        detail.push_str(&job.outcome.stderr_tail);
    }
    rec.detail = Some(detail);
    true
}

fn status_fault(backend: &dyn Backend, status: i32) -> String {
    backend
        .status_fault(status)
        .map_or_else(|| format!("kernel_status_{status}"), str::to_string)
}

/// Runs the correctness calls in a worker and compares every output with the
/// reference. Returns whether every trial passed (then timing is due).
pub fn check(
    run: &RunContext,
    task: &PreparedTask,
    rec: &mut SampleRecord,
    artifact: &Path,
) -> Result<bool, BackendError> {
    let job = run_worker(run, task, artifact, rec, true)?;
    rec.worker_seconds = Some(job.outcome.wall_seconds);
    if record_fault(rec, &job) {
        return Ok(false);
    }
    let Ok(report) = &job.outcome.result else {
        return Ok(false);
    };
    rec.network_isolated = Some(report.network_isolated);
    rec.filesystem_confined = Some(report.filesystem_confined);
    rec.reads_confined = Some(report.reads_confined);
    rec.signals_confined = Some(report.signals_confined);
    let mut late_trial = None;
    for (i, trial) in report.trials.iter().enumerate() {
        let unchanged = task.input_digests.get(i) == Some(&trial.input_digest_after);
        let (comparisons, print) = compare_files(task, i, job.dir.path(), &trial.outputs);
        if print.is_some_and(|p| p != trial.outputs_fingerprint) && late_trial.is_none() {
            late_trial = Some(i);
        }
        rec.trials
            .push(trial_record(i, trial.status, unchanged, &comparisons));
    }
    if let Some(bad) = report.trials.iter().find(|t| t.status != 0) {
        rec.outcome = Outcome::Fault;
        rec.fault = Some(status_fault(run.backend.as_ref(), bad.status));
        rec.detail = Some(format!(
            "kb_forward returned {}\nstderr:\n{}",
            bad.status, job.outcome.stderr_tail
        ));
        return Ok(false);
    }
    if report.trials.len() < task.sets.len() {
        rec.outcome = Outcome::Fault;
        rec.fault = Some("missing_trials".into());
        rec.detail = Some(format!(
            "the worker reported {} of {} trials",
            report.trials.len(),
            task.sets.len()
        ));
        return Ok(false);
    }
    if let Some(i) = late_trial {
        record_late_writes(rec, &format!("trial {i}"));
        return Ok(false);
    }
    if let Some(t) = rec.trials.iter().find(|t| !t.passed) {
        rec.outcome = Outcome::Wrong;
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
        return Ok(false);
    }
    rec.outcome = Outcome::Correct;
    rec.correct = true;
    Ok(true)
}

/// Times a kernel that passed its checks in a worker of its own; [`judge_timing`] then
/// reads what it reported. Split so that the timing alone holds the whole machine.
pub fn run_timing(
    run: &RunContext,
    task: &PreparedTask,
    rec: &mut SampleRecord,
    artifact: &Path,
) -> Result<FinishedJob, BackendError> {
    let job = run_worker(run, task, artifact, rec, false)?;
    rec.timing_seconds = Some(job.outcome.wall_seconds);
    Ok(job)
}

/// Re-checks the outputs of the timed calls and computes the speedups and the roofline
/// flag from a finished timing job.
pub fn judge_timing(
    run: &RunContext,
    task: &PreparedTask,
    rec: &mut SampleRecord,
    job: FinishedJob,
) {
    if record_fault(rec, &job) {
        rec.correct = false;
        return;
    }
    let Some(timing) = job
        .outcome
        .result
        .as_ref()
        .ok()
        .and_then(|r| r.timing.as_ref())
    else {
        rec.outcome = Outcome::Fault;
        rec.correct = false;
        rec.fault = Some("no_timing".into());
        rec.detail = Some("the timing worker reported no timing".into());
        return;
    };
    if let Some(status) = timing.failed_status {
        rec.outcome = Outcome::Fault;
        rec.correct = false;
        rec.fault = Some(status_fault(run.backend.as_ref(), status));
        rec.detail = Some(format!("kb_forward returned {status} during timing"));
        return;
    }
    let mut late = false;
    let recheck_ok = timing.last_outputs.iter().enumerate().all(|(set, files)| {
        if files.is_empty() {
            return true;
        }
        let (comparisons, print) = compare_files(task, set, job.dir.path(), files);
        let reported = timing.last_fingerprints.get(set).copied().flatten();
        late |= print.is_some() && print != reported;
        comparisons.iter().all(|c| c.passed)
    });
    if late {
        record_late_writes(rec, "a timed call");
        return;
    }
    rec.timed_outputs_ok = Some(recheck_ok);
    if !recheck_ok {
        rec.outcome = Outcome::Wrong;
        rec.correct = false;
        rec.detail = Some("outputs of the timed calls differ from the reference".into());
        return;
    }
    if let Some(stats) = Stats::of(&timing.seconds) {
        rec.kernel = Some(stats);
        rec.speedup = task.baseline_median.map(|b| b / stats.median);
        rec.speedup_pytorch = task.pytorch_median.map(|b| b / stats.median);
        let cost = task.task.cost();
        rec.faster_than_roofline =
            Some(stats.median < run.roofline.floor_seconds(cost.flops, cost.bytes));
    }
}

/// Every stage in sequence, without the pipeline's scheduling (for `kbench bench`).
pub fn evaluate_sequentially(
    run: &RunContext,
    task: &PreparedTask,
    mut rec: SampleRecord,
) -> Result<SampleRecord, BackendError> {
    let Some(code) = extract(&mut rec, run.backend.languages()) else {
        return Ok(rec);
    };
    let Some(artifact) = compile(run, &mut rec, &code)? else {
        return Ok(rec);
    };
    if check(run, task, &mut rec, &artifact)? {
        let job = run_timing(run, task, &mut rec, &artifact)?;
        judge_timing(run, task, &mut rec, job);
    }
    Ok(rec)
}

#[cfg(test)]
mod tests {
    use super::is_plain_name;

    #[test]
    fn reported_output_files_stay_in_the_job_folder() {
        assert!(is_plain_name("out_s0_0.bin"));
        for bad in ["", ".", "..", "/etc/passwd", "../inputs/in_s0_0.bin", "a/b"] {
            assert!(!is_plain_name(bad), "{bad}");
        }
    }
}
