//! math: scans along a dimension and a scalar product.

use super::{arg, bool_arg, n, one, py, task};
use crate::generator::Init;
use crate::ops::Tensor;
use crate::spec::{Category, Task};

const SHAPE: [usize; 2] = [128, 4000];

/// The task's literal scalar `s`, not an approximation of pi.
#[allow(clippy::approx_constant)]
const SCALE: f64 = 3.14;

pub(super) fn tasks() -> Vec<Task> {
    let m = Category::Math;
    let scan = |name, summary, source, reference| {
        task(m, name, summary, source, reference)
            .input("x", &SHAPE, Init::RANDN)
            .output("y", &SHAPE)
            .flops(n(&SHAPE))
    };
    vec![
        scan(
            "cumprod",
            "torch.cumprod(x, dim=1)",
            py!("math/cumprod"),
            |a| one(arg::<2>(a, 0)?.cumprod(1)),
        )
        .build(),
        scan(
            "cumsum",
            "torch.cumsum(x, dim=1)",
            py!("math/cumsum"),
            |a| one(arg::<2>(a, 0)?.cumsum(1)),
        )
        .build(),
        scan(
            "cumsum_exclusive",
            "exclusive prefix sum along dim 1: y[:, j] = sum(x[:, :j])",
            py!("math/cumsum_exclusive"),
            |a| {
                let x: Tensor<2> = arg(a, 0)?;
                let [rows, cols] = x.dims();
                let zeros = Tensor::<2>::zeros([rows, 1], &x.device());
                let shifted = Tensor::cat(vec![zeros, x.narrow(1, 0, cols.saturating_sub(1))], 1);
                one(shifted.cumsum(1))
            },
        )
        .notes(
            "The original cat(zeros, x)[:-1] slices the first dimension and returns [127, 4001] \
             (a KernelBench bug, fixed upstream later). Here the intended exclusive scan: \
             cat(zeros, x[:, :-1], dim=1).cumsum(dim=1), output [128, 4000].",
        )
        .build(),
        scan(
            "cumsum_reverse",
            "reverse prefix sum along dim 1: flip, cumsum, flip",
            py!("math/cumsum_reverse"),
            |a| one(arg::<2>(a, 0)?.flip([1]).cumsum(1).flip([1])),
        )
        .build(),
        task(
            m,
            "masked_cumsum",
            "torch.cumsum(x * mask, dim=1), mask boolean",
            py!("math/masked_cumsum"),
            |a| {
                let x: Tensor<2> = arg(a, 0)?;
                let mask = bool_arg::<2>(a, 1)?;
                one(x.mask_fill(mask.bool_not(), 0.0).cumsum(1))
            },
        )
        .input("x", &SHAPE, Init::RANDN)
        .input("mask", &SHAPE, Init::Bernoulli)
        .output("y", &SHAPE)
        .flops(2 * n(&SHAPE))
        .build(),
        task(
            m,
            "matrix_scalar_multiplication",
            "A * s with the Python float s = 3.14",
            py!("math/matrix_scalar_multiplication"),
            |a| one(arg::<2>(a, 0)?.mul_scalar(SCALE)),
        )
        .input("A", &[16384, 4096], Init::RANDN)
        .output("C", &[16384, 4096])
        .flops(n(&[16384, 4096]))
        .notes(
            "The scalar s is a constructor argument (get_init_inputs returns [3.14]) rather \
             than a forward argument, since the kernel ABI passes tensors only.",
        )
        .build(),
    ]
}
