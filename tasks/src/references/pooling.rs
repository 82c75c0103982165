//! The pooling category's references: one max and average pooling over 1, 2 or 3
//! spatial dimensions (`nn.MaxPool1d/2d/3d`, `nn.AvgPool1d/2d/3d`), on the host buffers.
//!
//! Arguments (each an integer for every spatial dimension or a list of one per
//! dimension): `kernel` (required), `stride` (default: `kernel`, PyTorch's
//! `stride=None`), `padding` (default 0), `dilation` (default 1, max pooling only); flags
//! `ceil_mode` (default false) and `count_include_pad` (average pooling, default true);
//! `op` is `"max"` or `"avg"`. The input is `[N, C, *spatial]`, the spatial rank is the
//! tensor's rank minus 2.

use super::host;
use crate::declare::schema::Args;
use crate::error::{Result, TaskError};
use crate::spec::ReferenceFn;
use crate::tensor::HostTensor;
use rayon::prelude::*;

pub(super) const REFERENCES: &[(&str, ReferenceFn)] = &[("pool", pool)];

/// The most spatial dimensions a pooling has (3-d pooling).
const MAX_SPATIAL: usize = 3;

/// Window taps per parallel work item: large enough to amortize rayon's scheduling.
const WORK_PER_ITEM: usize = 1 << 15;

/// Which reduction a window takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    /// The largest element (NaN propagates, as in PyTorch).
    Max,
    /// The sum divided by the window's element count.
    Avg,
}

/// The taps of one output position along one axis.
#[derive(Debug, Clone, Copy)]
struct Window {
    /// Input index of the first in-bounds tap.
    first: usize,
    /// Number of in-bounds taps (the `i`-th is at `first + i * dilation`).
    taps: usize,
    /// Extent of the window clipped to the padded input (average pooling's divisor with
    /// `count_include_pad`).
    padded: usize,
}

/// One spatial axis: its input extent, dilation and the window of each output position.
#[derive(Debug, Clone)]
struct Axis {
    /// Input extent.
    size: usize,
    /// Distance between taps.
    dilation: usize,
    /// The window of each output position.
    windows: Vec<Window>,
    /// Output positions whose whole window lies inside the input, and the input index
    /// of each one's first tap: `o * stride - padding`, for `o` in `interior`.
    interior: std::ops::Range<usize>,
    /// Distance between the first taps of neighbouring outputs.
    stride: usize,
    /// Taps per window.
    kernel: usize,
    /// Zero padding before the first element.
    padding: usize,
}

impl Axis {
    /// A trivial axis of extent 1 (pads a 1-d or 2-d pooling to three dimensions).
    fn unit() -> Axis {
        Axis {
            size: 1,
            dilation: 1,
            windows: vec![Window {
                first: 0,
                taps: 1,
                padded: 1,
            }],
            interior: 0..1,
            stride: 1,
            kernel: 1,
            padding: 0,
        }
    }

    /// The axis of extent `size` pooled with the given geometry, as PyTorch's
    /// `pooling_output_shape` and its max/avg pooling kernels define it.
    fn new(
        size: usize,
        kernel: usize,
        stride: usize,
        padding: usize,
        dilation: usize,
        ceil_mode: bool,
    ) -> Result<Axis> {
        if kernel == 0 || stride == 0 || dilation == 0 {
            return Err(TaskError::Argument(format!(
                "pooling kernel {kernel}, stride {stride} and dilation {dilation} must be positive"
            )));
        }
        let span = dilation * (kernel - 1) + 1;
        if padding > span / 2 {
            return Err(TaskError::Argument(format!(
                "pooling padding {padding} is more than half the window {span}"
            )));
        }
        let padded_size = size + 2 * padding;
        if padded_size < span {
            return Err(TaskError::Shape(format!(
                "pooling window {span} is larger than the padded input {padded_size}"
            )));
        }
        let reach = padded_size - span;
        let mut out = if ceil_mode {
            reach.div_ceil(stride) + 1
        } else {
            reach / stride + 1
        };
        // With ceil_mode the last window must start inside the input or its left padding.
        if ceil_mode && (out - 1) * stride >= size + padding {
            out -= 1;
        }
        let windows = (0..out)
            .map(|o| {
                // Positions are counted in the padded input: tap `t` of output `o` is at
                // `o * stride + t * dilation`, in bounds in [padding, padding + size).
                let start = o * stride;
                let first_tap = padding.saturating_sub(start).div_ceil(dilation);
                let end = padding + size;
                let taps = if start + first_tap * dilation >= end {
                    0
                } else {
                    ((end - 1 - (start + first_tap * dilation)) / dilation + 1)
                        .min(kernel.saturating_sub(first_tap))
                };
                let first = (start + first_tap * dilation).saturating_sub(padding);
                let padded = (start + kernel).min(padded_size) - start;
                Window {
                    first,
                    taps,
                    padded,
                }
            })
            .collect();
        let inside = |o: &usize| {
            let start = o * stride;
            start >= padding && start - padding + span <= size
        };
        let lo = (0..out).find(inside).unwrap_or(out);
        let hi = (lo..out).find(|o| !inside(o)).unwrap_or(out);
        Ok(Axis {
            size,
            dilation,
            windows,
            interior: lo..hi,
            stride,
            kernel,
            padding,
        })
    }
}

/// `F.max_pool{1,2,3}d` or `F.avg_pool{1,2,3}d` of the first argument, with the declared
/// geometry (see the module documentation).
fn pool(a: &[HostTensor], args: &Args) -> Result<Vec<HostTensor>> {
    let op = match args.text("op")? {
        "max" => Op::Max,
        "avg" => Op::Avg,
        other => {
            return Err(TaskError::Argument(format!(
                "pooling `op` must be \"max\" or \"avg\", is {other:?}"
            )));
        }
    };
    let t = host(a, 0)?;
    let x = t.as_f32("x")?;
    let rank = t.shape.len();
    if !(3..=2 + MAX_SPATIAL).contains(&rank) {
        return Err(TaskError::Shape(format!(
            "pooling takes [N, C, 1 to 3 spatial dims], got shape {:?}",
            t.shape
        )));
    }
    let spatial = rank - 2;
    let kernel = args.per_dim("kernel", spatial, None)?;
    let stride = args.per_dim("stride", spatial, Some(&kernel))?;
    let padding = args.per_dim("padding", spatial, Some(&vec![0; spatial]))?;
    let dilation = args.per_dim("dilation", spatial, Some(&vec![1; spatial]))?;
    let ceil_mode = args.flag_or("ceil_mode", false)?;
    let count_include_pad = args.flag_or("count_include_pad", true)?;
    if op == Op::Avg && dilation.iter().any(|&d| d != 1) {
        return Err(TaskError::Argument(
            "average pooling has no dilation".to_string(),
        ));
    }
    // Missing leading spatial dimensions become unit axes: one 3-d loop serves all.
    let mut axes: Vec<Axis> = (spatial..MAX_SPATIAL).map(|_| Axis::unit()).collect();
    for d in 0..spatial {
        axes.push(Axis::new(
            t.shape[2 + d],
            kernel[d],
            stride[d],
            padding[d],
            dilation[d],
            ceil_mode,
        )?);
    }
    let [ad, ah, aw] = [&axes[0], &axes[1], &axes[2]];
    let in_plane = ad.size * ah.size * aw.size;
    let (od, oh, ow) = (ad.windows.len(), ah.windows.len(), aw.windows.len());
    let out_plane = od * oh * ow;
    let planes = t.shape[0] * t.shape[1];
    let mut out = crate::ops::buffer::zeroed(planes * out_plane);
    if in_plane > 0 && out_plane > 0 {
        // Work items of at least WORK_PER_ITEM taps: small planes are batched, and a
        // small task runs on one thread instead of paying the pool's wake-ups.
        let taps_per_plane = out_plane * kernel.iter().product::<usize>().max(1);
        let min_planes = WORK_PER_ITEM.div_ceil(taps_per_plane).max(1);
        out.par_chunks_mut(out_plane)
            .zip(x.par_chunks(in_plane))
            .with_min_len(min_planes)
            .for_each(|(y, xp)| {
                let mut k = 0;
                let mut rows = Vec::new();
                // A NaN must propagate, which `f32::max` in the tap-major loop would not.
                let tap_major = op == Op::Max && !xp.iter().any(|v| v.is_nan());
                for wd in &ad.windows {
                    for wh in &ah.windows {
                        // The input rows (along the last axis) the windows of this
                        // (depth, height) position read.
                        rows.clear();
                        for td in 0..wd.taps {
                            let base_d = (wd.first + td * ad.dilation) * ah.size;
                            for th in 0..wh.taps {
                                let r = (base_d + wh.first + th * ah.dilation) * aw.size;
                                rows.push(&xp[r..r + aw.size]);
                            }
                        }
                        let cells = wd.padded * wh.padded;
                        let line = &mut y[k..k + aw.windows.len()];
                        for (o, (ww, out)) in aw.windows.iter().zip(line.iter_mut()).enumerate() {
                            if !(tap_major && aw.interior.contains(&o)) {
                                *out = window(&rows, ww, aw.dilation, op, count_include_pad, cells);
                            }
                        }
                        if tap_major {
                            max_interior(&rows, aw, line);
                        }
                        k += aw.windows.len();
                    }
                }
            });
    }
    let mut shape = t.shape[..2].to_vec();
    shape.extend(
        axes[MAX_SPATIAL - spatial..]
            .iter()
            .map(|a| a.windows.len()),
    );
    Ok(vec![HostTensor::f32(shape, out)?])
}

/// Max pooling of the windows in `axis.interior` (every tap in bounds) into their
/// places in `line`, tap by tap across all of them so that the loop vectorizes. For
/// rows without NaN (`f32::max` drops a NaN; the per-window path propagates it).
fn max_interior(rows: &[&[f32]], axis: &Axis, line: &mut [f32]) {
    let interior = &mut line[axis.interior.clone()];
    if interior.is_empty() {
        return;
    }
    interior.fill(f32::NEG_INFINITY);
    let first = axis.interior.start * axis.stride - axis.padding;
    for row in rows {
        for t in 0..axis.kernel {
            let taps = row[first + t * axis.dilation..].iter().step_by(axis.stride);
            for (m, &v) in interior.iter_mut().zip(taps) {
                *m = m.max(v);
            }
        }
    }
}

/// The pooled value of one window: the taps `ww` (with `dilation`) of each of `rows`;
/// `cells` is the padded window's extent over the other axes (average pooling's divisor
/// with `count_include_pad`).
#[inline]
fn window(
    rows: &[&[f32]],
    ww: &Window,
    dilation: usize,
    op: Op,
    count_include_pad: bool,
    cells: usize,
) -> f32 {
    match op {
        Op::Max => {
            // Branch-free (random data mispredicts a compare-and-branch half the time);
            // a NaN anywhere in the window wins, as in PyTorch.
            let (mut m, mut nan) = (f32::NEG_INFINITY, false);
            for row in rows {
                let start = ww.first.min(row.len());
                for v in row[start..].iter().step_by(dilation).take(ww.taps).copied() {
                    nan |= v.is_nan();
                    m = m.max(v);
                }
            }
            if nan { f32::NAN } else { m }
        }
        Op::Avg => {
            let mut sum = 0.0f64;
            for row in rows {
                let start = ww.first.min(row.len());
                let end = (start + ww.taps).min(row.len());
                sum += f64::from(row[start..end].iter().sum::<f32>());
            }
            let divisor = if count_include_pad {
                cells * ww.padded
            } else {
                rows.len() * ww.taps
            };
            (sum / divisor.max(1) as f64) as f32
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::declare::schema::ArgValue;

    fn max_pool_1d(x: Vec<f32>, kernel: i64, stride: i64, padding: i64, dilation: i64) -> Vec<f32> {
        let n = x.len();
        let args = Args(
            [
                ("op", ArgValue::Text("max".into())),
                ("kernel", ArgValue::Int(kernel)),
                ("stride", ArgValue::Int(stride)),
                ("padding", ArgValue::Int(padding)),
                ("dilation", ArgValue::Int(dilation)),
            ]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect(),
        );
        let input = HostTensor::f32(vec![1, 1, n], x).expect("tensor");
        let out = pool(&[input], &args).expect("pool");
        out[0].as_f32("y").expect("f32").to_vec()
    }

    #[test]
    fn interior_and_border_windows_agree_with_a_direct_loop() {
        let x: Vec<f32> = (0..40)
            .map(|i| ((i * 37 % 23) as f32 - 11.0) * 0.5)
            .collect();
        let (k, s, p, d) = (4usize, 2usize, 2usize, 3usize);
        let got = max_pool_1d(x.clone(), k as i64, s as i64, p as i64, d as i64);
        let span = d * (k - 1) + 1;
        let outputs = (x.len() + 2 * p - span) / s + 1;
        let want: Vec<f32> = (0..outputs)
            .map(|o| {
                (0..k)
                    .filter_map(|t| (o * s + t * d).checked_sub(p).and_then(|i| x.get(i)))
                    .fold(f32::NEG_INFINITY, |m, &v| m.max(v))
            })
            .collect();
        assert_eq!(got, want);
    }

    #[test]
    fn a_nan_in_an_interior_window_propagates() {
        let mut x = vec![1.0f32; 32];
        x[16] = f32::NAN;
        let got = max_pool_1d(x, 3, 1, 1, 1);
        assert!(got[15].is_nan() && got[16].is_nan() && got[17].is_nan());
        assert_eq!(got[10], 1.0);
    }
}
