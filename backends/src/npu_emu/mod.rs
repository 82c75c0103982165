//! npu-emu, the emulated Ascend NPU.
//!
//! Kernels written in Ascend C's "direct launch" style compile with the system C++
//! compiler against kbench's own emulation of the programming model
//! (`include/npu_emu/kernel_operator.h`: queues, buffers, copies, vector operations, a
//! documented cube subset, the chip's rules checked at run time, a cost model per AI
//! core) and a guard (`include/npu_emu/npu_shim.cpp`: registers the call's tensors as the
//! only global memory, names a broken rule in the status). Before compiling, [`policy`]
//! rejects sources that reach for the emulator's internals; the one rewrite of the
//! source: [`rewrite_launches`] turns `name<<<blockDim, l2ctrl, stream>>>(args)` into the
//! emulator's launch.
//!
//! [`NpuEmuBackend`] compiles through `compile_cache` with these files and loads the
//! library like a cpu kernel whose calls report `kb_emu_take_estimate`
//! ([`crate::Clock::CostModel`]): the harness keeps these estimates apart from measured
//! times and reports the fraction of the chip's roofline instead of a speedup.

mod backend;
mod launch;
mod policy;

pub(crate) use backend::NpuEmuBackend;
pub use backend::{FLAGS, ROOFLINE};
pub use launch::{LaunchError, rewrite_launches};
pub use policy::policy_violation;

/// Exemplar solutions by exemplar id.
pub const EXEMPLARS: [(&str, &str); 16] = [
    exemplar!("npu-emu", "activation/relu6", "cpp"),
    exemplar!("npu-emu", "broadcast/scale_rows", "cpp"),
    exemplar!("npu-emu", "convolution/conv1d_padded_bias", "cpp"),
    exemplar!("npu-emu", "arch/residual_mlp_block", "cpp"),
    exemplar!("npu-emu", "fuse/linear_tanh_scale", "cpp"),
    exemplar!("npu-emu", "loss/l1_loss", "cpp"),
    exemplar!("npu-emu", "math/cumulative_mean", "cpp"),
    exemplar!("npu-emu", "matmul/outer_product", "cpp"),
    exemplar!("npu-emu", "normalization/min_max_normalize", "cpp"),
    exemplar!("npu-emu", "optimizer/lion", "cpp"),
    exemplar!("npu-emu", "pooling/lp_pool2d", "cpp"),
    exemplar!("npu-emu", "index/index_fill", "cpp"),
    exemplar!("npu-emu", "resize/pixel_shuffle", "cpp"),
    exemplar!("npu-emu", "reduce/logsumexp_reduction", "cpp"),
    exemplar!("npu-emu", "broadcast/elementwise_add", "cpp"),
    exemplar!("npu-emu", "attention/attention_weights", "cpp"),
];

/// The prompt template (`prompts/npu-emu/prompt.jinja`).
pub const TEMPLATE: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../prompts/npu-emu/prompt.jinja"
));

/// The emulation header kernels include as `kernel_operator.h`.
pub const EMULATION_HEADER: &str = include_str!("../../include/npu_emu/kernel_operator.h");

/// The guard compiled into every npu-emu kernel library.
pub const SHIM: &str = include_str!("../../include/npu_emu/npu_shim.cpp");

/// Status of a call that broke a rule of the emulated chip: `-1100 - rule` (rules
/// numbered as `kb_emu::Rule`).
pub const STATUS_RULE_BASE: i32 = -1100;

/// The fault label of a status the guard produces for a broken rule.
pub fn rule_fault(status: i32) -> Option<&'static str> {
    match STATUS_RULE_BASE - status {
        1 => Some("npu_ub_capacity"),
        2 => Some("npu_copy_alignment"),
        3 => Some("npu_gm_out_of_bounds"),
        4 => Some("npu_local_out_of_bounds"),
        5 => Some("npu_queue_order"),
        6 => Some("npu_queue_depth"),
        7 => Some("npu_block_dim"),
        8 => Some("npu_wrong_position"),
        _ => None,
    }
}
