//! broadcast: 10 elementwise ops whose operands broadcast.

use super::{arg, bool_arg, host, n, one, py, scalar_arg, task};
use crate::generator::Init;
use crate::ops::elementwise::{broadcast_map, clamp_columns, where_broadcast};
use crate::ops::{self, Tensor};
use crate::spec::{Category, Task};
use crate::tensor::{DType, HostTensor};

/// The task's literal bias, not an approximation of pi.
#[allow(clippy::approx_constant)]
const BIAS: f64 = 3.1415;

/// `f` over inputs 0 and 1 broadcast by PyTorch's rules: input 1 seen with the shape
/// `view` when given (a `.view(...)` in the source), the output shaped `out` (by default
/// input 0's shape).
fn pair(
    a: &[HostTensor],
    view: Option<&[usize]>,
    out: Option<&[usize]>,
    f: impl Fn(f32, f32) -> f32 + Sync,
) -> crate::error::Result<Vec<HostTensor>> {
    let (x, y) = (host(a, 0)?, host(a, 1)?);
    Ok(vec![broadcast_map(
        x.as_f32("first input")?,
        &x.shape,
        y.as_f32("second input")?,
        view.unwrap_or(&y.shape),
        out.unwrap_or(&x.shape),
        f,
    )?])
}

pub(super) fn tasks() -> Vec<Task> {
    let b = Category::Broadcast;
    vec![
        task(
            b,
            "add_bias_broadcast",
            "x + bias, bias a 0-d tensor",
            py!("broadcast/add_bias_broadcast"),
            |a| one(arg::<2>(a, 0)?.add_scalar(scalar_arg(a, 1)?)),
        )
        .input("x", &[4, 2048], Init::RANDN)
        .input("bias", &[], Init::Full { value: BIAS })
        .output("y", &[4, 2048])
        .flops(n(&[4, 2048]))
        .build(),
        task(
            b,
            "add_bias_four_dim_broadcast",
            "x + bias.view(1, -1, 1, 1), per-channel bias on NCHW",
            py!("broadcast/add_bias_four_dim_broadcast"),
            |a| {
                let c = host(a, 0)?.shape.get(1).copied().unwrap_or(0);
                pair(a, Some(&[c, 1, 1]), None, |x, b| x + b)
            },
        )
        .input("x", &[8, 512, 32, 32], Init::RANDN)
        .input("bias", &[512], Init::RANDN)
        .output("y", &[8, 512, 32, 32])
        .flops(n(&[8, 512, 32, 32]))
        .build(),
        task(
            b,
            "clamp_broadcast",
            "torch.clamp(x, min=min_val, max=max_val), per-column tensor bounds",
            py!("broadcast/clamp_broadcast"),
            |a| Ok(vec![clamp_columns(host(a, 0)?, host(a, 1)?, host(a, 2)?)?]),
        )
        .input(
            "x",
            &[256, 2048],
            Init::Normal {
                mean: 0.0,
                std: 5.0,
            },
        )
        .input("min_val", &[2048], Init::Full { value: -2.0 })
        .input("max_val", &[2048], Init::Full { value: 2.0 })
        .output("y", &[256, 2048])
        .flops(2 * n(&[256, 2048]))
        .build(),
        task(
            b,
            "division_broadcast",
            "x / scale, scale [3, 1, 1] over x [8, 3, 32, 128]",
            py!("broadcast/division_broadcast"),
            |a| pair(a, None, None, |x, s| x / s),
        )
        .input("x", &[8, 3, 32, 128], Init::RANDN)
        .input("scale", &[3, 1, 1], Init::RANDN)
        .output("y", &[8, 3, 32, 128])
        .flops(n(&[8, 3, 32, 128]))
        .build(),
        task(
            b,
            "elmentwise_mul_broadcast",
            "a * b, [4, 1, 2048] * [1, 4, 2048] -> [4, 4, 2048]",
            py!("broadcast/elmentwise_mul_broadcast"),
            |a| pair(a, None, Some(&[4, 4, 2048]), |x, y| x * y),
        )
        .input("a", &[4, 1, 2048], Init::RANDN)
        .input("b", &[1, 4, 2048], Init::RANDN)
        .output("y", &[4, 4, 2048])
        .flops(n(&[4, 4, 2048]))
        .build(),
        task(
            b,
            "logic_and_broadcast",
            "a & b on bool tensors, [128, 512, 1024] & [1, 512, 1]",
            py!("broadcast/logic_and_broadcast"),
            |a| {
                let x = bool_arg::<3>(a, 0)?;
                let dims = x.dims();
                let y = bool_arg::<3>(a, 1)?.expand(dims);
                Ok(vec![ops::store_bool(x.bool_and(y))?])
            },
        )
        .input("a", &[128, 512, 1024], Init::Bernoulli)
        .input("b", &[1, 512, 1], Init::Bernoulli)
        .output_of("y", &[128, 512, 1024], DType::Bool)
        .flops(n(&[128, 512, 1024]))
        .build(),
        task(
            b,
            "max_broadcast",
            "torch.maximum(a, b), [16, 1, 1024] vs [1, 256, 1] -> [16, 256, 1024]",
            py!("broadcast/max_broadcast"),
            |a| pair(a, None, Some(&[16, 256, 1024]), f32::max),
        )
        .input("a", &[16, 1, 1024], Init::RANDN)
        .input("b", &[1, 256, 1], Init::RANDN)
        .output("y", &[16, 256, 1024])
        .flops(n(&[16, 256, 1024]))
        .build(),
        task(
            b,
            "power_broadcast",
            "x ** exponent, exponent per column",
            py!("broadcast/power_broadcast"),
            |a| {
                let x: Tensor<2> = arg(a, 0)?;
                let dims = x.dims();
                let e = arg::<1>(a, 1)?.reshape([1, dims[1]]).expand(dims);
                one(x.powf(e))
            },
        )
        .input("x", &[4, 2048], Init::AbsNormal { offset: 0.01 })
        .input("exponent", &[2048], Init::Full { value: 0.5 })
        .output("y", &[4, 2048])
        .flops(3 * n(&[4, 2048]))
        .build(),
        task(
            b,
            "subtract_with_bias_broadcast",
            "x - bias, bias a row vector",
            py!("broadcast/subtract_with_bias_broadcast"),
            |a| pair(a, None, None, |x, b| x - b),
        )
        .input("x", &[8, 4096], Init::RANDN)
        .input("bias", &[4096], Init::RANDN)
        .output("y", &[8, 4096])
        .flops(n(&[8, 4096]))
        .build(),
        task(
            b,
            "where_broadcast",
            "torch.where(cond, x, y), cond [1, 512, 1] broadcast",
            py!("broadcast/where_broadcast"),
            |a| {
                Ok(vec![where_broadcast(
                    host(a, 0)?,
                    host(a, 1)?,
                    host(a, 2)?,
                )?])
            },
        )
        .input("cond", &[1, 512, 1], Init::Bernoulli)
        .input("x", &[64, 512, 64], Init::RANDN)
        .input("y", &[64, 512, 64], Init::RANDN)
        .output("out", &[64, 512, 64])
        .flops(n(&[64, 512, 64]))
        .build(),
    ]
}
