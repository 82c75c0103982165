//! The speed of light of a device: a kernel faster than this is flagged, never
//! celebrated.

use serde::{Deserialize, Serialize};

/// Peak rates of a device.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Roofline {
    /// Main-memory bandwidth, bytes per second.
    pub bytes_per_second: f64,
    /// Peak FP32 rate, floating-point operations per second.
    pub flops_per_second: f64,
}

impl Roofline {
    /// The least time a kernel of this cost can take, with a 2x allowance for what the
    /// measured peaks do not reach.
    pub fn floor_seconds(&self, flops: u64, bytes: u64) -> f64 {
        0.5 * self.bound_seconds(flops, bytes)
    }

    /// The time the peaks allow for this cost: the slower of moving its bytes and doing
    /// its FLOPs (an emulator's figure of merit is this over its estimate).
    pub fn bound_seconds(&self, flops: u64, bytes: u64) -> f64 {
        let memory = bytes as f64 / self.bytes_per_second;
        let compute = flops as f64 / self.flops_per_second;
        memory.max(compute)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_floor_is_half_the_slower_bound() {
        let r = Roofline {
            bytes_per_second: 1e9,
            flops_per_second: 1e12,
        };
        assert_eq!(r.floor_seconds(0, 1_000_000_000), 0.5);
        assert_eq!(r.floor_seconds(4_000_000_000_000, 1), 2.0);
    }
}
