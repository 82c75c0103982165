//! resize: up- and down-sampling.

use super::{arg, n, one, py, task};
use crate::generator::Init;
use crate::ops::bilinear_upsample;
use crate::spec::{Category, Task};

pub(super) fn tasks() -> Vec<Task> {
    let out = [8, 256, 128, 128];
    vec![
        task(
            Category::Resize,
            "bilinear_upsample",
            "F.interpolate(x, scale_factor=2, mode='bilinear', align_corners=False)",
            py!("resize/bilinear_upsample"),
            |a| one(bilinear_upsample(arg(a, 0)?, 2)),
        )
        .input("x", &[8, 256, 64, 64], Init::RANDN)
        .output("y", &out)
        .flops(7 * n(&out))
        .build(),
    ]
}
