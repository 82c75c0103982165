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
];

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
