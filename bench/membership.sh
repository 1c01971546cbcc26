#!/usr/bin/env bash
# Membership timing (issue 24): how fast a SIGKILLed silo is declared dead, and whether healthy silos are
# declared dead (false deaths) while paused like a long GC or starved of CPU, for one pair of settings.
# Three `simcluster silo` processes on a redis-server of their own, a flapping run of CLIENTS clients that
# saturates this machine, two busy loops beside it, then:
#   pauses: silo 2 and silo 3 each frozen (SIGSTOP ... SIGCONT) for every length in PAUSES_MS, 3 s apart;
#   a kill: silo 3 SIGKILLed; a survivor's GET /api/cluster polled every 100 ms until it says dead.
#   bench/membership.sh [PROBE_TIMEOUT] [MISSED_PROBES] [PAUSES_MS] [CLIENTS] [PEER_WATCH: on|off]
#   e.g. bench/membership.sh 1s 2 "300 600 900 1200 1600" 600; bench/membership.sh 5s 3 (Orleans' defaults)
# Prints one table row (and appends it to docs/benchmarks.md under "Membership timing"). About 90 s.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
probe="${1:-1s}"
missed="${2:-2}"
pauses="${3:-300 600 900 1200 1600}"
clients="${4:-600}"
peer_watch="${5:-on}"
watch_flag=""; [ "$peer_watch" = off ] && watch_flag="--no-peer-watch"
work="$(mktemp -d)"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -CONT "$p" 2>/dev/null || true; kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
trap "exit 1" INT TERM
cd "$root"
./simcluster version >/dev/null   # build once, outside the measurement
source "$root/bench/lib.sh"   # free_port, now

redis_port=$(free_port)
redis-server --port "$redis_port" --bind 127.0.0.1 --save "" --appendonly no > "$work/redis.log" 2>&1 &
pids+=($!)
for _ in $(seq 50); do redis-cli -p "$redis_port" ping >/dev/null 2>&1 && break; sleep 0.1; done
cluster="redis://127.0.0.1:$redis_port"
declare -a silo_pid silo_http silo_port
for i in 1 2 3; do
  sp=$(free_port); gp=$(free_port); hp=$(free_port)
  ./simcluster silo --cluster "$cluster" --silo-port "$sp" --gateway-port "$gp" --http-port "$hp" \
    --probe-timeout "$probe" --missed-probes "$missed" $watch_flag > "$work/silo$i.log" 2>&1 &
  silo_pid[$i]=$!; silo_http[$i]=$hp; silo_port[$i]=$sp; pids+=($!)
done
for i in 1 2 3; do
  for _ in $(seq 900); do grep -q "^silo ready" "$work/silo$i.log" && break; sleep 0.1; done
done
echo "silos ready ($(date +%T))" >&2
# status of silo J as silo I sees it: active, dead, ... ("unreachable" when I does not answer)
status() { curl -s -m 1 "http://127.0.0.1:${silo_http[$1]}/api/cluster" | python3 -c "
import json,sys
try: v=json.load(sys.stdin)
except Exception: print('unreachable'); sys.exit()
print(next((s['status'] for s in v['silos'] if ':$2@' in s['address']), 'absent'))" 2>/dev/null || echo unreachable; }
for _ in $(seq 300); do [ "$(status 1 "${silo_port[3]}")" = active ] && [ "$(status 3 "${silo_port[1]}")" = active ] && break; sleep 0.2; done

cat > "$work/load.yaml" <<YAML
name: bench-membership
target: embedded
clients: $clients
duration: 60s
rampUp: 3s
seed: 24
messages: { interval: 500ms, size: 64, lossTimeout: 5s }
population:
  - name: flappers
    share: 100%
    behavior: flapping
    flapping: { up: 1s..3s, down: 100ms..400ms, drop: [close, reset], cycles: 0 }
YAML
./simcluster run "$work/load.yaml" --cluster "$cluster" --no-live --out "$work/report" > "$work/run.log" 2>&1 &
run_pid=$!; pids+=($run_pid)
for _ in $(seq 600); do grep -q "t=    5/" "$work/run.log" && break; sleep 0.1; done
echo "run under way ($(date +%T))" >&2
# CPU saturation beside the run itself
for _ in 1 2; do ( end=$((SECONDS + 40)); while [ $SECONDS -lt $end ]; do :; done ) & pids+=($!); done

false_deaths=0; survived=""; died_at=""
for ms in $pauses; do
  for i in 2 3; do
    kill -STOP "${silo_pid[$i]}"; sleep "$(awk "BEGIN{print $ms/1000}")"; kill -CONT "${silo_pid[$i]}"
    sleep 3
    if [ "$(status 1 "${silo_port[$i]}")" != active ]; then
      false_deaths=$((false_deaths + 1)); died_at="$died_at silo$i@${ms}ms"
    fi
  done
  survived="$ms"; echo "paused ${ms} ms: $false_deaths false deaths ($(date +%T))" >&2
  [ "$false_deaths" -gt 0 ] && break
done

# The kill: silo 3 if it is still a member, else silo 2.
victim=3; [ "$(status 1 "${silo_port[3]}")" = active ] || victim=2
killed_at=$(now); kill -KILL "${silo_pid[$victim]}"
detect=""
for _ in $(seq 300); do
  s=$(status 1 "${silo_port[$victim]}")
  if [ "$s" = dead ]; then detect=$(awk "BEGIN{printf \"%.2f\", $(now) - $killed_at}"); break; fi
  sleep 0.1
done
# Healthy silos still members at the end (a silo declared dead stops itself).
alive=0; for i in 1 2 3; do [ "$i" = "$victim" ] && continue; [ "$(status 1 "${silo_port[$i]}")" = active ] && alive=$((alive + 1)); done
kill -INT "$run_pid" 2>/dev/null || true
wait "$run_pid" 2>/dev/null || true

load=$(cut -d' ' -f1 /proc/loadavg)
row="| $probe | $missed | $peer_watch | ${pauses// /, } ms | ${survived:-none} ms | ${false_deaths}${died_at:+ (${died_at# })} | ${detect:-not within 30} s | $alive of 2 | $clients | $load |"
echo "| probe timeout | missed probes | peer watch | pauses tried (each silo) | longest pause survived | false deaths | kill → declared dead | healthy silos left | clients | load avg |"
echo "|---|---|---|---|---|---|---|---|---|---|"
echo "$row"
bench="$root/docs/benchmarks.md"
grep -q "^## Membership timing" "$bench" || cat >> "$bench" <<'MD'

## Membership timing

`bench/membership.sh PROBE_TIMEOUT MISSED_PROBES`: three silos on Redis, a flapping run saturating this 2-core
machine plus two busy loops, silos 2 and 3 frozen (SIGSTOP) for growing pauses until one is declared dead (a
false death), then a silo SIGKILLed and a survivor's `/api/cluster` polled every 100 ms. One run per row.

| probe timeout | missed probes | peer watch | pauses tried (each silo) | longest pause survived | false deaths | kill → declared dead | healthy silos left | clients | load avg |
|---|---|---|---|---|---|---|---|---|---|
MD
echo "$row" >> "$bench"
