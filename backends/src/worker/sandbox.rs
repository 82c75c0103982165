//! Confining a worker with Landlock before any untrusted code is loaded: writes only
//! below its job folder; reads only of the job folder, its inputs, its kernel, the
//! system libraries and the few system files a C++ runtime reads; no signal to (and no
//! ptrace of) any process outside its own sandbox, so it can neither kill nor inspect
//! the harness; no abstract Unix socket outside it. Best effort: each protection the
//! running kernel lacks is reported as not held, and the sample records it.

use landlock::{
    ABI, Access, AccessFs, CompatLevel, Compatible, LandlockStatus, Ruleset, RulesetAttr,
    RulesetCreatedAttr, RulesetStatus, Scope, path_beneath_rules,
};
use std::path::{Path, PathBuf};

/// Locations a worker may read besides the system libraries: the loader's
/// configuration, the processor description OpenMP reads, its own `/proc` entry, and
/// the harmless devices.
const WORKER_READABLE: &[&str] = &[
    "/etc/ld.so.conf",
    "/etc/ld.so.conf.d",
    "/sys/devices/system/cpu",
    "/proc/self",
    "/proc/cpuinfo",
    "/proc/meminfo",
    "/proc/stat",
    "/dev/null",
    "/dev/zero",
    "/dev/urandom",
];

/// Which protections the confinement achieved.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Confinement {
    /// Writes only below the job folder.
    pub writes: bool,
    /// Reads only of the allowed paths (not the store, not the harness's `/proc`).
    pub reads: bool,
    /// Signals, ptrace and abstract sockets only within the worker's own sandbox.
    pub signals: bool,
}

/// Confines the calling process: read-write below `job_dir`, read-only below each of
/// `readable` (inputs, the kernel, what the device driver reads) and the system
/// locations, read, write and device `ioctl`s on `devices` (a GPU's device files).
/// Paths that do not exist are skipped.
pub fn confine(job_dir: &Path, readable: &[PathBuf], devices: &[PathBuf]) -> Confinement {
    let abi = ABI::V6;
    let read = AccessFs::from_read(abi);
    let existing = |paths: Vec<PathBuf>| -> Vec<PathBuf> {
        paths.into_iter().filter(|p| p.exists()).collect()
    };
    let mut read_paths: Vec<PathBuf> = crate::build_sandbox::SYSTEM_LIBRARIES
        .iter()
        .chain(WORKER_READABLE)
        .map(PathBuf::from)
        .collect();
    read_paths.extend(readable.iter().cloned());
    if let Some(dirs) = std::env::var_os("LD_LIBRARY_PATH") {
        read_paths.extend(std::env::split_paths(&dirs).filter(|p| p.is_absolute()));
    }
    let status = Ruleset::default()
        .set_compatibility(CompatLevel::BestEffort)
        .handle_access(AccessFs::from_all(abi))
        .and_then(|r| r.scope(Scope::from_all(abi)))
        .and_then(|r| r.create())
        .and_then(|r| r.add_rules(path_beneath_rules(existing(read_paths), read)))
        .and_then(|r| {
            r.add_rules(path_beneath_rules(
                existing(vec![job_dir.to_path_buf()]),
                AccessFs::from_all(abi),
            ))
        })
        .and_then(|r| {
            r.add_rules(path_beneath_rules(
                existing(devices.to_vec()),
                read | AccessFs::WriteFile | AccessFs::IoctlDev,
            ))
        })
        .and_then(|r| r.restrict_self());
    let Ok(status) = status else {
        return Confinement::default();
    };
    let enforced = matches!(
        status.ruleset,
        RulesetStatus::FullyEnforced | RulesetStatus::PartiallyEnforced
    );
    let effective = match status.landlock {
        LandlockStatus::Available { effective_abi, .. } => effective_abi,
        _ => ABI::Unsupported,
    };
    Confinement {
        writes: enforced && effective >= ABI::V1,
        reads: enforced && effective >= ABI::V1,
        signals: enforced && effective >= ABI::V6,
    }
}
