using System.Diagnostics;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using SimCluster.Tests.Cli;
using SimCluster.Tests.Support;

namespace SimCluster.Tests.Zombies;

/// <summary>
/// Resilience test 7 end to end: zombies against servers whose eviction bound is known, through the real CLI.
/// The tool must tell the truth both ways: evictions timed within the server's bound, and no evictions
/// reported as such when the server has no heartbeat.
/// </summary>
[Collection(IntegrationCollection.Name)]
[Trait("Category", "Integration")]
public sealed partial class ZombieDetectionTests : IClassFixture<NodePeers>, IDisposable
{
    private readonly string _temp = Simcluster.TempFolder("zombies");

    /// <summary>The fixture installs Node's ws in tests/peers before any test here runs.</summary>
    public ZombieDetectionTests(NodePeers peers) => GC.KeepAlive(peers);

    // A smaller heartbeat.yaml: 100 clients, zombies turn after 3 s and are watched for 8 s.
    private static readonly string[] Small =
    [
        "--clients", "100", "--duration", "14s", "--no-live",
        "--set", "rampUp=1s",
        "--set", "population[1].zombie.after=3s", "--set", "population[1].zombie.observeFor=8s",
        "--set", "population[2].zombie.after=3s", "--set", "population[2].zombie.observeFor=8s",
        "--set", "population[3].zombie.after=3s", "--set", "population[3].zombie.observeFor=8s",
    ];

    public void Dispose()
    {
        try { Directory.Delete(_temp, recursive: true); } catch (IOException) { }
    }

    [Fact]
    public async Task Reference_target_with_1s_heartbeat_and_2s_timeout_evicts_every_silent_and_blackholed_zombie_in_2_to_3_5_seconds()
    {
        var outDir = Path.Combine(_temp, "on");
        var result = await Simcluster.RunAsync(["run", "scenarios/heartbeat.yaml", .. Small, "--out", outDir]);
        var report = Load(outDir);
        Assert.True(result.ExitCode == 0, result.ToString());

        foreach (var group in new[] { "silent-app", "blackhole" })
        {
            var m = report["groups"]![group]!["metrics"]!;
            var zombies = Count(m, "zombies");
            Assert.True(zombies > 0, $"{group}: no zombies");
            Assert.Equal(zombies, Count(m, "zombies_detected"));
            Assert.Equal(0, Count(m, "zombies_undetected"));
            // Ping every 1 s, give up 2 s after an unanswered ping: the first unanswered ping leaves 0-1 s after
            // the client goes dead, the server checks its timeout a few times a second.
            var times = m["zombie_detect_time"]!;
            Assert.InRange((double)times["p95"]!, 1900, 3500);
            Assert.InRange((double)times["med"]!, 1900, 3500);
        }
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
    public async Task Against_nodes_ws_heartbeat_sweep_the_detect_times_fall_between_one_and_two_sweeps()
    {
        const int sweepMs = 1000;
        await using var server = await NodeServer.StartAsync("heartbeat-server.js", "0", sweepMs.ToString());
        var outDir = Path.Combine(_temp, "node");
        var result = await Simcluster.RunAsync(["run", "scenarios/heartbeat.yaml", .. Small, "--out", outDir,
            "--target", $"ws://127.0.0.1:{server.Port}/"]);
        var report = Load(outDir);
        Assert.True(result.ExitCode == 0, result + "\n--- server\n" + server.Output);

        // The ws pattern marks a client dead at one sweep and terminates it at the next: a zombie that went
        // dead at a random instant is cut off one to two sweeps later.
        foreach (var group in new[] { "silent-app", "blackhole" })
        {
            var m = report["groups"]![group]!["metrics"]!;
            Assert.Equal(Count(m, "zombies"), Count(m, "zombies_detected"));
            var times = m["zombie_detect_time"]!;
            Assert.InRange((double)times["min"]!, sweepMs * 0.9, sweepMs * 2.5);
            Assert.InRange((double)times["max"]!, sweepMs * 0.9, sweepMs * 2.5);
        }
        Assert.Equal(0, Count(report["metrics"]!, "false_disconnects"));
    }

    private static JsonObject Load(string outDir) =>
        JsonNode.Parse(File.ReadAllText(Path.Combine(outDir, "report.json")))!.AsObject();

    private static long Count(JsonNode metrics, string name) => (long)metrics[name]!["value"]!;

    /// <summary>A Node script from tests/peers that prints `listening PORT`; disposing closes its stdin, which stops it.</summary>
    private sealed partial class NodeServer : IAsyncDisposable
    {
        private readonly Process _process;
        private readonly List<string> _lines = [];

        private NodeServer(Process process, int port)
        {
            _process = process;
            Port = port;
        }

        public int Port { get; }

        public string Output { get { lock (_lines) return string.Join('\n', _lines); } }

        public static async Task<NodeServer> StartAsync(string script, params string[] args)
        {
            var process = Process.Start(ChildProcess.StartInfo("node", [script, .. args], NodePeers.Folder))!;
            var port = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
            var lines = new List<string>();
            process.OutputDataReceived += (_, e) =>
            {
                if (e.Data is null) return;
                lock (lines) lines.Add(e.Data);
                if (Listening().Match(e.Data) is { Success: true } m) port.TrySetResult(int.Parse(m.Groups[1].Value));
            };
            process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (lines) lines.Add("stderr: " + e.Data); };
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            var server = new NodeServer(process, await port.Task.WaitAsync(TimeSpan.FromSeconds(30)));
            lock (lines) server._lines.AddRange(lines);
            return server;
        }

        public ValueTask DisposeAsync()
        {
            if (!_process.HasExited)
            {
                try { _process.StandardInput.Close(); } catch (IOException) { }
                if (!_process.WaitForExit(5000)) _process.Kill(entireProcessTree: true);
            }
            _process.Dispose();
            return ValueTask.CompletedTask;
        }

        [GeneratedRegex(@"^listening (\d+)$")]
        private static partial Regex Listening();
    }
}
