//! arch: whole small architectures.

use super::{arg, one, py, task};
use crate::generator::Init;
use crate::ops::{Tensor, activation, linear};
use crate::spec::{Category, Task};

pub(super) fn tasks() -> Vec<Task> {
    let sizes = [1000usize, 400, 800, 500];
    let flops: usize = sizes.windows(2).map(|w| 2 * w[0] * w[1]).sum();
    vec![
        task(
            Category::Arch,
            "mlp",
            "MLP 1000 -> 400 -> 800 -> 500 with ReLU between the Linear layers",
            py!("arch/mlp"),
            |a| {
                let x: Tensor<2> = arg(a, 0)?;
                let h = activation::relu(linear(x, arg(a, 1)?, Some(arg(a, 2)?)));
                let h = activation::relu(linear(h, arg(a, 3)?, Some(arg(a, 4)?)));
                one(linear(h, arg(a, 5)?, Some(arg(a, 6)?)))
            },
        )
        .input("x", &[1, sizes[0]], Init::RANDN)
        .param(
            "network.0.weight",
            &[sizes[1], sizes[0]],
            Init::kaiming_default(sizes[0]),
        )
        .param(
            "network.0.bias",
            &[sizes[1]],
            Init::kaiming_default(sizes[0]),
        )
        .param(
            "network.2.weight",
            &[sizes[2], sizes[1]],
            Init::kaiming_default(sizes[1]),
        )
        .param(
            "network.2.bias",
            &[sizes[2]],
            Init::kaiming_default(sizes[1]),
        )
        .param(
            "network.4.weight",
            &[sizes[3], sizes[2]],
            Init::kaiming_default(sizes[2]),
        )
        .param(
            "network.4.bias",
            &[sizes[3]],
            Init::kaiming_default(sizes[2]),
        )
        .output("y", &[1, sizes[3]])
        .flops(flops as u64)
        .build(),
    ]
}
