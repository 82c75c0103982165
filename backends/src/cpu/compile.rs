//! Compiling a C++ kernel into a shared library, with a cache keyed by source, header,
//! compiler version and flags. Failed compiles are cached too (they are deterministic).

use super::FLAGS;
use crate::ABI_HEADER;
use crate::backend::{BackendError, Compiled};
use crate::build_sandbox::{build_command, limit_reason, toolchain_prefix};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Longest a compilation may take; past it the compiler is killed and the sample is a
/// compile error.
pub const COMPILE_TIMEOUT: Duration = Duration::from_secs(120);

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
    let log_file = work.path().join("compiler-output.txt");
    let sink = std::fs::File::create(&log_file).map_err(BackendError::io("creating the log"))?;
    let sink2 = sink
        .try_clone()
        .map_err(BackendError::io("creating the log"))?;
    let start = Instant::now();
    let toolchain: Vec<_> = toolchain_prefix(compiler).into_iter().collect();
    let mut cmd = build_command(compiler, work.path(), &toolchain);
    cmd.args(FLAGS)
        .arg("-I")
        .arg(work.path())
        .arg(work.path().join("kernel.cpp"))
        .arg(work.path().join("kbench_shim.cpp"))
        .arg("-o")
        .arg(work.path().join("kernel.so"))
        .current_dir(work.path())
        .stdin(Stdio::null())
        .stdout(sink)
        .stderr(sink2);
    let mut child = cmd.spawn().map_err(|e| BackendError::Toolchain {
        compiler: compiler.to_string(),
        reason: e.to_string(),
    })?;
    let status = loop {
        if let Some(status) = child
            .try_wait()
            .map_err(BackendError::io("waiting for the compiler"))?
        {
            break Some(status);
        }
        if start.elapsed() > COMPILE_TIMEOUT {
            // The whole group: the driver and the compiler passes it started.
            // SAFETY: kill has no memory effects; the group is the compiler's own.
            unsafe { libc::kill(-(child.id() as i32), libc::SIGKILL) };
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let seconds = start.elapsed().as_secs_f64();
    let mut log = std::fs::read_to_string(&log_file).unwrap_or_default();
    let ok = status.is_some_and(|s| s.success()) && work.path().join("kernel.so").is_file();
    match status {
        None => log.push_str(&format!(
            "\nerror: compilation timed out after {} s\n",
            COMPILE_TIMEOUT.as_secs()
        )),
        Some(s) if !ok => match limit_reason(s, &log) {
            Some(reason) => log = format!("{reason}\n{log}"),
            None if log.trim().is_empty() => log = format!("compiler exited with {s}"),
            None => {}
        },
        Some(_) => {}
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

/// The first line of a gcc log that reports an error (the linker's `collect2` summary
/// line excepted), else its first line.
pub fn first_error_line(log: &str) -> String {
    log.lines()
        .find(|l| {
            (l.contains("error") || l.contains("undefined reference")) && !l.starts_with("collect2")
        })
        .or_else(|| log.lines().next())
        .unwrap_or("compile failed")
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_summary_is_the_first_error() {
        let log = "kernel.cpp: In function 'int kb_forward':\nkernel.cpp:3:5: error: expected ';'\n\
                   collect2: error: ld returned 1 exit status\n";
        assert_eq!(first_error_line(log), "kernel.cpp:3:5: error: expected ';'");
        assert_eq!(first_error_line(""), "compile failed");
    }
}
