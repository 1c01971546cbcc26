#!/usr/bin/env bash
# Benchmark (issue 18): a long-lived silo lets go of every finished run. Starts one `simcluster silo` (localhost
# clustering, control API on a free loopback port) and one reference target, then sends RUNS short runs one
# after another through POST /api/runs, each waited for to the end. Reads the silo's managed heap after a forced
# full collection (GET /debug/heap, loopback only) before the first run, after the first (warm: code compiled,
# caches filled) and after the last, prints the figures and appends a row to docs/benchmarks.md.
#   bench/silo-runs-heap.sh [RUNS] [CLIENTS] [--no-write]
#   defaults:               50     5
set -uo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
runs="${1:-50}"
clients="${2:-5}"
write=1
[ "${3:-}" = "--no-write" ] && write=0
work="$(mktemp -d)"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; sleep 1; for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done; echo "work folder: $work" >&2; }
trap cleanup EXIT
cd "$root"
./simcluster version >/dev/null   # build once, outside the measurement

source "$root/bench/lib.sh"   # free_port, now
wait_for() { for _ in $(seq 1200); do grep -qs "$2" "$1" && return 0; sleep 0.1; done; echo "timed out waiting for '$2' in $1" >&2; cat "$1" >&2; exit 1; }

http=$(free_port)
silo_port=$(free_port)
./simcluster silo --cluster localhost --silo-port "$silo_port" --gateway-port "$(free_port)" --primary-silo-port "$silo_port" \
  --http-host 127.0.0.1 --http-port "$http" --data-dir "$work/data" > "$work/silo.log" 2>&1 &
pids+=("$!")
./simcluster target --port 0 > "$work/target.log" 2>&1 &
pids+=("$!")
wait_for "$work/target.log" "listening on"
target_url=$(grep -o 'listening on [^ ]*' "$work/target.log" | head -1 | cut -d' ' -f3)
for _ in $(seq 600); do curl -sf "http://127.0.0.1:$http/health/ready" >/dev/null && break; sleep 0.2; done
curl -sf "http://127.0.0.1:$http/health/ready" >/dev/null || { echo "the silo did not get ready" >&2; cat "$work/silo.log" >&2; exit 1; }

silo_pid="${pids[0]}"
python3 - "$http" "$target_url" "$runs" "$clients" "$write" "$root/docs/benchmarks.md" <<'PY'
import json, sys, time, urllib.request, datetime
http, target_url, runs, clients, write, doc = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5] == "1", sys.argv[6]
base = f"http://127.0.0.1:{http}"
scenario = f"""name: heap-bench
target: {target_url}
clients: {clients}
duration: 1s
rampUp: 200ms
seed: 7
messages: {{ interval: 100ms, size: 64, lossTimeout: 1s }}
"""
def get(path):
    with urllib.request.urlopen(base + path, timeout=60) as r: return json.load(r)
def post(path, body):
    req = urllib.request.Request(base + path, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}, method="POST")
    with urllib.request.urlopen(req, timeout=60) as r: return json.load(r)
def run_once():
    state = post("/api/runs", {"scenario": scenario})
    rid = state["runId"]
    deadline = time.monotonic() + 120
    while True:
        s = get(f"/api/runs/{rid}")
        if s["phase"] == "done": return s
        if time.monotonic() > deadline: sys.exit(f"run {rid} did not finish: {s}")
        time.sleep(0.2)
mb = lambda b: b / (1024 * 1024)
def scrape():
    with urllib.request.urlopen(base + "/metrics", timeout=60) as r: r.read()
scrape()  # the exporter's buffers exist before the first figure, as on a scraped silo
start = get("/debug/heap")
started = time.monotonic()
codes = {}
for i in range(runs):
    s = run_once()
    codes[s.get("exitCode")] = codes.get(s.get("exitCode"), 0) + 1
    if i == 0:
        scrape()
        warm = get("/debug/heap")
unscraped = get("/debug/heap")
# As Prometheus would: a scrape is where OpenTelemetry drops the streams of the finished runs' disposed meters.
scrape()
scrape()
end = get("/debug/heap")
elapsed = time.monotonic() - started
growth, warm_growth = mb(end["managedBytes"] - start["managedBytes"]), mb(end["managedBytes"] - warm["managedBytes"])
print(f"{runs} runs of {clients} clients in {elapsed:.0f} s, exit codes {codes}")
print(f"managed heap: {mb(start['managedBytes']):.1f} MB before, {mb(warm['managedBytes']):.1f} MB after the first run, {mb(end['managedBytes']):.1f} MB after the last")
print(f"growth over {runs} runs: {growth:+.1f} MB from the start, {warm_growth:+.1f} MB from the first run (bound: 15 MB)")
print(f"before the final scrape (finished runs' meters not yet dropped by OpenTelemetry): {mb(unscraped['managedBytes']):.1f} MB, {mb(unscraped['managedBytes'] - start['managedBytes']):+.1f} MB from the start (bound: 15 MB)")
print(f"runs still holding recorders: {end['runsWithRecorders']}, case results: {end['runsWithCaseResults']}")
if write:
    row = (f"| {datetime.date.today()} | {runs} | {clients} | {mb(start['managedBytes']):.1f} | {mb(warm['managedBytes']):.1f} | {mb(end['managedBytes']):.1f} "
           f"| {mb(unscraped['managedBytes']):.1f} | {growth:+.1f} | {warm_growth:+.1f} | {end['runsWithRecorders']} | {elapsed:.0f} |\n")
    text = open(doc).read()
    header = "## Runs through one silo: managed heap (bench/silo-runs-heap.sh)"
    if header not in text:
        text += (f"\n{header}\n\nOne `simcluster silo`, RUNS short runs one after another through `POST /api/runs` (1 s, CLIENTS clients against a\n"
                 "reference target, 100 ms messages). Managed heap from the silo's `GET /debug/heap` (after a forced, compacting full\n"
                 "collection): before any run, after the first, after the last (after a `/metrics` scrape, as Prometheus would do: a\n"
                 "finished run's meter is disposed at its stop and OpenTelemetry drops its streams at the next collection; the\n"
                 "figure before that scrape is shown too). The bound is 15 MB of growth.\n\n"
                 "| date | runs | clients | heap before (MB) | after first (MB) | after last (MB) | unscraped (MB) | growth (MB) | growth from first (MB) | runs still held | wall (s) |\n"
                 "|---|---|---|---|---|---|---|---|---|---|---|\n")
    open(doc, "w").write(text + row)
    print(f"appended to {doc}")
# The bound holds whether or not anything scrapes: each run meter's streams are sized to its groups (SiloHost.RunSeries).
if growth > 15 or mb(unscraped["managedBytes"] - start["managedBytes"]) > 15 or end["runsWithRecorders"] != 0: sys.exit(1)
PY
status=$?
# HEAP_DUMP=FILE: a gcdump of the silo after the last run, to see what it still holds (dotnet-gcdump).
if [ -n "${HEAP_DUMP:-}" ]; then dotnet-gcdump collect -p "$silo_pid" -o "$HEAP_DUMP" >&2 || true; fi
exit "$status"
