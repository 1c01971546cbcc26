using SimCluster.Abstractions.Plans;
using SimCluster.Abstractions.Runs;
using SimCluster.Cli.Runs;
using SimCluster.Scenarios;
using SimCluster.Tests.Cli.Runs;
using SimCluster.Tests.Support;

namespace SimCluster.Tests.Grains.Runs;

/// <summary>
/// The driver's side of a coordinator failover, on fake time: it keeps checkpoints (joining the timeline parts it is
/// sent), hands the latest to the coordinator's fresh activation, and the run goes on to its result; a run lost before
/// any checkpoint (still arming) ends as before, halted on every silo.
/// </summary>
[Trait("Category", "Unit")]
public sealed class FailoverDriverTests
{
    [Fact]
    public async Task A_coordinator_re_activated_empty_is_handed_the_checkpoint_and_the_run_goes_on_to_its_result()
    {
        var coordinator = new TakingOverCoordinator { LoseAfterPolls = 5, CompleteAfterPolls = 10 };
        var cluster = new RunDriverTests.FakeCluster(3);
        var outcome = await DriveAsync(coordinator, cluster);

        Assert.Null(outcome.Failure);
        Assert.Same(coordinator.Result, outcome.Result);
        var takeover = Assert.Single(coordinator.Takeovers);
        Assert.Equal("driven", takeover.Plan.RunId);
        // Every checkpoint sent only the points after the kept ones; the take-over carries them joined, once each.
        Assert.Equal(Enumerable.Range(1, takeover.Checkpoint.Timeline.Length), takeover.Checkpoint.Timeline.Select(p => p.T));
        Assert.True(takeover.Checkpoint.Timeline.Length >= 2, $"{takeover.Checkpoint.Timeline.Length} points kept");
        Assert.All(coordinator.CheckpointsAskedAfter.Zip(coordinator.CheckpointsAskedAfter.Skip(1)), p => Assert.True(p.First < p.Second));
        Assert.True(takeover.LastAnsweredAtUtc <= takeover.DetectedAtUtc);
        Assert.Empty(cluster.Halted); // a run taken over is not halted
    }

    [Fact]
    public async Task An_abort_the_old_coordinator_took_is_sent_again_to_the_one_that_takes_the_run_over()
    {
        var coordinator = new TakingOverCoordinator { LoseAfterPolls = 3, CompleteAfterPolls = 8 };
        using var stop = new CancellationTokenSource();
        stop.Cancel();
        var outcome = await DriveAsync(coordinator, new RunDriverTests.FakeCluster(2), stop.Token);

        Assert.True(outcome.Interrupted);
        Assert.Single(coordinator.Takeovers);
        Assert.Equal(1, coordinator.AbortsBeforeTakeover);
        Assert.Equal(1, coordinator.AbortsAfterTakeover);
    }

    [Fact]
    public async Task A_coordinator_lost_before_any_checkpoint_ends_the_run_and_every_silo_halts_it()
    {
        var coordinator = new TakingOverCoordinator { LoseAfterPolls = 1, CompleteAfterPolls = 10, CheckpointsFromPoll = int.MaxValue };
        var cluster = new RunDriverTests.FakeCluster(2);
        var outcome = await DriveAsync(coordinator, cluster);

        Assert.StartsWith("the silo holding the run's coordinator was lost before the run could be taken over", outcome.Failure);
        Assert.Empty(coordinator.Takeovers);
        Assert.Equal(2, cluster.Halted.Count);
    }

    [Fact]
    public async Task The_progress_shown_never_goes_backwards_when_the_run_is_taken_over_from_an_older_checkpoint()
    {
        var coordinator = new TakingOverCoordinator { LoseAfterPolls = 5, CompleteAfterPolls = 12, ConnectsBehindAfterTakeover = 25 };
        var shown = new List<RunProgress>();
        await DriveAsync(coordinator, new RunDriverTests.FakeCluster(2), shown: shown);

        Assert.Single(coordinator.Takeovers);
        // The new coordinator answered below what was shown (50 connects at the 5th poll, then 35 at the 6th) ...
        var answered = coordinator.Answered.Where(p => p.Planned > 0).Select(p => p.Connects).ToList();
        Assert.Contains(Enumerable.Range(1, answered.Count - 1), i => answered[i] < answered[..i].Max());
        // ... and the line held, then went on once the totals passed it.
        Assert.All(shown.Zip(shown.Skip(1)), p => Assert.True(p.First.Connects <= p.Second.Connects, $"{p.First.Connects} then {p.Second.Connects}"));
        Assert.Equal(coordinator.Answered[^1].Connects, shown[^1].Connects);
    }

    [Fact]
    public async Task A_progress_call_caught_on_the_dead_coordinators_silo_is_given_up_as_soon_as_membership_no_longer_lists_it()
    {
        // The call in flight when the silo died is never answered; the silo it named is not among the active ones.
        var gone = SiloAddress.New(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 22222), 1).ToParsableString();
        var coordinator = new TakingOverCoordinator { LoseAfterPolls = 4, CompleteAfterPolls = 8, HangOnLoss = true, Silo = gone };
        var outcome = await DriveAsync(coordinator, new RunDriverTests.FakeCluster(2));

        Assert.Null(outcome.Failure);
        var takeover = Assert.Single(coordinator.Takeovers);
        // On fake time: found gone within a couple of membership checks, not after the 10 s call timeout.
        Assert.InRange(takeover.DetectedAtUtc - takeover.LastAnsweredAtUtc, TimeSpan.Zero, TimeSpan.FromSeconds(4));
    }

    private static async Task<RunOutcome> DriveAsync(TakingOverCoordinator coordinator, RunDriverTests.FakeCluster cluster, CancellationToken ct = default, List<RunProgress>? shown = null)
    {
        var time = new WaitingClock();
        var loaded = ScenarioLoader.Parse("name: driven\ntarget: embedded\nclients: 1\nduration: 10s\n", "driven.yaml");
        Assert.True(loaded.Ok, string.Join("\n", loaded.Errors));
        var plan = new RunPlan { RunId = "driven", ScenarioName = "driven", Seed = 1, TargetUrls = ["ws://127.0.0.1:1/"], Clients = 1, Duration = TimeSpan.FromSeconds(10), Groups = [] };
        var driver = new RunDriver(RunDriverTests.FakeGrainFactory.For(coordinator, cluster), loaded.Scenario!, plan, time);
        var run = driver.RunAsync(p =>
        {
            shown?.Add(p);
            return Task.CompletedTask;
        }, ct);
        await time.StepWhileWaitingAsync(run, TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(30));
        Assert.True(run.IsCompleted, "the driver did not end within 30 s of real time");
        return await run;
    }

    /// <summary>
    /// Running, one timeline point per poll; after <see cref="LoseAfterPolls"/> it answers as a fresh activation
    /// (planned 0) until taken over, then runs on and completes after <see cref="CompleteAfterPolls"/> polls.
    /// </summary>
    internal sealed class TakingOverCoordinator : IRunCoordinatorGrain
    {
        public int LoseAfterPolls = int.MaxValue;
        public int CompleteAfterPolls = 3;
        public int CheckpointsFromPoll = 1;
        /// <summary>How far below the last answer before the loss the connects restart after the take-over (10 per poll before and after).</summary>
        public int ConnectsBehindAfterTakeover;
        public List<RunProgress> Answered { get; } = [];
        /// <summary>The first progress call after the loss is never answered (it was in flight to the silo that died).</summary>
        public bool HangOnLoss;
        /// <summary>The silo the coordinator names in its progress.</summary>
        public string? Silo;
        public List<RunTakeover> Takeovers { get; } = [];
        public List<int> CheckpointsAskedAfter { get; } = [];
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
            if (_polls == LoseAfterPolls + 1)
            {
                _empty = true;
                if (HangOnLoss) return new TaskCompletionSource<RunProgress>().Task;
            }
            var progress = _empty
                ? new RunProgress { Phase = RunPhase.Arming, Planned = 0 }
                : new RunProgress
                {
                    Phase = _polls >= CompleteAfterPolls ? RunPhase.Completed : RunPhase.Running, Planned = 1, CoordinatorSilo = Takeovers.Count == 0 ? Silo : null,
                    Connects = _polls * 10 - (Takeovers.Count > 0 ? ConnectsBehindAfterTakeover + 10 : 0),
                };
            Answered.Add(progress);
            return Task.FromResult(progress);
        }

        public Task<RunCheckpoint?> GetCheckpoint(int afterSecond)
        {
            if (_empty || _polls < CheckpointsFromPoll) return Task.FromResult<RunCheckpoint?>(null);
            CheckpointsAskedAfter.Add(afterSecond);
            return Task.FromResult<RunCheckpoint?>(new RunCheckpoint
            {
                Phase = RunPhase.Running, RequestedAtUtc = DateTime.UnixEpoch, StartsAtUtc = DateTime.UnixEpoch, CoordinatorSilo = "old",
                // Points 1 to the current poll: the driver must keep only those after the ones it has.
                Timeline = [.. Enumerable.Range(1, _polls).Where(t => t > afterSecond).Select(t => new TimelinePoint { T = t })],
            });
        }

        public Task<bool> TakeOver(RunTakeover takeover)
        {
            Takeovers.Add(takeover);
            _empty = false;
            return Task.FromResult(true);
        }

        public int AbortsBeforeTakeover;
        public int AbortsAfterTakeover;

        public Task Abort(string reason)
        {
            if (Takeovers.Count == 0) AbortsBeforeTakeover++;
            else AbortsAfterTakeover++;
            return Task.CompletedTask;
        }

        public Task<bool> Drain(string silo) => Task.FromResult(false);

        public Task<RunResult?> GetResult() => Task.FromResult<RunResult?>(Result);

        public Task<RunResult?> GetInterimResult() => Task.FromResult<RunResult?>(Result);
    }
}
