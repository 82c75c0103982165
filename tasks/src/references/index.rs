//! The index category's references, on host buffers with rayon: arg-reductions, row
//! lookups (`embedding`, `index_select`), row writes (`index_add`, `index_copy`, `x[idx] =
//! v`), scatters along a dimension and `masked_fill`.

use super::host;
use crate::declare::schema::Args;
use crate::error::{Result, TaskError};
use crate::spec::ReferenceFn;
use crate::tensor::HostTensor;
use rayon::prelude::*;

pub(super) const REFERENCES: &[(&str, ReferenceFn)] = &[
    ("arg_reduce", arg_reduce),
    ("embedding", embedding),
    ("index_select", index_select),
    ("index_rows", index_rows),
    ("scatter", scatter),
    ("masked_fill", masked_fill),
];

/// `shape` split around dimension `dim` (negative counts from the end): the product of
/// the extents before it, its extent, and the product of those after it.
fn split(shape: &[usize], dim: i64, what: &str) -> Result<(usize, usize, usize)> {
    let rank = shape.len() as i64;
    let d = if dim < 0 { dim + rank } else { dim };
    if !(0..rank).contains(&d) {
        return Err(TaskError::Shape(format!(
            "{what}: dimension {dim} of a rank-{rank} tensor"
        )));
    }
    let d = d as usize;
    Ok((
        shape[..d].iter().product(),
        shape[d],
        shape[d + 1..].iter().product(),
    ))
}

/// `i` as an index below `n`, or a shape error naming `what`.
fn checked(i: i64, n: usize, what: &str) -> Result<usize> {
    usize::try_from(i)
        .ok()
        .filter(|&i| i < n)
        .ok_or_else(|| TaskError::Shape(format!("{what}: index {i} out of range for {n}")))
}

/// `torch.argmax(x, dim)` (`op = "max"`) or `torch.argmin(x, dim)` (`op = "min"`): the
/// first position of the extreme value, as int64 (a NaN counts as the extreme, as in
/// PyTorch).
fn arg_reduce(a: &[HostTensor], args: &Args) -> Result<Vec<HostTensor>> {
    let x = host(a, 0)?;
    let data = x.as_f32("x")?;
    let (outer, n, inner) = split(&x.shape, args.i64("dim")?, "arg_reduce")?;
    let want_max = match args.text("op")? {
        "max" => true,
        "min" => false,
        other => {
            return Err(TaskError::Argument(format!(
                "arg_reduce: op `{other}`, expected max or min"
            )));
        }
    };
    if n == 0 {
        return Err(TaskError::Shape(
            "arg_reduce over an empty dimension".into(),
        ));
    }
    let mut out = vec![0i64; outer * inner];
    if inner > 0 {
        out.par_chunks_mut(inner)
            .zip(data.par_chunks(n * inner))
            .for_each(|(o, block)| {
                let mut best: Vec<f32> = block[..inner].to_vec();
                for r in 1..n {
                    let row = &block[r * inner..(r + 1) * inner];
                    for ((b, o), &v) in best.iter_mut().zip(o.iter_mut()).zip(row) {
                        let better = if want_max { v > *b } else { v < *b };
                        if !b.is_nan() && (better || v.is_nan()) {
                            *b = v;
                            *o = r as i64;
                        }
                    }
                }
            });
    }
    let mut shape = x.shape.clone();
    let rank = shape.len() as i64;
    let dim = args.i64("dim")?;
    shape.remove(if dim < 0 { dim + rank } else { dim } as usize);
    Ok(vec![HostTensor::i64(shape, out)?])
}

/// Copies row `idx[k]` of the `[rows, width]` table `table` into row `k` of the output,
/// rows in parallel.
fn take_rows(table: &[f32], rows: usize, width: usize, idx: &[i64]) -> Result<Vec<f32>> {
    let mut out = crate::ops::buffer::zeroed(idx.len() * width);
    if width > 0 {
        out.par_chunks_mut(width)
            .zip(idx.par_iter())
            .try_for_each(|(o, &i)| {
                let i = checked(i, rows, "row lookup")?;
                o.copy_from_slice(&table[i * width..(i + 1) * width]);
                Ok::<(), TaskError>(())
            })?;
    }
    Ok(out)
}

/// `nn.Embedding` lookup: inputs `indices` (int64, any shape) then the `[num, dim]`
/// weight; output `indices.shape + [dim]`.
fn embedding(a: &[HostTensor], _: &Args) -> Result<Vec<HostTensor>> {
    let (indices, weight) = (host(a, 0)?, host(a, 1)?);
    let [rows, width] = weight.shape[..] else {
        return Err(TaskError::Shape(format!(
            "embedding: weight must be rank 2, is {:?}",
            weight.shape
        )));
    };
    let out = take_rows(
        weight.as_f32("weight")?,
        rows,
        width,
        indices.as_i64("indices")?,
    )?;
    let mut shape = indices.shape.clone();
    shape.push(width);
    Ok(vec![HostTensor::f32(shape, out)?])
}

/// `torch.index_select(x, dim, indices)` for an f32 `x` and a 1-d int64 `indices`.
fn index_select(a: &[HostTensor], args: &Args) -> Result<Vec<HostTensor>> {
    let (x, indices) = (host(a, 0)?, host(a, 1)?);
    let data = x.as_f32("x")?;
    let idx = indices.as_i64("indices")?;
    let dim = args.i64("dim")?;
    let (outer, n, inner) = split(&x.shape, dim, "index_select")?;
    let k = idx.len();
    let mut out = crate::ops::buffer::zeroed(outer * k * inner);
    if k * inner > 0 && n * inner > 0 {
        out.par_chunks_mut(k * inner)
            .zip(data.par_chunks(n * inner))
            .try_for_each(|(o, block)| {
                if inner == 1 {
                    for (o, &i) in o.iter_mut().zip(idx) {
                        *o = block[checked(i, n, "index_select")?];
                    }
                } else {
                    for (o, &i) in o.chunks_mut(inner).zip(idx) {
                        let i = checked(i, n, "index_select")?;
                        o.copy_from_slice(&block[i * inner..(i + 1) * inner]);
                    }
                }
                Ok::<(), TaskError>(())
            })?;
    }
    let mut shape = x.shape.clone();
    let rank = shape.len() as i64;
    shape[if dim < 0 { dim + rank } else { dim } as usize] = k;
    Ok(vec![HostTensor::f32(shape, out)?])
}

/// Row writes along dimension 0, out of place: inputs `x` `[rows, ...]`, int64 `indices`
/// `[k]`, `src` `[k, ...]`. `mode = "add"`: `x.index_add(0, indices, src)` (duplicates
/// accumulate, in index order); `mode = "copy"`: `x.index_copy(0, indices, src)` and
/// `x[indices] = src` (a duplicate's last write wins; the tasks draw no duplicates).
fn index_rows(a: &[HostTensor], args: &Args) -> Result<Vec<HostTensor>> {
    let (x, indices, src) = (host(a, 0)?, host(a, 1)?, host(a, 2)?);
    let base = x.as_f32("x")?;
    let idx = indices.as_i64("indices")?;
    let values = src.as_f32("src")?;
    let add = match args.text("mode")? {
        "add" => true,
        "copy" => false,
        other => {
            return Err(TaskError::Argument(format!(
                "index_rows: mode `{other}`, expected add or copy"
            )));
        }
    };
    let rows = *x
        .shape
        .first()
        .ok_or_else(|| TaskError::Shape("index_rows: x is 0-d".into()))?;
    let width = x.shape[1..].iter().product::<usize>();
    if values.len() != idx.len() * width {
        return Err(TaskError::Shape(format!(
            "index_rows: src {:?} for {} indices into x {:?}",
            src.shape,
            idx.len(),
            x.shape
        )));
    }
    // The source rows of each target row, in index order (compressed: `order[start[r]..
    // start[r + 1]]` are row r's).
    let mut start = vec![0usize; rows + 1];
    for &i in idx {
        start[checked(i, rows, "index_rows")? + 1] += 1;
    }
    for r in 0..rows {
        start[r + 1] += start[r];
    }
    let mut fill = start.clone();
    let mut order = vec![0usize; idx.len()];
    for (k, &i) in idx.iter().enumerate() {
        let r = i as usize;
        order[fill[r]] = k;
        fill[r] += 1;
    }
    let mut out = crate::ops::buffer::zeroed(base.len());
    if width > 0 {
        out.par_chunks_mut(width)
            .zip(base.par_chunks(width))
            .enumerate()
            .for_each(|(r, (o, b))| {
                let ks = &order[start[r]..start[r + 1]];
                match ks.last() {
                    Some(&k) if !add => o.copy_from_slice(&values[k * width..(k + 1) * width]),
                    _ => o.copy_from_slice(b),
                }
                if add {
                    for &k in ks {
                        for (o, &v) in o.iter_mut().zip(&values[k * width..(k + 1) * width]) {
                            *o += v;
                        }
                    }
                }
            });
    }
    Ok(vec![HostTensor::f32(x.shape.clone(), out)?])
}

/// `x.scatter(dim, index, src)` (`reduce = "none"`: a duplicate's last write wins; the
/// tasks draw no duplicates) or `x.scatter_add(dim, index, src)` (`reduce = "add"`),
/// out of place, for `index` and `src` of one shape that agrees with `x` outside `dim`.
fn scatter(a: &[HostTensor], args: &Args) -> Result<Vec<HostTensor>> {
    let (x, index, src) = (host(a, 0)?, host(a, 1)?, host(a, 2)?);
    let base = x.as_f32("x")?;
    let idx = index.as_i64("index")?;
    let values = src.as_f32("src")?;
    let add = match args.text("reduce")? {
        "add" => true,
        "none" => false,
        other => {
            return Err(TaskError::Argument(format!(
                "scatter: reduce `{other}`, expected none or add"
            )));
        }
    };
    let dim = args.i64("dim")?;
    let (outer, n, inner) = split(&x.shape, dim, "scatter x")?;
    let (i_outer, k, i_inner) = split(&index.shape, dim, "scatter index")?;
    if index.shape != src.shape || i_outer != outer || i_inner != inner {
        return Err(TaskError::Shape(format!(
            "scatter: x {:?}, index {:?}, src {:?} must agree outside dimension {dim}",
            x.shape, index.shape, src.shape
        )));
    }
    let mut out = crate::ops::buffer::zeroed(base.len());
    if n * inner > 0 && k * inner > 0 {
        out.par_chunks_mut(n * inner)
            .zip(base.par_chunks(n * inner))
            .zip(idx.par_chunks(k * inner).zip(values.par_chunks(k * inner)))
            .try_for_each(|((o, b), (ix, vs))| {
                o.copy_from_slice(b);
                for (j, (&i, &v)) in ix.iter().zip(vs).enumerate() {
                    let at = if inner == 1 {
                        checked(i, n, "scatter")?
                    } else {
                        checked(i, n, "scatter")? * inner + j % inner
                    };
                    if add {
                        o[at] += v;
                    } else {
                        o[at] = v;
                    }
                }
                Ok::<(), TaskError>(())
            })?;
    }
    Ok(vec![HostTensor::f32(x.shape.clone(), out)?])
}

/// `x.masked_fill(mask, value)` for a boolean `mask` of `x`'s shape.
fn masked_fill(a: &[HostTensor], args: &Args) -> Result<Vec<HostTensor>> {
    let (x, mask) = (host(a, 0)?, host(a, 1)?);
    let data = x.as_f32("x")?;
    let m = mask.as_bool("mask")?;
    if x.shape != mask.shape {
        return Err(TaskError::Shape(format!(
            "masked_fill: x {:?} and mask {:?} differ",
            x.shape, mask.shape
        )));
    }
    let value = args.f64("value")? as f32;
    let mut out = crate::ops::buffer::zeroed(data.len());
    out.par_chunks_mut(1 << 16)
        .zip(data.par_chunks(1 << 16).zip(m.par_chunks(1 << 16)))
        .for_each(|(o, (d, m))| {
            for ((o, &d), &m) in o.iter_mut().zip(d).zip(m) {
                *o = if m { value } else { d };
            }
        });
    Ok(vec![HostTensor::f32(x.shape.clone(), out)?])
}
