//! Reference functions, by the name a declaration gives in `reference = "..."`, and the
//! named input conditions. A function serves every task of its family through the
//! declared `args` (one `conv2d` for every 2-d convolution) and takes its dimensions
//! from the tensors it is given, so it works at every size profile.

mod activation;
mod attention;
mod broadcast;
mod conditions;
mod convolution;
mod exemplars;
mod index;
mod layers;
mod loss;
mod matmul;
mod normalization;
mod optimizer;
mod pooling;
mod resize;
mod scan;

use crate::error::{Result, TaskError};
use crate::ops::{self, Tensor};
use crate::spec::{InputCondition, ReferenceFn};
use crate::tensor::HostTensor;

/// Every reference function with its name.
fn table() -> impl Iterator<Item = (&'static str, ReferenceFn)> {
    [
        activation::REFERENCES,
        attention::REFERENCES,
        broadcast::REFERENCES,
        convolution::REFERENCES,
        exemplars::REFERENCES,
        index::REFERENCES,
        layers::REFERENCES,
        loss::REFERENCES,
        matmul::REFERENCES,
        normalization::REFERENCES,
        optimizer::REFERENCES,
        pooling::REFERENCES,
        resize::REFERENCES,
        scan::REFERENCES,
    ]
    .into_iter()
    .flatten()
    .copied()
}

/// The reference function called `name`.
pub fn find(name: &str) -> Option<ReferenceFn> {
    table().find(|(n, _)| *n == name).map(|(_, f)| f)
}

/// Every reference function's name.
pub fn names() -> Vec<&'static str> {
    table().map(|(n, _)| n).collect()
}

/// The input condition called `name`.
pub fn condition(name: &str) -> Option<InputCondition> {
    conditions::CONDITIONS
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, c)| *c)
}

/// Loads tensor `i` of a reference's arguments as an f32 tensor of rank `D`.
pub(crate) fn arg<const D: usize>(args: &[HostTensor], i: usize) -> Result<Tensor<D>> {
    ops::load(host(args, i)?, &format!("argument {i}"))
}

/// Host tensor `i` of a reference's arguments, for the host-side kernels of
/// [`ops::elementwise`].
pub(crate) fn host(args: &[HostTensor], i: usize) -> Result<&HostTensor> {
    args.get(i)
        .ok_or_else(|| TaskError::Shape(format!("missing argument {i}")))
}

/// Loads tensor `i` of a reference's arguments as a boolean tensor of rank `D`.
pub(crate) fn bool_arg<const D: usize>(
    args: &[HostTensor],
    i: usize,
) -> Result<Tensor<D, ops::Bool>> {
    ops::load_bool(host(args, i)?, &format!("argument {i}"))
}

/// Reads the single f32 element of a 0-d (or one-element) argument.
pub(crate) fn scalar_arg(args: &[HostTensor], i: usize) -> Result<f32> {
    match host(args, i)?.as_f32(&format!("argument {i}"))? {
        [v] => Ok(*v),
        other => Err(TaskError::Shape(format!(
            "argument {i} must hold one element, holds {}",
            other.len()
        ))),
    }
}

/// The one output of `f` applied to every element of the first f32 argument, on the
/// host buffers ([`ops::elementwise::map`]).
pub(crate) fn unary_map(
    args: &[HostTensor],
    f: impl Fn(f32) -> f32 + Sync + Copy,
) -> Result<Vec<HostTensor>> {
    Ok(vec![ops::elementwise::map(
        host(args, 0)?,
        "argument 0",
        f,
    )?])
}

/// Wraps one f32 output.
pub(crate) fn one<const D: usize>(t: Tensor<D>) -> Result<Vec<HostTensor>> {
    Ok(vec![ops::store(t)?])
}

/// Wraps a one-element tensor as a 0-d f32 output (PyTorch's scalar results).
pub(crate) fn scalar_out(t: Tensor<1>) -> Result<Vec<HostTensor>> {
    let mut host = ops::store(t)?;
    if host.len() != 1 {
        return Err(TaskError::Shape(format!(
            "a scalar output must hold one element, holds {}",
            host.len()
        )));
    }
    host.shape.clear();
    Ok(vec![host])
}
