//! The one-shot exemplars' references (none of them a benchmark task).

use super::{arg, host, one, scalar_out};
use crate::declare::schema::Args;
use crate::error::{Result, TaskError};
use crate::ops::{self, Tensor, activation, linear};
use crate::spec::ReferenceFn;
use crate::tensor::HostTensor;

pub(super) const REFERENCES: &[(&str, ReferenceFn)] = &[
    ("relu6", |a, _| one(arg::<2>(a, 0)?.clamp(0.0, 6.0))),
    ("scale_rows", |a, _| {
        let x: Tensor<2> = arg(a, 0)?;
        let dims = x.dims();
        one(x * arg::<2>(a, 1)?.expand(dims))
    }),
    ("conv1d_padded_bias", |a, _| {
        one(ops::conv1d(arg(a, 0)?, arg(a, 1)?, Some(arg(a, 2)?), 1))
    }),
    ("residual_mlp_block", |a, _| {
        let x: Tensor<2> = arg(a, 0)?;
        let h = activation::tanh(linear(x.clone(), arg(a, 1)?, Some(arg(a, 2)?)));
        one(x + linear(h, arg(a, 3)?, Some(arg(a, 4)?)))
    }),
    ("linear_tanh_scale", |a, _| {
        let y = linear(arg(a, 0)?, arg(a, 1)?, Some(arg(a, 2)?));
        one(activation::tanh(y).mul_scalar(0.5))
    }),
    ("l1_loss", |a, _| {
        let d: Tensor<2> = arg::<2>(a, 0)? - arg::<2>(a, 1)?;
        scalar_out(d.abs().mean())
    }),
    ("cumulative_mean", cumulative_mean),
    ("outer_product", |a, _| {
        let x: Tensor<1> = arg(a, 0)?;
        let y: Tensor<1> = arg(a, 1)?;
        let (m, k) = (x.dims()[0], y.dims()[0]);
        one(x.reshape([m, 1]).matmul(y.reshape([1, k])))
    }),
    ("min_max_normalize", |a, _| {
        let x: Tensor<2> = arg(a, 0)?;
        let dims = x.dims();
        let lo = x.clone().min_dim(1).expand(dims);
        let hi = x.clone().max_dim(1).expand(dims);
        one((x - lo.clone()) / (hi - lo))
    }),
    ("lion", |a, _| {
        let p: Tensor<2> = arg(a, 0)?;
        let c = arg::<2>(a, 2)?.mul_scalar(0.9) + arg::<2>(a, 1)?.mul_scalar(0.1);
        one(p.clone() - (c.sign() + p.mul_scalar(0.1)).mul_scalar(1e-2))
    }),
    ("lp_pool2d", |a, _| {
        let x: Tensor<4> = arg(a, 0)?;
        one(ops::avg_pool2d(x.square(), 2).mul_scalar(4.0).sqrt())
    }),
    ("index_fill", index_fill),
    ("pixel_shuffle", |a, _| {
        one(ops::pixel_shuffle(arg(a, 0)?, 2))
    }),
    ("logsumexp_reduction", |a, _| {
        let x: Tensor<3> = arg(a, 0)?;
        let [b, _, c] = x.dims();
        one(ops::logsumexp(x, 1).reshape([b, c]))
    }),
    ("elementwise_add", |a, _| {
        one(arg::<2>(a, 0)? + arg::<2>(a, 1)?)
    }),
];

/// The running mean along dimension 1.
fn cumulative_mean(a: &[HostTensor], _: &Args) -> Result<Vec<HostTensor>> {
    let x: Tensor<2> = arg(a, 0)?;
    let [rows, cols] = x.dims();
    let counts: Vec<f32> = (1..=cols).map(|c| c as f32).collect();
    let host = HostTensor::f32(vec![1, cols], counts)?;
    let counts = ops::load::<2>(&host, "counts")?.expand([rows, cols]);
    one(x.cumsum(1) / counts)
}

/// `x.index_fill(1, idx, -1.0)` on a rank-2 `x`.
fn index_fill(a: &[HostTensor], _: &Args) -> Result<Vec<HostTensor>> {
    let x = host(a, 0)?;
    let idx = host(a, 1)?;
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
    Ok(vec![HostTensor::f32(x.shape.clone(), values)?])
}
