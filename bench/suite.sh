#!/usr/bin/env bash
# Benchmark (issue 18): the test suite's own cost. Runs the README's test command on this checkout (built first, so
# the figures are the tests', not the compile's) with a TRX log, while bench/suite.py samples every process's CPU
# twice a second. Prints the wall time, the machine's busy CPU, the CPU by kind of process (CLI runs, silo
# processes, the test host, the Dockerfile publish, Node peers, Chromium), and each test queue's span from the
# TRX; appends them to docs/benchmarks.md. --busy-core pins a busy loop to core 0 beside the suite (a busy machine:
# the suite must pass that way too; its timings are then the busy machine's).
#   bench/suite.sh [--busy-core] [--no-write]
set -uo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
busy=0; write=1
for a in "$@"; do
  case "$a" in
    --busy-core) busy=1 ;;
    --no-write) write=0 ;;
    *) echo "usage: bench/suite.sh [--busy-core] [--no-write]" >&2; exit 2 ;;
  esac
done
work="$(mktemp -d)"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; echo "work folder: $work" >&2; }
trap cleanup EXIT
cd "$root"
dotnet build -c Release tests/SimCluster.Tests.csproj >"$work/build.log" 2>&1 || { cat "$work/build.log" >&2; exit 1; }

if [ "$busy" = 1 ]; then
  taskset -c 0 bash -c 'while :; do :; done' &
  pids+=("$!")
fi
python3 "$root/bench/suite.py" sample "$work/cpu.json" &
sampler=$!
pids+=("$sampler")
dotnet test tests/SimCluster.Tests.csproj --no-build --logger "trx;LogFileName=$work/suite.trx" >"$work/test.log" 2>&1
rc=$?
kill -TERM "$sampler"; wait "$sampler" 2>/dev/null
grep -E "Passed!|Failed!|\[FAIL\]" "$work/test.log"
python3 "$root/bench/suite.py" report "$work/cpu.json" "$work/suite.trx" "$root/tests" "$busy" "$rc" "$write" "$root/docs/benchmarks.md"
exit "$rc"
