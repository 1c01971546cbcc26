using Microsoft.Extensions.Logging;
using SimCluster.Abstractions.Plans;
using SimCluster.Abstractions.Runs;
using SimCluster.Grains.Placement;
using SimCluster.Transport;
using SimCluster.Transport.Malformed;

namespace SimCluster.Grains.Runs;

/// <summary>
/// Runs one scenario across the cluster: splits the clients evenly over the active silos, has each silo's
/// agent arm its share, starts everyone at one instant, collects metrics every second, stops the clients
/// when the duration is over and keeps the merged result for the CLI. Reentrant so progress queries are
/// answered while a phase is under way.
/// </summary>
[Reentrant]
public sealed class RunCoordinatorGrain(TimeProvider time, ILogger<RunCoordinatorGrain> logger) : Grain, IRunCoordinatorGrain
{
    /// <summary>Lead time so every silo has the start instant before it arrives.</summary>
    private static readonly TimeSpan StartLead = TimeSpan.FromMilliseconds(500);
    private static readonly TimeSpan CollectTimeout = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(30);

    private RunPlan? _plan;
    private RunPhase _phase = RunPhase.Arming;
    private RunAccumulator? _accumulator;
    private readonly Dictionary<string, (ISiloAgentGrain Agent, int Clients)> _agents = [];
    private readonly HashSet<string> _lostSilos = [];
    private readonly List<string> _notes = [];
    private DateTime _startedAtUtc;
    private DateTime _runStartsAtUtc;
    private int _started;
    private string? _abortReason;
    private RunResult? _result;
    private ServerProbeResult? _afterAttackProbe;
    private string? _message;
    private readonly TaskCompletionSource _abort = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Task Start(RunPlan plan)
    {
        if (_plan is not null) throw new InvalidOperationException($"run {plan.RunId} was already started");
        _plan = plan;
        _startedAtUtc = time.GetUtcNow().UtcDateTime;
        _accumulator = new RunAccumulator(plan);
        DelayDeactivation(plan.Duration + TimeSpan.FromMinutes(30));
        _ = RunAsync(plan); // continues on this activation's scheduler; Start returns at once
        return Task.CompletedTask;
    }

    public Task<RunProgress> GetProgress()
    {
        var totals = _accumulator?.Current ?? default;
        var elapsed = _phase == RunPhase.Arming ? 0 : Math.Max(0, (time.GetUtcNow().UtcDateTime - _runStartsAtUtc).TotalSeconds);
        var last = _accumulator?.Timeline.LastOrDefault();
        return Task.FromResult(new RunProgress
        {
            Phase = _phase,
            ElapsedSeconds = Math.Min(elapsed, _plan?.Duration.TotalSeconds ?? 0),
            Planned = _plan?.Clients ?? 0,
            Started = _started,
            Open = totals.Open,
            Connects = totals.Connects,
            ConnectFailures = totals.ConnectFailures,
            Disconnects = totals.Disconnects,
            Reconnects = totals.Reconnects,
            ForcedDrops = totals.ForcedDrops,
            MessagesSent = totals.MessagesSent,
            MessagesReceived = totals.MessagesReceived,
            MessagesPerSecond = last?.MessagesReceived ?? 0,
            MessagesLost = totals.MessagesLost,
            RttP95Ms = _accumulator?.LastRttP95Ms ?? 0,
            Silos = _agents.Count - _lostSilos.Count,
            Message = _message,
        });
    }

    public Task Abort(string reason)
    {
        _abortReason ??= reason;
        _abort.TrySetResult();
        return Task.CompletedTask;
    }

    public Task<RunResult?> GetResult() => Task.FromResult(_result);

    private async Task RunAsync(RunPlan plan)
    {
        try
        {
            await ArmAsync(plan);
            _runStartsAtUtc = time.GetUtcNow().UtcDateTime + StartLead;
            await Task.WhenAll(_agents.Values.Select(a => a.Agent.Start(_runStartsAtUtc)));
            _started = plan.Clients;
            _phase = RunPhase.Running;
            await CollectUntilEndAsync(plan);
            _phase = RunPhase.Stopping;
            _message = "stopping clients";
            await StopAllAsync();
            await CollectAsync((int)Math.Ceiling((time.GetUtcNow().UtcDateTime - _runStartsAtUtc).TotalSeconds), final: true);
            if (plan.Groups.Any(g => g.Malformed is not null)) await ProbeAfterAttackAsync(plan);
            _result = BuildResult(plan);
            _phase = RunPhase.Completed;
        }
        catch (Exception e)
        {
            logger.LogError(e, "run {RunId} failed", plan.RunId);
            _notes.Add($"run failed: {e.GetBaseException().Message}");
            _message = e.GetBaseException().Message;
            _result = BuildResult(plan) with { Aborted = true, AbortReason = _abortReason ?? $"the run failed: {e.GetBaseException().Message}" };
            _phase = RunPhase.Failed;
        }
    }

    /// <summary>Even spreading: client i goes to silo i mod n, so silo loads differ by at most one client.</summary>
    private async Task ArmAsync(RunPlan plan)
    {
        var management = GrainFactory.GetGrain<IManagementGrain>(0);
        var silos = (await management.GetHosts(onlyActive: true)).Keys.OrderBy(s => s.ToParsableString()).ToArray();
        if (silos.Length == 0) throw new InvalidOperationException("no active silo in the cluster");
        var shares = new List<int>[silos.Length];
        for (var s = 0; s < silos.Length; s++) shares[s] = [];
        for (var i = 0; i < plan.Clients; i++) shares[i % silos.Length].Add(i);

        _message = $"arming {plan.Clients} clients on {silos.Length} silo(s)";
        for (var s = 0; s < silos.Length; s++)
        {
            var key = SiloPinnedPlacement.KeyFor(plan.RunId, silos[s]);
            _agents[silos[s].ToParsableString()] = (GrainFactory.GetGrain<ISiloAgentGrain>(key), shares[s].Count);
        }
        await Task.WhenAll(_agents.Values.Zip(shares).Select(x => x.First.Agent.Arm(plan, [.. x.Second])));
        _message = null;
    }

    private async Task CollectUntilEndAsync(RunPlan plan)
    {
        var end = _runStartsAtUtc + plan.Duration;
        var second = 0;
        while (true)
        {
            var nextTick = _runStartsAtUtc + TimeSpan.FromSeconds(second + 1);
            var wait = (nextTick < end ? nextTick : end) - time.GetUtcNow().UtcDateTime;
            if (wait > TimeSpan.Zero)
            {
                await Task.WhenAny(Task.Delay(wait, time), _abort.Task);
            }
            if (_abort.Task.IsCompleted)
            {
                _notes.Add($"aborted after {(time.GetUtcNow().UtcDateTime - _runStartsAtUtc).TotalSeconds:F1} s: {_abortReason}");
                return;
            }
            second++;
            if (time.GetUtcNow().UtcDateTime >= end) return;
            await CollectAsync(second, final: false);
        }
    }

    private async Task CollectAsync(int second, bool final)
    {
        var live = _agents.Where(a => !_lostSilos.Contains(a.Key)).ToList();
        var calls = live.Select(async a =>
        {
            try { return await a.Value.Agent.Collect().WaitAsync(CollectTimeout); }
            catch (Exception e)
            {
                if (_lostSilos.Add(a.Key))
                {
                    _notes.Add($"silo {a.Key} stopped answering at {second} s ({e.GetBaseException().Message}); its {a.Value.Clients} clients are counted as lost");
                    logger.LogWarning("silo {Silo} lost: {Error}", a.Key, e.Message);
                }
                return null;
            }
        });
        var snapshots = (await Task.WhenAll(calls)).OfType<SiloSnapshot>().ToList();
        _accumulator!.Add(snapshots, final ? 0 : second);
    }

    private async Task StopAllAsync()
    {
        var stops = _agents.Where(a => !_lostSilos.Contains(a.Key)).Select(a => a.Value.Agent.Stop());
        try { await Task.WhenAll(stops).WaitAsync(StopTimeout); }
        catch (Exception e) { _notes.Add($"not every client stopped cleanly: {e.GetBaseException().Message}"); }
    }

    /// <summary>After a malformed attack: does the server still accept a new connection (and answer a PING)?</summary>
    private async Task ProbeAfterAttackAsync(RunPlan plan)
    {
        _message = "probing the target after the attack";
        var options = new ConnectOptions { Target = new Uri(plan.TargetUrls[0]), ConnectTimeout = TimeSpan.FromSeconds(5), Time = time };
        var probe = await Task.Run(() => ServerProbe.CheckAsync(options, TimeSpan.FromSeconds(5), CancellationToken.None));
        _afterAttackProbe = new ServerProbeResult { Accepted = probe.Accepted, Detail = probe.Detail, Milliseconds = Math.Round(probe.Elapsed.TotalMilliseconds, 1) };
        if (!probe.Accepted) _notes.Add($"after the malformed attack the target no longer accepts connections: {probe.Detail}");
    }

    private RunResult BuildResult(RunPlan plan) => new()
    {
        RunId = plan.RunId,
        StartedAtUtc = _runStartsAtUtc == default ? _startedAtUtc : _runStartsAtUtc,
        EndedAtUtc = time.GetUtcNow().UtcDateTime,
        Planned = plan.Clients,
        Started = _started,
        Groups = _accumulator?.Results() ?? [],
        Timeline = [.. _accumulator?.Timeline ?? []],
        Silos = [.. _agents.Select(a => new SiloResult { Address = a.Key, Clients = a.Value.Clients, Lost = _lostSilos.Contains(a.Key) })],
        Notes = [.. _notes],
        Aborted = _abortReason is not null,
        AbortReason = _abortReason,
        Malformed = _accumulator?.Malformed(_afterAttackProbe),
    };
}
