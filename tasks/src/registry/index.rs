//! index: gather, scatter and indexed copies.

use super::{arg, n, one, py, task};
use crate::TaskError;
use crate::generator::Init;
use crate::ops::{self, Tensor};
use crate::spec::{Category, Task};

pub(super) fn tasks() -> Vec<Task> {
    let out = [128, 4096];
    vec![
        task(
            Category::Index,
            "gather",
            "torch.gather(x, dim=1, index=idx)",
            py!("index/gather"),
            |a| {
                let x: Tensor<2> = arg(a, 0)?;
                let idx = a
                    .get(1)
                    .ok_or_else(|| TaskError::Shape("missing argument 1".into()))?;
                one(x.gather(1, ops::load_int::<2>(idx, "idx")?))
            },
        )
        .input("x", &[128, 8192], Init::RANDN)
        .input("idx", &out, Init::IntRange { low: 0, high: 8192 })
        .output("y", &out)
        .flops(n(&out))
        .build(),
    ]
}
