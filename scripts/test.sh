#!/usr/bin/env bash
# The whole test suite on a fresh machine: installs PyTorch into .venv if it is missing
# (the parity check and the PyTorch-baseline test need it; `datasets` for the curated
# set's loading test) and nvcc from PyPI into
# .venv-cuda (the cuda backend's compile tests need it; no GPU), JAX into .venv-jax (the
# tpu-emu backend's tests), Chromium from the system
# packages (the report's browser test needs it), builds everything in release
# mode (the reference ops are ~100x slower in debug), runs `cargo test`, and runs the
# PyTorch parity check on every task and 3 seeds.
set -euo pipefail
cd "$(dirname "$0")/.."
# Each phase prints the seconds spent so far, so that CI's time stays visible.
phase() { echo "(${SECONDS} s so far)"; echo "== $1 =="; }

phase "PyTorch for the parity check"
if ! .venv/bin/python -c "import torch, numpy" >/dev/null 2>&1; then
  echo "installing torch and numpy into .venv (about 90 s, 5 GB)"
  python3 -m venv .venv
  .venv/bin/pip install --quiet --disable-pip-version-check torch numpy
fi
.venv/bin/python -c "import torch; print('torch', torch.__version__, '-', torch.get_num_threads(), 'threads')"

phase "Hugging Face datasets for the curated set's loading test"
if ! .venv/bin/python -c "import datasets" >/dev/null 2>&1; then
  echo "installing datasets into .venv"
  .venv/bin/pip install --quiet --disable-pip-version-check datasets
fi
.venv/bin/python -c "import datasets; print('datasets', datasets.__version__)"

phase "nvcc for the cuda backend's compile tests (no GPU needed)"
bash scripts/install-cuda-toolchain.sh

phase "JAX for the tpu-emu backend's tests"
bash scripts/install-jax.sh

phase "Chromium for the report's browser test"
if ! command -v chromium >/dev/null 2>&1; then
  echo "installing chromium from the system packages"
  (apt-get install -y -q chromium >/dev/null 2>&1) ||
    (apt-get update -q >/dev/null && apt-get install -y -q chromium >/dev/null)
fi
chromium --version

phase "cargo test (release)"
KBENCH_REQUIRE_NVCC=1 KBENCH_REQUIRE_CHROMIUM=1 KBENCH_REQUIRE_DATASETS=1 KBENCH_REQUIRE_JAX=1 cargo test --release --workspace --locked

phase "PyTorch parity (every task and exemplar, seeds 1 2 3)"
cargo build --release --locked --workspace
.venv/bin/python scripts/parity.py --kbench target/release/kbench --seeds 1 2 3 --time-runs 0 --exemplars
echo "(${SECONDS} s in all)"
