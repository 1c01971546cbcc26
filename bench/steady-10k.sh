#!/usr/bin/env bash
# Benchmark: steady clients, one 64-byte echo per second each, against the reference target in its own
# process on this machine. Runs at N/2 and N clients (default N = 10,000) for D seconds (default 60) and
# appends a table to docs/benchmarks.md: time to connect all, the tool's RSS and managed heap (totals and
# per-client slope between the two sizes), CPU, GC pauses, echo rate and RTT percentiles.
#   bench/steady-10k.sh [CLIENTS] [DURATION_SECONDS] [DRIVER]   (DRIVER: lean (default) or websocket-client)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
clients="${1:-10000}"
duration="${2:-60}"
driver="${3:-lean}"
work="$(mktemp -d)"
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
cd "$root"
./simcluster version >/dev/null   # build once, outside the measurement

./simcluster target --port 0 > "$work/target.log" 2>&1 &
for _ in $(seq 300); do grep -qs "listening on" "$work/target.log" && break; sleep 0.1; done
url=$(grep -o 'ws://[^ ]*' "$work/target.log" | head -1)

run_size() {
  local n=$1
  cat > "$work/steady-$n.yaml" <<YAML
name: bench-steady-$n
target: $url
clients: $n
duration: ${duration}s
driver: $driver
seed: 1
messages: { interval: 1s, size: 64, lossTimeout: 5s }
YAML
  echo "running $n clients for ${duration}s ..." >&2
  SIMCLUSTER_LIVE_HEAP_PROBE=1 ./simcluster run "$work/steady-$n.yaml" --no-live --out "$work/report-$n" > "$work/run-$n.log" 2>&1 || true
}

half=$((clients / 2))
run_size "$half"
run_size "$clients"

python3 - "$work/report-$half/report.json" "$work/report-$clients/report.json" "$half" "$clients" "$duration" <<'PY' | tee "$work/result.md"
import json, sys
small, large = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
n1, n2, duration = int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
def row(r, n):
    m, tool = r["metrics"], r["tool"]
    connect_all = next((p["t"] for p in r["timeline"] if p["open"] >= n), None)
    rtt = m["message_rtt"]
    return (f"| {n:,} | {connect_all if connect_all is not None else 'never'} s | {tool['peakRssMb']:.0f} MB | {tool['heapMbAtPeak']:.0f} MB | "
            f"{tool['cpuPercent']:.0f} % | {tool['gcPausePercent']:.2f} % | {m['messages_received']['value']/duration:,.0f} | "
            f"{rtt['med']} / {rtt['p95']} / {rtt['p99']} ms | {m['send_lag']['p99']} ms | {m['connect_success_ratio']['value']} | {m['messages_lost']['value']} |")
print("| clients | connect all | tool RSS (peak) | managed heap | tool CPU (1 core = 100 %) | GC pause | echoes/s | RTT med / p95 / p99 | send lag p99 | connect success | lost |")
print("|---|---|---|---|---|---|---|---|---|---|---|")
print(row(small, n1))
print(row(large, n2))
rss = (large["tool"]["peakRssMb"] - small["tool"]["peakRssMb"]) * 1024 / (n2 - n1)
heap = (large["tool"]["heapMbAtPeak"] - small["tool"]["heapMbAtPeak"]) * 1024 / (n2 - n1)
print()
p1, p2 = small["tool"].get("liveHeapProbe") or {}, large["tool"].get("liveHeapProbe") or {}
live = (p2.get("liveHeapMb", 0) - p1.get("liveHeapMb", 0)) * 1024 / (n2 - n1)
rss_gc = (p2.get("rssMbAfterGc", 0) - p1.get("rssMbAfterGc", 0)) * 1024 / (n2 - n1)
print(f"Per client (slope between {n1:,} and {n2:,}): **{rss:.1f} KB peak RSS**, {heap:.1f} KB heap at peak; "
      f"after one forced full GC at 70 % of the run: **{live:.1f} KB live heap**, {rss_gc:.1f} KB RSS (GC mode: {large['tool']['gcMode']}).")
PY
{
  echo ""
  echo "### $(date -u +%Y-%m-%d) run: $(nproc) cores, driver \`$driver\`, steady clients for ${duration} s, target in its own process"
  echo ""
  cat "$work/result.md"
} >> "$root/docs/benchmarks.md"
echo "appended to docs/benchmarks.md"
