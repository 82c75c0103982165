//! The worker's side: load the kernel, run the correctness calls and the timed calls,
//! write raw outputs and the report. Everything here shares a process with untrusted
//! code, so nothing here is trusted by the parent beyond what it re-checks.

use super::protocol::{
    JOB_FILE, Job, REPORT_FILE, Report, TensorFile, TimingReport, TrialReport, net_namespace,
};
use crate::backend::{BackendError, LoadedKernel, SetId};
use crate::timing::run_plan;
use std::path::Path;
use std::time::Duration;

/// The output files of `set`, as the worker names them.
fn output_files(job: &Job, set: usize) -> Vec<TensorFile> {
    job.outputs
        .iter()
        .enumerate()
        .map(|(k, o)| TensorFile {
            file: format!("out_s{set}_{k}.bin"),
            dtype: o.dtype,
            shape: o.shape.clone(),
        })
        .collect()
}

/// Publishes the outputs of `set`'s latest call and names their files.
fn publish(
    kernel: &mut dyn LoadedKernel,
    job: &Job,
    set: SetId,
) -> Result<Vec<String>, BackendError> {
    kernel.publish_outputs(set)?;
    Ok(output_files(job, set).into_iter().map(|f| f.file).collect())
}

/// Runs the job in `dir`; the report is written last, atomically.
pub fn run(dir: &Path) -> Result<(), BackendError> {
    let job: Job = serde_json::from_slice(
        &std::fs::read(dir.join(JOB_FILE)).map_err(BackendError::io("reading job.json"))?,
    )
    .map_err(|e| BackendError::Protocol(format!("job.json: {e}")))?;
    let filesystem_confined = super::sandbox::confine_writes(dir);
    let backend = crate::backend_by_name(&job.backend)?;
    let mut kernel = backend.load(&job.artifact)?;
    let mut sets = Vec::with_capacity(job.sets.len());
    for (s, files) in job.sets.iter().enumerate() {
        sets.push(kernel.stage(dir, files, &output_files(&job, s))?);
    }

    let mut trials = Vec::with_capacity(sets.len());
    for &set in sets.iter().filter(|_| job.check) {
        kernel.poison_outputs(set);
        let outcome = kernel.call(set)?;
        trials.push(TrialReport {
            status: outcome.status,
            input_digest_after: kernel.input_digest(set)?,
            outputs: publish(kernel.as_mut(), &job, set)?,
        });
        if outcome.status != 0 {
            break;
        }
    }

    let all_ok = !job.check || (trials.len() == sets.len() && trials.iter().all(|t| t.status == 0));
    let timing = match job.timing {
        Some(plan) if all_ok && !sets.is_empty() => {
            let mut failed_status = None;
            let mut timed_sets = vec![false; sets.len()];
            let kernel_cell = std::cell::RefCell::new(&mut kernel);
            let seconds = run_plan(
                &plan,
                // Poison first, then evict: the poisoned outputs must not stay cached.
                |i| {
                    let mut kernel = kernel_cell.borrow_mut();
                    kernel.poison_outputs(sets[i % sets.len()]);
                    kernel.flush_caches(sets[i % sets.len()]);
                },
                |i, timed| {
                    let set = sets[i % sets.len()];
                    let mut kernel = kernel_cell.borrow_mut();
                    if !timed {
                        kernel.poison_outputs(set);
                    }
                    let outcome = kernel.call(set)?;
                    if outcome.status != 0 {
                        failed_status = Some(outcome.status);
                        return Err(BackendError::Protocol("kernel failed".into()));
                    }
                    if timed {
                        timed_sets[set] = true;
                    }
                    Ok::<Duration, BackendError>(outcome.elapsed)
                },
            );
            let seconds = match (seconds, failed_status) {
                (Ok(s), _) => s,
                (Err(_), Some(_)) => Vec::new(),
                (Err(e), None) => return Err(e),
            };
            let mut last_outputs = Vec::with_capacity(sets.len());
            for &set in &sets {
                last_outputs.push(if timed_sets[set] && failed_status.is_none() {
                    publish(kernel.as_mut(), &job, set)?
                } else {
                    Vec::new()
                });
            }
            Some(TimingReport {
                seconds,
                failed_status,
                last_outputs,
            })
        }
        _ => None,
    };

    let network_isolated = match (&job.parent_net_namespace, net_namespace()) {
        (Some(parent), Some(own)) => *parent != own,
        _ => false,
    };
    let report = Report {
        trials,
        timing,
        network_isolated,
        filesystem_confined,
    };
    let tmp = dir.join(".report.json.tmp");
    std::fs::write(
        &tmp,
        serde_json::to_vec(&report).map_err(|e| BackendError::Protocol(e.to_string()))?,
    )
    .map_err(BackendError::io("writing the report"))?;
    std::fs::rename(&tmp, dir.join(REPORT_FILE)).map_err(BackendError::io("renaming the report"))
}
