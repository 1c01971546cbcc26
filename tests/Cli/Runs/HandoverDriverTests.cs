using SimCluster.Abstractions.Plans;
using SimCluster.Abstractions.Runs;
using SimCluster.Cli.Runs;
using SimCluster.Scenarios;
using SimCluster.Tests.Support;

namespace SimCluster.Tests.Cli.Runs;

/// <summary>
/// The driver's side of a handover, on fake time: a coordinator whose silo is stopping says so in its progress once
/// its final checkpoint is ready; the driver takes that checkpoint at once (not at its 2 s interval), so the
/// take-over after the silo has left starts from it.
/// </summary>
[Trait("Category", "Unit")]
public sealed class HandoverDriverTests
{
    [Fact]
    public async Task A_coordinator_handing_over_is_asked_for_its_final_checkpoint_at_once_and_the_take_over_starts_from_it()
    {
        // Checkpoints are kept at the 1st poll, then every 2 s; the handover is announced at the 2nd poll, between
        // two of them, and from the 3rd poll on a fresh activation answers.
        var coordinator = new HandingOverCoordinator { HandOverAtPoll = 2, CompleteAfterPolls = 8 };
        var cluster = new RunDriverTests.FakeCluster(3);
        var outcome = await DriveAsync(coordinator, cluster);

        Assert.Null(outcome.Failure);
        Assert.Same(coordinator.Result, outcome.Result);
        Assert.Equal([1, 2], coordinator.CheckpointsAtPoll.Take(2));
        var takeover = Assert.Single(coordinator.Takeovers);
        Assert.Equal(coordinator.HandedOverAtUtc, takeover.Checkpoint.HandedOverAtUtc);
        Assert.Empty(cluster.Halted); // a run handed over is not halted
    }

    private static async Task<RunOutcome> DriveAsync(HandingOverCoordinator coordinator, RunDriverTests.FakeCluster cluster)
    {
        var time = new WaitingClock();
        var loaded = ScenarioLoader.Parse("name: driven\ntarget: embedded\nclients: 1\nduration: 10s\n", "driven.yaml");
        Assert.True(loaded.Ok, string.Join("\n", loaded.Errors));
        var plan = new RunPlan { RunId = "driven", ScenarioName = "driven", Seed = 1, TargetUrls = ["ws://127.0.0.1:1/"], Clients = 1, Duration = TimeSpan.FromSeconds(10), Groups = [] };
        var driver = new RunDriver(RunDriverTests.FakeGrainFactory.For(coordinator, cluster), loaded.Scenario!, plan, time);
        var run = driver.RunAsync(_ => Task.CompletedTask, CancellationToken.None);
        await time.StepWhileWaitingAsync(run, TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(30));
        Assert.True(run.IsCompleted, "the driver did not end within 30 s of real time");
        return await run;
    }

    /// <summary>
    /// Running; at poll <see cref="HandOverAtPoll"/> its progress says it is handing over and its checkpoints are
    /// final; from the next poll it answers as a fresh activation (planned 0) until taken over, then completes after
    /// <see cref="CompleteAfterPolls"/> polls.
    /// </summary>
    private sealed class HandingOverCoordinator : IRunCoordinatorGrain
    {
        public int HandOverAtPoll = int.MaxValue;
        public int CompleteAfterPolls = 3;
        public DateTime HandedOverAtUtc { get; } = DateTime.UnixEpoch.AddSeconds(2);
        public List<int> CheckpointsAtPoll { get; } = [];
        public List<RunTakeover> Takeovers { get; } = [];
        private int _polls;
        private bool _empty;

        public RunResult Result { get; } = new()
        {
            RunId = "driven", StartedAtUtc = DateTime.UnixEpoch, EndedAtUtc = DateTime.UnixEpoch.AddSeconds(10), Planned = 1, Started = 1,
            Groups = [], Timeline = [], Silos = [],
        };

        public Task Start(RunPlan plan) => Task.CompletedTask;

        public Task<RunProgress> GetProgress()
        {
            _polls++;
            if (Takeovers.Count == 0 && _polls > HandOverAtPoll) _empty = true;
            return Task.FromResult(_empty
                ? new RunProgress { Phase = RunPhase.Arming, Planned = 0 }
                : new RunProgress { Phase = _polls >= CompleteAfterPolls ? RunPhase.Completed : RunPhase.Running, Planned = 1, HandingOver = _polls == HandOverAtPoll });
        }

        public Task<RunCheckpoint?> GetCheckpoint(int afterSecond)
        {
            if (_empty) return Task.FromResult<RunCheckpoint?>(null);
            CheckpointsAtPoll.Add(_polls);
            return Task.FromResult<RunCheckpoint?>(new RunCheckpoint
            {
                Phase = RunPhase.Running, RequestedAtUtc = DateTime.UnixEpoch, StartsAtUtc = DateTime.UnixEpoch, CoordinatorSilo = "old",
                HandedOverAtUtc = Takeovers.Count == 0 && _polls >= HandOverAtPoll ? HandedOverAtUtc : null,
            });
        }

        public Task<bool> TakeOver(RunTakeover takeover)
        {
            Takeovers.Add(takeover);
            _empty = false;
            return Task.FromResult(true);
        }

        public Task Abort(string reason) => Task.CompletedTask;

        public Task<bool> Drain(string silo) => Task.FromResult(false);

        public Task<RunResult?> GetResult() => Task.FromResult<RunResult?>(Result);

        public Task<RunResult?> GetInterimResult() => Task.FromResult<RunResult?>(Result);
    }
}
