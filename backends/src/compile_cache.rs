//! Compiling a kernel source into a shared library: in the build sandbox
//! (`build_sandbox.rs`), under a wall-clock limit, cached by a key over everything that
//! decides the result. Failed compiles are cached too (they are deterministic). Every
//! backend that builds a library (`cpu` with g++, `cuda` with nvcc) goes through here.

use crate::ABI_HEADER;
use crate::backend::{BackendError, Compiled};
use crate::build_sandbox::{build_command, limit_reason, toolchain_prefix};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Longest a compilation may take; past it the compiler is killed and the sample is a
/// compile error.
pub const COMPILE_TIMEOUT: Duration = Duration::from_secs(120);

/// The exception guard linked into every kernel library: the worker calls
/// `kbench_guarded_forward`, never `kb_forward` directly, so that a C++ exception cannot
/// cross into the worker.
pub const SHIM: &str = include_str!("shim.cpp");

/// Status the guard returns when the kernel threw `std::bad_alloc`.
pub const STATUS_OUT_OF_MEMORY: i32 = -1001;
/// Status the guard returns when the kernel threw any other exception.
pub const STATUS_EXCEPTION: i32 = -1000;

/// The fault label of a status the guard returns, `None` for the kernel's own.
pub fn guard_status_fault(status: i32) -> Option<&'static str> {
    match status {
        STATUS_OUT_OF_MEMORY => Some("out_of_memory"),
        STATUS_EXCEPTION => Some("exception"),
        _ => None,
    }
}

/// The file every build writes its library to, inside its build folder.
pub const ARTIFACT: &str = "kernel.so";

/// One compilation: which compiler, what it sees, and the arguments that build
/// [`ARTIFACT`] from the files, relative to the build folder it runs in.
#[derive(Debug, Clone)]
pub struct BuildRequest<'a> {
    /// Cache subfolder (the backend's name).
    pub backend: &'a str,
    /// The compiler program.
    pub compiler: &'a str,
    /// Its version line, part of the key.
    pub compiler_version: &'a str,
    /// Files written into the build folder first, as `(name, text)`; `kbench.h` and
    /// the guard are added by [`compile`].
    pub sources: &'a [(&'a str, &'a str)],
    /// The compiler's arguments, paths relative to the build folder.
    pub args: &'a [String],
    /// Anything else the result depends on (e.g. the target architecture).
    pub extra_key: &'a str,
}

/// Name of the guard's file in the build folder.
pub const SHIM_FILE: &str = "kbench_shim.cpp";

/// The line of `$compiler --version` that holds `prefer` (nvcc's `release` line), else
/// its first line, or a note that it could not be run.
pub fn compiler_version(compiler: &str, prefer: Option<&str>) -> String {
    Command::new(compiler)
        .arg("--version")
        .output()
        .ok()
        .and_then(|o| {
            let text = String::from_utf8_lossy(&o.stdout).into_owned();
            let preferred = prefer.and_then(|p| text.lines().find(|l| l.contains(p)));
            preferred
                .or_else(|| text.lines().find(|l| !l.trim().is_empty()))
                .map(|l| l.trim().to_string())
        })
        .unwrap_or_else(|| format!("{compiler} (not runnable)"))
}

fn cache_key(req: &BuildRequest<'_>) -> String {
    let mut h = blake3::Hasher::new();
    let args = req.args.join(" ");
    let mut parts = vec![req.compiler_version, ABI_HEADER, SHIM, &args, req.extra_key];
    for (name, text) in req.sources {
        parts.push(name);
        parts.push(text);
    }
    for part in parts {
        h.update(&(part.len() as u64).to_le_bytes());
        h.update(part.as_bytes());
    }
    h.finalize().to_hex()[..32].to_string()
}

/// Builds `cache_dir/<backend>/<key>/kernel.so`, or returns the cached result.
pub fn compile(req: &BuildRequest<'_>, cache_dir: &Path) -> Result<Compiled, BackendError> {
    let key = cache_key(req);
    let root = cache_dir.join(req.backend);
    let dir = root.join(&key);
    let artifact = dir.join(ARTIFACT);
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
    std::fs::create_dir_all(&root)
        .map_err(BackendError::io(format!("creating {}", root.display())))?;
    let work = tempfile::Builder::new()
        .prefix(".building-")
        .tempdir_in(&root)
        .map_err(BackendError::io("creating a build folder"))?;
    for (name, text) in [("kbench.h", ABI_HEADER), (SHIM_FILE, SHIM)]
        .into_iter()
        .chain(req.sources.iter().copied())
    {
        std::fs::write(work.path().join(name), text)
            .map_err(BackendError::io(format!("writing {name}")))?;
    }
    let log_file = work.path().join("compiler-output.txt");
    let sink = std::fs::File::create(&log_file).map_err(BackendError::io("creating the log"))?;
    let sink2 = sink
        .try_clone()
        .map_err(BackendError::io("creating the log"))?;
    let start = Instant::now();
    let toolchain: Vec<_> = toolchain_prefix(req.compiler).into_iter().collect();
    let mut cmd = build_command(req.compiler, work.path(), &toolchain);
    cmd.args(req.args)
        .current_dir(work.path())
        .stdin(Stdio::null())
        .stdout(sink)
        .stderr(sink2);
    let mut child = cmd.spawn().map_err(|e| BackendError::Toolchain {
        compiler: req.compiler.to_string(),
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
    let ok = status.is_some_and(|s| s.success()) && work.path().join(ARTIFACT).is_file();
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

/// The first line of a compiler log that reports an error (the linker's `collect2`
/// summary line excepted), else its first line.
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

    #[test]
    fn the_key_covers_sources_arguments_and_target() {
        let req = BuildRequest {
            backend: "cuda",
            compiler: "nvcc",
            compiler_version: "release 13.5",
            sources: &[("kernel.cu", "a")],
            args: &["-arch=sm_90".to_string()],
            extra_key: "sm_90",
        };
        let base = cache_key(&req);
        let other_source = BuildRequest {
            sources: &[("kernel.cu", "b")],
            ..req.clone()
        };
        let other_target = BuildRequest {
            extra_key: "sm_80",
            ..req.clone()
        };
        let other_version = BuildRequest {
            compiler_version: "release 13.0",
            ..req.clone()
        };
        for other in [other_source, other_target, other_version] {
            assert_ne!(cache_key(&other), base);
        }
        assert_eq!(cache_key(&req), base);
    }
}
