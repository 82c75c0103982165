#!/usr/bin/env python3
"""Times a task's PyTorch forward (eager) for `kbench evaluate`'s second baseline.

Usage: pytorch_baseline.py MODEL_PY SETS_DIR PLAN_JSON DEVICE EVICT_BYTES

MODEL_PY is the task's PyTorch source; SETS_DIR holds one folder per trial set with a
manifest.json naming its inputs and parameters: the raw little-endian files the kernels'
workers read (file, dtype, shape), mapped copy-on-write here rather than copied, so a
task's inputs are not held twice more in memory. PLAN_JSON is the timing plan
(warmup, warmup_seconds, min_calls, max_calls, budget_seconds: the same rules as
kbench's run_plan). DEVICE is the torch device (on `cuda`, calls are timed by CUDA
events after a device write of twice the L2, as kbench's cuda worker times kernels). Calls rotate
over the sets as kernels' do. Python cannot evict cache lines, so before each timed call
EVICT_BYTES (twice the call's data, set by kbench) are streamed through the caches: the
cost follows the task, as the kernels' line-by-line eviction does. The budget counts the
whole timed phase, flushes included. Prints one JSON line of stats.
"""

import importlib.util
import json
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import torch


# numpy's spelling of each kbench dtype (bfloat16, which numpy lacks, is read as raw
# 16-bit words and reinterpreted by torch).
RAW_DTYPES = {
    "float32": "<f4",
    "float16": "<f2",
    "bfloat16": "<u2",
    "int64": "<i8",
    "int32": "<i4",
    "bool": "|b1",
}


def load_raw(entry):
    """One tensor of a manifest, mapped copy-on-write from its raw file (a module that
    writes its inputs in place changes only its private pages, never the file)."""
    dtype, shape = RAW_DTYPES[entry["dtype"]], tuple(entry["shape"])
    count = int(np.prod(shape, dtype=np.int64))
    if count == 0:
        array = np.zeros(shape, dtype=dtype)
    else:
        array = np.memmap(entry["file"], dtype=dtype, mode="c", shape=(count,)).reshape(shape)
    tensor = torch.from_numpy(array)
    return tensor.view(torch.bfloat16) if entry["dtype"] == "bfloat16" else tensor


def main():
    model_py, sets_dir, plan = sys.argv[1], Path(sys.argv[2]), json.loads(sys.argv[3])
    device, evict_bytes = torch.device(sys.argv[4]), int(sys.argv[5])
    spec = importlib.util.spec_from_file_location("task_model", model_py)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    runs = []
    for folder in sorted(p for p in sets_dir.iterdir() if p.is_dir()):
        manifest = json.loads((folder / "manifest.json").read_text())
        model = module.Model(*module.get_init_inputs())
        model.load_state_dict({e["name"]: load_raw(e) for e in manifest["params"]}, strict=True)
        model.eval().to(device)
        runs.append((model, [load_raw(e).to(device) for e in manifest["inputs"]]))
    cuda = device.type == "cuda"
    if cuda:
        # On a GPU, as kbench's cuda worker does: a device write of twice the L2 before
        # each timed call, CUDA events around the call on the default stream.
        l2 = torch.cuda.get_device_properties(device).L2_cache_size
        flush = torch.empty(max(2 * l2, 16 << 20) // 4, dtype=torch.int32, device=device)
    else:
        flush = np.zeros(max(evict_bytes // 8, 1))
    sync = torch.cuda.synchronize if cuda else (lambda: None)
    seconds, i = [], 0
    with torch.no_grad():
        cap = plan.get("warmup_seconds")
        warm = time.perf_counter()
        while i < plan["warmup"] and (i == 0 or cap is None or time.perf_counter() - warm < cap):
            model, inputs = runs[i % len(runs)]
            model(*inputs)
            sync()
            i += 1
        phase = time.perf_counter()
        while len(seconds) < plan["min_calls"] or (
            len(seconds) < plan["max_calls"]
            and time.perf_counter() - phase < plan["budget_seconds"]
        ):
            model, inputs = runs[i % len(runs)]
            if cuda:
                flush.zero_()
                begin, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
                begin.record()
                model(*inputs)
                end.record()
                sync()
                seconds.append(begin.elapsed_time(end) * 1e-3)
            else:
                flush += 1.0
                start = time.perf_counter()
                model(*inputs)
                seconds.append(time.perf_counter() - start)
            i += 1
    print(json.dumps({
        "calls": len(seconds),
        "min_s": min(seconds),
        "median_s": statistics.median(seconds),
        "mean_s": statistics.fmean(seconds),
        "stddev_s": statistics.stdev(seconds) if len(seconds) > 1 else 0.0,
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
    }))


if __name__ == "__main__":
    main()
