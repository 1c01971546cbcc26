#!/usr/bin/env bash
# Soak benchmark (issue 10): N flapping clients (default 2,000) for M minutes (default 30) against the
# embedded reference target. Samples the tool's RSS every 10 s from /proc/PID/status while it runs, reads
# the managed heap series (every 10 s) from report.json's `tool.series` afterwards, prints the growth after
# warm-up (first 20 % of the run, at least 60 s) and appends a table to docs/benchmarks.md.
#   bench/soak.sh [CLIENTS] [MINUTES] [DRIVER]   (DRIVER: websocket-client (default) or lean)
# Pass criterion (the original suite's server standard, applied to the tool): RSS and heap growth after
# warm-up under 15 MB, and the report still accurate (forced_drops == drops the clients performed,
# reconnect success 100 %, no lost messages).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
clients="${1:-2000}"
minutes="${2:-30}"
driver="${3:-websocket-client}"
work="$(mktemp -d)"
keep="$root/simcluster-reports/soak-$(date +%Y%m%d-%H%M%S)"
trap 'kill $(jobs -p) 2>/dev/null || true; mkdir -p "$keep"; cp -r "$work/report" "$work/run.log" "$work/rss.tsv" "$keep/" 2>/dev/null || true; rm -rf "$work"; echo "report kept in $keep" >&2' EXIT
cd "$root"
./simcluster version >/dev/null   # build once, outside the measurement

cat > "$work/soak.yaml" <<YAML
name: bench-soak-$clients
target: embedded
clients: $clients
duration: ${minutes}m
rampUp: 20s
driver: $driver
seed: 10
messages: { interval: 1s, size: 64, lossTimeout: 5s }
reconnect: { policy: exponential, base: 100ms, max: 5s, jitter: full }
population:
  - name: flappers
    share: 100%
    behavior: flapping
    flapping: { up: 2s..5s, down: 100ms..1s, drop: [close, reset, blackhole], cycles: 0 }
YAML

echo "soak: $clients flapping clients for $minutes min (driver $driver) ..." >&2
./simcluster run "$work/soak.yaml" --no-live --out "$work/report" > "$work/run.log" 2>&1 &
pid=$!
: > "$work/rss.tsv"
while kill -0 "$pid" 2>/dev/null; do
  # the CLI is exec'ed by ./simcluster, so $pid is the tool itself
  rss=$(awk '/^VmRSS:/ {print $2}' "/proc/$pid/status" 2>/dev/null || true)
  [ -n "$rss" ] && printf '%s\t%s\n' "$(date +%s)" "$rss" >> "$work/rss.tsv"
  sleep 10
done
set +e; wait "$pid"; code=$?; set -e
echo "run exited with $code" >&2
[ -f "$work/report/report.json" ] || { echo "no report written; run log:" >&2; tail -30 "$work/run.log" >&2; exit 1; }

python3 - "$work/report/report.json" "$work/rss.tsv" "$clients" "$minutes" "$driver" "$code" <<'PY' | tee "$work/result.md"
import json, sys
report = json.load(open(sys.argv[1]))
rss = [(int(a), int(b) / 1024) for a, b in (l.split() for l in open(sys.argv[2]) if l.strip())]
clients, minutes, driver, code = int(sys.argv[3]), float(sys.argv[4]), sys.argv[5], sys.argv[6]
m, tool = report["metrics"], report["tool"]
series = tool.get("series") or []
duration = minutes * 60
warm = max(60, duration * 0.2)
t0 = rss[0][0] if rss else 0
rss_after = [v for t, v in rss if t - t0 >= warm]
heap_after = [p for p in series if p["t"] >= warm]
def growth(values):
    if len(values) < 2: return float("nan"), float("nan")
    # growth = mean of the last quarter minus mean of the first quarter after warm-up (robust to GC sawtooth)
    q = max(1, len(values) // 4)
    return sum(values[-q:]) / q - sum(values[:q]) / q, max(values) - values[0]
rss_g, rss_span = growth(rss_after)
heap_g, heap_span = growth([p["heapMb"] for p in heap_after])
live_g, _ = growth([p["heapAfterLastGcMb"] for p in heap_after])
val = lambda k: m[k]["value"] if k in m else None
print(f"| clients | minutes | samples after warm-up | RSS after warm-up (first → last) | RSS growth | heap growth (after last GC) | peak RSS | forced drops | reconnect success | connect success | lost | exit |")
print("|---|---|---|---|---|---|---|---|---|---|---|---|")
first = rss_after[0] if rss_after else float("nan"); last = rss_after[-1] if rss_after else float("nan")
print(f"| {clients:,} | {minutes:g} | {len(rss_after)} | {first:.0f} → {last:.0f} MB | **{rss_g:+.1f} MB** | {heap_g:+.1f} MB ({live_g:+.1f} MB) | "
      f"{tool['peakRssMb']:.0f} MB | {val('forced_drops')} | {val('reconnect_success_ratio')} | {val('connect_success_ratio')} | {val('messages_lost')} | {code} |")
print()
print("RSS every 10 s after warm-up (MB): " + " ".join(f"{v:.0f}" for v in rss_after))
print()
ok = rss_g < 15 and heap_g < 15
print(f"Connect errors {json.dumps(report.get('connectErrors', {}))}, disconnect causes {json.dumps(report.get('disconnectCauses', {}))}, "
      f"close codes {json.dumps(report.get('closeCodes', {}))}.")
print()
print(f"Growth after warm-up (mean of the last quarter of samples minus the first quarter): RSS {rss_g:+.1f} MB, "
      f"managed heap {heap_g:+.1f} MB → {'within' if ok else 'OVER'} the 15 MB bound.")
PY
{
  echo ""
  echo "### $(date -u +%Y-%m-%d) soak: $(nproc) cores, $clients flapping clients for $minutes min, driver \`$driver\`, embedded silo and target"
  echo ""
  cat "$work/result.md"
} >> "$root/docs/benchmarks.md"
echo "appended to docs/benchmarks.md"
