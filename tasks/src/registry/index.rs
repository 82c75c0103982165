//! index: gather, scatter and indexed copies.

use super::{host, n, py, task};
use crate::generator::Init;
use crate::ops;
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
                Ok(vec![ops::elementwise::gather_dim1(
                    host(a, 0)?,
                    host(a, 1)?,
                )?])
            },
        )
        .input("x", &[128, 8192], Init::RANDN)
        .input("idx", &out, Init::IntRange { low: 0, high: 8192 })
        .output("y", &out)
        .flops(n(&out))
        .build(),
    ]
}
