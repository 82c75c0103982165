//! The `cpu` backend: C++17 kernels compiled by the system compiler into a shared
//! library, run on host buffers, timed by the host monotonic clock.

mod compile;
mod device;
pub(crate) mod kernel;
mod prompt;
mod roofline;

use crate::backend::{
    Backend, BackendError, Clock, Compiled, DeviceInfo, LoadedKernel, PromptAssets,
};
use crate::compile_cache::{compiler_version, first_error_line, guard_status_fault};
use crate::roofline::Roofline;
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
        device::describe(&compiler_version(&self.compiler, None))
    }

    fn roofline(&self) -> Roofline {
        roofline::measure(&self.device())
    }

    fn clock(&self) -> Clock {
        Clock::HostMonotonic
    }

    fn languages(&self) -> &'static [&'static str] {
        &["cpp", "c++", "cxx", "cc", "c"]
    }

    fn prompt_assets(&self) -> PromptAssets {
        PromptAssets {
            template: prompt::TEMPLATE,
            compile_command: format!("{} {}", self.compiler, FLAGS.join(" ")),
            fence: "cpp",
            exemplars: &prompt::EXEMPLARS,
        }
    }

    fn pytorch_device(&self) -> Option<&'static str> {
        Some("cpu")
    }

    fn compile(&self, source: &str, cache_dir: &Path) -> Result<Compiled, BackendError> {
        compile::compile(
            &self.compiler,
            &compiler_version(&self.compiler, None),
            source,
            cache_dir,
        )
    }

    fn compile_error_summary(&self, log: &str) -> String {
        first_error_line(log)
    }

    fn status_fault(&self, status: i32) -> Option<&'static str> {
        guard_status_fault(status)
    }

    fn device_files(&self) -> &'static [&'static str] {
        &[]
    }

    fn load(&self, artifact: &Path) -> Result<Box<dyn LoadedKernel>, BackendError> {
        Ok(Box::new(kernel::CpuKernel::load(artifact)?))
    }
}
