//! pooling: max and average pooling.

use super::{arg, n, one, py, task};
use crate::generator::Init;
use crate::ops::{MaxPool2d, max_pool2d};
use crate::spec::{Category, Task};

pub(super) fn tasks() -> Vec<Task> {
    let out = [16, 32, 64, 64];
    vec![
        task(
            Category::Pooling,
            "max_pooling_2d",
            "nn.MaxPool2d(kernel_size=2, stride=2, padding=1, dilation=3)",
            py!("pooling/max_pooling_2d"),
            |a| {
                let geo = MaxPool2d {
                    kernel: [2, 2],
                    stride: [2, 2],
                    padding: [1, 1],
                    dilation: [3, 3],
                };
                one(max_pool2d(arg(a, 0)?, geo))
            },
        )
        .input("x", &[16, 32, 128, 128], Init::RANDN)
        .output("y", &out)
        .flops(4 * n(&out))
        .build(),
    ]
}
