"""The tpu-emu worker: runs a Pallas kernel module in JAX's TPU interpret mode on the CPU.

`python -I kbench_tpu_worker.py --check KERNEL.py` checks a kernel module's syntax and
policy without running it (kbench's compile step). Its imports must be JAX, NumPy or a
few pure standard modules, and it may not reach past them: no dunder names, no
`getattr`/`setattr`/`globals`/`eval`/`exec`/`open`/`__import__` and the like. The kernel
shares this process with the cost model; the policy keeps it from rewriting it, and
kbench's roofline flag remains the backstop for an estimate that is too good.

Started by kbench's sandboxed worker process (it inherits that sandbox: no network,
writes confined, killed with its parent) as `python -I kbench_tpu_worker.py KERNEL_DIR`,
it imports JAX once, forces every `pallas_call` into TPU interpret mode with race
detection and out-of-bounds reads raising, imports `KERNEL_DIR/kernel.py`, and answers
one JSON request per line on stdin with one JSON reply per line on its real stdout
(the kernel's own prints go to stderr):

  request: {"inputs": [[path, dtype, shape], ...], "outputs": [[path, dtype, shape], ...]}
  reply:   {"status": 0, "estimate_s": float}
        or {"status": nonzero, "fault": label, "detail": text}

Inputs are read from their files; outputs are written into the existing files in place
(kbench maps them). The estimate comes from the cost model below, computed from the
traced program: each `pallas_call`'s grid, BlockSpecs and kernel body.

Faults: `no_kernel` (kb_forward never called pallas_call), `tpu_race` (the race
detector found one), `tpu_out_of_bounds` (a block or read outside its array),
`tpu_vmem_capacity` (the pipelined blocks and scratch exceed VMEM), `tpu_block_shape`
(a block shape TPU tiling refuses), `wrong_output` (missing, extra, or wrongly shaped
outputs), `exception` (anything else the kernel raised).
"""

import json
import math
import os
import sys
import traceback

# The emulated chip: TPU v5e, one TensorCore per chip. Sources: Google Cloud TPU v5e
# documentation (197 TFLOP/s bf16, 819 GB/s HBM) and JAX's own table of TPU figures
# (jax/_src/pallas/mosaic/tpu_info.py: 128 MiB VMEM, 4 MXUs of 128 x 128, 8 x 128 vregs).
HBM_BYTES_PER_S = 819e9
MXU_BF16_FLOPS = 197e12
# float32 matrix products run as three bf16 passes (JAX's Precision.HIGH, bf16_3x), the
# precision that keeps float32 references within tolerance: an assumption.
MXU_F32_FLOPS = MXU_BF16_FLOPS / 3
# The vector unit: one 8 x 128 float32 operation per cycle on each of 4 VALU slots at
# 1.5 GHz; transcendentals on the EUP at one 8 x 128 vector per cycle. Assumptions: no
# public figure exists.
CLOCK_HZ = 1.5e9
VPU_OPS_PER_S = 8 * 128 * 4 * CLOCK_HZ
EUP_OPS_PER_S = 8 * 128 * CLOCK_HZ
VMEM_BYTES = 128 * 1024 * 1024
# Mosaic's default scoped VMEM limit (Pallas TPU documentation); a kernel raises it
# with CompilerParams(vmem_limit_bytes=...), up to VMEM_BYTES.
DEFAULT_VMEM_LIMIT = 16 * 1024 * 1024
# Grids larger than this are costed as if every block changed on every step.
MAX_WALKED_STEPS = 65536

TRANSCENDENTAL = {
    "exp", "exp2", "log", "log1p", "expm1", "tanh", "logistic", "erf", "erfc", "erf_inv",
    "sin", "cos", "tan", "pow", "sqrt", "rsqrt", "cbrt", "atan2", "asin", "acos", "atan",
    "sinh", "cosh", "asinh", "acosh", "atanh", "lgamma", "digamma",
}
FREE = {
    "broadcast_in_dim", "reshape", "squeeze", "expand_dims", "convert_element_type",
    "get", "swap", "iota", "program_id", "num_programs", "pjit", "closed_call",
    "custom_jvp_call", "custom_vjp_call", "slice", "dynamic_slice", "concatenate",
    "transpose", "copy", "copy_p", "bitcast_convert_type", "squeeze", "rev", "pad",
    "dma_start", "dma_wait", "semaphore_signal", "semaphore_wait", "semaphore_read",
    "run_scoped", "masked_load", "masked_swap", "load", "store",
}


class Fault(Exception):
    """A kernel failure with its stored label."""

    def __init__(self, label, detail):
        super().__init__(detail)
        self.label = label
        self.detail = detail


def real_stdout():
    """The reply channel; the kernel's own prints go to stderr instead."""
    out = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    return out


def force_interpret(pl, pltpu):
    """Every pallas_call runs in TPU interpret mode with race detection, whatever the
    kernel asked for."""
    original = pl.pallas_call
    params = pltpu.InterpretParams(detect_races=True, out_of_bounds_reads="raise")

    def pallas_call(*args, **kwargs):
        kwargs["interpret"] = params
        return original(*args, **kwargs)

    pallas_call.__doc__ = original.__doc__
    pl.pallas_call = pallas_call
    return original


def size(shape):
    return int(math.prod(shape)) if shape else 1


def itemsize(aval):
    return aval.dtype.itemsize


class Work:
    """Counted work of a kernel body, per grid step."""

    def __init__(self):
        self.mxu_f32 = 0.0
        self.mxu_bf16 = 0.0
        self.vpu = 0.0
        self.eup = 0.0
        self.dma_bytes = 0.0

    def add(self, other, times=1.0):
        self.mxu_f32 += other.mxu_f32 * times
        self.mxu_bf16 += other.mxu_bf16 * times
        self.vpu += other.vpu * times
        self.eup += other.eup * times
        self.dma_bytes += other.dma_bytes * times

    def seconds(self):
        matrix = self.mxu_f32 / MXU_F32_FLOPS + self.mxu_bf16 / MXU_BF16_FLOPS
        vector = self.vpu / VPU_OPS_PER_S + self.eup / EUP_OPS_PER_S
        return max(matrix, vector)


def sub_jaxprs(eqn):
    """The jaxprs nested in an equation's parameters."""
    for value in eqn.params.values():
        for v in value if isinstance(value, (tuple, list)) else (value,):
            inner = getattr(v, "jaxpr", None)
            if inner is not None and hasattr(inner, "eqns"):
                yield inner
            elif hasattr(v, "eqns"):
                yield v


def body_work(jaxpr):
    """The work of one run of a kernel body jaxpr (loops by their trip counts; a while
    loop's body counted once; a conditional's costliest branch)."""
    work = Work()
    for eqn in jaxpr.eqns:
        name = eqn.primitive.name
        out = eqn.outvars[0].aval if eqn.outvars else None
        if name == "dot_general":
            (lhs_contract, _), _ = eqn.params["dimension_numbers"]
            lhs = eqn.invars[0].aval
            k = size([lhs.shape[d] for d in lhs_contract])
            flops = 2.0 * size(out.shape) * k
            if lhs.dtype.itemsize >= 4:
                work.mxu_f32 += flops
            else:
                work.mxu_bf16 += flops
        elif name == "scan":
            inner = Work()
            for sub in sub_jaxprs(eqn):
                inner.add(body_work(sub))
            work.add(inner, eqn.params.get("length", 1))
        elif name == "cond":
            branches = [body_work(b.jaxpr) for b in eqn.params["branches"]]
            work.add(max(branches, key=Work.seconds))
        elif name == "dma_start":
            src = eqn.invars[0].aval
            work.dma_bytes += size(getattr(src, "shape", ())) * itemsize(src)
        elif name in TRANSCENDENTAL:
            work.eup += size(out.shape)
        elif any(True for _ in sub_jaxprs(eqn)):
            for sub in sub_jaxprs(eqn):
                work.add(body_work(sub))
        elif name not in FREE and out is not None and hasattr(out, "shape"):
            work.vpu += size(out.shape)
    return work


RESHAPES = {"reshape", "squeeze", "expand_dims", "broadcast_in_dim", "pjit", "closed_call"}


def outside_seconds(jaxpr):
    """Seconds of the work kb_forward does outside its pallas_calls, as XLA would run it
    unfused: each operation reads its operands from HBM and writes its result there, and
    its arithmetic runs on the vector unit. Reshapes are free."""
    seconds = 0.0
    for eqn in jaxpr.eqns:
        name = eqn.primitive.name
        if name == "pallas_call":
            continue
        subs = list(sub_jaxprs(eqn))
        if subs:
            seconds += sum(outside_seconds(sub) for sub in subs)
            continue
        if name in RESHAPES:
            continue
        moved = sum(
            size(v.aval.shape) * itemsize(v.aval)
            for v in list(eqn.invars) + list(eqn.outvars)
            if hasattr(getattr(v, "aval", None), "shape")
        )
        work = Work()
        out = eqn.outvars[0].aval if eqn.outvars else None
        if name == "dot_general" or (out is not None and hasattr(out, "shape")):
            work = body_work(type("J", (), {"eqns": [eqn]})())
        seconds += max(moved / HBM_BYTES_PER_S, work.seconds())
    return seconds


def pallas_calls(jaxpr):
    """Every pallas_call equation in a traced program, nested calls included."""
    for eqn in jaxpr.eqns:
        if eqn.primitive.name == "pallas_call":
            yield eqn
        else:
            for sub in sub_jaxprs(eqn):
                yield from pallas_calls(sub)


def block_bytes(mapping):
    """Bytes of one block of a BlockSpec (squeezed dimensions count once)."""
    block = mapping.transformed_block_aval
    return size(block.shape) * block.dtype.itemsize


def scratch_bytes(aval):
    """VMEM bytes of a scratch operand (semaphores and SMEM scalars take none)."""
    space = str(getattr(aval, "memory_space", "")).upper()
    itemsize_ = getattr(getattr(aval, "dtype", None), "itemsize", None)
    if "VMEM" not in space or itemsize_ is None or not hasattr(aval, "shape"):
        return 0
    return size(aval.shape) * itemsize_


def check_block_shape(mapping):
    """TPU tiling: a block's last dimension is a multiple of 128 lanes and its second to
    last a multiple of the dtype's sublane tiling (8 for 32-bit, 16 for 16-bit, 32 for
    8-bit), unless each equals the array's own dimension (Pallas TPU documentation)."""
    block = tuple(mapping.transformed_block_aval.shape)
    array = tuple(mapping.array_aval.shape)
    if not block or len(array) < len(block):
        return
    sublanes = {4: 8, 2: 16, 1: 32}.get(mapping.array_aval.dtype.itemsize, 8)
    rules = [(block[-1], array[-1], 128)]
    if len(block) >= 2:
        rules.append((block[-2], array[-2], sublanes))
    for b, a, unit in rules:
        if b != a and b % unit != 0:
            raise Fault(
                "tpu_block_shape",
                f"block shape {block} of an array of shape {array}: its last two dimensions "
                f"must be multiples of ({sublanes}, 128) or equal the array's",
            )


def is_pipelined(mapping):
    space = getattr(mapping.transformed_block_aval, "memory_space", None)
    return space is None or "ANY" not in str(space).upper() and "HBM" not in str(space).upper()


def call_estimate(eqn, jax_core):
    """Seconds of one pallas_call on the emulated chip, and its VMEM need in bytes."""
    gm = eqn.params["grid_mapping"]
    grid = tuple(int(g) for g in gm.grid)
    steps = size(grid)
    mappings = [m for m in gm.block_mappings if is_pipelined(m)]
    for m in mappings:
        check_block_shape(m)
    vmem = sum(2 * block_bytes(m) for m in mappings)
    vmem += sum(scratch_bytes(a) for a in gm.scratch_avals)
    work = body_work(eqn.params["jaxpr"])
    compute = work.seconds()
    # Bytes moved at each step: a block is fetched (inputs) or written back (outputs)
    # when its index differs from the previous step's.
    moved = [0.0] * max(steps, 1)
    if steps <= MAX_WALKED_STEPS:
        points = [()] if not grid else list(iter_grid(grid))
        for m in mappings:
            last = None
            nbytes = block_bytes(m)
            for i, point in enumerate(points):
                index = tuple(
                    int(v) for v in jax_core.eval_jaxpr(
                        m.index_map_jaxpr.jaxpr, m.index_map_jaxpr.consts, *point
                    )
                )
                if index != last:
                    moved[i] += nbytes
                    last = index
    else:
        for m in mappings:
            for i in range(steps):
                moved[i] += block_bytes(m)
    seconds = moved[0] / HBM_BYTES_PER_S
    for i in range(len(moved)):
        step_dma = (moved[i] if i > 0 else 0.0) + work.dma_bytes
        seconds += max(compute, step_dma / HBM_BYTES_PER_S)
    limit = DEFAULT_VMEM_LIMIT
    params = eqn.params.get("compiler_params") or {}
    for p in params.values() if isinstance(params, dict) else (params,):
        asked = getattr(p, "vmem_limit_bytes", None)
        if asked:
            limit = min(int(asked), VMEM_BYTES)
    if vmem > limit:
        raise Fault(
            "tpu_vmem_capacity",
            f"the pipelined blocks (double-buffered) and scratch need {vmem} bytes of VMEM; "
            f"the limit is {limit}",
        )
    return seconds


def iter_grid(grid):
    """Grid points in the order TPU pipelining visits them (last dimension fastest)."""
    if not grid:
        yield ()
        return
    head, rest = grid[0], grid[1:]
    for i in range(head):
        for tail in iter_grid(rest):
            yield (i,) + tail


def read_tensor(np, path, dtype, shape):
    return np.fromfile(path, dtype=np.dtype(dtype)).reshape(shape)


def write_tensor(np, path, array, dtype, shape):
    expected = tuple(shape)
    if tuple(array.shape) != expected:
        raise Fault("wrong_output", f"an output has shape {tuple(array.shape)}, expected {expected}")
    if array.dtype != np.dtype(dtype):
        raise Fault("wrong_output", f"an output has dtype {array.dtype}, expected {dtype}")
    with open(path, "r+b") as f:
        f.write(np.ascontiguousarray(array).tobytes())


def classify(error):
    """The fault of an exception the kernel raised while running."""
    text = f"{type(error).__name__}: {error}"
    lowered = text.lower()
    if "out of bounds" in lowered or "out-of-bounds" in lowered:
        return Fault("tpu_out_of_bounds", text)
    if "block shape" in lowered or "divisible" in lowered or "tiling" in lowered:
        return Fault("tpu_block_shape", text)
    return Fault("exception", text)


def serve(kernel_dir, reply):
    import jax
    import jax.numpy as jnp
    import numpy as np
    from jax._src import core as jax_core
    from jax._src.pallas.mosaic.interpret import interpret_pallas_call as interpreter
    from jax.experimental import pallas as pl
    from jax.experimental.pallas import tpu as pltpu

    force_interpret(pl, pltpu)
    sys.path.insert(0, kernel_dir)
    try:
        import kernel  # noqa: the kernel under test
        forward = kernel.kb_forward
    except Exception as e:  # the kernel's import failed: every call says why
        failure = Fault("exception", f"importing the kernel: {type(e).__name__}: {e}")
        forward = None
    reply({"ready": True})
    estimates = {}
    compiled = {}
    for line in sys.stdin:
        request = json.loads(line)
        try:
            if forward is None:
                raise failure
            args = [jnp.asarray(read_tensor(np, *t)) for t in request["inputs"]]
            key = tuple((a.shape, str(a.dtype)) for a in args)
            if key not in estimates:
                traced = jax.make_jaxpr(forward)(*args)
                calls = list(pallas_calls(traced.jaxpr))
                if not calls:
                    raise Fault(
                        "no_kernel",
                        "kb_forward computed its outputs without calling pl.pallas_call",
                    )
                estimates[key] = sum(call_estimate(c, jax_core) for c in calls) + outside_seconds(
                    traced.jaxpr
                )
                # Compiled once per shape: the interpreter's callbacks (and its race
                # detector) still run on every call, at a fraction of the tracing cost.
                compiled[key] = jax.jit(forward)
            try:
                result = compiled[key](*args)
                result = jax.block_until_ready(result)
            except Fault:
                raise
            except Exception as e:
                interpreter_state_reset(pltpu)
                raise classify(e)
            races = getattr(interpreter, "races", None)
            if races is not None and getattr(races, "races_found", False):
                interpreter_state_reset(pltpu)
                raise Fault("tpu_race", "the interpreter's race detector found a data race")
            outputs = result if isinstance(result, (tuple, list)) else (result,)
            if len(outputs) != len(request["outputs"]):
                raise Fault(
                    "wrong_output",
                    f"kb_forward returned {len(outputs)} outputs, expected {len(request['outputs'])}",
                )
            for array, (path, dtype, shape) in zip(outputs, request["outputs"]):
                write_tensor(np, path, np.asarray(array), dtype, shape)
            reply({"status": 0, "estimate_s": estimates[key]})
        except Fault as f:
            reply({"status": 1, "fault": f.label, "detail": f.detail[:2000]})
        except Exception as e:
            f = classify(e)
            reply({"status": 1, "fault": f.label, "detail": f.detail[:2000]})


def interpreter_state_reset(pltpu):
    try:
        pltpu.reset_tpu_interpret_mode_state()
    except Exception:
        traceback.print_exc()


ALLOWED_IMPORTS = {"jax", "numpy", "math", "functools", "typing", "dataclasses", "itertools"}
# Attributes of the allowed modules that reach native code, files or other processes
# (numpy.ctypeslib exposes ctypes itself).
FORBIDDEN_ATTRIBUTES = {
    "ctypeslib", "ctypes", "pythonapi", "load_library", "memmap", "tofile", "fromfile",
    "load", "save", "savez", "savez_compressed", "savetxt", "loadtxt", "genfromtxt",
    "fromregex", "DataSource", "lib", "f2py", "distutils", "testing", "os", "sys",
    "subprocess", "profiler", "tools", "extend", "config",
}
FORBIDDEN_NAMES = {
    "getattr", "setattr", "delattr", "globals", "locals", "vars", "eval", "exec", "compile",
    "open", "__import__", "breakpoint", "input", "memoryview", "object", "type", "super",
}


def policy_violations(source, filename="kernel.py"):
    """What a kernel module does that the policy forbids, as compiler-style lines."""
    import ast

    tree = ast.parse(source, filename)
    found = []

    def say(node, what):
        found.append(f"{filename}:{getattr(node, 'lineno', 0)}: error: tpu-emu policy: {what}")

    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] not in ALLOWED_IMPORTS:
                    say(node, f"`import {alias.name}` (only {', '.join(sorted(ALLOWED_IMPORTS))})")
        elif isinstance(node, ast.ImportFrom):
            if node.level or (node.module or "").split(".")[0] not in ALLOWED_IMPORTS:
                say(node, f"`from {node.module} import` (only {', '.join(sorted(ALLOWED_IMPORTS))})")
        elif isinstance(node, ast.Name) and (node.id in FORBIDDEN_NAMES or node.id.startswith("__")):
            say(node, f"`{node.id}` is not allowed")
        elif isinstance(node, ast.Attribute) and node.attr.startswith("_"):
            say(node, f"`.{node.attr}` (private and dunder attributes are not allowed)")
        elif isinstance(node, ast.Attribute) and node.attr in FORBIDDEN_ATTRIBUTES:
            say(node, f"`.{node.attr}` reaches past the kernel's computation")
        elif isinstance(node, ast.alias) and node.name.split(".")[-1] in FORBIDDEN_ATTRIBUTES:
            say(node, f"importing `{node.name}` reaches past the kernel's computation")
        elif isinstance(node, (ast.Global, ast.Nonlocal)):
            say(node, "`global`/`nonlocal` is not allowed")
        if isinstance(node, ast.Attribute) and not isinstance(node.ctx, ast.Load):
            say(node, f"assigning or deleting `.{node.attr}` is not allowed")
    return found


def check(path):
    """The compile step: exit 0 when the kernel parses and keeps to the policy."""
    with open(path, encoding="utf-8") as f:
        source = f.read()
    try:
        found = policy_violations(source)
    except SyntaxError as e:
        print(f"kernel.py:{e.lineno}: error: SyntaxError: {e.msg}", file=sys.stderr)
        return 1
    for line in found:
        print(line, file=sys.stderr)
    return 1 if found else 0


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "--check":
        sys.exit(check(sys.argv[2]))
    reply_channel = real_stdout()

    def reply(message):
        reply_channel.write(json.dumps(message) + "\n")
        reply_channel.flush()

    serve(sys.argv[1], reply)


if __name__ == "__main__":
    main()
