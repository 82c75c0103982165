//! Running a compiler on untrusted source. The source chooses what the compiler reads
//! (`#include "/dev/zero"`), how much memory and time it takes (template bombs) and how
//! much it writes, so every backend's build runs confined: resource limits always, and
//! where Landlock is available, reads only of the toolchain, the system headers and
//! libraries and the build folder, writes only to the build folder.

use landlock::{
    ABI, Access, AccessFs, CompatLevel, Compatible, Ruleset, RulesetAttr, RulesetCreatedAttr,
    path_beneath_rules,
};
use std::os::fd::{AsRawFd, OwnedFd};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus};

/// Address space a compiler process may take.
pub const BUILD_MEMORY_BYTES: u64 = 2 << 30;
/// CPU seconds a compiler process may use.
pub const BUILD_CPU_SECONDS: u64 = 120;
/// Largest file a compiler may write.
pub const BUILD_FILE_BYTES: u64 = 512 << 20;
/// Files a compiler may hold open.
pub const BUILD_OPEN_FILES: u64 = 256;

/// The system's programs, libraries and headers, readable by every confined process.
pub const SYSTEM_LIBRARIES: &[&str] = &["/usr", "/lib", "/lib64", "/lib32", "/etc/ld.so.cache"];

/// Further locations a build may read besides its toolchain and its folder (not
/// `/proc/self`: the rules may be made in the parent, where it would name the parent).
const BUILD_READABLE: &[&str] = &[
    "/etc/alternatives",
    "/proc/cpuinfo",
    "/sys/devices/system/cpu",
];

/// The folder a toolchain lives in: the prefix above the `bin/` holding `program`
/// (found on `PATH` when it is a bare name), so its own headers and libraries stay
/// readable.
pub fn toolchain_prefix(program: &str) -> Option<PathBuf> {
    let path = Path::new(program);
    let found = if path.components().count() > 1 {
        Some(path.to_path_buf())
    } else {
        std::env::var_os("PATH").and_then(|dirs| {
            std::env::split_paths(&dirs)
                .map(|d| d.join(program))
                .find(|p| p.is_file())
        })
    }?;
    let real = std::fs::canonicalize(found).ok()?;
    real.parent()?.parent().map(Path::to_path_buf)
}

/// The program that confines builds without forking the (large) harness: a `kbench`
/// binary whose `__build` command applies [`confine_self`] and then runs the compiler.
static HELPER: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();

/// Makes builds start through `exe __build` (the harness registers its own binary).
pub fn use_helper(exe: PathBuf) {
    let _ = HELPER.set(exe);
}

/// A command that runs `program` as a build in `build_dir`: the resource limits above,
/// its own process group, `TMPDIR` in the build folder, and (where Landlock is
/// available) reads of the system, of `toolchain` and of the build folder only, writes
/// to the build folder only. Through the registered helper when there is one (spawned
/// without a fork of the harness); else the limits are applied between fork and exec.
pub fn build_command(program: &str, build_dir: &Path, toolchain: &[PathBuf]) -> Command {
    let mut cmd = match HELPER.get() {
        Some(helper) => {
            let mut cmd = Command::new(helper);
            cmd.arg("__build").arg(build_dir);
            for dir in toolchain {
                cmd.arg("--read").arg(dir);
            }
            cmd.arg("--").arg(program);
            cmd
        }
        None => {
            let mut cmd = Command::new(program);
            let ruleset = build_ruleset(build_dir, toolchain);
            // SAFETY: between fork and exec only async-signal-safe calls are made
            // (setrlimit, prctl, the raw landlock_restrict_self system call on a
            // descriptor prepared before the fork, which the closure owns); nothing
            // allocates.
            unsafe {
                cmd.pre_exec(move || {
                    apply_limits()?;
                    if let Some(fd) = &ruleset {
                        restrict_to(fd.as_raw_fd())?;
                    }
                    Ok(())
                });
            }
            cmd
        }
    };
    cmd.env("TMPDIR", build_dir).process_group(0);
    cmd
}

/// Applies the build limits and file rules to this process (the helper's side), then
/// returns whether the file rules hold.
pub fn confine_self(build_dir: &Path, toolchain: &[PathBuf]) -> std::io::Result<bool> {
    apply_limits()?;
    match build_ruleset(build_dir, toolchain) {
        Some(fd) => restrict_to(fd.as_raw_fd()).map(|()| true),
        None => Ok(false),
    }
}

fn apply_limits() -> std::io::Result<()> {
    for (resource, limit) in [
        (libc::RLIMIT_AS, BUILD_MEMORY_BYTES),
        (libc::RLIMIT_CPU, BUILD_CPU_SECONDS),
        (libc::RLIMIT_FSIZE, BUILD_FILE_BYTES),
        (libc::RLIMIT_NOFILE, BUILD_OPEN_FILES),
        (libc::RLIMIT_CORE, 0),
    ] {
        let lim = libc::rlimit {
            rlim_cur: limit as libc::rlim_t,
            rlim_max: limit as libc::rlim_t,
        };
        // SAFETY: setrlimit on this process with a valid struct.
        if unsafe { libc::setrlimit(resource, &lim) } != 0 {
            return Err(std::io::Error::last_os_error());
        }
    }
    Ok(())
}

fn restrict_to(ruleset: std::os::fd::RawFd) -> std::io::Result<()> {
    // SAFETY: prctl and landlock_restrict_self on this process; `ruleset` is an open
    // Landlock ruleset descriptor.
    unsafe {
        if libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0
            || libc::syscall(libc::SYS_landlock_restrict_self, ruleset, 0) != 0
        {
            return Err(std::io::Error::last_os_error());
        }
    }
    Ok(())
}

fn build_ruleset(build_dir: &Path, toolchain: &[PathBuf]) -> Option<OwnedFd> {
    let abi = ABI::V3;
    let mut readable: Vec<PathBuf> = SYSTEM_LIBRARIES
        .iter()
        .chain(BUILD_READABLE)
        .map(PathBuf::from)
        .collect();
    readable.extend(toolchain.iter().cloned());
    readable.retain(|p| p.exists());
    let created = Ruleset::default()
        .set_compatibility(CompatLevel::BestEffort)
        .handle_access(AccessFs::from_all(abi))
        .and_then(|r| r.create())
        .and_then(|r| r.add_rules(path_beneath_rules(readable, AccessFs::from_read(abi))))
        .and_then(|r| {
            r.add_rules(path_beneath_rules(
                [build_dir.to_path_buf(), PathBuf::from("/dev/null")],
                AccessFs::from_all(abi),
            ))
        })
        .ok()?;
    created.into()
}

/// Why a confined build failed, when a limit or a signal ended it (`None` for an
/// ordinary compile error, which the compiler's log explains).
pub fn limit_reason(status: ExitStatus, log: &str) -> Option<String> {
    let gib = BUILD_MEMORY_BYTES >> 30;
    let memory = || {
        format!(
            "error: the compiler ran out of its memory limit ({gib} GiB): the source makes it allocate without bound"
        )
    };
    match status.signal() {
        Some(libc::SIGXCPU) => Some(format!(
            "error: the compiler used its CPU-time limit ({BUILD_CPU_SECONDS} s)"
        )),
        Some(libc::SIGXFSZ) => Some(format!(
            "error: the compiler tried to write a file over the limit ({} MiB)",
            BUILD_FILE_BYTES >> 20
        )),
        Some(libc::SIGKILL) if log.is_empty() => Some(memory()),
        Some(signal) => Some(format!("error: the compiler was killed by signal {signal}")),
        None if log.contains("out of memory") || log.contains("memory exhausted") => Some(memory()),
        None => None,
    }
}
