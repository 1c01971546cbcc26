#!/usr/bin/env bash
# Side-by-side benchmark (issues 8 and 25): SimCluster beside Tsung 1.7, Artillery 2.0.34 and the machine's
# limit (bench/limit/limit.c, built here with cc -O2) on the same job and the same target, with tool and target
# sharing the cores and pinned apart (taskset), then a flapping handshake storm and an RTT-fidelity check.
# Installs the peers when they are missing (Tsung from Debian's packages, Artillery from npm into
# .bench-tools/; a peer that cannot be installed gets a "not installed" row), then runs bench/compare.py,
# which prints the tables and appends them to docs/benchmarks.md.
#   bench/compare.sh [--sizes 5000,15000] [--hold 30] [--tools limit,simcluster:lean,tsung,artillery]
#                    [--placements shared,pinned] [--no-write]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
# A peer is installed only when the run asks for it (all of them when --tools is not given).
wants() { case " $* " in *" --tools"*) [[ " ${*:2} " == *"$1"* ]] ;; *) true ;; esac; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
if ! command -v cc >/dev/null; then
  echo "installing gcc (apt-get) for the limit client ..." >&2
  as_root apt-get install -y -qq gcc >/dev/null
fi
mkdir -p "$root/.bench-tools"
cc -O2 -Wall -o "$root/.bench-tools/limit" "$root/bench/limit/limit.c"
if wants tsung "$@" && ! command -v tsung >/dev/null; then
  echo "installing tsung (apt-get) ..." >&2
  as_root apt-get install -y tsung >/dev/null || echo "tsung could not be installed: its rows will say so" >&2
fi
if wants artillery "$@" && [ ! -x "$root/.bench-tools/artillery/node_modules/.bin/artillery" ]; then
  echo "installing artillery@2.0.34 (npm) into .bench-tools/artillery ..." >&2
  mkdir -p "$root/.bench-tools/artillery"
  (cd "$root/.bench-tools/artillery" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm install --no-audit --no-fund artillery@2.0.34 >/dev/null 2>&1) \
    || echo "artillery could not be installed: its rows will say so" >&2
fi
exec python3 "$root/bench/compare.py" "$@"
