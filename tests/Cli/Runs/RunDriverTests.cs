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

    [Fact]
    public async Task A_lost_coordinator_makes_every_active_silo_halt_the_run_before_the_driver_returns()
    {
        var coordinator = new ScriptedCoordinator { LoseAfterPolls = 2 };
        var cluster = new FakeCluster(silos: 3);
        var (outcome, _) = await DriveAsync(coordinator, CancellationToken.None, cluster);

        Assert.StartsWith("the silo holding the run's coordinator was lost", outcome.Failure);
        Assert.Equal(cluster.Silos.Select(s => $"driven|{s.ToParsableString()}").Order(), cluster.Halted.Order());
    }

    [Fact]
    public async Task A_driver_that_fails_aborts_the_run_and_halts_it_on_every_silo_before_the_error_propagates()
    {
        var coordinator = new ScriptedCoordinator();
        var cluster = new FakeCluster(silos: 2);
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() =>
            DriveAsync(coordinator, CancellationToken.None, cluster, _ => throw new InvalidOperationException("the view broke")));

        Assert.Equal("the view broke", error.Message);
        Assert.Equal("the run's driver failed", coordinator.AbortReason);
        Assert.Equal(2, cluster.Halted.Count);
    }

    private static async Task<(RunOutcome Outcome, TimeSpan Elapsed)> DriveAsync(ScriptedCoordinator coordinator, CancellationToken ct,
        FakeCluster? cluster = null, Func<RunProgress, Task>? onProgress = null)
    {
        var time = new WaitingClock();
        var loaded = ScenarioLoader.Parse("name: driven\ntarget: embedded\nclients: 1\nduration: 2s\n", "driven.yaml");
        Assert.True(loaded.Ok, string.Join("\n", loaded.Errors));
        var plan = new RunPlan
        {
            RunId = "driven", ScenarioName = "driven", Seed = 1, TargetUrls = ["ws://127.0.0.1:1/"], Clients = 1,
            Duration = TimeSpan.FromSeconds(2), Groups = [],
        };
        var driver = new RunDriver(FakeGrainFactory.For(coordinator, cluster), loaded.Scenario!, plan, time);
        var started = time.GetUtcNow();
        var run = driver.RunAsync(onProgress ?? (_ => Task.CompletedTask), ct);
        await time.StepWhileWaitingAsync(run, TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(30));
        Assert.True(run.IsCompleted, "the driver did not end within 30 s of real time");
        return (await run, time.GetUtcNow() - started);
    }

    /// <summary>Completes after two progress polls (or once aborted); hangs the first calls it is told to.</summary>
    private sealed class ScriptedCoordinator : IRunCoordinatorGrain
    {
        public int ResultCallsToHang;
        /// <summary>After this many polls the coordinator answers as a fresh, empty activation (its silo was lost).</summary>
        public int LoseAfterPolls = int.MaxValue;
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
            if (_polls > LoseAfterPolls) return Task.FromResult(new RunProgress { Phase = RunPhase.Arming, Planned = 0 });
            var done = CompleteOnlyAfterAbort ? AbortReason is not null : _polls > 2;
            return Task.FromResult(new RunProgress { Phase = done ? RunPhase.Completed : RunPhase.Running, Planned = 1 });
        }

        public Task<bool> Drain(string silo) => Task.FromResult(false);

        public Task<RunCheckpoint?> GetCheckpoint(int afterSecond) => Task.FromResult<RunCheckpoint?>(null);

        public Task<bool> TakeOver(RunTakeover takeover) => Task.FromResult(false);

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

    /// <summary>Active silos (the management grain's hosts) whose agents record the runs they were asked to halt, by agent key.</summary>
    internal sealed class FakeCluster(int silos)
    {
        public List<SiloAddress> Silos { get; } = [.. Enumerable.Range(0, silos).Select(i => SiloAddress.New(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 11111 + i), 1))];
        public List<string> Halted { get; } = [];
    }

    /// <summary>
    /// An <see cref="IGrainFactory"/> that hands out one coordinator and, given a <see cref="FakeCluster"/>, its
    /// management grain and silo agents (Halt only); any other call is a test bug.
    /// </summary>
    public class FakeGrainFactory : DispatchProxy
    {
        private object _coordinator = null!;
        private object? _cluster;
        private ILiveRunsGrain? _live;

        public static IGrainFactory For(IRunCoordinatorGrain coordinator) => For(coordinator, null);

        internal static IGrainFactory For(IRunCoordinatorGrain coordinator, FakeCluster? cluster, ILiveRunsGrain? live = null)
        {
            var factory = Create<IGrainFactory, FakeGrainFactory>();
            ((FakeGrainFactory)(object)factory)._coordinator = coordinator;
            ((FakeGrainFactory)(object)factory)._cluster = cluster;
            ((FakeGrainFactory)(object)factory)._live = live;
            return factory;
        }

        protected override object? Invoke(MethodInfo? method, object?[]? args)
        {
            if (method is not { Name: nameof(IGrainFactory.GetGrain), IsGenericMethod: true }) throw new NotSupportedException($"the driver called {method?.Name}");
            var type = method.GetGenericArguments()[0];
            if (type == typeof(IRunCoordinatorGrain)) return _coordinator;
            if (_live is not null && type == typeof(ILiveRunsGrain)) return _live;
            if (_cluster is FakeCluster cluster && type == typeof(IManagementGrain))
                return FakeGrain.Create<IManagementGrain>(m => m.Name == nameof(IManagementGrain.GetHosts)
                    ? Task.FromResult(cluster.Silos.ToDictionary(s => s, _ => SiloStatus.Active))
                    : throw new NotSupportedException($"the driver called {m.Name}"));
            if (_cluster is FakeCluster agents && type == typeof(ISiloAgentGrain))
            {
                var key = (string)args![0]!;
                return FakeGrain.Create<ISiloAgentGrain>(m =>
                {
                    if (m.Name != nameof(ISiloAgentGrain.Halt)) throw new NotSupportedException($"the driver called {m.Name}");
                    lock (agents.Halted) agents.Halted.Add(key);
                    return Task.FromResult(1);
                });
            }
            throw new NotSupportedException($"the driver asked for a {type.Name}");
        }
    }

    /// <summary>A grain interface whose every call is answered by one function.</summary>
    public class FakeGrain : DispatchProxy
    {
        private Func<MethodInfo, object?> _answer = null!;

        public static T Create<T>(Func<MethodInfo, object?> answer) where T : class
        {
            var grain = Create<T, FakeGrain>();
            ((FakeGrain)(object)grain)._answer = answer;
            return grain;
        }

        protected override object? Invoke(MethodInfo? method, object?[]? args) => _answer(method!);
    }
}
