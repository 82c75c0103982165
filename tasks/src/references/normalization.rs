//! The normalization category's references, on the host buffers with rayon.
//!
//! Two families: mean-and-variance normalisation of `[n, c, ...]` tensors over some set of
//! `(n, c)` rows (`batch_norm`, `group_norm`, `instance_norm`), and division by a norm
//! (`lp_normalize`: L1, L2, RMS along dimension 1, or the Frobenius norm of the whole
//! tensor). Sums are accumulated in f64 (PyTorch accumulates in float32; the difference
//! is far inside the tolerances).

use super::host;
use crate::declare::schema::Args;
use crate::error::{Result, TaskError};
use crate::spec::ReferenceFn;
use crate::tensor::HostTensor;
use rayon::prelude::*;

pub(super) const REFERENCES: &[(&str, ReferenceFn)] = &[
    ("batch_norm", batch_norm),
    ("group_norm", group_norm),
    ("instance_norm", instance_norm),
    ("lp_normalize", lp_normalize),
];

/// Elements per parallel work item when rows are short.
const CHUNK: usize = 1 << 14;

/// Independent f32 accumulator lanes (so that the sums vectorize).
const LANES: usize = 16;

/// Elements summed in f32 lanes before the partial sum joins the f64 total (64 per
/// lane: a relative rounding error of a few 1e-6).
const BLOCK: usize = 1024;

/// `sum f(v)` over `values`: [`LANES`] f32 lanes within blocks of [`BLOCK`] elements
/// (so that the loop vectorizes), the blocks' sums added in f64.
#[inline(always)]
fn lane_sum(values: &[f32], f: impl Fn(f32) -> f32) -> f64 {
    let mut total = 0.0f64;
    for block in values.chunks(BLOCK) {
        let mut lanes = [0.0f32; LANES];
        let chunks = block.chunks_exact(LANES);
        let rest = chunks.remainder();
        for c in chunks {
            for (l, &v) in lanes.iter_mut().zip(c) {
                *l += f(v);
            }
        }
        total += lanes.iter().map(|&l| f64::from(l)).sum::<f64>()
            + rest.iter().map(|&v| f64::from(f(v))).sum::<f64>();
    }
    total
}

/// The sum and the sum of squares of `values`.
fn sum_and_squares(values: &[f32]) -> (f64, f64) {
    (lane_sum(values, |v| v), lane_sum(values, |v| v * v))
}

/// The `[n, c, inner]` view of a tensor of rank at least 2, checking the element count.
fn ncs(t: &HostTensor, name: &str) -> Result<(usize, usize, usize)> {
    let [n, c, ref rest @ ..] = t.shape[..] else {
        return Err(TaskError::Shape(format!(
            "`{name}` has shape {:?}, expected rank 2 or more",
            t.shape
        )));
    };
    let inner: usize = rest.iter().product();
    if t.len() != n * c * inner {
        return Err(TaskError::Shape(format!(
            "`{name}` holds {} elements, its shape {:?} needs {}",
            t.len(),
            t.shape,
            n * c * inner
        )));
    }
    Ok((n, c, inner))
}

/// A per-channel f32 vector of length `c`: argument `i`, or `fill` when `i` is absent.
fn channel_vector(args: &[HostTensor], i: Option<usize>, c: usize, fill: f32) -> Result<Vec<f32>> {
    let Some(i) = i else {
        return Ok(vec![fill; c]);
    };
    let v = host(args, i)?.as_f32(&format!("argument {i}"))?;
    if v.len() != c {
        return Err(TaskError::Shape(format!(
            "argument {i} holds {} elements, expected {c} (one per channel)",
            v.len()
        )));
    }
    Ok(v.to_vec())
}

/// Sum and sum of squares of every `(n, c)` row of `x` (rows of `inner` elements).
fn row_stats(x: &[f32], inner: usize) -> Vec<(f64, f64)> {
    if inner == 0 {
        return Vec::new();
    }
    x.par_chunks(inner)
        .with_min_len((CHUNK / inner).max(1))
        .map(sum_and_squares)
        .collect()
}

/// `y[n, c, :] = x[n, c, :] * scale[n c] + shift[n c]`, parallel over rows.
fn affine_rows(
    t: &HostTensor,
    x: &[f32],
    inner: usize,
    scale: &[f32],
    shift: &[f32],
) -> Result<Vec<HostTensor>> {
    let mut out = crate::ops::buffer::zeroed(x.len());
    if inner > 0 {
        out.par_chunks_mut(inner)
            .zip(x.par_chunks(inner))
            .zip(scale.par_iter().zip(shift.par_iter()))
            .with_min_len((CHUNK / inner).max(1))
            .for_each(|((o, row), (&a, &b))| {
                for (o, &v) in o.iter_mut().zip(row) {
                    *o = v * a + b;
                }
            });
    }
    Ok(vec![HostTensor::f32(t.shape.clone(), out)?])
}

/// `1 / sqrt(var + eps)` and the mean of `count` elements with this sum and sum of
/// squares (biased variance, as the normalisation layers use).
fn mean_and_rstd(sum: f64, squares: f64, count: usize, eps: f64) -> (f64, f64) {
    let count = count.max(1) as f64;
    let mean = sum / count;
    let var = (squares / count - mean * mean).max(0.0);
    (mean, 1.0 / (var + eps).sqrt())
}

/// Normalises `x` (`[n, c, ...]`, tensor 0) by the mean and variance of each group of
/// `c / groups` consecutive channels of each sample, then applies the per-channel
/// `weight` and `bias` (tensors `affine`, when given).
fn normalize_groups(
    args: &[HostTensor],
    groups: usize,
    affine: Option<(usize, usize)>,
    eps: f64,
) -> Result<Vec<HostTensor>> {
    let t = host(args, 0)?;
    let x = t.as_f32("x")?;
    let (n, c, inner) = ncs(t, "x")?;
    if groups == 0 || c % groups != 0 {
        return Err(TaskError::Shape(format!(
            "{c} channels do not split into {groups} groups"
        )));
    }
    let weight = channel_vector(args, affine.map(|a| a.0), c, 1.0)?;
    let bias = channel_vector(args, affine.map(|a| a.1), c, 0.0)?;
    let stats = row_stats(x, inner);
    let per_group = c / groups;
    let (mut scale, mut shift) = (
        crate::ops::buffer::zeroed(n * c),
        crate::ops::buffer::zeroed(n * c),
    );
    for (g, rows) in stats.chunks(per_group).enumerate() {
        let (sum, squares) = rows
            .iter()
            .fold((0.0, 0.0), |(s, q), &(a, b)| (s + a, q + b));
        let (mean, rstd) = mean_and_rstd(sum, squares, per_group * inner, eps);
        for j in 0..per_group {
            let (row, channel) = (g * per_group + j, (g % groups) * per_group + j);
            let a = f64::from(weight[channel]) * rstd;
            scale[row] = a as f32;
            shift[row] = (f64::from(bias[channel]) - mean * a) as f32;
        }
    }
    affine_rows(t, x, inner, &scale, &shift)
}

/// `nn.GroupNorm(groups, c)`: tensors x, weight, bias; args `groups`, `eps`.
fn group_norm(a: &[HostTensor], args: &Args) -> Result<Vec<HostTensor>> {
    normalize_groups(
        a,
        args.usize("groups")?,
        Some((1, 2)),
        args.f64_or("eps", 1e-5)?,
    )
}

/// `nn.InstanceNorm2d(c)` without affine parameters: every `(n, c)` row normalised by
/// its own mean and variance; arg `eps`.
fn instance_norm(a: &[HostTensor], args: &Args) -> Result<Vec<HostTensor>> {
    let t = host(a, 0)?;
    let (_, c, _) = ncs(t, "x")?;
    normalize_groups(a, c, None, args.f64_or("eps", 1e-5)?)
}

/// `nn.BatchNorm2d(c)` in training mode: each channel normalised by the mean and
/// (biased) variance over the batch and the spatial positions, then scaled by `weight`
/// and shifted by `bias`. Tensors x, weight, bias, running_mean, running_var,
/// num_batches_tracked; the running statistics do not enter the output and are not
/// updated (the task's output is `y` alone). Arg `eps`.
fn batch_norm(a: &[HostTensor], args: &Args) -> Result<Vec<HostTensor>> {
    let eps = args.f64_or("eps", 1e-5)?;
    let t = host(a, 0)?;
    let x = t.as_f32("x")?;
    let (n, c, inner) = ncs(t, "x")?;
    let weight = channel_vector(a, Some(1), c, 1.0)?;
    let bias = channel_vector(a, Some(2), c, 0.0)?;
    let stats = row_stats(x, inner);
    let (mut scale, mut shift) = (
        crate::ops::buffer::zeroed(n * c),
        crate::ops::buffer::zeroed(n * c),
    );
    for ch in 0..c {
        let (sum, squares) = (0..n)
            .map(|s| stats[s * c + ch])
            .fold((0.0, 0.0), |(s, q), (a, b)| (s + a, q + b));
        let (mean, rstd) = mean_and_rstd(sum, squares, n * inner, eps);
        let a = f64::from(weight[ch]) * rstd;
        let b = f64::from(bias[ch]) - mean * a;
        for s in 0..n {
            scale[s * c + ch] = a as f32;
            shift[s * c + ch] = b as f32;
        }
    }
    affine_rows(t, x, inner, &scale, &shift)
}

/// The norm that [`lp_normalize`] divides by, from the reduction `acc` over `count`
/// elements: `sum |x|` (p = 1) or `sqrt(sum x^2 [/ count] + eps)` (p = 2).
#[derive(Clone, Copy)]
struct Norm {
    p: usize,
    mean: bool,
    eps: f64,
}

impl Norm {
    fn from_args(args: &Args) -> Result<Norm> {
        let p = args.usize("p")?;
        if p != 1 && p != 2 {
            return Err(TaskError::Argument(format!("p = {p}: only 1 and 2")));
        }
        Ok(Norm {
            p,
            mean: args.flag_or("mean", false)?,
            eps: args.f64_or("eps", 0.0)?,
        })
    }

    /// The reduction of `values` (sum of `|x|` or of `x^2`).
    fn reduce(self, values: &[f32]) -> f64 {
        if self.p == 1 {
            lane_sum(values, f32::abs)
        } else {
            lane_sum(values, |v| v * v)
        }
    }

    /// The element-wise reduction `acc[j] += |v[j]|` or `v[j]^2`.
    fn accumulate(self, acc: &mut [f64], values: &[f32]) {
        if self.p == 1 {
            for (a, &v) in acc.iter_mut().zip(values) {
                *a += f64::from(v).abs();
            }
        } else {
            for (a, &v) in acc.iter_mut().zip(values) {
                *a += f64::from(v) * f64::from(v);
            }
        }
    }

    /// The norm from a reduction over `count` elements, as f32 (PyTorch divides by an
    /// f32 norm).
    fn finish(self, acc: f64, count: usize) -> f32 {
        let acc = if self.mean {
            acc / count.max(1) as f64
        } else {
            acc
        };
        (if self.p == 1 {
            acc + self.eps
        } else {
            (acc + self.eps).sqrt()
        }) as f32
    }
}

/// `x / norm(x)`: with arg `dim = 1` the norm is taken along dimension 1 of
/// `[n, c, ...]` (`keepdim`, broadcast back), without `dim` over the whole tensor
/// (Frobenius). Args `p` (1: `sum |x|`, 2: `sqrt(sum x^2)`), `mean` (divide the sum by
/// the count first: RMS), `eps` (added before the square root).
fn lp_normalize(a: &[HostTensor], args: &Args) -> Result<Vec<HostTensor>> {
    let norm = Norm::from_args(args)?;
    let t = host(a, 0)?;
    let x = t.as_f32("x")?;
    let mut out = crate::ops::buffer::zeroed(x.len());
    if args.0.contains_key("dim") {
        if args.usize("dim")? != 1 {
            return Err(TaskError::Argument("lp_normalize supports dim = 1".into()));
        }
        let (_, c, inner) = ncs(t, "x")?;
        if inner == 1 {
            // Rows along the last dimension: one reduction per row.
            if c > 0 {
                out.par_chunks_mut(c)
                    .zip(x.par_chunks(c))
                    .for_each(|(o, row)| {
                        let inv = 1.0 / norm.finish(norm.reduce(row), c);
                        for (o, &v) in o.iter_mut().zip(row) {
                            *o = v * inv;
                        }
                    });
            }
        } else if c > 0 && inner > 0 {
            // Per sample, independent blocks of positions, each reduced over channels.
            let block = inner.min(4096);
            out.par_chunks_mut(c * inner)
                .zip(x.par_chunks(c * inner))
                .for_each(|(o, sample)| {
                    let starts: Vec<usize> = (0..inner).step_by(block).collect();
                    let pieces: Vec<Vec<f32>> = starts
                        .par_iter()
                        .map(|&s0| {
                            let len = block.min(inner - s0);
                            let mut acc = vec![0.0f64; len];
                            for ch in 0..c {
                                let at = ch * inner + s0;
                                norm.accumulate(&mut acc, &sample[at..at + len]);
                            }
                            acc.iter().map(|&v| 1.0 / norm.finish(v, c)).collect()
                        })
                        .collect();
                    let inverses = pieces.concat();
                    o.par_chunks_mut(inner)
                        .zip(sample.par_chunks(inner))
                        .for_each(|(o, row)| {
                            for ((o, &v), &inv) in o.iter_mut().zip(row).zip(&inverses) {
                                *o = v * inv;
                            }
                        });
                });
        }
    } else {
        let acc: f64 = x.par_chunks(CHUNK).map(|c| norm.reduce(c)).sum();
        let inv = 1.0 / norm.finish(acc, x.len());
        out.par_chunks_mut(CHUNK)
            .zip(x.par_chunks(CHUNK))
            .for_each(|(o, s)| {
                for (o, &v) in o.iter_mut().zip(s) {
                    *o = v * inv;
                }
            });
    }
    Ok(vec![HostTensor::f32(t.shape.clone(), out)?])
}
