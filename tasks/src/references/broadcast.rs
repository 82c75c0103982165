//! Elementwise operations whose operands broadcast by PyTorch's rules.

use super::{arg, bool_arg, host, one, scalar_arg};
use crate::error::{Result, TaskError};
use crate::ops::elementwise::{broadcast_map, clamp_columns, where_broadcast};
use crate::ops::{self, Tensor};
use crate::spec::ReferenceFn;
use crate::tensor::HostTensor;

pub(super) const REFERENCES: &[(&str, ReferenceFn)] = &[
    ("add_bias_broadcast", |a, _| {
        one(arg::<2>(a, 0)?.add_scalar(scalar_arg(a, 1)?))
    }),
    ("add_bias_four_dim_broadcast", |a, _| {
        let c = host(a, 0)?.shape.get(1).copied().unwrap_or(0);
        pair(a, Some(&[c, 1, 1]), |x, b| x + b)
    }),
    ("clamp_broadcast", |a, _| {
        Ok(vec![clamp_columns(host(a, 0)?, host(a, 1)?, host(a, 2)?)?])
    }),
    ("division_broadcast", |a, _| pair(a, None, |x, s| x / s)),
    ("elmentwise_mul_broadcast", |a, _| {
        pair(a, None, |x, y| x * y)
    }),
    ("logic_and_broadcast", |a, _| {
        let x = bool_arg::<3>(a, 0)?;
        let dims = x.dims();
        let y = bool_arg::<3>(a, 1)?.expand(dims);
        Ok(vec![ops::store_bool(x.bool_and(y))?])
    }),
    ("max_broadcast", |a, _| pair(a, None, f32::max)),
    ("power_broadcast", |a, _| {
        let x: Tensor<2> = arg(a, 0)?;
        let dims = x.dims();
        let e = arg::<1>(a, 1)?.reshape([1, dims[1]]).expand(dims);
        one(x.powf(e))
    }),
    ("subtract_with_bias_broadcast", |a, _| {
        pair(a, None, |x, b| x - b)
    }),
    ("where_broadcast", |a, _| {
        Ok(vec![where_broadcast(
            host(a, 0)?,
            host(a, 1)?,
            host(a, 2)?,
        )?])
    }),
];

/// `f` over inputs 0 and 1 broadcast together, input 1 seen with the shape `view` when
/// given (a `.view(...)` in the source).
fn pair(
    a: &[HostTensor],
    view: Option<&[usize]>,
    f: impl Fn(f32, f32) -> f32 + Sync,
) -> Result<Vec<HostTensor>> {
    let (x, y) = (host(a, 0)?, host(a, 1)?);
    let y_shape = view.unwrap_or(&y.shape);
    let out = broadcast_shape(&x.shape, y_shape)?;
    Ok(vec![broadcast_map(
        x.as_f32("first input")?,
        &x.shape,
        y.as_f32("second input")?,
        y_shape,
        &out,
        f,
    )?])
}

/// The shape two shapes broadcast to (dimensions aligned from the end; each pair equal
/// or one of them 1).
pub(crate) fn broadcast_shape(a: &[usize], b: &[usize]) -> Result<Vec<usize>> {
    let rank = a.len().max(b.len());
    let at = |s: &[usize], i: usize| {
        (i + s.len())
            .checked_sub(rank)
            .and_then(|j| s.get(j))
            .copied()
            .unwrap_or(1)
    };
    (0..rank)
        .map(|i| match (at(a, i), at(b, i)) {
            (x, y) if x == y || y == 1 => Ok(x),
            (1, y) => Ok(y),
            (x, y) => Err(TaskError::Shape(format!(
                "shapes {a:?} and {b:?} do not broadcast ({x} against {y})"
            ))),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::broadcast_shape;

    #[test]
    fn broadcasting_follows_pytorch() {
        assert_eq!(
            broadcast_shape(&[4, 1, 8], &[1, 3, 8]).ok(),
            Some(vec![4, 3, 8])
        );
        assert_eq!(
            broadcast_shape(&[8, 3, 32, 128], &[3, 1, 1]).ok(),
            Some(vec![8, 3, 32, 128])
        );
        assert_eq!(broadcast_shape(&[2, 3], &[]).ok(), Some(vec![2, 3]));
        assert!(broadcast_shape(&[2, 3], &[4]).is_err());
    }
}
