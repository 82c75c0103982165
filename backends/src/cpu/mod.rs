//! The `cpu` backend: C++17 kernels compiled by the system compiler into a shared
//! library, run on host buffers, timed by the host monotonic clock.

mod compile;
pub use compile::{STATUS_EXCEPTION, STATUS_OUT_OF_MEMORY};
pub mod device;
mod kernel;

use crate::backend::{Backend, BackendError, Clock, Compiled, DeviceInfo, LoadedKernel};
use std::path::Path;

/// Compiler flags of the kernel contract, without include paths and files. The last
/// one makes a missing `kb_forward` (or any undefined symbol) a compile error.
pub const FLAGS: [&str; 7] = [
    "-std=c++17",
    "-O3",
    "-march=native",
    "-fopenmp",
    "-shared",
    "-fPIC",
    "-Wl,--no-undefined",
];

/// The `cpu` backend.
#[derive(Debug, Clone)]
pub struct CpuBackend {
    compiler: String,
}

impl CpuBackend {
    /// Uses `$CXX`, or `g++` when unset.
    pub fn from_env() -> Self {
        CpuBackend {
            compiler: std::env::var("CXX").unwrap_or_else(|_| "g++".to_string()),
        }
    }
}

impl Backend for CpuBackend {
    fn name(&self) -> &'static str {
        "cpu"
    }

    fn device(&self) -> DeviceInfo {
        device::describe(&compile::compiler_version(&self.compiler))
    }

    fn clock(&self) -> Clock {
        Clock::HostMonotonic
    }

    fn compile(&self, source: &str, cache_dir: &Path) -> Result<Compiled, BackendError> {
        compile::compile(&self.compiler, source, cache_dir)
    }

    fn load(&self, artifact: &Path) -> Result<Box<dyn LoadedKernel>, BackendError> {
        Ok(Box::new(kernel::CpuKernel::load(artifact)?))
    }
}
