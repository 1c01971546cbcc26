using System.Text.Json.Nodes;
using SimCluster.Abstractions.Runs;
using SimCluster.Cli.Api;
using SimCluster.Scenarios;
using SimCluster.Tests.Support;

namespace SimCluster.Tests.Cli.Runs;

/// <summary>
/// The live page's feed never holds the command up: after a take-over, the interim publish in flight when the old
/// coordinator's silo died hangs on its call until the timeout, and the final publish must not wait for it.
/// </summary>
[Trait("Category", "Unit")]
public sealed class LivePublisherTests
{
    [Fact]
    public async Task The_final_report_is_published_while_an_interim_publish_still_hangs_on_a_dead_coordinator()
    {
        var hung = new TaskCompletionSource<RunResult?>();
        var coordinator = RunDriverTests.FakeGrain.Create<IRunCoordinatorGrain>(m => m.Name == nameof(IRunCoordinatorGrain.GetInterimResult)
            ? hung.Task
            : throw new NotSupportedException($"the publisher called {m.Name}"));
        var live = new RecordingLiveRuns();
        var loaded = ScenarioLoader.Parse("name: live\ntarget: embedded\nclients: 1\nduration: 10s\n", "live.yaml");
        Assert.True(loaded.Ok, string.Join("\n", loaded.Errors));
        var publisher = new LivePublisher(RunDriverTests.FakeGrainFactory.For(coordinator, null, live), loaded.Scenario!, "live-run", 1, [new Uri("ws://127.0.0.1:1/")], new WaitingClock());

        publisher.OnProgress(new RunProgress { Phase = RunPhase.Running, Planned = 1 });
        var final = publisher.PublishFinalAsync(new JsonObject { ["verdict"] = "pass" });

        // On fake time no timeout ever fires: the final frame went out with the interim call still hanging.
        Assert.True(final.IsCompletedSuccessfully, "the final publish waited for the interim one");
        Assert.False(hung.Task.IsCompleted);
        var frame = Assert.Single(live.Frames);
        Assert.True(frame.Final);
        Assert.Equal("pass", frame.Verdict);
        await final;
    }

    private sealed class RecordingLiveRuns : ILiveRunsGrain
    {
        public List<LiveRunFrame> Frames { get; } = [];

        public Task Publish(LiveRunFrame frame)
        {
            Frames.Add(frame);
            return Task.CompletedTask;
        }

        public Task<LiveRunSummary[]> List() => Task.FromResult<LiveRunSummary[]>([]);

        public Task<LiveRunFrame?> Get(string runId) => Task.FromResult<LiveRunFrame?>(null);
    }
}
