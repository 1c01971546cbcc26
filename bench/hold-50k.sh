#!/usr/bin/env bash
# Benchmark (issue 8): several silo processes on one machine hold CLIENTS connections together (default
# 50,000), beyond one process's 20,000 open files. Starts redis-server (membership) on a free loopback port,
# SILOS `simcluster silo` processes and as many reference targets (one process per ~17,000 connections,
# each on its own port), then `simcluster run --cluster redis://...` with every client sending one 64-byte
# message every INTERVAL. Samples RSS and CPU of every process from /proc and appends a table to
# docs/benchmarks.md.
#   bench/hold-50k.sh [CLIENTS] [SILOS] [HOLD_SECONDS] [INTERVAL] [DRIVER]
#   defaults:          50000     3       60             10s        lean
# DRIVER `default` leaves the scenario's driver out, so the run measures whatever driver a user gets by default.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
clients="${1:-50000}"
silos="${2:-3}"
hold="${3:-60}"
interval="${4:-10s}"
driver="${5:-lean}"
targets=$(( (clients + 16999) / 17000 ))
work="$(mktemp -d)"
cleanup() { kill $(jobs -p) 2>/dev/null || true; sleep 1; kill -9 $(jobs -p) 2>/dev/null || true; echo "work folder: $work" >&2; }
trap cleanup EXIT
cd "$root"
command -v redis-server >/dev/null || { echo "bench/hold-50k.sh needs redis-server (apt-get install -y redis-server)" >&2; exit 2; }
./simcluster version >/dev/null   # build once, outside the measurement

source "$root/bench/lib.sh"   # free_port, now
wait_for() { for _ in $(seq 900); do grep -qs "$2" "$1" && return 0; sleep 0.1; done; echo "timed out waiting for '$2' in $1" >&2; cat "$1" >&2; exit 1; }

redis_port=$(free_port)
redis-server --port "$redis_port" --bind 127.0.0.1 --save '' --appendonly no > "$work/redis.log" 2>&1 &
wait_for "$work/redis.log" "Ready to accept connections"
cluster="redis://127.0.0.1:$redis_port"

pids=()
for i in $(seq "$silos"); do
  ./simcluster silo --cluster "$cluster" --silo-port "$(free_port)" --gateway-port "$(free_port)" --http-port 0 > "$work/silo-$i.log" 2>&1 &
  pids+=("silo-$i:$!")
done
urls=()
for i in $(seq "$targets"); do
  ./simcluster target --port 0 > "$work/target-$i.log" 2>&1 &
  pids+=("target-$i:$!")
  wait_for "$work/target-$i.log" "listening on"
  urls+=("$(grep -o 'ws://[^ ]*' "$work/target-$i.log" | head -1)")
done
for i in $(seq "$silos"); do wait_for "$work/silo-$i.log" "silo ready"; done
sleep 5   # let membership settle so the run arms on every silo

{
  echo "name: bench-hold-$clients"
  echo "target:"
  for url in "${urls[@]}"; do echo "  - $url"; done
  echo "clients: $clients"
  echo "duration: $((hold + 60))s"
  echo "rampUp: 30s"
  [ "$driver" = default ] || echo "driver: $driver"
  echo "seed: 5"
  echo "messages: { interval: $interval, size: 64, lossTimeout: 10s }"
} > "$work/hold.yaml"

echo "holding $clients clients on $silos silos against $targets targets ($driver, one message per $interval) ..." >&2
./simcluster run "$work/hold.yaml" --cluster "$cluster" --no-live --out "$work/report" > "$work/run.log" 2>&1 &
run_pid=$!

python3 - "$work" "$clients" "$hold" "$run_pid" "${pids[@]}" <<'PY' | tee "$work/result.md"
import json, os, sys, time, urllib.request
work, clients, hold, run_pid = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
procs = dict(p.split(":") for p in sys.argv[5:])
procs = {k: int(v) for k, v in procs.items()}
tck, page = os.sysconf("SC_CLK_TCK"), os.sysconf("SC_PAGE_SIZE")
def usage(pid):
    # ./simcluster execs the apphost, so the shell's pid is the .NET process
    with open(f"/proc/{pid}/stat") as f: fields = f.read().rsplit(")", 1)[1].split()
    with open(f"/proc/{pid}/statm") as f: rss = int(f.read().split()[1]) * page
    return rss / 2**20, (int(fields[11]) + int(fields[12])) / tck
def stats(name):
    log = open(os.path.join(work, f"{name}.log")).read()
    port = log.split("ws://127.0.0.1:")[1].split("/")[0]
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/stats", timeout=5) as r: return json.load(r)
targets = [k for k in procs if k.startswith("target")]
start, all_open = time.time(), None
while time.time() - start < 300:
    open_now = sum(stats(t)["openConnections"] for t in targets)
    if open_now >= clients: all_open = time.time() - start; break
    if not os.path.exists(f"/proc/{run_pid}"): break
    time.sleep(0.5)
if all_open is None:
    print(f"only {open_now:,} of {clients:,} connections opened; see {work}"); sys.exit(1)
time.sleep(5)
u0 = {k: usage(v) for k, v in procs.items()}; s0 = {t: stats(t) for t in targets}; t0 = time.time()
rss = {k: [] for k in procs}; fewest = clients
while time.time() - t0 < hold:
    time.sleep(2)
    for k, v in procs.items(): rss[k].append(usage(v)[0])
    fewest = min(fewest, sum(stats(t)["openConnections"] for t in targets))
u1 = {k: usage(v) for k, v in procs.items()}; s1 = {t: stats(t) for t in targets}; t1 = time.time()
echoes = sum(s1[t]["messagesOut"] - s0[t]["messagesOut"] for t in targets) / (t1 - t0)
print(f"All {clients:,} clients open {all_open:.0f} s after the run started (30 s ramp-up); fewest open during the {hold} s hold: {fewest:,}; echoes/s {echoes:,.0f}.")
print()
print("| process | connections | RSS (median) | RSS per connection | CPU (1 core = 100 %) |")
print("|---|---|---|---|---|")
for k in procs:
    med = sorted(rss[k])[len(rss[k]) // 2]
    conns = s1[k]["openConnections"] if k in s1 else None
    cpu = 100 * (u1[k][1] - u0[k][1]) / (t1 - t0)
    per = f"{med * 1024 / conns:.1f} KB" if conns else ""
    print(f"| {k} | {conns if conns is not None else '(clients, see report)'} | {med:.0f} MB | {per} | {cpu:.0f} % |")
PY
wait "$run_pid" || true
python3 - "$work/report/report.json" <<'PY' | tee -a "$work/result.md"
import json, sys
r = json.load(open(sys.argv[1])); m = r["metrics"]
per = ", ".join(f"{s['clients']:,}" for s in r.get("silos", []))
print()
print(f"Report: verdict {r.get('verdict')}, connect success {m['connect_success_ratio']['value']}, messages lost {m['messages_lost']['value']}, "
      f"RTT med / p99 {m['message_rtt']['med']} / {m['message_rtt']['p99']} ms, connect_time p99 {m['connect_time']['p99']} ms"
      + (f", clients per silo: {per}" if per else "") + ".")
PY
{
  echo ""
  echo "### $(date -u +%Y-%m-%d) run of \`bench/hold-50k.sh $clients $silos $hold $interval $driver\`: $(nproc) cores, $silos silos, $targets targets, Redis membership"
  echo ""
  cat "$work/result.md"
} >> "$root/docs/benchmarks.md"
echo "appended to docs/benchmarks.md" >&2
