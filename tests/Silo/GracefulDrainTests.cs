using System.Text.Json.Nodes;
using SimCluster.Tests.Support;

namespace SimCluster.Tests.Silo;

/// <summary>
/// A silo asked to stop mid-run (SIGTERM, as a pod deletion sends) hands its clients over and delivers its final
/// numbers before it exits: three `simcluster silo` processes on a real redis-server, the reference target embedded
/// in the CLI (its /stats before and after the run are in the report, the ground truth), and a flapping run from
/// which a silo that does not hold the coordinator is SIGTERMed. The report is complete and its counts are the
/// target's; every client that silo held was migrated.
/// </summary>
[Collection(IntegrationCollection.Name)]
[Trait("Category", "Integration")]
public sealed class GracefulDrainTests(Xunit.Abstractions.ITestOutputHelper output)
{
    private const int Clients = 90;

    [Fact]
    public async Task A_silo_stopped_mid_run_hands_its_clients_and_final_numbers_over_and_the_report_is_complete()
    {
        await Simcluster.EnsureBuiltAsync(); // builds the CLI once, before any clock starts
        await using var cluster = await RedisCluster.StartAsync(silos: 3);
        var folder = Simcluster.TempFolder("graceful-drain");
        try
        {
            var scenario = await RedisCluster.WriteFlappingScenarioAsync(Path.Combine(folder, "drain.yaml"), "graceful-drain", Clients, "30s", seed: 11);
            var outDir = Path.Combine(folder, "report");
            await using var run = cluster.StartRun("simcluster run", scenario, outDir);
            var coordinator = await RedisCluster.CoordinatorLineAsync(run);
            await run.WaitForRunSecondAsync(8, TimeSpan.FromSeconds(90));

            var leaving = cluster.Silos.First(s => !s.Named(coordinator));
            var signalledAt = DateTime.UtcNow;
            await RedisCluster.SignalAsync(leaving.Process.Pid, "TERM");
            var siloExit = await leaving.Process.WaitForExitAsync(TimeSpan.FromMinutes(2));
            var exit = await run.WaitForExitAsync(TimeSpan.FromMinutes(3));
            output.WriteLine(run.Output);
            output.WriteLine($"--- the stopped silo (exit {siloExit})\n{leaving.Process.Output}");
            // A graceful stop: the silo exits on its own, without an error.
            Assert.Equal(0, siloExit);
            Assert.True(exit is 0, $"exit {exit}\n{run.Output}");

            var report = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(outDir, "report.json")))!.AsObject();
            Contract.AssertReportShape(report);
            Assert.False(report["partial"]!.GetValue<bool>(), report["partialReason"]?.ToJsonString());

            var silos = report["silos"]!.AsArray().Select(s => s!.AsObject()).ToList();
            Assert.Equal(3, silos.Count);
            Assert.All(silos, s => Assert.False(s["lost"]!.GetValue<bool>(), $"silo {s["address"]} was lost"));
            var drained = Assert.Single(silos, s => s["drainedAtSecond"] is not null);
            Assert.True(leaving.Named(drained["address"]!.GetValue<string>()), $"the drained silo is {drained["address"]}, not the one stopped");
            Assert.Equal(Clients / 3, drained["clients"]!.GetValue<int>());
            // bench/cluster-failover.sh reads this line.
            var signalSecond = (signalledAt - DateTime.Parse(report["startedAt"]!.GetValue<string>(), null, System.Globalization.DateTimeStyles.RoundtripKind)).TotalSeconds;
            output.WriteLine($"SIGTERM at {signalSecond:0.00} s of the run: final numbers in {drained["drainedAtSecond"]!.GetValue<double>() - signalSecond:0.00} s later, {drained["migratedClients"]} of {drained["drainedClients"]} clients migrated");
            // Every client it held was started again on the others: migrated, not lost.
            Assert.Equal(Clients / 3, drained["drainedClients"]!.GetValue<int>());
            Assert.Equal(Clients / 3, drained["migratedClients"]!.GetValue<int>());
            Assert.Equal(Clients / 3, report["clients"]!["migrated"]!.GetValue<int>());
            Assert.Equal(Clients / 3, silos.Sum(s => s["migratedIn"]!.GetValue<int>()));
            Assert.Equal(0, report["clients"]!["lost"]!.GetValue<int>());
            Assert.Equal(0, report["clients"]!["reactivated"]!.GetValue<int>());
            Assert.Contains(report["notes"]!.AsArray(), n => n!.GetValue<string>().Contains("asked to stop", StringComparison.Ordinal));

            // The counts are the target's: every upgrade it saw was reported by a client (the stopped silo's before
            // it left, in its final numbers; the migrated clients' after, by their new silos), every message it
            // received was one a client sent, and nothing was left open.
            var upgrades = RedisCluster.TargetDelta(report, "upgrades");
            var messagesIn = RedisCluster.TargetDelta(report, "messagesIn");
            output.WriteLine($"target: {upgrades} upgrades, {messagesIn} messages in; report: {Contract.Count(report, "connects")} connects, {Contract.Count(report, "messages_sent")} sent");
            // Not yet exact: an upgrade the stopping silo's client had made but not yet counted when it stopped is
            // missing (2 of 476 seen once under load). The report says so, and the hole is at most one per client it held.
            Assert.InRange(upgrades - Contract.Count(report, "connects"), 0, Clients / 3);
            Assert.Equal(upgrades - Contract.Count(report, "connects"), report["holes"]!["targetUpgradesNotReported"]!.GetValue<long>());
            Assert.Equal(messagesIn, Contract.Count(report, "messages_sent"));
            Assert.Equal(0, Contract.Value(report, "target_open_after_run"));

            // The migrated clients ran on: the survivors' source slices saw them (one address per client in a slice).
            var observed = report["targetStats"]!["after"]!["sourceAddresses"]!.AsObject().Select(a => a.Key).Where(a => a != "other").ToList();
            Assert.True(observed.Count >= Clients, $"{observed.Count} source addresses seen, fewer than the {Clients} clients");

            foreach (var survivor in cluster.Silos.Where(s => s != leaving)) Assert.False(survivor.Process.HasExited, $"{survivor.Process.Name} exited\n{survivor.Process.Output}");
        }
        finally
        {
            foreach (var silo in cluster.Silos) output.WriteLine($"--- {silo.Process.Name} (silo port {silo.SiloPort})\n{silo.Process.Output}");
            Directory.Delete(folder, recursive: true);
        }
    }
}
