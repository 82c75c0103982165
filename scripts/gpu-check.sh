#!/usr/bin/env bash
# The GPU check: one command on a machine with an NVIDIA GPU, its driver and nvcc (no
# Rust toolchain and no network needed: carry a prebuilt kbench and this checkout).
#
#   bash scripts/gpu-check.sh [KBENCH_BINARY]     (default target/release/kbench)
#
# 0. Checks that the CUDA driver works inside the worker's full sandbox; where it does
#    not, finds the protection that breaks it (scripts/gpu-sandbox-diagnose.sh), says so
#    loudly and goes on without it (KBENCH_SANDBOX_RELAX, recorded in every sample).
# 1. Evaluates every bundled cuda solution (speedups over PyTorch eager on the same GPU
#    when a python3 with CUDA torch is found; KBENCH_PYTHON names one).
# 2. Evaluates the cuda fault cases (harness/tests/cuda_faults/): each must get the
#    verdict its first line names, and the run must go on after each.
# Prints both summaries and exits non-zero when a solution is not correct or a fault
# case gets another verdict. Everything is kept in $KBENCH_GPU_CHECK_DIR (default: a
# new temporary folder).
set -uo pipefail
cd "$(dirname "$0")/.."
kb=$(realpath "${1:-target/release/kbench}")
out=${KBENCH_GPU_CHECK_DIR:-$(mktemp -d)}
mkdir -p "$out"
start=$(date +%s)
echo "== GPU check: $("$kb" --version 2>/dev/null), results in $out =="
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>/dev/null || echo "(no nvidia-smi)"

python=""
for p in ${KBENCH_PYTHON:-} .venv/bin/python python3; do
  if "$p" -c "import torch, numpy; assert torch.cuda.is_available()" >/dev/null 2>&1; then
    python=$(command -v "$p" || echo "$p")
    break
  fi
done
if [ -n "$python" ]; then
  baseline=(--pytorch "$python")
  echo "PyTorch eager baseline: $python ($("$python" -c 'import torch; print(torch.__version__)'))"
else
  baseline=(--no-pytorch)
  echo "PyTorch eager baseline: none (no python3 with CUDA torch): speedups stay empty"
fi

echo "== 0. the worker's sandbox on this machine =="
if [ -z "${KBENCH_SANDBOX_RELAX+set}" ]; then
  bash scripts/gpu-sandbox-diagnose.sh "$kb" | tee "$out/sandbox.txt"
  relax=$(sed -n 's/^first passing: \[\(.*\)\]$/\1/p' "$out/sandbox.txt")
  if [ -n "$relax" ]; then
    export KBENCH_SANDBOX_RELAX=$relax
    echo "WARNING: the CUDA driver fails inside the full sandbox here; continuing with KBENCH_SANDBOX_RELAX=$relax (recorded in every sample)"
  fi
fi

echo "== 1. every bundled cuda solution =="
"$kb" evaluate --backend cuda --db "$out/solutions.sqlite" --cache "$out/cache" \
  "${baseline[@]}" --format json > "$out/solutions.jsonl" 2> "$out/solutions.stderr"
echo "kbench exited with $?"
tail -n 3 "$out/solutions.stderr"

echo "== 2. the cuda fault cases =="
cases=(harness/tests/cuda_faults/*.md)
mkdir -p "$out/faults/activation"
for k in "${!cases[@]}"; do
  cp "${cases[$k]}" "$out/faults/activation/relu.$k.md"
done
"$kb" evaluate --backend cuda --db "$out/faults.sqlite" --cache "$out/cache" --no-pytorch \
  --model "replay:$out/faults" --tasks activation/relu --samples "${#cases[@]}" \
  --timeout 15 --format json > "$out/faults.jsonl" 2> "$out/faults.stderr"
echo "kbench exited with $?"

python3 scripts/gpu_check_verdicts.py "$out/solutions.jsonl" "$out/faults.jsonl" "${cases[@]}"
status=$?
echo "== GPU check took $(( $(date +%s) - start )) s (exit $status) =="
exit $status
