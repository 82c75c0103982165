#!/usr/bin/env bash
# Which protection of the worker's sandbox breaks the CUDA driver on this machine?
# Evaluates the bundled relu with each protection left out in turn
# (KBENCH_SANDBOX_RELAX, see backends/src/worker/protocol.rs) and prints each outcome
# with the worker's last error line, stopping at the first setting that passes (the
# full sandbox first). Prints `first passing: [<setting>]` at the end.
#
#   bash scripts/gpu-sandbox-diagnose.sh [KBENCH_BINARY]
set -uo pipefail
cd "$(dirname "$0")/.."
kb=$(realpath "${1:-target/release/kbench}")
out=$(mktemp -d)
ls -l /dev/nvidia* 2>/dev/null | head -n 12
first=""
for relax in "" processes user landlock seccomp "processes,user" "processes,user,landlock,seccomp"; do
  db="$out/diag-${relax//,/-}.sqlite"
  KBENCH_SANDBOX_RELAX=$relax "$kb" evaluate --backend cuda --tasks activation/relu --no-pytorch \
    --db "$db" --cache "$out/cache" --min-calls 3 --max-calls 5 --format json >/dev/null 2>"$out/stderr"
  line=$(python3 - "$db" <<'PY'
import sqlite3, sys
row = sqlite3.connect(sys.argv[1]).execute(
    "select outcome, coalesce(fault, ''), coalesce(detail, '') from samples").fetchone()
if row is None:
    print("no sample stored")
else:
    last = [l for l in row[2].splitlines() if l.strip()][-1:] or [""]
    print(row[0], row[1], last[0][:160])
PY
)
  echo "relax=[${relax}] -> $line"
  if [[ $line == correct* ]]; then first="[$relax]"; break; fi
done
echo "first passing: ${first:-none}"
