//! The host CPU's peaks: copy bandwidth measured, FP32 rate from its nominal clock.

use crate::backend::DeviceInfo;
use crate::roofline::Roofline;
use std::time::Instant;

/// Measured copy bandwidth (best of 3 copies of 128 MiB) and nominal FP32 rate: cores x
/// clock x SIMD lanes x 2 (FMA) x 2 (FMA units).
pub fn measure(device: &DeviceInfo) -> Roofline {
    let len = 128 << 20;
    let src = vec![1u8; len];
    let mut dst = vec![0u8; len];
    let mut best = f64::INFINITY;
    for _ in 0..3 {
        let start = Instant::now();
        dst.copy_from_slice(&src);
        std::hint::black_box(&dst);
        best = best.min(start.elapsed().as_secs_f64());
    }
    let lanes = match device.simd.as_str() {
        "avx512f" => 16.0,
        "avx2" | "avx" => 8.0,
        _ => 4.0,
    };
    let ghz = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|t| {
            t.lines()
                .find(|l| l.starts_with("cpu MHz"))
                .and_then(|l| l.split_once(':'))
                .and_then(|(_, v)| v.trim().parse::<f64>().ok())
        })
        .map_or(3.0, |mhz| (mhz / 1000.0).max(1.0));
    Roofline {
        // A copy reads and writes every byte.
        bytes_per_second: 2.0 * len as f64 / best.max(1e-9),
        flops_per_second: device.cores as f64 * ghz * 1e9 * lanes * 4.0,
    }
}
