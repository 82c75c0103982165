//! The one-shot exemplars: one small task per category, none of them among the 285, so
//! that no task is ever shown its own answer; plus the elementwise-add exemplar of the
//! paper's `add-shot` baseline. Their PyTorch sources live in `tasks/exemplars/`, their
//! cpu solutions in `prompts/cpu/exemplars/`.

use super::{TaskBuilder, arg, n, one, scalar_out, task};
use crate::error::TaskError;
use crate::generator::Init;
use crate::ops::{self, Tensor, activation, linear};
use crate::spec::{Category, ReferenceFn, Task, Tolerance};
use crate::tensor::{HostData, HostTensor};

macro_rules! ex_py {
    ($path:literal) => {
        include_str!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/exemplars/",
            $path,
            ".py"
        ))
    };
}

/// Lion's pre-sign value is kept at least this far from zero.
const LION_MARGIN: f64 = 1e-3;

/// The [`crate::spec::InputCondition`] of `optimizer/lion` (inputs: param, grad, m).
fn lion_away_from_sign_jump(tensors: &mut [HostTensor]) {
    let [_, grad, m] = tensors else { return };
    let (HostData::F32(grad), HostData::F32(m)) = (&grad.data, &mut m.data) else {
        return;
    };
    for (m, &g) in m.iter_mut().zip(grad.iter()) {
        let c = 0.9 * f64::from(*m) + 0.1 * f64::from(g);
        if c.abs() < LION_MARGIN {
            let target = if c < 0.0 { -LION_MARGIN } else { LION_MARGIN };
            *m = ((target - 0.1 * f64::from(g)) / 0.9) as f32;
        }
    }
}

fn ex(
    category: Category,
    name: &'static str,
    summary: &'static str,
    source: &'static str,
    reference: ReferenceFn,
) -> TaskBuilder {
    task(category, name, summary, source, reference)
}

/// Every exemplar: the 14 category exemplars, then `broadcast/elementwise_add`.
pub(super) fn tasks() -> Vec<Task> {
    use Category::*;
    vec![
        ex(
            Activation,
            "relu6",
            "F.relu6(x)",
            ex_py!("activation/relu6"),
            |a| one(arg::<2>(a, 0)?.clamp(0.0, 6.0)),
        )
        .input(
            "x",
            &[16, 4096],
            Init::Normal {
                mean: 0.0,
                std: 4.0,
            },
        )
        .output("y", &[16, 4096])
        .flops(2 * n(&[16, 4096]))
        .build(),
        ex(
            Broadcast,
            "scale_rows",
            "x * s, s [R, 1] per row",
            ex_py!("broadcast/scale_rows"),
            |a| {
                let x: Tensor<2> = arg(a, 0)?;
                let dims = x.dims();
                one(x * arg::<2>(a, 1)?.expand(dims))
            },
        )
        .input("x", &[64, 1024], Init::RANDN)
        .input("s", &[64, 1], Init::RANDN)
        .output("y", &[64, 1024])
        .flops(n(&[64, 1024]))
        .build(),
        ex(
            Convolution,
            "conv1d_padded_bias",
            "nn.Conv1d(4, 8, 3, padding=1) with bias",
            ex_py!("convolution/conv1d_padded_bias"),
            |a| one(ops::conv1d(arg(a, 0)?, arg(a, 1)?, Some(arg(a, 2)?), 1)),
        )
        .input("x", &[8, 4, 256], Init::RANDN)
        .param("conv.weight", &[8, 4, 3], Init::kaiming_default(12))
        .param("conv.bias", &[8], Init::kaiming_default(12))
        .output("y", &[8, 8, 256])
        .flops(2 * 8 * 8 * 256 * 12)
        .build(),
        ex(
            Arch,
            "residual_mlp_block",
            "x + fc2(tanh(fc1(x)))",
            ex_py!("arch/residual_mlp_block"),
            |a| {
                let x: Tensor<2> = arg(a, 0)?;
                let h = activation::tanh(linear(x.clone(), arg(a, 1)?, Some(arg(a, 2)?)));
                one(x + linear(h, arg(a, 3)?, Some(arg(a, 4)?)))
            },
        )
        .input("x", &[32, 128], Init::RANDN)
        .param("fc1.weight", &[256, 128], Init::kaiming_default(128))
        .param("fc1.bias", &[256], Init::kaiming_default(128))
        .param("fc2.weight", &[128, 256], Init::kaiming_default(256))
        .param("fc2.bias", &[128], Init::kaiming_default(256))
        .output("y", &[32, 128])
        .flops(2 * 2 * 32 * 128 * 256)
        .build(),
        ex(
            Fuse,
            "linear_tanh_scale",
            "tanh(Linear(256, 128)(x)) * 0.5",
            ex_py!("fuse/linear_tanh_scale"),
            |a| {
                let y = linear(arg(a, 0)?, arg(a, 1)?, Some(arg(a, 2)?));
                one(activation::tanh(y).mul_scalar(0.5))
            },
        )
        .input("x", &[64, 256], Init::RANDN)
        .param("linear.weight", &[128, 256], Init::kaiming_default(256))
        .param("linear.bias", &[128], Init::kaiming_default(256))
        .output("y", &[64, 128])
        .flops(2 * 64 * 256 * 128)
        .build(),
        ex(
            Loss,
            "l1_loss",
            "mean(|predictions - targets|)",
            ex_py!("loss/l1_loss"),
            |a| {
                let d: Tensor<2> = arg::<2>(a, 0)? - arg::<2>(a, 1)?;
                scalar_out(d.abs().mean())
            },
        )
        .input("predictions", &[64, 1024], Init::RANDN)
        .input("targets", &[64, 1024], Init::RANDN)
        .output("loss", &[])
        .flops(3 * n(&[64, 1024]))
        .build(),
        ex(
            Math,
            "cumulative_mean",
            "running mean along dim 1",
            ex_py!("math/cumulative_mean"),
            |a| {
                let x: Tensor<2> = arg(a, 0)?;
                let [rows, cols] = x.dims();
                let counts: Vec<f32> = (1..=cols).map(|c| c as f32).collect();
                let host = crate::HostTensor::f32(vec![1, cols], counts)?;
                let counts = ops::load::<2>(&host, "counts")?.expand([rows, cols]);
                one(x.cumsum(1) / counts)
            },
        )
        .input("x", &[32, 2000], Init::RANDN)
        .output("y", &[32, 2000])
        .flops(2 * n(&[32, 2000]))
        .build(),
        ex(
            Matmul,
            "outer_product",
            "torch.outer(a, b)",
            ex_py!("matmul/outer_product"),
            |a| {
                let x: Tensor<1> = arg(a, 0)?;
                let y: Tensor<1> = arg(a, 1)?;
                let (m, k) = (x.dims()[0], y.dims()[0]);
                one(x.reshape([m, 1]).matmul(y.reshape([1, k])))
            },
        )
        .input("a", &[512], Init::RANDN)
        .input("b", &[256], Init::RANDN)
        .output("c", &[512, 256])
        .flops(n(&[512, 256]))
        .build(),
        ex(
            Normalization,
            "min_max_normalize",
            "(x - min) / (max - min) per row",
            ex_py!("normalization/min_max_normalize"),
            |a| {
                let x: Tensor<2> = arg(a, 0)?;
                let dims = x.dims();
                let lo = x.clone().min_dim(1).expand(dims);
                let hi = x.clone().max_dim(1).expand(dims);
                one((x - lo.clone()) / (hi - lo))
            },
        )
        .input("x", &[64, 1024], Init::RANDN)
        .output("y", &[64, 1024])
        .flops(4 * n(&[64, 1024]))
        .build(),
        ex(
            Optimizer,
            "lion",
            "one Lion step (lr 1e-2, beta1 0.9, weight decay 0.1)",
            ex_py!("optimizer/lion"),
            |a| {
                let p: Tensor<2> = arg(a, 0)?;
                let c = arg::<2>(a, 2)?.mul_scalar(0.9) + arg::<2>(a, 1)?.mul_scalar(0.1);
                one(p.clone() - (c.sign() + p.mul_scalar(0.1)).mul_scalar(1e-2))
            },
        )
        .input("param", &[256, 1024], Init::RANDN)
        .input("grad", &[256, 1024], Init::RANDN)
        .input(
            "m",
            &[256, 1024],
            Init::Normal {
                mean: 0.0,
                std: 0.1,
            },
        )
        .output("param_out", &[256, 1024])
        .flops(6 * n(&[256, 1024]))
        .tolerance(
            Tolerance {
                atol: 1e-5,
                rtol: 1e-5,
            },
            "the update is about 1e-2, the size of the default tolerance",
        )
        .condition(
            lion_away_from_sign_jump,
            "where |0.9 m + 0.1 grad| < 1e-3 (about 0.6 % of elements), m is moved so that it \
             is 1e-3 with the same sign: sign() jumps by 2 lr there, and an FMA or another \
             summation order would otherwise flip one in a few percent of runs",
        )
        .build(),
        ex(
            Pooling,
            "lp_pool2d",
            "nn.LPPool2d(2, kernel_size=2): sqrt of the sum of squares per 2x2 window",
            ex_py!("pooling/lp_pool2d"),
            |a| {
                let x: Tensor<4> = arg(a, 0)?;
                one(ops::avg_pool2d(x.square(), 2).mul_scalar(4.0).sqrt())
            },
        )
        .input("x", &[8, 16, 64, 64], Init::RANDN)
        .output("y", &[8, 16, 32, 32])
        .flops(n(&[8, 16, 64, 64]) * 2)
        .build(),
        ex(
            Index,
            "index_fill",
            "x.index_fill(1, idx, -1.0)",
            ex_py!("index/index_fill"),
            |a| {
                let x = a
                    .first()
                    .ok_or_else(|| TaskError::Shape("missing x".into()))?;
                let idx = a
                    .get(1)
                    .ok_or_else(|| TaskError::Shape("missing idx".into()))?;
                let cols = *x
                    .shape
                    .last()
                    .ok_or_else(|| TaskError::Shape("x is 0-d".into()))?;
                let mut values = x.as_f32("x")?.to_vec();
                for &j in idx.as_i64("idx")? {
                    let j = usize::try_from(j)
                        .ok()
                        .filter(|&j| j < cols)
                        .ok_or_else(|| TaskError::Shape(format!("index {j} out of range")))?;
                    values
                        .iter_mut()
                        .skip(j)
                        .step_by(cols)
                        .for_each(|v| *v = -1.0);
                }
                Ok(vec![crate::HostTensor::f32(x.shape.clone(), values)?])
            },
        )
        .input("x", &[64, 512], Init::RANDN)
        .input("idx", &[32], Init::IntRange { low: 0, high: 512 })
        .output("y", &[64, 512])
        .flops(0)
        .build(),
        ex(
            Resize,
            "pixel_shuffle",
            "F.pixel_shuffle(x, 2): [N, 16, 32, 32] to [N, 4, 64, 64]",
            ex_py!("resize/pixel_shuffle"),
            |a| one(ops::pixel_shuffle(arg(a, 0)?, 2)),
        )
        .input("x", &[8, 16, 32, 32], Init::RANDN)
        .output("y", &[8, 4, 64, 64])
        .flops(0)
        .build(),
        ex(
            Reduce,
            "logsumexp_reduction",
            "torch.logsumexp(x, dim=1)",
            ex_py!("reduce/logsumexp_reduction"),
            |a| {
                let x: Tensor<3> = arg(a, 0)?;
                let [b, _, c] = x.dims();
                one(ops::logsumexp(x, 1).reshape([b, c]))
            },
        )
        .input("x", &[16, 128, 256], Init::RANDN)
        .output("y", &[16, 256])
        .flops(3 * n(&[16, 128, 256]))
        .build(),
        ex(
            Broadcast,
            "elementwise_add",
            "a + b, same shapes (the add-shot exemplar)",
            ex_py!("broadcast/elementwise_add"),
            |a| one(arg::<2>(a, 0)? + arg::<2>(a, 1)?),
        )
        .input("a", &[16, 4096], Init::RANDN)
        .input("b", &[16, 4096], Init::RANDN)
        .output("c", &[16, 4096])
        .flops(n(&[16, 4096]))
        .build(),
    ]
}
