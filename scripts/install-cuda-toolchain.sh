#!/usr/bin/env bash
# Installs a complete nvcc from PyPI into .venv-cuda (about 514 MB, no GPU and no CUDA
# install needed): nvidia-cuda-nvcc 13.x with the runtime, crt and cccl headers. kbench
# finds `.venv-cuda/.../nvidia/cu13/bin/nvcc` by itself when no other nvcc is named
# (`--nvcc`, `KBENCH_NVCC`, `PATH`, `CUDA_HOME` come first).
set -euo pipefail
cd "$(dirname "$0")/.."
venv=.venv-cuda
if "$venv"/bin/python -c "import nvidia" >/dev/null 2>&1 && ls "$venv"/lib/python3*/site-packages/nvidia/cu13/bin/nvcc >/dev/null 2>&1; then
  echo "nvcc already installed in $venv"
  exit 0
fi
echo "installing nvcc 13 from PyPI into $venv (about 514 MB)"
python3 -m venv "$venv"
"$venv"/bin/pip install --quiet --disable-pip-version-check \
  "nvidia-cuda-nvcc>=13,<14" "nvidia-cuda-runtime>=13,<14" "nvidia-cuda-crt>=13,<14" "nvidia-cuda-cccl>=13,<14"
ls "$venv"/lib/python3*/site-packages/nvidia/cu13/bin/nvcc
