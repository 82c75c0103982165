//! convolution: plain and transposed convolutions.

use super::{arg, one, py, task};
use crate::generator::Init;
use crate::ops::{Conv2d, conv2d};
use crate::spec::{Category, Task};

pub(super) fn tasks() -> Vec<Task> {
    let (batch, cin, cout, k, size) = (16usize, 3usize, 64usize, 3usize, 256usize);
    let out = size - k + 1;
    vec![
        task(
            Category::Convolution,
            "conv_standard_2d_square_input_square_kernel",
            "nn.Conv2d(3, 64, kernel_size=3, bias=False) on a square input",
            py!("convolution/conv_standard_2d_square_input_square_kernel"),
            |a| one(conv2d(arg(a, 0)?, arg(a, 1)?, None, Conv2d::default())),
        )
        .input("x", &[batch, cin, size, size], Init::RANDN)
        .param(
            "conv2d.weight",
            &[cout, cin, k, k],
            Init::kaiming_default(cin * k * k),
        )
        .output("y", &[batch, cout, out, out])
        .flops(2 * (batch * cout * out * out * cin * k * k) as u64)
        .build(),
    ]
}
