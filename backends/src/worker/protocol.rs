//! The files exchanged between parent and worker.
//!
//! Job folder: `job.json` ([`Job`]); the inputs are raw little-endian files named by
//! the job (written once per task, mapped by every worker); the worker creates
//! `out_s{set}_{k}.bin`, holding the outputs of the latest call on that set, and writes
//! `report.json` ([`Report`]) last.
//!
//! A timing job also talks with the parent, one line per message, over the worker's
//! standard input and output (the worker moves them aside before any kernel runs, so a
//! kernel's `printf` goes to its log): before each timed call the worker asks for the
//! call's seed ([`WorkerMessage::Seed`]) and gets it just in time (or is told to stop:
//! the parent decides how many calls are made), so no input of a timed call exists
//! before the call is due; it says when the call starts and ends; the parent then says
//! whether to keep that call's outputs in a slot for checking ([`ParentMessage`]).

use crate::backend::{BackendError, OutputShape};
use crate::timing::TimingPlan;
use kbench_tasks::{DType, HostTensor};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// Environment variable carrying the worker's [`WorkerSetup`].
pub const SETUP_ENV: &str = "KBENCH_WORKER_SETUP";

/// What a worker applies to itself first, before it loads a kernel.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct WorkerSetup {
    /// The harness process: the worker dies with it.
    pub parent_pid: u32,
    /// Address-space limit in bytes (`RLIMIT_AS`).
    pub memory_bytes: Option<u64>,
    /// Move to a network namespace of its own.
    pub isolate_network: bool,
    /// Protections left out on the user's request ([`RELAX_ENV`]), for diagnosing a
    /// machine where one of them breaks a device driver; each is then recorded as not
    /// held, like a protection the OS refuses.
    #[serde(default)]
    pub relax: Vec<Relaxed>,
}

/// The environment variable of the harness that names protections to leave out, comma
/// separated: `processes`, `user`, `landlock`, `seccomp`. A diagnostic for machines
/// where a protection breaks a device driver; never needed on a plain machine.
pub const RELAX_ENV: &str = "KBENCH_SANDBOX_RELAX";

/// A protection that can be left out with [`RELAX_ENV`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Relaxed {
    /// PID and mount namespaces with a private `/proc`.
    Processes,
    /// Becoming `nobody` when started by root.
    User,
    /// Landlock (reads, writes, signals).
    Landlock,
    /// The seccomp filter.
    Seccomp,
}

impl Relaxed {
    /// The protections [`RELAX_ENV`] names; an unknown name is an error.
    pub fn from_env() -> Result<Vec<Relaxed>, BackendError> {
        let Ok(text) = std::env::var(RELAX_ENV) else {
            return Ok(Vec::new());
        };
        text.split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|name| {
                serde_json::from_value(serde_json::Value::String(name.to_string())).map_err(|_| {
                    BackendError::Unsupported(format!(
                        "{RELAX_ENV}: unknown protection `{name}` (processes, user, landlock, seccomp)"
                    ))
                })
            })
            .collect()
    }
}

/// The user and group a worker started by root runs as (`nobody`); the parent gives it
/// its job folder.
pub const UNPRIVILEGED_ID: u32 = 65534;

/// Permissions of what the parent writes for workers to read: readable by all, written
/// by the harness only (a worker started by root runs as [`UNPRIVILEGED_ID`]).
pub const WORKER_READABLE_MODE: u32 = 0o644;

/// Permissions of the harness's folders on the way to a job: others may pass through,
/// not list them.
pub const WORKER_PASSABLE_MODE: u32 = 0o711;

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
        let path = dir.join(&file);
        std::fs::write(&path, tensor.le_bytes())
            .and_then(|()| set_mode(&path, WORKER_READABLE_MODE))
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
    /// Folders the worker may read besides its job's, the kernel and the system's (what
    /// the backend's runtime reads, e.g. an interpreter's environment).
    #[serde(default)]
    pub readable: Vec<PathBuf>,
    /// Input sets: each the task's inputs then parameters.
    pub sets: Vec<Vec<TensorFile>>,
    /// Outputs the kernel must write.
    pub outputs: Vec<OutputShape>,
    /// Make one correctness call per set first.
    pub check: bool,
    /// Timing (after the correctness calls, if any), in conversation with the parent; `None`
    /// for none.
    pub timing: Option<TimingPlan>,
    /// Inode of the parent's network namespace, to report whether the worker is cut off.
    pub parent_net_namespace: Option<String>,
    /// The task, as `kbench_tasks::registry::find_any` finds it: a timing job derives
    /// each timed call's inputs from its trial set with the task's
    /// [`kbench_tasks::Task::perturb_set`].
    pub task: String,
    /// The size profile of the task.
    #[serde(default)]
    pub sizes: kbench_tasks::SizeProfile,
}

/// File name of output `k` kept in `slot` for the parent to check: its raw bytes, or
/// those of the sampled elements, in order.
pub fn kept_file(slot: usize, k: usize) -> String {
    format!("kept_{slot}_{k}.bin")
}

/// A line from the worker to the parent during timing.
#[derive(Debug, Clone, PartialEq)]
pub enum WorkerMessage {
    /// Timed call `call` (counting warm-up calls) is next: its seed, please.
    Seed {
        /// Call index.
        call: usize,
    },
    /// The inputs are in place and the caches flushed; the kernel is called now.
    Start {
        /// Call index.
        call: usize,
    },
    /// The kernel returned after `nanos` by the worker's clock with `status`.
    Done {
        /// Call index.
        call: usize,
        /// Elapsed nanoseconds measured by the worker.
        nanos: u64,
        /// `kb_forward`'s return value.
        status: i32,
    },
}

impl WorkerMessage {
    /// The line for this message (without the newline).
    pub fn to_line(&self) -> String {
        match self {
            WorkerMessage::Seed { call } => format!("seed {call}"),
            WorkerMessage::Start { call } => format!("start {call}"),
            WorkerMessage::Done {
                call,
                nanos,
                status,
            } => format!("done {call} {nanos} {status}"),
        }
    }

    /// Parses a line; `None` for anything else.
    pub fn parse(line: &str) -> Option<WorkerMessage> {
        let mut words = line.split_ascii_whitespace();
        let kind = words.next()?;
        let call = words.next()?.parse().ok()?;
        let message = match kind {
            "seed" => WorkerMessage::Seed { call },
            "start" => WorkerMessage::Start { call },
            "done" => WorkerMessage::Done {
                call,
                nanos: words.next()?.parse().ok()?,
                status: words.next()?.parse().ok()?,
            },
            _ => return None,
        };
        words.next().is_none().then_some(message)
    }
}

/// A line from the parent to the worker during timing.
#[derive(Debug, Clone, PartialEq)]
pub enum ParentMessage {
    /// The requested call's inputs: trial set `base` perturbed with `seed`.
    Seed {
        /// Perturbation seed.
        seed: u64,
        /// Trial set the inputs are made from.
        base: usize,
    },
    /// No more timed calls.
    Stop,
    /// Keep the call's outputs in `slot` ([`kept_file`]): whole, or for a large output
    /// the sample of elements `seed` picks ([`crate::abi::kept_positions`]).
    Keep {
        /// Slot.
        slot: usize,
        /// Picks the kept elements of a large output.
        seed: u64,
    },
    /// Do not keep the call's outputs.
    Drop,
}

impl ParentMessage {
    /// The line for this message (without the newline).
    pub fn to_line(&self) -> String {
        match self {
            ParentMessage::Seed { seed, base } => format!("seed {seed} {base}"),
            ParentMessage::Stop => "stop".into(),
            ParentMessage::Keep { slot, seed } => format!("keep {slot} {seed}"),
            ParentMessage::Drop => "drop".into(),
        }
    }

    /// Parses a line; `None` for anything else.
    pub fn parse(line: &str) -> Option<ParentMessage> {
        let mut words = line.split_ascii_whitespace();
        let message = match (words.next()?, words.next()) {
            ("seed", Some(seed)) => ParentMessage::Seed {
                seed: seed.parse().ok()?,
                base: words.next()?.parse().ok()?,
            },
            ("keep", Some(slot)) => ParentMessage::Keep {
                slot: slot.parse().ok()?,
                seed: words.next()?.parse().ok()?,
            },
            ("drop", None) => ParentMessage::Drop,
            ("stop", None) => ParentMessage::Stop,
            _ => return None,
        };
        words.next().is_none().then_some(message)
    }
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

/// The timed calls. Their times, statuses and seeds the parent took from the
/// conversation; the report adds what only the worker saw.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TimingReport {
    /// A non-zero status that stopped the series (a warm-up call's, which the parent
    /// does not hear about otherwise).
    pub failed_status: Option<i32>,
    /// Per slot the parent asked to fill, the [`crate::abi::fingerprint`] of the kept
    /// bytes as the call left them (files [`kept_file`]).
    pub kept_fingerprints: Vec<Option<u64>>,
    /// The first kept call whose outputs changed between its return and its keeping.
    #[serde(default)]
    pub changed_after_return: Option<usize>,
    /// CPU milliseconds a thread of the kernel used in a window after the last call,
    /// when it was busy more than half of it.
    #[serde(default)]
    pub busy_thread_ms: Option<f64>,
    /// For a device clock, the median over the timed calls of the host time beyond the
    /// device's (see [`crate::backend::CallOutcome::outside_stream`]), milliseconds.
    #[serde(default)]
    pub outside_stream_ms: Option<f64>,
}

/// What the worker reports.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Report {
    /// One per set, in order, when `check` was asked; stops at the first failing call.
    pub trials: Vec<TrialReport>,
    /// Present when the timed calls ran to the end of the plan (or to a failing call).
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
    /// Whether the worker ran under the seccomp filter (`worker/seccomp.rs`).
    #[serde(default)]
    pub syscalls_filtered: bool,
    /// Whether the worker ran in PID and mount namespaces of its own with a private
    /// `/proc` (`worker/pid_namespace.rs`): no process outside is visible to it.
    #[serde(default)]
    pub processes_hidden: bool,
    /// Whether the worker ran as a user other than root ([`UNPRIVILEGED_ID`] when the
    /// harness is root).
    #[serde(default)]
    pub unprivileged: bool,
}

/// Lets workers pass through the harness's folder `path` on the way to their job
/// ([`WORKER_PASSABLE_MODE`]).
pub fn open_to_workers(path: &Path) -> std::io::Result<()> {
    set_mode(path, WORKER_PASSABLE_MODE)
}

/// Sets the permission bits of `path`.
pub fn set_mode(path: &Path, mode: u32) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
}

/// The network namespace of this process, as the `/proc/self/ns/net` link target.
pub fn net_namespace() -> Option<String> {
    std::fs::read_link("/proc/self/ns/net")
        .ok()
        .map(|p| p.display().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_round_trip_and_junk_is_refused() {
        for m in [
            WorkerMessage::Seed { call: 3 },
            WorkerMessage::Start { call: 4 },
            WorkerMessage::Done {
                call: 5,
                nanos: 123,
                status: -2,
            },
        ] {
            assert_eq!(WorkerMessage::parse(&m.to_line()), Some(m));
        }
        for m in [
            ParentMessage::Seed {
                seed: u64::MAX,
                base: 4,
            },
            ParentMessage::Stop,
            ParentMessage::Keep { slot: 6, seed: 9 },
            ParentMessage::Drop,
        ] {
            assert_eq!(ParentMessage::parse(&m.to_line()), Some(m));
        }
        for junk in [
            "",
            "seed",
            "seed x",
            "done 1 2",
            "start 1 2",
            "hello 1",
            "seed 1 2",
        ] {
            assert_eq!(WorkerMessage::parse(junk), None, "{junk}");
        }
        for junk in [
            "",
            "keep",
            "drop 1",
            "seed -1 0",
            "seed 1",
            "keep 1",
            "keep 1 2 3",
            "stop 1",
        ] {
            assert_eq!(ParentMessage::parse(junk), None, "{junk}");
        }
    }
}
