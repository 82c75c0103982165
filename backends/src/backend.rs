//! The contract every backend fulfils.
//!
//! A backend compiles a kernel source into an artifact (in the parent process), and
//! loads and runs that artifact (only ever inside a worker process). The split into
//! `stage` / `call` / `read_outputs` fits all four designed backends:
//! - `cpu`: host buffers, the host monotonic clock.
//! - `cuda`: `stage` copies a set into device memory owned by the harness, `call` runs
//!   `kb_forward` on the harness's stream between two timing events and synchronises the
//!   device, `read_outputs` copies back.
//! - `npu-emu` / `tpu-emu`: `call` runs the emulation and reports the cost model's
//!   estimate ([`Clock::CostModel`]).

use crate::roofline::Roofline;
use crate::worker::TensorFile;
use kbench_tasks::DType;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::time::Duration;
use thiserror::Error;

/// Errors of compiling, loading or running kernels.
#[derive(Debug, Error)]
pub enum BackendError {
    /// The backend is not available here, or not implemented.
    #[error("{0}")]
    Unsupported(String),
    /// A file could not be read or written.
    #[error("{context}: {source}")]
    Io {
        /// What was being done.
        context: String,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// The compiler could not be started at all (not a compile error of the kernel).
    #[error("cannot run the compiler `{compiler}`: {reason}")]
    Toolchain {
        /// The compiler command.
        compiler: String,
        /// Why.
        reason: String,
    },
    /// The artifact could not be loaded or lacks the entry point.
    #[error("cannot load the kernel: {0}")]
    Load(String),
    /// Tensors did not fit the kernel ABI.
    #[error("{0}")]
    Abi(String),
    /// The worker protocol was violated (missing or malformed files).
    #[error("worker protocol: {0}")]
    Protocol(String),
}

impl BackendError {
    /// An I/O error with context.
    pub fn io(context: impl Into<String>) -> impl FnOnce(std::io::Error) -> BackendError {
        let context = context.into();
        move |source| BackendError::Io { context, source }
    }
}

/// How a backend measures kernel time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Clock {
    /// Host monotonic clock around a synchronous call.
    HostMonotonic,
    /// Device timing events on the harness's stream.
    DeviceEvents,
    /// An emulator's cost-model estimate, not a measurement.
    CostModel,
}

/// What the prompt and the run's environment record say about the device.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DeviceInfo {
    /// Backend name.
    pub backend: String,
    /// Device model, e.g. the CPU model name.
    pub name: String,
    /// Cores (CPU) or multiprocessors (GPU) available to a kernel.
    pub cores: usize,
    /// Widest SIMD extension, e.g. `avx512f`, `avx2`.
    pub simd: String,
    /// Cache sizes in bytes, innermost first, as `(level, bytes)`.
    pub caches: Vec<(u32, u64)>,
    /// Compiler and version used for kernels.
    pub compiler: String,
}

/// Result of compiling one source.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Compiled {
    /// True when the compiler produced an artifact.
    pub ok: bool,
    /// The artifact (a shared library for cpu), when `ok`.
    pub artifact: Option<PathBuf>,
    /// Compiler diagnostics, kept whether or not it succeeded.
    pub log: String,
    /// Cache key: hash of source, header, compiler version and flags.
    pub key: String,
    /// True when the result came from the cache.
    pub cached: bool,
    /// Seconds the compiler ran (0 when cached).
    pub seconds: f64,
}

/// Index of an input set staged on a [`LoadedKernel`].
pub type SetId = usize;

/// One kernel call's outcome.
#[derive(Debug, Clone, Copy)]
pub struct CallOutcome {
    /// `kb_forward`'s return value.
    pub status: i32,
    /// Elapsed time by the backend's [`Clock`].
    pub elapsed: Duration,
    /// For a device clock: how much longer the host waited for the call and a
    /// device-wide synchronize than the device's events measured. Work a kernel leaves
    /// on a stream or thread of its own shows here. `None` for host clocks.
    pub outside_stream: Option<Duration>,
}

/// What a backend's speedups are measured against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Baseline {
    /// The Rust reference's time on the same machine (cpu).
    RustReference,
    /// PyTorch eager on the same device (cuda): the reference runs on the host and is
    /// no baseline for a device.
    PytorchEager,
}

/// Choices a user makes for a backend on the command line.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BackendOptions {
    /// The CUDA compiler (`--nvcc`); otherwise found as `cuda::toolchain` says.
    pub nvcc: Option<PathBuf>,
    /// The CUDA architecture to compile for (`--arch sm_90`); otherwise the device's.
    pub arch: Option<String>,
    /// The Python with JAX that runs tpu-emu kernels (`--python`); otherwise found as
    /// `tpu_emu::find_python` says.
    pub python: Option<PathBuf>,
}

/// An output the kernel must write.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutputShape {
    /// Element type.
    pub dtype: DType,
    /// Shape.
    pub shape: Vec<usize>,
}

/// What a backend contributes to a prompt: its template, how kernels are compiled, and
/// its solutions of the one-shot exemplars.
#[derive(Debug, Clone)]
pub struct PromptAssets {
    /// The minijinja template (`prompts/<backend>/prompt.jinja`).
    pub template: &'static str,
    /// The compile command shown to models, e.g. `g++ -std=c++17 -O3 ...`.
    pub compile_command: String,
    /// The code-fence tag answers should use, e.g. `cpp`.
    pub fence: &'static str,
    /// Exemplar solutions as `(exemplar id, source)`.
    pub exemplars: &'static [(&'static str, &'static str)],
}

impl PromptAssets {
    /// The solution of exemplar `id`, when the backend has one.
    pub fn exemplar(&self, id: &str) -> Option<&'static str> {
        self.exemplars
            .iter()
            .find(|(k, _)| *k == id)
            .map(|(_, s)| *s)
    }
}

/// A compiler and runner of kernels for one kind of device. Everything that differs
/// between devices lives behind this trait, so the harness never names a backend.
pub trait Backend: Send + Sync {
    /// Name on the command line and in the store.
    fn name(&self) -> &'static str;
    /// The device kernels run on.
    fn device(&self) -> DeviceInfo;
    /// The device's peak rates, for the speed-of-light flag (may take a moment: it
    /// measures).
    fn roofline(&self) -> Roofline;
    /// How kernel time is measured.
    fn clock(&self) -> Clock;
    /// Code-block language tags an answer's kernel may carry (an untagged block is
    /// always a candidate).
    fn languages(&self) -> &'static [&'static str];
    /// The prompt template, compile command and exemplar solutions.
    fn prompt_assets(&self) -> PromptAssets;
    /// The device PyTorch eager runs on for the second baseline (`torch.device` name),
    /// or `None` when this backend has no PyTorch baseline.
    fn pytorch_device(&self) -> Option<&'static str>;
    /// Compiles `source`, reusing `cache_dir` when the same key was compiled before.
    /// A compile error of the kernel is `Ok` with `ok == false`; `Err` means the
    /// toolchain itself failed.
    fn compile(&self, source: &str, cache_dir: &Path) -> Result<Compiled, BackendError>;
    /// The one line of a compile log that best says why it failed.
    fn compile_error_summary(&self, log: &str) -> String;
    /// A fault label for a non-zero status that the backend itself produces (e.g. an
    /// exception guard's codes); `None` for a status the kernel returned.
    fn status_fault(&self, status: i32) -> Option<&'static str>;
    /// Files and folders a worker must read and write (with device `ioctl`s) besides its
    /// job's: a GPU's device files. Everything else is outside its sandbox.
    fn device_files(&self) -> &'static [&'static str];
    /// Files and folders a worker may read besides its job's and the system libraries
    /// (what a device driver reads).
    fn device_readable(&self) -> &'static [&'static str] {
        &[]
    }
    /// Folders found at run time that a worker may read (an interpreter's environment);
    /// the harness passes them in the job.
    fn worker_readable(&self) -> Vec<PathBuf> {
        Vec::new()
    }
    /// Whether the worker's address space may be limited (`RLIMIT_AS`); a CUDA driver
    /// reserves huge ranges and fails under any limit.
    fn limits_address_space(&self) -> bool {
        true
    }
    /// What speedups are measured against.
    fn baseline(&self) -> Baseline {
        Baseline::RustReference
    }
    /// Called in a worker before its sandbox closes (Landlock, seccomp), before any
    /// untrusted code is loaded: opens the device, so that the driver's own files are
    /// open before the worker may no longer open them. Nothing for a host backend.
    fn open_device(&self) -> Result<(), BackendError> {
        Ok(())
    }
    /// Ok when kernels can run here; otherwise one line saying what is missing (no
    /// driver, no device, no compiler), before any work starts.
    fn check_ready(&self) -> Result<(), BackendError> {
        Ok(())
    }
    /// Loads an artifact. Only a worker process calls this: loading runs untrusted code.
    fn load(&self, artifact: &Path) -> Result<Box<dyn LoadedKernel>, BackendError>;
}

/// Set `set` of a loaded kernel's staged sets, or a protocol error.
pub fn staged<T>(sets: &[T], set: SetId) -> Result<&T, BackendError> {
    sets.get(set)
        .ok_or_else(|| BackendError::Protocol(format!("no staged set {set}")))
}

/// Set `set` of a loaded kernel's staged sets, mutable, or a protocol error.
pub fn staged_mut<T>(sets: &mut [T], set: SetId) -> Result<&mut T, BackendError> {
    sets.get_mut(set)
        .ok_or_else(|| BackendError::Protocol(format!("no staged set {set}")))
}

/// Fills a set's inputs, given each input's raw bytes; `Err` with a reason.
pub type InputWriter<'a> = dyn FnMut(&mut [&mut [u8]]) -> Result<(), String> + 'a;

/// Reads a set's outputs, given each output's raw bytes; `Err` with a reason.
pub type OutputReader<'a> = dyn FnMut(&[&[u8]]) -> Result<(), String> + 'a;

/// A loaded kernel with its staged input sets, inside a worker process.
pub trait LoadedKernel {
    /// Makes an input set resident where the kernel runs, with output buffers.
    /// The inputs are raw little-endian files in `dir`, read by the backend however
    /// suits its device best; the outputs go to the files named by `outputs` (created
    /// by the backend) when [`LoadedKernel::publish_outputs`] is called.
    fn stage(
        &mut self,
        dir: &Path,
        inputs: &[TensorFile],
        outputs: &[TensorFile],
    ) -> Result<SetId, BackendError>;
    /// Overwrites the set's inputs in place: `write` gets every input's raw bytes (the
    /// set's, or a host copy a device backend then uploads) and fills them.
    fn rewrite_inputs(
        &mut self,
        set: SetId,
        write: &mut InputWriter<'_>,
    ) -> Result<(), BackendError>;
    /// Shows `read` the set's outputs as they are now (host memory, or a host copy a
    /// device backend makes first).
    fn read_outputs(&mut self, set: SetId, read: &mut OutputReader<'_>)
    -> Result<(), BackendError>;
    /// Fills the set's outputs with NaN (floats) or an invalid byte (bools).
    fn poison_outputs(&mut self, set: SetId);
    /// Calls the kernel once on a staged set.
    fn call(&mut self, set: SetId) -> Result<CallOutcome, BackendError>;
    /// Makes the set's output files hold the raw bytes of its latest call (invalid
    /// bools stay visible); a no-op where the buffers are the files themselves.
    fn publish_outputs(&mut self, set: SetId) -> Result<(), BackendError>;
    /// [`crate::abi::fingerprint`] of the set's outputs as they are now (called right
    /// after a call returns; a device backend synchronises first).
    fn output_fingerprint(&mut self, set: SetId) -> Result<u64, BackendError>;
    /// Hash of a set's input bytes as they are now.
    fn input_digest(&self, set: SetId) -> Result<String, BackendError>;
    /// Evicts the set's inputs and outputs from the caches before a timed call, so that
    /// every timed call starts cold. Its cost follows the set's size, not the device's
    /// cache size.
    fn flush_caches(&mut self, set: SetId);
}
