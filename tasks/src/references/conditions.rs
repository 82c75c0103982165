//! Named input conditions: joint adjustments of generated inputs (near a discontinuity,
//! or to give slices statistics of their own).

use crate::spec::InputCondition;
use crate::tensor::{HostData, HostTensor};
use rayon::prelude::*;

/// Every input condition with its name.
pub(super) const CONDITIONS: &[(&str, InputCondition)] = &[
    (
        "lion_sign_margin",
        InputCondition {
            apply: lion_away_from_sign_jump,
            reason: "where |0.9 m + 0.1 grad| < 1e-3 (about 0.6 % of elements), m is moved so \
                     that it is 1e-3 with the same sign: sign() jumps by 2 lr there, and an FMA \
                     or another summation order would otherwise flip one in a few percent of runs",
        },
    ),
    (
        "slice_scale_shift",
        InputCondition {
            apply: slice_scale_shift,
            reason: "the first input's leading slices (each (sample, channel) of a tensor of \
                     rank 3 or more, each row of a matrix) are scaled by a ~ U(0.5, 2) and \
                     shifted by b ~ U(-1, 1), one draw per slice: with standard normals every \
                     slice has the same statistics, so a normalisation over the wrong \
                     dimensions, or a copy of the input, passed",
        },
    ),
    (
        "symmetric",
        InputCondition {
            apply: symmetrise_matrices,
            reason: "every square matrix R among the inputs becomes (R + R^T) / 2, as the \
                     original get_inputs builds its symmetric matrices",
        },
    ),
    (
        "lower_triangular",
        InputCondition {
            apply: |t| triangular_matrices(t, true),
            reason: "every square matrix among the inputs becomes its lower triangle \
                     (torch.tril), as the original get_inputs builds them",
        },
    ),
    (
        "upper_triangular",
        InputCondition {
            apply: |t| triangular_matrices(t, false),
            reason: "every square matrix among the inputs becomes its upper triangle \
                     (torch.triu), as the original get_inputs builds them",
        },
    ),
    (
        "theta_rotate_30",
        InputCondition {
            apply: |t| fill_theta(t, [0.866, -0.5, 0.0, 0.5, 0.866, 0.0]),
            reason: "the second input, theta [N, 2, 3], is overwritten with the original's \
                     constant 30-degree rotation [[0.866, -0.5, 0], [0.5, 0.866, 0]] per batch",
        },
    ),
    (
        "theta_identity",
        InputCondition {
            apply: |t| fill_theta(t, [1.0, 0.0, 0.0, 0.0, 1.0, 0.0]),
            reason: "the second input, theta [N, 2, 3], is overwritten with the original's \
                     identity [[1, 0, 0], [0, 1, 0]] per batch",
        },
    ),
    (
        "identity_grid_noise",
        InputCondition {
            apply: identity_grid_noise,
            reason: "the second input, a sampling grid [N, H, W, 2], is overwritten with the \
                     identity affine grid (align_corners=False) plus 0.05 N(0, 1) noise drawn \
                     from a stream keyed by the first input's content, as the original \
                     get_inputs builds it",
        },
    ),
];

/// Each square f32 matrix of `tensors` with its side `n`.
fn square_matrices(tensors: &mut [HostTensor]) -> impl Iterator<Item = (usize, &mut Vec<f32>)> {
    tensors
        .iter_mut()
        .filter_map(|t| match (&t.shape[..], &mut t.data) {
            ([r, c], HostData::F32(v)) if r == c && *r > 0 && v.len() == r * c => Some((*r, v)),
            _ => None,
        })
}

/// Every square f32 matrix `R` becomes `(R + R^T) / 2`.
fn symmetrise_matrices(tensors: &mut [HostTensor]) {
    for (n, v) in square_matrices(tensors) {
        let src = v.clone();
        v.par_chunks_mut(n).enumerate().for_each(|(i, row)| {
            for (j, x) in row.iter_mut().enumerate() {
                *x = (src[i * n + j] + src[j * n + i]) * 0.5;
            }
        });
    }
}

/// Every square f32 matrix keeps its lower (`lower`) or upper triangle, diagonal
/// included; the rest becomes zero.
fn triangular_matrices(tensors: &mut [HostTensor], lower: bool) {
    for (n, v) in square_matrices(tensors) {
        v.par_chunks_mut(n).enumerate().for_each(|(i, row)| {
            if lower {
                row[i + 1..].fill(0.0);
            } else {
                row[..i].fill(0.0);
            }
        });
    }
}

/// Lion's pre-sign value is kept at least this far from zero.
const LION_MARGIN: f64 = 1e-3;

/// Inputs param, grad, m of a Lion step: moves `m` where `0.9 m + 0.1 grad` is within
/// [`LION_MARGIN`] of zero.
fn lion_away_from_sign_jump(tensors: &mut [HostTensor]) {
    let [_, grad, m] = tensors else { return };
    let (HostData::F32(grad), HostData::F32(m)) = (&grad.data, &mut m.data) else {
        return;
    };
    for (m, &g) in m.iter_mut().zip(grad.iter()) {
        let c = 0.9 * f64::from(*m) + 0.1 * f64::from(g);
        if c.abs() < LION_MARGIN {
            let target = if c < 0.0 { -LION_MARGIN } else { LION_MARGIN };
            *m = ((target - 0.1 * f64::from(g)) / 0.9) as f32;
        }
    }
}

/// The first tensor's leading slices (over its first two dimensions at rank 3 or more,
/// its first at rank 2) become `a x + b`, with `a ~ U(0.5, 2)` and `b ~ U(-1, 1)` drawn
/// per slice from a stream keyed by the tensor's first element (so by task and seed).
fn slice_scale_shift(tensors: &mut [HostTensor]) {
    let Some(t) = tensors.first_mut() else { return };
    let slices = match t.shape[..] {
        [n, c, _, ..] => n * c,
        [n, _] => n,
        _ => return,
    };
    let HostData::F32(v) = &mut t.data else {
        return;
    };
    if slices == 0 || v.is_empty() || v.len() % slices != 0 {
        return;
    }
    let key = u64::from(v[0].to_bits()) ^ 0x736C_6963_6573_6173;
    let unit = |i: u64| (crate::generator::word(key, i) >> 11) as f64 / (1u64 << 53) as f64;
    let len = v.len() / slices;
    v.par_chunks_mut(len).enumerate().for_each(|(i, slice)| {
        let a = (0.5 + 1.5 * unit(2 * i as u64)) as f32;
        let b = (-1.0 + 2.0 * unit(2 * i as u64 + 1)) as f32;
        for x in slice.iter_mut() {
            *x = *x * a + b;
        }
    });
}

/// The second tensor, a theta `[N, 2, 3]`, becomes `value` in every batch.
fn fill_theta(tensors: &mut [HostTensor], value: [f32; 6]) {
    let Some(t) = tensors.get_mut(1) else { return };
    if !matches!(t.shape[..], [_, 2, 3]) {
        return;
    }
    let HostData::F32(v) = &mut t.data else {
        return;
    };
    for chunk in v.chunks_exact_mut(6) {
        chunk.copy_from_slice(&value);
    }
}

/// The second tensor, a grid `[N, H, W, 2]`, becomes the identity affine grid
/// (`align_corners=False`: `(2 i + 1) / size - 1`) plus `0.05 N(0, 1)` noise (Box-Muller
/// on a stream keyed by the first input's leading elements, so by task, seed and timed
/// call, and the same from the same inputs).
fn identity_grid_noise(tensors: &mut [HostTensor]) {
    let [x, grid, ..] = tensors else { return };
    let HostData::F32(xv) = &x.data else { return };
    let key = xv.iter().take(256).fold(0x6772_6964_6E6F_6973u64, |h, v| {
        crate::generator::word(h ^ u64::from(v.to_bits()), 0)
    });
    let [_, h, w, 2] = grid.shape[..] else { return };
    let HostData::F32(g) = &mut grid.data else {
        return;
    };
    if h == 0 || w == 0 {
        return;
    }
    let unit = |i: u64| ((crate::generator::word(key, i) >> 11) as f64 + 0.5) / (1u64 << 53) as f64;
    g.par_chunks_mut(2).enumerate().for_each(|(p, xy)| {
        let (row, col) = ((p / w) % h, p % w);
        let r = (-2.0 * unit(2 * p as u64).ln()).sqrt();
        let phi = std::f64::consts::TAU * unit(2 * p as u64 + 1);
        let bx = (2 * col + 1) as f64 / w as f64 - 1.0;
        let by = (2 * row + 1) as f64 / h as f64 - 1.0;
        xy[0] = (bx + 0.05 * r * phi.cos()) as f32;
        xy[1] = (by + 0.05 * r * phi.sin()) as f32;
    });
}
