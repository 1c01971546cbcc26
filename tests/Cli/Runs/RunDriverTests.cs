using System.Reflection;
using SimCluster.Abstractions.Plans;
using SimCluster.Abstractions.Runs;
using SimCluster.Cli.Runs;
using SimCluster.Scenarios;
using SimCluster.Tests.Support;

namespace SimCluster.Tests.Cli.Runs;

/// <summary>
/// The driver against a coordinator whose calls hang, as they do when they go through a frozen silo's gateway
/// (held until Orleans' 30 s response timeout): the run still ends with its result, on fake time.
/// </summary>
[Trait("Category", "Unit")]
public sealed class RunDriverTests
{
    [Fact]
    public async Task A_result_call_that_hangs_is_asked_again_and_the_run_keeps_its_result()
    {
        var coordinator = new ScriptedCoordinator { ResultCallsToHang = 2 };
        var (outcome, _) = await DriveAsync(coordinator, CancellationToken.None);

        Assert.Null(outcome.Failure);
        Assert.Same(coordinator.Result, outcome.Result);
        Assert.Equal(3, coordinator.ResultCalls);
    }

    [Fact]
    public async Task An_abort_that_hangs_is_sent_again_until_the_coordinator_takes_it()
    {
        var coordinator = new ScriptedCoordinator { AbortCallsToHang = 1, CompleteOnlyAfterAbort = true };
        using var stop = new CancellationTokenSource();
        stop.Cancel();
        var (outcome, _) = await DriveAsync(coordinator, stop.Token);

        Assert.True(outcome.Interrupted);
        Assert.Same(coordinator.Result, outcome.Result);
        Assert.Equal(2, coordinator.AbortCalls);
        Assert.Equal("interrupted (Ctrl-C, SIGTERM or a stop request)", coordinator.AbortReason);
    }

    [Fact]
    public async Task A_coordinator_that_never_hands_over_its_result_ends_the_run_with_the_kept_numbers()
    {
        var coordinator = new ScriptedCoordinator { ResultCallsToHang = int.MaxValue };
        var (outcome, elapsed) = await DriveAsync(coordinator, CancellationToken.None);

        Assert.StartsWith("the run's coordinator did not hand over its result", outcome.Failure);
        Assert.Same(coordinator.Interim, outcome.Result);
        Assert.True(elapsed > TimeSpan.FromSeconds(60), $"gave up after {elapsed}");
        Assert.True(elapsed < TimeSpan.FromSeconds(90), $"gave up after {elapsed}");
    }

    private static async Task<(RunOutcome Outcome, TimeSpan Elapsed)> DriveAsync(ScriptedCoordinator coordinator, CancellationToken ct)
    {
        var time = new WaitingClock();
        var loaded = ScenarioLoader.Parse("name: driven\ntarget: embedded\nclients: 1\nduration: 2s\n", "driven.yaml");
        Assert.True(loaded.Ok, string.Join("\n", loaded.Errors));
        var plan = new RunPlan
        {
            RunId = "driven", ScenarioName = "driven", Seed = 1, TargetUrls = ["ws://127.0.0.1:1/"], Clients = 1,
            Duration = TimeSpan.FromSeconds(2), Groups = [],
        };
        var driver = new RunDriver(FakeGrainFactory.For(coordinator), loaded.Scenario!, plan, time);
        var started = time.GetUtcNow();
        var run = driver.RunAsync(_ => Task.CompletedTask, ct);
        await time.StepWhileWaitingAsync(run, TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(30));
        Assert.True(run.IsCompleted, "the driver did not end within 30 s of real time");
        return (await run, time.GetUtcNow() - started);
    }

    /// <summary>Completes after two progress polls (or once aborted); hangs the first calls it is told to.</summary>
    private sealed class ScriptedCoordinator : IRunCoordinatorGrain
    {
        public int ResultCallsToHang;
        public int AbortCallsToHang;
        public bool CompleteOnlyAfterAbort;
        public int ResultCalls;
        public int AbortCalls;
        public string? AbortReason;
        private int _polls;

        public RunResult Result { get; } = NewResult("final");
        public RunResult Interim { get; } = NewResult("interim");

        public Task Start(RunPlan plan) => Task.CompletedTask;

        public Task<RunProgress> GetProgress()
        {
            _polls++;
            var done = CompleteOnlyAfterAbort ? AbortReason is not null : _polls > 2;
            return Task.FromResult(new RunProgress { Phase = done ? RunPhase.Completed : RunPhase.Running, Planned = 1 });
        }

        public Task Abort(string reason)
        {
            if (++AbortCalls <= AbortCallsToHang) return Hang();
            AbortReason = reason;
            return Task.CompletedTask;
        }

        public Task<RunResult?> GetResult() => ++ResultCalls <= ResultCallsToHang ? Hang<RunResult?>() : Task.FromResult<RunResult?>(Result);

        public Task<RunResult?> GetInterimResult() => Task.FromResult<RunResult?>(Interim);

        private static Task Hang() => new TaskCompletionSource().Task;

        private static Task<T> Hang<T>() => new TaskCompletionSource<T>().Task;

        private static RunResult NewResult(string id) => new()
        {
            RunId = id, StartedAtUtc = DateTime.UnixEpoch, EndedAtUtc = DateTime.UnixEpoch.AddSeconds(2), Planned = 1, Started = 1,
            Groups = [], Timeline = [], Silos = [],
        };
    }

    /// <summary>An <see cref="IGrainFactory"/> that hands out one coordinator; any other call is a test bug.</summary>
    public class FakeGrainFactory : DispatchProxy
    {
        private object _coordinator = null!;

        public static IGrainFactory For(IRunCoordinatorGrain coordinator)
        {
            var factory = Create<IGrainFactory, FakeGrainFactory>();
            ((FakeGrainFactory)(object)factory)._coordinator = coordinator;
            return factory;
        }

        protected override object? Invoke(MethodInfo? method, object?[]? args) =>
            method is { Name: nameof(IGrainFactory.GetGrain), IsGenericMethod: true } && method.GetGenericArguments()[0] == typeof(IRunCoordinatorGrain)
                ? _coordinator
                : throw new NotSupportedException($"the driver called {method?.Name}");
    }
}
