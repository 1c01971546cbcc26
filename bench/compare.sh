#!/usr/bin/env bash
# Side-by-side benchmark (issue 8): SimCluster beside Tsung 1.7 and Artillery 2.0.34 on the same job and
# the same target, then a flapping handshake storm and an RTT-fidelity check. Installs the peers when they
# are missing (Tsung from Debian's packages, Artillery from npm into .bench-tools/), then runs
# bench/compare.py, which prints the tables and appends them to docs/benchmarks.md.
#   bench/compare.sh [--sizes 5000,15000] [--hold 30] [--tools simcluster:lean,tsung,artillery] [--no-write]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
if ! command -v tsung >/dev/null; then
  echo "installing tsung (apt-get) ..." >&2
  if [ "$(id -u)" = 0 ]; then apt-get install -y tsung >/dev/null; else sudo apt-get install -y tsung >/dev/null; fi
fi
if [ ! -x "$root/.bench-tools/artillery/node_modules/.bin/artillery" ]; then
  echo "installing artillery@2.0.34 (npm) into .bench-tools/artillery ..." >&2
  mkdir -p "$root/.bench-tools/artillery"
  (cd "$root/.bench-tools/artillery" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm install --no-audit --no-fund artillery@2.0.34 >/dev/null 2>&1)
fi
exec python3 "$root/bench/compare.py" "$@"
