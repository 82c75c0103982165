//! A loaded cpu kernel and its staged input sets. Lives only in a worker process.

use crate::abi::{
    AlignedBuffer, KbForward, KbTensor, describe, fingerprint, input_digest, load_guarded_entry,
    poison,
};
use crate::backend::{
    BackendError, CallOutcome, InputWriter, LoadedKernel, OutputReader, SetId, staged, staged_mut,
};
use crate::timing::evict_from_caches;
use crate::worker::TensorFile;
use std::path::Path;
use std::time::{Duration, Instant};

struct StagedSet {
    inputs: Vec<AlignedBuffer>,
    input_desc: Vec<KbTensor>,
    outputs: Vec<AlignedBuffer>,
    output_desc: Vec<KbTensor>,
    output_files: Vec<TensorFile>,
}

/// An emulator's `kb_emu_take_estimate`: the estimated seconds of the launches since
/// the last take.
type TakeEstimate = unsafe extern "C" fn() -> f64;

/// A `kb_forward` loaded from a shared library.
pub struct CpuKernel {
    entry: KbForward,
    estimate: Option<TakeEstimate>,
    sets: Vec<StagedSet>,
    _library: libloading::Library,
}

impl CpuKernel {
    /// Loads `artifact` and resolves `kb_forward`. Runs the library's initialisers:
    /// untrusted code, so only in a worker.
    pub fn load(artifact: &Path) -> Result<Self, BackendError> {
        let (library, entry) = load_guarded_entry(artifact)?;
        Ok(CpuKernel {
            entry,
            estimate: None,
            sets: Vec::new(),
            _library: library,
        })
    }

    /// Loads an emulator's library (npu-emu): its calls report the cost model's estimate
    /// (`kb_emu_take_estimate`) instead of the host clock.
    pub fn load_estimating(artifact: &Path) -> Result<Self, BackendError> {
        let mut kernel = Self::load(artifact)?;
        // SAFETY: the symbol's type is the emulation header's; a library declaring it
        // otherwise breaks only its own worker.
        let take: TakeEstimate = unsafe {
            *kernel
                ._library
                .get::<TakeEstimate>(b"kb_emu_take_estimate\0")
                .map_err(|e| BackendError::Load(format!("no cost model entry point: {e}")))?
        };
        kernel.estimate = Some(take);
        Ok(kernel)
    }

    fn set(&self, set: SetId) -> Result<&StagedSet, BackendError> {
        staged(&self.sets, set)
    }
}

impl LoadedKernel for CpuKernel {
    fn stage(
        &mut self,
        dir: &Path,
        inputs: &[TensorFile],
        outputs: &[TensorFile],
    ) -> Result<SetId, BackendError> {
        let mut input_bufs = Vec::with_capacity(inputs.len());
        let mut input_desc = Vec::with_capacity(inputs.len());
        for t in inputs {
            let mut buf = AlignedBuffer::map_file(&dir.join(&t.file), t.size_bytes())
                .map_err(BackendError::io(format!("mapping {}", t.file)))?;
            input_desc.push(describe(&mut buf, t.dtype, &t.shape)?);
            input_bufs.push(buf);
        }
        let mut output_bufs = Vec::with_capacity(outputs.len());
        let mut output_desc = Vec::with_capacity(outputs.len());
        for o in outputs {
            let mut buf = AlignedBuffer::create_shared_file(&dir.join(&o.file), o.size_bytes())
                .map_err(BackendError::io(format!("creating {}", o.file)))?;
            output_desc.push(describe(&mut buf, o.dtype, &o.shape)?);
            output_bufs.push(buf);
        }
        self.sets.push(StagedSet {
            inputs: input_bufs,
            input_desc,
            outputs: output_bufs,
            output_desc,
            output_files: outputs.to_vec(),
        });
        Ok(self.sets.len() - 1)
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
        let s = self.set(set)?;
        let outputs: Vec<&[u8]> = s.outputs.iter().map(AlignedBuffer::bytes).collect();
        read(&outputs).map_err(BackendError::Protocol)
    }

    fn poison_outputs(&mut self, set: SetId) {
        if let Some(s) = self.sets.get_mut(set) {
            for (buf, file) in s.outputs.iter_mut().zip(&s.output_files) {
                poison(buf, file.dtype);
            }
        }
    }

    fn call(&mut self, set: SetId) -> Result<CallOutcome, BackendError> {
        let entry = self.entry;
        let s = staged_mut(&mut self.sets, set)?;
        let n_in = s.input_desc.len() as i32;
        let n_out = s.output_desc.len() as i32;
        let start = Instant::now();
        // SAFETY: the descriptors point into buffers this set owns, sized by their
        // shapes. What the kernel does beyond that is confined to this worker.
        let status = unsafe {
            entry(
                s.input_desc.as_ptr(),
                n_in,
                s.output_desc.as_mut_ptr(),
                n_out,
            )
        };
        let elapsed = match self.estimate {
            Some(take) => {
                // SAFETY: a function of the library taking nothing, returning a double.
                let seconds = unsafe { take() };
                // An estimate that is not a number, negative or absurd reads as zero time:
                // below any roofline, flagged.
                let sane = seconds.is_finite() && (0.0..1e9).contains(&seconds);
                Duration::from_secs_f64(if sane { seconds } else { 0.0 })
            }
            None => start.elapsed(),
        };
        Ok(CallOutcome {
            status,
            elapsed,
            outside_stream: None,
        })
    }

    fn publish_outputs(&mut self, set: SetId) -> Result<(), BackendError> {
        // The output buffers are shared mappings of the output files.
        self.set(set).map(|_| ())
    }

    fn output_fingerprint(&mut self, set: SetId) -> Result<u64, BackendError> {
        let s = self.set(set)?;
        Ok(fingerprint(s.outputs.iter().map(AlignedBuffer::bytes)))
    }

    fn flush_caches(&mut self, set: SetId) {
        if let Some(s) = self.sets.get(set) {
            for buf in s.inputs.iter().chain(&s.outputs) {
                evict_from_caches(buf.bytes());
            }
        }
    }

    fn input_digest(&self, set: SetId) -> Result<String, BackendError> {
        let s = self.set(set)?;
        Ok(input_digest(s.inputs.iter().map(AlignedBuffer::bytes)))
    }
}
