"""bench/suite.sh's helper: `sample OUT` samples every process's CPU until SIGTERM; `report ...` prints the figures."""
import collections, datetime, glob, json, os, re, signal, sys, time

KINDS = [  # (kind, test on the command line), first match wins
    ("test host", lambda c: "testhost" in c),
    ("Chromium", lambda c: "chrom" in c),  # before the CLI: its profile folders are named simcluster-...
    ("silo processes", lambda c: re.search(r"(^|/)simcluster(\.dll)? silo( |$)", c) is not None),
    ("CLI runs", lambda c: re.search(r"(^|/)simcluster(\.dll)? run ", c) is not None),
    ("other CLI commands", lambda c: re.search(r"(^|/)simcluster(\.dll)? ", c) is not None),
    ("Dockerfile publish (compilers)", lambda c: any(w in c for w in ("MSBuild", "csc.dll", "VBCSCompiler", " publish"))),
    ("Node peers", lambda c: c.startswith("node") or "/node " in c),
    ("redis-server, PostgreSQL", lambda c: "redis" in c or "postgres" in c),
    ("dotnet test, vstest", lambda c: "vstest" in c or "dotnet test" in c),
]


def kind(pid):
    try:
        cmd = open(f"/proc/{pid}/cmdline", "rb").read().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return None
    return next((k for k, test in KINDS if test(cmd)), "other")


def sample(out):
    seen, stop, first = {}, [], True
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    busy0, t0 = busy_ticks(), time.time()
    while not stop:
        for pid in filter(str.isdigit, os.listdir("/proc")):
            try:
                fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            key = f"{pid}/{fields[19]}"  # pid and start time: a reused pid is another process
            used = int(fields[11]) + int(fields[12])
            if key not in seen:  # what a process alive before the suite had used is not the suite's
                seen[key] = [kind(pid), used if first else 0, used]
            seen[key][2] = used
        first = False
        time.sleep(0.5)
    ticks = os.sysconf("SC_CLK_TCK")
    by_kind = collections.Counter()
    count = collections.Counter()
    for k, before, t in seen.values():
        by_kind[k or "other"] += (t - before) / ticks
        count[k or "other"] += 1
    json.dump({"wall": time.time() - t0, "busy": (busy_ticks() - busy0) / ticks, "cores": os.cpu_count(),
               "kinds": {k: [round(v, 1), count[k]] for k, v in by_kind.items()}}, open(out, "w"))


def busy_ticks():
    f = [int(x) for x in open("/proc/stat").readline().split()[1:]]
    return sum(f) - f[3] - f[4]  # all but idle and iowait


def queues(trx, tests):
    """Each test queue's span: the xunit collection of each test class, from the sources."""
    collection = {}
    for path in glob.glob(os.path.join(tests, "**", "*.cs"), recursive=True):
        text = open(path).read()
        ns = re.search(r"namespace ([\w.]+);", text)
        for m in re.finditer(r"((?:\[[^\]]*\]\s*)*)public (?:sealed |static |abstract |partial )*class (\w+)", text):
            c = re.search(r"Collection\((\w+)Collection\.Name\)", m.group(1))
            collection[f"{ns.group(1)}.{m.group(2)}" if ns else m.group(2)] = c.group(1) if c else "(classes of their own)"
    spans = collections.defaultdict(lambda: [0, 0.0, None, None])
    for m in re.finditer(r"<UnitTestResult ([^>]*)>", open(trx).read()):
        a = dict(re.findall(r'(\w+)="([^"]*)"', m.group(1)))
        q = collection.get(a["testName"].split("(")[0].rsplit(".", 1)[0], "(classes of their own)")
        h, mi, s = a["duration"].split(":")
        start = datetime.datetime.fromisoformat(a["startTime"][:26])
        end = datetime.datetime.fromisoformat(a["endTime"][:26])
        span = spans[q]
        span[0] += 1
        span[1] += int(h) * 3600 + int(mi) * 60 + float(s)
        span[2] = start if span[2] is None or start < span[2] else span[2]
        span[3] = end if span[3] is None or end > span[3] else span[3]
    t0 = min(s[2] for s in spans.values())
    return sorted(((q, n, d, (a - t0).total_seconds(), (b - t0).total_seconds()) for q, (n, d, a, b) in spans.items()), key=lambda r: -r[4])


def report(cpu, trx, tests, busy, rc, write, doc):
    c = json.load(open(cpu))
    rows = queues(trx, tests) if os.path.exists(trx) else []
    title = (f"### {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC: {c['cores']} cores"
             + (", a busy loop pinned to core 0 beside the suite" if busy == "1" else ", nothing else running")
             + f", load average {os.getloadavg()[0]:.2f} at the end, exit code {rc}")
    lines = [title, "",
             f"Wall {c['wall'] / 60:.1f} min; busy CPU {c['busy']:.0f} s ({c['busy'] / c['wall'] / c['cores']:.0%} of {c['cores']} cores, "
             f"the busy loop's share included).", "",
             "| process kind | CPU s | processes |", "|---|---|---|"]
    lines += [f"| {k} | {v[0]:.0f} | {v[1]} |" for k, v in sorted(c["kinds"].items(), key=lambda kv: -kv[1][0]) if v[0] >= 1]
    lines += ["", "| test queue | tests | summed test time s | starts at s | ends at s |", "|---|---|---|---|---|"]
    lines += [f"| {q} | {n} | {d:.0f} | {a:.0f} | {b:.0f} |" for q, n, d, a, b in rows]
    text = "\n".join(lines) + "\n"
    print(text)
    if write == "1":
        with open(doc, "a") as f:
            f.write("\n" + text)


if __name__ == "__main__":
    if sys.argv[1] == "sample":
        sample(sys.argv[2])
    else:
        report(*sys.argv[2:])
