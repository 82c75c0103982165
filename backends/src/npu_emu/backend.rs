//! The npu-emu `Backend`: compiles an Ascend C source (launches rewritten) with the
//! system C++ compiler against the emulation header and its guard, and loads it like a
//! cpu kernel whose calls report the cost model's estimate.

use super::{EMULATION_HEADER, SHIM, policy_violation, rewrite_launches, rule_fault};
use crate::backend::{
    Backend, BackendError, Clock, Compiled, DeviceInfo, LoadedKernel, PromptAssets,
};
use crate::compile_cache::{
    ARTIFACT, BuildRequest, compile as build, compiler_version, first_error_line,
    guard_status_fault,
};
use crate::cpu::kernel::CpuKernel;
use crate::roofline::Roofline;
use std::path::Path;

/// Compiler flags: optimised for the host (only the emulation's own speed depends on it,
/// never the estimate), symbols hidden so that a kernel cannot find the cost model's
/// counters by name, undefined symbols an error.
pub const FLAGS: [&str; 9] = [
    "-std=c++17",
    "-O3",
    "-march=native",
    "-pthread",
    "-shared",
    "-fPIC",
    "-fvisibility=hidden",
    "-fvisibility-inlines-hidden",
    "-Wl,--no-undefined",
];

/// The kernel's file name in the build folder.
const SOURCE_FILE: &str = "kernel.cpp";

/// The guard's file name in the build folder.
const GUARD_FILE: &str = "npu_shim.cpp";

/// The emulated chip's peaks (as `kernel_operator.h` states them): HBM 1.6 TB/s; FP32
/// on the cube, 24 cubes x 16x16x8 multiply-adds (2 FLOPs) per cycle x 1.65 GHz (162
/// TFLOP/s; the vector unit's 5 TFLOP/s is not the chip's peak).
pub const ROOFLINE: Roofline = Roofline {
    bytes_per_second: 1.6e12,
    flops_per_second: 24.0 * (16.0 * 16.0 * 8.0) * 2.0 * 1.65e9,
};

/// The `npu-emu` backend.
#[derive(Debug, Clone)]
pub(crate) struct NpuEmuBackend {
    compiler: String,
}

impl NpuEmuBackend {
    /// Uses `$CXX`, or `g++` when unset.
    pub fn from_env() -> Self {
        NpuEmuBackend {
            compiler: std::env::var("CXX").unwrap_or_else(|_| "g++".to_string()),
        }
    }

    /// The compiler's arguments after the flags.
    fn arguments() -> Vec<String> {
        FLAGS
            .iter()
            .map(|f| f.to_string())
            .chain(
                ["-I", ".", SOURCE_FILE, GUARD_FILE, "-o", ARTIFACT]
                    .into_iter()
                    .map(str::to_string),
            )
            .collect()
    }
}

impl Backend for NpuEmuBackend {
    fn name(&self) -> &'static str {
        "npu-emu"
    }

    fn device(&self) -> DeviceInfo {
        DeviceInfo {
            backend: "npu-emu".into(),
            name: "Ascend 910B (emulated by kbench npu-emu; times are cost-model estimates)".into(),
            cores: 48,
            simd: "vector unit 256 bytes per cycle, cube 16x16x8 FP32 multiply-adds per cycle \
                   (shared by 2 blocks), 1.65 GHz, 1.6 TB/s HBM"
                .into(),
            caches: vec![(0, 196_608)],
            compiler: compiler_version(&self.compiler, None),
        }
    }

    fn roofline(&self) -> Roofline {
        ROOFLINE
    }

    fn clock(&self) -> Clock {
        Clock::CostModel
    }

    fn languages(&self) -> &'static [&'static str] {
        &["cpp", "c++", "cxx", "cc", "c"]
    }

    fn prompt_assets(&self) -> PromptAssets {
        PromptAssets {
            template: super::TEMPLATE,
            compile_command: format!("{} {}", self.compiler, FLAGS.join(" ")),
            fence: "cpp",
            exemplars: &super::EXEMPLARS,
        }
    }

    fn pytorch_device(&self) -> Option<&'static str> {
        None
    }

    fn compile(&self, source: &str, cache_dir: &Path) -> Result<Compiled, BackendError> {
        let refused = |log: String| Compiled {
            ok: false,
            artifact: None,
            log,
            key: String::new(),
            cached: false,
            seconds: 0.0,
        };
        if let Some(log) = policy_violation(source) {
            return Ok(refused(log));
        }
        let rewritten = match rewrite_launches(source) {
            Ok(r) => r,
            Err(e) => return Ok(refused(format!("{SOURCE_FILE}: kernel launch: {e}"))),
        };
        build(
            &BuildRequest {
                backend: "npu-emu",
                compiler: &self.compiler,
                compiler_version: &compiler_version(&self.compiler, None),
                sources: &[
                    (SOURCE_FILE, &rewritten),
                    ("kernel_operator.h", EMULATION_HEADER),
                    (GUARD_FILE, SHIM),
                ],
                args: &Self::arguments(),
                extra_key: "",
            },
            cache_dir,
        )
    }

    fn compile_error_summary(&self, log: &str) -> String {
        first_error_line(log)
    }

    fn status_fault(&self, status: i32) -> Option<&'static str> {
        rule_fault(status).or_else(|| guard_status_fault(status))
    }

    fn device_files(&self) -> &'static [&'static str] {
        &[]
    }

    fn load(&self, artifact: &Path) -> Result<Box<dyn LoadedKernel>, BackendError> {
        Ok(Box::new(CpuKernel::load_estimating(artifact)?))
    }
}
