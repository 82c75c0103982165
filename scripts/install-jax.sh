#!/usr/bin/env bash
# Installs JAX (CPU) into .venv-jax for the tpu-emu backend: Pallas kernels run in JAX's
# TPU interpret mode. About 30 s and 620 MB. The environment is built on the system's
# Python (/usr/bin/python3 where it exists): the sandboxed worker runs as an
# unprivileged user that must be able to read the interpreter (a Python under /root
# would be out of its reach).
set -euo pipefail
cd "$(dirname "$0")/.."
JAX_VERSION=0.10.2
if .venv-jax/bin/python -c "import jax, sys; sys.exit(jax.__version__ != '$JAX_VERSION')" >/dev/null 2>&1; then
  echo "jax $JAX_VERSION already in .venv-jax"
  exit 0
fi
base=python3
[ -x /usr/bin/python3 ] && base=/usr/bin/python3
rm -rf .venv-jax
"$base" -m venv .venv-jax
.venv-jax/bin/pip install --quiet --disable-pip-version-check "jax==$JAX_VERSION"
.venv-jax/bin/python -c "import jax; print('jax', jax.__version__, 'in .venv-jax')"
