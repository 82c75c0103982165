//! Layer-level ops with PyTorch's conventions.

use burn_tensor::Tensor;
use burn_tensor::module;
use burn_tensor::ops::{
    AvgPoolOptions, ConvOptions, ConvTransposeOptions, InterpolateMode, InterpolateOptions,
    MaxPoolOptions,
};

/// `F.linear(x, weight, bias)`: `x @ weight.T + bias`, with PyTorch's `[out, in]` weight.
pub fn linear(x: Tensor<2>, weight: Tensor<2>, bias: Option<Tensor<1>>) -> Tensor<2> {
    module::linear(x, weight.transpose(), bias)
}

/// Geometry of a 2-D convolution (`nn.Conv2d` arguments).
#[derive(Debug, Clone, Copy)]
pub struct Conv2d {
    /// Stride per spatial axis.
    pub stride: [usize; 2],
    /// Zero padding per spatial axis, both sides.
    pub padding: [usize; 2],
    /// Dilation per spatial axis.
    pub dilation: [usize; 2],
    /// Channel groups.
    pub groups: usize,
}

impl Default for Conv2d {
    fn default() -> Self {
        Conv2d {
            stride: [1, 1],
            padding: [0, 0],
            dilation: [1, 1],
            groups: 1,
        }
    }
}

/// `F.conv2d` with an `[out, in/groups, kh, kw]` weight.
pub fn conv2d(x: Tensor<4>, weight: Tensor<4>, bias: Option<Tensor<1>>, geo: Conv2d) -> Tensor<4> {
    let options = ConvOptions::new(geo.stride, geo.padding, geo.dilation, geo.groups);
    module::conv2d(x, weight, bias, options)
}

/// `F.conv1d` with an `[out, in, k]` weight, stride 1, symmetric zero `padding`.
pub fn conv1d(
    x: Tensor<3>,
    weight: Tensor<3>,
    bias: Option<Tensor<1>>,
    padding: usize,
) -> Tensor<3> {
    module::conv1d(x, weight, bias, ConvOptions::new([1], [padding], [1], 1))
}

/// Geometry of an `N`-d convolution or transposed convolution (PyTorch's `nn.ConvNd` and
/// `nn.ConvTransposeNd` arguments); `output_padding` is used by the transposed ones only.
#[derive(Debug, Clone, Copy)]
pub struct ConvGeometry<const N: usize> {
    /// Stride per spatial axis (non-zero).
    pub stride: [usize; N],
    /// Zero padding per spatial axis, both sides.
    pub padding: [usize; N],
    /// Dilation per spatial axis (non-zero).
    pub dilation: [usize; N],
    /// Extra size added to one side of a transposed convolution's output.
    pub output_padding: [usize; N],
    /// Channel groups (non-zero).
    pub groups: usize,
}

impl<const N: usize> ConvGeometry<N> {
    /// burn's options for a convolution.
    fn conv(self) -> ConvOptions<N> {
        ConvOptions::new(self.stride, self.padding, self.dilation, self.groups)
    }

    /// burn's options for a transposed convolution.
    fn transposed(self) -> ConvTransposeOptions<N> {
        ConvTransposeOptions::new(
            self.stride,
            self.padding,
            self.output_padding,
            self.dilation,
            self.groups,
        )
    }
}

/// `F.conv1d` with an `[out, in/groups, k]` weight and the whole geometry.
pub fn conv1d_general(
    x: Tensor<3>,
    weight: Tensor<3>,
    bias: Option<Tensor<1>>,
    geo: ConvGeometry<1>,
) -> Tensor<3> {
    module::conv1d(x, weight, bias, geo.conv())
}

/// `F.conv3d` with an `[out, in/groups, kd, kh, kw]` weight.
pub fn conv3d(
    x: Tensor<5>,
    weight: Tensor<5>,
    bias: Option<Tensor<1>>,
    geo: ConvGeometry<3>,
) -> Tensor<5> {
    module::conv3d(x, weight, bias, geo.conv())
}

/// `F.conv_transpose1d` with an `[in, out/groups, k]` weight.
pub fn conv_transpose1d(
    x: Tensor<3>,
    weight: Tensor<3>,
    bias: Option<Tensor<1>>,
    geo: ConvGeometry<1>,
) -> Tensor<3> {
    module::conv_transpose1d(x, weight, bias, geo.transposed())
}

/// `F.conv_transpose2d` with an `[in, out/groups, kh, kw]` weight.
pub fn conv_transpose2d(
    x: Tensor<4>,
    weight: Tensor<4>,
    bias: Option<Tensor<1>>,
    geo: ConvGeometry<2>,
) -> Tensor<4> {
    module::conv_transpose2d(x, weight, bias, geo.transposed())
}

/// `F.conv_transpose3d` with an `[in, out/groups, kd, kh, kw]` weight.
pub fn conv_transpose3d(
    x: Tensor<5>,
    weight: Tensor<5>,
    bias: Option<Tensor<1>>,
    geo: ConvGeometry<3>,
) -> Tensor<5> {
    module::conv_transpose3d(x, weight, bias, geo.transposed())
}

/// `F.avg_pool2d(x, k)` with stride `k`, no padding.
pub fn avg_pool2d(x: Tensor<4>, k: usize) -> Tensor<4> {
    module::avg_pool2d(x, AvgPoolOptions::new([k, k]).with_stride([k, k]))
}

/// `F.pixel_shuffle(x, r)`: `[N, C r^2, H, W]` to `[N, C, H r, W r]`.
pub fn pixel_shuffle(x: Tensor<4>, r: usize) -> Tensor<4> {
    let [n, c, h, w] = x.dims();
    let c_out = c / (r * r);
    let x: Tensor<6> = x.reshape([n, c_out, r, r, h, w]);
    x.permute([0, 1, 4, 2, 5, 3])
        .reshape([n, c_out, h * r, w * r])
}

/// `torch.logsumexp(x, dim, keepdim=True)`, shifted by the maximum for stability.
pub fn logsumexp<const D: usize>(x: Tensor<D>, dim: usize) -> Tensor<D> {
    let dims = x.dims();
    let max = x.clone().max_dim(dim);
    let shifted = x - max.clone().expand(dims);
    shifted.exp().sum_dim(dim).log() + max
}

/// Geometry of a 2-D max pooling (`nn.MaxPool2d` arguments, `ceil_mode=False`).
#[derive(Debug, Clone, Copy)]
pub struct MaxPool2d {
    /// Window size.
    pub kernel: [usize; 2],
    /// Stride.
    pub stride: [usize; 2],
    /// Implicit negative-infinity padding.
    pub padding: [usize; 2],
    /// Dilation of the window.
    pub dilation: [usize; 2],
}

/// `F.max_pool2d`.
pub fn max_pool2d(x: Tensor<4>, geo: MaxPool2d) -> Tensor<4> {
    let options = MaxPoolOptions::new(geo.kernel)
        .with_stride(geo.stride)
        .with_padding(geo.padding)
        .with_dilation(geo.dilation);
    module::max_pool2d(x, options)
}

/// `F.interpolate(x, scale_factor=scale, mode='bilinear', align_corners=False)`.
pub fn bilinear_upsample(x: Tensor<4>, scale: usize) -> Tensor<4> {
    let [_, _, h, w] = x.dims();
    let mut options = InterpolateOptions::new(InterpolateMode::Bilinear);
    options.align_corners = false;
    options.output_size = Some([h * scale, w * scale]);
    module::interpolate(x, options)
}

/// `nn.LayerNorm(normalized_shape)` over the last `trailing` dimensions, with weight and
/// bias flattened to the product of those dimensions.
pub fn layer_norm_trailing<const D: usize>(
    x: Tensor<D>,
    trailing: usize,
    weight: Tensor<1>,
    bias: Tensor<1>,
    eps: f64,
) -> Tensor<D> {
    let dims = x.dims();
    let split = D.saturating_sub(trailing);
    let rows: usize = dims[..split].iter().product();
    let cols: usize = dims[split..].iter().product();
    let flat: Tensor<2> = x.reshape([rows, cols]);
    module::layer_norm(flat, weight, Some(bias), eps).reshape(dims)
}
