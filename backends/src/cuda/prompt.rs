//! The cuda backend's prompt: its template and its solutions of the one-shot exemplars,
//! embedded so that prompts need no files at run time.

/// The template (`prompts/cuda/prompt.jinja`).
pub const TEMPLATE: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../prompts/cuda/prompt.jinja"
));

/// Exemplar solutions by exemplar id.
pub const EXEMPLARS: [(&str, &str); 16] = [
    exemplar!("cuda", "activation/relu6", "cu"),
    exemplar!("cuda", "broadcast/scale_rows", "cu"),
    exemplar!("cuda", "convolution/conv1d_padded_bias", "cu"),
    exemplar!("cuda", "arch/residual_mlp_block", "cu"),
    exemplar!("cuda", "fuse/linear_tanh_scale", "cu"),
    exemplar!("cuda", "loss/l1_loss", "cu"),
    exemplar!("cuda", "math/cumulative_mean", "cu"),
    exemplar!("cuda", "matmul/outer_product", "cu"),
    exemplar!("cuda", "normalization/min_max_normalize", "cu"),
    exemplar!("cuda", "optimizer/lion", "cu"),
    exemplar!("cuda", "pooling/lp_pool2d", "cu"),
    exemplar!("cuda", "index/index_fill", "cu"),
    exemplar!("cuda", "resize/pixel_shuffle", "cu"),
    exemplar!("cuda", "reduce/logsumexp_reduction", "cu"),
    exemplar!("cuda", "broadcast/elementwise_add", "cu"),
    exemplar!("cuda", "attention/attention_weights", "cu"),
];
