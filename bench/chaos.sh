#!/usr/bin/env bash
# Chaos (issue 24): a 5-silo cluster on this machine suffering what clusters suffer, at seeded random moments,
# while the CLI drives a flapping run against the target embedded in it (its /stats before and after are in the
# report, the ground truth). With the machinery of bench/membership.sh: a redis-server of its own on a free
# loopback port and five `simcluster silo` processes, settings as shipped. Events, one after another (never
# overlapping, so each one's detection is its own), in a seeded order with seeded gaps, victims and lengths:
#   kill     a silo SIGKILLed, then restarted (a fresh process on fresh ports) 6 to 10 s later;
#   pause    a silo frozen with SIGSTOP for 2 to 6 s, then SIGCONT;
#   store    redis-server frozen with SIGSTOP for 10 to 20 s, then SIGCONT.
# A silo is touched at most once, and never the one holding the run's coordinator (a kill of that one is a take-over,
# a SIGTERM a handover,
# tests/Silo/CoordinatorLossTests and CoordinatorStopTests), so at least one silo stays untouched throughout.
# Per event it prints the detection time (event → declared dead, as the run's coordinator saw it: the report's
# silos[].lostAtSecond) and the re-activation time (event → its clients started again on the survivors:
# silos[].reactivatedAtSecond), then checks the books and prints PASS/FAIL per check:
#   planned = started; lost = re-activated; the target's upgrades no client reported within the holes' bound;
#   every killed silo declared dead; no untouched silo declared dead (false deaths); the run reached its end.
#   bench/chaos.sh [SEED] [EVENTS] [CLIENTS] [DURATION_S]     (defaults: a drawn seed, 5, 200, 150; about 6 minutes)
# Appends a dated table to docs/benchmarks.md under "Chaos". Exits 1 if a check failed. Bounded: every wait has a
# limit, the run is interrupted 5 minutes past its planned end, and every process it started is killed on exit.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
seed="${1:-$(( $(date +%s) % 100000 ))}"
events="${2:-5}"
clients="${3:-200}"
duration="${4:-150}"
[ "$events" -ge 1 ] && [ "$events" -le 8 ] || { echo "error: EVENTS must be 1 to 8 (each silo but the coordinator's is touched once)" >&2; exit 2; }
[ "$duration" -ge 60 ] && [ "$duration" -le 600 ] || { echo "error: DURATION_S must be 60 to 600" >&2; exit 2; }
command -v redis-server >/dev/null || { echo "error: redis-server is not installed" >&2; exit 2; }
echo "seed $seed: $events events, $clients clients, ${duration} s" >&2
work="$(mktemp -d)"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -CONT "$p" 2>/dev/null || true; kill -KILL "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
trap "exit 1" INT TERM
cd "$root"
./simcluster version >/dev/null   # build once, outside the measurement
source "$root/bench/lib.sh"   # free_port, now
# waits (bounded, 0.1 s steps) until FILE has a line matching REGEX; false when it never came
wait_for() { for _ in $(seq "$(( $3 * 10 ))"); do grep -Eq "$2" "$1" 2>/dev/null && return 0; sleep 0.1; done; return 1; }

redis_port=$(free_port)
redis-server --port "$redis_port" --bind 127.0.0.1 --save "" --appendonly no < /dev/null > "$work/redis.log" 2>&1 &
redis_pid=$!; pids+=($redis_pid)
wait_for "$work/redis.log" "Ready to accept connections" 30 || { echo "error: redis-server did not start" >&2; exit 1; }
cluster="redis://127.0.0.1:$redis_port"
declare -a silo_pid silo_http silo_port
start_silo() { # INDEX LOG
  local sp gp hp; sp=$(free_port); gp=$(free_port); hp=$(free_port)
  ./simcluster silo --cluster "$cluster" --silo-port "$sp" --gateway-port "$gp" --http-port "$hp" < /dev/null > "$2" 2>&1 &
  silo_pid[$1]=$!; silo_http[$1]=$hp; silo_port[$1]=$sp; pids+=($!)
}
for i in 1 2 3 4 5; do start_silo "$i" "$work/silo$i.log"; done
for i in 1 2 3 4 5; do wait_for "$work/silo$i.log" "^silo ready" 300 || { echo "error: silo $i did not start" >&2; tail "$work/silo$i.log" >&2; exit 1; }; done
active() { curl -s -m 2 "http://127.0.0.1:${silo_http[$1]}/api/cluster" | python3 -c "
import json,sys
try: print(sum(s['status']=='active' for s in json.load(sys.stdin)['silos']))
except Exception: print(0)" 2>/dev/null || echo 0; }
for i in 1 2 3 4 5; do
  for _ in $(seq 300); do [ "$(active "$i")" = 5 ] && break; sleep 0.5; done
  [ "$(active "$i")" = 5 ] || { echo "error: silo $i does not see five active silos" >&2; exit 1; }
done
echo "five silos ready ($(date +%T))" >&2

cat > "$work/chaos.yaml" <<YAML
name: bench-chaos
target: embedded
clients: $clients
duration: ${duration}s
rampUp: 5s
seed: $seed
messages: { interval: 1s, size: 64, lossTimeout: 5s }
population:
  - { name: steady, share: 50% }
  - name: flappers
    share: 50%
    behavior: flapping
    flapping: { up: 2s..4s, down: 100ms..500ms, drop: [close, reset], cycles: 0 }
YAML
./simcluster run "$work/chaos.yaml" --cluster "$cluster" --no-live --out "$work/report" < /dev/null > "$work/run.log" 2>&1 &
run_pid=$!; pids+=($run_pid)
wait_for "$work/run.log" "^coordinator on silo " 300 || { echo "error: the run did not start" >&2; tail "$work/run.log" >&2; exit 1; }
coordinator=$(grep -m1 "^coordinator on silo " "$work/run.log")
# the run's second as its progress lines show it (0 before the first)
run_second() { grep -oE "\] t= *[0-9]+/" "$work/run.log" | tail -1 | grep -oE "[0-9]+" || echo 0; }
wait_second() { while [ "$(run_second)" -lt "$1" ]; do kill -0 "$run_pid" 2>/dev/null || return 1; sleep 0.2; done; }

# The schedule, from the seed alone: kinds (each at least once when there are three events or more), victims
# (silos not holding the coordinator, each once), lengths and gaps. Printed before it is played.
victims=""; for i in 1 2 3 4 5; do [[ "$coordinator" == *":${silo_port[$i]}@"* ]] || victims="$victims $i"; done
python3 - "$seed" "$events" "$duration" $victims > "$work/schedule" <<'PY'
import random, sys
seed, n, duration, victims = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4:]
rng = random.Random(seed)
kinds = ["kill", "pause", "store"] if n >= 3 else []
silo_events = len(victims)
while len(kinds) < n: kinds.append(rng.choice(["kill", "pause", "store"]))
rng.shuffle(kinds)
# at most one event per victim: surplus silo events become store outages
while sum(k != "store" for k in kinds) > silo_events: kinds[max(i for i, k in enumerate(kinds) if k != "store")] = "store"
rng.shuffle(victims)
t = 12
for kind in kinds:
    t += rng.randint(4, 9)
    length = {"kill": rng.randint(6, 10), "pause": rng.randint(2, 6), "store": rng.randint(10, 20)}[kind]
    victim = victims.pop() if kind != "store" else "-"
    print(kind, victim, t, length)
    t += length + 6  # room for the detection and the re-activation before the next event
if t > duration - 10: sys.exit(f"the schedule needs {t + 10} s: raise DURATION_S or lower EVENTS")
PY
echo "coordinator: ${coordinator#coordinator on silo }; schedule (kind, silo, run second, length s):" >&2
sed 's/^/  /' "$work/schedule" >&2

: > "$work/events"
while read -r kind victim at length; do
  wait_second "$at" || break
  case "$kind" in
    kill)
      t0=$(now); kill -KILL "${silo_pid[$victim]}"
      echo "kill $victim ${silo_port[$victim]} $t0" >> "$work/events"; echo "$(date +%T) kill silo $victim" >&2
      sleep "$length"
      start_silo "$victim" "$work/silo$victim-restarted.log"
      echo "$(date +%T) restarted silo $victim (fresh process, port ${silo_port[$victim]})" >&2 ;;
    pause)
      t0=$(now); kill -STOP "${silo_pid[$victim]}"
      echo "pause $victim ${silo_port[$victim]} $t0" >> "$work/events"; echo "$(date +%T) pause silo $victim for $length s" >&2
      sleep "$length"; kill -CONT "${silo_pid[$victim]}" ;;
    store)
      t0=$(now); kill -STOP "$redis_pid"
      echo "store - - $t0" >> "$work/events"; echo "$(date +%T) redis-server paused for $length s" >&2
      sleep "$length"; kill -CONT "$redis_pid" ;;
  esac
done < "$work/schedule"
# bounded: the run gets its duration plus 5 minutes for its stop and report, then is interrupted, then killed
for _ in $(seq $(( (duration + 300) * 5 ))); do kill -0 "$run_pid" 2>/dev/null || break; sleep 0.2; done
kill -0 "$run_pid" 2>/dev/null && { echo "the run did not end in time: interrupted" >&2; kill -INT "$run_pid"; sleep 30; kill -KILL "$run_pid" 2>/dev/null || true; }
set +e
wait "$run_pid"; run_exit=$?
set -e
load=$(cut -d' ' -f1 /proc/loadavg)
restarted_joined=0; for f in "$work"/silo*-restarted.log; do [ -f "$f" ] && grep -q "^silo ready" "$f" && restarted_joined=$((restarted_joined + 1)); done

python3 - "$work/report/report.json" "$work/events" "$work/schedule" "$seed" "$clients" "$duration" "$run_exit" "$load" "$restarted_joined" "$root/docs/benchmarks.md" "$(date -u +%F)" <<'PY'
import json, sys, datetime
report_path, events_path, schedule_path, seed, clients, duration, run_exit, load, joined, bench, day = sys.argv[1:]
clients, duration = int(clients), int(duration)
try: report = json.load(open(report_path))
except Exception as e: report = None; print(f"no report: {e}")
schedule = [l.split() for l in open(schedule_path)]
played = [l.split() for l in open(events_path)]
rows, checks = [], []
if report:
    started = datetime.datetime.fromisoformat(report["startedAt"].replace("Z", "+00:00")).timestamp()
    silos = report["silos"]
    by_port = lambda port: next((s for s in silos if f":{port}@" in s["address"]), None)
    touched = set()
    for (kind, victim, port, t0), (_, _, _, length) in zip(played, schedule):
        second = float(t0) - started
        silo = by_port(port) if port != "-" else None
        if port != "-": touched.add(port)
        lost = silo is not None and silo["lost"]
        detect = f"{silo['lostAtSecond'] - second:.2f} s" if lost and silo.get("lostAtSecond") is not None else ("not declared dead" if kind != "store" else "-")
        react = f"{silo['reactivatedAtSecond'] - second:.2f} s" if lost and silo.get("reactivatedAtSecond") is not None else "-"
        during = [s for s in silos if s["lost"] and s.get("lostAtSecond") is not None and second <= s["lostAtSecond"] <= second + int(length)] if kind == "store" else []
        what = {"kill": f"SIGKILL silo {victim}, restarted after {length} s", "pause": f"SIGSTOP silo {victim} for {length} s",
                "store": f"SIGSTOP redis-server for {length} s"}[kind]
        hole = next((h for h in report["holes"]["silos"] if silo and h["silo"] == silo["address"]), None)
        note = (f"{len(during)} silo(s) declared dead during it" if kind == "store" else "not in the run" if silo is None
                else f"{hole['clients']} clients lost ({silo['clients']} its own)" if hole else f"{silo['clients']} clients")
        rows.append(f"| {second:.1f} s | {what} | {detect} | {react} | {note} |")
    c = report["clients"]
    up = report["targetStats"]["after"]["upgrades"] - report["targetStats"]["before"]["upgrades"]
    connects = report["metrics"]["connects"]["value"]
    unreported = report["holes"].get("targetUpgradesNotReported")
    bound = report["holes"]["atMost"].get("connects", 0)
    killed = {p for k, _, p, _ in played if k == "kill"}
    false_deaths = [s["address"] for s in silos if s["lost"] and not any(f":{p}@" in s["address"] for p in touched)]
    timeline_end = max((p["t"] for p in report["timeline"]), default=0)
    checks = [
        ("planned = started", c["planned"] == c["started"] == clients, f"{c['planned']} planned, {c['started']} started"),
        ("lost = re-activated", c["lost"] == c["reactivated"], f"{c['lost']} lost, {c['reactivated']} re-activated"),
        ("target's upgrades vs connects within the holes' bound", unreported is not None and 0 <= unreported <= bound,
         f"target {up} upgrades, report {connects:.0f} connects: {unreported} unreported, bound {bound}"),
        ("every killed silo declared dead", all(by_port(p) and by_port(p)["lost"] for p in killed), f"{sum(1 for p in killed if by_port(p) and by_port(p)['lost'])} of {len(killed)}"),
        ("no false deaths (untouched silos)", not false_deaths, f"{len(false_deaths)} of {sum(1 for s in silos if not any(f':{p}@' in s['address'] for p in touched))} untouched silos declared dead"),
        ("the run reached its planned end", timeline_end >= duration and "could not be finished" not in json.dumps(report.get("partialReason")), f"timeline to {timeline_end} s, exit {run_exit}"),
    ]
else:
    checks = [("a report was written", False, f"exit {run_exit}")]
header = "| run second | event | → declared dead | → clients running again | clients |"
print(f"seed {seed}, {clients} clients, {duration} s, load average {load}, restarted silos that joined again: {joined}")
print(header); print("|---|---|---|---|---|")
for r in rows: print(r)
for name, ok, detail in checks: print(f"{'PASS' if ok else 'FAIL'}  {name}: {detail}")
text = open(bench).read()
with open(bench, "a") as f:
    if "\n## Chaos" not in text:
        f.write("""
## Chaos (`bench/chaos.sh [SEED] [EVENTS] [CLIENTS] [DURATION_S]`)

Five `simcluster silo` processes on a redis-server of their own, settings as shipped, the CLI driving a flapping
run against its embedded target; at seeded moments a silo is SIGKILLed (then restarted as a fresh process), a
silo is frozen (SIGSTOP, then SIGCONT), or redis-server is frozen, one event at a time, never the coordinator's
silo. "Declared dead" and "running again" are the report's `silos[].lostAtSecond` and `reactivatedAtSecond`
less the event's second; the last column, the clients a lost silo ran when it died (its own and any it had
adopted). Each invocation appends its own table and its checks.
""")
    f.write(f"\n{day}, seed {seed}, {clients} clients for {duration} s on five silos, load average {load} at the end, "
            f"{joined} restarted silo(s) joined again:\n\n{header}\n|---|---|---|---|---|\n")
    for r in rows: f.write(r + "\n")
    f.write("\n" + "; ".join(f"{'PASS' if ok else 'FAIL'} {name} ({detail})" for name, ok, detail in checks) + ".\n")
sys.exit(0 if all(ok for _, ok, _ in checks) else 1)
PY
