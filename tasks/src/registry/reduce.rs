//! reduce: reductions over dimension 1 of `x: [16, 256, 256]`.

use super::{arg, host, n, one, py, task};
use crate::generator::Init;
use crate::ops::{self, Tensor};
use crate::spec::{Category, ReferenceFn, Task};

const SHAPE: [usize; 3] = [16, 256, 256];
const OUT: [usize; 2] = [16, 256];

fn squeezed(t: Tensor<3>) -> crate::Result<Vec<crate::HostTensor>> {
    one(t.reshape(OUT))
}

pub(super) fn tasks() -> Vec<Task> {
    let reduction = |name, summary, source, reference: ReferenceFn, out: &[usize]| {
        task(Category::Reduce, name, summary, source, reference)
            .input("x", &SHAPE, Init::RANDN)
            .output("y", out)
            .flops(n(&SHAPE))
    };
    vec![
        reduction(
            "max_reduction_over_a_dimension",
            "torch.max(x, dim=1).values",
            py!("reduce/max_reduction_over_a_dimension"),
            |a| squeezed(arg::<3>(a, 0)?.max_dim(1)),
            &OUT,
        )
        .build(),
        reduction(
            "mean_reduction_over_a_dimension",
            "torch.mean(x, dim=1)",
            py!("reduce/mean_reduction_over_a_dimension"),
            |a| squeezed(arg::<3>(a, 0)?.mean_dim(1)),
            &OUT,
        )
        .build(),
        reduction(
            "min_reduction_over_a_dimension",
            "torch.min(x, dim=1).values",
            py!("reduce/min_reduction_over_a_dimension"),
            |a| squeezed(arg::<3>(a, 0)?.min_dim(1)),
            &OUT,
        )
        .build(),
        task(
            Category::Reduce,
            "product_reduction_over_a_dimension",
            "torch.prod(x, dim=1)",
            py!("reduce/product_reduction_over_a_dimension"),
            |a| Ok(vec![ops::elementwise::prod_dim1(host(a, 0)?, "x")?]),
        )
        .input(
            "x",
            &SHAPE,
            Init::Normal {
                mean: 1.0,
                std: 0.05,
            },
        )
        .output("y", &OUT)
        .flops(n(&SHAPE))
        .notes(
            "Inputs are 1 + 0.05 * randn instead of randn: the product of 256 standard normals \
             underflows to 0 in float32 for nearly every output, so an all-zero kernel would \
             pass. With this distribution the products are of order 1.",
        )
        .build(),
        reduction(
            "sum_reduction_over_a_dimension",
            "torch.sum(x, dim=1, keepdim=True)",
            py!("reduce/sum_reduction_over_a_dimension"),
            |a| one(arg::<3>(a, 0)?.sum_dim(1)),
            &[16, 1, 256],
        )
        .build(),
    ]
}
