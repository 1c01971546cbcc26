using SimCluster.Abstractions.Runs;
using SimCluster.Cli.Runs;
using SimCluster.Scenarios;

namespace SimCluster.Tests.Cli.Runs;

/// <summary><see cref="RunDriver"/> against a scripted coordinator, on the real clock: a stop request ends the run with its result however long the stopping takes.</summary>
[Trait("Category", "Unit")]
public sealed class RunDriverStopTests
{
    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(4)]
    public async Task A_stop_yields_the_result_however_many_progress_calls_the_stopping_takes(int stoppingCalls)
    {
        // Cancelled from the start: the driver aborts at its first wait, then follows the stop until it completes
        // without waiting on the cancelled token again (that threw "A task was canceled." and lost the report).
        var coordinator = new ScriptedCoordinator(stoppingCalls);
        var scenario = ScenarioLoader.Parse("name: t\ntarget: ws://127.0.0.1:9/ws\nclients: 2\nduration: 5s\n", "t.yaml", (IReadOnlyList<string>)[], ScenarioVocabulary.Default).Scenario!;
        var plan = PlanBuilder.Build(scenario, "run-1", 1, [new Uri("ws://127.0.0.1:9/ws")]);
        var driver = new RunDriver(RunDriverTests.FakeGrainFactory.For(coordinator), scenario, plan, TimeProvider.System);
        var seen = new List<RunPhase>();

        var outcome = await driver.RunAsync(p => { seen.Add(p.Phase); return Task.CompletedTask; }, new CancellationToken(canceled: true));

        Assert.True(outcome.Interrupted);
        Assert.Null(outcome.Failure);
        Assert.Same(coordinator.Result, outcome.Result);
        Assert.Equal(1, coordinator.Aborts);
        Assert.Equal([RunPhase.Running, .. Enumerable.Repeat(RunPhase.Stopping, stoppingCalls), RunPhase.Completed], seen);
    }

    /// <summary>Running until aborted, then <c>stoppingCalls</c> answers of Stopping, then Completed.</summary>
    private sealed class ScriptedCoordinator(int stoppingCalls) : IRunCoordinatorGrain
    {
        private int _stoppingLeft = stoppingCalls;

        public int Aborts { get; private set; }

        public RunResult Result { get; } = new()
        {
            RunId = "run-1", StartedAtUtc = DateTime.UnixEpoch, EndedAtUtc = DateTime.UnixEpoch.AddSeconds(1),
            Planned = 2, Started = 2, Groups = [], Timeline = [], Silos = [],
        };

        public Task Start(SimCluster.Abstractions.Plans.RunPlan plan) => Task.CompletedTask;

        public Task<RunProgress> GetProgress() => Task.FromResult(new RunProgress
        {
            Phase = Aborts == 0 ? RunPhase.Running : _stoppingLeft-- > 0 ? RunPhase.Stopping : RunPhase.Completed,
            Planned = 2,
        });

        public Task<bool> Drain(string silo) => Task.FromResult(false);

        public Task<RunCheckpoint?> GetCheckpoint(int afterSecond) => Task.FromResult<RunCheckpoint?>(null);

        public Task<bool> TakeOver(RunTakeover takeover) => Task.FromResult(false);

        public Task Abort(string reason)
        {
            Aborts++;
            return Task.CompletedTask;
        }

        public Task<RunResult?> GetResult() => Task.FromResult<RunResult?>(Result);

        public Task<RunResult?> GetInterimResult() => Task.FromResult<RunResult?>(Result);
    }
}
