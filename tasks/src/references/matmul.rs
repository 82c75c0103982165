//! The matmul category's references: one `matmul` family for every task of the
//! category, its variants chosen by the declared args.
//!
//! The GEMMs run on burn-flex's `matmul` (the `gemm` crate, multi-threaded, reading
//! transposed operands through their strides without a copy); the diagonal scaling and
//! the triangular masks run on the host buffers with rayon.

use super::host;
use crate::declare::schema::Args;
use crate::error::{Result, TaskError};
use crate::ops::{self, Tensor};
use crate::spec::ReferenceFn;
use crate::tensor::HostTensor;
use rayon::prelude::*;

pub(super) const REFERENCES: &[(&str, ReferenceFn)] = &[("matmul", matmul)];

/// Which part of the product is kept (`torch.tril` / `torch.triu` of the result).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mask {
    /// The whole product.
    None,
    /// `tril`: elements with column <= row.
    Lower,
    /// `triu`: elements with column >= row.
    Upper,
}

/// `C = op(A) @ op(B)` for the two inputs `A`, `B`. Args (all optional):
/// - `transpose_a`, `transpose_b` (flags): use `A.T` / `B.T` (rank-2 operands only);
/// - `diagonal` (flag): `A` is a vector and `C = diag(A) @ B`, row `i` of `B` scaled by
///   `A[i]`;
/// - `mask` (`"lower"` or `"upper"`): `C = tril(A @ B)` / `triu(A @ B)`.
///
/// Ranks: 2-d x 2-d is a GEMM; 3-d x 3-d is a batched GEMM (`torch.bmm`); an `A` of rank
/// 3 or 4 times a 2-d `B` multiplies `A`'s last dimension (`torch.matmul` broadcasting,
/// `einsum('...l,lk->...k')`), computed as one GEMM over `A`'s rows.
fn matmul(a: &[HostTensor], args: &Args) -> Result<Vec<HostTensor>> {
    let transpose_a = args.flag_or("transpose_a", false)?;
    let transpose_b = args.flag_or("transpose_b", false)?;
    let mask = match args.0.contains_key("mask") {
        false => Mask::None,
        true => match args.text("mask")? {
            "lower" => Mask::Lower,
            "upper" => Mask::Upper,
            other => {
                return Err(TaskError::Argument(format!(
                    "`mask` is {other:?}, expected \"lower\" or \"upper\""
                )));
            }
        },
    };
    let (x, y) = (host(a, 0)?, host(a, 1)?);
    if args.flag_or("diagonal", false)? {
        return Ok(vec![diag_matmul(x, y)?]);
    }
    let ranks = (x.shape.len(), y.shape.len());
    if (transpose_a || transpose_b) && ranks != (2, 2) {
        return Err(TaskError::Shape(format!(
            "transposed operands must both be matrices, are {:?} and {:?}",
            x.shape, y.shape
        )));
    }
    let mut out = match ranks {
        (2, 2) => {
            let k = x.shape[usize::from(!transpose_a)];
            let k2 = y.shape[usize::from(transpose_b)];
            inner_check(k, k2, x, y)?;
            if !transpose_a && !transpose_b && (y.shape[1] == 1 || k <= SMALL_K) {
                host_matmul(x, y)?
            } else {
                let lhs: Tensor<2> = ops::load(x, "A")?;
                let rhs: Tensor<2> = ops::load(y, "B")?;
                let lhs = if transpose_a { lhs.transpose() } else { lhs };
                let rhs = if transpose_b { rhs.transpose() } else { rhs };
                ops::store(lhs.matmul(rhs))?
            }
        }
        (3, 3) => {
            if x.shape[0] != y.shape[0] {
                return Err(TaskError::Shape(format!(
                    "batch sizes differ: A {:?}, B {:?}",
                    x.shape, y.shape
                )));
            }
            inner_check(x.shape[2], y.shape[1], x, y)?;
            let lhs: Tensor<3> = ops::load(x, "A")?;
            let rhs: Tensor<3> = ops::load(y, "B")?;
            ops::store(lhs.matmul(rhs))?
        }
        (3 | 4, 2) => {
            let k = x.shape[x.shape.len() - 1];
            inner_check(k, y.shape[0], x, y)?;
            let rows = x.len() / k.max(1);
            let lhs: Tensor<2> = if ranks.0 == 3 {
                ops::load::<3>(x, "A")?.reshape([rows, k])
            } else {
                ops::load::<4>(x, "A")?.reshape([rows, k])
            };
            let rhs: Tensor<2> = ops::load(y, "B")?;
            let mut c = ops::store(lhs.matmul(rhs))?;
            let mut shape = x.shape.clone();
            if let Some(last) = shape.last_mut() {
                *last = y.shape[1];
            }
            c.shape = shape;
            c
        }
        _ => {
            return Err(TaskError::Shape(format!(
                "no matmul of shapes {:?} and {:?}",
                x.shape, y.shape
            )));
        }
    };
    if mask != Mask::None {
        apply_mask(&mut out, mask)?;
    }
    Ok(vec![out])
}

/// Inner dimensions up to this are multiplied on the host ([`host_matmul`]): the
/// product is bound by writing `C`, which the GEMM library does at half the speed.
const SMALL_K: usize = 64;

/// `C = A @ B` for contiguous matrices `A [m, k]`, `B [k, n]` on the host buffers, for
/// the shapes the GEMM library is slow at: a column `B` (`n == 1`, one dot product
/// per row, eight f32 lanes summed in f64) and a small `k` (each row of `C` a sum of
/// `k` scaled rows of `B`, which stays in cache). Rows of `C` are split over rayon.
fn host_matmul(x: &HostTensor, y: &HostTensor) -> Result<HostTensor> {
    let (m, k, n) = (x.shape[0], x.shape[1], y.shape[1]);
    let (av, bv) = (x.as_f32("A")?, y.as_f32("B")?);
    let mut out = crate::ops::buffer::zeroed(m * n);
    if m == 0 || n == 0 {
        return HostTensor::f32(vec![m, n], out);
    }
    if k == 0 {
        return HostTensor::f32(vec![m, n], out);
    }
    if n == 1 {
        out.par_iter_mut()
            .zip(av.par_chunks(k))
            .for_each(|(o, row)| {
                let mut lanes = [0.0f32; 8];
                let mut chunks = row.chunks_exact(8);
                let mut bchunks = bv.chunks_exact(8);
                let mut total = 0.0f64;
                for (step, (a, b)) in chunks.by_ref().zip(bchunks.by_ref()).enumerate() {
                    for l in 0..8 {
                        lanes[l] += a[l] * b[l];
                    }
                    // Fold the lanes into f64 every 4096 elements.
                    if step % 512 == 511 {
                        total += lanes.iter().map(|&v| f64::from(v)).sum::<f64>();
                        lanes = [0.0; 8];
                    }
                }
                total += lanes.iter().map(|&v| f64::from(v)).sum::<f64>();
                for (a, b) in chunks.remainder().iter().zip(bchunks.remainder()) {
                    total += f64::from(*a) * f64::from(*b);
                }
                *o = total as f32;
            });
    } else {
        out.par_chunks_mut(n)
            .zip(av.par_chunks(k))
            .for_each(|(c, a)| {
                for (&s, b) in a.iter().zip(bv.chunks_exact(n)) {
                    for (c, &b) in c.iter_mut().zip(b) {
                        *c += s * b;
                    }
                }
            });
    }
    HostTensor::f32(vec![m, n], out)
}

/// An error unless the inner dimensions `k` (of `A`) and `k2` (of `B`) agree.
fn inner_check(k: usize, k2: usize, x: &HostTensor, y: &HostTensor) -> Result<()> {
    if k == k2 {
        Ok(())
    } else {
        Err(TaskError::Shape(format!(
            "inner dimensions differ: A {:?}, B {:?}",
            x.shape, y.shape
        )))
    }
}

/// `diag(d) @ b` for a vector `d` of length `n` and a matrix `b` of `n` rows: row `i` of
/// `b` times `d[i]` (the product PyTorch computes, without forming `diag(d)`).
fn diag_matmul(d: &HostTensor, b: &HostTensor) -> Result<HostTensor> {
    let [n] = d.shape[..] else {
        return Err(TaskError::Shape(format!(
            "the diagonal must be a vector, is {:?}",
            d.shape
        )));
    };
    let [rows, cols] = b.shape[..] else {
        return Err(TaskError::Shape(format!(
            "B must be a matrix, is {:?}",
            b.shape
        )));
    };
    if rows != n {
        return Err(TaskError::Shape(format!(
            "diagonal of {n} elements times a matrix of {rows} rows"
        )));
    }
    let (dv, bv) = (d.as_f32("A")?, b.as_f32("B")?);
    let mut out = crate::ops::buffer::zeroed(bv.len());
    if cols > 0 {
        out.par_chunks_mut(cols)
            .zip(bv.par_chunks(cols))
            .zip(dv.par_iter())
            .for_each(|((o, row), &s)| {
                for (o, &v) in o.iter_mut().zip(row) {
                    *o = s * v;
                }
            });
    }
    HostTensor::f32(vec![rows, cols], out)
}

/// Zeroes the elements of the matrix `c` outside `mask` (`tril` or `triu` with
/// diagonal 0).
fn apply_mask(c: &mut HostTensor, mask: Mask) -> Result<()> {
    let [_, cols] = c.shape[..] else {
        return Err(TaskError::Shape(format!(
            "a triangular mask needs a matrix, the product is {:?}",
            c.shape
        )));
    };
    let crate::tensor::HostData::F32(v) = &mut c.data else {
        return Err(TaskError::Shape("the product is not f32".into()));
    };
    if cols == 0 {
        return Ok(());
    }
    v.par_chunks_mut(cols).enumerate().for_each(|(i, row)| {
        let split = (i + 1).min(cols);
        match mask {
            Mask::Lower => row[split..].fill(0.0),
            Mask::Upper => row[..i.min(cols)].fill(0.0),
            Mask::None => {}
        }
    });
    Ok(())
}
