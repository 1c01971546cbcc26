using System.Text.Json.Nodes;
using SimCluster.Tests.Support;

namespace SimCluster.Tests.Silo;

/// <summary>
/// A real cluster on this machine: redis-server for membership, three `simcluster silo` processes and a
/// `simcluster run --cluster redis://...` CLI, with one silo killed (SIGKILL) in the middle of the run.
/// </summary>
[Collection(IntegrationCollection.Name)]
public sealed class RedisClusterTests(Xunit.Abstractions.ITestOutputHelper output)
{
    private const int Clients = 150;

    [Fact]
    public async Task A_silo_killed_mid_run_is_reported_and_its_clients_carry_on_on_the_survivors()
    {
        await Simcluster.EnsureBuiltAsync(); // builds the CLI once, before any clock starts
        await using var cluster = await RedisCluster.StartAsync(silos: 3);
        var folder = Simcluster.TempFolder("redis-cluster");
        try
        {
            var scenario = await RedisCluster.WriteFlappingScenarioAsync(Path.Combine(folder, "cluster.yaml"), "cluster-loss", Clients, "40s", seed: 7);
            var outDir = Path.Combine(folder, "report");
            await using var run = cluster.StartRun("simcluster run", scenario, outDir);
            var coordinatorLine = await RedisCluster.CoordinatorLineAsync(run);
            // Progress names each silo's own source addresses once, right after the coordinator.
            var sourceLines = new List<string>();
            for (var i = 0; i < 3; i++)
                sourceLines.Add(await run.WaitForLineAsync(l => l.StartsWith("silo ", StringComparison.Ordinal) && l.Contains(" clients from 127.1.", StringComparison.Ordinal)
                    && !sourceLines.Contains(l), "the silos' source ranges", TimeSpan.FromSeconds(120)));
            await run.WaitForRunSecondAsync(10, TimeSpan.FromSeconds(180));

            // The Orleans dashboard on any silo shows the run's client grains on all three silos.
            using (var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) })
            {
                // Its statistics are gathered every few seconds (later on a busy machine): poll, bounded generously.
                var seen = "";
                for (var deadline = DateTime.UtcNow.AddSeconds(120); DateTime.UtcNow < deadline; await Task.Delay(500))
                {
                    var counters = JsonNode.Parse(await http.GetStringAsync($"http://127.0.0.1:{cluster.Silos[0].HttpPort}/dashboard/DashboardCounters"))!;
                    var clientGrains = counters["simpleGrainStats"]!.AsArray().Where(g => g!["grainType"]!.GetValue<string>() == "SimCluster.Grains.Clients.ClientGrain").ToList();
                    seen = string.Join(", ", clientGrains.Select(g => $"{g!["siloAddress"]}={g["activationCount"]}"));
                    if (clientGrains.Select(g => g!["siloAddress"]!.GetValue<string>()).Distinct().Count() == 3
                        && clientGrains.Sum(g => g!["activationCount"]!.GetValue<int>()) == Clients) break;
                }
                Assert.True(seen.Split(", ").Length == 3 && seen.Split(", ").Sum(x => int.Parse(x.Split('=')[1])) == Clients, $"dashboard client grains: {seen}");
            }

            // Kill a silo that does not hold the coordinator (losing that one is a failover: CoordinatorLossTests).
            var victim = cluster.Silos.First(s => !s.Named(coordinatorLine));
            var killedAt = DateTime.UtcNow;
            victim.Process.KillHard();

            var exit = await run.WaitForExitAsync(TimeSpan.FromMinutes(3));
            output.WriteLine(run.Output);
            // The run completes, but a lost silo's last second of numbers is gone with it: partial, exit 105.
            Assert.True(exit is 105, $"exit {exit}\n{run.Output}");
            var report = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(outDir, "report.json")))!.AsObject();
            Contract.AssertReportShape(report);
            Assert.True(report["partial"]!.GetValue<bool>());
            Assert.Contains("lost", report["partialReason"]!.GetValue<string>());

            var silos = report["silos"]!.AsArray().Select(s => s!.AsObject()).ToList();
            // bench/cluster-failover.sh reads this line: healthy silos declared dead while the run loaded the machine.
            var falseDeaths = silos.Count(s => s["lost"]!.GetValue<bool>() && !s["address"]!.GetValue<string>().Contains($":{victim.SiloPort}@", StringComparison.Ordinal));
            output.WriteLine($"false deaths: {falseDeaths} of {silos.Count - 1} healthy silos declared dead");
            Assert.Equal(0, falseDeaths);
            Assert.Equal(3, silos.Count);
            Assert.Equal(Clients, silos.Sum(s => s["clients"]!.GetValue<int>()));
            Assert.All(silos, s => Assert.Equal(Clients / 3, s["clients"]!.GetValue<int>())); // spread evenly: checked, not assumed
            var lost = Assert.Single(silos, s => s["lost"]!.GetValue<bool>());
            Assert.Contains($":{victim.SiloPort}@", lost["address"]!.GetValue<string>());
            Assert.InRange(lost["lostAtSecond"]!.GetValue<double>(), 10, 40);
            var survivors = silos.Where(s => !s["lost"]!.GetValue<bool>()).ToList();
            Assert.Equal(Clients / 3, survivors.Sum(s => s["adopted"]!.GetValue<int>()));

            // Found fast: its port refuses connections, so a survivor declares it dead at once (PeerPortWatch), and the
            // coordinator starts re-activating its clients on that membership update (the directory's dead-silo lease is
            // off by default, --dead-silo-hold). The goals are dead within 2 s and running again within 3 s of the kill;
            // the bounds leave room for a saturated 2-core machine, and the exact figures are printed
            // (bench/cluster-failover.sh); what is asserted exactly is the counts below.
            var killSecond = (killedAt - DateTime.Parse(report["startedAt"]!.GetValue<string>(), null, System.Globalization.DateTimeStyles.RoundtripKind)).TotalSeconds;
            var detection = lost["lostAtSecond"]!.GetValue<double>() - killSecond;
            var reactivation = lost["reactivatedAtSecond"]!.GetValue<double>() - killSecond;
            output.WriteLine($"killed at {killSecond:0.00} s of the run: declared dead {detection:0.00} s later, its clients re-activated {reactivation:0.00} s after the kill");
            Assert.InRange(detection, 0, 6);
            Assert.InRange(reactivation, detection, 60);

            // The hole it left is measured: its window and clients, and a bound that holds the upgrades the target
            // saw that no client reported.
            var hole = Assert.Single(report["holes"]!["silos"]!.AsArray())!.AsObject();
            Assert.Equal(lost["address"]!.GetValue<string>(), hole["silo"]!.GetValue<string>());
            Assert.Equal(Clients / 3, hole["clients"]!.GetValue<int>());
            Assert.True(hole["windowSeconds"]!.GetValue<double>() > 0, hole.ToJsonString());
            var unreported = report["holes"]!["targetUpgradesNotReported"]!.GetValue<long>();
            var bound = report["holes"]!["atMost"]!["connects"]!.GetValue<long>();
            output.WriteLine($"hole: {hole.ToJsonString()}; the target saw {unreported} upgrades no client reported (bound {bound})");
            Assert.InRange(unreported, 0, bound);

            // Every client accounted for: the lost ones counted, then re-activated on the survivors.
            Assert.Equal(Clients / 3, report["clients"]!["lost"]!.GetValue<int>());
            Assert.Equal(Clients / 3, report["clients"]!["reactivated"]!.GetValue<int>());
            Assert.Contains(report["notes"]!.AsArray(), n => n!.GetValue<string>().Contains("declared dead", StringComparison.Ordinal));

            // The survivors carried on: connections and echoes kept flowing after the loss, and every client,
            // the re-activated ones included, was stopped at the end (nothing left open at the target).
            var lostAt = (int)lost["lostAtSecond"]!.GetValue<double>();
            // Seconds after the planned 40 s are the stop's drain, when no client sends any more.
            var after = report["timeline"]!.AsArray().Select(p => p!.AsObject())
                .Where(p => p["t"]!.GetValue<int>() > lostAt + 5 && p["t"]!.GetValue<int>() <= 40).ToList();
            Assert.NotEmpty(after);
            Assert.All(after, p => Assert.True(p["messagesReceived"]!.GetValue<long>() > 0, $"no echoes at {p["t"]} s"));
            Assert.True(after.Max(p => p["open"]!.GetValue<int>()) > Clients * 0.8, "the re-activated clients did not reconnect");
            Assert.Equal(0, Contract.Value(report, "target_open_after_run"));

            // Each silo sourced its connections from its own contiguous slice of 127.1.0.0/16, as the target saw them:
            // the lost silo's clients from its slice, the survivors' own and adopted clients from theirs.
            var ranges = silos.ToDictionary(s => s["address"]!.GetValue<string>(), s => ParseRange(s["sourceRange"]!.GetValue<string>()));
            Assert.Equal(65_534, silos.Sum(s => s["sourceAddresses"]!.GetValue<long>()));
            Assert.All(silos, s => Assert.InRange(s["sourceAddresses"]!.GetValue<long>(), 21_844, 21_845));
            var ordered = ranges.Values.OrderBy(r => r.First).ToList();
            Assert.True(ordered.Zip(ordered.Skip(1)).All(p => p.First.Last < p.Second.First), "the silos' ranges overlap");
            foreach (var line in sourceLines) Assert.Contains(line, silos.Select(s => $"silo {s["address"]}: {Clients / 3} clients from {s["sourceRange"]} ({s["sourceAddresses"]} addresses)"));
            var observed = report["targetStats"]!["after"]!["sourceAddresses"]!.AsObject().Select(a => a.Key).Where(a => a != "other").Select(ToUInt).ToList();
            Assert.All(observed, a => Assert.Single(ranges.Values, r => r.First <= a && a <= r.Last));
            foreach (var s in silos)
            {
                var (first, last) = ranges[s["address"]!.GetValue<string>()];
                var expected = s["clients"]!.GetValue<int>() + s["adopted"]!.GetValue<int>(); // one address per client within a slice
                var seen = observed.Count(a => first <= a && a <= last);
                output.WriteLine($"silo {s["address"]} ({s["sourceRange"]}): {seen} source addresses seen by the target, {expected} clients");
                Assert.Equal(expected, seen);
            }

            // The survivors never left the cluster.
            foreach (var survivor in cluster.Silos.Where(s => s != victim)) Assert.False(survivor.Process.HasExited, $"{survivor.Process.Name} exited\n{survivor.Process.Output}");
        }
        finally
        {
            // The silos' own account (warnings about lost silos and adoptions) helps when this test fails.
            foreach (var silo in cluster.Silos) output.WriteLine($"--- {silo.Process.Name} (silo port {silo.SiloPort})\n{silo.Process.Output}");
            Directory.Delete(folder, recursive: true);
        }
    }

    private static (uint First, uint Last) ParseRange(string range)
    {
        var parts = range.Split('-');
        return (ToUInt(parts[0]), ToUInt(parts[1]));
    }

    private static uint ToUInt(string address)
    {
        var b = System.Net.IPAddress.Parse(address).GetAddressBytes();
        return (uint)(b[0] << 24 | b[1] << 16 | b[2] << 8 | b[3]);
    }
}

/// <summary>redis-server on a free loopback port plus N `simcluster silo` processes joined through it.</summary>
internal sealed class RedisCluster : IAsyncDisposable
{
    public sealed record Silo(BackgroundProcess Process, int SiloPort, int GatewayPort, int HttpPort)
    {
        /// <summary>Whether a line (the CLI's "coordinator on silo ADDRESS", a note) names this silo's address.</summary>
        public bool Named(string text) => text.Contains($":{SiloPort}@", StringComparison.Ordinal);
    }

    private readonly BackgroundProcess _redis;

    private RedisCluster(BackgroundProcess redis, int redisPort, List<Silo> silos)
    {
        _redis = redis;
        Spec = $"redis://127.0.0.1:{redisPort}";
        Silos = silos;
    }

    public string Spec { get; }

    /// <summary>The membership store's process (a test pauses it to play a store outage).</summary>
    public BackgroundProcess Redis => _redis;

    public IReadOnlyList<Silo> Silos { get; }

    /// <param name="siloArguments">More `simcluster silo` options for silo i (0-based), such as its --data-dir.</param>
    public static async Task<RedisCluster> StartAsync(int silos, Func<int, string[]>? siloArguments = null)
    {
        var redisPort = BackgroundProcess.FreeLoopbackPort();
        var redis = BackgroundProcess.Start("redis-server", ChildProcess.StartInfo("redis-server",
            ["--port", redisPort.ToString(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], Path.GetTempPath()));
        await redis.WaitForLineAsync(l => l.Contains("Ready to accept connections", StringComparison.Ordinal), "redis-server starting", TimeSpan.FromSeconds(120));
        Silo StartSilo(int i)
        {
            var (siloPort, gatewayPort, httpPort) = (BackgroundProcess.FreeLoopbackPort(), BackgroundProcess.FreeLoopbackPort(), BackgroundProcess.FreeLoopbackPort());
            var process = BackgroundProcess.Start($"silo {i + 1}", ChildProcess.StartInfo(Path.Combine(Simcluster.RepoRoot, "simcluster"),
                ["silo", "--cluster", $"redis://127.0.0.1:{redisPort}", "--silo-port", $"{siloPort}", "--gateway-port", $"{gatewayPort}", "--http-port", $"{httpPort}", .. siloArguments?.Invoke(i) ?? []],
                Simcluster.RepoRoot));
            return new Silo(process, siloPort, gatewayPort, httpPort);
        }
        var started = Enumerable.Range(0, silos).Select(StartSilo).ToList();
        var cluster = new RedisCluster(redis, redisPort, started);
        try
        {
            for (var i = 0; i < silos; i++)
            {
                // A port free when it was chosen may be taken before the silo checks it (other tests start processes
                // meanwhile): the silo then exits naming it, and is started again on fresh ports.
                for (var attempt = 1; ; attempt++)
                {
                    try
                    {
                        await started[i].Process.WaitForLineAsync(l => l.StartsWith("silo ready", StringComparison.Ordinal), "the silo starting", TimeSpan.FromSeconds(300));
                        break;
                    }
                    catch (Exception) when (attempt < 3 && started[i].Process.HasExited && started[i].Process.Output.Contains("is already in use", StringComparison.Ordinal))
                    {
                        await started[i].Process.DisposeAsync();
                        started[i] = StartSilo(i);
                    }
                }
            }
            // Every silo's membership view has all of them active (a run arms on the active silos it sees).
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
            foreach (var silo in started)
            {
                await Eventually.TrueAsync(() =>
                {
                    var view = System.Text.Json.Nodes.JsonNode.Parse(http.GetStringAsync($"http://127.0.0.1:{silo.HttpPort}/api/cluster").GetAwaiter().GetResult())!;
                    return view["silos"]!.AsArray().Count(s => s!["status"]!.GetValue<string>() == "active") == silos;
                }, $"{silo.Process.Name} seeing {silos} active silos", TimeSpan.FromSeconds(180));
            }
        }
        catch
        {
            await cluster.DisposeAsync(); // a cluster that did not form leaves no silo or redis-server behind
            throw;
        }
        return cluster;
    }

    /// <summary>
    /// The multi-silo tests' run: half steady clients, half flapping ones (closing every 2 to 4 s) against the
    /// target embedded in the CLI (its /stats before and after go into the report), written to <paramref name="path"/>.
    /// </summary>
    public static async Task<string> WriteFlappingScenarioAsync(string path, string name, int clients, string duration, int seed)
    {
        await File.WriteAllTextAsync(path, $$"""
            name: {{name}}
            target: embedded
            clients: {{clients}}
            duration: {{duration}}
            rampUp: 2s
            seed: {{seed}}
            messages: { interval: 1s, size: 64, lossTimeout: 5s }
            population:
              - { name: steady, share: 50% }
              - name: flappers
                share: 50%
                behavior: flapping
                flapping: { up: 2s..4s, down: 100ms..500ms, drop: close, cycles: 0 }
            """);
        return path;
    }

    /// <summary>`simcluster run SCENARIO --cluster` on this cluster, plain progress, report into <paramref name="outDir"/>.</summary>
    public BackgroundProcess StartRun(string name, string scenario, string outDir) =>
        BackgroundProcess.Start(name, ChildProcess.StartInfo(Path.Combine(Simcluster.RepoRoot, "simcluster"),
            ["run", scenario, "--cluster", Spec, "--no-live", "--out", outDir], Simcluster.RepoRoot));

    /// <summary>The run's "coordinator on silo ADDRESS" line, printed once the run is under way.</summary>
    public static Task<string> CoordinatorLineAsync(BackgroundProcess run) =>
        run.WaitForLineAsync(l => l.StartsWith("coordinator on silo ", StringComparison.Ordinal), "the run starting", TimeSpan.FromSeconds(300));

    /// <summary>How much the embedded target's own counter (`upgrades`, `messagesIn`) grew over the run, from the report's targetStats.</summary>
    public static long TargetDelta(JsonObject report, string counter) =>
        report["targetStats"]!["after"]![counter]!.GetValue<long>() - report["targetStats"]!["before"]![counter]!.GetValue<long>();

    /// <summary>Sends a signal (`STOP`, `CONT`, `TERM`, `INT`) to a process of the cluster or its run, as `kill -SIGNAL` does.</summary>
    public static Task SignalAsync(int pid, string signal)
    {
        Assert.True(Signals.Send(pid, signal), $"no process {pid} to send SIG{signal} to");
        return Task.CompletedTask;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var silo in Silos) await silo.Process.DisposeAsync();
        await _redis.DisposeAsync();
    }
}
