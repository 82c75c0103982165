//! loss: loss functions reducing to a scalar.

use super::{arg, n, py, scalar_out, task};
use crate::generator::Init;
use crate::ops::Tensor;
use crate::spec::{Category, Task};

pub(super) fn tasks() -> Vec<Task> {
    let shape = [128, 4096];
    vec![
        task(
            Category::Loss,
            "mse_loss",
            "torch.mean((predictions - targets) ** 2), a scalar",
            py!("loss/mse_loss"),
            |a| {
                let diff: Tensor<2> = arg::<2>(a, 0)? - arg::<2>(a, 1)?;
                scalar_out(diff.square().mean())
            },
        )
        .input("predictions", &shape, Init::RANDN)
        .input("targets", &shape, Init::RANDN)
        .output("loss", &[])
        .flops(3 * n(&shape))
        .build(),
    ]
}
