#!/usr/bin/env bash
# Benchmark: CLIENTS SignalR clients (protocol: signalr) on one silo hold their hub connections with keep-alives
# for HOLD seconds against the reference target's hub (ASP.NET Core SignalR, in its own process), beside the same
# numbers of echo clients against the target's echo endpoint. Each client invokes Echo (or sends one echo) of
# 64 bytes every INTERVAL; SignalR clients ping every 5 s and the hub pings them (keep-alive 5 s, client timeout
# 30 s). Runs CLIENTS/2 and CLIENTS of each protocol. Measured over the hold only (all clients open, ramp-up
# over): the tool's RSS (median of samples every 2 s) and CPU time from /proc, the invocations the target
# answered in that window (the hub's completions, the echo endpoint's messages out). Memory per client and
# CPU per invocation are slopes between the two sizes, which removes the fixed costs. Appends a section to
# docs/benchmarks.md with the machine's load average, since a shared machine's figures are only indicative.
#   bench/signalr-hold.sh [CLIENTS] [HOLD_SECONDS] [INTERVAL]
#   defaults:              5000      60             5s
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
clients="${1:-5000}"
hold="${2:-60}"
interval="${3:-5s}"
ramp=20
work="$(mktemp -d)"
trap 'kill $(jobs -p) 2>/dev/null || true; echo "work folder: $work" >&2' EXIT
cd "$root"
./simcluster version >/dev/null   # build once, outside the measurement
load_before=$(cut -d' ' -f1-3 /proc/loadavg)

./simcluster target --port 0 --signalr-keep-alive 5s --signalr-client-timeout 30s > "$work/target.log" 2>&1 &
for _ in $(seq 600); do grep -qs "listening on" "$work/target.log" && break; sleep 0.1; done
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
name: bench-hold-$protocol-$n
target: $url
clients: $n
duration: $((ramp + hold + 40))s
rampUp: ${ramp}s
seed: 1
protocol: $protocol
messages: { interval: $interval, size: 64, lossTimeout: 10s }
$extra
YAML
  curl -fsS "$base_url/stats" > "$work/stats-before-$protocol-$n.json"
  echo "holding $n $protocol clients for ${hold}s ..." >&2
  ./simcluster run "$work/$protocol-$n.yaml" --no-live --out "$work/report-$protocol-$n" > "$work/run-$protocol-$n.log" 2>&1 &
  local pid=$!
  python3 - "$work" "$protocol" "$n" "$hold" "$pid" "$base_url" <<'PY' > "$work/hold-$protocol-$n.json"
import json, os, sys, time, urllib.request
work, protocol, n, hold, pid, base = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), sys.argv[6]
tck, page = os.sysconf("SC_CLK_TCK"), os.sysconf("SC_PAGE_SIZE")
def usage():
    with open(f"/proc/{pid}/stat") as f: fields = f.read().rsplit(")", 1)[1].split()
    with open(f"/proc/{pid}/statm") as f: rss = int(f.read().split()[1]) * page
    return rss / 2**20, (int(fields[11]) + int(fields[12])) / tck
def stats():
    with urllib.request.urlopen(f"{base}/stats", timeout=10) as r: s = json.load(r)
    if protocol == "signalr": return s["signalr"]["open"], s["signalr"]["completions"]
    return s["openConnections"], s["messagesOut"]
start, opened = time.time(), None
while time.time() - start < 240:
    if not os.path.exists(f"/proc/{pid}"): break
    if stats()[0] >= n: opened = time.time() - start; break
    time.sleep(0.5)
if opened is None:
    print(json.dumps({"opened": None, "open": stats()[0]})); sys.exit(0)
time.sleep(3)
(r0, c0), (_, done0), t0 = usage(), stats(), time.time()
samples, fewest = [], n
while time.time() - t0 < hold:
    time.sleep(2)
    samples.append(usage()[0])
    fewest = min(fewest, stats()[0])
(r1, c1), (_, done1), t1 = usage(), stats(), time.time()
print(json.dumps({"opened": opened, "seconds": t1 - t0, "rss": sorted(samples)[len(samples) // 2], "cpu": c1 - c0,
                  "answered": done1 - done0, "fewest": fewest}))
PY
  wait "$pid" || true
  curl -fsS "$base_url/stats" > "$work/stats-after-$protocol-$n.json"
}

half=$((clients / 2))
for protocol in echo signalr; do
  run_size "$protocol" "$half"
  run_size "$protocol" "$clients"
done
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

python3 - "$work" "$half" "$clients" "$hold" <<'PY' | tee "$work/result.md"
import json, os, sys
work, n1, n2, hold = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
def load(protocol, n):
    h = json.load(open(os.path.join(work, f"hold-{protocol}-{n}.json")))
    path = os.path.join(work, f"report-{protocol}-{n}", "report.json")
    r = json.load(open(path)) if os.path.exists(path) else None
    before = json.load(open(os.path.join(work, f"stats-before-{protocol}-{n}.json")))
    after = json.load(open(os.path.join(work, f"stats-after-{protocol}-{n}.json")))
    hub = {k: after["signalr"][k] - before["signalr"][k] for k in ("connections", "evictions", "pingsReceived")}
    return h, r, hub
print("| protocol | clients | all open after | fewest open in the hold | tool RSS (median, hold) | tool CPU (1 core = 100 %, hold) | invocations/s answered (hold) | tool CPU per invocation | RTT med / p99 | connect success | lost | hub: connections / evictions / pings |")
print("|---|---|---|---|---|---|---|---|---|---|---|---|")
rows = {}
for protocol in ("echo", "signalr"):
    for n in (n1, n2):
        h, r, hub = load(protocol, n)
        rows[(protocol, n)] = h
        if h.get("opened") is None:
            print(f"| {protocol} | {n:,} | never ({h.get('open')} open) | | | | | | | | | |"); continue
        m = r["metrics"] if r else {}
        rtt = m.get("message_rtt", {})
        per = h["cpu"] / h["answered"] * 1e6 if h["answered"] else float("nan")
        hub_cells = f"{hub['connections']:,} / {hub['evictions']} / {hub['pingsReceived']:,}" if protocol == "signalr" else "-"
        print(f"| {protocol} | {n:,} | {h['opened']:.0f} s | {h['fewest']:,} | {h['rss']:.0f} MB | {100 * h['cpu'] / h['seconds']:.0f} % | "
              f"{h['answered'] / h['seconds']:,.0f} | {per:.0f} µs | {rtt.get('med')} / {rtt.get('p99')} ms | "
              f"{m.get('connect_success_ratio', {}).get('value')} | {m.get('messages_lost', {}).get('value')} | {hub_cells} |")
print()
for protocol in ("echo", "signalr"):
    a, b = rows[(protocol, n1)], rows[(protocol, n2)]
    if a.get("opened") is None or b.get("opened") is None:
        print(f"- {protocol}: not every client opened at one of the sizes; no slope."); continue
    rss = (b["rss"] - a["rss"]) * 1024 / (n2 - n1)
    da = b["answered"] - a["answered"]
    cpu = (b["cpu"] - a["cpu"]) / da * 1e6 if da > 0 else float("nan")
    print(f"- {protocol}: **{rss:.1f} KB RSS per held client** (slope between {n1:,} and {n2:,}); "
          f"**{cpu:.0f} µs tool CPU per invocation** (slope of the hold's CPU time over the invocations answered in it, keep-alives included).")
PY
{
  echo ""
  echo "### $(date -u +%Y-%m-%d) run of \`bench/signalr-hold.sh $clients $hold $interval\`: $(nproc) cores, load average $load_before before and $load_after after"
  echo ""
  cat "$work/result.md"
} >> "$root/docs/benchmarks.md"
echo "appended to docs/benchmarks.md" >&2
