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
const WORK_PER_ITEM: usize = 1 << 17;

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
        Ok(Axis {
            size,
            dilation,
            windows,
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
    let mut out = vec![0.0f32; planes * out_plane];
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
                for wd in &ad.windows {
                    for wh in &ah.windows {
                        for ww in &aw.windows {
                            y[k] = window(xp, [ad, ah, aw], [wd, wh, ww], op, count_include_pad);
                            k += 1;
                        }
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

/// The pooled value of one window of the plane `xp`.
#[inline]
fn window(xp: &[f32], axes: [&Axis; 3], w: [&Window; 3], op: Op, count_include_pad: bool) -> f32 {
    let [ad, ah, aw] = axes;
    let (hw, width) = (ah.size * aw.size, aw.size);
    match op {
        Op::Max => {
            let mut m = f32::NEG_INFINITY;
            for td in 0..w[0].taps {
                let base_d = (w[0].first + td * ad.dilation) * hw;
                for th in 0..w[1].taps {
                    let base = base_d + (w[1].first + th * ah.dilation) * width + w[2].first;
                    for tw in 0..w[2].taps {
                        let v = xp[base + tw * aw.dilation];
                        if v > m || v.is_nan() {
                            m = v;
                        }
                    }
                }
            }
            m
        }
        Op::Avg => {
            let mut sum = 0.0f64;
            for td in 0..w[0].taps {
                let base_d = (w[0].first + td) * hw;
                for th in 0..w[1].taps {
                    let base = base_d + (w[1].first + th) * width + w[2].first;
                    let row: f32 = xp[base..base + w[2].taps].iter().sum();
                    sum += f64::from(row);
                }
            }
            let divisor = if count_include_pad {
                w[0].padded * w[1].padded * w[2].padded
            } else {
                w[0].taps * w[1].taps * w[2].taps
            };
            (sum / divisor.max(1) as f64) as f32
        }
    }
}
