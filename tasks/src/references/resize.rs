//! The resize category's references: one separable interpolation family
//! (`F.interpolate` in the nearest, linear, cubic and antialiased linear modes, over 1 to
//! 3 spatial dimensions) and one `F.grid_sample` family (bilinear, zero padding,
//! `align_corners=False`, with an explicit grid or an `F.affine_grid` of a theta input).
//! Both work on the host buffers with rayon.

use super::host;
use crate::declare::schema::Args;
use crate::error::{Result, TaskError};
use crate::spec::ReferenceFn;
use crate::tensor::HostTensor;
use rayon::prelude::*;

pub(super) const REFERENCES: &[(&str, ReferenceFn)] = &[
    ("interpolate", interpolate_ref),
    ("grid_sample", grid_sample_ref),
];

/// The source taps of each output position along one dimension: `(index, weight)`.
type Taps = Vec<Vec<(usize, f32)>>;

/// An interpolation mode of `F.interpolate`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// `nearest` (PyTorch's legacy rule: `floor(dst * in / out)`).
    Nearest,
    /// `linear`, `bilinear`, `trilinear`.
    Linear,
    /// `bicubic` (cubic convolution with `A = -0.75`, edge-clamped taps).
    Cubic,
}

impl Mode {
    /// Parses the declared `mode`.
    fn parse(name: &str) -> Result<Mode> {
        match name {
            "nearest" => Ok(Mode::Nearest),
            "linear" | "bilinear" | "trilinear" => Ok(Mode::Linear),
            "bicubic" => Ok(Mode::Cubic),
            other => Err(TaskError::Argument(format!(
                "interpolation mode `{other}` is not supported"
            ))),
        }
    }
}

/// PyTorch's `area_pixel_compute_source_index` scale: `(in - 1) / (out - 1)` with
/// `align_corners`, else `in / out`.
fn source_scale(n_in: usize, n_out: usize, align_corners: bool) -> f64 {
    if align_corners {
        if n_out > 1 {
            (n_in as f64 - 1.0) / (n_out as f64 - 1.0)
        } else {
            0.0
        }
    } else {
        n_in as f64 / n_out as f64
    }
}

/// The source coordinate of output position `dst` (`cubic` leaves it unclamped).
fn source_coord(scale: f64, dst: usize, align_corners: bool, cubic: bool) -> f64 {
    if align_corners {
        scale * dst as f64
    } else {
        let s = scale * (dst as f64 + 0.5) - 0.5;
        if cubic { s } else { s.max(0.0) }
    }
}

/// Nearest taps: `min(floor(dst * in / out), in - 1)`, computed in f32 as PyTorch does.
fn nearest_taps(n_in: usize, n_out: usize) -> Taps {
    let scale = n_in as f32 / n_out as f32;
    (0..n_out)
        .map(|j| {
            let i = ((j as f32 * scale).floor() as usize).min(n_in - 1);
            vec![(i, 1.0)]
        })
        .collect()
}

/// Linear taps: the two neighbours of the source coordinate, the upper one clamped.
fn linear_taps(n_in: usize, n_out: usize, align_corners: bool) -> Taps {
    let scale = source_scale(n_in, n_out, align_corners);
    (0..n_out)
        .map(|j| {
            let real = source_coord(scale, j, align_corners, false);
            let i0 = (real.floor() as usize).min(n_in - 1);
            let i1 = (i0 + 1).min(n_in - 1);
            let l1 = (real - i0 as f64).clamp(0.0, 1.0);
            vec![(i0, (1.0 - l1) as f32), (i1, l1 as f32)]
        })
        .collect()
}

/// Cubic convolution taps (`A = -0.75`) at the four neighbours, indices clamped to the
/// edge.
fn cubic_taps(n_in: usize, n_out: usize, align_corners: bool) -> Taps {
    const A: f64 = -0.75;
    let near = |x: f64| ((A + 2.0) * x - (A + 3.0)) * x * x + 1.0;
    let far = |x: f64| ((A * x - 5.0 * A) * x + 8.0 * A) * x - 4.0 * A;
    let scale = source_scale(n_in, n_out, align_corners);
    let last = n_in as i64 - 1;
    (0..n_out)
        .map(|j| {
            let real = source_coord(scale, j, align_corners, true);
            let base = real.floor();
            let t = real - base;
            let w = [far(t + 1.0), near(t), near(1.0 - t), far(2.0 - t)];
            (0..4)
                .map(|k| {
                    let i = (base as i64 - 1 + k as i64).clamp(0, last) as usize;
                    (i, w[k] as f32)
                })
                .collect()
        })
        .collect()
}

/// Antialiased linear taps (PyTorch's `_upsample_bilinear2d_aa`): a triangle filter
/// widened by the downscaling factor, weights normalised to sum 1.
fn antialias_linear_taps(n_in: usize, n_out: usize) -> Taps {
    let scale = n_in as f64 / n_out as f64;
    let support = if scale >= 1.0 { scale } else { 1.0 };
    let invscale = if scale >= 1.0 { 1.0 / scale } else { 1.0 };
    (0..n_out)
        .map(|j| {
            let center = scale * (j as f64 + 0.5);
            let lo = ((center - support + 0.5) as i64).max(0) as usize;
            let hi = ((center + support + 0.5) as i64).min(n_in as i64).max(0) as usize;
            let w: Vec<f64> = (lo..hi)
                .map(|i| (1.0 - ((i as f64 - center + 0.5) * invscale).abs()).max(0.0))
                .collect();
            let total: f64 = w.iter().sum();
            let norm = if total != 0.0 { total } else { 1.0 };
            (lo..hi)
                .zip(w)
                .map(|(i, w)| (i, (w / norm) as f32))
                .collect()
        })
        .collect()
}

/// Resamples dimension `dim` of the f32 tensor `src` (shape `shape`) with `taps`.
fn resample_dim(src: &[f32], shape: &[usize], dim: usize, taps: &Taps) -> (Vec<f32>, Vec<usize>) {
    let outer: usize = shape[..dim].iter().product();
    let n_in = shape[dim];
    let inner: usize = shape[dim + 1..].iter().product();
    let n_out = taps.len();
    let mut out = crate::ops::buffer::zeroed(outer * n_out * inner);
    out.par_chunks_mut(n_out * inner)
        .enumerate()
        .for_each(|(o, block)| {
            let s = &src[o * n_in * inner..(o + 1) * n_in * inner];
            if inner == 1 {
                for (y, t) in block.iter_mut().zip(taps) {
                    *y = t.iter().map(|&(i, w)| w * s[i]).sum();
                }
            } else {
                for (row, t) in block.chunks_exact_mut(inner).zip(taps) {
                    for &(i, w) in t {
                        let srow = &s[i * inner..(i + 1) * inner];
                        for (y, &x) in row.iter_mut().zip(srow) {
                            *y += w * x;
                        }
                    }
                }
            }
        });
    let mut new_shape = shape.to_vec();
    new_shape[dim] = n_out;
    (out, new_shape)
}

/// `F.interpolate` of an `[N, C, *spatial]` tensor to the `sizes` of its spatial
/// dimensions, one separable pass per dimension (last first).
fn interpolate(
    x: &[f32],
    shape: &[usize],
    sizes: &[usize],
    mode: Mode,
    align_corners: bool,
    antialias: bool,
) -> Result<(Vec<f32>, Vec<usize>)> {
    if shape.len() < 3 || sizes.len() != shape.len() - 2 {
        return Err(TaskError::Shape(format!(
            "interpolate: input of shape {shape:?} does not have {} spatial dimensions",
            sizes.len()
        )));
    }
    if shape.contains(&0) || sizes.contains(&0) {
        return Err(TaskError::Shape(format!(
            "interpolate: empty input {shape:?} or output sizes {sizes:?}"
        )));
    }
    let mut data: Option<Vec<f32>> = None;
    let mut cur = shape.to_vec();
    // The most shrinking dimension first (outer first on ties): a pass over an outer
    // dimension reads only the source rows its taps name, and later passes see less.
    let mut order: Vec<usize> = (0..sizes.len()).collect();
    order.sort_by(|&a, &b| {
        let ra = sizes[a] as f64 / shape[a + 2] as f64;
        let rb = sizes[b] as f64 / shape[b + 2] as f64;
        ra.total_cmp(&rb).then(a.cmp(&b))
    });
    for k in order {
        let n_out = sizes[k];
        let dim = k + 2;
        let n_in = cur[dim];
        let taps = match mode {
            Mode::Nearest => nearest_taps(n_in, n_out),
            Mode::Linear if antialias => antialias_linear_taps(n_in, n_out),
            Mode::Linear => linear_taps(n_in, n_out, align_corners),
            Mode::Cubic => cubic_taps(n_in, n_out, align_corners),
        };
        let (next, next_shape) = resample_dim(data.as_deref().unwrap_or(x), &cur, dim, &taps);
        data = Some(next);
        cur = next_shape;
    }
    Ok((data.unwrap_or_else(|| x.to_vec()), cur))
}

/// `F.interpolate(x, size=... | scale_factor=..., mode, align_corners, antialias)`.
/// Args: `mode`; either `size` (one extent per spatial dimension) or `scale` (an integer
/// factor, one or one per spatial dimension); `align_corners` and `antialias` (default
/// false).
fn interpolate_ref(a: &[HostTensor], args: &Args) -> Result<Vec<HostTensor>> {
    let t = host(a, 0)?;
    let x = t.as_f32("x")?;
    let spatial = t.shape.len().saturating_sub(2);
    let mode = Mode::parse(args.text("mode")?)?;
    let align_corners = args.flag_or("align_corners", false)?;
    let antialias = args.flag_or("antialias", false)?;
    let to_usize = |v: i64| {
        usize::try_from(v)
            .ok()
            .filter(|v| *v > 0)
            .ok_or_else(|| TaskError::Argument(format!("interpolate: size or scale {v}")))
    };
    let sizes: Vec<usize> = if args.0.contains_key("size") {
        args.ints("size")?
            .into_iter()
            .map(to_usize)
            .collect::<Result<_>>()?
    } else {
        let scale = args.ints("scale")?;
        let scale = if scale.len() == 1 {
            vec![scale[0]; spatial]
        } else {
            scale
        };
        if scale.len() != spatial {
            return Err(TaskError::Argument(format!(
                "interpolate: {} scale factors for {spatial} spatial dimensions",
                scale.len()
            )));
        }
        scale
            .into_iter()
            .zip(&t.shape[2..])
            .map(|(s, &n)| to_usize(s).map(|s| s * n))
            .collect::<Result<_>>()?
    };
    let (data, shape) = interpolate(x, &t.shape, &sizes, mode, align_corners, antialias)?;
    Ok(vec![HostTensor::f32(shape, data)?])
}

/// The bilinear taps of one output pixel: four `(flat index, weight)` pairs, corners
/// outside the image with weight zero (zero padding).
type PixelTaps = [(u32, f32); 4];

/// The taps of sampling an `h x w` plane at normalised coordinates `(gx, gy)`
/// (`align_corners=False`), in f32 as PyTorch computes them.
#[inline]
fn bilinear_pixel(gx: f64, gy: f64, h: usize, w: usize) -> PixelTaps {
    let ix = ((gx as f32 + 1.0) * w as f32 - 1.0) * 0.5;
    let iy = ((gy as f32 + 1.0) * h as f32 - 1.0) * 0.5;
    // floor without a libm call: truncate, then step down for negative fractions.
    let floor = |v: f32| {
        let t = v.clamp(-2.0, 1.0e9) as i64;
        if (t as f32) > v { t - 1 } else { t }
    };
    let (x0, y0) = (floor(ix), floor(iy));
    let (fx, fy) = (ix - x0 as f32, iy - y0 as f32);
    let (hi, wi) = (h as i64, w as i64);
    let mut taps = [(0u32, 0.0f32); 4];
    for (k, (dy, dx)) in [(0, 0), (0, 1), (1, 0), (1, 1)].into_iter().enumerate() {
        let (yy, xx) = (y0 + dy, x0 + dx);
        let wy = if dy == 0 { 1.0 - fy } else { fy };
        let wx = if dx == 0 { 1.0 - fx } else { fx };
        if yy >= 0 && xx >= 0 && yy < hi && xx < wi {
            taps[k] = ((yy * wi + xx) as u32, wy * wx);
        }
    }
    taps
}

/// `F.grid_sample(x, grid, mode='bilinear', padding_mode='zeros', align_corners=False)`
/// of `x: [N, C, H, W]` with `grid(n)` giving the `ho * wo` normalised `(x, y)` pairs of
/// batch `n`.
fn grid_sample(
    x: &[f32],
    shape: &[usize],
    ho: usize,
    wo: usize,
    grid: impl Fn(usize, usize) -> (f64, f64) + Sync,
) -> Result<(Vec<f32>, Vec<usize>)> {
    let &[n, c, h, w] = shape else {
        return Err(TaskError::Shape(format!(
            "grid_sample: input of shape {shape:?} is not [N, C, H, W]"
        )));
    };
    if h * w > u32::MAX as usize {
        return Err(TaskError::Shape(format!(
            "grid_sample: plane of {h} x {w} too large"
        )));
    }
    let mut out = crate::ops::buffer::zeroed(n * c * ho * wo);
    if out.is_empty() {
        return Ok((out, vec![n, c, ho, wo]));
    }
    let taps: Vec<PixelTaps> = (0..n * ho * wo)
        .into_par_iter()
        .map(|q| {
            let (gx, gy) = grid(q / (ho * wo), q % (ho * wo));
            bilinear_pixel(gx, gy, h, w)
        })
        .collect();
    out.par_chunks_mut(ho * wo)
        .enumerate()
        .for_each(|(plane, dst)| {
            let b = plane / c;
            let src = &x[plane * h * w..(plane + 1) * h * w];
            let taps = &taps[b * ho * wo..(b + 1) * ho * wo];
            for (y, t) in dst.iter_mut().zip(taps) {
                *y = t.iter().map(|&(i, wt)| wt * src[i as usize]).sum();
            }
        });
    Ok((out, vec![n, c, ho, wo]))
}

/// `F.grid_sample` (bilinear, zero padding, `align_corners=False`). Args: `theta`
/// (default false): the second input is `theta: [N, 2, 3]` and the grid is
/// `F.affine_grid(theta, size, align_corners=False)` at the (upsampled) input's size;
/// otherwise it is the grid `[N, Ho, Wo, 2]` itself. `upsample` (default 1): `x` is first
/// upsampled by this factor with `F.interpolate(mode='bilinear', align_corners=False)`.
fn grid_sample_ref(a: &[HostTensor], args: &Args) -> Result<Vec<HostTensor>> {
    let t = host(a, 0)?;
    let second = host(a, 1)?;
    let g = second.as_f32("grid")?;
    let upsample = args.usize_or("upsample", 1)?;
    let theta = args.flag_or("theta", false)?;
    if t.shape.len() != 4 || upsample == 0 {
        return Err(TaskError::Shape(format!(
            "grid_sample: input of shape {:?} (upsample {upsample})",
            t.shape
        )));
    }
    let (x, shape) = if upsample > 1 {
        let sizes = [t.shape[2] * upsample, t.shape[3] * upsample];
        interpolate(t.as_f32("x")?, &t.shape, &sizes, Mode::Linear, false, false)?
    } else {
        (t.as_f32("x")?.to_vec(), t.shape.clone())
    };
    let n = shape[0];
    let (data, out_shape) = if theta {
        if second.shape != [n, 2, 3] {
            return Err(TaskError::Shape(format!(
                "grid_sample: theta of shape {:?}, expected [{n}, 2, 3]",
                second.shape
            )));
        }
        let (ho, wo) = (shape[2], shape[3]);
        let base = |i: usize, size: usize| (2 * i + 1) as f64 / size as f64 - 1.0;
        grid_sample(&x, &shape, ho, wo, |b, p| {
            let th = &g[b * 6..b * 6 + 6];
            let (bx, by) = (base(p % wo, wo), base(p / wo, ho));
            let f = |k: usize| f64::from(th[k]);
            (f(0) * bx + f(1) * by + f(2), f(3) * bx + f(4) * by + f(5))
        })?
    } else {
        let &[gn, ho, wo, 2] = &second.shape[..] else {
            return Err(TaskError::Shape(format!(
                "grid_sample: grid of shape {:?} is not [N, Ho, Wo, 2]",
                second.shape
            )));
        };
        if gn != n {
            return Err(TaskError::Shape(format!(
                "grid_sample: grid batch {gn}, input batch {n}"
            )));
        }
        grid_sample(&x, &shape, ho, wo, |b, p| {
            let i = (b * ho * wo + p) * 2;
            (f64::from(g[i]), f64::from(g[i + 1]))
        })?
    };
    Ok(vec![HostTensor::f32(out_shape, data)?])
}
