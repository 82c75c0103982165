import jax
import jax.numpy as jnp
from jax.experimental import pallas as pl
from jax.experimental.pallas import tpu as pltpu


def logsumexp_kernel(x_ref, o_ref):
    # The reduced dimension (axis 1) is whole in the block; subtract the max for stability.
    x = x_ref[...]
    m = jnp.max(x, axis=1)
    s = jnp.sum(jnp.exp(x - m[:, None, :]), axis=1)
    o_ref[...] = m + jnp.log(s)


def kb_forward(x):
    b, n, d = x.shape
    block_b = 8 if b % 8 == 0 else b
    block_d = 128 if d % 128 == 0 else d
    return pl.pallas_call(
        logsumexp_kernel,
        out_shape=jax.ShapeDtypeStruct((b, d), x.dtype),
        grid=(b // block_b, d // block_d),
        in_specs=[pl.BlockSpec((block_b, n, block_d), lambda i, j: (i, 0, j))],
        out_specs=pl.BlockSpec((block_b, block_d), lambda i, j: (i, j)),
        compiler_params=pltpu.CompilerParams(dimension_semantics=("parallel", "parallel")),
    )(x)
