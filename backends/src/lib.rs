//! kbench backends: the [`Backend`] trait and its implementations, the kernel ABI, and
//! the worker that runs one untrusted kernel in a separate process.
//!
//! `cpu`, `cuda`, `npu-emu` and `tpu-emu` are implemented. The implementations are private (`npu_emu` and `tpu_emu` share only their
//! emulation files and pure helpers): [`backend_with_options`] is the one place that maps
//! a name to one, so nothing outside this crate can depend on a particular backend. This
//! does not compile:
//!
//! ```compile_fail
//! let _ = kbench_backends::cpu::CpuBackend::from_env();
//! ```

/// `(id, source)` of a backend's solution of one-shot exemplar `id`, embedded from
/// `prompts/<backend>/exemplars/<id>.<ext>`.
macro_rules! exemplar {
    ($backend:literal, $id:literal, $ext:literal) => {
        (
            $id,
            include_str!(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../prompts/",
                $backend,
                "/exemplars/",
                $id,
                ".",
                $ext
            )),
        )
    };
}

pub mod abi;
pub mod backend;
pub mod build_sandbox;
pub mod compile_cache;
mod cpu;
mod cuda;
pub mod npu_emu;
pub mod roofline;
pub mod timing;
pub mod tpu_emu;
pub mod worker;

pub use backend::{
    Backend, BackendError, BackendOptions, Baseline, Clock, Compiled, DeviceInfo, LoadedKernel,
    PromptAssets, SetId,
};
pub use roofline::Roofline;

/// The ABI header every kernel compiles against.
pub const ABI_HEADER: &str = include_str!("../include/kbench.h");

/// Names of every backend of the design, implemented or not.
pub const BACKEND_NAMES: [&str; 4] = ["cpu", "cuda", "npu-emu", "tpu-emu"];

/// The backend used when none is named.
pub const DEFAULT_BACKEND: &str = BACKEND_NAMES[0];

/// The backend called `name`, with default options.
pub fn backend_by_name(name: &str) -> Result<Box<dyn Backend>, BackendError> {
    backend_with_options(name, &BackendOptions::default())
}

/// The backend called `name`, with the user's options.
pub fn backend_with_options(
    name: &str,
    options: &BackendOptions,
) -> Result<Box<dyn Backend>, BackendError> {
    match name {
        "cpu" => Ok(Box::new(cpu::CpuBackend::from_env())),
        "cuda" => Ok(Box::new(cuda::CudaBackend::new(options))),
        "npu-emu" => Ok(Box::new(npu_emu::NpuEmuBackend::from_env())),
        "tpu-emu" => Ok(Box::new(tpu_emu::TpuEmuBackend::new(options))),
        other => Err(BackendError::Unsupported(format!(
            "unknown backend `{other}`; backends are: {}",
            BACKEND_NAMES.join(", ")
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every implemented backend shows a solution for every one-shot exemplar.
    #[test]
    fn every_backend_has_a_solution_of_every_exemplar() {
        for name in ["cpu", "cuda", "npu-emu", "tpu-emu"] {
            let assets = backend_by_name(name).expect(name).prompt_assets();
            for ex in kbench_tasks::registry::exemplars() {
                let id = ex.id();
                assert!(
                    assets
                        .exemplar(&id)
                        .is_some_and(|s| s.contains("kb_forward")),
                    "{name}: {id}"
                );
            }
        }
    }
}
