//! kbench backends: the [`Backend`] trait and its implementations, the kernel ABI, and
//! the worker that runs one untrusted kernel in a separate process.
//!
//! Only `cpu` is implemented. `cuda`, `npu-emu` and `tpu-emu` are named by
//! [`backend_by_name`] and refused with a clear error until they land.

pub mod abi;
pub mod backend;
pub mod cpu;
pub mod timing;
pub mod worker;

pub use backend::{Backend, BackendError, Clock, Compiled, DeviceInfo, LoadedKernel, SetId};

/// The ABI header every kernel compiles against.
pub const ABI_HEADER: &str = include_str!("../include/kbench.h");

/// Names of every backend of the design, implemented or not.
pub const BACKEND_NAMES: [&str; 4] = ["cpu", "cuda", "npu-emu", "tpu-emu"];

/// The backend called `name`.
pub fn backend_by_name(name: &str) -> Result<Box<dyn Backend>, BackendError> {
    match name {
        "cpu" => Ok(Box::new(cpu::CpuBackend::from_env())),
        "cuda" | "npu-emu" | "tpu-emu" => Err(BackendError::Unsupported(format!(
            "the `{name}` backend is designed (see DESIGN.md) but not implemented yet; use `--backend cpu`"
        ))),
        other => Err(BackendError::Unsupported(format!(
            "unknown backend `{other}`; backends are: {}",
            BACKEND_NAMES.join(", ")
        ))),
    }
}
