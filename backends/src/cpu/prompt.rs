//! The cpu backend's prompt: its template and its solutions of the one-shot exemplars,
//! embedded so that prompts need no files at run time.

macro_rules! exemplar {
    ($id:literal) => {
        (
            $id,
            include_str!(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../prompts/cpu/exemplars/",
                $id,
                ".cpp"
            )),
        )
    };
}

/// The template (`prompts/cpu/prompt.jinja`).
pub const TEMPLATE: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../prompts/cpu/prompt.jinja"
));

/// Exemplar solutions by exemplar id.
pub const EXEMPLARS: [(&str, &str); 15] = [
    exemplar!("activation/relu6"),
    exemplar!("broadcast/scale_rows"),
    exemplar!("convolution/conv1d_padded_bias"),
    exemplar!("arch/residual_mlp_block"),
    exemplar!("fuse/linear_tanh_scale"),
    exemplar!("loss/l1_loss"),
    exemplar!("math/cumulative_mean"),
    exemplar!("matmul/outer_product"),
    exemplar!("normalization/min_max_normalize"),
    exemplar!("optimizer/lion"),
    exemplar!("pooling/lp_pool2d"),
    exemplar!("index/index_fill"),
    exemplar!("resize/pixel_shuffle"),
    exemplar!("reduce/logsumexp_reduction"),
    exemplar!("broadcast/elementwise_add"),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_exemplar_has_a_solution() {
        for ex in kbench_tasks::registry::exemplars() {
            let id = ex.id();
            assert!(
                EXEMPLARS
                    .iter()
                    .any(|(k, s)| *k == id && s.contains("kb_forward")),
                "{id}"
            );
        }
    }
}
