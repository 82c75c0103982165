//! The tpu-emu `Backend`: keeps a kernel module (syntax checked) with the worker script
//! and the Python that runs it, and loads it as a [`TpuKernel`].

use super::kernel::TpuKernel;
use super::python::{INSTALL_HINT, find_python, readable_for};
use super::{TEMPLATE, WORKER};
use crate::backend::{
    Backend, BackendError, BackendOptions, Clock, Compiled, DeviceInfo, LoadedKernel, PromptAssets,
};
use crate::roofline::Roofline;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

/// The emulated chip's peaks (as the worker's cost model states them): TPU v5e, HBM 819
/// GB/s; float32 matrix products at a third of the MXU's 197 bf16 TFLOP/s.
pub const ROOFLINE: Roofline = Roofline {
    bytes_per_second: 819e9,
    flops_per_second: 197e12 / 3.0,
};

/// File names in a build folder.
pub(super) const KERNEL_FILE: &str = "kernel.py";
pub(super) const WORKER_FILE: &str = "kbench_tpu_worker.py";
/// The artifact: the kernel's source and the Python that runs it (JSON).
const BUNDLE_FILE: &str = "bundle.json";

/// What an artifact holds.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
pub(super) struct Bundle {
    /// The interpreter (a virtual environment's `bin/python`).
    pub python: PathBuf,
    /// The kernel module's source.
    pub kernel: String,
}

/// The `tpu-emu` backend.
#[derive(Debug, Clone)]
pub(crate) struct TpuEmuBackend {
    python: Option<PathBuf>,
}

impl TpuEmuBackend {
    /// Uses `--python`, else finds one (see [`find_python`]).
    pub fn new(options: &BackendOptions) -> Self {
        let python =
            find_python(options.python.as_deref()).map(|p| std::path::absolute(&p).unwrap_or(p));
        TpuEmuBackend { python }
    }

    fn python(&self) -> Result<&Path, BackendError> {
        self.python
            .as_deref()
            .ok_or_else(|| BackendError::Unsupported(INSTALL_HINT.into()))
    }
}

/// A compile that could not start or that the kernel failed.
fn compiled(ok: bool, artifact: Option<PathBuf>, log: String, key: String, secs: f64) -> Compiled {
    Compiled {
        ok,
        artifact,
        log,
        key,
        cached: false,
        seconds: secs,
    }
}

impl Backend for TpuEmuBackend {
    fn name(&self) -> &'static str {
        "tpu-emu"
    }

    fn device(&self) -> DeviceInfo {
        DeviceInfo {
            backend: "tpu-emu".into(),
            name: "TPU v5e (emulated by JAX's TPU interpret mode; times are cost-model estimates)"
                .into(),
            cores: 1,
            simd: "MXU 197 TFLOP/s bf16 (float32 at a third), 819 GB/s HBM, 128 MiB VMEM \
                   (16 MiB scoped by default)"
                .into(),
            caches: vec![(0, 16 * 1024 * 1024)],
            compiler: self
                .python
                .as_ref()
                .map_or_else(|| "no Python with JAX".into(), |p| p.display().to_string()),
        }
    }

    fn roofline(&self) -> Roofline {
        ROOFLINE
    }

    fn clock(&self) -> Clock {
        Clock::CostModel
    }

    fn languages(&self) -> &'static [&'static str] {
        &["python", "py"]
    }

    fn prompt_assets(&self) -> PromptAssets {
        PromptAssets {
            template: TEMPLATE,
            compile_command: "python (JAX 0.10, Pallas TPU interpret mode)".into(),
            fence: "python",
            exemplars: &super::EXEMPLARS,
        }
    }

    fn pytorch_device(&self) -> Option<&'static str> {
        None
    }

    fn compile(&self, source: &str, cache_dir: &Path) -> Result<Compiled, BackendError> {
        let python = self.python()?;
        let mut h = blake3::Hasher::new_derive_key("kbench tpu-emu artifact v1");
        for part in [source, WORKER, &python.display().to_string()] {
            h.update(&(part.len() as u64).to_le_bytes());
            h.update(part.as_bytes());
        }
        let key = h.finalize().to_hex()[..32].to_string();
        let dir = cache_dir.join("tpu-emu").join(&key);
        let log_path = dir.join("compile.log");
        let bundle = dir.join(BUNDLE_FILE);
        if let Ok(log) = std::fs::read_to_string(&log_path) {
            let ok = bundle.is_file();
            return Ok(Compiled {
                cached: true,
                ..compiled(ok, ok.then_some(bundle), log, key, 0.0)
            });
        }
        std::fs::create_dir_all(&dir).map_err(BackendError::io("creating the artifact folder"))?;
        for (name, text) in [(KERNEL_FILE, source), (WORKER_FILE, WORKER)] {
            std::fs::write(dir.join(name), text)
                .map_err(BackendError::io(format!("writing {name}")))?;
        }
        let start = Instant::now();
        // Syntax and policy only: nothing of the kernel runs outside a worker.
        let out = Command::new(python)
            .arg("-I")
            .arg(dir.join(WORKER_FILE))
            .arg("--check")
            .arg(dir.join(KERNEL_FILE))
            .stdin(Stdio::null())
            .output()
            .map_err(|e| BackendError::Toolchain {
                compiler: python.display().to_string(),
                reason: e.to_string(),
            })?;
        let secs = start.elapsed().as_secs_f64();
        let ok = out.status.success();
        let log = String::from_utf8_lossy(&out.stderr).into_owned();
        std::fs::write(&log_path, &log).map_err(BackendError::io("writing compile.log"))?;
        if ok {
            let text = serde_json::to_string(&Bundle {
                python: python.to_path_buf(),
                kernel: source.to_string(),
            })
            .map_err(|e| BackendError::Protocol(e.to_string()))?;
            std::fs::write(&bundle, text).map_err(BackendError::io("writing the artifact"))?;
        }
        Ok(compiled(ok, ok.then_some(bundle), log, key, secs))
    }

    fn compile_error_summary(&self, log: &str) -> String {
        log.lines()
            .rev()
            .find(|l| l.contains("Error"))
            .unwrap_or_else(|| log.lines().last().unwrap_or("compile failed"))
            .trim()
            .to_string()
    }

    fn status_fault(&self, status: i32) -> Option<&'static str> {
        super::status_fault(status)
    }

    fn device_files(&self) -> &'static [&'static str] {
        &[]
    }

    fn worker_readable(&self) -> Vec<PathBuf> {
        self.python.as_deref().map(readable_for).unwrap_or_default()
    }

    fn check_ready(&self) -> Result<(), BackendError> {
        let python = self.python()?;
        let ok = Command::new(python)
            .args(["-c", "import jax, jax.experimental.pallas.tpu"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if ok {
            Ok(())
        } else {
            Err(BackendError::Unsupported(format!(
                "{} cannot import JAX's Pallas TPU: {INSTALL_HINT}",
                python.display()
            )))
        }
    }

    fn load(&self, artifact: &Path) -> Result<Box<dyn LoadedKernel>, BackendError> {
        Ok(Box::new(TpuKernel::start(artifact)?))
    }
}
