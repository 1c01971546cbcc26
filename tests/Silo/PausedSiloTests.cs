using System.Text.Json.Nodes;
using SimCluster.Tests.Support;

namespace SimCluster.Tests.Silo;

/// <summary>
/// A silo that stops answering at the end of a run without dying: three `simcluster silo` processes on a real
/// redis-server, one of them (not the coordinator's) frozen with SIGSTOP from just before the planned end until
/// membership has given up on it, so it misses the stop and the final collection. The run must still end, with
/// a partial report that names that silo, and counts that still add up.
/// </summary>
[Collection(LightRunsCollection.Name)]
public sealed class PausedSiloTests(Xunit.Abstractions.ITestOutputHelper output)
{
    private const int Clients = 30;

    [Fact]
    public async Task A_silo_paused_over_the_final_collection_makes_the_run_partial_and_is_named()
    {
        await Simcluster.EnsureBuiltAsync(); // builds the CLI once, before any clock starts
        await using var cluster = await RedisCluster.StartAsync(silos: 3);
        var folder = Simcluster.TempFolder("paused-silo");
        RedisCluster.Silo? paused = null;
        try
        {
            var scenario = Path.Combine(folder, "paused.yaml");
            await File.WriteAllTextAsync(scenario, $$"""
                name: paused-silo
                target: embedded
                clients: {{Clients}}
                duration: 16s
                rampUp: 1s
                seed: 17
                messages: { interval: 500ms, size: 64, lossTimeout: 2s }
                """);
            var outDir = Path.Combine(folder, "report");
            await using var run = cluster.StartRun("simcluster run", scenario, outDir);
            var coordinatorLine = await RedisCluster.CoordinatorLineAsync(run);
            await run.WaitForRunSecondAsync(13, TimeSpan.FromSeconds(60));

            // Freeze a silo that does not hold the coordinator: alive to the OS, silent to everyone else.
            paused = cluster.Silos.First(s => !s.Named(coordinatorLine));
            Assert.True(Signals.Send(paused.Process.Pid, Signals.Stop));

            // Keep it frozen over the planned end, the stop and the final collection, until membership gave up on it
            // (a frozen gateway would otherwise hold the CLI's calls); thawed, it learns it is dead and stops itself.
            var survivor = cluster.Silos.First(s => s != paused);
            using (var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) })
            {
                await Eventually.TrueAsync(() =>
                {
                    JsonNode view;
                    try { view = JsonNode.Parse(http.GetStringAsync($"http://127.0.0.1:{survivor.HttpPort}/api/cluster").GetAwaiter().GetResult())!; }
                    catch (Exception e) when (e is HttpRequestException or TaskCanceledException) { return false; } // asked again 20 ms later
                    var entry = view["silos"]!.AsArray().FirstOrDefault(s => paused.Named(s!["address"]!.GetValue<string>()));
                    return entry is not null && entry["status"]!.GetValue<string>() != "active";
                }, "membership giving up on the frozen silo", TimeSpan.FromSeconds(120));
            }
            Signals.Send(paused.Process.Pid, Signals.Continue);

            var exit = await run.WaitForExitAsync(TimeSpan.FromMinutes(3));
            output.WriteLine(run.Output);
            Assert.True(exit is 105, $"exit {exit}\n{run.Output}");
            var report = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(outDir, "report.json")))!.AsObject();
            Contract.AssertReportShape(report);
            Assert.True(report["partial"]!.GetValue<bool>());
            var reason = report["partialReason"]!.GetValue<string>();
            Assert.True(paused.Named(reason), reason);

            var silos = report["silos"]!.AsArray().Select(s => s!.AsObject()).ToList();
            var entry = Assert.Single(silos, s => paused.Named(s["address"]!.GetValue<string>()));
            Assert.True(entry["lost"]!.GetValue<bool>() || entry["missedFinalCollection"]!.GetValue<bool>(), entry.ToJsonString());
            Assert.All(silos.Where(s => s != entry), s => Assert.False(s["lost"]!.GetValue<bool>() || s["missedFinalCollection"]!.GetValue<bool>(), s.ToJsonString()));
            Assert.Contains(report["notes"]!.AsArray(), n => paused.Named(n!.GetValue<string>()));

            // What the frozen silo measured until its last answer stays, and the timeline still adds up to the totals.
            var timeline = report["timeline"]!.AsArray().Select(p => p!.AsObject()).ToList();
            Assert.True(timeline[^1]["t"]!.GetValue<int>() > 16, $"the timeline ends at {timeline[^1]["t"]} s");
            foreach (var (point, metric) in new[] { ("messagesSent", "messages_sent"), ("messagesReceived", "messages_received"), ("connects", "connects") })
                Assert.Equal(Contract.Count(report, metric), timeline.Sum(p => p[point]!.GetValue<long>()));
            Assert.Equal(Clients, Contract.Count(report, "connects"));
        }
        finally
        {
            // Never leave a frozen process behind, whatever failed: thaw it, then the cluster's disposal kills it.
            if (paused is not null && !paused.Process.HasExited) Signals.Send(paused.Process.Pid, Signals.Continue);
            foreach (var silo in cluster.Silos) output.WriteLine($"--- {silo.Process.Name} (silo port {silo.SiloPort})\n{silo.Process.Output}");
            Directory.Delete(folder, recursive: true);
        }
    }
}
