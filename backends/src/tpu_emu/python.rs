//! Finding the Python with JAX that runs tpu-emu kernels.

use std::path::{Path, PathBuf};

/// The one line said when no Python with JAX is found.
pub const INSTALL_HINT: &str = "tpu-emu needs a Python with JAX: run `bash scripts/install-jax.sh` \
     (puts JAX into .venv-jax), or pass `--python PATH`, or set KBENCH_JAX_PYTHON";

/// The Python that runs tpu-emu kernels: `explicit` (`--python`), else
/// `$KBENCH_JAX_PYTHON`, else `.venv-jax/bin/python` in the current folder or in a folder
/// above the running binary (a checkout's `target/release/kbench`). Not checked for JAX
/// here (see `TpuEmuBackend::check_ready`).
pub fn find_python(explicit: Option<&Path>) -> Option<PathBuf> {
    if let Some(p) = explicit {
        return Some(p.to_path_buf());
    }
    if let Some(p) = std::env::var_os("KBENCH_JAX_PYTHON") {
        return Some(PathBuf::from(p));
    }
    let venv = Path::new(".venv-jax").join("bin").join("python");
    let mut candidates = vec![std::env::current_dir().ok().map(|d| d.join(&venv))];
    if let Ok(exe) = std::env::current_exe() {
        candidates.extend(exe.ancestors().skip(1).map(|d| Some(d.join(&venv))));
    }
    candidates.into_iter().flatten().find(|p| p.is_file())
}

/// The folders a worker must read to run `python`: its virtual environment (the folder
/// above `bin/`) and the installation the interpreter resolves to (the same folder for
/// a plain installation; under the system locations for `scripts/install-jax.sh`'s).
pub fn readable_for(python: &Path) -> Vec<PathBuf> {
    let prefix = |p: &Path| p.parent().and_then(Path::parent).map(Path::to_path_buf);
    let mut folders: Vec<PathBuf> = prefix(python).into_iter().collect();
    if let Some(real) = std::fs::canonicalize(python)
        .ok()
        .as_deref()
        .and_then(prefix)
    {
        folders.push(real);
    }
    folders.sort();
    folders.dedup();
    folders
}
