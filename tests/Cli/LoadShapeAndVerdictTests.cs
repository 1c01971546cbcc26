using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using SimCluster.Tests.Support;

namespace SimCluster.Tests.Cli;

/// <summary>
/// The CLI end to end for the load shape and the verdict's honesty: a stages run follows its plan and its
/// ramp-down is the tool's own close; an unreachable target ends at once (105); a run with no connection never
/// passes.
/// </summary>
[Collection(ProbesCollection.Name)]
[Trait("Category", "Integration")]
public sealed class LoadShapeAndVerdictTests : IDisposable
{
    private readonly string _temp = Simcluster.TempFolder("shape");

    public void Dispose()
    {
        try { Directory.Delete(_temp, recursive: true); } catch (IOException) { }
    }

    private string Write(string name, string yaml)
    {
        var path = Path.Combine(_temp, name);
        File.WriteAllText(path, yaml);
        return path;
    }

    private static JsonObject ReadReport(string folder) => JsonNode.Parse(File.ReadAllText(Path.Combine(folder, "report.json")))!.AsObject();

    [Fact]
    public async Task A_stages_run_follows_its_planned_shape_and_ramp_down_closes_are_the_tools_own()
    {
        // 0 -> 20 in 3 s, hold 3 s, spike to 40 in 2 s, hold 2 s, down to 10 in 2 s, down to 0 in 2 s; 16 s in all.
        var path = Write("stages.yaml", """
            name: stages
            target: embedded
            duration: 16s
            seed: 3
            messages: { interval: 200ms, lossTimeout: 2s }
            stages:
              - { duration: 3s, clients: 50% }
              - { duration: 3s, clients: 50% }
              - { duration: 2s, clients: 100% }
              - { duration: 2s, clients: 100% }
              - { duration: 2s, clients: 25% }
              - { duration: 2s, clients: 0 }
            clients: 40
            thresholds:
              disconnects: ["count==0"]
              false_disconnects: ["count==0"]
              clients_ramped_down: ["count==1*clients"]
            """);
        var outDir = Path.Combine(_temp, "stages-out");
        var result = await Simcluster.RunAsync("run", path, "--no-live", "--out", outDir);

        Assert.True(result.ExitCode == 0, result.ToString());
        var report = ReadReport(outDir);
        Assert.Equal(40, Contract.Count(report, "clients_ramped_down"));
        Assert.Equal(0, Contract.Count(report, "disconnects"));
        Assert.Equal(40, (int)report["loadShape"]!["peakClients"]!);
        var timeline = report["timeline"]!.AsArray().Select(p => (T: (int)p!["t"]!, Open: (int)p["open"]!, Planned: (int)p["plannedClients"]!)).ToList();
        var planned = timeline.ToDictionary(p => p.T, p => p.Planned);
        // Within one second of the plan: at second T the open count lies between the planned counts of T-1 and T+1.
        var misses = timeline.Where(p => p.T >= 1 && planned.ContainsKey(p.T + 1) && planned.ContainsKey(p.T - 1))
            .Where(p => p.Open < Math.Min(planned[p.T - 1], planned[p.T + 1]) || p.Open > Math.Max(planned[p.T - 1], planned[p.T + 1]))
            .ToList();
        Assert.True(misses.Count == 0, "open outside the planned shape +-1 s at: " + string.Join(", ", misses) + "\n" + string.Join(", ", timeline));
        Assert.Contains(timeline, p => p.Planned == 40);
        Assert.Contains(timeline, p => p.T >= 14 && p.Planned == 0 && p.Open == 0);
        Assert.False(report["closeCodes"]!.AsObject().Any(c => c.Key != "1000"), report["closeCodes"]!.ToJsonString());
    }

    [Fact]
    public async Task An_unreachable_target_ends_with_105_naming_it_without_running_the_duration()
    {
        var port = FreePort(); // nothing listens there
        var target = $"ws://127.0.0.1:{port}/";
        // An hour's run: had it started, the harness's hang guard (minutes) would fail the test.
        var result = await Simcluster.RunAsync("run", "scenarios/smoke.yaml", "--no-live", "--target", target, "--duration", "1h", "--out", Path.Combine(_temp, "unreachable"));

        Assert.True(result.ExitCode == 105, result.ToString());
        Assert.Contains($"the target {target} is unreachable: connection refused", result.Stderr);
        Assert.DoesNotContain("[running", result.Stdout);
    }

    [Fact]
    public async Task A_run_in_which_no_connection_opened_never_passes_even_without_thresholds()
    {
        // A server that accepts TCP and closes at once: reachable, but no WebSocket ever opens.
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        using var stop = new CancellationTokenSource();
        var accepting = Task.Run(async () =>
        {
            try
            {
                while (!stop.IsCancellationRequested)
                {
                    using var client = await listener.AcceptTcpClientAsync(stop.Token);
                    client.Client.Close();
                }
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException) { }
        });
        var path = Write("none.yaml", $$"""
            name: none
            target: ws://127.0.0.1:{{((IPEndPoint)listener.LocalEndpoint).Port}}/
            clients: 3
            duration: 3s
            reconnect: { policy: fixed, base: 500ms }
            """);
        var outDir = Path.Combine(_temp, "none-out");
        var result = await Simcluster.RunAsync("run", path, "--no-live", "--out", outDir);
        await stop.CancelAsync();
        listener.Stop();
        await accepting;

        Assert.True(result.ExitCode == 99, result.ToString());
        var report = ReadReport(outDir);
        Assert.Equal("fail", (string?)report["verdict"]);
        Assert.True((bool)report["noConnectionOpened"]!);
        Assert.Contains("no connection ever opened", result.Stdout);
        Assert.Contains("No connection ever opened", File.ReadAllText(Path.Combine(outDir, "report.html")));
    }

    private static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }
}
