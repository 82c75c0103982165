//! kbench backends: the [`Backend`] trait and its implementations, the kernel ABI, and
//! the worker that runs one untrusted kernel in a separate process.
//!
//! Only `cpu` is implemented. `cuda`, `npu-emu` and `tpu-emu` are named by
//! [`backend_by_name`] and refused with a clear error until they land. The
//! implementations are private: [`backend_by_name`] is the one place that maps a name to
//! one, so nothing outside this crate can depend on a particular backend. This does not
//! compile:
//!
//! ```compile_fail
//! let _ = kbench_backends::cpu::CpuBackend::from_env();
//! ```

pub mod abi;
pub mod backend;
pub mod build_sandbox;
mod cpu;
pub mod roofline;
pub mod timing;
pub mod worker;

pub use backend::{
    Backend, BackendError, Clock, Compiled, DeviceInfo, LoadedKernel, PromptAssets, SetId,
};
pub use roofline::Roofline;

/// The ABI header every kernel compiles against.
pub const ABI_HEADER: &str = include_str!("../include/kbench.h");

/// Names of every backend of the design, implemented or not.
pub const BACKEND_NAMES: [&str; 4] = ["cpu", "cuda", "npu-emu", "tpu-emu"];

/// The backend used when none is named.
pub const DEFAULT_BACKEND: &str = BACKEND_NAMES[0];

/// The backend called `name`.
pub fn backend_by_name(name: &str) -> Result<Box<dyn Backend>, BackendError> {
    match name {
        "cpu" => Ok(Box::new(cpu::CpuBackend::from_env())),
        "cuda" | "npu-emu" | "tpu-emu" => Err(BackendError::Unsupported(format!(
            "the `{name}` backend is designed (see DESIGN.md) but not implemented yet; use `--backend {DEFAULT_BACKEND}`"
        ))),
        other => Err(BackendError::Unsupported(format!(
            "unknown backend `{other}`; backends are: {}",
            BACKEND_NAMES.join(", ")
        ))),
    }
}
