using System.Text.Json.Nodes;
using SimCluster.Tests.Support;

namespace SimCluster.Tests.Silo;

/// <summary>
/// The silo holding a run's coordinator is asked to stop mid-run (SIGTERM, as a pod deletion sends): three
/// `simcluster silo` processes on a real redis-server, the reference target embedded in the CLI. The silo hands the
/// run over before it leaves: its clients stop and their final numbers are delivered, the survivors start them again
/// (migrated, not lost), the coordinator's final checkpoint is taken by the CLI, and a survivor takes the run over
/// from it. Nothing is missing: the report is complete, its counts are the target's, and its failover is a handover.
/// </summary>
[Collection(IntegrationCollection.Name)]
[Trait("Category", "Integration")]
public sealed class CoordinatorStopTests(Xunit.Abstractions.ITestOutputHelper output)
{
    private const int Clients = 60;
    private const int Seconds = 25;

    [Fact]
    public async Task The_coordinators_silo_stopped_mid_run_hands_the_run_over_and_the_report_is_complete()
    {
        await Simcluster.EnsureBuiltAsync(); // builds the CLI once, before any clock starts
        await using var cluster = await RedisCluster.StartAsync(silos: 3);
        var folder = Simcluster.TempFolder("coordinator-stop");
        try
        {
            var scenario = await RedisCluster.WriteFlappingScenarioAsync(Path.Combine(folder, "stop.yaml"), "coordinator-stop", Clients, $"{Seconds}s", seed: 19);
            var outDir = Path.Combine(folder, "report");
            await using var run = cluster.StartRun("simcluster run", scenario, outDir);
            var coordinatorLine = await RedisCluster.CoordinatorLineAsync(run);
            await run.WaitForRunSecondAsync(8, TimeSpan.FromSeconds(120));
            var victim = cluster.Silos.Single(s => s.Named(coordinatorLine));
            var signalledAt = DateTime.UtcNow;
            await RedisCluster.SignalAsync(victim.Process.Pid, "TERM");

            var siloExit = await victim.Process.WaitForExitAsync(TimeSpan.FromMinutes(2));
            var exit = await run.WaitForExitAsync(TimeSpan.FromMinutes(3));
            output.WriteLine(run.Output);
            output.WriteLine($"--- the stopped silo (exit {siloExit})\n{victim.Process.Output}");
            // A graceful stop: the silo exits on its own, without an error, once its drain and the handover were taken.
            Assert.Equal(0, siloExit);
            Assert.Contains("took this silo's drain", victim.Process.Output, StringComparison.Ordinal);
            // Nothing was lost, so the run was carried out as planned: exit 0, not partial (105).
            Assert.True(exit is 0, $"exit {exit}\n{run.Output}");
            Assert.DoesNotContain("could not be finished", run.Output, StringComparison.Ordinal);
            Assert.Contains("failover: ", run.Output, StringComparison.Ordinal);
            Assert.Contains("handed the run over", run.Output, StringComparison.Ordinal);

            var report = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(outDir, "report.json")))!.AsObject();
            Contract.AssertReportShape(report);
            Assert.False(report["partial"]!.GetValue<bool>(), report["partialReason"]?.ToJsonString());

            // Every client accounted for: planned = started, the stopped silo's clients migrated, none lost.
            Assert.Equal(Clients, report["clients"]!["planned"]!.GetValue<int>());
            Assert.Equal(Clients, report["clients"]!["started"]!.GetValue<int>());
            Assert.Equal(Clients / 3, report["clients"]!["migrated"]!.GetValue<int>());
            Assert.Equal(0, report["clients"]!["lost"]!.GetValue<int>());
            Assert.Equal(0, report["clients"]!["reactivated"]!.GetValue<int>());
            var silos = report["silos"]!.AsArray().Select(s => s!.AsObject()).ToList();
            Assert.Equal(3, silos.Count);
            Assert.All(silos, s => Assert.False(s["lost"]!.GetValue<bool>(), $"silo {s["address"]} was lost"));
            var drained = Assert.Single(silos, s => s["drainedAtSecond"] is not null);
            Assert.True(victim.Named(drained["address"]!.GetValue<string>()), $"the drained silo is {drained["address"]}, not the one stopped");
            Assert.Equal(Clients / 3, drained["drainedClients"]!.GetValue<int>());
            Assert.Equal(Clients / 3, drained["migratedClients"]!.GetValue<int>());
            Assert.Equal(Clients / 3, silos.Sum(s => s["migratedIn"]!.GetValue<int>()));
            Assert.Equal(0, silos.Sum(s => s["adopted"]!.GetValue<int>()));
            // No hole: the stopped silo's numbers are its final ones, delivered after its clients stopped.
            Assert.Empty(report["holes"]!["silos"]!.AsArray());

            // The failover is a handover, from the stopped silo to a survivor that read both survivors, in this order:
            // the silo drained, its coordinator's final checkpoint was ready, the old coordinator answered last, the
            // CLI found it gone, and the survivor resumed.
            var failover = Assert.Single(report["failovers"]!.AsArray())!.AsObject();
            output.WriteLine($"failover: {failover.ToJsonString()}");
            Assert.Equal("handover", failover["cause"]!.GetValue<string>());
            Assert.True(victim.Named(failover["lostSilo"]!.GetValue<string>()), failover.ToJsonString());
            Assert.False(victim.Named(failover["newSilo"]!.GetValue<string>()), failover.ToJsonString());
            Assert.Equal(2, failover["silosRead"]!.GetValue<int>());
            Assert.Equal(0, failover["clientsLost"]!.GetValue<int>());
            Assert.Equal(0, failover["clientsReactivated"]!.GetValue<int>());
            Assert.Equal(Clients / 3, failover["clientsMigrated"]!.GetValue<int>());
            var handedOverAt = failover["handedOverAtSecond"]!.GetValue<double>();
            Assert.True(drained["drainedAtSecond"]!.GetValue<double>() <= handedOverAt, failover.ToJsonString());
            Assert.True(handedOverAt <= failover["lastAnsweredAtSecond"]!.GetValue<double>(), failover.ToJsonString());
            Assert.True(failover["lastAnsweredAtSecond"]!.GetValue<double>() <= failover["detectedAtSecond"]!.GetValue<double>(), failover.ToJsonString());
            Assert.True(failover["detectedAtSecond"]!.GetValue<double>() <= failover["resumedAtSecond"]!.GetValue<double>(), failover.ToJsonString());
            var coordinator = Assert.Single(silos, s => s["coordinator"]!.GetValue<bool>());
            Assert.Equal(failover["newSilo"]!.GetValue<string>(), coordinator["address"]!.GetValue<string>());
            Assert.Contains(report["notes"]!.AsArray(), n => n!.GetValue<string>().Contains("handed the run's coordinator over", StringComparison.Ordinal));
            Assert.Contains("Coordinator failovers", await File.ReadAllTextAsync(Path.Combine(outDir, "report.html")), StringComparison.Ordinal);
            // bench/cluster-failover.sh-style figures, printed, not asserted.
            var signalSecond = (signalledAt - DateTime.Parse(report["startedAt"]!.GetValue<string>(), null, System.Globalization.DateTimeStyles.RoundtripKind)).TotalSeconds;
            output.WriteLine($"SIGTERM at {signalSecond:0.00} s of the run: drained {drained["drainedAtSecond"]!.GetValue<double>() - signalSecond:0.00} s later, handed over {handedOverAt - signalSecond:0.00} s later, " +
                             $"resumed on a survivor {failover["resumedAtSecond"]!.GetValue<double>() - signalSecond:0.00} s later");

            // The run went on to its planned end after the take-over, and the timeline adds up to the totals.
            var timeline = report["timeline"]!.AsArray().Select(p => p!.AsObject()).ToList();
            Assert.Contains(timeline, p => p["t"]!.GetValue<int>() >= Seconds);
            Assert.Equal(Contract.Count(report, "connects"), timeline.Sum(p => p["connects"]!.GetValue<long>()));
            Assert.Equal(Contract.Count(report, "messages_sent"), timeline.Sum(p => p["messagesSent"]!.GetValue<long>()));

            // The counts are the target's, as after any silo's drain (GracefulDrainTests): every message the target
            // received was one a client reported sending, and every upgrade it saw but one a stopping client made and
            // had not counted yet when it stopped (at most one per client of the stopped silo) was reported; the
            // report names that difference. Nothing was left open.
            var upgrades = RedisCluster.TargetDelta(report, "upgrades");
            var messagesIn = RedisCluster.TargetDelta(report, "messagesIn");
            output.WriteLine($"target: {upgrades} upgrades, {messagesIn} messages in; report: {Contract.Count(report, "connects")} connects, {Contract.Count(report, "messages_sent")} sent");
            Assert.InRange(upgrades - Contract.Count(report, "connects"), 0, Clients / 3);
            Assert.Equal(upgrades - Contract.Count(report, "connects"), report["holes"]!["targetUpgradesNotReported"]!.GetValue<long>());
            Assert.Equal(messagesIn, Contract.Count(report, "messages_sent"));
            Assert.Equal(0, Contract.Value(report, "target_open_after_run"));

            foreach (var survivor in cluster.Silos.Where(s => s != victim)) Assert.False(survivor.Process.HasExited, $"{survivor.Process.Name} exited\n{survivor.Process.Output}");
        }
        finally
        {
            foreach (var silo in cluster.Silos) output.WriteLine($"--- {silo.Process.Name} (silo port {silo.SiloPort})\n{silo.Process.Output}");
            Directory.Delete(folder, recursive: true);
        }
    }
}
