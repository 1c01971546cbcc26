using System.Globalization;
using System.Text.Json.Nodes;
using SimCluster.Tests.Cli;
using SimCluster.Tests.Support;

namespace SimCluster.Tests.Zombies;

/// <summary>
/// Resilience test 7 end to end: zombies against servers whose eviction rule is known, through the real CLI.
/// The tool must tell the truth both ways: every silent and blackholed zombie evicted by the server's heartbeat
/// (counted by the server itself), never before that heartbeat could have given up on it, and no evictions
/// reported as such when the server has no heartbeat. How long an eviction took on a busy machine is a
/// benchmark figure, not a test's: the upper bound here is the scenario's own <c>observeFor</c>.
/// </summary>
[Collection(IntegrationCollection.Name)]
[Trait("Category", "Integration")]
public sealed class ZombieDetectionTests : IClassFixture<NodePeers>, IDisposable
{
    private readonly string _temp = Simcluster.TempFolder("zombies");

    /// <summary>The fixture installs Node's ws in tests/peers before any test here runs.</summary>
    public ZombieDetectionTests(NodePeers peers) => GC.KeepAlive(peers);

    // A smaller heartbeat.yaml: 100 clients, zombies turn after 3 s and are watched for 8 s. Its count thresholds
    // only: the p(95) detect-time ones grade the server's speed, which a loaded machine slows (ThresholdTests grade those).
    private static readonly string[] Small =
    [
        "--clients", "100", "--duration", "14s", "--no-live",
        "--set", "rampUp=1s",
        "--set", """thresholds={"zombie_detection_ratio{group:silent-app}": ["value==1"], "zombie_detection_ratio{group:blackhole}": ["value==1"], "false_disconnects": ["count==0"], "messages_lost{group:healthy}": ["count==0"]}""",
        "--set", "population[1].zombie.after=3s", "--set", "population[1].zombie.observeFor=8s",
        "--set", "population[2].zombie.after=3s", "--set", "population[2].zombie.observeFor=8s",
        "--set", "population[3].zombie.after=3s", "--set", "population[3].zombie.observeFor=8s",
    ];

    public void Dispose()
    {
        try { Directory.Delete(_temp, recursive: true); } catch (IOException) { }
    }

    [Fact]
    public async Task Reference_target_with_1s_heartbeat_and_2s_timeout_evicts_every_silent_and_blackholed_zombie_by_its_heartbeat_after_the_timeout()
    {
        var outDir = Path.Combine(_temp, "on");
        var result = await Simcluster.RunAsync(["run", "scenarios/heartbeat.yaml", .. Small, "--out", outDir]);
        var report = Load(outDir);
        Assert.True(result.ExitCode == 0, result.ToString());

        long detected = 0;
        foreach (var group in new[] { "silent-app", "blackhole" })
        {
            var m = report["groups"]![group]!["metrics"]!;
            var zombies = Count(m, "zombies");
            Assert.True(zombies > 0, $"{group}: no zombies");
            Assert.Equal(zombies, Count(m, "zombies_detected")); // within observeFor, the run's own bound
            Assert.Equal(0, Count(m, "zombies_undetected"));
            // Ping every 1 s, give up 2 s after an unanswered ping: the first ping a zombie leaves unanswered reaches
            // it after it went dead, so no eviction can come sooner than the 2 s timeout (less loopback latency).
            Assert.True((double)m["zombie_detect_time"]!["min"]! >= 1900, $"{group}: evicted {m["zombie_detect_time"]!["min"]} ms after going dead, before the 2 s timeout");
            detected += zombies;
        }
        // The mechanism: every one of them was the server's heartbeat giving up (the target counts its own aborts).
        Assert.Equal(detected, TargetCount(report, "after", "abort:heartbeat") - TargetCount(report, "before", "abort:heartbeat"));
        // app-dead zombies still answer WebSocket PINGs: a transport heartbeat cannot find them, and the report says so.
        var appDead = report["groups"]!["app-dead"]!["metrics"]!;
        Assert.True(Count(appDead, "zombies") > 0);
        Assert.Equal(Count(appDead, "zombies"), Count(appDead, "zombies_undetected"));
        Assert.Contains("app-dead zombies evicted", result.Stdout.Replace("\n", " "));
        Assert.Equal(0, Count(report["metrics"]!, "false_disconnects"));
    }

    [Fact]
    public async Task Without_a_server_heartbeat_zombies_are_reported_undetected_and_the_ratio_threshold_fails_the_run()
    {
        var outDir = Path.Combine(_temp, "off");
        var result = await Simcluster.RunAsync(["run", "scenarios/heartbeat.yaml", .. Small, "--out", outDir,
            "--set", "embeddedTarget.heartbeatInterval=0s", "--set", "embeddedTarget.heartbeatTimeout=0s"]);
        Assert.True(result.ExitCode == 99, result.ToString());
        var report = Load(outDir);
        foreach (var group in new[] { "silent-app", "blackhole", "app-dead" })
        {
            var m = report["groups"]![group]!["metrics"]!;
            Assert.True(Count(m, "zombies") > 0);
            Assert.Equal(0, Count(m, "zombies_detected"));
            Assert.Equal(0.0, (double)m["zombie_detection_ratio"]!["value"]!);
        }
        var failed = report["thresholds"]!.AsArray().Where(t => !(bool)t!["passed"]!).Select(t => (string)t!["metric"]!).ToList();
        Assert.Contains("zombie_detection_ratio{group:silent-app}", failed);
    }

    [Fact]
    public async Task Against_nodes_ws_heartbeat_sweep_every_zombie_is_terminated_by_the_sweep_no_sooner_than_one_sweep_after_going_dead()
    {
        const int sweepMs = 1000;
        await using var server = BackgroundProcess.Start("heartbeat-server.js",
            ChildProcess.StartInfo("node", ["heartbeat-server.js", "0", sweepMs.ToString(CultureInfo.InvariantCulture)], NodePeers.Folder), keepInputOpen: true);
        var listening = await server.WaitForLineAsync(l => l.StartsWith("listening ", StringComparison.Ordinal), "the server listening", TimeSpan.FromSeconds(60));
        var outDir = Path.Combine(_temp, "node");
        var result = await Simcluster.RunAsync(["run", "scenarios/heartbeat.yaml", .. Small, "--out", outDir,
            "--target", $"ws://127.0.0.1:{listening["listening ".Length..]}/"]);
        var report = Load(outDir);
        server.CloseInput();
        await server.WaitForExitAsync(TimeSpan.FromSeconds(60));
        Assert.True(result.ExitCode == 0, result + "\n--- server\n" + server.Output);

        // The ws pattern marks a client dead at one sweep and terminates it at the next: a zombie that went dead
        // at a random instant is cut off after the next sweep but one, never sooner than one sweep.
        long detected = 0;
        foreach (var group in new[] { "silent-app", "blackhole" })
        {
            var m = report["groups"]![group]!["metrics"]!;
            var zombies = Count(m, "zombies");
            Assert.True(zombies > 0, $"{group}: no zombies");
            Assert.Equal(zombies, Count(m, "zombies_detected")); // within observeFor, the run's own bound
            Assert.True((double)m["zombie_detect_time"]!["min"]! >= sweepMs * 0.9, $"{group}: cut off {m["zombie_detect_time"]!["min"]} ms after going dead, before a sweep could pass");
            detected += zombies;
        }
        // The mechanism: the server's own count of sweeps that terminated a client (app-dead zombies answer the PINGs).
        var stats = server.Output.Split('\n').Select(l => l.Trim()).Single(l => l.StartsWith("stats ", StringComparison.Ordinal));
        Assert.Equal($"terminated={detected}", stats.Split(' ').Single(p => p.StartsWith("terminated=", StringComparison.Ordinal)));
        Assert.Equal(0, Count(report["metrics"]!, "false_disconnects"));
    }

    private static JsonObject Load(string outDir) =>
        JsonNode.Parse(File.ReadAllText(Path.Combine(outDir, "report.json")))!.AsObject();

    private static long Count(JsonNode metrics, string name) => (long)metrics[name]!["value"]!;

    /// <summary>The target's count of connections it ended with <paramref name="key"/> (a close code or an abort), before or after the run.</summary>
    private static long TargetCount(JsonObject report, string when, string key) =>
        (long?)report["targetStats"]![when]!["closes"]!["serverInitiated"]![key] ?? 0;
}
