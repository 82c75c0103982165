//! Running one untrusted kernel in a separate process.
//!
//! The parent writes a job folder (`job.json` and raw input files), starts the worker
//! (`kbench` re-executed in worker mode) under limits, and reads back `report.json` and
//! raw output files. The worker never receives reference outputs; the parent does every
//! comparison. See `protocol` for the files and the timing conversation, `child` for the
//! worker's side (`link` its end of the conversation, `sandbox` its confinement) and
//! `parent` for limits, time-outs and fault classification.

pub mod child;
pub mod link;
pub mod parent;
pub mod pid_namespace;
pub mod protocol;
pub mod sandbox;
pub mod seccomp;

pub use parent::{Conversation, Fault, Limits, WorkerOutcome, run_job};
pub use protocol::{
    Job, ParentMessage, Report, TensorFile, TimingReport, TrialReport, WorkerMessage,
};
