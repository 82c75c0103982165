//! The `cuda` backend: one CUDA C++ source with `__global__` kernels and the
//! `kb_forward` host function that launches them with `<<<grid, block>>>` on the default
//! stream, built by nvcc into a shared library (SASS for the exact architecture), run
//! by a worker that drives the device through `cudarc`, timed by device events.
//!
//! Compiling needs only nvcc (`scripts/install-cuda-toolchain.sh` installs one from
//! PyPI, no GPU needed); running needs an NVIDIA driver and device.

mod compile;
pub mod driver;
mod kernel;
mod prompt;
pub mod toolchain;

use crate::backend::{
    Backend, BackendError, BackendOptions, Baseline, Clock, Compiled, DeviceInfo, LoadedKernel,
    PromptAssets,
};
use crate::compile_cache::{compiler_version, first_error_line, guard_status_fault};
use crate::roofline::Roofline;
use driver::GpuInfo;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// The `cuda` backend.
#[derive(Debug, Clone)]
pub struct CudaBackend {
    nvcc: Option<PathBuf>,
    arch: Option<String>,
    /// nvcc's path and release line, found once (`Err`: why there is none).
    toolchain: OnceLock<Result<(PathBuf, String), String>>,
    /// The device, queried once (`Err`: why there is none).
    gpu: OnceLock<Result<GpuInfo, String>>,
}

/// FP32 lanes per streaming multiprocessor on every architecture since Ampere's GA100
/// (64 on sm_80, 128 on sm_86 and later): the larger, so the floor never flags an
/// honest kernel.
const FP32_LANES_PER_SM: f64 = 128.0;

impl CudaBackend {
    /// A backend with the user's choices of nvcc and architecture. Finds nothing yet:
    /// a worker builds one too and needs neither.
    pub fn new(options: &BackendOptions) -> Self {
        CudaBackend {
            nvcc: options.nvcc.clone(),
            arch: options.arch.clone(),
            toolchain: OnceLock::new(),
            gpu: OnceLock::new(),
        }
    }

    /// nvcc and its release line.
    fn nvcc(&self) -> Result<&(PathBuf, String), BackendError> {
        self.toolchain
            .get_or_init(|| {
                toolchain::find_nvcc(self.nvcc.as_deref())
                    .map(|nvcc| {
                        let version = compiler_version(&nvcc.to_string_lossy(), Some("release"));
                        (nvcc, version)
                    })
                    .map_err(|e| e.to_string())
            })
            .as_ref()
            .map_err(|reason| BackendError::Toolchain {
                compiler: "nvcc".into(),
                reason: reason.clone(),
            })
    }

    /// The GPU, as the driver describes it.
    fn gpu(&self) -> Result<&GpuInfo, BackendError> {
        self.gpu
            .get_or_init(|| driver::query().map_err(|e| e.to_string()))
            .as_ref()
            .map_err(|e| BackendError::Unsupported(e.clone()))
    }

    /// The architecture to build for: `--arch`, else the device's own.
    fn target_arch(&self) -> Result<String, BackendError> {
        match &self.arch {
            Some(arch) => toolchain::parse_arch(arch),
            None => self.gpu().map(GpuInfo::arch).map_err(|e| {
                BackendError::Unsupported(format!(
                    "{e}; to compile without a GPU, name the architecture with --arch (e.g. sm_90)"
                ))
            }),
        }
    }

    fn nvcc_version(&self) -> String {
        match self.nvcc() {
            Ok((_, version)) => version.clone(),
            Err(e) => e.to_string(),
        }
    }
}

impl Backend for CudaBackend {
    fn name(&self) -> &'static str {
        "cuda"
    }

    fn device(&self) -> DeviceInfo {
        let compiler = format!("nvcc ({})", self.nvcc_version());
        match self.gpu() {
            Ok(gpu) => DeviceInfo {
                backend: "cuda".into(),
                name: gpu.name.clone(),
                cores: gpu.multiprocessors.max(0) as usize,
                simd: gpu.arch(),
                caches: vec![(2, gpu.l2_bytes)],
                compiler,
            },
            Err(_) => DeviceInfo {
                backend: "cuda".into(),
                name: "no GPU here (compile only)".into(),
                cores: 0,
                simd: self.arch.clone().unwrap_or_default(),
                caches: Vec::new(),
                compiler,
            },
        }
    }

    fn roofline(&self) -> Roofline {
        // From the driver's figures: bandwidth = 2 (double data rate) x memory clock x
        // bus width; FP32 = SMs x lanes x 2 (FMA) x SM clock. Unknown figures give an
        // infinite peak, so nothing is flagged rather than something wrongly.
        let Ok(gpu) = self.gpu() else {
            return Roofline {
                bytes_per_second: f64::INFINITY,
                flops_per_second: f64::INFINITY,
            };
        };
        let positive = |v: f64| if v > 0.0 { v } else { f64::INFINITY };
        Roofline {
            bytes_per_second: positive(
                2.0 * f64::from(gpu.memory_clock_khz) * 1e3 * f64::from(gpu.bus_width_bits) / 8.0,
            ),
            flops_per_second: positive(
                f64::from(gpu.multiprocessors)
                    * FP32_LANES_PER_SM
                    * 2.0
                    * f64::from(gpu.clock_khz)
                    * 1e3,
            ),
        }
    }

    fn clock(&self) -> Clock {
        Clock::DeviceEvents
    }

    fn languages(&self) -> &'static [&'static str] {
        &["cuda", "cu", "cpp", "c++"]
    }

    fn prompt_assets(&self) -> PromptAssets {
        let arch = self.arch.clone().unwrap_or_else(|| "sm_XY".into());
        PromptAssets {
            template: prompt::TEMPLATE,
            compile_command: format!("nvcc {}", compile::flags(&arch).join(" ")),
            fence: "cuda",
            exemplars: &prompt::EXEMPLARS,
        }
    }

    fn pytorch_device(&self) -> Option<&'static str> {
        Some("cuda")
    }

    fn compile(&self, source: &str, cache_dir: &Path) -> Result<Compiled, BackendError> {
        let (nvcc, version) = self.nvcc()?;
        let arch = self.target_arch()?;
        compile::compile(nvcc, version, &arch, source, cache_dir)
    }

    fn compile_error_summary(&self, log: &str) -> String {
        first_error_line(log)
    }

    fn status_fault(&self, status: i32) -> Option<&'static str> {
        match status {
            kernel::STATUS_DEVICE_ERROR => Some("device_error"),
            other => guard_status_fault(other),
        }
    }

    fn device_files(&self) -> &'static [&'static str] {
        &[
            "/dev/nvidiactl",
            "/dev/nvidia-uvm",
            "/dev/nvidia-uvm-tools",
            "/dev/nvidia-modeset",
            "/dev/nvidia-caps",
            "/dev/nvidia0",
            "/dev/nvidia1",
            "/dev/nvidia2",
            "/dev/nvidia3",
            "/dev/nvidia4",
            "/dev/nvidia5",
            "/dev/nvidia6",
            "/dev/nvidia7",
            "/dev/shm",
        ]
    }

    fn device_readable(&self) -> &'static [&'static str] {
        // The worker's /proc is its own (PID namespace), so reading it shows nothing of
        // the harness; the driver reads /proc/driver/nvidia and the PCI tree in /sys.
        &[
            "/proc",
            "/sys",
            "/etc/nvidia",
            "/var/run/nvidia-persistenced",
        ]
    }

    fn limits_address_space(&self) -> bool {
        false
    }

    fn baseline(&self) -> Baseline {
        Baseline::PytorchEager
    }

    fn open_device(&self) -> Result<(), BackendError> {
        kernel::open_device()
    }

    fn check_ready(&self) -> Result<(), BackendError> {
        driver::probe()?;
        self.nvcc()?;
        self.target_arch().map(|_| ())
    }

    fn load(&self, artifact: &Path) -> Result<Box<dyn LoadedKernel>, BackendError> {
        Ok(Box::new(kernel::CudaKernel::load(artifact)?))
    }
}
