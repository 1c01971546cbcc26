using System.Text.Json.Nodes;
using SimCluster.Tests.Support;

namespace SimCluster.Tests.Silo;

/// <summary>
/// The membership store goes away mid-run: redis-server is paused (SIGSTOP) for 20 s while three `simcluster silo`
/// processes run a flapping run, then resumed. Silos probe each other directly and a death can only be declared by
/// writing the store, so no silo is declared dead, no client is lost, the run completes and its counts are the
/// target's; once the store is back every silo sees all three active again.
/// </summary>
[Collection(IntegrationCollection.Name)]
[Trait("Category", "Integration")]
public sealed class StoreOutageTests(Xunit.Abstractions.ITestOutputHelper output)
{
    private const int Clients = 60;
    private const int Seconds = 26;
    private static readonly TimeSpan Outage = TimeSpan.FromSeconds(20);

    /// <summary>
    /// A run through a membership-store outage: complete, no silo declared dead, no client lost or moved, no
    /// failover, and its counts the target's (every upgrade and message it saw reported, nothing left open).
    /// </summary>
    internal static void AssertNothingLostThrough(JsonObject report, int clients, int seconds, Xunit.Abstractions.ITestOutputHelper output)
    {
        Assert.False(report["partial"]!.GetValue<bool>(), report["partialReason"]?.ToJsonString());
        var silos = report["silos"]!.AsArray().Select(s => s!.AsObject()).ToList();
        Assert.Equal(3, silos.Count);
        Assert.All(silos, s => Assert.False(s["lost"]!.GetValue<bool>(), $"silo {s["address"]} was declared dead"));
        Assert.Equal(clients, report["clients"]!["started"]!.GetValue<int>());
        Assert.Equal(0, report["clients"]!["lost"]!.GetValue<int>());
        Assert.Equal(0, report["clients"]!["reactivated"]!.GetValue<int>());
        Assert.Empty(report["failovers"]!.AsArray());
        Assert.Contains(report["timeline"]!.AsArray(), p => p!["t"]!.GetValue<int>() >= seconds);
        var upgrades = RedisCluster.TargetDelta(report, "upgrades");
        var messagesIn = RedisCluster.TargetDelta(report, "messagesIn");
        output.WriteLine($"target: {upgrades} upgrades, {messagesIn} messages in; report: {Contract.Count(report, "connects")} connects, {Contract.Count(report, "messages_sent")} sent");
        Assert.Equal(upgrades, Contract.Count(report, "connects"));
        Assert.Equal(messagesIn, Contract.Count(report, "messages_sent"));
        Assert.Equal(0, Contract.Value(report, "target_open_after_run"));
    }

    [Fact]
    public async Task Redis_stopped_for_20_s_mid_run_loses_no_silo_and_no_client_and_the_run_completes()
    {
        await Simcluster.EnsureBuiltAsync(); // builds the CLI once, before any clock starts
        await using var cluster = await RedisCluster.StartAsync(silos: 3);
        var folder = Simcluster.TempFolder("store-outage");
        var paused = false;
        try
        {
            var scenario = await RedisCluster.WriteFlappingScenarioAsync(Path.Combine(folder, "outage.yaml"), "store-outage", Clients, $"{Seconds}s", seed: 17);
            var outDir = Path.Combine(folder, "report");
            await using var run = cluster.StartRun("simcluster run", scenario, outDir);
            await RedisCluster.CoordinatorLineAsync(run);
            await run.WaitForRunSecondAsync(3, TimeSpan.FromSeconds(120));
            await RedisCluster.SignalAsync(cluster.Redis.Pid, "STOP");
            paused = true;
            await Task.Delay(Outage);
            await RedisCluster.SignalAsync(cluster.Redis.Pid, "CONT");
            paused = false;

            var exit = await run.WaitForExitAsync(TimeSpan.FromMinutes(3));
            output.WriteLine(run.Output);
            Assert.True(exit is 0, $"exit {exit}\n{run.Output}");
            var report = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(outDir, "report.json")))!.AsObject();
            Contract.AssertReportShape(report);
            AssertNothingLostThrough(report, Clients, Seconds, output);

            // The cluster converged once the store was back: every silo alive, each seeing all three active.
            foreach (var silo in cluster.Silos) Assert.False(silo.Process.HasExited, $"{silo.Process.Name} exited\n{silo.Process.Output}");
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
            foreach (var silo in cluster.Silos)
            {
                await Eventually.TrueAsync(() =>
                {
                    var view = JsonNode.Parse(http.GetStringAsync($"http://127.0.0.1:{silo.HttpPort}/api/cluster").GetAwaiter().GetResult())!;
                    return view["silos"]!.AsArray().Count(s => s!["status"]!.GetValue<string>() == "active") == 3;
                }, $"{silo.Process.Name} seeing 3 active silos after the outage", TimeSpan.FromSeconds(60));
            }
        }
        finally
        {
            if (paused) await RedisCluster.SignalAsync(cluster.Redis.Pid, "CONT");
            foreach (var silo in cluster.Silos) output.WriteLine($"--- {silo.Process.Name} (silo port {silo.SiloPort})\n{silo.Process.Output}");
            Directory.Delete(folder, recursive: true);
        }
    }
}
