//! loss: loss functions reducing to a scalar.

use super::{host, n, py, task};
use crate::generator::Init;
use crate::ops;
use crate::spec::{Category, Task};

/// Inputs whose scale is unknown until read (see the task's notes).
const SCALED: Init = Init::ScaledNormal {
    low: 0.5,
    high: 2.0,
};

pub(super) fn tasks() -> Vec<Task> {
    let shape = [128, 4096];
    vec![
        task(
            Category::Loss,
            "mse_loss",
            "torch.mean((predictions - targets) ** 2), a scalar",
            py!("loss/mse_loss"),
            |a| {
                let mut loss = ops::elementwise::mse(host(a, 0)?, host(a, 1)?)?;
                loss.shape.clear();
                Ok(vec![loss])
            },
        )
        .input("predictions", &shape, SCALED)
        .input("targets", &shape, SCALED)
        .notes(
            "predictions and targets are s * N(0, 1) with s uniform in [0.5, 2) per tensor \
             and seed, instead of standard normals: the loss of two standard normals is \
             always about 2, so the constant 2.0 passed",
        )
        .output("loss", &[])
        .flops(3 * n(&shape))
        .build(),
    ]
}
