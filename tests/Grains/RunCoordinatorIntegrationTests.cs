using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Orleans.TestingHost;
using SimCluster.Abstractions.Metrics;
using SimCluster.Abstractions.Plans;
using SimCluster.Abstractions.Runs;
using SimCluster.Grains;
using SimCluster.Grains.Attacks;
using SimCluster.Grains.Metrics;
using SimCluster.Target;
using SimCluster.Tests.Support;

namespace SimCluster.Tests.Grains;

/// <summary>A real two-silo Orleans cluster in this process, with SimCluster's grains, for the run tests below.</summary>
public sealed class TwoSiloCluster : IAsyncLifetime
{
    public InProcessTestCluster Cluster { get; private set; } = null!;

    public IClusterClient Client => Cluster.Client;

    public async Task InitializeAsync()
    {
        var builder = new InProcessTestClusterBuilder(2);
        builder.Options.ConfigureFileLogging = false;
        builder.ConfigureHost(host => host.Logging.SetMinimumLevel(LogLevel.Warning).AddFilter("Orleans", LogLevel.Error));
        builder.ConfigureSilo((_, silo) => silo.Services.AddSimClusterGrains());
        builder.ConfigureSilo((_, silo) => silo.AddIncomingGrainCallFilter<Runs.SilentCollectFilter>()); // inert unless a test silences a run
        Cluster = builder.Build();
        await Cluster.DeployAsync();
    }

    public async Task DisposeAsync() => await Cluster.DisposeAsync();
}

[Collection(IntegrationCollection.Name)]
[Trait("Category", "Integration")]
public sealed class RunCoordinatorIntegrationTests(TwoSiloCluster fixture) : IClassFixture<TwoSiloCluster>
{
    private static readonly TimeSpan RunBound = TimeSpan.FromSeconds(60);

    private static RunPlan Plan(string target, int steady, int flappers, TimeSpan duration) => new()
    {
        RunId = $"it-{Guid.NewGuid():N}"[..15],
        ScenarioName = "integration",
        Seed = 20260101,
        TargetUrls = [target],
        Clients = steady + flappers,
        Duration = duration,
        RampUp = TimeSpan.FromMilliseconds(500),
        Messages = new MessagePlan { Interval = TimeSpan.FromMilliseconds(250), Size = 64, LossTimeout = TimeSpan.FromSeconds(3) },
        Reconnect = new ReconnectPlan { Policy = "exponential", Base = TimeSpan.FromMilliseconds(50), Max = TimeSpan.FromSeconds(1), Jitter = JitterKind.Full },
        StopGrace = TimeSpan.FromSeconds(3),
        ConnectTimeout = TimeSpan.FromSeconds(5),
        Groups =
        [
            new GroupPlan { Name = "steady", Behavior = "steady", FirstClient = 0, Clients = steady },
            .. flappers == 0 ? Array.Empty<GroupPlan>() : [new GroupPlan
            {
                Name = "flappers", Behavior = "flapping", FirstClient = steady, Clients = flappers,
                Flapping = new FlappingPlan
                {
                    Up = new DurationRangePlan(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1.5)),
                    Down = new DurationRangePlan(TimeSpan.FromMilliseconds(100), TimeSpan.FromMilliseconds(200)),
                    Drops = [DropMode.Close, DropMode.Reset, DropMode.Blackhole],
                    Cycles = 2,
                },
            }],
        ],
    };

    /// <summary>Polls progress once a quarter second until the run completes (bounded), returning the last progress seen.</summary>
    private static async Task<(RunProgress Last, List<RunProgress> Seen)> WaitForEndAsync(IRunCoordinatorGrain coordinator, TimeSpan? bound = null)
    {
        var seen = new List<RunProgress>();
        var deadline = DateTime.UtcNow + (bound ?? RunBound);
        while (true)
        {
            var progress = await coordinator.GetProgress();
            seen.Add(progress);
            if (progress.Phase is RunPhase.Completed or RunPhase.Failed) return (progress, seen);
            if (DateTime.UtcNow > deadline) Assert.Fail($"the run did not complete within {bound ?? RunBound}; last phase {progress.Phase}, {progress.Message}");
            await Task.Delay(250);
        }
    }

    private static long Sum(RunResult result, string counter) => result.Groups.Sum(g => g.Counters.GetValueOrDefault(counter));

    private static long Counter(RunResult result, string group, string counter) =>
        result.Groups.Single(g => g.Name == group).Counters.GetValueOrDefault(counter);

    [Fact]
    public async Task A_flapping_run_spreads_over_both_silos_and_accounts_for_every_connection_and_message()
    {
        await using var target = await ReferenceTarget.StartAsync(new TargetOptions { Port = 0 });
        const int steady = 20, flappers = 20;
        var plan = Plan(target.WebSocketUri.ToString(), steady, flappers, TimeSpan.FromSeconds(6));
        plan = plan with { TimelineClients = TimelineSample.Pick(plan.Groups, 4) }; // 0, 10 (steady), 20, 30 (flappers): both silos
        var coordinator = fixture.Client.GetGrain<IRunCoordinatorGrain>(plan.RunId);

        await coordinator.Start(plan);
        var (last, seen) = await WaitForEndAsync(coordinator);
        var result = await coordinator.GetResult();

        Assert.Equal(RunPhase.Completed, last.Phase);
        Assert.NotNull(result);
        Assert.False(result.Aborted, string.Join("; ", result.Notes));
        Assert.Equal(40, result.Planned);
        Assert.Equal(40, result.Started);
        Assert.Contains(seen, p => p.Phase == RunPhase.Running && p.Silos == 2);

        // Both silos got half of the clients, and neither was lost.
        Assert.Equal(2, result.Silos.Length);
        Assert.All(result.Silos, s => Assert.Equal(20, s.Clients));
        Assert.All(result.Silos, s => Assert.False(s.Lost));

        // Every flapper dropped twice and came back each time; steady clients stayed up.
        var forcedDrops = Sum(result, MetricNames.ForcedDrops);
        Assert.Equal(flappers * 2, forcedDrops);
        Assert.Equal(forcedDrops, Sum(result, MetricNames.Reconnects));
        Assert.Equal(forcedDrops, Sum(result, MetricNames.Disconnects));
        Assert.Equal(0, Sum(result, MetricNames.ConnectFailures));
        Assert.Equal(0, Sum(result, MetricNames.FalseDisconnects));
        Assert.Equal(0, Sum(result, MetricNames.ReconnectGiveUps));
        Assert.Equal(steady + flappers + forcedDrops, Sum(result, MetricNames.Connects));
        Assert.Equal(steady, Counter(result, "steady", MetricNames.Connects));
        Assert.Equal(0, Counter(result, "steady", MetricNames.ForcedDrops));
        Assert.Equal(flappers * 3, Counter(result, "flappers", MetricNames.Connects));

        // Every disconnect has its cause: the three forced modes, nothing from the server.
        var causes = result.Groups.SelectMany(g => g.Causes).GroupBy(c => c.Key).ToDictionary(c => c.Key, c => c.Sum(x => x.Value));
        Assert.All(causes.Keys, k => Assert.StartsWith("forced:", k, StringComparison.Ordinal));
        Assert.Equal(forcedDrops, causes.Values.Sum());
        Assert.Empty(result.Groups.Single(g => g.Name == "steady").Causes);

        // The sampled clients' timelines came back from both silos, each telling its own story.
        Assert.Equal([0, 10, 20, 30], result.Timelines.Select(t => t.Client));
        foreach (var timeline in result.Timelines)
        {
            var kinds = timeline.Events.Select(e => e.Kind).ToList();
            Assert.Equal("connecting", kinds[0]);
            Assert.Equal("closed", kinds[^1]);
            Assert.Equal(timeline.Group == "flappers" ? 2 : 0, kinds.Count(k => k == "dropped"));
            Assert.Equal(timeline.Group == "flappers" ? 3 : 1, kinds.Count(k => k == "open"));
            Assert.True(timeline.Events.Select(e => e.AtMs).SequenceEqual(timeline.Events.Select(e => e.AtMs).Order()), "events out of order");
            // Offsets from the run's start, not instants: inside the 6 s run. The start timer runs on the monotonic clock
            // and the run start is a UTC instant, which may disagree by a fraction of a millisecond.
            Assert.InRange(timeline.Events[0].AtMs, -5, 6_000);
        }

        // Each message was echoed, or was in flight when its connection dropped; none was lost.
        var sent = Sum(result, MetricNames.MessagesSent);
        Assert.True(sent > 0);
        Assert.Equal(0, Sum(result, MetricNames.MessagesLost));
        Assert.Equal(sent, Sum(result, MetricNames.MessagesReceived) + Sum(result, MetricNames.MessagesInterrupted) + Sum(result, MetricNames.MessagesLost));
        Assert.Equal(0, Counter(result, "steady", MetricNames.MessagesInterrupted)); // steady connections closed cleanly at the end

        // Trends travelled through the silos and the coordinator intact.
        var flappersTrends = result.Groups.Single(g => g.Name == "flappers").Trends;
        Assert.Equal(forcedDrops, HistogramCodec.Decode(flappersTrends[MetricNames.ReconnectTime]).TotalCount);
        Assert.Equal(Sum(result, MetricNames.Connects), result.Groups.Sum(g => HistogramCodec.Decode(g.Trends[MetricNames.ConnectTime]).TotalCount));
        Assert.NotEmpty(result.Timeline);
        // The timeline runs through the last second and the stop, and its per-second counts add up to the totals.
        Assert.Equal(Sum(result, MetricNames.Connects), result.Timeline.Sum(p => p.Connects));
        Assert.Equal(Sum(result, MetricNames.Disconnects), result.Timeline.Sum(p => p.Disconnects));
        Assert.Equal(forcedDrops, result.Timeline.Sum(p => p.ForcedDrops));
        Assert.Equal(sent, result.Timeline.Sum(p => p.MessagesSent));
        Assert.Equal(Sum(result, MetricNames.MessagesReceived), result.Timeline.Sum(p => p.MessagesReceived));
        // Points stand for seconds of the run's clock, strictly increasing (a round a slow machine delayed spans two).
        Assert.True(result.Timeline[0].T >= 1, $"the first point is at {result.Timeline[0].T} s");
        Assert.All(result.Timeline.Zip(result.Timeline.Skip(1)), p => Assert.True(p.Second.T > p.First.T, $"{p.First.T} s then {p.Second.T} s"));
        Assert.True(result.Timeline[^1].T > 6, $"the timeline ends at {result.Timeline[^1].T} s, before the run's last second");
        Assert.Equal(0, result.Timeline[^1].Open); // the final point is after the stop
        Assert.True(result.ActiveSeconds >= 6, $"active seconds {result.ActiveSeconds}");

        // The server saw exactly the connections the clients counted.
        var stats = await Eventually.ValueAsync(target.GetStats, s => s.Upgrades == Sum(result, MetricNames.Connects), "target upgrades == connects");
        Assert.Equal(0, stats.RejectedHandshakes);
        Assert.True(stats.SourceAddresses.Keys.All(a => a.StartsWith("127.1.", StringComparison.Ordinal)), string.Join(", ", stats.SourceAddresses.Keys));
    }

    [Fact]
    public async Task A_target_where_nothing_listens_gives_connect_failures_and_the_run_still_completes()
    {
        var plan = Plan("ws://127.0.0.1:1/ws", steady: 10, flappers: 0, TimeSpan.FromSeconds(3));
        var coordinator = fixture.Client.GetGrain<IRunCoordinatorGrain>(plan.RunId);

        await coordinator.Start(plan);
        var (last, _) = await WaitForEndAsync(coordinator);
        var result = await coordinator.GetResult();

        Assert.Equal(RunPhase.Completed, last.Phase);
        Assert.NotNull(result);
        Assert.Equal(10, result.Started);
        Assert.Equal(0, Sum(result, MetricNames.Connects));
        Assert.True(Sum(result, MetricNames.ConnectFailures) >= 10, $"connect_failures {Sum(result, MetricNames.ConnectFailures)}");
        var closeCodes = result.Groups.Single().CloseCodes;
        Assert.Equal(Sum(result, MetricNames.ConnectFailures), closeCodes.GetValueOrDefault("connect-error:refused"));
        Assert.Equal(0, Sum(result, MetricNames.MessagesSent));
    }

    [Fact]
    public async Task An_aborted_run_stops_its_clients_early_and_is_marked_aborted()
    {
        await using var target = await ReferenceTarget.StartAsync(new TargetOptions { Port = 0 });
        var plan = Plan(target.WebSocketUri.ToString(), steady: 10, flappers: 0, TimeSpan.FromMinutes(10));
        var coordinator = fixture.Client.GetGrain<IRunCoordinatorGrain>(plan.RunId);

        await coordinator.Start(plan);
        await Eventually.TrueAsync(() => target.GetStats().OpenConnections == 10, "all ten clients connected", TimeSpan.FromSeconds(30));
        await coordinator.Abort("stopped by the test");
        var (last, _) = await WaitForEndAsync(coordinator, TimeSpan.FromSeconds(30));
        var result = await coordinator.GetResult();

        Assert.Equal(RunPhase.Completed, last.Phase);
        Assert.NotNull(result);
        Assert.True(result.Aborted);
        Assert.Contains(result.Notes, n => n.Contains("stopped by the test", StringComparison.Ordinal));
        Assert.True(result.EndedAtUtc < result.StartedAtUtc + plan.Duration, $"the run ended at {result.EndedAtUtc:O}, not before its planned end"); // by the run's own clock
        await Eventually.TrueAsync(() => target.GetStats().OpenConnections == 0, "the clients to close");
        Assert.Equal(10, target.GetStats().Closes.ClientInitiated.GetValueOrDefault("1000"));
    }

    [Fact]
    public async Task A_run_id_cannot_be_started_twice()
    {
        await using var target = await ReferenceTarget.StartAsync(new TargetOptions { Port = 0 });
        var plan = Plan(target.WebSocketUri.ToString(), steady: 2, flappers: 0, TimeSpan.FromSeconds(1));
        var coordinator = fixture.Client.GetGrain<IRunCoordinatorGrain>(plan.RunId);

        await coordinator.Start(plan);
        await Assert.ThrowsAsync<InvalidOperationException>(() => coordinator.Start(plan));
        await WaitForEndAsync(coordinator);
    }

    /// <summary>
    /// A long-lived silo runs many runs: each one's recorders, case results and Prometheus series exist on every
    /// silo while it runs and are gone from all of them once it completed, the earlier runs' too.
    /// </summary>
    [Fact]
    public async Task Every_finished_run_leaves_no_recorders_case_results_or_series_on_any_silo()
    {
        await using var target = await ReferenceTarget.StartAsync(new TargetOptions { Port = 0 });
        var silos = fixture.Cluster.Silos.Select(s => s.ServiceProvider).ToArray();
        var finished = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            var plan = Plan(target.WebSocketUri.ToString(), steady: 4, flappers: 0, TimeSpan.FromSeconds(2));
            var coordinator = fixture.Client.GetGrain<IRunCoordinatorGrain>(plan.RunId);

            await coordinator.Start(plan);
            await Eventually.TrueAsync(() => silos.All(s => s.GetRequiredService<SiloMetrics>().Runs.Contains(plan.RunId)),
                "the run's recorders on both silos while it runs");
            Assert.All(silos, s => Assert.Equal(plan.Groups.Length, s.GetRequiredService<SiloMetrics>().ForRun(plan.RunId).Count));
            var (last, _) = await WaitForEndAsync(coordinator);
            var result = await coordinator.GetResult();

            Assert.Equal(RunPhase.Completed, last.Phase);
            Assert.Equal(4, Sum(result!, MetricNames.Connects)); // the numbers were taken before the silos let go
            finished.Add(plan.RunId);
            foreach (var services in silos)
            {
                var metrics = services.GetRequiredService<SiloMetrics>();
                var cases = services.GetRequiredService<SiloCaseResults>();
                var meter = services.GetRequiredService<SiloMeter>();
                foreach (var id in finished)
                {
                    Assert.DoesNotContain(id, metrics.Runs);
                    Assert.Empty(metrics.ForRun(id));
                    Assert.DoesNotContain(id, cases.Runs);
                    Assert.DoesNotContain(id, meter.Runs);
                }
            }
        }
    }
}
