using SimCluster.Abstractions.Metrics;
using SimCluster.Abstractions.Plans;
using SimCluster.Abstractions.Runs;
using SimCluster.Cli.Reports;
using SimCluster.Scenarios;
using SimCluster.Target;
using SimCluster.Tests.Support;

namespace SimCluster.Tests.Grains.Runs;

/// <summary>A silo alive to membership that never answers a collection, on a real two-silo cluster.</summary>
[Collection(IntegrationCollection.Name)]
[Trait("Category", "Integration")]
public sealed class SilentSiloTests(SimCluster.Tests.Grains.TwoSiloCluster fixture) : IClassFixture<SimCluster.Tests.Grains.TwoSiloCluster>
{
    [Fact]
    public async Task A_silo_that_misses_the_final_collection_is_named_and_the_report_is_partial()
    {
        await using var target = await ReferenceTarget.StartAsync(new TargetOptions { Port = 0 });
        var plan = new RunPlan
        {
            RunId = $"silent-{Guid.NewGuid():N}"[..15],
            ScenarioName = "silent",
            Seed = 3,
            TargetUrls = [target.WebSocketUri.ToString()],
            Clients = 10,
            Duration = TimeSpan.FromSeconds(2),
            Messages = new MessagePlan { Interval = TimeSpan.FromMilliseconds(250), Size = 32, LossTimeout = TimeSpan.FromSeconds(2) },
            Reconnect = new ReconnectPlan { Policy = "fixed", Base = TimeSpan.FromMilliseconds(100), Max = TimeSpan.FromSeconds(1), Jitter = JitterKind.None },
            StopGrace = TimeSpan.FromSeconds(3),
            ConnectTimeout = TimeSpan.FromSeconds(5),
            Groups = [new GroupPlan { Name = "steady", Behavior = "steady", FirstClient = 0, Clients = 10 }],
        };
        var silent = fixture.Cluster.Silos[1].SiloAddress.ToParsableString();
        var coordinator = fixture.Client.GetGrain<IRunCoordinatorGrain>(plan.RunId);
        RunResult? result;
        using (SilentCollectFilter.Silence(plan.RunId, silent))
        {
            await coordinator.Start(plan);
            await Eventually.TrueAsync(() => coordinator.GetProgress().GetAwaiter().GetResult().Phase is RunPhase.Completed or RunPhase.Failed,
                "the run to complete", TimeSpan.FromSeconds(90));
            result = await coordinator.GetResult();
        }

        Assert.NotNull(result);
        var silo = Assert.Single(result.Silos, s => s.Address == silent);
        Assert.True(silo.MissedFinalCollection);
        Assert.False(silo.Lost); // alive to membership: not lost, but silent
        Assert.False(Assert.Single(result.Silos, s => s.Address != silent).MissedFinalCollection);
        Assert.Contains(result.Notes, n => n.Contains($"silo {silent} did not answer the final collection (it never answered one)", StringComparison.Ordinal));
        // Its five clients ran (the target saw all ten), but none of their numbers reached the coordinator.
        Assert.Equal(5, result.Groups.Single().Counters[MetricNames.Connects]);
        Assert.Equal(10, target.GetStats().Upgrades);

        var scenario = ScenarioLoader.Parse($"name: silent\ntarget: {target.WebSocketUri}\nclients: 10\nduration: 2s\n", "silent.yaml").Scenario!;
        var report = Report.Create(scenario, plan.Seed, [target.WebSocketUri], result, null, null, interrupted: null);
        Assert.Equal("partial", report.Verdict);
        Assert.Contains($"did not answer the final collection: {silent}", report.PartialReason);
    }
}
