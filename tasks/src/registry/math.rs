//! math: scans along a dimension and a scalar product.

use super::{host, n, py, task};
use crate::error::Result;
use crate::generator::Init;
use crate::ops;
use crate::ops::elementwise::{Scan, scan_rows};
use crate::spec::{Category, Task};
use crate::tensor::HostTensor;

const SHAPE: [usize; 2] = [128, 4000];

/// The task's literal scalar `s`, not an approximation of pi.
#[allow(clippy::approx_constant)]
const SCALE: f64 = 3.14;

/// A row scan of the first argument `x`, optionally masked by `mask`.
fn row_scan(args: &[HostTensor], mask: Option<&HostTensor>, kind: Scan) -> Result<Vec<HostTensor>> {
    Ok(vec![scan_rows(host(args, 0)?, "x", mask, kind)?])
}

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
            |a| row_scan(a, None, Scan::Prod),
        )
        .build(),
        scan(
            "cumsum",
            "torch.cumsum(x, dim=1)",
            py!("math/cumsum"),
            |a| row_scan(a, None, Scan::Sum),
        )
        .build(),
        scan(
            "cumsum_exclusive",
            "exclusive prefix sum along dim 1: y[:, j] = sum(x[:, :j])",
            py!("math/cumsum_exclusive"),
            |a| row_scan(a, None, Scan::ExclusiveSum),
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
            |a| row_scan(a, None, Scan::ReverseSum),
        )
        .build(),
        task(
            m,
            "masked_cumsum",
            "torch.cumsum(x * mask, dim=1), mask boolean",
            py!("math/masked_cumsum"),
            |a| row_scan(a, Some(host(a, 1)?), Scan::Sum),
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
            // PyTorch multiplies a float32 tensor by a Python float in float32.
            |a| {
                let s = SCALE as f32;
                Ok(vec![ops::elementwise::map(host(a, 0)?, "A", |x| x * s)?])
            },
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
