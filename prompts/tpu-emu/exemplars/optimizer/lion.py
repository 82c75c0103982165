import jax
import jax.numpy as jnp
from jax.experimental import pallas as pl
from jax.experimental.pallas import tpu as pltpu

LR = 1e-2
BETA1 = 0.9
WEIGHT_DECAY = 0.1


def lion_kernel(param_ref, grad_ref, m_ref, o_ref):
    # The same operations in the same order as the reference: sign() is sensitive to it.
    param = param_ref[...]
    c = BETA1 * m_ref[...] + (1 - BETA1) * grad_ref[...]
    o_ref[...] = param - LR * (jnp.sign(c) + WEIGHT_DECAY * param)


def kb_forward(param, grad, m):
    rows, cols = param.shape
    block_rows = 32 if rows % 32 == 0 else rows
    spec = pl.BlockSpec((block_rows, cols), lambda i: (i, 0))
    return pl.pallas_call(
        lion_kernel,
        out_shape=jax.ShapeDtypeStruct(param.shape, param.dtype),
        grid=(rows // block_rows,),
        in_specs=[spec, spec, spec],
        out_specs=spec,
        compiler_params=pltpu.CompilerParams(dimension_semantics=("parallel",)),
    )(param, grad, m)
