//! Finding `nvcc` and the target architecture.
//!
//! `nvcc` comes from, in order: `--nvcc`, `KBENCH_NVCC`, `PATH`, `CUDA_HOME/bin`,
//! `/usr/local/cuda/bin`, and the project's PyPI toolchain
//! (`scripts/install-cuda-toolchain.sh` installs it into `.venv-cuda`, looked for in the
//! working folder and above the kbench executable).

use crate::backend::BackendError;
use std::path::{Path, PathBuf};

/// The folder the install script creates.
pub const PROJECT_TOOLCHAIN: &str = ".venv-cuda";

/// nvcc inside a PyPI toolchain rooted at `venv`, if installed there.
fn nvcc_in_venv(venv: &Path) -> Option<PathBuf> {
    let lib = venv.join("lib");
    let mut pythons: Vec<PathBuf> = std::fs::read_dir(&lib)
        .ok()?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .collect();
    pythons.sort();
    pythons
        .into_iter()
        .map(|p| p.join("site-packages/nvidia/cu13/bin/nvcc"))
        .find(|p| p.is_file())
}

/// Where `nvcc` is, given an explicit choice (`--nvcc`), as an absolute path (the
/// compiler runs in its build folder).
pub fn find_nvcc(explicit: Option<&Path>) -> Result<PathBuf, BackendError> {
    let found = search_nvcc(explicit)?;
    std::path::absolute(&found).map_err(|e| BackendError::Toolchain {
        compiler: found.display().to_string(),
        reason: e.to_string(),
    })
}

fn search_nvcc(explicit: Option<&Path>) -> Result<PathBuf, BackendError> {
    if let Some(path) = explicit {
        return Ok(path.to_path_buf());
    }
    if let Some(path) = std::env::var_os("KBENCH_NVCC").filter(|v| !v.is_empty()) {
        return Ok(PathBuf::from(path));
    }
    let on_path = std::env::var_os("PATH")
        .into_iter()
        .flat_map(|dirs| std::env::split_paths(&dirs).collect::<Vec<_>>())
        .map(|d| d.join("nvcc"));
    let cuda_home = std::env::var_os("CUDA_HOME")
        .map(|h| PathBuf::from(h).join("bin/nvcc"))
        .into_iter();
    let mut project: Vec<PathBuf> = vec![PathBuf::from(PROJECT_TOOLCHAIN)];
    if let Ok(exe) = std::env::current_exe() {
        project.extend(exe.ancestors().skip(1).map(|d| d.join(PROJECT_TOOLCHAIN)));
    }
    on_path
        .chain(cuda_home)
        .chain(std::iter::once(PathBuf::from("/usr/local/cuda/bin/nvcc")))
        .find(|p| p.is_file())
        .or_else(|| project.iter().find_map(|v| nvcc_in_venv(v)))
        .ok_or_else(|| BackendError::Toolchain {
            compiler: "nvcc".into(),
            reason: "not found: pass --nvcc PATH, set KBENCH_NVCC or CUDA_HOME, or run `bash scripts/install-cuda-toolchain.sh` (nvcc from PyPI, no GPU needed)".into(),
        })
}

/// Checks an `--arch` value: `sm_` followed by the compute capability's digits and an
/// optional feature suffix (`sm_90`, `sm_90a`, `sm_100a`).
pub fn parse_arch(arch: &str) -> Result<String, BackendError> {
    let digits = arch.strip_prefix("sm_").unwrap_or_default();
    let number = digits.trim_end_matches(|c: char| c.is_ascii_lowercase());
    let suffix = &digits[number.len()..];
    if number.len() >= 2 && number.chars().all(|c| c.is_ascii_digit()) && suffix.len() <= 1 {
        Ok(arch.to_string())
    } else {
        Err(BackendError::Unsupported(format!(
            "`{arch}` is not a CUDA architecture: use sm_XY with the device's compute capability, e.g. sm_90 for an H100, sm_80 for an A100"
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn architectures_parse() {
        for ok in ["sm_80", "sm_90", "sm_90a", "sm_100a", "sm_120"] {
            assert_eq!(parse_arch(ok).expect(ok), ok);
        }
        for bad in ["90", "sm_9", "compute_90", "sm_90ab", "sm_", "sm_x0"] {
            assert!(parse_arch(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn an_explicit_nvcc_wins() {
        let p = Path::new("/opt/cuda/bin/nvcc");
        assert_eq!(find_nvcc(Some(p)).expect("explicit"), p);
    }

    #[test]
    fn a_pypi_toolchain_is_found_in_its_venv() {
        let dir = tempfile::tempdir().expect("tempdir");
        let bin = dir
            .path()
            .join("lib/python3.11/site-packages/nvidia/cu13/bin");
        std::fs::create_dir_all(&bin).expect("mkdir");
        assert_eq!(nvcc_in_venv(dir.path()), None);
        std::fs::write(bin.join("nvcc"), "").expect("write");
        assert_eq!(nvcc_in_venv(dir.path()), Some(bin.join("nvcc")));
    }
}
