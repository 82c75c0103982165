//! Host-side elementwise and row-wise kernels.
//!
//! burn-flex evaluates unary float ops one element at a time with the platform `libm`
//! (`tanh`, `exp`, `erf`, ...) on a single thread, which made the activation references
//! 10 to 30 times slower than PyTorch's vectorized, multi-threaded kernels. The functions
//! here work on the host buffers directly (no copy into and out of the tensor library),
//! split the work over rayon's pool, and use branch-free formulas that the compiler
//! vectorizes. Every formula is accurate to a few float32 ulps (absolute error below
//! 1e-6), far inside the task tolerances.

use crate::error::Result;
use crate::tensor::HostTensor;
use rayon::prelude::*;

/// Elements per parallel work item: large enough to amortize rayon's scheduling.
const CHUNK: usize = 1 << 14;

/// Applies `f` to every element of the f32 tensor `t` (named `name` in errors), in
/// parallel, returning a tensor of the same shape. `f` is copied into each work item,
/// so that what it captures sits in registers rather than behind a pointer the
/// compiler must reload after every store (which keeps the loop from vectorizing).
pub fn map(t: &HostTensor, name: &str, f: impl Fn(f32) -> f32 + Sync + Copy) -> Result<HostTensor> {
    let src = t.as_f32(name)?;
    let mut out = crate::ops::buffer::zeroed(src.len());
    out.par_chunks_mut(CHUNK)
        .zip(src.par_chunks(CHUNK))
        .for_each(|(o, s)| {
            let local = f;
            for (o, &x) in o.iter_mut().zip(s) {
                *o = local(x);
            }
        });
    HostTensor::f32(t.shape.clone(), out)
}

/// `exp(x)` for float32 by range reduction and a degree-6 polynomial (Cephes `expf`),
/// branch-free so that loops over it vectorize. Inputs below about -87.3 give the
/// smallest normal float instead of a subnormal or zero (a difference under 1.2e-38);
/// above 88.7 it returns infinity. NaN is not propagated (inputs never hold NaN).
#[inline(always)]
pub fn exp(x: f32) -> f32 {
    const LOG2E: f32 = std::f32::consts::LOG2_E;
    const LN2_HI: f32 = 0.693_359_4;
    const LN2_LO: f32 = -2.121_944_4e-4;
    // Round-to-nearest by adding and subtracting 1.5 * 2^23.
    const ROUND: f32 = 12_582_912.0;
    let x = x.clamp(-87.3, 88.8);
    let n = (x * LOG2E + ROUND) - ROUND;
    let r = x - n * LN2_HI - n * LN2_LO;
    let mut p = 1.987_569_1e-4f32;
    p = p * r + 1.398_199_9e-3;
    p = p * r + 8.333_452e-3;
    p = p * r + 4.166_579_6e-2;
    p = p * r + 1.666_666_5e-1;
    p = p * r + 0.5;
    let y = p * r * r + r + 1.0;
    // 2^n with n in [-126, 128] (128 gives infinity), built from the exponent bits
    // without a float-to-int conversion: the low mantissa bits of `2^23 + n + 127` hold
    // the biased exponent `n + 127`.
    let biased = (n + 8_388_735.0).to_bits() - 0x4B00_0000;
    let scale = f32::from_bits(biased << 23);
    y * scale
}

/// `ln(y)` for `y` in `[1, 2]` by the series `2 atanh(s)`, `s = (y - 1) / (y + 1) <= 1/3`
/// (terms to `s^13`, error below 1e-8).
#[inline(always)]
fn ln_1_to_2(y: f32) -> f32 {
    let s = (y - 1.0) / (y + 1.0);
    let s2 = s * s;
    let mut p = 1.0 / 13.0f32;
    p = p * s2 + 1.0 / 11.0;
    p = p * s2 + 1.0 / 9.0;
    p = p * s2 + 1.0 / 7.0;
    p = p * s2 + 1.0 / 5.0;
    p = p * s2 + 1.0 / 3.0;
    p = p * s2 + 1.0;
    2.0 * s * p
}

/// The logistic function `1 / (1 + exp(-x))`.
#[inline(always)]
pub fn sigmoid(x: f32) -> f32 {
    1.0 / (1.0 + exp(-x))
}

/// `tanh(x) = sign(x) (1 - 2 / (exp(2|x|) + 1))`, absolute error below 1e-7.
#[inline(always)]
pub fn tanh(x: f32) -> f32 {
    let t = 1.0 - 2.0 / (exp(2.0 * x.abs()) + 1.0);
    t.copysign(x)
}

/// `F.softplus(x)` with `beta = 1`, `threshold = 20`: `x` above the threshold, otherwise
/// `max(x, 0) + log1p(exp(-|x|))`.
#[inline(always)]
pub fn softplus(x: f32) -> f32 {
    let v = x.max(0.0) + ln_1_to_2(1.0 + exp(-x.abs()));
    if x > 20.0 { x } else { v }
}

/// `F.elu(x, alpha)`: `x` for positive `x`, else `alpha (exp(x) - 1)`.
#[inline(always)]
pub fn elu(x: f32, alpha: f32) -> f32 {
    let neg = alpha * (exp(x.min(0.0)) - 1.0);
    if x > 0.0 { x } else { neg }
}

/// `torch.selu(x)`: `scale * elu(x, alpha)` with PyTorch's constants.
#[inline(always)]
pub fn selu(x: f32) -> f32 {
    const ALPHA: f32 = 1.673_263_2;
    const SCALE: f32 = 1.050_701;
    SCALE * elu(x, ALPHA)
}

/// `x * sigmoid(x)` (SiLU, swish).
#[inline(always)]
pub fn silu(x: f32) -> f32 {
    x * sigmoid(x)
}

/// `erf(x)` by Abramowitz and Stegun 7.1.26 (absolute error below 1.5e-7).
#[inline(always)]
pub fn erf(x: f32) -> f32 {
    let a = x.abs();
    let t = 1.0 / (1.0 + 0.327_591_1 * a);
    let mut p = 1.061_405_4f32;
    p = p * t - 1.453_152_1;
    p = p * t + 1.421_413_8;
    p = p * t - 0.284_496_74;
    p = p * t + 0.254_829_6;
    let y = 1.0 - p * t * exp(-a * a);
    y.copysign(x)
}

/// Exact GELU, `0.5 x (1 + erf(x / sqrt 2))`.
#[inline(always)]
pub fn gelu_erf(x: f32) -> f32 {
    0.5 * x * (1.0 + erf(x * std::f32::consts::FRAC_1_SQRT_2))
}

/// The tanh approximation of GELU, `0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))`.
#[inline(always)]
pub fn gelu_tanh(x: f32) -> f32 {
    const K: f32 = 0.797_884_6; // sqrt(2 / pi)
    0.5 * x * (1.0 + tanh(K * (x + 0.044_715 * x * x * x)))
}

/// `sum f(x[i], y[i])` over two slices (up to the shorter one's length) in eight f32
/// lanes, which the compiler keeps in vector registers, folded in f64.
#[inline]
pub fn lane_sum(x: &[f32], y: &[f32], f: impl Fn(f32, f32) -> f32) -> f64 {
    let mut lanes = [0.0f32; 8];
    let (xc, yc) = (x.chunks_exact(8), y.chunks_exact(8));
    let tail: f64 = xc
        .remainder()
        .iter()
        .zip(yc.remainder())
        .map(|(&a, &b)| f64::from(f(a, b)))
        .sum();
    for (xa, ya) in xc.zip(yc) {
        for ((l, &a), &b) in lanes.iter_mut().zip(xa).zip(ya) {
            *l += f(a, b);
        }
    }
    lanes.iter().map(|&l| f64::from(l)).sum::<f64>() + tail
}

/// Maximum of a slice with eight independent lanes (so that it vectorizes).
fn max_of(v: &[f32]) -> f32 {
    let mut lanes = [f32::NEG_INFINITY; 8];
    let chunks = v.chunks_exact(8);
    let rest = chunks.remainder();
    for c in chunks {
        for (l, &x) in lanes.iter_mut().zip(c) {
            *l = l.max(x);
        }
    }
    rest.iter().fold(
        lanes.iter().fold(f32::NEG_INFINITY, |a, &b| a.max(b)),
        |a, &b| a.max(b),
    )
}

/// Writes `exp(x - shift)` of `row` into `out` and returns its sum, accumulated in eight
/// f32 lanes (PyTorch also sums in float32 with vector lanes).
fn exp_shifted_sum(row: &[f32], out: &mut [f32], shift: f32) -> f32 {
    for (o, &x) in out.iter_mut().zip(row) {
        *o = exp(x - shift);
    }
    let mut lanes = [0.0f32; 8];
    let chunks = out.chunks_exact(8);
    let rest = chunks.remainder();
    for c in chunks {
        for (l, &x) in lanes.iter_mut().zip(c) {
            *l += x;
        }
    }
    lanes.iter().sum::<f32>() + rest.iter().sum::<f32>()
}

/// Softmax (or log-softmax when `log`) over the last dimension of the f32 tensor `t`,
/// one row per rayon work item.
pub fn softmax_last(t: &HostTensor, name: &str, log: bool) -> Result<HostTensor> {
    let src = t.as_f32(name)?;
    let cols = t.shape.last().copied().unwrap_or(1).max(1);
    let mut out = crate::ops::buffer::zeroed(src.len());
    out.par_chunks_mut(cols)
        .zip(src.par_chunks(cols))
        .for_each(|(o, row)| {
            let max = max_of(row);
            let sum = exp_shifted_sum(row, o, max);
            if log {
                let shift = max + sum.ln();
                for (o, &x) in o.iter_mut().zip(row) {
                    *o = x - shift;
                }
            } else {
                let inv = 1.0 / sum;
                for o in o.iter_mut() {
                    *o *= inv;
                }
            }
        });
    HostTensor::f32(t.shape.clone(), out)
}

/// Strides of `shape` read as broadcast to `out` (shapes aligned at the right, stride 0
/// where the input has extent 1 or lacks the dimension), or `None` when `shape` does not
/// broadcast to `out`.
fn broadcast_strides(shape: &[usize], out: &[usize]) -> Option<Vec<usize>> {
    if shape.len() > out.len() {
        return None;
    }
    let pad = out.len() - shape.len();
    let mut strides = vec![0; out.len()];
    let mut step = 1;
    for (i, &extent) in shape.iter().enumerate().rev() {
        let o = out[pad + i];
        if extent == o && extent != 1 {
            strides[pad + i] = step;
        } else if extent != 1 {
            return None;
        }
        step *= extent;
    }
    Some(strides)
}

/// Offset of the start of output row `row` (a row being the last dimension) in an input
/// with broadcast `strides`.
fn row_offset(strides: &[usize], out: &[usize], mut row: usize) -> usize {
    let mut offset = 0;
    for d in (0..out.len().saturating_sub(1)).rev() {
        offset += (row % out[d]) * strides[d];
        row /= out[d];
    }
    offset
}

/// One f32 operand of [`broadcast_map`]: the data, its shape and its broadcast strides.
struct Operand<'a> {
    data: &'a [f32],
    strides: Vec<usize>,
}

impl<'a> Operand<'a> {
    fn new(data: &'a [f32], shape: &[usize], out: &[usize]) -> Result<Self> {
        if data.len() != crate::tensor::numel(shape) {
            return Err(crate::TaskError::Shape(format!(
                "{} elements do not fill shape {shape:?}",
                data.len()
            )));
        }
        let strides = broadcast_strides(shape, out).ok_or_else(|| {
            crate::TaskError::Shape(format!("shape {shape:?} does not broadcast to {out:?}"))
        })?;
        Ok(Operand { data, strides })
    }

    /// The operand's values along output row `row` of length `inner`: either a full row
    /// or one value repeated.
    fn row(&self, out: &[usize], row: usize, inner: usize) -> Lane<'a> {
        let start = row_offset(&self.strides, out, row);
        if self.strides.last().copied().unwrap_or(0) == 1 {
            Lane::Row(&self.data[start..start + inner])
        } else {
            Lane::Scalar(self.data[start])
        }
    }
}

/// A row of an operand: contiguous values or a broadcast scalar.
#[derive(Clone, Copy)]
enum Lane<'a> {
    Row(&'a [f32]),
    Scalar(f32),
}

/// `out[i] = f(a[i], b[i])` with PyTorch broadcasting of `a` (elements of shape
/// `a_shape`) and `b` (of shape `b_shape`) to `out_shape`,
/// parallel over rows of the last dimension. Each row is one contiguous loop with the
/// broadcast operand hoisted, so that it vectorizes; burn's strided broadcast path walks
/// every element through an index computation.
pub fn broadcast_map(
    a: &[f32],
    a_shape: &[usize],
    b: &[f32],
    b_shape: &[usize],
    out_shape: &[usize],
    f: impl Fn(f32, f32) -> f32 + Sync,
) -> Result<HostTensor> {
    let oa = Operand::new(a, a_shape, out_shape)?;
    let ob = Operand::new(b, b_shape, out_shape)?;
    let inner = out_shape.last().copied().unwrap_or(1).max(1);
    let mut out = crate::ops::buffer::zeroed(crate::tensor::numel(out_shape));
    let row = |(r, o): (usize, &mut [f32])| match (
        oa.row(out_shape, r, inner),
        ob.row(out_shape, r, inner),
    ) {
        (Lane::Row(x), Lane::Row(y)) => {
            for ((o, &x), &y) in o.iter_mut().zip(x).zip(y) {
                *o = f(x, y);
            }
        }
        (Lane::Row(x), Lane::Scalar(y)) => {
            for (o, &x) in o.iter_mut().zip(x) {
                *o = f(x, y);
            }
        }
        (Lane::Scalar(x), Lane::Row(y)) => {
            for (o, &y) in o.iter_mut().zip(y) {
                *o = f(x, y);
            }
        }
        (Lane::Scalar(x), Lane::Scalar(y)) => o.fill(f(x, y)),
    };
    // Small outputs are cheaper on the calling thread than through the pool.
    if out.len() <= 4 * CHUNK {
        out.chunks_mut(inner).enumerate().for_each(row);
    } else {
        out.par_chunks_mut(inner).enumerate().for_each(row);
    }
    HostTensor::f32(out_shape.to_vec(), out)
}

/// `torch.prod(x, dim=1)` of a `[b, m, n]` tensor as `[b, n]`, multiplying the `m` rows
/// in order in float32 (as PyTorch does); burn's `prod_dim` is far slower on this layout.
pub fn prod_dim1(t: &HostTensor, name: &str) -> Result<HostTensor> {
    let x = t.as_f32(name)?;
    let [b, m, n] = t.shape[..] else {
        return Err(crate::TaskError::Shape(format!(
            "`{name}` has shape {:?}, expected rank 3",
            t.shape
        )));
    };
    let mut out = vec![1.0f32; b * n];
    if n > 0 && m > 0 {
        out.par_chunks_mut(n)
            .zip(x.par_chunks(m * n))
            .for_each(|(o, block)| {
                for row in block.chunks_exact(n) {
                    for (o, &v) in o.iter_mut().zip(row) {
                        *o *= v;
                    }
                }
            });
    }
    HostTensor::f32(vec![b, n], out)
}

/// `torch.gather(x, dim=1, index)` for a `[rows, cols]` f32 `x` and a `[rows, k]` i64
/// `index`, parallel over rows; an index outside `[0, cols)` is an error.
pub fn gather_dim1(x: &HostTensor, index: &HostTensor) -> Result<HostTensor> {
    let data = x.as_f32("x")?;
    let idx = index.as_i64("index")?;
    let ([rows, cols], [irows, k]) = (&x.shape[..], &index.shape[..]) else {
        return Err(crate::TaskError::Shape(format!(
            "gather expects rank-2 x and index, got {:?} and {:?}",
            x.shape, index.shape
        )));
    };
    let (rows, cols, k) = (*rows, *cols, *k);
    if *irows != rows {
        return Err(crate::TaskError::Shape(format!(
            "gather: index has {irows} rows, x has {rows}"
        )));
    }
    let mut out = crate::ops::buffer::zeroed(rows * k);
    if k > 0 && cols > 0 {
        out.par_chunks_mut(k)
            .zip(idx.par_chunks(k))
            .zip(data.par_chunks(cols))
            .try_for_each(|((o, ix), row)| {
                for (o, &i) in o.iter_mut().zip(ix) {
                    *o = usize::try_from(i)
                        .ok()
                        .and_then(|i| row.get(i))
                        .copied()
                        .ok_or_else(|| {
                            crate::TaskError::Shape(format!(
                                "gather index {i} out of range for {cols} columns"
                            ))
                        })?;
                }
                Ok::<(), crate::TaskError>(())
            })?;
    }
    HostTensor::f32(vec![rows, k], out)
}

/// `torch.where(cond, x, y)` with `cond` broadcast to the common shape of `x` and `y`,
/// copying whole rows (the last dimension) when `cond` is constant along them.
pub fn where_broadcast(cond: &HostTensor, x: &HostTensor, y: &HostTensor) -> Result<HostTensor> {
    let c = cond.as_bool("cond")?;
    let (xs, ys) = (x.as_f32("x")?, y.as_f32("y")?);
    let out = &x.shape;
    if y.shape != *out {
        return Err(crate::TaskError::Shape(format!(
            "where: x {:?} and y {:?} differ",
            x.shape, y.shape
        )));
    }
    let strides = broadcast_strides(&cond.shape, out).ok_or_else(|| {
        crate::TaskError::Shape(format!(
            "cond {:?} does not broadcast to {out:?}",
            cond.shape
        ))
    })?;
    let inner = out.last().copied().unwrap_or(1).max(1);
    let row_stride = strides.last().copied().unwrap_or(0);
    let mut result = crate::ops::buffer::zeroed(xs.len());
    result
        .par_chunks_mut(inner)
        .zip(xs.par_chunks(inner).zip(ys.par_chunks(inner)))
        .enumerate()
        .for_each(|(r, (o, (xr, yr)))| {
            let start = row_offset(&strides, out, r);
            if row_stride == 0 {
                o.copy_from_slice(if c[start] { xr } else { yr });
            } else {
                for (i, o) in o.iter_mut().enumerate() {
                    *o = if c[start + i] { xr[i] } else { yr[i] };
                }
            }
        });
    HostTensor::f32(out.clone(), result)
}

/// `torch.clamp(x, min=lo, max=hi)` of a `[rows, cols]` `x` with per-column `[cols]`
/// bounds, in one parallel pass (`max` then `min`, as PyTorch applies them).
pub fn clamp_columns(x: &HostTensor, lo: &HostTensor, hi: &HostTensor) -> Result<HostTensor> {
    let (xs, ls, hs) = (x.as_f32("x")?, lo.as_f32("min")?, hi.as_f32("max")?);
    let cols = x.shape.last().copied().unwrap_or(1).max(1);
    if ls.len() != cols || hs.len() != cols {
        return Err(crate::TaskError::Shape(format!(
            "clamp bounds {:?} and {:?} do not match {cols} columns",
            lo.shape, hi.shape
        )));
    }
    let mut out = crate::ops::buffer::zeroed(xs.len());
    out.par_chunks_mut(cols)
        .zip(xs.par_chunks(cols))
        .for_each(|(o, row)| {
            for (((o, &v), &l), &h) in o.iter_mut().zip(row).zip(ls).zip(hs) {
                *o = v.max(l).min(h);
            }
        });
    HostTensor::f32(x.shape.clone(), out)
}

/// The direction and start of a scan along rows ([`scan_rows`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scan {
    /// `torch.cumsum`: `y[j] = x[0] + ... + x[j]`.
    Sum,
    /// Exclusive prefix sum: `y[j] = x[0] + ... + x[j - 1]`, `y[0] = 0`.
    ExclusiveSum,
    /// `x.flip(1).cumsum(1).flip(1)`: `y[j] = x[j] + ... + x[n - 1]`.
    ReverseSum,
    /// `torch.cumprod`: `y[j] = x[0] * ... * x[j]`.
    Prod,
}

/// A scan along the last dimension of the f32 tensor `t`, elements where `mask` (same
/// shape, when given) is false counting as zero. Rows run in parallel and accumulate in
/// f64, as PyTorch's CPU `cumsum`/`cumprod` do (`acc_type<float>` is `double`); burn's
/// cumulative ops are several times slower than this on row-major data.
pub fn scan_rows(
    t: &HostTensor,
    name: &str,
    mask: Option<&HostTensor>,
    kind: Scan,
) -> Result<HostTensor> {
    let x = t.as_f32(name)?;
    let mask = match mask {
        Some(m) if m.shape != t.shape => {
            return Err(crate::TaskError::Shape(format!(
                "mask {:?} does not match `{name}` {:?}",
                m.shape, t.shape
            )));
        }
        Some(m) => Some(m.as_bool("mask")?),
        None => None,
    };
    let cols = t.shape.last().copied().unwrap_or(1).max(1);
    let mut out = crate::ops::buffer::zeroed(x.len());
    out.par_chunks_mut(cols)
        .zip(x.par_chunks(cols))
        .enumerate()
        .for_each(|(r, (o, row))| {
            let mask_row = mask.map(|m| &m[r * cols..(r + 1) * cols]);
            let value = |j: usize| match mask_row {
                Some(m) if !m[j] => 0.0,
                _ => f64::from(row[j]),
            };
            match kind {
                Scan::Sum | Scan::ExclusiveSum => {
                    let mut acc = 0.0f64;
                    for (j, o) in o.iter_mut().enumerate() {
                        if kind == Scan::ExclusiveSum {
                            *o = acc as f32;
                            acc += value(j);
                        } else {
                            acc += value(j);
                            *o = acc as f32;
                        }
                    }
                }
                Scan::ReverseSum => {
                    let mut acc = 0.0f64;
                    for (j, o) in o.iter_mut().enumerate().rev() {
                        acc += value(j);
                        *o = acc as f32;
                    }
                }
                Scan::Prod => {
                    let mut acc = 1.0f64;
                    for (j, o) in o.iter_mut().enumerate() {
                        acc *= value(j);
                        *o = acc as f32;
                    }
                }
            }
        });
    HostTensor::f32(t.shape.clone(), out)
}

/// `torch.mean((a - b) ** 2)` over all elements of two same-shape f32 tensors, as a
/// one-element tensor of shape `[1]`; chunks in parallel, each summed in f64.
pub fn mse(a: &HostTensor, b: &HostTensor) -> Result<HostTensor> {
    let (xs, ys) = (a.as_f32("predictions")?, b.as_f32("targets")?);
    if a.shape != b.shape {
        return Err(crate::TaskError::Shape(format!(
            "mse: {:?} and {:?} differ",
            a.shape, b.shape
        )));
    }
    let sum: f64 = xs
        .par_chunks(CHUNK)
        .zip(ys.par_chunks(CHUNK))
        .map(|(x, y)| {
            // Eight f32 lanes per chunk (vectorizes), each chunk's total widened to f64.
            let mut lanes = [0.0f32; 8];
            let (xc, yc) = (x.chunks_exact(8), y.chunks_exact(8));
            let tail: f32 = xc
                .remainder()
                .iter()
                .zip(yc.remainder())
                .map(|(a, b)| (a - b) * (a - b))
                .sum();
            for (xa, ya) in xc.zip(yc) {
                for ((l, &p), &q) in lanes.iter_mut().zip(xa).zip(ya) {
                    *l += (p - q) * (p - q);
                }
            }
            lanes.iter().map(|&l| f64::from(l)).sum::<f64>() + f64::from(tail)
        })
        .sum();
    let n = xs.len().max(1) as f64;
    HostTensor::f32(vec![1], vec![(sum / n) as f32])
}
