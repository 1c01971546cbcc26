#!/usr/bin/env bash
# Benchmark: how long the real socket.io server (tests/peers, socket.io 4.8.1) takes to evict app-dead zombies,
# clients whose sockets stay open (and answer WebSocket PINGs) but that stop answering Engine.IO's pings. The server
# pings every PING seconds and gives up PING seconds after a ping without its pong, so a zombie should go between
# pingTimeout and pingInterval + pingTimeout after it stops. Half of CLIENTS clients turn zombie 5 s in; prints the
# zombie_detect_time figures (from the moment each one stopped), the server's own ping-timeout count and the healthy
# clients' false disconnects, and appends them to docs/benchmarks.md.
#   bench/socketio-zombies.sh [CLIENTS] [PING_SECONDS]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
clients="${1:-40}"
ping="${2:-5}"
work="$(mktemp -d)"
peer_pid=""
trap '[ -n "$peer_pid" ] && kill "$peer_pid" 2>/dev/null; rm -rf "$work"' EXIT
cd "$root"
./simcluster version >/dev/null   # build once, outside the measurement
[ -d tests/peers/node_modules/socket.io ] || (cd tests/peers && npm ci --no-audit --no-fund >/dev/null)
load_before=$(cut -d' ' -f1-3 /proc/loadavg)

node tests/peers/socketio-server.js 0 $((ping * 1000)) $((ping * 1000)) < <(sleep 100000) > "$work/peer.log" 2>&1 &
peer_pid=$!
for _ in $(seq 300); do grep -qs "^listening " "$work/peer.log" && break; sleep 0.1; done
port=$(sed -n 's/^listening //p' "$work/peer.log" | head -1)
[ -n "$port" ] || { echo "the socket.io peer did not start:" >&2; cat "$work/peer.log" >&2; exit 1; }
observe=$((ping * 5))
cat > "$work/zombies.yaml" <<YAML
name: socketio-zombie-detect
target: ws://127.0.0.1:$port
protocol: socketio
clients: $clients
duration: $((observe + 15))s
rampUp: 2s
seed: 21
messages: { interval: 1s, lossTimeout: 3s, size: 64 }
population:
  - { name: steady, share: 50% }
  - name: zombies
    share: 50%
    behavior: zombie
    zombie: { kind: app-dead, after: 5s, observeFor: ${observe}s, expectDetectWithin: $((ping * 3))s }
YAML
./simcluster run "$work/zombies.yaml" --no-live --out "$work/report" > "$work/run.log" 2>&1 || true
kill -TERM "$peer_pid" 2>/dev/null; wait "$peer_pid" 2>/dev/null || true
peer_pid=""
server=$(grep '^stats ' "$work/peer.log" | tail -1)
line=$(python3 - "$work/report/report.json" "$server" "$ping" <<'PY'
import json, sys
r = json.load(open(sys.argv[1])); server = dict(p.split('=') for p in sys.argv[2].split()[1:]); ping = int(sys.argv[3])
z = r['groups']['zombies']['metrics']; t = z['zombie_detect_time']
print(f"| {r['clients']['planned']:,} | {ping} s / {ping} s | {z['zombies']['value']:.0f} / {z['zombies_detected']['value']:.0f} | "
      f"{t['min']/1000:.2f} / {t['med']/1000:.2f} / {t['p95']/1000:.2f} / {t['max']/1000:.2f} s | {server.get('pingTimeouts', '?')} | "
      f"{r['groups']['steady']['metrics']['false_disconnects']['value']:.0f} |")
PY
)
load_after=$(cut -d' ' -f1-3 /proc/loadavg)
{
  echo
  echo "## Socket.IO zombies evicted by the server's ping timeout ($(date -u +%Y-%m-%d), bench/socketio-zombies.sh)"
  echo
  echo "Half the clients stop answering Engine.IO's pings 5 s in while their sockets stay open; the real socket.io server"
  echo "evicts each one between pingTimeout and pingInterval + pingTimeout after it stopped. Load average before/after: $load_before / $load_after."
  echo
  echo "| clients | pingInterval / pingTimeout | zombies / evicted | detect time min / med / p95 / max | server ping timeouts | false disconnects (healthy) |"
  echo "|---|---|---|---|---|---|"
  echo "$line"
} | tee -a docs/benchmarks.md
