//! normalization: normalisation layers.

use super::{arg, n, one, py, task};
use crate::generator::Init;
use crate::ops::{Tensor, layer_norm_trailing};
use crate::spec::{Category, Task};

pub(super) fn tasks() -> Vec<Task> {
    let shape = [16, 64, 256, 256];
    let normalized = [64, 256, 256];
    vec![
        task(
            Category::Normalization,
            "layer_norm",
            "nn.LayerNorm((64, 256, 256)) over the last three dimensions",
            py!("normalization/layer_norm"),
            |a| {
                let x: Tensor<4> = arg(a, 0)?;
                let weight: Tensor<3> = arg(a, 1)?;
                let bias: Tensor<3> = arg(a, 2)?;
                let cols = weight.dims().iter().product::<usize>();
                one(layer_norm_trailing(
                    x,
                    3,
                    weight.reshape([cols]),
                    bias.reshape([cols]),
                    1e-5,
                ))
            },
        )
        .input("x", &shape, Init::RANDN)
        .param(
            "ln.weight",
            &normalized,
            Init::Uniform {
                low: 0.5,
                high: 1.5,
            },
        )
        .param(
            "ln.bias",
            &normalized,
            Init::Uniform {
                low: -0.5,
                high: 0.5,
            },
        )
        .notes(
            "ln.weight ~ U(0.5, 1.5) and ln.bias ~ U(-0.5, 0.5) instead of PyTorch's ones and \
             zeros: with those a kernel that ignores the affine parameters passed, and so did \
             a copy of x (standard normals are already nearly normalised)",
        )
        .output("y", &shape)
        .flops(8 * n(&shape))
        .build(),
    ]
}
