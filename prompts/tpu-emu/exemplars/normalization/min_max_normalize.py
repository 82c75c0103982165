import jax
import jax.numpy as jnp
from jax.experimental import pallas as pl
from jax.experimental.pallas import tpu as pltpu


def min_max_kernel(x_ref, o_ref):
    # Whole rows in the block: the row reductions stay inside it.
    x = x_ref[...]
    lo = jnp.min(x, axis=1, keepdims=True)
    hi = jnp.max(x, axis=1, keepdims=True)
    o_ref[...] = (x - lo) / (hi - lo)


def kb_forward(x):
    rows, cols = x.shape
    block_rows = 8 if rows % 8 == 0 else rows
    spec = pl.BlockSpec((block_rows, cols), lambda i: (i, 0))
    return pl.pallas_call(
        min_max_kernel,
        out_shape=jax.ShapeDtypeStruct(x.shape, x.dtype),
        grid=(rows // block_rows,),
        in_specs=[spec],
        out_specs=spec,
        compiler_params=pltpu.CompilerParams(dimension_semantics=("parallel",)),
    )(x)
