using System.Text.Json.Nodes;
using SimCluster.Tests.Support;

namespace SimCluster.Tests.Silo;

/// <summary>
/// The silo holding a run's coordinator is SIGKILLed mid-run: three `simcluster silo` processes on a real
/// redis-server, the reference target embedded in the CLI. Orleans re-activates the coordinator on a survivor, the
/// CLI hands it its checkpoint and the run carries on to its planned end: every client accounted for (the lost
/// silo's re-activated on the survivors), the failover in the report, and the target's books bounded by the hole.
/// </summary>
[Collection(IntegrationCollection.Name)]
[Trait("Category", "Integration")]
public sealed class CoordinatorLossTests(Xunit.Abstractions.ITestOutputHelper output)
{
    private const int Clients = 60;
    private const int Seconds = 25;

    [Fact]
    public async Task The_coordinators_silo_killed_mid_run_is_a_failover_and_the_run_completes_with_every_client_accounted_for()
    {
        await Simcluster.EnsureBuiltAsync(); // builds the CLI once, before any clock starts
        await using var cluster = await RedisCluster.StartAsync(silos: 3);
        var folder = Simcluster.TempFolder("coordinator-loss");
        try
        {
            var scenario = await RedisCluster.WriteFlappingScenarioAsync(Path.Combine(folder, "loss.yaml"), "coordinator-loss", Clients, $"{Seconds}s", seed: 13);
            var outDir = Path.Combine(folder, "report");
            await using var run = cluster.StartRun("simcluster run", scenario, outDir);
            var coordinatorLine = await RedisCluster.CoordinatorLineAsync(run);
            await run.WaitForRunSecondAsync(8, TimeSpan.FromSeconds(120));
            var victim = cluster.Silos.Single(s => s.Named(coordinatorLine));
            victim.Process.KillHard();

            var exit = await run.WaitForExitAsync(TimeSpan.FromMinutes(3));
            output.WriteLine(run.Output);
            // A silo was lost, so the run could not be carried out as planned (105), but it was not ended early.
            Assert.True(exit is 105, $"exit {exit}\n{run.Output}");
            Assert.DoesNotContain("could not be finished", run.Output, StringComparison.Ordinal);
            var report = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(outDir, "report.json")))!.AsObject();
            AssertTakenOverWithEveryClientAccountedFor(report, victim, Clients, Seconds, output);
            Assert.Contains("failover: ", run.Output, StringComparison.Ordinal);
            Assert.Contains("Coordinator failovers", await File.ReadAllTextAsync(Path.Combine(outDir, "report.html")), StringComparison.Ordinal);

            foreach (var survivor in cluster.Silos.Where(s => s != victim)) Assert.False(survivor.Process.HasExited, $"{survivor.Process.Name} exited\n{survivor.Process.Output}");
        }
        finally
        {
            foreach (var silo in cluster.Silos) output.WriteLine($"--- {silo.Process.Name} (silo port {silo.SiloPort})\n{silo.Process.Output}");
            Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>
    /// A run on three silos whose coordinator's silo (<paramref name="victim"/>) went away and was taken over: partial
    /// because a silo was lost, not ended early; one failover from the victim to a survivor that read both survivors;
    /// every client accounted for (planned = started, the victim's share lost and re-activated on the survivors); the
    /// run going on to its planned end after the take-over; and the target's upgrades no client reported within the
    /// victim's hole. The same books whether the silo was killed or asked to stop (CoordinatorStopTests).
    /// </summary>
    internal static void AssertTakenOverWithEveryClientAccountedFor(JsonObject report, RedisCluster.Silo victim, int clients, int seconds, Xunit.Abstractions.ITestOutputHelper output)
    {
        Contract.AssertReportShape(report);
        Assert.Contains("lost during the run", report["partialReason"]!.GetValue<string>());
        Assert.DoesNotContain("coordinator", report["partialReason"]!.GetValue<string>());

        // The failover, as the report records it.
        var failover = Assert.Single(report["failovers"]!.AsArray())!.AsObject();
        output.WriteLine($"failover: {failover.ToJsonString()}");
        Assert.True(victim.Named(failover["lostSilo"]!.GetValue<string>()), failover.ToJsonString());
        Assert.False(victim.Named(failover["newSilo"]!.GetValue<string>()), failover.ToJsonString());
        Assert.Equal(2, failover["silosRead"]!.GetValue<int>());
        Assert.Equal(clients / 3, failover["clientsLost"]!.GetValue<int>());
        Assert.Equal(clients / 3, failover["clientsReactivated"]!.GetValue<int>());
        Assert.True(failover["lastAnsweredAtSecond"]!.GetValue<double>() <= failover["detectedAtSecond"]!.GetValue<double>());
        Assert.True(failover["detectedAtSecond"]!.GetValue<double>() <= failover["resumedAtSecond"]!.GetValue<double>());
        Assert.Contains(report["notes"]!.AsArray(), n => n!.GetValue<string>().Contains("took the run over", StringComparison.Ordinal));

        // Every client accounted for: planned = started, the lost silo's clients lost and re-activated.
        Assert.Equal(clients, report["clients"]!["planned"]!.GetValue<int>());
        Assert.Equal(clients, report["clients"]!["started"]!.GetValue<int>());
        Assert.Equal(clients / 3, report["clients"]!["lost"]!.GetValue<int>());
        Assert.Equal(clients / 3, report["clients"]!["reactivated"]!.GetValue<int>());
        var silos = report["silos"]!.AsArray().Select(s => s!.AsObject()).ToList();
        Assert.Equal(3, silos.Count);
        var lost = Assert.Single(silos, s => s["lost"]!.GetValue<bool>());
        Assert.True(victim.Named(lost["address"]!.GetValue<string>()));
        var coordinator = Assert.Single(silos, s => s["coordinator"]!.GetValue<bool>());
        Assert.Equal(failover["newSilo"]!.GetValue<string>(), coordinator["address"]!.GetValue<string>());
        Assert.Equal(clients / 3, silos.Where(s => !s["lost"]!.GetValue<bool>()).Sum(s => s["adopted"]!.GetValue<int>()));

        // The run went on to its planned end and its stop: echoes kept coming after the take-over, from all the
        // clients again, and every client (the re-activated ones too) was stopped (nothing left open).
        var resumedAt = (int)failover["resumedAtSecond"]!.GetValue<double>();
        var timeline = report["timeline"]!.AsArray().Select(p => p!.AsObject()).ToList();
        Assert.Contains(timeline, p => p["t"]!.GetValue<int>() >= seconds);
        var after = timeline.Where(p => p["t"]!.GetValue<int>() > resumedAt + 2 && p["t"]!.GetValue<int>() <= seconds).ToList();
        Assert.NotEmpty(after);
        Assert.All(after, p => Assert.True(p["messagesReceived"]!.GetValue<long>() > 0, $"no echoes at {p["t"]} s"));
        Assert.True(after.Max(p => p["open"]!.GetValue<int>()) > clients * 0.8, "the re-activated clients did not reconnect");
        Assert.Equal(0, Contract.Value(report, "target_open_after_run"));

        // Conservation: the target's upgrades not reported by any client are within the lost silo's hole, and the
        // timeline adds up to the totals.
        var unreported = report["holes"]!["targetUpgradesNotReported"]!.GetValue<long>();
        var bound = report["holes"]!["atMost"]!["connects"]!.GetValue<long>();
        output.WriteLine($"the target saw {unreported} upgrades no client reported (hole bound {bound})");
        Assert.InRange(unreported, 0, bound);
        Assert.Equal(Contract.Count(report, "connects"), timeline.Sum(p => p["connects"]!.GetValue<long>()));
        Assert.Equal(Contract.Count(report, "messages_sent"), timeline.Sum(p => p["messagesSent"]!.GetValue<long>()));
    }
}
