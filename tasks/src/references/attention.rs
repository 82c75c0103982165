//! Attention: scaled dot-product attention with its masks, and the layers built on it
//! (`nn.MultiheadAttention`, separate q/k/v/out projections with grouped or shared
//! key/value heads, linear attention).
//!
//! Scores are computed in blocks of (batch-head, query rows) small enough to stay near
//! the cache ([`SCORE_BLOCK`] elements), as two GEMMs of the op library with a masked
//! softmax on the host in between, so that no task ever holds its whole score matrix.

use super::{arg, host};
use crate::declare::schema::Args;
use crate::error::{Result, TaskError};
use crate::ops::elementwise::{exp, lane_sum};
use crate::ops::{self, Tensor};
use crate::spec::ReferenceFn;
use crate::tensor::HostTensor;
use rayon::prelude::*;

pub(super) const REFERENCES: &[(&str, ReferenceFn)] = &[
    ("attention_weights", attention_weights),
    ("linear_attention", linear_attention),
    ("multihead_attention", multihead_attention),
    ("projected_attention", projected_attention),
    ("sdpa", sdpa),
];

/// Score elements computed at once: 16 Mi floats (64 MiB).
const SCORE_BLOCK: usize = 1 << 24;

/// Which keys a query may attend to (query `i`, key `j`).
#[derive(Debug, Clone, Copy, PartialEq)]
enum Mask {
    /// Every key.
    None,
    /// `j <= i` (PyTorch's `is_causal`, or an upper-triangular boolean mask).
    Causal,
    /// `|i - j| < window`.
    Band(usize),
    /// `j <= i` and `i - j < window` (a sliding causal window of `window` keys).
    Sliding(usize),
}

impl Mask {
    /// The declared `mask` (`none`, `causal`, `band`, `sliding`; the last two take
    /// `window`).
    fn from_args(args: &Args) -> Result<Mask> {
        if !args.0.contains_key("mask") {
            return Ok(Mask::None);
        }
        let window = || {
            let w = args.usize("window")?;
            if w == 0 {
                return Err(TaskError::Argument(
                    "attention: window must be positive".into(),
                ));
            }
            Ok(w)
        };
        match args.text("mask")? {
            "none" => Ok(Mask::None),
            "causal" => Ok(Mask::Causal),
            "band" => Ok(Mask::Band(window()?)),
            "sliding" => Ok(Mask::Sliding(window()?)),
            other => Err(TaskError::Argument(format!(
                "attention: mask `{other}`, expected none, causal, band or sliding"
            ))),
        }
    }

    /// Whether query `i` sees key `j`.
    fn allows(self, i: usize, j: usize) -> bool {
        match self {
            Mask::None => true,
            Mask::Causal => j <= i,
            Mask::Band(w) => i.abs_diff(j) < w,
            Mask::Sliding(w) => j <= i && i - j < w,
        }
    }
}

/// Softmax of every row of `scores` (`[.., rows, keys]` flattened, `rows` per batch
/// entry starting at query `first_row`) after scaling by `scale`, with the keys `mask`
/// hides set to zero weight. A row that sees no key is NaN, as in PyTorch.
fn masked_softmax(
    scores: &mut [f32],
    keys: usize,
    rows: usize,
    first_row: usize,
    scale: f32,
    mask: Mask,
) {
    scores
        .par_chunks_mut(keys.max(1))
        .enumerate()
        .for_each(|(r, row)| {
            let i = first_row + r % rows.max(1);
            let mut max = f32::NEG_INFINITY;
            for (j, s) in row.iter_mut().enumerate() {
                *s = if mask.allows(i, j) {
                    *s * scale
                } else {
                    f32::NEG_INFINITY
                };
                max = max.max(*s);
            }
            if max == f32::NEG_INFINITY {
                row.fill(f32::NAN);
                return;
            }
            let mut sum = 0.0f32;
            for s in row.iter_mut() {
                // A hidden key weighs exactly zero (`exp` floors at the smallest normal).
                let e = exp(*s - max);
                *s = if *s == f32::NEG_INFINITY { 0.0 } else { e };
                sum += *s;
            }
            let inv = 1.0 / sum;
            for s in row.iter_mut() {
                *s *= inv;
            }
        });
}

/// Blocks of `(batch-head, query rows)` whose scores hold at most [`SCORE_BLOCK`]
/// elements: `(n0, n_len, q0, q_len)`.
fn blocks(n: usize, lq: usize, lk: usize) -> Vec<(usize, usize, usize, usize)> {
    let per_row = lk.max(1);
    let rows_per_block = (SCORE_BLOCK / per_row).max(1);
    let mut out = Vec::new();
    if lq >= rows_per_block {
        for b in 0..n {
            for q0 in (0..lq).step_by(rows_per_block) {
                out.push((b, 1, q0, rows_per_block.min(lq - q0)));
            }
        }
    } else {
        let heads_per_block = (rows_per_block / lq.max(1)).max(1);
        for b0 in (0..n).step_by(heads_per_block) {
            out.push((b0, heads_per_block.min(n - b0), 0, lq));
        }
    }
    out
}

/// `softmax(q k^T * scale, masked) v` for `q [n, lq, d]`, `k [n, lk, d]`, `v [n, lk, dv]`:
/// `[n, lq, dv]`, or without `v` the attention weights `[n, lq, lk]`.
fn attend(
    q: Tensor<3>,
    k: Tensor<3>,
    v: Option<Tensor<3>>,
    scale: f32,
    mask: Mask,
) -> Result<Tensor<3>> {
    let [n, lq, _] = q.dims();
    let lk = k.dims()[1];
    let kt = k.swap_dims(1, 2);
    let mut by_batch: Vec<Tensor<3>> = Vec::new();
    let mut rows: Vec<Tensor<3>> = Vec::new();
    for (n0, n_len, q0, q_len) in blocks(n, lq, lk) {
        let qb = q.clone().narrow(0, n0, n_len).narrow(1, q0, q_len);
        let kb = kt.clone().narrow(0, n0, n_len);
        let mut scores = ops::store(qb.matmul(kb))?;
        if let crate::tensor::HostData::F32(values) = &mut scores.data {
            masked_softmax(values, lk, q_len, q0, scale, mask);
        }
        let weights: Tensor<3> = ops::load(&scores, "attention weights")?;
        let block = match &v {
            Some(v) => weights.matmul(v.clone().narrow(0, n0, n_len)),
            None => weights,
        };
        rows.push(block);
        if q0 + q_len == lq {
            by_batch.push(Tensor::cat(std::mem::take(&mut rows), 1));
        }
    }
    Ok(Tensor::cat(by_batch, 0))
}

/// Queries per batch entry up to which [`attend_few_queries`] runs instead of GEMMs
/// (decoding: one token, or a few speculative ones, over a long key/value cache).
const FEW_QUERIES: usize = 8;

/// Keys per parallel work item of [`attend_few_queries`].
const KEYS_PER_ITEM: usize = 256;

/// `softmax(q k^T * scale, masked) v` on the host for few queries per batch entry:
/// each key row and value row is read once for all the entry's queries (the GEMM path
/// would transpose the whole key cache first). `[q, k, v]` are `[batch, lq, d]`,
/// `[batch, lk, d]`, `[batch, lk, dv]`; `dims` is `[batch, lq, lk, d, dv]`.
fn attend_few_queries(
    [q, k, v]: [&[f32]; 3],
    [batch, lq, lk, d, dv]: [usize; 5],
    scale: f32,
    mask: Mask,
) -> Vec<f32> {
    let mut out = crate::ops::buffer::zeroed(batch * lq * dv);
    for b in 0..batch {
        let qb = &q[b * lq * d..(b + 1) * lq * d];
        let kb = &k[b * lk * d..(b + 1) * lk * d];
        let vb = &v[b * lk * dv..(b + 1) * lk * dv];
        // Scores, key-major ([lk][lq]) so that work items own disjoint key ranges.
        let mut scores = vec![0.0f32; lk * lq];
        scores
            .par_chunks_mut(KEYS_PER_ITEM * lq.max(1))
            .zip(kb.par_chunks(KEYS_PER_ITEM * d.max(1)))
            .for_each(|(s, keys)| {
                for (sj, kj) in s.chunks_mut(lq.max(1)).zip(keys.chunks(d.max(1))) {
                    for (si, qi) in sj.iter_mut().zip(qb.chunks(d.max(1))) {
                        *si = dot(qi, kj);
                    }
                }
            });
        // Query-major for the softmax.
        let mut weights = vec![0.0f32; lq * lk];
        for (j, sj) in scores.chunks(lq.max(1)).enumerate() {
            for (i, &s) in sj.iter().enumerate() {
                weights[i * lk + j] = s;
            }
        }
        masked_softmax(&mut weights, lk, lq, 0, scale, mask);
        // Partial sums over key ranges, added in order (the result does not depend on
        // the thread count).
        let partials: Vec<Vec<f32>> = vb
            .par_chunks(KEYS_PER_ITEM * dv.max(1))
            .enumerate()
            .map(|(c, values)| {
                let mut acc = vec![0.0f32; lq * dv];
                for (jj, vj) in values.chunks(dv.max(1)).enumerate() {
                    let j = c * KEYS_PER_ITEM + jj;
                    for (i, acc_i) in acc.chunks_mut(dv.max(1)).enumerate() {
                        let w = weights[i * lk + j];
                        for (a, &x) in acc_i.iter_mut().zip(vj) {
                            *a += w * x;
                        }
                    }
                }
                acc
            })
            .collect();
        let ob = &mut out[b * lq * dv..(b + 1) * lq * dv];
        for partial in &partials {
            for (o, &p) in ob.iter_mut().zip(partial) {
                *o += p;
            }
        }
    }
    out
}

/// `sum x*y` ([`lane_sum`]).
fn dot(x: &[f32], y: &[f32]) -> f32 {
    lane_sum(x, y, |a, b| a * b) as f32
}

/// `1 / sqrt(d)`, PyTorch's default attention scale for head dimension `d`.
fn default_scale(d: usize) -> f32 {
    (1.0 / (d.max(1) as f64).sqrt()) as f32
}

/// Argument `i` as a rank-3 tensor `[batch, rows, features]` (a rank-4
/// `[a, b, rows, features]` is read as `a * b` batch entries; other ranks are refused
/// by the caller).
fn batched(a: &[HostTensor], i: usize) -> Result<Tensor<3>> {
    let shape = &host(a, i)?.shape;
    match shape.len() {
        4 => Ok(arg::<4>(a, i)?.reshape([shape[0] * shape[1], shape[2], shape[3]])),
        _ => arg::<3>(a, i),
    }
}

/// `F.scaled_dot_product_attention(Q, K, V)` (args: `causal`, a flag) on 3-d or 4-d
/// `Q [.., Lq, D]`, `K [.., Lk, D]`, `V [.., Lk, Dv]` with the same leading dimensions.
fn sdpa(a: &[HostTensor], args: &Args) -> Result<Vec<HostTensor>> {
    let mask = if args.flag_or("causal", false)? {
        Mask::Causal
    } else {
        Mask::None
    };
    let q_shape = host(a, 0)?.shape.clone();
    let k_shape = &host(a, 1)?.shape;
    let v_shape = &host(a, 2)?.shape;
    let rank = q_shape.len();
    if !(3..=4).contains(&rank)
        || k_shape.len() != rank
        || v_shape.len() != rank
        || k_shape[..rank - 2] != q_shape[..rank - 2]
        || v_shape[..rank - 2] != q_shape[..rank - 2]
        || k_shape[rank - 1] != q_shape[rank - 1]
        || v_shape[rank - 2] != k_shape[rank - 2]
    {
        return Err(TaskError::Shape(format!(
            "sdpa: Q {q_shape:?}, K {k_shape:?}, V {v_shape:?} do not fit"
        )));
    }
    let (lq, d) = (q_shape[rank - 2], q_shape[rank - 1]);
    let (lk, dv) = (k_shape[rank - 2], v_shape[rank - 1]);
    let mut out = if lq <= FEW_QUERIES {
        let batch: usize = q_shape[..rank - 2].iter().product();
        let values = attend_few_queries(
            [
                host(a, 0)?.as_f32("Q")?,
                host(a, 1)?.as_f32("K")?,
                host(a, 2)?.as_f32("V")?,
            ],
            [batch, lq, lk, d, dv],
            default_scale(d),
            mask,
        );
        HostTensor::f32(vec![batch * lq * dv], values)?
    } else {
        let (q, k, v) = (batched(a, 0)?, batched(a, 1)?, batched(a, 2)?);
        ops::store(attend(q, k, Some(v), default_scale(d), mask)?)?
    };
    let mut shape = q_shape;
    shape[rank - 1] = dv;
    out.shape = shape;
    Ok(vec![out])
}

/// `softmax(Q K^T / sqrt(D), dim=-1)` for 3-d `Q [B, Lq, D]`, `K [B, Lk, D]`: the
/// attention weights `[B, Lq, Lk]` (the category's exemplar).
fn attention_weights(a: &[HostTensor], _: &Args) -> Result<Vec<HostTensor>> {
    let q: Tensor<3> = arg(a, 0)?;
    let k: Tensor<3> = arg(a, 1)?;
    let [b, _, d] = q.dims();
    let [bk, _, dk] = k.dims();
    if (b, d) != (bk, dk) {
        return Err(TaskError::Shape(format!(
            "attention_weights: Q {:?} and K {:?} do not fit",
            q.dims(),
            k.dims()
        )));
    }
    Ok(vec![ops::store(attend(
        q,
        k,
        None,
        default_scale(d),
        Mask::None,
    )?)?])
}

/// A `Linear` layer's weight `[out, in]` and optional bias `[out]` (PyTorch's layout).
struct Linear {
    weight: Tensor<2>,
    bias: Option<Tensor<1>>,
}

impl Linear {
    /// `x @ weight.T + bias` for `x [.., in]` flattened to rows, returned as
    /// `[batch, rows, out]`.
    fn apply(&self, x: Tensor<3>) -> Result<Tensor<3>> {
        let [b, l, f] = x.dims();
        let [out, inp] = self.weight.dims();
        if f != inp {
            return Err(TaskError::Shape(format!(
                "attention: a linear layer of {inp} inputs applied to {f} features"
            )));
        }
        let y = ops::linear(
            x.reshape([b * l, f]),
            self.weight.clone(),
            self.bias.clone(),
        );
        Ok(y.reshape([b, l, out]))
    }
}

/// Reads parameters from argument `first` on: linear layers with weights and, when
/// `bias`, biases (`weight, bias, weight, bias, ...` as a `state_dict` lists them).
fn linears(a: &[HostTensor], first: usize, count: usize, bias: bool) -> Result<Vec<Linear>> {
    let step = if bias { 2 } else { 1 };
    (0..count)
        .map(|l| {
            let at = first + l * step;
            Ok(Linear {
                weight: arg(a, at)?,
                bias: if bias { Some(arg(a, at + 1)?) } else { None },
            })
        })
        .collect()
}

/// Splits `[b, l, heads * dh]` into `[b * heads, l, dh]`.
fn split_heads(x: Tensor<3>, heads: usize) -> Result<Tensor<3>> {
    let [b, l, e] = x.dims();
    if heads == 0 || e % heads != 0 {
        return Err(TaskError::Shape(format!(
            "attention: {e} features do not split into {heads} heads"
        )));
    }
    let dh = e / heads;
    Ok(x.reshape([b, l, heads, dh])
        .swap_dims(1, 2)
        .reshape([b * heads, l, dh]))
}

/// Merges `[b * heads, l, dh]` back into `[b, l, heads * dh]`.
fn merge_heads(x: Tensor<3>, b: usize) -> Tensor<3> {
    let [bh, l, dh] = x.dims();
    let heads = bh / b.max(1);
    x.reshape([b, heads, l, dh])
        .swap_dims(1, 2)
        .reshape([b, l, heads * dh])
}

/// Multi-head attention of projected `q [b, lq, heads*dh]` over `k`, `v`
/// `[b, lk, kv_heads*dh]`: each group of `heads / kv_heads` query heads shares one
/// key/value head (`repeat_interleave`, as grouped-query attention does), then the heads
/// are merged.
fn heads_attention(
    q: Tensor<3>,
    k: Tensor<3>,
    v: Tensor<3>,
    heads: usize,
    kv_heads: usize,
    mask: Mask,
) -> Result<Tensor<3>> {
    if kv_heads == 0 || !heads.is_multiple_of(kv_heads) {
        return Err(TaskError::Argument(format!(
            "attention: {heads} query heads do not share {kv_heads} key/value heads"
        )));
    }
    let b = q.dims()[0];
    let q = split_heads(q, heads)?;
    let dh = q.dims()[2];
    let repeat = |t: Tensor<3>| -> Result<Tensor<3>> {
        let t = split_heads(t, kv_heads)?;
        let [_, l, d] = t.dims();
        if d != dh {
            return Err(TaskError::Shape(format!(
                "attention: key/value heads of {d} features, query heads of {dh}"
            )));
        }
        let group = heads / kv_heads;
        Ok(if group == 1 {
            t
        } else {
            t.reshape([b * kv_heads, 1, l, d])
                .repeat_dim(1, group)
                .reshape([b * heads, l, d])
        })
    };
    let (k, v) = (repeat(k)?, repeat(v)?);
    Ok(merge_heads(
        attend(q, k, Some(v), default_scale(dh), mask)?,
        b,
    ))
}

/// `nn.MultiheadAttention(E, heads, batch_first=True)` returning the attention output.
/// Inputs: `x` (self-attention) or `query, kv` (key = value = `kv`), then the module's
/// parameters `in_proj_weight [3E, E]`, `in_proj_bias [3E]`, `out_proj.weight`,
/// `out_proj.bias`. Args: `heads`, `mask`/`window` (see [`Mask`]), and `input_proj`
/// (flag): two `Linear` layers (weight, bias each) come first among the parameters and
/// map the query and the key/value inputs to `E` features before the attention.
fn multihead_attention(a: &[HostTensor], args: &Args) -> Result<Vec<HostTensor>> {
    let heads = args.usize("heads")?;
    let mask = Mask::from_args(args)?;
    let input_proj = args.flag_or("input_proj", false)?;
    let params = if input_proj { 8 } else { 4 };
    let inputs = a
        .len()
        .checked_sub(params)
        .filter(|n| (1..=2).contains(n))
        .ok_or_else(|| {
            TaskError::Shape(format!(
                "multihead_attention: {} arguments, expected 1 or 2 inputs and {params} parameters",
                a.len()
            ))
        })?;
    let mut query: Tensor<3> = arg(a, 0)?;
    let mut kv: Tensor<3> = arg(a, inputs - 1)?;
    let mut first = inputs;
    if input_proj {
        let proj = linears(a, first, 2, true)?;
        query = proj[0].apply(query)?;
        kv = proj[1].apply(kv)?;
        first += 4;
    }
    let in_w: Tensor<2> = arg(a, first)?;
    let in_b: Tensor<1> = arg(a, first + 1)?;
    let [three_e, e] = in_w.dims();
    if three_e != 3 * e || in_b.dims()[0] != three_e {
        return Err(TaskError::Shape(format!(
            "multihead_attention: in_proj_weight {:?}, in_proj_bias {:?}",
            in_w.dims(),
            in_b.dims()
        )));
    }
    let part = |i: usize| Linear {
        weight: in_w.clone().narrow(0, i * e, e),
        bias: Some(in_b.clone().narrow(0, i * e, e)),
    };
    let q = part(0).apply(query)?;
    let k = part(1).apply(kv.clone())?;
    let v = part(2).apply(kv)?;
    let out = heads_attention(q, k, v, heads, heads, mask)?;
    let out_proj = linears(a, first + 2, 1, true)?;
    Ok(vec![ops::store(out_proj[0].apply(out)?)?])
}

/// Attention with separate `q_proj`, `k_proj`, `v_proj`, `out_proj` linear layers over
/// one input `x [B, L, E]` (parameters in that order, weight then bias each unless
/// `bias = false`). Args: `heads`, `kv_heads` (key/value heads, default `heads`: 1 is
/// multi-query, between is grouped-query attention), `mask`/`window` (see [`Mask`]).
fn projected_attention(a: &[HostTensor], args: &Args) -> Result<Vec<HostTensor>> {
    let heads = args.usize("heads")?;
    let kv_heads = args.usize_or("kv_heads", heads)?;
    let mask = Mask::from_args(args)?;
    let bias = args.flag_or("bias", true)?;
    let x: Tensor<3> = arg(a, 0)?;
    let layers = linears(a, 1, 4, bias)?;
    let q = layers[0].apply(x.clone())?;
    let k = layers[1].apply(x.clone())?;
    let v = layers[2].apply(x)?;
    let out = heads_attention(q, k, v, heads, kv_heads, mask)?;
    Ok(vec![ops::store(layers[3].apply(out)?)?])
}

/// Linear attention without normalisation: `phi(Q) (phi(K)^T V)` per batch entry with
/// `phi(x) = relu(x) + eps` (arg `eps`, default 1e-6), for `Q [B, N, D]`, `K [B, N, D]`,
/// `V [B, N, E]`: `[B, N, E]`.
fn linear_attention(a: &[HostTensor], args: &Args) -> Result<Vec<HostTensor>> {
    let eps = args.f64_or("eps", 1e-6)? as f32;
    let q: Tensor<3> = arg(a, 0)?;
    let k: Tensor<3> = arg(a, 1)?;
    let v: Tensor<3> = arg(a, 2)?;
    let (qd, kd, vd) = (q.dims(), k.dims(), v.dims());
    if qd[0] != kd[0] || kd[0] != vd[0] || kd[1] != vd[1] || qd[2] != kd[2] {
        return Err(TaskError::Shape(format!(
            "linear_attention: Q {qd:?}, K {kd:?}, V {vd:?} do not fit"
        )));
    }
    let phi = |t: Tensor<3>| ops::activation::relu(t).add_scalar(eps);
    let kv = phi(k).swap_dims(1, 2).matmul(v);
    Ok(vec![ops::store(phi(q).matmul(kv))?])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_follow_their_definitions() {
        assert!(Mask::Causal.allows(3, 3) && !Mask::Causal.allows(2, 3));
        assert!(
            Mask::Band(2).allows(5, 6)
                && !Mask::Band(2).allows(5, 7)
                && !Mask::Band(2).allows(7, 5)
        );
        assert!(
            Mask::Sliding(2).allows(5, 4)
                && !Mask::Sliding(2).allows(5, 3)
                && !Mask::Sliding(2).allows(4, 5)
        );
    }

    #[test]
    fn blocks_cover_every_row_once() {
        for (n, lq, lk) in [
            (3, 5, 7),
            (2, 1 << 13, 1 << 13),
            (64, 64, 64),
            (1, 1, 1 << 25),
        ] {
            let mut seen = vec![0u32; n * lq];
            for (n0, nl, q0, ql) in blocks(n, lq, lk) {
                assert!(nl * ql * lk <= SCORE_BLOCK || ql == 1);
                for b in n0..n0 + nl {
                    for r in q0..q0 + ql {
                        seen[b * lq + r] += 1;
                    }
                }
            }
            assert!(seen.iter().all(|&c| c == 1), "{n} {lq} {lk}");
        }
    }

    #[test]
    fn masked_softmax_rows_sum_to_one_over_allowed_keys() {
        let mut s = vec![1.0f32, 2.0, 3.0, 4.0, 1.0, 2.0, 3.0, 4.0];
        masked_softmax(&mut s, 4, 2, 0, 1.0, Mask::Causal);
        assert!((s[0] - 1.0).abs() < 1e-6, "{s:?}");
        assert_eq!(&s[1..4], &[0.0, 0.0, 0.0]);
        assert!((s[4..].iter().sum::<f32>() - 1.0).abs() < 1e-6);
        assert_eq!(&s[6..], &[0.0, 0.0]);
    }
}
