//! Activations: elementwise maps and row-wise softmax.

use super::{host, unary_map};
use crate::declare::schema::Args;
use crate::error::{Result, TaskError};
use crate::ops::elementwise as ew;
use crate::spec::ReferenceFn;
use crate::tensor::HostTensor;

pub(super) const REFERENCES: &[(&str, ReferenceFn)] = &[
    ("elu", |a, args| {
        let alpha = args.f64("alpha")? as f32;
        unary_map(a, move |x| ew::elu(x, alpha))
    }),
    ("gelu", |a, _| unary_map(a, ew::gelu_erf)),
    ("hardsigmoid", |a, _| {
        unary_map(a, |x| (x / 6.0 + 0.5).clamp(0.0, 1.0))
    }),
    ("hardtanh", |a, _| unary_map(a, |x| x.clamp(-1.0, 1.0))),
    ("leaky_relu", |a, args| {
        let slope = args.f64("negative_slope")? as f32;
        unary_map(a, move |x| if x >= 0.0 { x } else { slope * x })
    }),
    ("log_softmax", |a, args| softmax_rows(a, args, true)),
    ("min_gpt_new_gelu", |a, _| unary_map(a, ew::gelu_tanh)),
    ("relu", |a, _| unary_map(a, |x| x.max(0.0))),
    ("selu", |a, _| unary_map(a, ew::selu)),
    ("sigmoid", |a, _| unary_map(a, ew::sigmoid)),
    ("softmax", |a, args| softmax_rows(a, args, false)),
    ("softplus", |a, _| unary_map(a, ew::softplus)),
    ("softsign", |a, _| unary_map(a, |x| x / (1.0 + x.abs()))),
    ("swish", |a, _| unary_map(a, ew::silu)),
    ("tanh", |a, _| unary_map(a, ew::tanh)),
];

/// Softmax (log-softmax when `log`) over the last dimension of a rank-2 input.
fn softmax_rows(args: &[HostTensor], _: &Args, log: bool) -> Result<Vec<HostTensor>> {
    let t = host(args, 0)?;
    if t.shape.len() != 2 {
        return Err(TaskError::Shape(format!(
            "x has shape {:?}, expected rank 2",
            t.shape
        )));
    }
    Ok(vec![ew::softmax_last(t, "x", log)?])
}
