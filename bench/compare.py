#!/usr/bin/env python3
"""Side-by-side load-generator benchmark (issues 8 and 25): SimCluster, Tsung, Artillery and the machine's limit
(bench/limit/limit.c, a minimal epoll client in C) against the same target.

Every tool runs the same job: N clients connect, each sends a 64-byte text message every second and waits
for its echo. Each (tool, size) pair gets a fresh reference target in its own process, so no run inherits
another's state. Everything that is compared is measured the same way for every tool, from outside it:

- connections and echoes are read from the target's /stats (open connections, upgrades, messages out);
- memory and CPU are read from /proc for the tool's whole process tree (RSS summed, utime + stime);
- "connect rate" is N divided by the time from the target's first upgrade to the moment all N are open,
  with every tool asked for the same arrival rate (--rate, default 5,000 new connections per second).

Every tool is measured twice unless --placements says otherwise: "shared" (tool and target free to use both
cores, as a user would run them) and "pinned" (`taskset`: the target on one core, the tool on the other, so the
tool's CPU per echo is its own and not stolen by the target's). The limit client's CPU per echo, in the same
placement and at the same size, is the bare minimum the job costs: every other tool is also stated as a
multiple of it ("x limit").

Only SimCluster reports RTT and send lag (Artillery has no latency metric for WebSockets, Tsung's
needs its own log post-processing), so those come from SimCluster's report.json.

Further sections: a flapping handshake storm (SimCluster only: the peers cannot reconnect), RTT fidelity
against a minimal raw-socket client on the same target, and an optional multi-silo hold of 50,000 clients.
Usage: bench/compare.sh (installs the peers, then runs this); see --help.
"""
import argparse
import base64
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SIMCLUSTER = os.path.join(ROOT, "simcluster")
ARTILLERY = os.path.join(ROOT, ".bench-tools", "artillery", "node_modules", ".bin", "artillery")
LIMIT = os.path.join(ROOT, ".bench-tools", "limit")  # built from bench/limit/limit.c by bench/compare.sh
# taskset CPU lists per placement: (target, tool). None: no pinning.
PLACEMENTS = {"shared": (None, None), "pinned": ("1", "0")}
CLK_TCK = os.sysconf("SC_CLK_TCK")
PAGE_KB = os.sysconf("SC_PAGE_SIZE") // 1024
MESSAGE = '{"c":0,"s":0,"t":0,"p":"' + "x" * 38 + '"}'  # 64 bytes, valid JSON (Artillery parses echoes)
assert len(MESSAGE) == 64


def log(text):
    print(text, file=sys.stderr, flush=True)


# ---------------------------------------------------------------- /proc sampling

def children_of():
    tree = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        ppid = int(stat[stat.rindex(")") + 2:].split()[1])
        tree.setdefault(ppid, []).append(int(entry))
    return tree


def process_tree(pid):
    tree, todo, seen = children_of(), [pid], []
    while todo:
        p = todo.pop()
        seen.append(p)
        todo.extend(tree.get(p, []))
    return seen


def tree_usage(pid):
    """RSS (KB) and CPU seconds (user + system) of a process and all its descendants."""
    rss_kb, cpu = 0, 0.0
    for p in process_tree(pid):
        try:
            with open(f"/proc/{p}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            with open(f"/proc/{p}/statm") as f:
                rss_kb += int(f.read().split()[1]) * PAGE_KB
        except OSError:
            continue
        cpu += (int(fields[11]) + int(fields[12])) / CLK_TCK
    return rss_kb, cpu


# ---------------------------------------------------------------- target

class Target:
    """A reference target in its own process on a free port."""

    def __init__(self, work, name, extra=(), cpus=None):
        self.log_path = os.path.join(work, f"target-{name}.log")
        self.log = open(self.log_path, "w")
        self.proc = subprocess.Popen([*pin(cpus), SIMCLUSTER, "target", "--port", "0", *extra], stdout=self.log,
                                     stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.time() + 60
        while time.time() < deadline:
            text = open(self.log_path).read()
            m = re.search(r"ws://[^\s]+", text)
            if m:
                self.url = m.group(0)
                self.port = int(re.search(r":(\d+)/", self.url).group(1))
                self.stats_url = f"http://127.0.0.1:{self.port}/stats"
                return
            if self.proc.poll() is not None:
                raise RuntimeError(f"target exited: {text}")
            time.sleep(0.1)
        raise RuntimeError("target did not start in 60 s")

    def stats(self):
        # A busy target may answer late; one slow answer must not end the benchmark.
        for attempt in range(3):
            try:
                with urllib.request.urlopen(self.stats_url, timeout=10) as r:
                    return json.load(r)
            except (TimeoutError, OSError):
                if attempt == 2:
                    raise
                time.sleep(1)

    def stop(self):
        stop_group(self.proc)
        self.log.close()


def stop_group(proc, grace=10):
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        proc.wait(grace)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def pin(cpus):
    """The taskset prefix that keeps a process (and every thread and child it starts) on the given CPUs."""
    return ["taskset", "-c", cpus] if cpus else []


# ---------------------------------------------------------------- the tools under test

def ramp_seconds(n, rate):
    return max(1, round(n / rate))


def simcluster_job(work, url, n, hold, driver, rate, tag=""):
    path = os.path.join(work, f"simcluster-{driver}{tag}-{n}.yaml")
    with open(path, "w") as f:
        f.write(f"""name: bench-compare-{n}
target: {url}
clients: {n}
duration: {hold + 60 + ramp_seconds(n, rate)}s
rampUp: {ramp_seconds(n, rate)}s
driver: {driver}
seed: 1
messages: {{ interval: 1s, size: 64, lossTimeout: 5s }}
""")
    out = os.path.join(work, f"report-{driver}{tag}-{n}")
    return [SIMCLUSTER, "run", path, "--no-live", "--out", out], out


def tsung_job(work, url, n, hold, rate):
    port = int(re.search(r":(\d+)/", url).group(1))
    path = os.path.join(work, f"tsung-{n}.xml")
    loops = hold + 30
    with open(path, "w") as f:
        f.write(f"""<?xml version="1.0"?>
<!DOCTYPE tsung SYSTEM "/usr/share/tsung/tsung-1.0.dtd">
<tsung loglevel="error" version="1.0">
  <clients><client host="localhost" use_controller_vm="true" maxusers="{n + 100}"/></clients>
  <servers><server host="127.0.0.1" port="{port}" type="tcp"/></servers>
  <load>
    <arrivalphase phase="1" duration="{ramp_seconds(n, rate) + 30}" unit="second">
      <users maxnumber="{n}" arrivalrate="{rate}" unit="second"/>
    </arrivalphase>
  </load>
  <sessions>
    <session name="echo" probability="100" type="ts_websocket">
      <request><websocket type="connect" path="/ws"></websocket></request>
      <for from="1" to="{loops}" var="i">
        <request><websocket type="message">{MESSAGE}</websocket></request>
        <thinktime value="1" random="false"/>
      </for>
    </session>
  </sessions>
</tsung>
""")
    logdir = os.path.join(work, f"tsung-log-{n}")
    os.makedirs(logdir, exist_ok=True)
    return ["tsung", "-f", path, "-l", logdir, "start"], logdir


def artillery_job(work, url, n, hold, rate):
    path = os.path.join(work, f"artillery-{n}.yml")
    loops = hold + 30
    with open(path, "w") as f:
        f.write(f"""config:
  target: "{url}"
  phases:
    - duration: {ramp_seconds(n, rate)}
      arrivalRate: {rate}
  ws:
    timeout: 10
scenarios:
  - engine: ws
    flow:
      - loop:
          - send:
              payload: '{MESSAGE}'
              capture:
                json: "$.c"
                as: echoed
          - think: 1
        count: {loops}
""")
    out = os.path.join(work, f"artillery-{n}.json")
    env_note = "PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1"
    return [ARTILLERY, "run", "--quiet", "-o", out, path], env_note


# ---------------------------------------------------------------- one run, measured from outside

def limit_job(url, n, hold, rate):
    # Runs well past the measurement; stopped by SIGTERM like the peers, it prints its own summary.
    return [LIMIT, url, str(n), str(hold + 60 + ramp_seconds(n, rate)), str(rate)]


def measure(tool, n, hold, work, command, target, settle=5, wait_exit=False):
    """Starts command, waits until the target holds n connections, then samples for `hold` seconds."""
    log(f"  {tool} x {n:,}: {' '.join(os.path.basename(c) if i == 0 else c for i, c in enumerate(command[:5]))} ...")
    env = dict(os.environ, DOTNET_CLI_TELEMETRY_OPTOUT="1", PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD="1",
               ARTILLERY_DISABLE_TELEMETRY="true")
    out = open(os.path.join(work, f"{tool.replace(' ', '-')}-{n}.out"), "w")
    proc = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, start_new_session=True, env=env,
                            cwd=work)
    started = time.time()
    first_upgrade = all_open = None
    result = {"tool": tool, "clients": n}
    try:
        deadline = started + 180
        while time.time() < deadline and proc.poll() is None:
            s = target.stats()
            now = time.time()
            if first_upgrade is None and s["upgrades"] > 0:
                first_upgrade = now
            if s["openConnections"] >= n:
                all_open = now
                break
            time.sleep(0.1)
        if all_open is None:
            s = target.stats()
            result["error"] = f"only {s['openConnections']:,} of {n:,} connections opened"
            return result
        result["connect_s"] = all_open - first_upgrade
        result["connect_rate"] = n / max(result["connect_s"], 0.1)
        time.sleep(settle)
        rss_samples, open_min = [], n
        s0, (_, cpu0), t0 = target.stats(), tree_usage(proc.pid), time.time()
        while time.time() - t0 < hold and proc.poll() is None:
            time.sleep(1)
            rss, _ = tree_usage(proc.pid)
            rss_samples.append(rss)
            open_min = min(open_min, target.stats()["openConnections"])
        s1, (_, cpu1), t1 = target.stats(), tree_usage(proc.pid), time.time()
        if proc.poll() is not None:
            result["error"] = f"the tool exited {t1 - t0:.0f} s into the {hold} s measurement (exit {proc.returncode})"
            return result
        result["rss_mb"] = statistics.median(rss_samples) / 1024 if rss_samples else float("nan")
        result["rss_peak_mb"] = max(rss_samples) / 1024 if rss_samples else float("nan")
        result["cpu_pct"] = 100 * (cpu1 - cpu0) / (t1 - t0)
        result["echoes_s"] = (s1["messagesOut"] - s0["messagesOut"]) / (t1 - t0)
        result["open_min"] = open_min
        result["cpu_us_per_echo"] = 1e6 * (cpu1 - cpu0) / max(s1["messagesOut"] - s0["messagesOut"], 1)
        return result
    finally:
        if wait_exit and proc.poll() is None:
            # SIGINT: SimCluster stops its clients and writes its report (marked partial) at once.
            os.killpg(proc.pid, signal.SIGINT)
            try:
                proc.wait(60)
            except subprocess.TimeoutExpired:
                pass
        stop_group(proc, grace=20)
        out.close()


# ---------------------------------------------------------------- sections

def side_by_side(args, work):
    rows = []
    tools = [t.strip() for t in args.tools.split(",") if t.strip()]
    for placement in args.placements:
        target_cpus, tool_cpus = PLACEMENTS[placement]
        for n in args.sizes:
            for tool in tools:
                label = tool.replace("simcluster:", "simcluster-")
                if tool.startswith("simcluster") and ":" not in tool:
                    label = "simcluster-lean"
                label = f"{label} ({placement})"
                if tool == "tsung" and not shutil.which("tsung"):
                    rows.append({"tool": label, "clients": n, "error": "tsung not installed"}); continue
                if tool == "artillery" and not os.path.exists(ARTILLERY):
                    rows.append({"tool": label, "clients": n, "error": "artillery not installed"}); continue
                if tool == "limit" and not os.path.exists(LIMIT):
                    rows.append({"tool": label, "clients": n, "error": "limit client not built (bench/compare.sh builds it)"}); continue
                target = Target(work, f"{label.replace(' ', '-')}-{n}", cpus=target_cpus)
                try:
                    if tool.startswith("simcluster"):
                        driver = tool.split(":", 1)[1] if ":" in tool else "lean"
                        command, report_dir = simcluster_job(work, target.url, n, args.hold, driver, args.rate, tag=f"-{placement}")
                        row = measure(label, n, args.hold, work, pin(tool_cpus) + command, target, wait_exit=True)
                        report = os.path.join(report_dir, "report.json")
                        if os.path.exists(report):
                            m = json.load(open(report))["metrics"]
                            row["rtt"] = m.get("message_rtt", {})
                            row["sched"] = m.get("send_lag", {})
                            row["connect_p99"] = m.get("connect_time", {}).get("p99")
                            row["lost"] = m.get("messages_lost", {}).get("value")
                    elif tool == "tsung":
                        command, _ = tsung_job(work, target.url, n, args.hold, args.rate)
                        row = measure(label, n, args.hold, work, pin(tool_cpus) + command, target)
                    elif tool == "limit":
                        row = measure(label, n, args.hold, work, pin(tool_cpus) + limit_job(target.url, n, args.hold, args.rate), target)
                    else:
                        command, _ = artillery_job(work, target.url, n, args.hold, args.rate)
                        row = measure(label, n, args.hold, work, pin(tool_cpus) + command, target)
                finally:
                    target.stop()
                row["placement"] = placement
                log(f"    {json.dumps(row)}")
                rows.append(row)
    return rows


def handshake_storm(args, work):
    """Flapping clients reconnecting immediately: sustained handshakes per second and connect_time."""
    n = args.storm_clients
    target = Target(work, "storm")
    try:
        path = os.path.join(work, "storm.yaml")
        with open(path, "w") as f:
            f.write(f"""name: bench-handshake-storm
target: {target.url}
clients: {n}
duration: {args.storm_seconds + 10}s
rampUp: 2s
driver: lean
seed: 3
messages: {{ interval: 0s }}
reconnect: {{ policy: immediate }}
population:
  - name: flappers
    share: 100%
    behavior: flapping
    flapping: {{ up: 500ms..1500ms, down: 0ms..50ms, drop: close, cycles: 0 }}
""")
        out = os.path.join(work, "report-storm")
        proc = subprocess.Popen([SIMCLUSTER, "run", path, "--no-live", "--out", out], start_new_session=True,
                                stdout=open(os.path.join(work, "storm.out"), "w"), stderr=subprocess.STDOUT)
        time.sleep(8)  # start-up and ramp
        s0, t0 = target.stats(), time.time()
        per_second = []
        last = s0
        while time.time() - t0 < args.storm_seconds and proc.poll() is None:
            time.sleep(1)
            s = target.stats()
            per_second.append(s["upgrades"] - last["upgrades"])
            last = s
        s1, t1 = target.stats(), time.time()
        proc.wait(120)
        report = json.load(open(os.path.join(out, "report.json")))
        m = report["metrics"]
        return {
            "clients": n, "seconds": round(t1 - t0),
            "handshakes_s": (s1["upgrades"] - s0["upgrades"]) / (t1 - t0),
            "min_second": min(per_second) if per_second else 0,
            "connect_time": m.get("connect_time", {}), "reconnect_time": m.get("reconnect_time", {}),
            "connect_success": m.get("connect_success_ratio", {}).get("value"),
            "reconnect_success": m.get("reconnect_success_ratio", {}).get("value"),
            "rejected": s1.get("rejectedHandshakes", 0),
        }
    finally:
        target.stop()


def raw_rtt(url, count, interval):
    """A minimal raw-socket WebSocket client: one connection, masked 64-byte text frames, blocking reads."""
    m = re.match(r"ws://([^:/]+):(\d+)(/.*)", url)
    host, port, path = m.group(1), int(m.group(2)), m.group(3)
    sock = socket.create_connection((host, port))
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    key = base64.b64encode(os.urandom(16)).decode()
    sock.sendall((f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                  f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n").encode())
    buf = b""
    while b"\r\n\r\n" not in buf:
        buf += sock.recv(4096)
    assert buf.startswith(b"HTTP/1.1 101"), buf[:80]
    payload, mask = MESSAGE.encode(), os.urandom(4)
    frame = bytes([0x81, 0x80 | len(payload)]) + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    rtts = []
    for _ in range(count):
        t0 = time.perf_counter()
        sock.sendall(frame)
        got = b""
        while len(got) < 2 + len(payload):
            got += sock.recv(4096)
        rtts.append((time.perf_counter() - t0) * 1000)
        time.sleep(interval)
    sock.close()
    return rtts


def rtt_fidelity(args, work):
    target = Target(work, "rtt")
    try:
        raw = raw_rtt(target.url, 1000, 0.005)
        path = os.path.join(work, "rtt.yaml")
        with open(path, "w") as f:
            f.write(f"""name: bench-rtt
target: {target.url}
clients: 10
duration: 20s
driver: lean
seed: 4
messages: {{ interval: 200ms, size: 64, lossTimeout: 5s }}
""")
        out = os.path.join(work, "report-rtt")
        subprocess.run([SIMCLUSTER, "run", path, "--no-live", "--out", out], check=False,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=180)
        sim = json.load(open(os.path.join(out, "report.json")))["metrics"]["message_rtt"]
        raw_sorted = sorted(raw)
        return {"raw_med": statistics.median(raw), "raw_p95": raw_sorted[int(len(raw) * 0.95)],
                "sim_med": sim.get("med"), "sim_p95": sim.get("p95"), "sim_count": sim.get("count")}
    finally:
        target.stop()


# ---------------------------------------------------------------- output

def fmt(v, digits=0, suffix=""):
    if v is None or (isinstance(v, float) and v != v):
        return "n/a"
    return f"{v:,.{digits}f}{suffix}"


def slope_kb(rows, tool, lo, hi):
    a = next((r for r in rows if r["tool"] == tool and r["clients"] == lo and "rss_mb" in r), None)
    b = next((r for r in rows if r["tool"] == tool and r["clients"] == hi and "rss_mb" in r), None)
    if not a or not b or hi == lo:
        return None
    return (b["rss_mb"] - a["rss_mb"]) * 1024 / (hi - lo)


def starved(r):
    """A run that did not do the whole job (echoes short, connections dropped, messages lost): its CPU per echo is
    not comparable: a tool starved of CPU handles several messages per wake-up and so spends less per echo."""
    return ("echoes_s" in r and r["echoes_s"] < 0.95 * r["clients"]) or r.get("open_min", r["clients"]) < r["clients"] \
        or (r.get("lost") or 0) > 0


def limit_cpu(rows, placement, n):
    """The limit client's CPU per echo in the same placement at the same size: the job's bare minimum."""
    r = next((r for r in rows if r["tool"].startswith("limit") and r.get("placement") == placement and r["clients"] == n
              and "cpu_us_per_echo" in r), None)
    return r["cpu_us_per_echo"] if r else None


def render(args, rows, storm, fidelity):
    lines = []
    lo, hi = min(args.sizes), max(args.sizes)
    lines.append("| tool (placement) | clients | connect all | handshakes/s | RSS (median) | CPU (1 core = 100 %) | echoes/s | CPU µs per echo | x limit (CPU) | fewest open | RTT med / p99 | send lag p99 | lost |")
    lines.append("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        if "error" in r:
            lines.append(f"| {r['tool']} | {r['clients']:,} | {r['error']} |  |  |  |  |  |  |  |  |  |  |")
            continue
        rtt = r.get("rtt") or {}
        sched = r.get("sched") or {}
        rtt_text = f"{fmt(rtt.get('med'), 2)} / {fmt(rtt.get('p99'), 1)} ms" if rtt else "not measured by the tool"
        floor = limit_cpu(rows, r.get("placement"), r["clients"])
        ratio = fmt(r["cpu_us_per_echo"] / floor, 1, "x") if floor else "n/a"
        if starved(r):
            ratio = f"not comparable (job not done: {ratio})"
        lines.append(f"| {r['tool']} | {r['clients']:,} | {fmt(r['connect_s'], 1)} s | {fmt(r['connect_rate'])} | "
                     f"{fmt(r['rss_mb'])} MB | {fmt(r['cpu_pct'])} % | {fmt(r['echoes_s'])} | {fmt(r['cpu_us_per_echo'], 1)} | {ratio} | "
                     f"{r['open_min']:,} | {rtt_text} | {fmt(sched.get('p99'), 1, ' ms') if sched else 'n/a'} | {fmt(r.get('lost'))} |")
    lines.append("")
    tools = list(dict.fromkeys(r["tool"] for r in rows))
    summary = []
    notes = []
    for tool in tools:
        # A tool that failed at the largest size is measured up to the largest size it completed, and says so.
        done = sorted(r["clients"] for r in rows if r["tool"] == tool and "rss_mb" in r)
        top = done[-1] if done else hi
        if done and top != hi:
            notes.append(f"{tool} failed at {hi:,} clients: " + (f"its memory slope is over {done[0]:,} to {top:,} and its CPU per echo at {top:,}."
                         if len(done) > 1 else f"no memory slope; its CPU per echo is at {top:,}."))
        slope = slope_kb(rows, tool, done[0], top) if done else None
        big = next((r for r in rows if r["tool"] == tool and r["clients"] == top and "cpu_us_per_echo" in r), None)
        if big and starved(big):
            notes.append(f"{tool} did not do the whole job at {top:,} (echoes/s {big['echoes_s']:,.0f}, fewest open "
                         f"{big['open_min']:,}, lost {fmt(big.get('lost'))}): its CPU per echo there is not comparable.")
        rates = [r["connect_rate"] for r in rows if r["tool"] == tool and "connect_rate" in r]
        placement = next((r.get("placement") for r in rows if r["tool"] == tool), None)
        floor = limit_cpu(rows, placement, top)
        summary.append((tool, slope, big["cpu_us_per_echo"] if big else None, max(rates) if rates else None, placement, floor))
    lines.append(f"Per tool (memory: RSS slope between {lo:,} and {hi:,} clients; CPU per echo at {hi:,}; best connect rate; "
                 f"\"x limit\": CPU per echo over the limit client's, same placement and size):")
    lines.append("")
    lines.append("| tool (placement) | KB per client | CPU µs per echo | x limit (CPU) | echoes/s per core | handshakes/s |")
    lines.append("|---|---|---|---|---|---|")
    for tool, slope, cpu, rate, _, floor in summary:
        per_core = 1e6 / cpu if cpu else None
        big = next((r for r in rows if r["tool"] == tool and r["clients"] == hi and "cpu_us_per_echo" in r), None)
        times = fmt(cpu / floor, 1, 'x') if cpu and floor else 'n/a'
        if big and starved(big):
            times = f"not comparable (job not done: {times})"
        lines.append(f"| {tool} | {fmt(slope, 2 if tool.startswith('limit') else 1)} | {fmt(cpu, 1)} | "
                     f"{times} | {fmt(per_core)} | {fmt(rate)} |")
    if notes:
        lines.append("")
        lines.extend(f"- {note}" for note in notes)
    for placement in args.placements:
        base = next((s for s in summary if s[0].startswith("simcluster") and s[4] == placement), None)
        if not base:
            continue
        lines.append("")
        for tool, slope, cpu, rate, where, _ in summary:
            if tool == base[0] or where != placement or tool.startswith("limit"):
                continue
            parts = []
            if slope and base[1]:
                parts.append(f"memory per client {slope / base[1]:.1f}x SimCluster's")
            if cpu and base[2]:
                parts.append(f"CPU per echo {cpu / base[2]:.1f}x")
            if rate and base[3]:
                parts.append(f"connect rate {base[3] / rate:.1f}x slower" if rate < base[3] else f"connect rate {rate / base[3]:.1f}x faster")
            if parts:
                lines.append(f"- {tool} against {base[0]}: " + ", ".join(parts) + ".")
    if storm:
        ct, rt = storm["connect_time"], storm["reconnect_time"]
        lines.append("")
        lines.append(f"Handshake storm (SimCluster `lean`, {storm['clients']:,} flapping clients, up 0.5-1.5 s, down 0-50 ms, "
                     f"immediate reconnect, {storm['seconds']} s measured at the target): **{storm['handshakes_s']:,.0f} handshakes/s** "
                     f"sustained (slowest second {storm['min_second']:,}), connect_time med / p95 / p99 {fmt(ct.get('med'), 1)} / "
                     f"{fmt(ct.get('p95'), 1)} / {fmt(ct.get('p99'), 1)} ms, reconnect_time p99 {fmt(rt.get('p99'), 1)} ms, "
                     f"connect success {storm['connect_success']}, reconnect success {storm['reconnect_success']}, "
                     f"handshakes rejected by the target {storm['rejected']}.")
    if fidelity:
        lines.append("")
        lines.append(f"RTT fidelity (same target, nothing else running): a minimal raw-socket client (Python, one connection, "
                     f"1,000 echoes) measured median {fidelity['raw_med']:.3f} ms, p95 {fidelity['raw_p95']:.3f} ms; SimCluster "
                     f"(10 `lean` clients, 5 messages/s each, {fmt(fidelity['sim_count'])} echoes) median {fmt(fidelity['sim_med'], 3)} ms, "
                     f"p95 {fmt(fidelity['sim_p95'], 3)} ms: a difference of "
                     f"{abs((fidelity['sim_med'] or 0) - fidelity['raw_med']):.3f} ms at the median.")
    return "\n".join(lines)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--sizes", default="5000,10000,15000", help="client counts, comma-separated (default 5000,10000,15000)")
    p.add_argument("--hold", type=int, default=30, help="seconds measured once all clients are open (default 30)")
    p.add_argument("--rate", type=int, default=5000, help="arrival rate every tool is asked for, connections/s (default 5000)")
    p.add_argument("--tools", default="limit,simcluster:lean,simcluster:websocket-client,tsung,artillery")
    p.add_argument("--placements", default="shared,pinned",
                   help="shared (no pinning) and/or pinned (taskset: target on CPU 1, tool on CPU 0); default both")
    p.add_argument("--storm-clients", type=int, default=5000)
    p.add_argument("--storm-seconds", type=int, default=30)
    p.add_argument("--skip", default="", help="sections to skip: compare,storm,rtt")
    p.add_argument("--no-write", action="store_true", help="print only; do not append to docs/benchmarks.md")
    args = p.parse_args()
    args.sizes = [int(s) for s in args.sizes.split(",")]
    args.placements = [p.strip() for p in args.placements.split(",") if p.strip()]
    if unknown := [p for p in args.placements if p not in PLACEMENTS]:
        raise SystemExit(f"unknown placement(s) {unknown}: use {', '.join(PLACEMENTS)}")
    if "pinned" in args.placements and (os.cpu_count() or 1) < 2:
        raise SystemExit("the pinned placement needs two CPUs")
    skip = set(args.skip.split(","))
    subprocess.run([SIMCLUSTER, "version"], check=True, stdout=subprocess.DEVNULL)  # build outside the measurement
    load_start = open("/proc/loadavg").read().split()[0]
    work = tempfile.mkdtemp(prefix="simcluster-compare-")
    log(f"work folder: {work}")
    rows = side_by_side(args, work) if "compare" not in skip else []
    storm = handshake_storm(args, work) if "storm" not in skip else None
    if storm:
        log(f"  storm: {json.dumps(storm)}")
    fidelity = rtt_fidelity(args, work) if "rtt" not in skip else None
    if fidelity:
        log(f"  rtt: {json.dumps(fidelity)}")
    table = render(args, rows, storm, fidelity)
    print(table)
    if not args.no_write:
        load = open("/proc/loadavg").read().split()[0]
        with open(os.path.join(ROOT, "docs", "benchmarks.md"), "a") as f:
            f.write(f"\n### {time.strftime('%Y-%m-%d %H:%M', time.gmtime())} UTC run of `bench/compare.sh`: {os.cpu_count()} cores, "
                    f"hold {args.hold} s, load average {load_start} at the start and {load} at the end\n\n")
            f.write(table + "\n")
        log("appended to docs/benchmarks.md")
    with open(os.path.join(work, "rows.json"), "w") as f:
        json.dump({"rows": rows, "storm": storm, "rtt": fidelity}, f, indent=1)


if __name__ == "__main__":
    main()
