//! Compiling a C++ kernel into a shared library, with a cache keyed by source, header,
//! compiler version and flags. Failed compiles are cached too (they are deterministic).

use super::FLAGS;
use crate::ABI_HEADER;
use crate::backend::{BackendError, Compiled};
use std::path::Path;
use std::process::Command;
use std::time::Instant;

/// `$compiler --version`'s first line, or a note that it could not be run.
pub fn compiler_version(compiler: &str) -> String {
    Command::new(compiler)
        .arg("--version")
        .output()
        .ok()
        .and_then(|o| {
            String::from_utf8_lossy(&o.stdout)
                .lines()
                .next()
                .map(str::to_string)
        })
        .unwrap_or_else(|| format!("{compiler} (not runnable)"))
}

/// The exception guard linked into every kernel library (see `shim.cpp`).
const SHIM: &str = include_str!("shim.cpp");

/// Status the guard returns when the kernel threw `std::bad_alloc`.
pub const STATUS_OUT_OF_MEMORY: i32 = -1001;
/// Status the guard returns when the kernel threw any other exception.
pub const STATUS_EXCEPTION: i32 = -1000;

fn cache_key(compiler_version: &str, source: &str) -> String {
    let mut h = blake3::Hasher::new();
    for part in [compiler_version, ABI_HEADER, SHIM, &FLAGS.join(" "), source] {
        h.update(&(part.len() as u64).to_le_bytes());
        h.update(part.as_bytes());
    }
    h.finalize().to_hex()[..32].to_string()
}

/// Compiles `source` into `cache_dir/cpu/<key>/kernel.so`.
pub fn compile(compiler: &str, source: &str, cache_dir: &Path) -> Result<Compiled, BackendError> {
    let version = compiler_version(compiler);
    let key = cache_key(&version, source);
    let dir = cache_dir.join("cpu").join(&key);
    let artifact = dir.join("kernel.so");
    let log_path = dir.join("compile.log");
    if let Ok(log) = std::fs::read_to_string(&log_path) {
        let ok = artifact.is_file();
        return Ok(Compiled {
            ok,
            artifact: ok.then_some(artifact),
            log,
            key,
            cached: true,
            seconds: 0.0,
        });
    }
    std::fs::create_dir_all(cache_dir.join("cpu")).map_err(BackendError::io(format!(
        "creating {}",
        cache_dir.display()
    )))?;
    let work = tempfile::Builder::new()
        .prefix(".building-")
        .tempdir_in(cache_dir.join("cpu"))
        .map_err(BackendError::io("creating a build folder"))?;
    std::fs::write(work.path().join("kbench.h"), ABI_HEADER)
        .map_err(BackendError::io("writing kbench.h"))?;
    std::fs::write(work.path().join("kernel.cpp"), source)
        .map_err(BackendError::io("writing kernel.cpp"))?;
    std::fs::write(work.path().join("kbench_shim.cpp"), SHIM)
        .map_err(BackendError::io("writing kbench_shim.cpp"))?;
    let start = Instant::now();
    let output = Command::new(compiler)
        .args(FLAGS)
        .arg("-I")
        .arg(work.path())
        .arg(work.path().join("kernel.cpp"))
        .arg(work.path().join("kbench_shim.cpp"))
        .arg("-o")
        .arg(work.path().join("kernel.so"))
        .current_dir(work.path())
        .output()
        .map_err(|e| BackendError::Toolchain {
            compiler: compiler.to_string(),
            reason: e.to_string(),
        })?;
    let seconds = start.elapsed().as_secs_f64();
    let mut log = String::from_utf8_lossy(&output.stderr).into_owned();
    log.push_str(&String::from_utf8_lossy(&output.stdout));
    let ok = output.status.success() && work.path().join("kernel.so").is_file();
    if !ok && log.trim().is_empty() {
        log = format!("compiler exited with {}", output.status);
    }
    std::fs::write(work.path().join("compile.log"), &log)
        .map_err(BackendError::io("writing compile.log"))?;
    let kept = work.keep();
    // Another process may have finished the same key first; either copy is equivalent.
    if std::fs::rename(&kept, &dir).is_err() {
        let _ = std::fs::remove_dir_all(&kept);
    }
    Ok(Compiled {
        ok,
        artifact: ok.then_some(artifact),
        log,
        key,
        cached: false,
        seconds,
    })
}
