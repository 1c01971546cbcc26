#!/usr/bin/env bash
# Benchmark (issue 25): how late each scheduled send leaves (send_lag) and what an echo costs the tool, with steady
# clients ramped up the way a user would (one 64-byte message per second each, `rampUp`), against the reference
# target in its own process. Nothing else runs in the tool's process (no heap probe: its forced full GC would stall
# every send for ~100 ms). Prints send_lag over the whole run and second by second, and the tool's and the target's CPU
# and the tool's context switches over 20 s of the steady part; appends them to docs/benchmarks.md unless --no-write.
# Extra arguments after the options are environment settings for the tool's process (NAME=VALUE), for A/B runs.
#   bench/send-lag.sh [--clients 10000] [--seconds 40] [--ramp 10] [--runs 1] [--no-write] [NAME=VALUE ...]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
clients=10000; seconds=40; ramp=10; runs=1; write=1; settings=()
while [ $# -gt 0 ]; do
  case "$1" in
    --clients) clients=$2; shift 2 ;;
    --seconds) seconds=$2; shift 2 ;;
    --ramp) ramp=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    --no-write) write=0; shift ;;
    *=*) settings+=("$1"); shift ;;
    *) echo "usage: bench/send-lag.sh [--clients N] [--seconds S] [--ramp S] [--runs K] [--no-write] [NAME=VALUE ...]" >&2; exit 2 ;;
  esac
done
if [ "$seconds" -lt $((ramp + 30)) ]; then echo "--seconds must be at least --ramp + 30 (the steady sample starts 8 s after the ramp and lasts 20 s)" >&2; exit 2; fi
work="$(mktemp -d)"
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
cd "$root"
./simcluster version >/dev/null   # build once, outside the measurement

ticks() { awk '{print $14+$15}' "/proc/$1/stat"; }
switches() { cat /proc/"$1"/task/*/status 2>/dev/null | awk '/ctxt_switches/ {s+=$2} END {print s}'; }
hz=$(getconf CLK_TCK)

for run in $(seq "$runs"); do
  ./simcluster target --port 0 > "$work/target.log" 2>&1 &
  target=$!
  for _ in $(seq 300); do grep -qs "listening on" "$work/target.log" && break; sleep 0.1; done
  url=$(grep -o 'ws://[^ ]*' "$work/target.log" | head -1)
  cat > "$work/lag.yaml" <<YAML
name: bench-send-lag
target: $url
clients: $clients
duration: ${seconds}s
rampUp: ${ramp}s
seed: 1
messages: { interval: 1s, size: 64, lossTimeout: 5s }
YAML
  echo "run $run: $clients clients, ${ramp} s ramp-up, ${seconds} s ..." >&2
  env "${settings[@]}" ./simcluster run "$work/lag.yaml" --no-live --out "$work/report-$run" > "$work/run-$run.log" 2>&1 &
  runner=$!
  sleep $((ramp + 8))
  tool=$(pgrep -f "simcluster run $work/lag.yaml" | tail -1)
  a0=$(ticks "$tool"); b0=$(ticks "$target"); c0=$(switches "$tool")
  sleep 20
  a1=$(ticks "$tool"); b1=$(ticks "$target"); c1=$(switches "$tool")
  wait "$runner" || true
  kill "$target" 2>/dev/null || true
  wait "$target" 2>/dev/null || true
  echo "$(( (a1 - a0) * 100 / hz / 20 )) $(( (b1 - b0) * 100 / hz / 20 )) $(( (c1 - c0) / 20 ))" > "$work/steady-$run"
done

python3 - "$work" "$runs" "$clients" "$ramp" "$seconds" "${settings[*]:-}" <<'PY' | tee "$work/result.md"
import json, sys
work, runs, clients, ramp, seconds, settings = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5], sys.argv[6]
print(f"{clients:,} clients, {ramp} s ramp-up, {seconds} s, one 64-byte message per second each"
      + (f", tool settings `{settings}`" if settings else "") + ". Steady columns: 20 s from 8 s after the ramp-up.")
print()
print("| run | send_lag med / p95 / p99 / max | seconds with p99 > 5 ms (of them in the ramp-up) | tool CPU, steady (1 core = 100 %) | µs of tool CPU per echo, steady | target CPU, steady | tool context switches/s | sent / received / lost |")
print("|---|---|---|---|---|---|---|---|")
for run in range(1, runs + 1):
    r = json.load(open(f"{work}/report-{run}/report.json"))
    m = r["metrics"]
    tool_cpu, target_cpu, switches = (int(x) for x in open(f"{work}/steady-{run}").read().split())
    lag = m["send_lag"]
    slow = [p["t"] for p in r["timeline"] if (p["trends"].get("send_lag") or {}).get("p99", 0) > 5]
    in_ramp = sum(1 for t in slow if t <= int(ramp))
    per_echo = tool_cpu * 10_000 / clients  # clients echoes a second: µs of CPU per echo
    print(f"| {run} | {lag['med']} / {lag['p95']} / **{lag['p99']}** / {lag.get('max')} ms | {len(slow)} ({in_ramp}) | {tool_cpu} % | {per_echo:.1f} | {target_cpu} % | "
          f"{switches:,} | {m['messages_sent']['value']:,} / {m['messages_received']['value']:,} / {m['messages_lost']['value']} |")
PY
if [ "$write" = 1 ]; then
  {
    echo ""
    echo "### $(date -u '+%Y-%m-%d %H:%M') UTC run of \`bench/send-lag.sh\`: $(nproc) cores, load average $(cut -d' ' -f1 /proc/loadavg) at the end"
    echo ""
    cat "$work/result.md"
  } >> "$root/docs/benchmarks.md"
  echo "appended to docs/benchmarks.md" >&2
fi
