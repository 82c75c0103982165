//! fuse: operator chains, a GEMM or convolution followed by an epilogue.

use super::{arg, one, py, task};
use crate::generator::Init;
use crate::ops::{Tensor, activation, linear};
use crate::spec::{Category, Task};

pub(super) fn tasks() -> Vec<Task> {
    let (batch, fin, fout) = (128usize, 1024usize, 512usize);
    vec![
        task(
            Category::Fuse,
            "gemm_add_relu",
            "relu(x @ W.T + bias): Linear(1024, 512, bias=False), then a bias add and ReLU",
            py!("fuse/gemm_add_relu"),
            |a| {
                let x: Tensor<2> = arg(a, 0)?;
                let y = linear(x, arg(a, 1)?, None);
                let bias: Tensor<1> = arg(a, 2)?;
                let bias = bias.unsqueeze::<2>().expand(y.dims());
                one(activation::relu(y + bias))
            },
        )
        .input("x", &[batch, fin], Init::RANDN)
        .param("gemm.weight", &[fout, fin], Init::kaiming_default(fin))
        .param("bias", &[fout], Init::RANDN)
        .output("y", &[batch, fout])
        .flops((2 * batch * fin * fout + 2 * batch * fout) as u64)
        .build(),
    ]
}
