//! The second baseline: the task's PyTorch forward, eager on the backend's device, timed
//! on the same trial inputs with the same plan, where a Python with `torch` is available.

use crate::store::BaselineRow;
use kbench_backends::timing::TimingPlan;
use kbench_backends::worker::TensorFile;
use kbench_tasks::Task;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Baseline kind stored for PyTorch eager.
pub const PYTORCH_EAGER: &str = "pytorch-eager";

const SCRIPT: &str = include_str!("../../../scripts/pytorch_baseline.py");

/// The project's virtual environment, where `scripts/test.sh` installs PyTorch.
pub const VENV_PYTHON: &str = ".venv/bin/python";

/// `python` if it can import torch.
pub fn has_torch(python: &Path) -> bool {
    Command::new(python)
        .args(["-c", "import torch, numpy"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// The Python to time PyTorch with: `explicit` when given, else the project's virtual
/// environment when it has torch.
pub fn detect(explicit: Option<&Path>) -> Option<PathBuf> {
    match explicit {
        Some(p) => Some(p.to_path_buf()),
        None => {
            let venv = PathBuf::from(VENV_PYTHON);
            has_torch(&venv).then(|| std::path::absolute(&venv).unwrap_or(venv))
        }
    }
}

/// Writes, per trial set, a `manifest.json` that names the set's input and parameter
/// files (the raw little-endian files the workers read, with dtype and shape): the
/// baseline maps them instead of keeping a copy of every set of its own.
fn write_manifests(dir: &Path, task: &Task, files: &[Vec<TensorFile>]) -> Result<(), String> {
    let names: Vec<&str> = task
        .inputs
        .iter()
        .map(|i| i.name)
        .chain(task.params.iter().map(|p| p.name))
        .collect();
    for (s, set) in files.iter().enumerate() {
        if set.len() != names.len() {
            return Err(format!(
                "set {s} has {} files for {} tensors",
                set.len(),
                names.len()
            ));
        }
        let folder = dir.join(format!("set{s}"));
        std::fs::create_dir_all(&folder).map_err(|e| e.to_string())?;
        let entries: Vec<serde_json::Value> = names
            .iter()
            .zip(set)
            .map(|(name, f)| {
                serde_json::json!({
                    "name": name,
                    "file": f.file,
                    "dtype": f.dtype.name(),
                    "shape": f.shape,
                })
            })
            .collect();
        let (inputs, params) = entries.split_at(task.inputs.len());
        let manifest = serde_json::json!({"inputs": inputs, "params": params});
        std::fs::write(folder.join("manifest.json"), manifest.to_string())
            .map_err(|e| e.to_string())?;
    }
    Ok(())
}

/// Times the task's PyTorch forward in `python` on `device` over the trial sets' input
/// `files`; `Err` says why it could not.
#[allow(clippy::too_many_arguments)]
pub fn time_pytorch(
    python: &Path,
    device: &str,
    task: &Task,
    files: &[Vec<TensorFile>],
    plan: &TimingPlan,
    dir: &Path,
    timeout: Duration,
) -> Result<BaselineRow, String> {
    std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
    std::fs::write(dir.join("model.py"), task.source.as_bytes()).map_err(|e| e.to_string())?;
    std::fs::write(dir.join("pytorch_baseline.py"), SCRIPT).map_err(|e| e.to_string())?;
    write_manifests(&dir.join("sets"), task, files)?;
    let plan_json = serde_json::to_string(plan).map_err(|e| e.to_string())?;
    let cost = task.cost();
    let evict_bytes = 2 * cost.bytes;
    let stdout_path = dir.join("stdout.log");
    let stderr_path = dir.join("stderr.log");
    let open = |p: &Path| std::fs::File::create(p).map_err(|e| e.to_string());
    let mut child = Command::new(python)
        .arg(dir.join("pytorch_baseline.py"))
        .arg(dir.join("model.py"))
        .arg(dir.join("sets"))
        .arg(plan_json)
        .arg(device)
        .arg(evict_bytes.to_string())
        .stdin(Stdio::null())
        .stdout(open(&stdout_path)?)
        .stderr(open(&stderr_path)?)
        .spawn()
        .map_err(|e| format!("cannot start {}: {e}", python.display()))?;
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().map_err(|e| e.to_string())? {
            break status;
        }
        if start.elapsed() > timeout {
            let _ = child.kill();
            let _ = child.wait();
            return Err(format!("timed out after {} s", timeout.as_secs()));
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let stdout = std::fs::read_to_string(&stdout_path).unwrap_or_default();
    if !status.success() {
        let stderr = std::fs::read_to_string(&stderr_path).unwrap_or_default();
        let last = stderr.lines().last().unwrap_or("no message");
        return Err(format!("{status}: {last}"));
    }
    let line = stdout.lines().last().unwrap_or_default();
    let v: serde_json::Value =
        serde_json::from_str(line).map_err(|e| format!("bad output: {e}"))?;
    let num = |k: &str| v[k].as_f64().ok_or_else(|| format!("missing {k}"));
    Ok(BaselineRow {
        calls: v["calls"].as_i64().ok_or("missing calls")?,
        min_s: num("min_s")?,
        median_s: num("median_s")?,
        mean_s: num("mean_s")?,
        stddev_s: num("stddev_s")?,
    })
}
