//! Export of a task instance, `(task, seed)`, for the PyTorch parity check and for
//! anyone who wants the exact bytes: inputs, parameters and reference outputs as `.npy`
//! files plus a `manifest.json` that names them in order, and the PyTorch source at
//! the task's size profile.

use crate::error::{Result, TaskError};
use crate::spec::{Task, Tolerance};
use crate::tensor::{DType, HostTensor};
use serde::Serialize;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Version tag of the generator, written into every manifest.
pub const GENERATOR: &str = "kbench-splitmix64-as241-v2";

/// File name of the exported PyTorch source (at the task's sizes).
pub const SOURCE_FILE: &str = "model.py";

/// One exported tensor.
#[derive(Debug, Clone, Serialize)]
pub struct ExportedTensor {
    /// Input name, `state_dict` key, or output name.
    pub name: String,
    /// File name inside the export folder.
    pub file: String,
    /// Element type.
    pub dtype: DType,
    /// Shape.
    pub shape: Vec<usize>,
}

/// The manifest of one export.
#[derive(Debug, Clone, Serialize)]
pub struct Manifest {
    /// `<category>/<name>`.
    pub task: String,
    /// The seed the tensors were generated from.
    pub seed: u64,
    /// The size profile of the shapes.
    pub sizes: crate::SizeProfile,
    /// The PyTorch source at those sizes, written beside the manifest.
    pub source: String,
    /// Generator version ([`GENERATOR`]).
    pub generator: &'static str,
    /// Pass criterion of the task.
    pub tolerance: Tolerance,
    /// Forward inputs, in order.
    pub inputs: Vec<ExportedTensor>,
    /// Parameters, by `state_dict` key.
    pub params: Vec<ExportedTensor>,
    /// Reference outputs, in order.
    pub outputs: Vec<ExportedTensor>,
    /// Wall-clock seconds of each timed reference run (empty when not timed).
    pub reference_seconds: Vec<f64>,
}

/// Writes `tensor` as a version 1.0 `.npy` file (little-endian, C order).
pub fn write_npy(path: &Path, tensor: &HostTensor) -> Result<()> {
    let descr = match tensor.dtype() {
        DType::F32 => "<f4",
        DType::F16 => "<f2",
        DType::BF16 => "<V2",
        DType::I64 => "<i8",
        DType::I32 => "<i4",
        DType::Bool => "|b1",
    };
    let shape = match tensor.shape.as_slice() {
        [] => "()".to_string(),
        [n] => format!("({n},)"),
        dims => format!(
            "({})",
            dims.iter()
                .map(usize::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        ),
    };
    let mut header = format!("{{'descr': '{descr}', 'fortran_order': False, 'shape': {shape}, }}");
    // Magic (6) + version (2) + length (2) + header, padded with spaces and ending in a
    // newline so that the data starts on a 64-byte boundary.
    let unpadded = 10 + header.len() + 1;
    header.push_str(&" ".repeat((64 - unpadded % 64) % 64));
    header.push('\n');
    let len = u16::try_from(header.len())
        .map_err(|_| TaskError::Shape(format!("npy header too long for {:?}", tensor.shape)))?;
    let io = |source: std::io::Error| TaskError::Io {
        path: path.to_path_buf(),
        source,
    };
    // Header, then the tensor's bytes as they are in memory (little-endian hosts): a
    // current-profile tensor of several GB is never copied.
    let mut file = std::fs::File::create(path).map_err(io)?;
    file.write_all(b"\x93NUMPY\x01\x00").map_err(io)?;
    file.write_all(&len.to_le_bytes()).map_err(io)?;
    file.write_all(header.as_bytes()).map_err(io)?;
    file.write_all(&tensor.le_bytes()).map_err(io)
}

fn write_group(
    dir: &Path,
    prefix: &str,
    names: impl Iterator<Item = String>,
    tensors: &[HostTensor],
) -> Result<Vec<ExportedTensor>> {
    names
        .zip(tensors)
        .enumerate()
        .map(|(i, (name, tensor))| {
            let file = format!("{prefix}{i}.npy");
            write_npy(&dir.join(&file), tensor)?;
            Ok(ExportedTensor {
                name,
                file,
                dtype: tensor.dtype(),
                shape: tensor.shape.clone(),
            })
        })
        .collect()
}

/// Generates `(task, seed)`, runs the reference (`timing_runs` extra timed runs when
/// non-zero) and writes everything to `dir`, created if missing.
pub fn export(task: &Task, seed: u64, dir: &Path, timing_runs: usize) -> Result<Manifest> {
    let io = |path: PathBuf| move |source| TaskError::Io { path, source };
    std::fs::create_dir_all(dir).map_err(io(dir.to_path_buf()))?;
    let tensors = task.generate(seed);
    let outputs = task.run_reference(&tensors)?;
    let mut reference_seconds = Vec::with_capacity(timing_runs);
    for _ in 0..timing_runs {
        let start = Instant::now();
        let again = task.run_reference(&tensors)?;
        reference_seconds.push(start.elapsed().as_secs_f64());
        drop(again);
    }
    let (inputs, params) = tensors.split_at(task.inputs.len());
    let manifest = Manifest {
        task: task.id(),
        seed,
        sizes: task.profile,
        source: SOURCE_FILE.to_string(),
        generator: GENERATOR,
        tolerance: task.tolerance,
        inputs: write_group(
            dir,
            "input",
            task.inputs.iter().map(|s| s.name.to_string()),
            inputs,
        )?,
        params: write_group(
            dir,
            "param",
            task.params.iter().map(|s| s.name.to_string()),
            params,
        )?,
        outputs: write_group(
            dir,
            "output",
            task.outputs.iter().map(|s| s.name.to_string()),
            &outputs,
        )?,
        reference_seconds,
    };
    let source = dir.join(SOURCE_FILE);
    std::fs::write(&source, task.source.as_bytes()).map_err(io(source.clone()))?;
    let path = dir.join("manifest.json");
    let json = serde_json::to_vec_pretty(&manifest)
        .map_err(|e| TaskError::Backend(format!("manifest: {e}")))?;
    std::fs::write(&path, json).map_err(io(path.clone()))?;
    Ok(manifest)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn npy_header_is_aligned_and_well_formed() {
        let dir = std::env::temp_dir().join(format!("kbench-npy-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let path = dir.join("t.npy");
        let t = HostTensor::f32(vec![2, 3], vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0]).expect("tensor");
        write_npy(&path, &t).expect("write");
        let bytes = std::fs::read(&path).expect("read");
        assert_eq!(&bytes[..8], b"\x93NUMPY\x01\x00");
        let len = u16::from_le_bytes([bytes[8], bytes[9]]) as usize;
        assert_eq!((10 + len) % 64, 0);
        let header = std::str::from_utf8(&bytes[10..10 + len]).expect("ascii");
        assert!(header.starts_with("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }"));
        assert!(header.ends_with('\n'));
        assert_eq!(bytes.len(), 10 + len + 24);
        assert_eq!(&bytes[10 + len..10 + len + 4], &1.0f32.to_le_bytes());
        std::fs::remove_dir_all(&dir).expect("cleanup");
    }
}
