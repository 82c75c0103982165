//! The loss category's references, on the host buffers with rayon: every loss is a
//! row-wise or element-wise pass accumulated in f32 lanes per work item and f64 across
//! work items, returned as a 0-d f32 tensor.

use super::host;
use crate::declare::schema::Args;
use crate::error::{Result, TaskError};
use crate::ops::elementwise::{exp, lane_sum};
use crate::spec::ReferenceFn;
use crate::tensor::{HostData, HostTensor};
use rayon::prelude::*;

pub(super) const REFERENCES: &[(&str, ReferenceFn)] = &[
    ("cosine_similarity_loss", cosine_similarity_loss),
    ("cross_entropy_loss", cross_entropy_loss),
    ("hinge_loss", hinge_loss),
    ("smooth_l1_loss", smooth_l1_loss),
    ("kl_div_loss", kl_div_loss),
    ("triplet_margin_loss", triplet_margin_loss),
];

/// Elements per parallel work item of the element-wise losses.
const CHUNK: usize = 1 << 14;

/// A 0-d f32 tensor holding `value`.
fn scalar(value: f64) -> Result<Vec<HostTensor>> {
    Ok(vec![HostTensor::f32(Vec::new(), vec![value as f32])?])
}

/// The f32 elements of argument `i`, named `name` in errors.
fn f32_arg<'a>(a: &'a [HostTensor], i: usize, name: &str) -> Result<&'a [f32]> {
    host(a, i)?.as_f32(name)
}

/// Fails unless argument `i` has the shape of argument 0.
fn same_shape(a: &[HostTensor], i: usize, what: &str) -> Result<()> {
    let (x, y) = (host(a, 0)?, host(a, i)?);
    if x.shape != y.shape {
        return Err(TaskError::Shape(format!(
            "{what}: argument {i} has shape {:?}, argument 0 {:?}",
            y.shape, x.shape
        )));
    }
    Ok(())
}

/// `(rows, cols)` of a tensor read as rows over its first dimension (at least rank 1,
/// not empty).
fn rows_cols(t: &HostTensor, what: &str) -> Result<(usize, usize)> {
    match t.shape.split_first() {
        Some((&rows, rest)) if rows > 0 && rest.iter().all(|&d| d > 0) => {
            Ok((rows, rest.iter().product()))
        }
        _ => Err(TaskError::Shape(format!(
            "{what}: expected a non-empty tensor of rank >= 1, got shape {:?}",
            t.shape
        ))),
    }
}

/// Sum of `f(x[i], y[i])` over two equally long slices: eight f32 lanes per work item
/// (so that it vectorizes), each item's total widened to f64.
fn sum_pairs(xs: &[f32], ys: &[f32], f: impl Fn(f32, f32) -> f32 + Sync + Copy) -> f64 {
    xs.par_chunks(CHUNK)
        .zip(ys.par_chunks(CHUNK))
        .map(|(x, y)| {
            // A copy per work item: what `f` captures then sits in registers.
            let local = f;
            lane_sum(x, y, local)
        })
        .sum()
}

/// `(sum x*y, sum x*x, sum y*y)` of one row pair, in eight f32 lanes each.
fn dot3(x: &[f32], y: &[f32]) -> (f64, f64, f64) {
    let (mut xy, mut xx, mut yy) = ([0.0f32; 8], [0.0f32; 8], [0.0f32; 8]);
    let (xc, yc) = (x.chunks_exact(8), y.chunks_exact(8));
    let (mut txy, mut txx, mut tyy) = (0.0f64, 0.0f64, 0.0f64);
    for (&a, &b) in xc.remainder().iter().zip(yc.remainder()) {
        let (a, b) = (f64::from(a), f64::from(b));
        txy += a * b;
        txx += a * a;
        tyy += b * b;
    }
    for (xa, ya) in xc.zip(yc) {
        for k in 0..8 {
            xy[k] += xa[k] * ya[k];
            xx[k] += xa[k] * xa[k];
            yy[k] += ya[k] * ya[k];
        }
    }
    let total = |l: [f32; 8]| l.iter().map(|&v| f64::from(v)).sum::<f64>();
    (total(xy) + txy, total(xx) + txx, total(yy) + tyy)
}

/// `mean(1 - F.cosine_similarity(predictions, targets, dim=1, eps=1e-8))` of two
/// `[rows, cols]` tensors: `x.y / sqrt(max(|x|^2 |y|^2, eps^2))` per row.
fn cosine_similarity_loss(a: &[HostTensor], args: &Args) -> Result<Vec<HostTensor>> {
    let eps = args.f64_or("eps", 1e-8)?;
    same_shape(a, 1, "cosine_similarity_loss")?;
    let (rows, cols) = rows_cols(host(a, 0)?, "cosine_similarity_loss")?;
    let (x, y) = (f32_arg(a, 0, "predictions")?, f32_arg(a, 1, "targets")?);
    let total: f64 = x
        .par_chunks(cols)
        .zip(y.par_chunks(cols))
        .map(|(xr, yr)| {
            let (xy, xx, yy) = dot3(xr, yr);
            1.0 - xy / (xx * yy).max(eps * eps).sqrt()
        })
        .sum();
    scalar(total / rows as f64)
}

/// `F.cross_entropy(logits, targets)`: the mean over rows of `logsumexp(row) -
/// row[target]`, for `[rows, classes]` logits and int64 class indices `[rows]`.
fn cross_entropy_loss(a: &[HostTensor], _: &Args) -> Result<Vec<HostTensor>> {
    let logits = host(a, 0)?;
    let (rows, classes) = match logits.shape.as_slice() {
        &[r, c] if r > 0 && c > 0 => (r, c),
        other => {
            return Err(TaskError::Shape(format!(
                "cross_entropy_loss: logits must be [rows, classes], got {other:?}"
            )));
        }
    };
    let x = logits.as_f32("predictions")?;
    let targets = host(a, 1)?;
    let HostData::I64(t) = &targets.data else {
        return Err(TaskError::Shape(format!(
            "cross_entropy_loss: targets must be int64, are {}",
            targets.dtype().name()
        )));
    };
    if targets.shape != [rows] {
        return Err(TaskError::Shape(format!(
            "cross_entropy_loss: targets have shape {:?}, expected [{rows}]",
            targets.shape
        )));
    }
    // Rows per work item: about CHUNK elements.
    let per = (CHUNK / classes).max(1);
    let total = x
        .par_chunks(per * classes)
        .zip(t.par_chunks(per))
        .map(|(block, ts)| {
            let mut sum = 0.0f64;
            for (row, &target) in block.chunks_exact(classes).zip(ts) {
                let k = usize::try_from(target)
                    .ok()
                    .filter(|&k| k < classes)
                    .ok_or_else(|| {
                        TaskError::Shape(format!(
                            "cross_entropy_loss: class index {target} outside [0, {classes})"
                        ))
                    })?;
                let max = row.iter().fold(f32::NEG_INFINITY, |m, &v| m.max(v));
                let mut lanes = [0.0f32; 8];
                let chunks = row.chunks_exact(8);
                let tail: f32 = chunks.remainder().iter().map(|&v| exp(v - max)).sum();
                for c in chunks {
                    for (l, &v) in lanes.iter_mut().zip(c) {
                        *l += exp(v - max);
                    }
                }
                let s = lanes.iter().map(|&l| f64::from(l)).sum::<f64>() + f64::from(tail);
                sum += f64::from(max) + s.ln() - f64::from(row[k]);
            }
            Ok(sum)
        })
        .try_reduce(|| 0.0, |p, q| Ok(p + q))?;
    scalar(total / rows as f64)
}

/// Strides of `shape` read as broadcast to `out` (aligned at the right; stride 0 where
/// `shape` has extent 1 or lacks the dimension).
fn broadcast_strides(shape: &[usize], out: &[usize]) -> Result<Vec<usize>> {
    let fail = || TaskError::Shape(format!("shape {shape:?} does not broadcast to {out:?}"));
    let pad = out.len().checked_sub(shape.len()).ok_or_else(fail)?;
    let mut strides = vec![0; out.len()];
    let mut step = 1;
    for (i, &extent) in shape.iter().enumerate().rev() {
        if extent == out[pad + i] && extent != 1 {
            strides[pad + i] = step;
        } else if extent != 1 {
            return Err(fail());
        }
        step *= extent;
    }
    Ok(strides)
}

/// `torch.mean(torch.clamp(1 - predictions * targets, min=0))`, the targets broadcast
/// to the predictions' shape (`[rows, 1]` against `[rows, 1]`, or `[cols]` against
/// `[rows, cols]`).
fn hinge_loss(a: &[HostTensor], _: &Args) -> Result<Vec<HostTensor>> {
    let (p, t) = (host(a, 0)?, host(a, 1)?);
    let (pv, tv) = (p.as_f32("predictions")?, t.as_f32("targets")?);
    let shape = &p.shape;
    let strides = broadcast_strides(&t.shape, shape)?;
    let cols = shape.last().copied().unwrap_or(1).max(1);
    let col_stride = strides.last().copied().unwrap_or(0);
    let n = pv.len();
    if n == 0 {
        return Err(TaskError::Shape("hinge_loss: empty predictions".into()));
    }
    let total: f64 = pv
        .par_chunks(cols)
        .enumerate()
        .map(|(row, pr)| {
            // Offset of this row's targets: the row index spelled in the leading dims.
            let mut offset = 0;
            let mut rest = row;
            for d in (0..shape.len().saturating_sub(1)).rev() {
                offset += (rest % shape[d]) * strides[d];
                rest /= shape[d];
            }
            let mut lanes = [0.0f32; 8];
            if col_stride == 1 {
                let tr = &tv[offset..offset + cols];
                let (pc, tc) = (pr.chunks_exact(8), tr.chunks_exact(8));
                let tail: f32 = pc
                    .remainder()
                    .iter()
                    .zip(tc.remainder())
                    .map(|(&x, &y)| (1.0 - x * y).max(0.0))
                    .sum();
                for (xa, ya) in pc.zip(tc) {
                    for ((l, &x), &y) in lanes.iter_mut().zip(xa).zip(ya) {
                        *l += (1.0 - x * y).max(0.0);
                    }
                }
                lanes.iter().map(|&l| f64::from(l)).sum::<f64>() + f64::from(tail)
            } else {
                let y = tv[offset];
                pr.iter()
                    .map(|&x| f64::from((1.0 - x * y).max(0.0)))
                    .sum::<f64>()
            }
        })
        .sum();
    scalar(total / n as f64)
}

/// `F.smooth_l1_loss(predictions, targets, beta=beta)` (default `beta = 1`), mean
/// reduction: `0.5 d^2 / beta` where `|d| < beta`, else `|d| - 0.5 beta`.
fn smooth_l1_loss(a: &[HostTensor], args: &Args) -> Result<Vec<HostTensor>> {
    let beta = args.f64_or("beta", 1.0)? as f32;
    if beta <= 0.0 {
        return Err(TaskError::Argument(format!(
            "smooth_l1_loss: beta must be positive, is {beta}"
        )));
    }
    same_shape(a, 1, "smooth_l1_loss")?;
    let (x, y) = (f32_arg(a, 0, "predictions")?, f32_arg(a, 1, "targets")?);
    let (half_over_beta, half_beta) = (0.5 / beta, 0.5 * beta);
    let total = sum_pairs(x, y, move |p, q| {
        let d = (p - q).abs();
        if d < beta {
            half_over_beta * d * d
        } else {
            d - half_beta
        }
    });
    scalar(total / x.len().max(1) as f64)
}

/// `F.kl_div(torch.log(predictions), targets, reduction='batchmean')`: the sum of
/// `t (ln t - ln p)` (0 where `t` is 0) over every element, divided by the rows.
fn kl_div_loss(a: &[HostTensor], _: &Args) -> Result<Vec<HostTensor>> {
    same_shape(a, 1, "kl_div_loss")?;
    let (rows, _) = rows_cols(host(a, 0)?, "kl_div_loss")?;
    let (p, t) = (f32_arg(a, 0, "predictions")?, f32_arg(a, 1, "targets")?);
    let total: f64 = p
        .par_chunks(CHUNK)
        .zip(t.par_chunks(CHUNK))
        .map(|(pc, tc)| {
            let mut sum = 0.0f64;
            for (&p, &t) in pc.iter().zip(tc) {
                if t > 0.0 {
                    sum += f64::from(t) * f64::from(t.ln() - p.ln());
                }
            }
            sum
        })
        .sum();
    scalar(total / rows as f64)
}

/// `nn.TripletMarginLoss(margin)(anchor, positive, negative)` with `p = 2` and
/// `eps = 1e-6`: the mean over rows of `max(|a - p + eps| - |a - n + eps| + margin, 0)`.
fn triplet_margin_loss(a: &[HostTensor], args: &Args) -> Result<Vec<HostTensor>> {
    let margin = args.f64("margin")?;
    let eps = args.f64_or("eps", 1e-6)? as f32;
    same_shape(a, 1, "triplet_margin_loss")?;
    same_shape(a, 2, "triplet_margin_loss")?;
    let (rows, cols) = rows_cols(host(a, 0)?, "triplet_margin_loss")?;
    let anchor = f32_arg(a, 0, "anchor")?;
    let positive = f32_arg(a, 1, "positive")?;
    let negative = f32_arg(a, 2, "negative")?;
    let total: f64 = anchor
        .par_chunks(cols)
        .zip(positive.par_chunks(cols))
        .zip(negative.par_chunks(cols))
        .map(|((ar, pr), nr)| {
            let (mut dp, mut dn) = ([0.0f32; 8], [0.0f32; 8]);
            let (ac, pc, nc) = (ar.chunks_exact(8), pr.chunks_exact(8), nr.chunks_exact(8));
            let (mut tp, mut tn) = (0.0f64, 0.0f64);
            for ((&x, &y), &z) in ac
                .remainder()
                .iter()
                .zip(pc.remainder())
                .zip(nc.remainder())
            {
                tp += f64::from(x - y + eps).powi(2);
                tn += f64::from(x - z + eps).powi(2);
            }
            for ((xa, ya), za) in ac.zip(pc).zip(nc) {
                for k in 0..8 {
                    let u = xa[k] - ya[k] + eps;
                    let v = xa[k] - za[k] + eps;
                    dp[k] += u * u;
                    dn[k] += v * v;
                }
            }
            let total = |l: [f32; 8]| l.iter().map(|&v| f64::from(v)).sum::<f64>();
            let d_pos = (total(dp) + tp).sqrt();
            let d_neg = (total(dn) + tn).sqrt();
            (d_pos - d_neg + margin).max(0.0)
        })
        .sum();
    scalar(total / rows as f64)
}
