//! The CUDA driver, through `cudarc` (driver API, loaded at run time): whether there is
//! one, and what the device is. Without a driver the first cudarc call panics, so every
//! entry here probes the library first and answers with a plain error instead.

use crate::backend::BackendError;
use cudarc::driver::{result, sys};

/// The device kernels run on (the first one visible: `CUDA_VISIBLE_DEVICES` picks).
pub const ORDINAL: i32 = 0;

/// What the driver says about the device.
#[derive(Debug, Clone, PartialEq)]
pub struct GpuInfo {
    /// Marketing name, e.g. `NVIDIA H100 80GB HBM3`.
    pub name: String,
    /// Compute capability `(major, minor)`.
    pub capability: (i32, i32),
    /// Streaming multiprocessors.
    pub multiprocessors: i32,
    /// L2 cache, bytes.
    pub l2_bytes: u64,
    /// Device memory, bytes.
    pub memory_bytes: u64,
    /// Peak SM clock, kHz (0 where the driver no longer says).
    pub clock_khz: i32,
    /// Peak memory clock, kHz (0 where the driver no longer says).
    pub memory_clock_khz: i32,
    /// Memory bus width, bits.
    pub bus_width_bits: i32,
}

impl GpuInfo {
    /// The `-arch` value of SASS for exactly this device, e.g. `sm_90`.
    pub fn arch(&self) -> String {
        format!("sm_{}{}", self.capability.0, self.capability.1)
    }
}

/// A driver error as text, with the call that failed.
pub fn driver_error(what: &str, e: result::DriverError) -> BackendError {
    BackendError::Unsupported(format!("CUDA driver: {what}: {e}"))
}

/// Ok when a CUDA driver is installed, initialises, and shows at least one device;
/// otherwise one line that says what is missing.
pub fn probe() -> Result<(), BackendError> {
    // SAFETY: only tries to open the driver library.
    if !unsafe { sys::is_culib_present() } {
        return Err(BackendError::Unsupported(
            "no CUDA driver on this machine (libcuda.so.1 not found): the cuda backend needs an NVIDIA GPU and its driver to run kernels; compiling alone needs only nvcc"
                .into(),
        ));
    }
    result::init().map_err(|e| driver_error("cuInit", e))?;
    let count = result::device::get_count().map_err(|e| driver_error("cuDeviceGetCount", e))?;
    if count < 1 {
        return Err(BackendError::Unsupported(
            "the CUDA driver sees no device (check CUDA_VISIBLE_DEVICES)".into(),
        ));
    }
    Ok(())
}

/// Queries the device (after [`probe`]); makes no context.
pub fn query() -> Result<GpuInfo, BackendError> {
    probe()?;
    let dev = result::device::get(ORDINAL).map_err(|e| driver_error("cuDeviceGet", e))?;
    let attribute = |a: sys::CUdevice_attribute| -> i32 {
        // SAFETY: `dev` is a valid device handle; a failed query reads as 0.
        unsafe { result::device::get_attribute(dev, a) }.unwrap_or(0)
    };
    use sys::CUdevice_attribute as A;
    Ok(GpuInfo {
        name: result::device::get_name(dev).map_err(|e| driver_error("cuDeviceGetName", e))?,
        capability: (
            attribute(A::CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR),
            attribute(A::CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR),
        ),
        multiprocessors: attribute(A::CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT),
        l2_bytes: attribute(A::CU_DEVICE_ATTRIBUTE_L2_CACHE_SIZE).max(0) as u64,
        // SAFETY: as above.
        memory_bytes: unsafe { result::device::total_mem(dev) }.unwrap_or(0) as u64,
        clock_khz: attribute(A::CU_DEVICE_ATTRIBUTE_CLOCK_RATE),
        memory_clock_khz: attribute(A::CU_DEVICE_ATTRIBUTE_MEMORY_CLOCK_RATE),
        bus_width_bits: attribute(A::CU_DEVICE_ATTRIBUTE_GLOBAL_MEMORY_BUS_WIDTH),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// CI has no GPU: the probe must answer in one line, not panic. Where a driver is
    /// installed this test says so and checks the query instead.
    #[test]
    fn without_a_driver_the_probe_says_so_in_one_line() {
        match probe() {
            Err(e) => {
                let text = e.to_string();
                assert!(text.contains("CUDA"), "{text}");
                assert_eq!(text.lines().count(), 1, "{text}");
            }
            Ok(()) => {
                eprintln!("a CUDA driver is installed here: checking the device query instead");
                let info = query().expect("query");
                assert!(info.multiprocessors > 0 && info.arch().starts_with("sm_"));
            }
        }
    }
}
