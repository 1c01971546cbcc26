#!/usr/bin/env bash
# Benchmark: SignalR clients (protocol: signalr, JSON hub protocol) on one silo against the reference target's
# hub (ASP.NET Core SignalR) in its own process, beside plain echo clients against the same target. Each client
# invokes Echo (or sends one echo) of 64 bytes per second; SignalR clients also ping every 5 s and the hub pings
# them (keep-alive 5 s, client timeout 30 s). Runs N/2 and N clients (default N = 5,000) of each protocol for
# D seconds (default 30) and appends a table to docs/benchmarks.md: tool RSS per client (slope between the two
# sizes), tool CPU per invocation, RTT, loss, and the hub's own counters (connections, invocations, evictions).
#   bench/signalr.sh [CLIENTS] [DURATION_SECONDS]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
clients="${1:-5000}"
duration="${2:-30}"
work="$(mktemp -d)"
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
cd "$root"
./simcluster version >/dev/null   # build once, outside the measurement

./simcluster target --port 0 --signalr-keep-alive 5s --signalr-client-timeout 30s > "$work/target.log" 2>&1 &
for _ in $(seq 300); do grep -qs "listening on" "$work/target.log" && break; sleep 0.1; done
ws_url=$(grep -o 'listening on ws://[^ ]*' "$work/target.log" | head -1 | cut -d' ' -f3)
hub_url=$(grep -o 'signalr hub: http://[^ )]*' "$work/target.log" | head -1 | cut -d' ' -f3 | sed 's|^http://|ws://|')
base_url="$(echo "${ws_url%/ws}" | sed "s|^ws://|http://|")"
[ -n "$ws_url" ] && [ -n "$hub_url" ] || { echo "the target did not start:" >&2; cat "$work/target.log" >&2; exit 1; }

run_size() {
  local protocol=$1 n=$2 url extra
  if [ "$protocol" = signalr ]; then
    url=$hub_url
    extra='signalr: { method: Echo, keepAliveInterval: 5s, serverTimeout: 30s }'
  else
    url=$ws_url
    extra=''
  fi
  cat > "$work/$protocol-$n.yaml" <<YAML
name: bench-$protocol-$n
target: $url
clients: $n
duration: ${duration}s
seed: 1
protocol: $protocol
messages: { interval: 1s, size: 64, lossTimeout: 5s }
$extra
YAML
  curl -fsS "$base_url/stats" > "$work/stats-before-$protocol-$n.json"
  echo "running $n $protocol clients for ${duration}s ..." >&2
  ./simcluster run "$work/$protocol-$n.yaml" --no-live --out "$work/report-$protocol-$n" > "$work/run-$protocol-$n.log" 2>&1 || true
  curl -fsS "$base_url/stats" > "$work/stats-after-$protocol-$n.json"
}

half=$((clients / 2))
for protocol in echo signalr; do
  run_size "$protocol" "$half"
  run_size "$protocol" "$clients"
done

python3 - "$work" "$half" "$clients" "$duration" <<'PY' | tee "$work/result.md"
import json, sys, os
work, n1, n2, duration = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
def load(protocol, n):
    report = json.load(open(os.path.join(work, f"report-{protocol}-{n}", "report.json")))
    before = json.load(open(os.path.join(work, f"stats-before-{protocol}-{n}.json")))
    after = json.load(open(os.path.join(work, f"stats-after-{protocol}-{n}.json")))
    hub = {k: after["signalr"][k] - before["signalr"][k] for k in ("connections", "invocations", "completions", "evictions", "pingsReceived")}
    return report, hub
def cpu_seconds(r):
    return r["tool"]["cpuPercent"] / 100 * r["durationSeconds"]
rows, slopes = [], {}
for protocol in ("echo", "signalr"):
    small, hub_small = load(protocol, n1)
    large, hub_large = load(protocol, n2)
    for r, hub, n in ((small, hub_small, n1), (large, hub_large, n2)):
        m, tool = r["metrics"], r["tool"]
        sent = m["messages_sent"]["value"]
        rtt = m["message_rtt"]
        connect_all = next((p["t"] for p in r["timeline"] if p["open"] >= n), None)
        cpu_us = cpu_seconds(r) / sent * 1e6 if sent else float("nan")
        hub_cells = (f"{hub['connections']:,} / {hub['invocations']:,} / {hub['evictions']} / {hub['pingsReceived']:,}"
                     if protocol == "signalr" else "-")
        rows.append(f"| {protocol} | {n:,} | {connect_all if connect_all is not None else 'never'} s | {tool['peakRssMb']:.0f} MB | "
                    f"{tool['cpuPercent']:.0f} % | {cpu_us:.0f} µs | {m['messages_received']['value']/duration:,.0f} | "
                    f"{rtt['med']} / {rtt['p95']} / {rtt['p99']} ms | {m['connect_success_ratio']['value']} | {m['messages_lost']['value']} | {hub_cells} |")
    rss = (large["tool"]["peakRssMb"] - small["tool"]["peakRssMb"]) * 1024 / (n2 - n1)
    sent_delta = large["metrics"]["messages_sent"]["value"] - small["metrics"]["messages_sent"]["value"]
    cpu = (cpu_seconds(large) - cpu_seconds(small)) / sent_delta * 1e6 if sent_delta else float("nan")
    slopes[protocol] = (rss, cpu)
print("| protocol | clients | connect all | tool RSS (peak) | tool CPU (1 core = 100 %) | tool CPU per invocation | invocations/s | RTT med / p95 / p99 | connect success | lost | hub: connections / invocations / evictions / pings |")
print("|---|---|---|---|---|---|---|---|---|---|---|")
for row in rows:
    print(row)
print()
for protocol, (rss, cpu) in slopes.items():
    print(f"- {protocol}: per client (slope between {n1:,} and {n2:,}) **{rss:.1f} KB peak RSS**; "
          f"**{cpu:.0f} µs tool CPU per invocation** (slope of the run's CPU time over invocations sent, keep-alives and connecting included).")
PY
{
  echo ""
  echo "### $(date -u +%Y-%m-%d) run: $(nproc) cores, ${clients} clients for ${duration} s, echo and SignalR against the reference target in its own process"
  echo ""
  cat "$work/result.md"
} >> "$root/docs/benchmarks.md"
echo "appended to docs/benchmarks.md"
