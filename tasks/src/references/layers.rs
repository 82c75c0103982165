//! Layers and whole small models: convolution, pooling, resizing, normalisation, linear
//! layers, matmul, reductions, losses, indexing and optimiser steps.

use super::{arg, host, one};
use crate::declare::schema::Args;
use crate::error::{Result, TaskError};
use crate::ops::{
    self, Conv2d, MaxPool2d, Tensor, activation, bilinear_upsample, conv2d, layer_norm_trailing,
    linear, max_pool2d,
};
use crate::spec::ReferenceFn;
use crate::tensor::HostTensor;

pub(super) const REFERENCES: &[(&str, ReferenceFn)] = &[
    ("conv2d", conv2d_reference),
    ("max_pool2d", |a, args| {
        let kernel = pair(args, "kernel", None)?;
        let geo = MaxPool2d {
            kernel,
            stride: pair(args, "stride", Some(kernel))?,
            padding: pair(args, "padding", Some([0, 0]))?,
            dilation: pair(args, "dilation", Some([1, 1]))?,
        };
        one(max_pool2d(arg(a, 0)?, geo))
    }),
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
    ("standard_matrix_multiplication", |a, _| {
        one(arg::<2>(a, 0)?.matmul(arg::<2>(a, 1)?))
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

/// `[h, w]` from an integer or a two-integer list; `default` when absent (`None`: the
/// argument is required).
fn pair(args: &Args, name: &str, default: Option<[usize; 2]>) -> Result<[usize; 2]> {
    if let (false, Some(d)) = (args.0.contains_key(name), default) {
        return Ok(d);
    }
    let values = args.ints(name)?;
    let as_usize = |v: i64| {
        usize::try_from(v)
            .map_err(|_| TaskError::Argument(format!("`{name}` must be non-negative, is {v}")))
    };
    match values.as_slice() {
        [v] => Ok([as_usize(*v)?; 2]),
        [h, w] => Ok([as_usize(*h)?, as_usize(*w)?]),
        _ => Err(TaskError::Argument(format!(
            "`{name}` must be one or two integers, is {values:?}"
        ))),
    }
}

/// `nn.Conv2d` with the declared `stride`, `padding`, `dilation` and `groups`; a bias
/// when a third tensor is given.
fn conv2d_reference(a: &[HostTensor], args: &Args) -> Result<Vec<HostTensor>> {
    let geo = Conv2d {
        stride: pair(args, "stride", Some([1, 1]))?,
        padding: pair(args, "padding", Some([0, 0]))?,
        dilation: pair(args, "dilation", Some([1, 1]))?,
        groups: args.usize_or("groups", 1)?,
    };
    let bias = if a.len() > 2 { Some(arg(a, 2)?) } else { None };
    one(conv2d(arg(a, 0)?, arg(a, 1)?, bias, geo))
}

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
