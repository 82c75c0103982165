import functools

import jax
import jax.numpy as jnp
from jax.experimental import pallas as pl
from jax.experimental.pallas import tpu as pltpu

# Weight (co, c*k) contracted with patches (c*k, length) -> (co, length).
MATMUL_DIMS = (((1,), (0,)), ((), ()))


def conv1d_kernel(x_ref, w_ref, b_ref, o_ref, *, kernel_size, padding):
    x = x_ref[0]  # (c, length)
    channels, length = x.shape
    # Zero padding in VMEM, then im2col: one shifted window per (channel, tap), in the
    # weight's [c, k] order.
    zeros = jnp.zeros((channels, padding), x.dtype)
    padded = jnp.concatenate([zeros, x, zeros], axis=1)
    patches = jnp.stack(
        [padded[c, t:t + length] for c in range(channels) for t in range(kernel_size)], axis=0
    )
    out = jax.lax.dot_general(w_ref[...], patches, MATMUL_DIMS, preferred_element_type=jnp.float32)
    o_ref[0] = (out + b_ref[...]).astype(o_ref.dtype)


def kb_forward(x, weight, bias):
    n, c, length = x.shape
    co, _, k = weight.shape
    # Free reshapes: the weight as a (co, c*k) matrix, the bias as a (co, 1) column.
    w2d = weight.reshape(co, c * k)
    b2d = bias.reshape(co, 1)
    return pl.pallas_call(
        functools.partial(conv1d_kernel, kernel_size=k, padding=1),
        out_shape=jax.ShapeDtypeStruct((n, co, length), x.dtype),
        grid=(n,),
        in_specs=[
            pl.BlockSpec((1, c, length), lambda b: (b, 0, 0)),
            # Weight and bias keep the same block index: loaded once.
            pl.BlockSpec((co, c * k), lambda b: (0, 0)),
            pl.BlockSpec((co, 1), lambda b: (0, 0)),
        ],
        out_specs=pl.BlockSpec((1, co, length), lambda b: (b, 0, 0)),
        compiler_params=pltpu.CompilerParams(dimension_semantics=("parallel",)),
    )(x, w2d, b2d)
