//! The cpu backend's prompt: its template and its solutions of the one-shot exemplars,
//! embedded so that prompts need no files at run time.

/// The template (`prompts/cpu/prompt.jinja`).
pub const TEMPLATE: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../prompts/cpu/prompt.jinja"
));

/// Exemplar solutions by exemplar id.
pub const EXEMPLARS: [(&str, &str); 16] = [
    exemplar!("cpu", "activation/relu6", "cpp"),
    exemplar!("cpu", "broadcast/scale_rows", "cpp"),
    exemplar!("cpu", "convolution/conv1d_padded_bias", "cpp"),
    exemplar!("cpu", "arch/residual_mlp_block", "cpp"),
    exemplar!("cpu", "fuse/linear_tanh_scale", "cpp"),
    exemplar!("cpu", "loss/l1_loss", "cpp"),
    exemplar!("cpu", "math/cumulative_mean", "cpp"),
    exemplar!("cpu", "matmul/outer_product", "cpp"),
    exemplar!("cpu", "normalization/min_max_normalize", "cpp"),
    exemplar!("cpu", "optimizer/lion", "cpp"),
    exemplar!("cpu", "pooling/lp_pool2d", "cpp"),
    exemplar!("cpu", "index/index_fill", "cpp"),
    exemplar!("cpu", "resize/pixel_shuffle", "cpp"),
    exemplar!("cpu", "reduce/logsumexp_reduction", "cpp"),
    exemplar!("cpu", "broadcast/elementwise_add", "cpp"),
    exemplar!("cpu", "attention/attention_weights", "cpp"),
];
