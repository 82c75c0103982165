//! Evaluating one sample, in stages the pipeline schedules separately: read the answer
//! and extract its code, compile, check correctness in one worker, time in another.
//! Each stage fills in the sample's record and says whether the next one is due.
//! Every stage returns `Err` only for problems of the harness or the toolchain, never
//! for anything the kernel does.

use super::compare::{Comparison, compare, trial_record};
use super::prepare::PreparedTask;
use super::timed_calls::{CheckInputs, TimedCalls, clock_disagreement};
use crate::extract::extract_code;
use crate::models::Answer;
use crate::outcome::Outcome;
use crate::store::SampleRecord;
use kbench_backends::Clock;
use kbench_backends::abi::{AlignedBuffer, fingerprint};
use kbench_backends::backend::OutputShape;
use kbench_backends::timing::{Stats, TimingPlan};
use kbench_backends::worker::protocol::{self, kept_file};
use kbench_backends::worker::{Conversation, Job, Limits, WorkerOutcome, run_job};
use kbench_backends::{Backend, BackendError, Baseline, Roofline};
use kbench_tasks::{HostTensor, Tolerance};
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
        finish_reason: answer.as_ref().and_then(|a| a.finish_reason.clone()),
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
        time_estimated: None,
        roofline_fraction: None,
        network_isolated: None,
        filesystem_confined: None,
        reads_confined: None,
        signals_confined: None,
        syscalls_filtered: None,
        processes_hidden: None,
        unprivileged: None,
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
    conversation: Option<&mut dyn Conversation>,
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
    let artifact = hand_over(dir.path(), artifact)?;
    let job = Job {
        backend: run.backend.name().to_string(),
        readable: run.backend.worker_readable(),
        artifact,
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
        parent_net_namespace: protocol::net_namespace(),
        task: kbench_tasks::registry::key_of(task.task),
        sizes: task.task.profile,
    };
    let job_file = dir.path().join(protocol::JOB_FILE);
    std::fs::write(
        &job_file,
        serde_json::to_vec(&job).map_err(|e| BackendError::Protocol(e.to_string()))?,
    )
    .and_then(|()| protocol::set_mode(&job_file, protocol::WORKER_READABLE_MODE))
    .map_err(BackendError::io("writing job.json"))?;
    let outcome = run_job(
        &run.worker_exe,
        &["__worker"],
        dir.path(),
        run.limits,
        conversation,
    )?;
    if std::env::var_os(KEEP_ENV).is_some() {
        eprintln!("kept job folder {}", dir.keep().display());
        return Err(BackendError::Protocol(format!(
            "stopped after one job because {KEEP_ENV} is set"
        )));
    }
    Ok(FinishedJob { dir, outcome })
}

/// Makes `dir` the worker's: a copy of the kernel inside it (the compile cache may sit
/// where the worker cannot read), and, when the harness is root, the folder given to
/// the unprivileged user the worker becomes. Returns the kernel's path in `dir`.
fn hand_over(dir: &Path, artifact: &Path) -> Result<PathBuf, BackendError> {
    let local = dir.join("kernel.so");
    std::fs::copy(artifact, &local).map_err(BackendError::io("copying the kernel"))?;
    let stays_root = protocol::Relaxed::from_env()?.contains(&protocol::Relaxed::User);
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } == 0 && !stays_root {
        let id = protocol::UNPRIVILEGED_ID;
        std::os::unix::fs::chown(dir, Some(id), Some(id))
            .map_err(BackendError::io("giving the job folder to the worker"))?;
    }
    Ok(local)
}

/// Compares the output files a worker named with `references`. The files are mapped,
/// not read: a large task's outputs are never copied. A missing file, or one of the
/// wrong size or kind, compares as no bytes written. Also returns the files'
/// fingerprint when every file could be mapped.
fn compare_files(
    references: &[HostTensor],
    tolerance: Tolerance,
    dir: &Path,
    files: &[String],
) -> (Vec<Comparison>, Option<u64>) {
    let mapped: Vec<Option<AlignedBuffer>> = references
        .iter()
        .enumerate()
        .map(|(k, reference)| {
            files
                .get(k)
                .filter(|f| is_plain_name(f))
                .and_then(|f| AlignedBuffer::map_file(&dir.join(f), reference.size_bytes()).ok())
        })
        .collect();
    let comparisons = references
        .iter()
        .zip(&mapped)
        .map(|(reference, m)| {
            let bytes = m.as_ref().map_or(&[][..], AlignedBuffer::bytes);
            compare(bytes, reference, tolerance)
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

/// The detail of a failing status: its value, with the harness's own explanation (a
/// `kbench: ` line of the worker's, e.g. the device's error or the exception caught)
/// on the first line, then the worker's stderr.
fn status_detail(status: i32, stderr_tail: &str) -> String {
    let why = stderr_tail
        .lines()
        .rev()
        .find_map(|l| l.strip_prefix("kbench: "))
        .map_or_else(String::new, |w| format!(" ({w})"));
    format!("kb_forward returned {status}{why}\nstderr:\n{stderr_tail}")
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
    let job = run_worker(run, task, artifact, rec, true, None)?;
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
    rec.syscalls_filtered = Some(report.syscalls_filtered);
    rec.processes_hidden = Some(report.processes_hidden);
    rec.unprivileged = Some(report.unprivileged);
    let mut late_trial = None;
    for (i, trial) in report.trials.iter().enumerate() {
        let unchanged = task.input_digests.get(i) == Some(&trial.input_digest_after);
        let reference = &task.sets[i].reference;
        let (comparisons, print) = compare_files(
            reference,
            task.task.tolerance,
            job.dir.path(),
            &trial.outputs,
        );
        if print.is_some_and(|p| p != trial.outputs_fingerprint) && late_trial.is_none() {
            late_trial = Some(i);
        }
        rec.trials
            .push(trial_record(i, trial.status, unchanged, &comparisons));
    }
    if let Some(bad) = report.trials.iter().find(|t| t.status != 0) {
        rec.outcome = Outcome::Fault;
        rec.fault = Some(status_fault(run.backend.as_ref(), bad.status));
        rec.detail = Some(status_detail(bad.status, &job.outcome.stderr_tail));
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

/// A finished timing job with the parent's record of its calls.
pub struct TimingJob {
    job: FinishedJob,
    calls: TimedCalls,
}

/// Times a kernel that passed its checks in a worker of its own; [`judge_timing`] then
/// reads what it reported. Split so that the timing alone holds the whole machine.
pub fn run_timing(
    run: &RunContext,
    task: &PreparedTask,
    rec: &mut SampleRecord,
    artifact: &Path,
) -> Result<TimingJob, BackendError> {
    let mut calls = TimedCalls::new(
        &task.timed_secret,
        (rec.sample_index as usize, rec.turn as usize),
        task.sets.len(),
        task.checks
            .iter()
            .map(|c| CheckInputs {
                seed: c.seed,
                base: c.base,
                keep_seed: c.keep_seed,
            })
            .collect(),
        run.plan,
    );
    let job = run_worker(run, task, artifact, rec, false, Some(&mut calls))?;
    rec.timing_seconds = Some(job.outcome.wall_seconds);
    Ok(TimingJob { job, calls })
}

/// Stores a sample whose timing went wrong as a fault.
fn timing_fault(rec: &mut SampleRecord, fault: &str, detail: String) {
    rec.outcome = Outcome::Fault;
    rec.correct = false;
    rec.fault = Some(fault.into());
    rec.detail = Some(detail);
}

/// Checks the kept timed calls, each against its check set's reference. Returns
/// whether any kept output changed after it was kept, and the first failure.
fn check_kept_calls(
    task: &PreparedTask,
    timed: &TimingJob,
    fingerprints: &[Option<u64>],
) -> (bool, Option<String>) {
    let mut late = false;
    let mut first_failure = None;
    for kept in &timed.calls.kept {
        let position = kept.position;
        let Some(check) = task
            .checks
            .get(kept.slot)
            .filter(|c| !c.reference.is_empty())
        else {
            first_failure.get_or_insert_with(|| format!("timed call {position}: no reference"));
            continue;
        };
        let reference = &check.reference;
        let files: Vec<String> = (0..reference.len())
            .map(|k| kept_file(kept.slot, k))
            .collect();
        let (comparisons, print) =
            compare_files(reference, task.task.tolerance, timed.job.dir.path(), &files);
        late |= print.is_some() && print != fingerprints.get(kept.slot).copied().flatten();
        if first_failure.is_none()
            && let Some(c) = comparisons.iter().find(|c| !c.passed)
        {
            first_failure = Some(format!(
                "timed call {position} (inputs never seen before): {} elements out of \
                 tolerance; first: {}",
                c.mismatches,
                c.first_mismatch.clone().unwrap_or_default()
            ));
        }
    }
    (late, first_failure)
}

/// Checks the outputs of the kept timed calls, cross-checks the worker's clock with
/// the parent's, and computes the speedups and the roofline flag.
pub fn judge_timing(
    run: &RunContext,
    task: &PreparedTask,
    rec: &mut SampleRecord,
    timed: TimingJob,
) {
    if record_fault(rec, &timed.job) {
        rec.correct = false;
        return;
    }
    let Some(report) = timed
        .job
        .outcome
        .result
        .as_ref()
        .ok()
        .and_then(|r| r.timing.as_ref())
    else {
        timing_fault(
            rec,
            "no_timing",
            "the timing worker reported no timing".into(),
        );
        return;
    };
    let calls = &timed.calls.calls;
    let failed = calls
        .iter()
        .find_map(|c| c.status.filter(|&s| s != 0))
        .or(report.failed_status);
    if let Some(status) = failed {
        let fault = status_fault(run.backend.as_ref(), status);
        timing_fault(
            rec,
            &fault,
            format!("kb_forward returned {status} during timing"),
        );
        return;
    }
    let seconds: Vec<f64> = calls.iter().filter_map(|c| c.reported_seconds).collect();
    let checks_due = task.checks.len().min(seconds.len().saturating_sub(1));
    if seconds.len() < run.plan.min_calls.min(run.plan.max_calls)
        || timed.calls.kept.len() < checks_due
    {
        timing_fault(
            rec,
            "no_timing",
            format!("the timing worker made {} timed calls", seconds.len()),
        );
        return;
    }
    let (late, failure) = check_kept_calls(task, &timed, &report.kept_fingerprints);
    if late || report.changed_after_return.is_some() {
        record_late_writes(rec, "a timed call");
        return;
    }
    if let Some(ms) = report.busy_thread_ms {
        timing_fault(
            rec,
            "thread_still_running",
            format!(
                "a thread of the kernel used {ms:.0} ms of CPU in the 30 ms after the last \
                 call returned: work left running outside the timed calls"
            ),
        );
        return;
    }
    let timed = Stats::of(&seconds);
    if let Some(ms) = report.outside_stream_ms
        && let Some(device) = timed
        && escaped_the_stream(ms, device.median * 1e3)
    {
        timing_fault(
            rec,
            "work_outside_stream",
            format!(
                "the host waited {ms:.3} ms (median) per call beyond the {:.3} ms the device's \
                 events measured: work ran outside the timed stream (another stream or a thread)",
                device.median * 1e3
            ),
        );
        return;
    }
    rec.timed_outputs_ok = Some(failure.is_none());
    if let Some(failure) = failure {
        rec.outcome = Outcome::Wrong;
        rec.correct = false;
        rec.detail = Some(failure);
        return;
    }
    // An emulator's times are its cost model's estimates: no host clock to cross-check.
    let estimated = run.backend.clock() == Clock::CostModel;
    if let Some((worker, parent)) = clock_disagreement(calls).filter(|_| !estimated) {
        timing_fault(
            rec,
            "clock_mismatch",
            format!(
                "the worker's clock says a call takes {:.3} ms (median), the harness saw {:.3} ms",
                worker * 1e3,
                parent * 1e3
            ),
        );
        return;
    }
    if let Some(stats) = timed {
        rec.kernel = Some(stats);
        let baseline = match run.backend.baseline() {
            Baseline::RustReference => task.baseline_median,
            Baseline::PytorchEager => task.pytorch_median,
        };
        let cost = task.task.cost();
        rec.faster_than_roofline =
            Some(stats.median < run.roofline.floor_seconds(cost.flops, cost.bytes));
        if estimated {
            // Never a speedup: an estimate is not comparable with a measured baseline.
            rec.time_estimated = Some(true);
            rec.roofline_fraction =
                Some(run.roofline.bound_seconds(cost.flops, cost.bytes) / stats.median);
        } else {
            rec.speedup = baseline.map(|b| b / stats.median);
            rec.speedup_pytorch = task.pytorch_median.map(|b| b / stats.median);
        }
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

/// Host time a call may take beyond its device time (launch, event and synchronize
/// latencies are tens of microseconds): 0.1 ms plus a quarter of the device time.
const OUTSIDE_STREAM_ALLOWANCE_MS: f64 = 0.1;

/// Whether the host's wait beyond the device's events (`outside_ms`, median) says that
/// a kernel of `device_ms` (median) left work running outside the timed stream.
pub fn escaped_the_stream(outside_ms: f64, device_ms: f64) -> bool {
    outside_ms > OUTSIDE_STREAM_ALLOWANCE_MS + 0.25 * device_ms
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
