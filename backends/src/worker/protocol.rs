//! The files exchanged between parent and worker.
//!
//! Job folder: `job.json` ([`Job`]); the inputs are raw little-endian files named by
//! the job (written once per task, mapped by every worker); the worker creates
//! `out_s{set}_{k}.bin`, holding the outputs of the latest call on that set (the
//! correctness call in a checking job, the last timed call in a timing job), and writes
//! `report.json` ([`Report`]) last.

use crate::backend::{BackendError, OutputShape};
use crate::timing::TimingPlan;
use kbench_tasks::{DType, HostTensor};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// Environment variable carrying the worker's [`WorkerSetup`].
pub const SETUP_ENV: &str = "KBENCH_WORKER_SETUP";

/// What a worker applies to itself first, before it loads a kernel.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub struct WorkerSetup {
    /// The harness process: the worker dies with it.
    pub parent_pid: u32,
    /// Address-space limit in bytes (`RLIMIT_AS`).
    pub memory_bytes: Option<u64>,
    /// Move to a network namespace of its own.
    pub isolate_network: bool,
}

/// File name of the job description.
pub const JOB_FILE: &str = "job.json";
/// File name of the worker's report.
pub const REPORT_FILE: &str = "report.json";

/// A raw tensor file in the job folder.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TensorFile {
    /// File name relative to the job folder.
    pub file: String,
    /// Element type.
    pub dtype: DType,
    /// Shape.
    pub shape: Vec<usize>,
}

impl TensorFile {
    /// Writes `tensor` as `file` in `dir`.
    pub fn write(dir: &Path, file: String, tensor: &HostTensor) -> Result<Self, BackendError> {
        std::fs::write(dir.join(&file), tensor.le_bytes())
            .map_err(BackendError::io(format!("writing {file}")))?;
        Ok(TensorFile {
            file,
            dtype: tensor.dtype(),
            shape: tensor.shape.clone(),
        })
    }

    /// Bytes the tensor's file holds.
    pub fn size_bytes(&self) -> usize {
        kbench_tasks::tensor::numel(&self.shape) * self.dtype.size_bytes()
    }
}

/// What the worker is asked to do.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Job {
    /// Backend name.
    pub backend: String,
    /// Compiled kernel.
    pub artifact: PathBuf,
    /// Input sets: each the task's inputs then parameters.
    pub sets: Vec<Vec<TensorFile>>,
    /// Outputs the kernel must write.
    pub outputs: Vec<OutputShape>,
    /// Make one correctness call per set first.
    pub check: bool,
    /// Timing (after the correctness calls, if any), rotating over the sets; `None`
    /// for none.
    pub timing: Option<TimingPlan>,
    /// Inode of the parent's network namespace, to report whether the worker is cut off.
    pub parent_net_namespace: Option<String>,
}

/// The correctness call on one set.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TrialReport {
    /// `kb_forward`'s return value.
    pub status: i32,
    /// Hash of the set's input bytes after the call.
    pub input_digest_after: String,
    /// Raw output files of the call.
    pub outputs: Vec<String>,
    /// [`crate::abi::fingerprint`] of the outputs right after the call returned.
    pub outputs_fingerprint: u64,
}

/// The timed calls.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TimingReport {
    /// Seconds of each timed call, in order.
    pub seconds: Vec<f64>,
    /// A non-zero status that stopped the series.
    pub failed_status: Option<i32>,
    /// Per set, the raw outputs of the last timed call on it (empty when never timed).
    pub last_outputs: Vec<Vec<String>>,
    /// Per set, the fingerprint of those outputs right after that call returned.
    pub last_fingerprints: Vec<Option<u64>>,
}

/// What the worker reports.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Report {
    /// One per set, in order, when `check` was asked; stops at the first failing call.
    pub trials: Vec<TrialReport>,
    /// Present when timing was asked for and every correctness call returned 0.
    pub timing: Option<TimingReport>,
    /// Whether the worker ran in a network namespace of its own.
    pub network_isolated: bool,
    /// Whether the worker could write only below its job folder (Landlock).
    pub filesystem_confined: bool,
    /// Whether the worker could read only its job's files and the system libraries
    /// (Landlock): not the store, not the harness's `/proc` entry.
    pub reads_confined: bool,
    /// Whether the worker could signal, trace or reach by abstract socket only processes
    /// of its own sandbox (Landlock scopes): it cannot kill or inspect the harness.
    pub signals_confined: bool,
}

/// The network namespace of this process, as the `/proc/self/ns/net` link target.
pub fn net_namespace() -> Option<String> {
    std::fs::read_link("/proc/self/ns/net")
        .ok()
        .map(|p| p.display().to_string())
}
