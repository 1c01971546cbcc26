using System.Text.Json.Nodes;
using SimCluster.Tests.Support;

namespace SimCluster.Tests.Silo;

/// <summary>
/// The silo holding a run's coordinator is asked to stop mid-run (SIGTERM, as a pod deletion sends): three
/// `simcluster silo` processes on a real redis-server, the reference target embedded in the CLI. The coordinator
/// goes with its silo, so this is a take-over, not a drain: the silo refuses its own drain (nobody would be left to
/// take its final numbers), leaves the cluster through Orleans' graceful shutdown, and a survivor takes the run
/// over from the CLI's checkpoint. The run completes with every client accounted for, the failover in the report,
/// and the target's books bounded by the silo's hole.
/// </summary>
[Collection(IntegrationCollection.Name)]
[Trait("Category", "Integration")]
public sealed class CoordinatorStopTests(Xunit.Abstractions.ITestOutputHelper output)
{
    private const int Clients = 60;
    private const int Seconds = 25;

    [Fact]
    public async Task The_coordinators_silo_stopped_mid_run_is_a_take_over_and_the_run_completes_with_every_client_accounted_for()
    {
        await Simcluster.RunAsync("version"); // builds the CLI once, before any clock starts
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
            await RedisCluster.SignalAsync(victim.Process.Pid, "TERM");

            var siloExit = await victim.Process.WaitForExitAsync(TimeSpan.FromMinutes(2));
            var exit = await run.WaitForExitAsync(TimeSpan.FromMinutes(3));
            output.WriteLine(run.Output);
            output.WriteLine($"--- the stopped silo (exit {siloExit})\n{victim.Process.Output}");
            // A graceful stop: the silo exits on its own, without an error, having refused its own drain.
            Assert.Equal(0, siloExit);
            Assert.Contains("took no drain from this silo", victim.Process.Output, StringComparison.Ordinal);
            // The silo was lost to the run (105), but the run was not ended early.
            Assert.True(exit is 105, $"exit {exit}\n{run.Output}");
            Assert.DoesNotContain("could not be finished", run.Output, StringComparison.Ordinal);
            Assert.Contains("failover: ", run.Output, StringComparison.Ordinal);

            var report = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(outDir, "report.json")))!.AsObject();
            CoordinatorLossTests.AssertTakenOverWithEveryClientAccountedFor(report, victim, Clients, Seconds, output);

            // A take-over, not a drain: nothing was handed over or migrated, and no other silo was declared dead.
            var silos = report["silos"]!.AsArray().Select(s => s!.AsObject()).ToList();
            Assert.All(silos, s => Assert.Null(s["drainedAtSecond"]));
            Assert.Equal(0, report["clients"]!["migrated"]!.GetValue<int>());
            Assert.All(silos.Where(s => !victim.Named(s["address"]!.GetValue<string>())), s => Assert.False(s["lost"]!.GetValue<bool>(), $"silo {s["address"]} was lost"));

            // The order the report records: the checkpoint the run was taken over from came before the old
            // coordinator's last answer, which came before it was found gone, before the survivor resumed.
            var failover = report["failovers"]![0]!;
            Assert.True(failover["checkpointAtSecond"]!.GetValue<double>() <= failover["lastAnsweredAtSecond"]!.GetValue<double>(), failover.ToJsonString());
            var hole = Assert.Single(report["holes"]!["silos"]!.AsArray())!.AsObject();
            Assert.True(victim.Named(hole["silo"]!.GetValue<string>()), hole.ToJsonString());
            Assert.Equal(Clients / 3, hole["clients"]!.GetValue<int>());
            Assert.True(hole["lastCollectedAtSecond"]!.GetValue<double>() <= hole["lostAtSecond"]!.GetValue<double>(), hole.ToJsonString());

            // The target's books against the report's: the survivors' numbers are exact (read on the take-over and
            // collected to the end), so what the target saw beyond the report is the stopped silo's numbers between
            // the checkpoint and its leaving, within its hole: upgrades exactly as the report counts them, messages
            // received within the hole's bound for messages sent (its clients closed cleanly as the silo shut down,
            // so none the report counts was lost on the way).
            var upgrades = RedisCluster.TargetDelta(report, "upgrades");
            var messagesIn = RedisCluster.TargetDelta(report, "messagesIn");
            var atMost = report["holes"]!["atMost"]!;
            output.WriteLine($"target: {upgrades} upgrades, {messagesIn} messages in; report: {Contract.Count(report, "connects")} connects, {Contract.Count(report, "messages_sent")} sent; hole: {hole.ToJsonString()}");
            Assert.Equal(upgrades - Contract.Count(report, "connects"), report["holes"]!["targetUpgradesNotReported"]!.GetValue<long>());
            Assert.InRange(messagesIn - Contract.Count(report, "messages_sent"), 0, atMost["messages_sent"]!.GetValue<long>());

            foreach (var survivor in cluster.Silos.Where(s => s != victim)) Assert.False(survivor.Process.HasExited, $"{survivor.Process.Name} exited\n{survivor.Process.Output}");
        }
        finally
        {
            foreach (var silo in cluster.Silos) output.WriteLine($"--- {silo.Process.Name} (silo port {silo.SiloPort})\n{silo.Process.Output}");
            Directory.Delete(folder, recursive: true);
        }
    }
}
