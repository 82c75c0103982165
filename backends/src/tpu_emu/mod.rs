//! tpu-emu, the emulated TPU.
//!
//! A kernel is a Python module defining `kb_forward(*arrays)` that computes the task's
//! outputs with `jax.experimental.pallas.pallas_call`. "Compiling" checks its syntax
//! with the configured Python and keeps it, with the worker script
//! (`backends/python/kbench_tpu_worker.py`) and the interpreter's path, in a cached
//! folder: the artifact. In the sandboxed worker process, [`kernel::TpuKernel`] starts
//! that Python (it inherits the sandbox), which imports JAX once, forces every
//! `pallas_call` into TPU interpret mode with race detection and out-of-bounds reads
//! raising, and answers one call per request with its cost model's estimate
//! ([`crate::Clock::CostModel`]) or a fault.

mod backend;
mod kernel;
mod python;

pub use backend::ROOFLINE;
pub(crate) use backend::TpuEmuBackend;
pub use python::{INSTALL_HINT, find_python};

/// The worker script the artifact carries.
pub const WORKER: &str = include_str!("../../python/kbench_tpu_worker.py");

/// The prompt template (`prompts/tpu-emu/prompt.jinja`).
pub const TEMPLATE: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../prompts/tpu-emu/prompt.jinja"
));

/// Exemplar solutions by exemplar id.
pub const EXEMPLARS: [(&str, &str); 16] = [
    exemplar!("tpu-emu", "activation/relu6", "py"),
    exemplar!("tpu-emu", "broadcast/scale_rows", "py"),
    exemplar!("tpu-emu", "convolution/conv1d_padded_bias", "py"),
    exemplar!("tpu-emu", "arch/residual_mlp_block", "py"),
    exemplar!("tpu-emu", "fuse/linear_tanh_scale", "py"),
    exemplar!("tpu-emu", "loss/l1_loss", "py"),
    exemplar!("tpu-emu", "math/cumulative_mean", "py"),
    exemplar!("tpu-emu", "matmul/outer_product", "py"),
    exemplar!("tpu-emu", "normalization/min_max_normalize", "py"),
    exemplar!("tpu-emu", "optimizer/lion", "py"),
    exemplar!("tpu-emu", "pooling/lp_pool2d", "py"),
    exemplar!("tpu-emu", "index/index_fill", "py"),
    exemplar!("tpu-emu", "resize/pixel_shuffle", "py"),
    exemplar!("tpu-emu", "reduce/logsumexp_reduction", "py"),
    exemplar!("tpu-emu", "broadcast/elementwise_add", "py"),
    exemplar!("tpu-emu", "attention/attention_weights", "py"),
];

/// The faults the worker names, each with its status (`-1200 - index`): a call that
/// failed returns that status, and the worker's `kbench: ` line on stderr says why.
pub const FAULTS: [&str; 8] = [
    "exception",
    "no_kernel",
    "tpu_race",
    "tpu_out_of_bounds",
    "tpu_vmem_capacity",
    "tpu_block_shape",
    "wrong_output",
    "tpu_worker_protocol",
];

/// Status of the first fault of [`FAULTS`].
pub const STATUS_BASE: i32 = -1200;

/// The status of fault `label` (an unknown label is an `exception`).
pub fn fault_status(label: &str) -> i32 {
    let index = FAULTS.iter().position(|f| *f == label).unwrap_or(0);
    STATUS_BASE - index as i32
}

/// The fault label of a status the worker produced.
pub fn status_fault(status: i32) -> Option<&'static str> {
    usize::try_from(STATUS_BASE - status)
        .ok()
        .and_then(|i| FAULTS.get(i).copied())
}
