#!/usr/bin/env bash
# Cluster failover as the multi-silo tests measure it (issue 24), with their own machinery: a redis-server and
# `simcluster silo` processes started by the tests, the CLI driving a flapping run that saturates this machine
# (BUSY busy loops beside it saturate it further).
#   tests/Silo/RedisClusterTests: three silos, 150 clients; a silo that does not hold the coordinator SIGKILLed
#     10 s in: seconds from the kill until it is declared dead (as the coordinator saw it) and until its clients
#     run again on the survivors; healthy silos declared dead meanwhile (false deaths); the hole's bound.
#   tests/Silo/GracefulDrainTests: three silos, 90 clients; a silo SIGTERMed 8 s in: seconds until its final numbers
#     were in, its clients migrated, and the target's upgrades against the reported connects (they must be equal).
#   tests/Silo/EarlyEndTests: two silos, 40 clients against a target of its own; the run interrupted (SIGINT),
#     then its coordinator's silo SIGKILLed: seconds until the command returned, and whether the target's
#     counters moved in the 6 s after it did (they must not).
#   bench/cluster-failover.sh [RUNS] [BUSY]     (defaults 1 and 0; about 5 minutes per run on a loaded 2-core machine)
# Prints one table row per run and appends the rows to docs/benchmarks.md under "Cluster failover".
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
runs="${1:-1}"
busy_loops="${2:-0}"
work="$(mktemp -d)"
busy=()
cleanup() { for p in "${busy[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT
trap "exit 1" INT TERM
cd "$root"
command -v redis-server >/dev/null || { echo "error: redis-server is not installed" >&2; exit 2; }
dotnet build tests/SimCluster.Tests.csproj -v q -nologo >/dev/null   # once, outside the measurement
header="| date | busy loops | load avg | kill → declared dead | kill → clients running again | false deaths | hole: unreported upgrades (bound) | SIGTERM → final numbers in / clients migrated / target upgrades = connects | SIGINT → load stopped / command returned | coordinator's silo killed → load stopped / command returned | target counters after return |"
rows=()
for run in $(seq "$runs"); do
  for _ in $(seq "$busy_loops"); do ( end=$((SECONDS + 600)); while [ $SECONDS -lt $end ]; do :; done ) & busy+=($!); done
  log="$work/run$run.log"
  set +e
  dotnet test tests/SimCluster.Tests.csproj --no-build --logger "console;verbosity=detailed" \
    --filter "FullyQualifiedName~SimCluster.Tests.Silo.RedisClusterTests|FullyQualifiedName~SimCluster.Tests.Silo.GracefulDrainTests|FullyQualifiedName~SimCluster.Tests.Silo.EarlyEndTests" > "$log" 2>&1
  status=$?
  set -e
  load=$(cut -d' ' -f1 /proc/loadavg)
  for p in "${busy[@]}"; do kill "$p" 2>/dev/null || true; done; busy=()
  kill_line=$(grep -m1 -o "declared dead [0-9.]* s later, its clients re-activated [0-9.]* s after the kill" "$log" || true)
  detect=$(sed -E 's/declared dead ([0-9.]+) s later.*/\1/' <<<"$kill_line")
  react=$(sed -E 's/.*re-activated ([0-9.]+) s after.*/\1/' <<<"$kill_line")
  false_deaths=$(grep -m1 -o "false deaths: [0-9]* of [0-9]*" "$log" | sed 's/false deaths: //' || true)
  hole=$(grep -m1 -o "the target saw [0-9]* upgrades no client reported (bound [0-9]*)" "$log" | sed -E 's/the target saw ([0-9]+) .*bound ([0-9]+)\)/\1 (\2)/' || true)
  drain_line=$(grep -m1 -o "final numbers in [0-9.-]* s later, [0-9]* of [0-9]* clients migrated" "$log" | sed -E 's/final numbers in ([0-9.-]+) s later, ([0-9]+ of [0-9]+) clients migrated/\1 s \/ \2/' || true)
  drain_books=$(grep -m1 -o "target: [0-9]* upgrades, [0-9]* messages in; report: [0-9]* connects" "$log" | sed -E 's/target: ([0-9]+) upgrades.*report: ([0-9]+) connects/\1 = \2/' || true)
  # "last moved X s after it; ... returned Y s": the target's counters' last change, then the command's return
  figures() { grep -m1 -o "$1: the command returned [0-9.]* s after the [a-z]*; the target's counters last moved [0-9.]* s" "$log" \
    | sed -E 's/.*returned ([0-9.]+) s after.*last moved ([0-9.]+) s/\2 s \/ \1 s/' || true; }
  sigint=$(figures SIGINT)
  lost=$(figures "coordinator lost")
  moved="unchanged"
  grep -q "Failed SimCluster.Tests.Silo.EarlyEndTests" "$log" && moved="moved or not measured (test failed)"
  [ -z "$sigint" ] && moved="not measured"
  [ $status -ne 0 ] && echo "note: a test failed (exit $status); the figures it printed are still shown; log: tail of $log below" >&2 && tail -40 "$log" >&2
  rows+=("| $(date -u +%F) | $busy_loops | $load | ${detect:-?} s | ${react:-?} s | ${false_deaths:-?} | ${hole:-?} | ${drain_line:-?} / ${drain_books:-?} | ${sigint:-?} | ${lost:-?} | $moved |")
  echo "run $run: ${rows[-1]}" >&2
done
echo "$header"
echo "|---|---|---|---|---|---|---|---|---|---|---|"
printf '%s\n' "${rows[@]}"
bench="$root/docs/benchmarks.md"
grep -q "^## Cluster failover" "$bench" || cat >> "$bench" <<'MD'

## Cluster failover (`bench/cluster-failover.sh [RUNS]`)

The multi-silo tests' own machinery (redis-server and `simcluster silo` processes started by the tests), with
BUSY busy loops beside them: `tests/Silo/RedisClusterTests` SIGKILLs one of three silos 10 s into a flapping run of
150 clients (settings as shipped); `tests/Silo/GracefulDrainTests` SIGTERMs one of three silos 8 s into a run of
90 clients; `tests/Silo/EarlyEndTests` interrupts a 40-client run on two silos with SIGINT, then kills its
coordinator's silo, and reads the target's own counters when the command returned and 6 s later ("load
stopped": the last change of the target's upgrades, messages in or open connections, polled every 200 ms).
One run per row; each invocation appends its own table.
MD
{ echo; echo "$header"; echo "|---|---|---|---|---|---|---|---|---|---|---|"; printf '%s\n' "${rows[@]}"; } >> "$bench"
