//! A loaded cuda kernel and its staged input sets. Lives only in a worker process.
//!
//! The worker owns the device through `cudarc`'s driver API: the primary context
//! (which the runtime statically linked into the kernel library shares), every
//! allocation, the copies, the NaN poisoning, the events and the L2 flush. A call is
//! `kb_forward` between two events on the legacy default stream, then a device-wide
//! synchronize; the host clock around both is a second witness, so work a kernel leaves
//! on a stream of its own shows as host time the events did not see.

use super::driver::{ORDINAL, driver_error, probe};
use crate::abi::{
    AlignedBuffer, KbForward, KbTensor, describe_at, fingerprint, load_guarded_entry,
};
use crate::backend::{
    BackendError, CallOutcome, InputWriter, LoadedKernel, OutputReader, SetId, staged, staged_mut,
};
use crate::worker::TensorFile;
use cudarc::driver::{result, sys};
use kbench_tasks::DType;
use std::path::Path;
use std::time::{Duration, Instant};

/// Status of a call after which the device reported an error (illegal address, launch
/// failure, ...): such errors are sticky, the context is lost, and the worker stops.
pub const STATUS_DEVICE_ERROR: i32 = -1002;

/// Least bytes the L2 flush writes, whatever the device reports.
const MIN_FLUSH_BYTES: usize = 16 << 20;

/// Device memory the worker allocated. Never freed: the process ends with the job.
#[derive(Debug, Clone, Copy)]
struct DeviceBuffer {
    ptr: sys::CUdeviceptr,
    bytes: usize,
}

impl DeviceBuffer {
    fn alloc(bytes: usize) -> Result<Self, BackendError> {
        // SAFETY: a plain allocation in the current context.
        let ptr = unsafe { result::malloc_sync(bytes.max(1)) }
            .map_err(|e| driver_error(&format!("allocating {bytes} bytes"), e))?;
        Ok(DeviceBuffer { ptr, bytes })
    }

    /// A buffer for tensor `t` and its ABI descriptor.
    fn for_tensor(t: &TensorFile) -> Result<(Self, KbTensor), BackendError> {
        let buffer = DeviceBuffer::alloc(t.size_bytes())?;
        let desc = describe_at(buffer.ptr as *mut std::ffi::c_void, t.dtype, &t.shape)?;
        Ok((buffer, desc))
    }

    fn upload(&self, host: &[u8]) -> Result<(), BackendError> {
        let n = host.len().min(self.bytes);
        // SAFETY: the buffer holds `self.bytes >= n` bytes.
        unsafe { result::memcpy_htod_sync(self.ptr, &host[..n]) }
            .map_err(|e| driver_error("copying to the device", e))
    }

    fn download(&self, host: &mut [u8]) -> Result<(), BackendError> {
        let n = host.len().min(self.bytes);
        // SAFETY: the buffer holds `self.bytes >= n` bytes.
        unsafe { result::memcpy_dtoh_sync(&mut host[..n], self.ptr) }
            .map_err(|e| driver_error("copying from the device", e))
    }

    /// Fills the buffer with the poison of `dtype` (as `abi::poison` does on the host:
    /// NaN for floats, the invalid byte 0xFF for bools, the most negative value's high
    /// word for integers).
    fn poison(&self, dtype: DType) -> Result<(), BackendError> {
        // SAFETY: each memset covers whole elements inside the buffer.
        let done = unsafe {
            match dtype {
                DType::F32 => sys::cuMemsetD32_v2(self.ptr, 0x7FC0_0000, self.bytes / 4),
                DType::I32 | DType::I64 => {
                    sys::cuMemsetD32_v2(self.ptr, 0x8000_0000, self.bytes / 4)
                }
                DType::F16 => sys::cuMemsetD16_v2(self.ptr, 0x7E00, self.bytes / 2),
                DType::BF16 => sys::cuMemsetD16_v2(self.ptr, 0x7FC0, self.bytes / 2),
                DType::Bool => sys::cuMemsetD8_v2(self.ptr, 0xFF, self.bytes),
            }
        };
        done.result()
            .map_err(|e| driver_error("poisoning outputs", e))
    }
}

struct StagedSet {
    host_inputs: Vec<AlignedBuffer>,
    inputs: Vec<DeviceBuffer>,
    input_desc: Vec<KbTensor>,
    /// Shared mappings of the output files: downloads land there.
    host_outputs: Vec<AlignedBuffer>,
    outputs: Vec<DeviceBuffer>,
    output_desc: Vec<KbTensor>,
    output_dtypes: Vec<DType>,
}

/// A `kb_forward` loaded from a library nvcc built, with the device it runs on.
pub struct CudaKernel {
    entry: KbForward,
    sets: Vec<StagedSet>,
    start: sys::CUevent,
    end: sys::CUevent,
    flush: DeviceBuffer,
    /// The driver's message once the context is lost.
    lost: Option<String>,
    _library: libloading::Library,
}

/// Initialises the driver and makes the device's primary context current (retained for
/// the life of the process).
fn current_device() -> Result<sys::CUdevice, BackendError> {
    probe()?;
    let dev = result::device::get(ORDINAL).map_err(|e| driver_error("cuDeviceGet", e))?;
    // SAFETY: `dev` is valid; the context is retained for the life of the process.
    unsafe {
        let ctx = result::primary_ctx::retain(dev)
            .map_err(|e| driver_error("retaining the primary context", e))?;
        result::ctx::set_current(ctx).map_err(|e| driver_error("cuCtxSetCurrent", e))?;
    }
    Ok(dev)
}

/// [`current_device`], then a first allocation and event, so that the driver has opened
/// its device files and set up memory management. Run by the worker before its sandbox
/// closes; loading the kernel later only makes the context current again.
pub fn open_device() -> Result<(), BackendError> {
    current_device()?;
    let probe_buffer = DeviceBuffer::alloc(1 << 20)?;
    // SAFETY: the buffer was just allocated here and is not used again.
    unsafe { result::free_sync(probe_buffer.ptr) }.map_err(|e| driver_error("cuMemFree", e))?;
    let event = result::event::create(sys::CUevent_flags::CU_EVENT_DEFAULT)
        .map_err(|e| driver_error("creating an event", e))?;
    // SAFETY: the event was just created here and is not used again.
    unsafe { result::event::destroy(event) }.map_err(|e| driver_error("cuEventDestroy", e))
}

impl CudaKernel {
    /// Makes the device's primary context current, sets the persisting-L2 limit to 0,
    /// creates the timing events and the flush buffer, then loads `artifact` (whose
    /// runtime joins the same context). Untrusted code: only in a worker.
    pub fn load(artifact: &Path) -> Result<Self, BackendError> {
        let dev = current_device()?;
        // Devices without persisting L2 refuse the limit; nothing persists there anyway.
        let _ = result::ctx::set_limit(sys::CUlimit::CU_LIMIT_PERSISTING_L2_CACHE_SIZE, 0);
        let event = || {
            result::event::create(sys::CUevent_flags::CU_EVENT_DEFAULT)
                .map_err(|e| driver_error("creating an event", e))
        };
        let (start, end) = (event()?, event()?);
        // SAFETY: `dev` is valid.
        let l2 = unsafe {
            result::device::get_attribute(
                dev,
                sys::CUdevice_attribute::CU_DEVICE_ATTRIBUTE_L2_CACHE_SIZE,
            )
        }
        .unwrap_or(0)
        .max(0) as usize;
        let flush = DeviceBuffer::alloc((2 * l2).max(MIN_FLUSH_BYTES))?;
        let (library, entry) = load_guarded_entry(artifact)?;
        Ok(CudaKernel {
            entry,
            sets: Vec::new(),
            start,
            end,
            flush,
            lost: None,
            _library: library,
        })
    }

    fn set(&self, set: SetId) -> Result<&StagedSet, BackendError> {
        staged(&self.sets, set)
    }

    /// The timing of one call: events around `kb_forward` on the legacy default stream,
    /// then a device-wide synchronize; `Err` with the driver's message when the device
    /// reported an error.
    fn timed_call(&mut self, set: SetId) -> Result<(i32, Duration, Duration), String> {
        let entry = self.entry;
        let (start, end) = (self.start, self.end);
        let s = staged_mut(&mut self.sets, set).map_err(|e| e.to_string())?;
        let n_in = s.input_desc.len() as i32;
        let n_out = s.output_desc.len() as i32;
        let host = Instant::now();
        // SAFETY: the events are valid; stream 0 is the legacy default stream, the one
        // `<<<grid, block>>>` launches on when no stream is named.
        unsafe { result::event::record(start, std::ptr::null_mut()) }.map_err(|e| e.to_string())?;
        // SAFETY: the descriptors point to device buffers this set owns, sized by their
        // shapes. What the kernel does beyond that is confined to this worker.
        let status = unsafe {
            entry(
                s.input_desc.as_ptr(),
                n_in,
                s.output_desc.as_mut_ptr(),
                n_out,
            )
        };
        // SAFETY: as above.
        unsafe { result::event::record(end, std::ptr::null_mut()) }.map_err(|e| e.to_string())?;
        result::ctx::synchronize().map_err(|e| e.to_string())?;
        let host = host.elapsed();
        // SAFETY: both events were recorded on the same stream and have completed.
        let ms = unsafe { result::event::elapsed(start, end) }.map_err(|e| e.to_string())?;
        Ok((
            status,
            Duration::from_secs_f64(f64::from(ms.max(0.0)) * 1e-3),
            host,
        ))
    }
}

impl LoadedKernel for CudaKernel {
    fn stage(
        &mut self,
        dir: &Path,
        inputs: &[TensorFile],
        outputs: &[TensorFile],
    ) -> Result<SetId, BackendError> {
        let mut set = StagedSet {
            host_inputs: Vec::with_capacity(inputs.len()),
            inputs: Vec::with_capacity(inputs.len()),
            input_desc: Vec::with_capacity(inputs.len()),
            host_outputs: Vec::with_capacity(outputs.len()),
            outputs: Vec::with_capacity(outputs.len()),
            output_desc: Vec::with_capacity(outputs.len()),
            output_dtypes: Vec::with_capacity(outputs.len()),
        };
        for t in inputs {
            let host = AlignedBuffer::map_file(&dir.join(&t.file), t.size_bytes())
                .map_err(BackendError::io(format!("mapping {}", t.file)))?;
            let (device, desc) = DeviceBuffer::for_tensor(t)?;
            device.upload(host.bytes())?;
            set.input_desc.push(desc);
            set.inputs.push(device);
            set.host_inputs.push(host);
        }
        for o in outputs {
            let host = AlignedBuffer::create_shared_file(&dir.join(&o.file), o.size_bytes())
                .map_err(BackendError::io(format!("creating {}", o.file)))?;
            let (device, desc) = DeviceBuffer::for_tensor(o)?;
            set.output_desc.push(desc);
            set.outputs.push(device);
            set.host_outputs.push(host);
            set.output_dtypes.push(o.dtype);
        }
        self.sets.push(set);
        Ok(self.sets.len() - 1)
    }

    fn rewrite_inputs(
        &mut self,
        set: SetId,
        write: &mut InputWriter<'_>,
    ) -> Result<(), BackendError> {
        let s = staged_mut(&mut self.sets, set)?;
        let mut hosts: Vec<&mut [u8]> = s
            .host_inputs
            .iter_mut()
            .map(AlignedBuffer::bytes_mut)
            .collect();
        write(&mut hosts).map_err(BackendError::Protocol)?;
        for (device, host) in s.inputs.iter().zip(&s.host_inputs) {
            device.upload(host.bytes())?;
        }
        Ok(())
    }

    fn read_outputs(
        &mut self,
        set: SetId,
        read: &mut OutputReader<'_>,
    ) -> Result<(), BackendError> {
        self.publish_outputs(set)?;
        let s = self.set(set)?;
        let outputs: Vec<&[u8]> = s.host_outputs.iter().map(AlignedBuffer::bytes).collect();
        read(&outputs).map_err(BackendError::Protocol)
    }

    fn poison_outputs(&mut self, set: SetId) {
        if self.lost.is_some() {
            return;
        }
        if let Some(s) = self.sets.get(set) {
            for (buf, dtype) in s.outputs.iter().zip(&s.output_dtypes) {
                if let Err(e) = buf.poison(*dtype) {
                    self.lost = Some(e.to_string());
                    return;
                }
            }
        }
    }

    fn call(&mut self, set: SetId) -> Result<CallOutcome, BackendError> {
        if let Some(lost) = &self.lost {
            eprintln!("kbench: the device is lost ({lost}); no further calls");
            return Ok(CallOutcome {
                status: STATUS_DEVICE_ERROR,
                elapsed: Duration::ZERO,
                outside_stream: None,
            });
        }
        match self.timed_call(set) {
            Ok((status, device, host)) => Ok(CallOutcome {
                status,
                elapsed: device,
                outside_stream: Some(host.saturating_sub(device)),
            }),
            Err(message) => {
                eprintln!("kbench: the device reported an error during the call: {message}");
                self.lost = Some(message);
                Ok(CallOutcome {
                    status: STATUS_DEVICE_ERROR,
                    elapsed: Duration::ZERO,
                    outside_stream: None,
                })
            }
        }
    }

    fn publish_outputs(&mut self, set: SetId) -> Result<(), BackendError> {
        if self.lost.is_some() {
            // Nothing can be read back from a lost context; the files stay as they are
            // and the call's status says why.
            return self.set(set).map(|_| ());
        }
        let s = staged_mut(&mut self.sets, set)?;
        for (device, host) in s.outputs.iter().zip(s.host_outputs.iter_mut()) {
            device.download(host.bytes_mut())?;
        }
        Ok(())
    }

    fn output_fingerprint(&mut self, set: SetId) -> Result<u64, BackendError> {
        self.publish_outputs(set)?;
        let s = self.set(set)?;
        Ok(fingerprint(s.host_outputs.iter().map(AlignedBuffer::bytes)))
    }

    fn input_digest(&self, set: SetId) -> Result<String, BackendError> {
        let s = self.set(set)?;
        let mut h = blake3::Hasher::new();
        if self.lost.is_some() {
            h.update(b"device lost");
            return Ok(h.finalize().to_hex().to_string());
        }
        for device in &s.inputs {
            let mut bytes = vec![0u8; device.bytes];
            device.download(&mut bytes)?;
            h.update(&bytes);
        }
        Ok(h.finalize().to_hex().to_string())
    }

    fn flush_caches(&mut self, _set: SetId) {
        if self.lost.is_some() {
            return;
        }
        // A device-wide write of twice the L2 evicts everything the last call left
        // there; the next start event is recorded after it on the same stream.
        // SAFETY: the flush buffer holds `bytes` bytes.
        let done = unsafe {
            sys::cuMemsetD32Async(
                self.flush.ptr,
                0,
                self.flush.bytes / 4,
                std::ptr::null_mut(),
            )
        };
        if let Err(e) = done.result() {
            self.lost = Some(driver_error("flushing L2", e).to_string());
        }
    }
}
