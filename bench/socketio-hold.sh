#!/usr/bin/env bash
# Benchmark: Socket.IO clients (protocol: socketio) held on one silo against the real socket.io 4.8.1 server of
# tests/peers in its own Node process, through several server ping periods. The server pings every PING seconds
# (default 5) and evicts a client whose pong is PING seconds late; each client emits one acked 64-byte event every
# 5 s. Runs N/5 and N clients (default N = 5,000) for D seconds (default 60, twelve ping periods) and appends a
# section to docs/benchmarks.md: tool RSS per client (slope between the two sizes), connect time, RTT, the server's
# own counts (connections, acks, ping-timeout evictions) and false evictions, with the machine's load average.
#   bench/socketio-hold.sh [CLIENTS] [DURATION_SECONDS] [PING_SECONDS]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
clients="${1:-5000}"
duration="${2:-60}"
ping="${3:-5}"
work="$(mktemp -d)"
peer_pid=""
trap '[ -n "$peer_pid" ] && kill "$peer_pid" 2>/dev/null; rm -rf "$work"' EXIT
cd "$root"
./simcluster version >/dev/null   # build once, outside the measurement
[ -d tests/peers/node_modules/socket.io ] || (cd tests/peers && npm ci --no-audit --no-fund >/dev/null)

run_size() {
  local n=$1
  # stdin held open by a sleeper: the peer prints its counts and exits when it gets SIGTERM.
  node tests/peers/socketio-server.js 0 $((ping * 1000)) $((ping * 1000)) < <(sleep 100000) > "$work/peer-$n.log" 2>&1 &
  peer_pid=$!
  for _ in $(seq 300); do grep -qs "^listening " "$work/peer-$n.log" && break; sleep 0.1; done
  local port
  port=$(sed -n 's/^listening //p' "$work/peer-$n.log" | head -1)
  [ -n "$port" ] || { echo "the socket.io peer did not start:" >&2; cat "$work/peer-$n.log" >&2; exit 1; }
  cat > "$work/socketio-$n.yaml" <<YAML
name: bench-socketio-hold-$n
target: ws://127.0.0.1:$port
clients: $n
duration: ${duration}s
rampUp: 20s
seed: 1
protocol: socketio
messages: { interval: 5s, size: 64, lossTimeout: 10s }
socketio: { event: message }
YAML
  echo "holding $n socket.io clients for ${duration}s (server pings every ${ping}s) ..." >&2
  ./simcluster run "$work/socketio-$n.yaml" --no-live --out "$work/report-$n" > "$work/run-$n.log" 2>&1 || true
  grep -s VmRSS "/proc/$peer_pid/status" | awk '{print $2}' > "$work/peer-rss-$n" || true
  kill -TERM "$peer_pid"
  wait "$peer_pid" 2>/dev/null || true
  peer_pid=""
  [ -f "$work/report-$n/report.json" ] || { echo "the run of $n clients wrote no report:" >&2; tail -20 "$work/run-$n.log" >&2; exit 1; }
}

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
small=$((clients / 5))
run_size "$small"
run_size "$clients"
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

python3 - "$work" "$small" "$clients" "$duration" <<'PY' | tee "$work/result.md"
import json, os, sys
work, n1, n2, duration = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
def load(n):
    report = json.load(open(os.path.join(work, f"report-{n}", "report.json")))
    line = next(l for l in open(os.path.join(work, f"peer-{n}.log")) if l.startswith("stats "))
    stats = {k: int(v) for k, v in (p.split("=") for p in line.split()[1:])}
    rss = open(os.path.join(work, f"peer-rss-{n}")).read().strip()
    return report, stats, (int(rss) / 1024 if rss else float("nan"))
print("| clients | connect all | tool RSS (peak) | tool CPU (1 core = 100 %) | acks/s | RTT med / p95 / p99 | connect success | lost | false disconnects | client ping timeouts | server: connections / acks / ping-timeout evictions | node peer RSS |")
print("|---|---|---|---|---|---|---|---|---|---|---|---|")
runs = {}
for n in (n1, n2):
    r, s, peer_rss = load(n)
    runs[n] = r
    m, tool = r["metrics"], r["tool"]
    rtt = m["message_rtt"]
    connect_all = next((p["t"] for p in r["timeline"] if p["open"] >= n), None)
    print(f"| {n:,} | {connect_all if connect_all is not None else 'never'} s | {tool['peakRssMb']:.0f} MB | {tool['cpuPercent']:.0f} % | "
          f"{m['messages_received']['value'] / duration:,.0f} | {rtt['med']} / {rtt['p95']} / {rtt['p99']} ms | {m['connect_success_ratio']['value']} | "
          f"{m['messages_lost']['value']:.0f} | {m['false_disconnects']['value']:.0f} | {m['socketio_ping_timeouts']['value']:.0f} | "
          f"{s['connections']:,} / {s['acks']:,} / {s['pingTimeouts']} | {peer_rss:.0f} MB |")
rss = (runs[n2]["tool"]["peakRssMb"] - runs[n1]["tool"]["peakRssMb"]) * 1024 / (n2 - n1)
print()
print(f"- per client (slope between {n1:,} and {n2:,}): **{rss:.1f} KB peak tool RSS**; "
      f"{runs[n2]['tool']['peakRssMb'] * 1024 / n2:.1f} KB when the whole peak of the {n2:,}-client run is divided by its clients.")
PY
{
  echo ""
  echo "### $(date -u +%Y-%m-%d) run: $(nproc) cores, ${clients} clients for ${duration} s, server pings every ${ping} s"
  echo ""
  echo "Load average (1/5/15 min) before: ${load_before}; after: ${load_after} (other builds and tests shared the machine when it is above the core count)."
  echo ""
  cat "$work/result.md"
} >> "$root/docs/benchmarks.md"
echo "appended to docs/benchmarks.md"
