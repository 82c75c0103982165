//! The exemplar solutions, embedded so that prompts need no files at run time.

use kbench_tasks::Task;

macro_rules! cpu {
    ($path:literal) => {
        include_str!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../prompts/cpu/exemplars/",
            $path,
            ".cpp"
        ))
    };
}

const CPU: [(&str, &str); 15] = [
    ("activation/relu6", cpu!("activation/relu6")),
    ("broadcast/scale_rows", cpu!("broadcast/scale_rows")),
    (
        "convolution/conv1d_padded_bias",
        cpu!("convolution/conv1d_padded_bias"),
    ),
    ("arch/residual_mlp_block", cpu!("arch/residual_mlp_block")),
    ("fuse/linear_tanh_scale", cpu!("fuse/linear_tanh_scale")),
    ("loss/l1_loss", cpu!("loss/l1_loss")),
    ("math/cumulative_mean", cpu!("math/cumulative_mean")),
    ("matmul/outer_product", cpu!("matmul/outer_product")),
    (
        "normalization/min_max_normalize",
        cpu!("normalization/min_max_normalize"),
    ),
    ("optimizer/lion", cpu!("optimizer/lion")),
    ("pooling/lp_pool2d", cpu!("pooling/lp_pool2d")),
    ("index/index_fill", cpu!("index/index_fill")),
    ("resize/pixel_shuffle", cpu!("resize/pixel_shuffle")),
    (
        "reduce/logsumexp_reduction",
        cpu!("reduce/logsumexp_reduction"),
    ),
    (
        "broadcast/elementwise_add",
        cpu!("broadcast/elementwise_add"),
    ),
];

/// The solution of exemplar `task` for `backend`.
pub fn solution(backend: &str, task: &Task) -> Option<&'static str> {
    let id = task.id();
    match backend {
        "cpu" => CPU.iter().find(|(k, _)| *k == id).map(|(_, s)| *s),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_exemplar_has_a_cpu_solution() {
        for ex in kbench_tasks::registry::exemplars() {
            assert!(solution("cpu", ex).is_some(), "{}", ex.id());
        }
    }
}
