//! A loaded tpu-emu kernel: the Python worker process that runs it, and its staged
//! input sets. Lives only in a (sandboxed) worker process, whose sandbox the Python
//! process inherits.

use super::WORKER;
use super::backend::{Bundle, KERNEL_FILE, WORKER_FILE};
use super::fault_status;
use crate::abi::{AlignedBuffer, fingerprint, input_digest, poison};
use crate::backend::{
    BackendError, CallOutcome, InputWriter, LoadedKernel, OutputReader, SetId, staged, staged_mut,
};
use crate::worker::TensorFile;
use kbench_tasks::DType;
use serde::Deserialize;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::time::Duration;

struct StagedSet {
    inputs: Vec<AlignedBuffer>,
    /// Where each input's current bytes are written for the Python process before a
    /// call (the mapped inputs are private copies the harness may rewrite).
    input_files: Vec<(PathBuf, TensorFile)>,
    outputs: Vec<AlignedBuffer>,
    output_files: Vec<(PathBuf, TensorFile)>,
}

/// The worker's reply to a call.
#[derive(Deserialize)]
struct Reply {
    status: Option<i32>,
    estimate_s: Option<f64>,
    fault: Option<String>,
    detail: Option<String>,
}

/// A Pallas kernel module served by a Python process.
pub struct TpuKernel {
    child: Child,
    /// Closed on drop: the worker then ends its loop and exits.
    to_python: Option<ChildStdin>,
    from_python: BufReader<ChildStdout>,
    sets: Vec<StagedSet>,
}

/// numpy's name of a dtype.
fn numpy_dtype(dtype: DType) -> &'static str {
    match dtype {
        DType::F32 => "float32",
        DType::F16 => "float16",
        DType::BF16 => "bfloat16",
        DType::I64 => "int64",
        DType::I32 => "int32",
        DType::Bool => "bool",
    }
}

impl TpuKernel {
    /// Starts the artifact's Python on the worker script (written next to the artifact,
    /// in the job folder, with the kernel module in a folder of its own) and waits until
    /// JAX and the kernel module are imported.
    pub fn start(artifact: &Path) -> Result<Self, BackendError> {
        let text =
            std::fs::read_to_string(artifact).map_err(BackendError::io("reading the artifact"))?;
        let bundle: Bundle = serde_json::from_str(&text).map_err(|e| {
            BackendError::Load(format!("the artifact is not a tpu-emu bundle: {e}"))
        })?;
        let job = artifact.parent().unwrap_or(Path::new("."));
        let module_dir = job.join("tpu_kernel");
        std::fs::create_dir_all(&module_dir)
            .and_then(|()| std::fs::write(module_dir.join(KERNEL_FILE), &bundle.kernel))
            .and_then(|()| std::fs::write(job.join(WORKER_FILE), WORKER))
            .map_err(BackendError::io("writing the Python worker's files"))?;
        let mut child = Command::new(&bundle.python)
            .arg("-I")
            .arg("-u")
            .arg(job.join(WORKER_FILE))
            .arg(&module_dir)
            .env("JAX_PLATFORMS", "cpu")
            .env("PYTHONDONTWRITEBYTECODE", "1")
            .env("XLA_FLAGS", "--xla_cpu_multi_thread_eigen=false")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(BackendError::io(format!(
                "starting {}",
                bundle.python.display()
            )))?;
        let (Some(to_python), Some(from_python)) = (child.stdin.take(), child.stdout.take()) else {
            return Err(BackendError::Load("the Python worker has no pipes".into()));
        };
        let mut kernel = TpuKernel {
            child,
            to_python: Some(to_python),
            from_python: BufReader::new(from_python),
            sets: Vec::new(),
        };
        let ready = kernel.read_line()?;
        if !ready.contains("\"ready\"") {
            return Err(BackendError::Load(format!(
                "the Python worker did not start ({KERNEL_FILE}): {ready}"
            )));
        }
        Ok(kernel)
    }

    fn read_line(&mut self) -> Result<String, BackendError> {
        let mut line = String::new();
        let n = self
            .from_python
            .read_line(&mut line)
            .map_err(BackendError::io("reading the Python worker"))?;
        if n == 0 {
            return Err(BackendError::Load(
                "the Python worker exited (killed, or out of memory)".into(),
            ));
        }
        Ok(line)
    }
}

impl Drop for TpuKernel {
    /// Closes the worker's input and gives it a moment to exit. The syscall filter lets
    /// this process signal only itself and its group, so a worker that lingers is left
    /// to the harness, which kills the whole group when the job ends.
    fn drop(&mut self) {
        self.to_python = None;
        for _ in 0..200 {
            if !matches!(self.child.try_wait(), Ok(None)) {
                return;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

impl LoadedKernel for TpuKernel {
    fn stage(
        &mut self,
        dir: &Path,
        inputs: &[TensorFile],
        outputs: &[TensorFile],
    ) -> Result<SetId, BackendError> {
        let set = self.sets.len();
        let mut staged = StagedSet {
            inputs: Vec::with_capacity(inputs.len()),
            input_files: Vec::with_capacity(inputs.len()),
            outputs: Vec::with_capacity(outputs.len()),
            output_files: Vec::with_capacity(outputs.len()),
        };
        for (i, t) in inputs.iter().enumerate() {
            staged.inputs.push(
                AlignedBuffer::map_file(&dir.join(&t.file), t.size_bytes())
                    .map_err(BackendError::io(format!("mapping {}", t.file)))?,
            );
            staged
                .input_files
                .push((dir.join(format!("tpu_in_{set}_{i}.bin")), t.clone()));
        }
        for o in outputs {
            let path = dir.join(&o.file);
            staged.outputs.push(
                AlignedBuffer::create_shared_file(&path, o.size_bytes())
                    .map_err(BackendError::io(format!("creating {}", o.file)))?,
            );
            staged.output_files.push((path, o.clone()));
        }
        self.sets.push(staged);
        Ok(set)
    }

    fn rewrite_inputs(
        &mut self,
        set: SetId,
        write: &mut InputWriter<'_>,
    ) -> Result<(), BackendError> {
        let s = staged_mut(&mut self.sets, set)?;
        let mut inputs: Vec<&mut [u8]> =
            s.inputs.iter_mut().map(AlignedBuffer::bytes_mut).collect();
        write(&mut inputs).map_err(BackendError::Protocol)
    }

    fn read_outputs(
        &mut self,
        set: SetId,
        read: &mut OutputReader<'_>,
    ) -> Result<(), BackendError> {
        let s = staged(&self.sets, set)?;
        let outputs: Vec<&[u8]> = s.outputs.iter().map(AlignedBuffer::bytes).collect();
        read(&outputs).map_err(BackendError::Protocol)
    }

    fn poison_outputs(&mut self, set: SetId) {
        if let Some(s) = self.sets.get_mut(set) {
            for (buf, (_, file)) in s.outputs.iter_mut().zip(&s.output_files) {
                poison(buf, file.dtype);
            }
        }
    }

    fn call(&mut self, set: SetId) -> Result<CallOutcome, BackendError> {
        let s = staged(&self.sets, set)?;
        for (buf, (path, _)) in s.inputs.iter().zip(&s.input_files) {
            std::fs::write(path, buf.bytes())
                .map_err(BackendError::io("writing a call's input"))?;
        }
        let describe = |files: &[(PathBuf, TensorFile)]| -> Vec<serde_json::Value> {
            files
                .iter()
                .map(|(p, t)| serde_json::json!([p, numpy_dtype(t.dtype), t.shape]))
                .collect()
        };
        let request = serde_json::json!({
            "inputs": describe(&s.input_files),
            "outputs": describe(&s.output_files),
        });
        let Some(to_python) = self.to_python.as_mut() else {
            return Err(BackendError::Protocol("the Python worker is closed".into()));
        };
        writeln!(to_python, "{request}")
            .and_then(|()| to_python.flush())
            .map_err(BackendError::io("writing to the Python worker"))?;
        let line = self.read_line()?;
        let reply: Reply = serde_json::from_str(&line)
            .map_err(|e| BackendError::Protocol(format!("the Python worker said `{line}`: {e}")))?;
        let status = match reply.status {
            Some(0) => 0,
            _ => {
                let fault = reply.fault.as_deref().unwrap_or("tpu_worker_protocol");
                let detail = reply.detail.as_deref().unwrap_or_default();
                // The harness reads the last `kbench: ` line of the worker's stderr.
                eprintln!("kbench: {fault}: {}", detail.replace('\n', " | "));
                fault_status(fault)
            }
        };
        // An estimate that is not a number, negative or absurd reads as zero time: below
        // any roofline, flagged.
        let seconds = reply
            .estimate_s
            .filter(|s| s.is_finite() && (0.0..1e9).contains(s));
        Ok(CallOutcome {
            status,
            elapsed: Duration::from_secs_f64(seconds.unwrap_or(0.0)),
            outside_stream: None,
        })
    }

    fn publish_outputs(&mut self, set: SetId) -> Result<(), BackendError> {
        // The output buffers are shared mappings of the files the Python process writes.
        staged(&self.sets, set).map(|_| ())
    }

    fn output_fingerprint(&mut self, set: SetId) -> Result<u64, BackendError> {
        let s = staged(&self.sets, set)?;
        Ok(fingerprint(s.outputs.iter().map(AlignedBuffer::bytes)))
    }

    fn flush_caches(&mut self, _set: SetId) {
        // Estimated times: no cache to flush.
    }

    fn input_digest(&self, set: SetId) -> Result<String, BackendError> {
        let s = staged(&self.sets, set)?;
        Ok(input_digest(s.inputs.iter().map(AlignedBuffer::bytes)))
    }
}
