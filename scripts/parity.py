#!/usr/bin/env python3
"""PyTorch parity check of the Rust references.

For every registered task and every seed: `kbench tasks export` writes the generated
inputs, parameters and Rust reference outputs; this script loads the task's PyTorch
source at the export's size profile (the .py with that profile's sizes), builds `Model(*get_init_inputs())`, loads the
parameters with `load_state_dict(strict=True)`, runs `forward` on the exported inputs and
compares with the Rust outputs at the task's tolerance:
|torch - rust| <= atol + rtol * |torch| elementwise, NaN never passes, shape and dtype
exact. It also checks that the exported inputs have the shapes and dtypes that the
source's `get_inputs()` produces, and times both forwards on the same inputs.

Prints one line per task, the geometric mean and worst five Rust/PyTorch time ratios,
and a closing `N passed, N failed, N skipped` line; exits 1 on any failure. With
`--export-timeout S` a task whose export (generation plus reference) takes longer than
S seconds is skipped with its time printed: the current profile's largest tasks.
"""

import argparse
import importlib.util
import json
import math
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parent.parent
TORCH_DTYPES = {"f32": torch.float32, "i64": torch.int64, "bool": torch.bool}


def load_source(task_id, path):
    """The exported source: the task's .py at the export's size profile."""
    spec = importlib.util.spec_from_file_location(task_id.replace("/", "_"), path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def load_npy(folder, entry, writable=True):
    """The exported array, mapped rather than read: copy-on-write when the model may
    write it (inputs, parameters), read-only otherwise (the Rust outputs), so that a
    current-profile task of 13 GB needs its files' pages only as they are touched."""
    try:
        array = np.load(folder / entry["file"], allow_pickle=False, mmap_mode="c" if writable else "r")
    except ValueError:  # an empty array has nothing to map
        array = np.load(folder / entry["file"], allow_pickle=False)
    with warnings.catch_warnings():
        # A read-only mapping: the tensor is only ever read.
        warnings.simplefilter("ignore", UserWarning)
        tensor = torch.from_numpy(array)
    if tensor.dtype != TORCH_DTYPES[entry["dtype"]]:
        raise ValueError(f"{entry['name']}: file dtype {tensor.dtype}, manifest {entry['dtype']}")
    if list(tensor.shape) != entry["shape"]:
        raise ValueError(f"{entry['name']}: file shape {list(tensor.shape)}, manifest {entry['shape']}")
    return tensor


def check_inputs_match_source(module, manifest):
    """The exported inputs must look like what get_inputs() makes."""
    torch.manual_seed(0)
    expected = module.get_inputs()
    if len(expected) != len(manifest["inputs"]):
        return f"get_inputs() gives {len(expected)} tensors, the task declares {len(manifest['inputs'])}"
    for got, entry in zip(expected, manifest["inputs"]):
        if list(got.shape) != entry["shape"] or got.dtype != TORCH_DTYPES[entry["dtype"]]:
            return (f"input {entry['name']}: get_inputs() gives {list(got.shape)} {got.dtype}, "
                    f"the task declares {entry['shape']} {entry['dtype']}")
    return None


def compare(name, got, ref, atol, rtol):
    """Returns (ok, message, max_abs_err, max_e)."""
    if list(got.shape) != list(ref.shape):
        return False, f"{name}: shape {list(got.shape)} vs reference {list(ref.shape)}", math.inf, math.inf
    if got.dtype != ref.dtype:
        return False, f"{name}: dtype {got.dtype} vs reference {ref.dtype}", math.inf, math.inf
    if got.dtype == torch.bool or got.dtype == torch.int64:
        bad = int((got != ref).sum())
        return bad == 0, f"{name}: {bad} elements differ", float(bad), float(bad)
    # In chunks of 2^24 elements: float64 copies of a 1 GB output would need ~10 GB.
    flat_got, flat_ref = got.reshape(-1), ref.reshape(-1)
    bad, max_abs, max_e, chunk = 0, 0.0, 0.0, 1 << 24
    for start in range(0, flat_got.numel(), chunk):
        g = flat_got[start:start + chunk].double()
        r = flat_ref[start:start + chunk].double()
        diff = (g - r).abs()
        # An infinity accepts only itself (a finite value is within any relative
        # tolerance of an infinity); a NaN never passes.
        ok_elem = torch.where(torch.isfinite(g), diff <= atol + rtol * g.abs(), g == r)
        ok_elem &= ~(torch.isnan(g) | torch.isnan(r))
        bad += int((~ok_elem).sum())
        max_abs = max(max_abs, float(torch.nan_to_num(diff, nan=math.inf).max()))
        max_e = max(max_e, float(torch.nan_to_num(diff / (1 + g.abs()), nan=math.inf).max()))
    msg = f"{name}: {bad} of {flat_got.numel()} elements out of tolerance, max |diff| {max_abs:.3g}"
    return bad == 0, msg, max_abs, max_e


def time_forward(model, inputs, runs):
    with torch.no_grad():
        model(*inputs)
        times = []
        for _ in range(runs):
            start = time.perf_counter()
            model(*inputs)
            times.append(time.perf_counter() - start)
    return statistics.median(times)


def check_task(kbench, task_id, seeds, work, runs, sizes, export_timeout):
    module = None
    worst_e = 0.0
    torch_times, rust_times = [], []
    for seed in seeds:
        folder = work / task_id.replace("/", "__").replace(":", "_") / str(seed)
        subprocess.run([kbench, "tasks", "export", task_id, "--seed", str(seed), "--out", str(folder),
                        "--time-runs", str(runs), "--sizes", sizes], check=True, stdout=subprocess.DEVNULL,
                       timeout=export_timeout)
        manifest = json.loads((folder / "manifest.json").read_text())
        if module is None:
            module = load_source(task_id, folder / manifest["source"])
            problem = check_inputs_match_source(module, manifest)
            if problem:
                return False, problem, worst_e, None
        inputs = [load_npy(folder, e) for e in manifest["inputs"]]
        params = {e["name"]: load_npy(folder, e) for e in manifest["params"]}
        refs = [load_npy(folder, e, writable=False) for e in manifest["outputs"]]
        model = module.Model(*module.get_init_inputs())
        model.load_state_dict(params, strict=True)
        with torch.no_grad():
            out = model(*inputs)
        outs = list(out) if isinstance(out, (tuple, list)) else [out]
        if len(outs) != len(refs):
            return False, f"seed {seed}: {len(outs)} outputs vs {len(refs)} reference outputs", worst_e, None
        tol = manifest["tolerance"]
        for got, ref, entry in zip(outs, refs, manifest["outputs"]):
            ok, msg, _, e = compare(entry["name"], got.contiguous(), ref, tol["atol"], tol["rtol"])
            worst_e = max(worst_e, e)
            if not ok:
                return False, f"seed {seed}: {msg}", worst_e, None
        if runs > 0:
            torch_times.append(time_forward(model, inputs, runs))
            rust_times.append(statistics.median(manifest["reference_seconds"]))
        shutil.rmtree(folder)
    timing = (statistics.median(rust_times), statistics.median(torch_times)) if torch_times else None
    return True, "", worst_e, timing


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kbench", default=str(ROOT / "target" / "release" / "kbench"),
                        help="the kbench binary (default: target/release/kbench)")
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument("--tasks", default="", help="only task ids containing this text")
    parser.add_argument("--time-runs", type=int, default=3, help="timed runs per side and seed (0: no timing)")
    parser.add_argument("--exemplars", action="store_true", help="also check the one-shot exemplars")
    parser.add_argument("--sizes", default="paper", choices=["paper", "current"], help="size profile")
    parser.add_argument("--max-gb", type=float, default=None,
                        help="skip (and report) a task that moves more than this many GB (its min_bytes)")
    parser.add_argument("--min-gb", type=float, default=None,
                        help="only tasks that move at least this many GB (to check the largest on their own)")
    parser.add_argument("--export-timeout", type=float, default=None,
                        help="skip (and report) a task whose export takes longer than this many seconds")
    args = parser.parse_args()

    torch.set_num_threads(torch.get_num_threads())
    listing = subprocess.run([args.kbench, "tasks", "list", "--json", "--sizes", args.sizes], check=True,
                             capture_output=True, text=True)
    rows = [t for t in json.loads(listing.stdout) if args.tasks in t["id"]
            and (args.min_gb is None or t["min_bytes"] >= args.min_gb * 1e9)]
    too_large = [t for t in rows if args.max_gb is not None and t["min_bytes"] > args.max_gb * 1e9]
    ids = [t["id"] for t in rows if t not in too_large]
    if args.exemplars:
        exemplars = subprocess.run([args.kbench, "tasks", "list", "--exemplars", "--json"], check=True,
                                   capture_output=True, text=True)
        ids += [t["id"] for t in json.loads(exemplars.stdout) if args.tasks in t["id"]]
    passed, failed, skipped, ratios = 0, 0, len(too_large), []
    for t in too_large:
        print(f"SKIP {t['id']:<62} moves {t['min_bytes'] / 1e9:.1f} GB, over --max-gb {args.max_gb:g}", flush=True)
    with tempfile.TemporaryDirectory(prefix="kbench-parity-") as tmp:
        for task_id in ids:
            started = time.perf_counter()
            try:
                ok, why, worst_e, timing = check_task(args.kbench, task_id, args.seeds, Path(tmp), args.time_runs,
                                                      args.sizes, args.export_timeout)
            except subprocess.TimeoutExpired:
                skipped += 1
                print(f"SKIP {task_id:<62} export over {args.export_timeout:g} s "
                      f"(stopped after {time.perf_counter() - started:.0f} s)", flush=True)
                continue
            except Exception as exc:  # a crash of one task is that task's failure
                ok, why, worst_e, timing = False, f"{type(exc).__name__}: {exc}", math.inf, None
            if ok:
                passed += 1
                line = f"PASS {task_id:<62} max e {worst_e:.2e}"
                if timing:
                    rust, ref = timing
                    ratios.append((rust / ref, task_id))
                    line += f"  rust {rust * 1e3:9.2f} ms  torch {ref * 1e3:9.2f} ms  rust/torch {rust / ref:6.2f}"
                print(line, flush=True)
            else:
                failed += 1
                print(f"FAIL {task_id:<62} {why}", flush=True)
    if ratios:
        geo = math.exp(sum(math.log(r) for r, _ in ratios) / len(ratios))
        worst = sorted(ratios, reverse=True)[:5]
        print(f"rust/torch time ratio: geometric mean {geo:.2f} over {len(ratios)} tasks; worst: "
              + ", ".join(f"{t} {r:.2f}" for r, t in worst))
    print(f"{passed} passed, {failed} failed, {skipped} skipped ({args.sizes} sizes)")
    return 1 if failed or not ids else 0


if __name__ == "__main__":
    sys.exit(main())
