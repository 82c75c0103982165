//! The reference op library: a thin layer over `burn-tensor` (Flex CPU backend).
//!
//! Task references call only what this module exposes, so that the tensor library can
//! change (its API moves every minor release) without touching the tasks. Functions here
//! follow PyTorch's semantics and argument conventions (weight layouts, defaults), not
//! burn's. `convert` moves tensors between [`HostTensor`](crate::HostTensor) and the
//! library; `nn` holds the layer-level ops.

pub mod buffer;
pub mod conv3d;
mod convert;
pub mod elementwise;
mod nn;

pub use burn_tensor::{Bool, Int, Tensor, activation};
pub use convert::{load, load_bool, load_int, store, store_bool};
pub use nn::{
    Conv2d, ConvGeometry, MaxPool2d, avg_pool2d, bilinear_upsample, conv_transpose1d,
    conv_transpose2d, conv_transpose3d, conv1d, conv1d_general, conv2d, conv3d,
    layer_norm_trailing, linear, logsumexp, max_pool2d, pixel_shuffle,
};
