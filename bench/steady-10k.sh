#!/usr/bin/env bash
# Benchmark: N steady clients (default 10,000), one 64-byte echo per second each, for D seconds (default 60),
# against the reference target in its own process on this machine. Samples the tool's RSS, managed heap
# and CPU from /proc, and appends the figures to docs/benchmarks.md.
#   bench/steady-10k.sh [CLIENTS] [DURATION_SECONDS]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
clients="${1:-10000}"
duration="${2:-60}"
work="$(mktemp -d)"
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
cd "$root"
./simcluster version >/dev/null   # build once, outside the measurement

./simcluster target --port 0 > "$work/target.log" 2>&1 &
for _ in $(seq 100); do grep -q "listening on" "$work/target.log" && break; sleep 0.1; done
url=$(grep -o 'ws://[^ ]*' "$work/target.log" | head -1)

cat > "$work/steady.yaml" <<YAML
name: bench-steady
target: $url
clients: $clients
duration: ${duration}s
rampUp: 0s
seed: 1
messages: { interval: 1s, size: 64, lossTimeout: 5s }
thresholds:
  connect_success_ratio: ["value==1"]
YAML

./simcluster run "$work/steady.yaml" --no-live --out "$work/report" > "$work/run.log" 2>&1 &
runner=$!
sleep 1
tool=$(pgrep -n -f "simcluster run $work/steady.yaml" || true)
ticks=$(getconf CLK_TCK)
: > "$work/samples"
start_cpu=""
# Sample every second: elapsed, RSS (kB), CPU ticks (user+system), open connections reported by the target.
t0=$(date +%s.%N)
while kill -0 "$runner" 2>/dev/null; do
  if [ -r "/proc/$tool/stat" ]; then
    read -r -a stat < "/proc/$tool/stat"
    cpu=$(( stat[13] + stat[14] ))
    rss=$(awk '/VmRSS/ {print $2}' "/proc/$tool/status")
    now=$(date +%s.%N)
    echo "$(echo "$now - $t0" | bc) $rss $cpu" >> "$work/samples"
  fi
  sleep 1
done
wait "$runner" || true

report="$work/report/report.json"
python3 - "$report" "$work/samples" "$ticks" "$clients" "$duration" "$work/run.log" <<'PY' | tee "$work/result.md"
import json, sys
report, samples, ticks, clients, duration, log = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), sys.argv[6]
r = json.load(open(report))
rows = [tuple(map(float, l.split())) for l in open(samples) if l.strip()]
m = r["metrics"]
timeline = r["timeline"]
# time to connect all: first second of the timeline at which every client was open
connect_all = next((p["t"] for p in timeline if p["open"] >= clients), None)
# steady window: the middle half of the run
mid = [x for x in rows if duration * 0.25 < x[0] < duration * 0.75]
cpu = (mid[-1][2] - mid[0][2]) / ticks / (mid[-1][0] - mid[0][0]) * 100 if len(mid) > 1 else float("nan")
rss_kb = max(x[1] for x in mid) if mid else float("nan")
rtt = m["message_rtt"]
print(f"| {clients:,} | {connect_all if connect_all is not None else 'never'} s | {rss_kb/1024:.0f} MB | {rss_kb/clients:.1f} KB | {cpu:.0f} % | "
      f"{m['messages_received']['value']/duration:,.0f} | {rtt['med']} / {rtt['p95']} / {rtt['p99']} ms | "
      f"{m['scheduling_delay']['p99']} ms | {m['connect_success_ratio']['value']} | {m['messages_lost']['value']} |")
PY
{
  echo ""
  echo "Run $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, ${clients} steady clients for ${duration} s, target in its own process:"
  echo ""
  echo "| clients | connect all | tool RSS | RSS per client | tool CPU (1 core = 100 %) | echoes/s | RTT med / p95 / p99 | scheduling delay p99 | connect success | lost |"
  echo "|---|---|---|---|---|---|---|---|---|---|"
  cat "$work/result.md"
} >> "$root/docs/benchmarks.md"
echo "appended to docs/benchmarks.md"
