//! 3-d convolutions, standard and transposed, on host buffers, as matrix products.
//!
//! burn's convolutions unfold the whole input (`in/groups * prod(kernel)` floats per
//! output element) before one product; at the paper's 3-d sizes that costs more memory
//! than the machine has and more time than the arithmetic (8-105 s per call on a 2-core
//! machine). Here the work is cut into items of bounded size run in parallel, each one
//! product by the `gemm` crate (the GEMM burn uses) on a block of at most
//! [`BLOCK_LIMIT`] floats:
//!
//! - standard: for an image, an output depth and a block of output rows, the group's
//!   weight `[out/groups, in/groups * taps]` times the block's unfolded input, written
//!   straight into the output;
//! - transposed: for an image and a group, for each input depth and block of input rows,
//!   the transposed weight `[out/groups * taps, in/groups]` times the input block gives
//!   every tap's contribution, which is then added into the output rows it lands on.

use super::buffer;
use super::nn::ConvGeometry;
use rayon::prelude::*;

/// Most floats of one work item's block (unfolded input or per-tap contributions): 4 MiB
/// per thread.
const BLOCK_LIMIT: usize = 1 << 20;

/// Which convolution: the weight layout and the direction of the index map.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    /// `F.conv3d`: weight `[out, in/groups, kd, kh, kw]`, output position `o` reads input
    /// `o * stride - padding + k * dilation`.
    Standard,
    /// `F.conv_transpose3d`: weight `[in, out/groups, kd, kh, kw]`, input position `i`
    /// adds into output `i * stride - padding + k * dilation`.
    Transposed,
}

/// A 3-d convolution's operands: input `[n, c, d, h, w]`, weight (layout by
/// [`Direction`]) and the optional per-output-channel bias, all already checked against
/// the geometry by the caller.
#[derive(Clone, Copy, Debug)]
pub struct Conv3dOperands<'a> {
    /// The input values, row-major.
    pub input: &'a [f32],
    /// The input's shape `[n, c, d, h, w]`.
    pub input_shape: [usize; 5],
    /// The weight values, row-major.
    pub weight: &'a [f32],
    /// The weight's shape.
    pub weight_shape: [usize; 5],
    /// One value per output channel, or none.
    pub bias: Option<&'a [f32]>,
}

/// The output shape `[n, c_out, od, oh, ow]` of a convolution in `direction`.
pub fn output_shape(
    ops: &Conv3dOperands,
    geo: &ConvGeometry<3>,
    direction: Direction,
) -> [usize; 5] {
    let (x, w) = (ops.input_shape, ops.weight_shape);
    let mut out = [x[0], 0, 0, 0, 0];
    out[1] = match direction {
        Direction::Standard => w[0],
        Direction::Transposed => w[1] * geo.groups,
    };
    for d in 0..3 {
        let span = geo.dilation[d] * (w[d + 2] - 1);
        out[d + 2] = match direction {
            Direction::Standard => (x[d + 2] + 2 * geo.padding[d] - span - 1) / geo.stride[d] + 1,
            Direction::Transposed => {
                (x[d + 2] - 1) * geo.stride[d] + span + geo.output_padding[d] + 1
                    - 2 * geo.padding[d]
            }
        };
    }
    out
}

/// The convolution of `ops` in `direction` with `geo`: the output values and shape.
pub fn conv3d_direct(
    ops: &Conv3dOperands,
    geo: &ConvGeometry<3>,
    direction: Direction,
) -> (Vec<f32>, [usize; 5]) {
    let out = output_shape(ops, geo, direction);
    let mut y = buffer::zeroed(out.iter().product());
    if y.is_empty() {
        return (y, out);
    }
    if let Some(bias) = ops.bias {
        let per_channel = out[2] * out[3] * out[4];
        for (values, b) in y.chunks_mut(per_channel).zip(bias.iter().cycle()) {
            values.fill(*b);
        }
    }
    match direction {
        Direction::Standard => standard(ops, geo, out, &mut y, BLOCK_LIMIT),
        Direction::Transposed => transposed(ops, geo, out, &mut y, BLOCK_LIMIT),
    }
    (y, out)
}

/// The input coordinate along axis `d` (input length `len`) that output coordinate `o`
/// reads through kernel tap `k` in a standard convolution, if it exists.
fn source(geo: &ConvGeometry<3>, d: usize, o: usize, k: usize, len: usize) -> Option<usize> {
    (o * geo.stride[d] + k * geo.dilation[d])
        .checked_sub(geo.padding[d])
        .filter(|&i| i < len)
}

/// The output coordinate along axis `d` (output length `len`) that input coordinate `i`
/// adds into through kernel tap `k` in a transposed convolution, if it exists.
fn target(geo: &ConvGeometry<3>, d: usize, i: usize, k: usize, len: usize) -> Option<usize> {
    (i * geo.stride[d] + k * geo.dilation[d])
        .checked_sub(geo.padding[d])
        .filter(|&o| o < len)
}

/// `dst[r * dst_row + c] (+)= lhs[r * lhs_row + j * lhs_col] * rhs[j * columns + c]` for
/// `r < m`, `j < k`, `c < columns`: one single-threaded product by the `gemm` crate,
/// added to `dst` when `accumulate`.
///
/// # Safety
/// `dst` must be valid for writes at every index above and no other thread may access
/// those floats during the call; the slices' lengths are checked here.
#[allow(clippy::too_many_arguments)]
unsafe fn product(
    dst: *mut f32,
    dst_row: usize,
    accumulate: bool,
    lhs: &[f32],
    (lhs_row, lhs_col): (usize, usize),
    rhs: &[f32],
    (m, k, columns): (usize, usize, usize),
) {
    assert!(m > 0 && k > 0 && columns > 0);
    assert!(
        (m - 1) * lhs_row + (k - 1) * lhs_col < lhs.len(),
        "lhs out of bounds"
    );
    assert!(k * columns <= rhs.len(), "rhs out of bounds");
    // SAFETY: the operands are in bounds (checked above, `dst` by the caller) and
    // `gemm` reads and writes only the indices described.
    unsafe {
        gemm::gemm(
            m,
            columns,
            k,
            dst,
            1,
            dst_row as isize,
            accumulate,
            lhs.as_ptr(),
            lhs_col as isize,
            lhs_row as isize,
            rhs.as_ptr(),
            1,
            columns as isize,
            1.0,
            1.0,
            false,
            false,
            false,
            gemm::Parallelism::None,
        );
    }
}

/// The output buffer shared by work items that write disjoint parts of it.
#[derive(Clone, Copy)]
struct SharedOutput(*mut f32, usize);

impl SharedOutput {
    /// The float at `at`, checking that `len` floats from there are inside the buffer (a
    /// method, so that closures capture the whole `Sync` value).
    fn at(self, at: usize, len: usize) -> *mut f32 {
        assert!(at + len <= self.1, "a work item reaches past the output");
        self.0.wrapping_add(at)
    }
}

// SAFETY: work items write disjoint floats (see `standard` and `transposed`).
unsafe impl Send for SharedOutput {}
// SAFETY: as above.
unsafe impl Sync for SharedOutput {}

/// The standard direction into `y` (holding zeros or the bias): one item per image,
/// output depth, block of output rows (at most `limit` unfolded floats, one row at least)
/// and group.
fn standard(
    ops: &Conv3dOperands,
    geo: &ConvGeometry<3>,
    out: [usize; 5],
    y: &mut [f32],
    limit: usize,
) {
    let [n, channels, depth, height, width] = out;
    let [_, in_per_group, kd_len, kh_len, kw_len] = ops.weight_shape;
    let taps = in_per_group * kd_len * kh_len * kw_len;
    let out_per_group = channels / geo.groups;
    let rows_per_item = (limit / (taps * width).max(1)).clamp(1, height);
    let blocks = height.div_ceil(rows_per_item);
    let plane = height * width;
    let shared = SharedOutput(y.as_mut_ptr(), y.len());
    let items = n * depth * blocks * geo.groups;
    (0..items)
        .into_par_iter()
        .for_each_init(Vec::new, |unfolded: &mut Vec<f32>, item| {
            let group = item % geo.groups;
            let block = (item / geo.groups) % blocks;
            let od = (item / (geo.groups * blocks)) % depth;
            let image = item / (geo.groups * blocks * depth);
            let first = block * rows_per_item;
            let rows = rows_per_item.min(height - first);
            let columns = rows * width;
            unfolded.clear();
            unfolded.resize(taps * columns, 0.0);
            unfold(ops, geo, [image, group, od, first], [rows, width], unfolded);
            let co = group * out_per_group;
            let at = ((image * channels + co) * depth + od) * plane + first * width;
            let dst = shared.at(at, (out_per_group - 1) * depth * plane + columns);
            // SAFETY: the item writes rows `co..co + out_per_group` (stride `depth * plane`)
            // of `columns` floats at `at`, inside `y` (checked by `at`); items differ in
            // image, depth, row block or group, so no two write the same float.
            unsafe {
                product(
                    dst,
                    depth * plane,
                    true,
                    &ops.weight[co * taps..],
                    (taps, 1),
                    unfolded,
                    (out_per_group, taps, columns),
                );
            }
        });
}

/// Fills `unfolded` (`[in/groups * taps, rows * width]`, zeroed) with the inputs that
/// output rows `first..first + rows` of `[image, group's channels, od]` read; padding
/// stays zero.
fn unfold(
    ops: &Conv3dOperands,
    geo: &ConvGeometry<3>,
    [image, group, od, first]: [usize; 4],
    [rows, width]: [usize; 2],
    unfolded: &mut [f32],
) {
    let [_, in_channels, depth, height, in_width] = ops.input_shape;
    let [_, in_per_group, kd_len, kh_len, kw_len] = ops.weight_shape;
    let mut lines = unfolded.chunks_exact_mut(rows * width);
    for c in 0..in_per_group {
        let ci = group * in_per_group + c;
        for kd in 0..kd_len {
            let id = source(geo, 0, od, kd, depth);
            for kh in 0..kh_len {
                for kw in 0..kw_len {
                    let (Some(line), Some(id)) = (lines.next(), id) else {
                        continue;
                    };
                    for (r, out_row) in line.chunks_exact_mut(width).enumerate() {
                        let Some(ih) = source(geo, 1, first + r, kh, height) else {
                            continue;
                        };
                        let at =
                            (((image * in_channels + ci) * depth + id) * height + ih) * in_width;
                        let input = &ops.input[at..at + in_width];
                        for (ow, v) in out_row.iter_mut().enumerate() {
                            if let Some(iw) = source(geo, 2, ow, kw, in_width) {
                                *v = input[iw];
                            }
                        }
                    }
                }
            }
        }
    }
}

/// The transposed direction into `y` (holding zeros or the bias): one item per image and
/// group, which owns that group's output channels of the image; within it, for each input
/// depth and block of input rows (at most `limit` contribution floats, one row at least),
/// one product gives every output channel's and tap's contribution, then [`scatter`]
/// adds them in.
fn transposed(
    ops: &Conv3dOperands,
    geo: &ConvGeometry<3>,
    out: [usize; 5],
    y: &mut [f32],
    limit: usize,
) {
    let [n, in_channels, depth, height, width] = ops.input_shape;
    let [_, out_per_group, kd_len, kh_len, kw_len] = ops.weight_shape;
    let taps = kd_len * kh_len * kw_len;
    let in_per_group = in_channels / geo.groups;
    let rows_per_block = (limit / (out_per_group * taps * width).max(1)).clamp(1, height);
    let per_image_group = out_per_group * out[2] * out[3] * out[4];
    let shared = SharedOutput(y.as_mut_ptr(), y.len());
    (0..n * geo.groups).into_par_iter().for_each(|item| {
        let (image, group) = (item / geo.groups, item % geo.groups);
        let dst = shared.at(item * per_image_group, per_image_group);
        // SAFETY: `y` is `[n, groups, out/groups, ..]`, so item `image * groups + group`
        // owns the `per_image_group` floats at `item * per_image_group` (checked by
        // `at`), and no other item touches them.
        let owned = unsafe { std::slice::from_raw_parts_mut(dst, per_image_group) };
        let (mut contributions, mut block) = (Vec::new(), Vec::new());
        let weight = &ops.weight[group * in_per_group * out_per_group * taps..];
        for id in 0..depth {
            for first in (0..height).step_by(rows_per_block) {
                let rows = rows_per_block.min(height - first);
                let columns = rows * width;
                contributions.clear();
                contributions.resize(out_per_group * taps * columns, 0.0);
                let at = (((image * in_channels + group * in_per_group) * depth + id) * height
                    + first)
                    * width;
                block.clear();
                for c in 0..in_per_group {
                    let from = at + c * depth * height * width;
                    block.extend_from_slice(&ops.input[from..from + columns]);
                }
                // SAFETY: `contributions` holds `out_per_group * taps` rows of `columns`
                // floats and is this item's own buffer.
                unsafe {
                    product(
                        contributions.as_mut_ptr(),
                        columns,
                        false,
                        weight,
                        (1, out_per_group * taps),
                        &block,
                        (out_per_group * taps, in_per_group, columns),
                    );
                }
                scatter(
                    geo,
                    out,
                    [id, first, rows, width],
                    &contributions,
                    owned,
                    [kd_len, kh_len, kw_len],
                );
            }
        }
    });
}

/// Adds each contribution row (`[out/groups, kd, kh, kw]` by `[rows, width]` of input
/// depth `id`, rows from `first`) into the output rows of `owned` (`[out/groups, od, oh,
/// ow]`) it lands on.
fn scatter(
    geo: &ConvGeometry<3>,
    out: [usize; 5],
    [id, first, rows, width]: [usize; 4],
    contributions: &[f32],
    owned: &mut [f32],
    [kd_len, kh_len, kw_len]: [usize; 3],
) {
    let [_, _, depth, height, out_width] = out;
    let (s, dil, pad) = (geo.stride[2], geo.dilation[2], geo.padding[2]);
    let mut lines = contributions.chunks_exact(rows * width);
    for co in 0..owned.len() / (depth * height * out_width) {
        for kd in 0..kd_len {
            let od = target(geo, 0, id, kd, depth);
            for kh in 0..kh_len {
                for kw in 0..kw_len {
                    let (Some(line), Some(od)) = (lines.next(), od) else {
                        continue;
                    };
                    for (r, values) in line.chunks_exact(width).enumerate() {
                        let Some(oh) = target(geo, 1, first + r, kh, height) else {
                            continue;
                        };
                        let at = ((co * depth + od) * height + oh) * out_width;
                        let row = &mut owned[at..at + out_width];
                        // Input columns iw with 0 <= iw * s + kw * dil - pad < out_width.
                        let shift = kw * dil;
                        let lo = pad.saturating_sub(shift).div_ceil(s);
                        let hi = width.min((out_width + pad).saturating_sub(shift).div_ceil(s));
                        for iw in lo..hi {
                            row[iw * s + shift - pad] += values[iw];
                        }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::{conv_transpose3d, conv3d, load, store};
    use crate::tensor::{HostTensor, numel};

    /// Deterministic values in [-1, 1) for a shape.
    fn values(shape: &[usize], salt: u64) -> HostTensor {
        let mut state = salt.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
        let data = (0..numel(shape))
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                (state % 2000) as f32 / 1000.0 - 1.0
            })
            .collect();
        HostTensor::f32(shape.to_vec(), data).expect("valid shape")
    }

    /// The direct convolution agrees with burn's on one geometry, bias included.
    fn agrees_with_burn(x: [usize; 5], w: [usize; 5], geo: ConvGeometry<3>, direction: Direction) {
        let (input, weight) = (values(&x, 1), values(&w, 2));
        let channels = match direction {
            Direction::Standard => w[0],
            Direction::Transposed => w[1] * geo.groups,
        };
        let bias = values(&[channels], 3);
        let ops = Conv3dOperands {
            input: input.as_f32("x").expect("f32"),
            input_shape: x,
            weight: weight.as_f32("w").expect("f32"),
            weight_shape: w,
            bias: Some(bias.as_f32("b").expect("f32")),
        };
        let (direct, shape) = conv3d_direct(&ops, &geo, direction);
        let mut one_row = vec![0.0; direct.len()];
        let per_channel = shape[2] * shape[3] * shape[4];
        for (values, b) in one_row
            .chunks_mut(per_channel)
            .zip(ops.bias.iter().flat_map(|b| b.iter()).cycle())
        {
            values.fill(*b);
        }
        match direction {
            Direction::Standard => standard(&ops, &geo, shape, &mut one_row, 1),
            Direction::Transposed => transposed(&ops, &geo, shape, &mut one_row, 1),
        }
        for (a, b) in one_row.iter().zip(&direct) {
            assert!(
                (a - b).abs() <= 1e-5 * (1.0 + b.abs()),
                "one row per block: {geo:?}"
            );
        }
        let (xt, wt, bt) = (
            load(&input, "x").expect("x"),
            load(&weight, "w").expect("w"),
            load(&bias, "b").expect("b"),
        );
        let burn = store(match direction {
            Direction::Standard => conv3d(xt, wt, Some(bt), geo),
            Direction::Transposed => conv_transpose3d(xt, wt, Some(bt), geo),
        })
        .expect("store");
        assert_eq!(burn.shape, shape, "{direction:?} {geo:?}");
        let expected = burn.as_f32("burn").expect("f32");
        for (i, (a, b)) in direct.iter().zip(expected).enumerate() {
            assert!(
                (a - b).abs() <= 1e-4 * (1.0 + b.abs()),
                "{direction:?} {geo:?} at {i}: {a} vs {b}"
            );
        }
    }

    fn geometry(
        stride: [usize; 3],
        padding: [usize; 3],
        dilation: [usize; 3],
        output_padding: [usize; 3],
        groups: usize,
    ) -> ConvGeometry<3> {
        ConvGeometry {
            stride,
            padding,
            dilation,
            output_padding,
            groups,
        }
    }

    #[test]
    fn standard_convolutions_agree_with_burn() {
        let plain = geometry([1; 3], [0; 3], [1; 3], [0; 3], 1);
        agrees_with_burn([2, 3, 5, 6, 7], [4, 3, 3, 2, 3], plain, Direction::Standard);
        let strided = geometry([2, 1, 3], [1, 2, 0], [1, 2, 1], [0; 3], 2);
        agrees_with_burn(
            [2, 4, 7, 8, 11],
            [6, 2, 3, 2, 3],
            strided,
            Direction::Standard,
        );
        let padded = geometry([1, 2, 2], [2, 1, 3], [2, 1, 2], [0; 3], 1);
        agrees_with_burn(
            [1, 2, 6, 5, 9],
            [3, 2, 2, 3, 2],
            padded,
            Direction::Standard,
        );
    }

    #[test]
    fn transposed_convolutions_agree_with_burn() {
        let plain = geometry([1; 3], [0; 3], [1; 3], [0; 3], 1);
        agrees_with_burn(
            [2, 3, 4, 5, 6],
            [3, 4, 3, 2, 3],
            plain,
            Direction::Transposed,
        );
        let strided = geometry([2, 3, 2], [1, 2, 3], [1, 1, 1], [1, 2, 1], 2);
        agrees_with_burn(
            [2, 4, 3, 4, 5],
            [4, 3, 3, 5, 7],
            strided,
            Direction::Transposed,
        );
        let dilated = geometry([2, 1, 2], [1, 0, 2], [2, 1, 3], [1, 0, 0], 1);
        agrees_with_burn(
            [1, 2, 4, 3, 5],
            [2, 3, 3, 2, 3],
            dilated,
            Direction::Transposed,
        );
    }
}
