//! Layers and whole small models: convolution, pooling, resizing, normalisation, linear
//! layers, matmul, reductions, losses, indexing and optimiser steps.

use super::{arg, host, one};
use crate::declare::schema::Args;
use crate::error::{Result, TaskError};
use crate::ops::{self, Tensor, activation, bilinear_upsample, layer_norm_trailing, linear};
use crate::spec::ReferenceFn;
use crate::tensor::HostTensor;

pub(super) const REFERENCES: &[(&str, ReferenceFn)] = &[
    ("bilinear_upsample", |a, _| {
        one(bilinear_upsample(arg(a, 0)?, 2))
    }),
    ("layer_norm", |a, _| {
        let x: Tensor<4> = arg(a, 0)?;
        let weight: Tensor<3> = arg(a, 1)?;
        let bias: Tensor<3> = arg(a, 2)?;
        let cols = weight.dims().iter().product::<usize>();
        one(layer_norm_trailing(
            x,
            3,
            weight.reshape([cols]),
            bias.reshape([cols]),
            1e-5,
        ))
    }),
    ("mlp", |a, _| {
        let x: Tensor<2> = arg(a, 0)?;
        let h = activation::relu(linear(x, arg(a, 1)?, Some(arg(a, 2)?)));
        let h = activation::relu(linear(h, arg(a, 3)?, Some(arg(a, 4)?)));
        one(linear(h, arg(a, 5)?, Some(arg(a, 6)?)))
    }),
    ("gemm_add_relu", |a, _| {
        let x: Tensor<2> = arg(a, 0)?;
        let y = linear(x, arg(a, 1)?, None);
        let bias: Tensor<1> = arg(a, 2)?;
        let bias = bias.unsqueeze::<2>().expand(y.dims());
        one(activation::relu(y + bias))
    }),
    ("reduce_dim", reduce_dim),
    ("mse_loss", |a, _| {
        let mut loss = ops::elementwise::mse(host(a, 0)?, host(a, 1)?)?;
        loss.shape.clear();
        Ok(vec![loss])
    }),
    ("gather", |a, _| {
        Ok(vec![ops::elementwise::gather_dim1(
            host(a, 0)?,
            host(a, 1)?,
        )?])
    }),
    ("adam", adam),
];

/// A reduction of a rank-3 `x` over `dim` with `op` (`sum`, `mean`, `max`, `min` or
/// `prod`), keeping the dimension when `keepdim`.
fn reduce_dim(a: &[HostTensor], args: &Args) -> Result<Vec<HostTensor>> {
    let dim = args.usize("dim")?;
    let keepdim = args.flag_or("keepdim", false)?;
    let op = args.text("op")?;
    let x: Tensor<3> = arg(a, 0)?;
    let mut shape = x.dims().to_vec();
    if dim >= shape.len() {
        return Err(TaskError::Argument(format!("dim {dim} of a rank-3 tensor")));
    }
    let mut out = match op {
        "sum" => ops::store(x.sum_dim(dim))?,
        "mean" => ops::store(x.mean_dim(dim))?,
        "max" => ops::store(x.max_dim(dim))?,
        "min" => ops::store(x.min_dim(dim))?,
        "prod" if dim == 1 => ops::elementwise::prod_dim1(host(a, 0)?, "x")?,
        other => {
            return Err(TaskError::Argument(format!(
                "reduce op `{other}` over dim {dim} is not implemented"
            )));
        }
    };
    if keepdim {
        shape[dim] = 1;
    } else {
        shape.remove(dim);
    }
    out.shape = shape;
    Ok(vec![out])
}

/// One Adam step at step 1 (bias-corrected moments); inputs param, grad, m, v.
fn adam(a: &[HostTensor], _: &Args) -> Result<Vec<HostTensor>> {
    const LR: f64 = 1e-3;
    const BETA1: f64 = 0.9;
    const BETA2: f64 = 0.999;
    const EPS: f64 = 1e-8;
    const STEP: i32 = 1;
    let param: Tensor<2> = arg(a, 0)?;
    let grad: Tensor<2> = arg(a, 1)?;
    let m: Tensor<2> = arg(a, 2)?;
    let v: Tensor<2> = arg(a, 3)?;
    let m = m.mul_scalar(BETA1) + grad.clone().mul_scalar(1.0 - BETA1);
    let v = v.mul_scalar(BETA2) + grad.square().mul_scalar(1.0 - BETA2);
    let m_hat = m.div_scalar(1.0 - BETA1.powi(STEP));
    let v_hat = v.div_scalar(1.0 - BETA2.powi(STEP));
    one(param - m_hat.mul_scalar(LR) / v_hat.sqrt().add_scalar(EPS))
}
