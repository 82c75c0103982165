//! The optimizer category's references: one update step of Adagrad, RMSprop, SGD with
//! momentum and LAMB, each returning the updated parameter. Hyperparameters are the
//! declared `args`; every element is computed in f64 and rounded once.

use super::host;
use crate::declare::schema::Args;
use crate::error::{Result, TaskError};
use crate::spec::ReferenceFn;
use crate::tensor::HostTensor;
use rayon::prelude::*;

pub(super) const REFERENCES: &[(&str, ReferenceFn)] = &[
    ("adagrad", adagrad),
    ("rmsprop", rmsprop),
    ("sgd_momentum", sgd_momentum),
    ("lamb", lamb),
];

/// Elements per parallel work item.
const CHUNK: usize = 1 << 14;

/// The first `N` arguments as f32 buffers of one shape (named `names` in errors), and
/// that shape.
fn same_shaped<'a, const N: usize>(
    a: &'a [HostTensor],
    names: [&str; N],
) -> Result<([&'a [f32]; N], Vec<usize>)> {
    let first = host(a, 0)?;
    let mut out = [&[][..]; N];
    for (i, name) in names.iter().enumerate() {
        let t = host(a, i)?;
        if t.shape != first.shape {
            return Err(TaskError::Shape(format!(
                "`{name}` has shape {:?}, `{}` has {:?}",
                t.shape, names[0], first.shape
            )));
        }
        out[i] = t.as_f32(name)?;
    }
    Ok((out, first.shape.clone()))
}

/// A tensor of `shape` whose element `i` is `f` of element `i` of every buffer in `ins`,
/// computed in parallel.
fn zip_map<const N: usize>(
    ins: [&[f32]; N],
    shape: Vec<usize>,
    f: impl Fn([f64; N]) -> f64 + Sync,
) -> Result<Vec<HostTensor>> {
    let n = ins.first().map_or(0, |s| s.len());
    let mut out = crate::ops::buffer::zeroed(n);
    out.par_chunks_mut(CHUNK).enumerate().for_each(|(c, o)| {
        let base = c * CHUNK;
        for (j, y) in o.iter_mut().enumerate() {
            let i = base + j;
            *y = f(std::array::from_fn(|k| f64::from(ins[k][i]))) as f32;
        }
    });
    Ok(vec![HostTensor::f32(shape, out)?])
}

/// Adagrad (inputs param, grad, accum): `accum + grad^2`, then
/// `param - lr * grad / (sqrt(accum) + eps)`.
fn adagrad(a: &[HostTensor], args: &Args) -> Result<Vec<HostTensor>> {
    let lr = args.f64("lr")?;
    let eps = args.f64("eps")?;
    let (ins, shape) = same_shaped(a, ["param", "grad", "accum"])?;
    zip_map(ins, shape, |[p, g, acc]| {
        let acc = acc + g * g;
        p - lr * g / (acc.sqrt() + eps)
    })
}

/// RMSprop (inputs param, grad, v): `alpha * v + (1 - alpha) * grad^2`, then
/// `param - lr * grad / (sqrt(v) + eps)`.
fn rmsprop(a: &[HostTensor], args: &Args) -> Result<Vec<HostTensor>> {
    let lr = args.f64("lr")?;
    let alpha = args.f64("alpha")?;
    let eps = args.f64("eps")?;
    let (ins, shape) = same_shaped(a, ["param", "grad", "v"])?;
    zip_map(ins, shape, |[p, g, v]| {
        let v = alpha * v + (1.0 - alpha) * g * g;
        p - lr * g / (v.sqrt() + eps)
    })
}

/// SGD with momentum (inputs param, grad, velocity): `momentum * velocity + grad`, then
/// `param - lr * velocity`.
fn sgd_momentum(a: &[HostTensor], args: &Args) -> Result<Vec<HostTensor>> {
    let lr = args.f64("lr")?;
    let momentum = args.f64("momentum")?;
    let (ins, shape) = same_shaped(a, ["param", "grad", "velocity"])?;
    zip_map(ins, shape, |[p, g, vel]| p - lr * (momentum * vel + g))
}

/// LAMB-style step (inputs param, m, v): `r = m / (sqrt(v) + eps)`, the trust ratio
/// `||param|| / (||r|| + eps)` over the whole tensor, then `param - lr * trust * r`.
fn lamb(a: &[HostTensor], args: &Args) -> Result<Vec<HostTensor>> {
    let lr = args.f64("lr")?;
    let eps = args.f64("eps")?;
    let (ins, shape) = same_shaped(a, ["param", "m", "v"])?;
    let [p, m, v] = ins;
    let r = |i: usize| f64::from(m[i]) / (f64::from(v[i]).sqrt() + eps);
    let (p_sq, r_sq) = (0..p.len())
        .into_par_iter()
        .with_min_len(CHUNK)
        .map(|i| {
            let x = f64::from(p[i]);
            let ri = r(i);
            (x * x, ri * ri)
        })
        .reduce(|| (0.0, 0.0), |a, b| (a.0 + b.0, a.1 + b.1));
    let step = lr * p_sq.sqrt() / (r_sq.sqrt() + eps);
    zip_map(ins, shape, |[p, m, v]| p - step * (m / (v.sqrt() + eps)))
}
