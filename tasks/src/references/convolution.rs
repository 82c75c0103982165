//! The convolution category's references: one convolution family and one transposed
//! convolution family, generic over the spatial rank (1, 2 or 3, from the input's rank),
//! and the depthwise-separable pair. The kernel size is the weight's shape; `stride`,
//! `padding`, `dilation`, `groups` and (transposed only) `output_padding` are declared
//! args, each an integer or one integer per spatial dimension.

use super::{arg, host, one};
use crate::declare::schema::Args;
use crate::error::{Result, TaskError};
use crate::ops::conv3d::{Conv3dOperands, Direction, conv3d_direct};
use crate::ops::{
    Conv2d, ConvGeometry, conv_transpose1d, conv_transpose2d, conv1d_general, conv2d,
};
use crate::spec::ReferenceFn;
use crate::tensor::HostTensor;

/// The convolution category's reference functions, by name.
pub(super) const REFERENCES: &[(&str, ReferenceFn)] = &[
    ("conv1d", conv_reference),
    ("conv2d", conv_reference),
    ("conv3d", conv_reference),
    ("conv_transpose1d", conv_transpose_reference),
    ("conv_transpose2d", conv_transpose_reference),
    ("conv_transpose3d", conv_transpose_reference),
    ("depthwise_separable_conv2d", depthwise_separable_reference),
];

/// `[d0, .., dN-1]` from an integer or an `N`-integer list; `default` (repeated) when
/// absent ([`Args::per_dim`]).
fn per_dim<const N: usize>(args: &Args, name: &str, default: usize) -> Result<[usize; N]> {
    let values = args.per_dim(name, N, Some(&[default; N]))?;
    values.try_into().map_err(|v: Vec<usize>| {
        TaskError::Argument(format!("`{name}` must be one or {N} integers, is {v:?}"))
    })
}

/// The declared geometry of an `N`-d (transposed) convolution, with the non-zero checks
/// burn would otherwise panic on.
fn geometry<const N: usize>(args: &Args) -> Result<ConvGeometry<N>> {
    let geo = ConvGeometry {
        stride: per_dim(args, "stride", 1)?,
        padding: per_dim(args, "padding", 0)?,
        dilation: per_dim(args, "dilation", 1)?,
        output_padding: per_dim(args, "output_padding", 0)?,
        groups: args.usize_or("groups", 1)?,
    };
    if geo.groups == 0 || geo.stride.contains(&0) || geo.dilation.contains(&0) {
        return Err(TaskError::Argument(format!(
            "groups, stride and dilation must be positive, are {}, {:?}, {:?}",
            geo.groups, geo.stride, geo.dilation
        )));
    }
    Ok(geo)
}

/// A convolution's `geometry`; without a declared `groups`, the groups follow from the
/// shapes (`in_channels / weight.shape[1]`: a depthwise `[C, 1, k...]` weight gives `C`).
fn conv_geometry<const N: usize>(a: &[HostTensor], args: &Args) -> Result<ConvGeometry<N>> {
    let mut geo = geometry::<N>(args)?;
    if !args.0.contains_key("groups") {
        let (x, w) = shapes::<N>(a)?;
        if w[1] == 0 || x[1] % w[1] != 0 || x[1] == 0 {
            return Err(TaskError::Shape(format!(
                "input {x:?} and weight {w:?} do not fit a grouped convolution"
            )));
        }
        geo.groups = x[1] / w[1];
    }
    Ok(geo)
}

/// Checks that `x` is `[N, C, spatial(N)]` and `w` has rank `N + 2`, returning both shapes.
fn shapes<const N: usize>(a: &[HostTensor]) -> Result<(&[usize], &[usize])> {
    let x = &host(a, 0)?.shape;
    let w = &host(a, 1)?.shape;
    if x.len() != N + 2 || w.len() != N + 2 {
        return Err(TaskError::Shape(format!(
            "a {N}-d convolution needs a rank-{} input and weight, has {x:?} and {w:?}",
            N + 2
        )));
    }
    Ok((x, w))
}

/// Checks an optional bias (argument 2) holds `channels` elements.
fn check_bias(a: &[HostTensor], channels: usize) -> Result<()> {
    match a.get(2) {
        Some(b) if b.shape != [channels] => Err(TaskError::Shape(format!(
            "the bias must be [{channels}], is {:?}",
            b.shape
        ))),
        _ => Ok(()),
    }
}

/// Validates a convolution's shapes against `geo`: weight `[out, in/groups, k...]` and a
/// non-empty output.
fn check_conv<const N: usize>(a: &[HostTensor], geo: &ConvGeometry<N>) -> Result<()> {
    let (x, w) = shapes::<N>(a)?;
    let g = geo.groups;
    if x[1] % g != 0 || w[1] * g != x[1] || w[0] % g != 0 || w[0] == 0 {
        return Err(TaskError::Shape(format!(
            "input {x:?} and weight {w:?} do not fit a convolution with {g} groups"
        )));
    }
    for d in 0..N {
        let span = geo.dilation[d] * (w[d + 2].max(1) - 1) + 1;
        if w[d + 2] == 0 || x[d + 2] + 2 * geo.padding[d] < span {
            return Err(TaskError::Shape(format!(
                "spatial dimension {d}: input {} padded by {} is smaller than the kernel span {span}",
                x[d + 2],
                geo.padding[d]
            )));
        }
    }
    check_bias(a, w[0])
}

/// Validates a transposed convolution's shapes against `geo`: weight
/// `[in, out/groups, k...]`, `output_padding` below the stride or the dilation, and a
/// non-empty output.
fn check_transposed<const N: usize>(a: &[HostTensor], geo: &ConvGeometry<N>) -> Result<()> {
    let (x, w) = shapes::<N>(a)?;
    let g = geo.groups;
    if x[1] % g != 0 || w[0] != x[1] || w[1] == 0 {
        return Err(TaskError::Shape(format!(
            "input {x:?} and weight {w:?} do not fit a transposed convolution with {g} groups"
        )));
    }
    for d in 0..N {
        let op = geo.output_padding[d];
        if op >= geo.stride[d].max(geo.dilation[d]) {
            return Err(TaskError::Argument(format!(
                "output_padding {op} must be smaller than the stride or the dilation"
            )));
        }
        let full = (x[d + 2].max(1) - 1) * geo.stride[d]
            + geo.dilation[d] * (w[d + 2].max(1) - 1)
            + op
            + 1;
        if x[d + 2] == 0 || w[d + 2] == 0 || full <= 2 * geo.padding[d] {
            return Err(TaskError::Shape(format!(
                "spatial dimension {d}: the output would be empty"
            )));
        }
    }
    check_bias(a, w[1] * g)
}

/// `nn.Conv1d/2d/3d` (by the input's rank) with the declared geometry; a bias when a third
/// tensor is given.
fn conv_reference(a: &[HostTensor], args: &Args) -> Result<Vec<HostTensor>> {
    let bias = |a: &[HostTensor]| a.get(2).map(|_| arg(a, 2)).transpose();
    match host(a, 0)?.shape.len() {
        3 => {
            let geo = conv_geometry::<1>(a, args)?;
            check_conv(a, &geo)?;
            one(conv1d_general(arg(a, 0)?, arg(a, 1)?, bias(a)?, geo))
        }
        4 => {
            let geo = conv_geometry::<2>(a, args)?;
            check_conv(a, &geo)?;
            let geo = Conv2d {
                stride: geo.stride,
                padding: geo.padding,
                dilation: geo.dilation,
                groups: geo.groups,
            };
            one(conv2d(arg(a, 0)?, arg(a, 1)?, bias(a)?, geo))
        }
        5 => {
            let geo = conv_geometry::<3>(a, args)?;
            check_conv(a, &geo)?;
            conv3d_reference(a, &geo, Direction::Standard)
        }
        r => Err(TaskError::Shape(format!(
            "a convolution's input must have rank 3, 4 or 5, has {r}"
        ))),
    }
}

/// `nn.ConvTranspose1d/2d/3d` (by the input's rank) with the declared geometry; a bias when
/// a third tensor is given.
fn conv_transpose_reference(a: &[HostTensor], args: &Args) -> Result<Vec<HostTensor>> {
    let bias = |a: &[HostTensor]| a.get(2).map(|_| arg(a, 2)).transpose();
    match host(a, 0)?.shape.len() {
        3 => {
            let geo = geometry::<1>(args)?;
            check_transposed(a, &geo)?;
            one(conv_transpose1d(arg(a, 0)?, arg(a, 1)?, bias(a)?, geo))
        }
        4 => {
            let geo = geometry::<2>(args)?;
            check_transposed(a, &geo)?;
            one(conv_transpose2d(arg(a, 0)?, arg(a, 1)?, bias(a)?, geo))
        }
        5 => {
            let geo = geometry::<3>(args)?;
            check_transposed(a, &geo)?;
            conv3d_reference(a, &geo, Direction::Transposed)
        }
        r => Err(TaskError::Shape(format!(
            "a transposed convolution's input must have rank 3, 4 or 5, has {r}"
        ))),
    }
}

/// A depthwise `nn.Conv2d(C, C, k, groups=C)` with the declared `stride`, `padding` and
/// `dilation` (weight: argument 1, `[C, 1, kh, kw]`), then a pointwise `nn.Conv2d(C, O, 1)`
/// (weight: argument 2, `[O, C, 1, 1]`); no biases.
fn depthwise_separable_reference(a: &[HostTensor], args: &Args) -> Result<Vec<HostTensor>> {
    let mut geo = geometry::<2>(args)?;
    let channels = host(a, 0)?.shape.get(1).copied().unwrap_or(0);
    geo.groups = channels.max(1);
    check_conv(&a[..2.min(a.len())], &geo)?;
    let pointwise = &host(a, 2)?.shape;
    if pointwise.len() != 4 || pointwise[1] != channels || pointwise[2..] != [1, 1] {
        return Err(TaskError::Shape(format!(
            "the pointwise weight must be [out, {channels}, 1, 1], is {pointwise:?}"
        )));
    }
    let depthwise = Conv2d {
        stride: geo.stride,
        padding: geo.padding,
        dilation: geo.dilation,
        groups: geo.groups,
    };
    let y = conv2d(arg(a, 0)?, arg(a, 1)?, None, depthwise);
    one(conv2d(y, arg(a, 2)?, None, Conv2d::default()))
}

/// A 3-d convolution in `direction` by [`conv3d_direct`], on arguments already checked
/// against `geo`.
fn conv3d_reference(
    a: &[HostTensor],
    geo: &ConvGeometry<3>,
    direction: Direction,
) -> Result<Vec<HostTensor>> {
    let (x, w) = shapes::<3>(a)?;
    let shape5 = |s: &[usize]| -> Result<[usize; 5]> {
        s.try_into()
            .map_err(|_| TaskError::Shape(format!("a 3-d convolution needs rank 5, has {s:?}")))
    };
    let ops = Conv3dOperands {
        input: host(a, 0)?.as_f32("the input")?,
        input_shape: shape5(x)?,
        weight: host(a, 1)?.as_f32("the weight")?,
        weight_shape: shape5(w)?,
        bias: a.get(2).map(|b| b.as_f32("the bias")).transpose()?,
    };
    let (values, shape) = conv3d_direct(&ops, geo, direction);
    Ok(vec![HostTensor::f32(shape.to_vec(), values)?])
}
