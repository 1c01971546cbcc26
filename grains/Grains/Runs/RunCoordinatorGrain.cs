using Microsoft.Extensions.Logging;
using SimCluster.Abstractions.Plans;
using SimCluster.Abstractions.Runs;

namespace SimCluster.Grains.Runs;

/// <summary>
/// Runs one scenario across the cluster: spreads the clients over the active silos (<see cref="RunRoster"/>),
/// has each silo's agent arm its share, starts everyone at one instant, collects metrics every second
/// (<see cref="RunCollector"/>, which hands silent silos to <see cref="SiloLossHandler"/>), stops the clients when
/// the duration is over (<see cref="RunStopper"/>) and keeps the merged result for the CLI
/// (<see cref="RunResultAssembler"/>). When its own silo is asked to stop, it hands the run over
/// (<see cref="CoordinatorHandover"/>) to the re-activation a survivor takes over with (<see cref="CoordinatorTakeover"/>).
/// Glue only: each job is its own class. Reentrant so progress queries are answered while a phase is under way.
/// </summary>
[Reentrant]
public sealed class RunCoordinatorGrain(TimeProvider time, ILocalSiloDetails localSilo, IClusterMembershipService membership, SiloRunClients here, ILogger<RunCoordinatorGrain> logger) : Grain, IRunCoordinatorGrain
{
    private RunPlan? _plan;
    private RunPhase _phase = RunPhase.Arming;
    private RunAccumulator? _accumulator;
    private RunRoster? _roster;
    private SiloLossHandler? _losses;
    private SiloDrainHandler? _drains;
    /// <summary>Set once the final collection is in (or the run failed): a silo draining during the stop waits for it.</summary>
    private readonly TaskCompletionSource _finalCollected = new(TaskCreationOptions.RunContinuationsAsynchronously);
    /// <summary>Set when the run's loop (collections, stop, result) has ended: a handover's checkpoint is final only after it.</summary>
    private readonly TaskCompletionSource _loopEnded = new(TaskCreationOptions.RunContinuationsAsynchronously);
    /// <summary>Set once the driver has been handed the result: this silo, asked to stop during the run's stop, may leave then.</summary>
    private readonly TaskCompletionSource _resultTaken = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CoordinatorHandover _handover = new(time);
    private readonly RunClock _clock = new(time);
    private readonly List<string> _notes = [];
    private readonly List<FailoverEntry> _failovers = [];
    private int _started;
    private string? _abortReason;
    private RunResult? _result;
    private ServerProbeResult? _afterAttackProbe;
    private string? _message;
    private ClientTimeline[] _timelines = [];
    private readonly TaskCompletionSource _abort = new(TaskCreationOptions.RunContinuationsAsynchronously);
    /// <summary>Ends the membership watch when the run is over.</summary>
    private readonly CancellationTokenSource _done = new();

    private string CoordinatorSilo => localSilo.SiloAddress.ToParsableString();

    public Task Start(RunPlan plan)
    {
        if (_plan is not null) throw new InvalidOperationException($"run {plan.RunId} was already started");
        _plan = plan;
        _clock.Requested();
        _accumulator = new RunAccumulator(plan);
        DelayDeactivation(plan.Duration + TimeSpan.FromMinutes(30));
        here.Coordinating(plan.RunId);
        _ = RunAsync(plan); // continues on this activation's scheduler; Start returns at once
        return Task.CompletedTask;
    }

    public Task<RunProgress> GetProgress()
    {
        var totals = _accumulator?.Current ?? default;
        var cases = CaseProgressView.For(_plan, _accumulator);
        var elapsed = _phase == RunPhase.Arming ? 0 : Math.Max(0, _clock.SecondsOfRun);
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
            MessagesPerSecond = _accumulator?.Timeline.LastOrDefault()?.MessagesReceived ?? 0,
            MessagesLost = totals.MessagesLost,
            RttP95Ms = _accumulator?.LastRttP95Ms ?? 0,
            Silos = _roster?.Live.Count() ?? 0,
            Message = _message,
            CoordinatorSilo = CoordinatorSilo,
            LostClients = _losses?.LostClients ?? 0,
            ReactivatedClients = _losses?.ReactivatedClients ?? 0,
            ZombiesEvicted = totals.ZombiesEvicted,
            TokenRefreshes = totals.TokenRefreshes,
            Attacks = totals.Attacks,
            SiloSources = SiloSourceRanges.For(_plan, _roster),
            Cases = cases,
            CasesPassed = cases.Count(c => c.Status == "pass"),
            CasesFailed = cases.Count(c => c.Status == "fail"),
            CasesPending = cases.Count(c => c.Status == "pending"),
            Failovers = _failovers.Count,
            HandingOver = _handover.ReadyAtUtc is not null,
        });
    }

    public Task Abort(string reason)
    {
        _abortReason ??= reason;
        _abort.TrySetResult();
        return Task.CompletedTask;
    }

    public async Task<bool> Drain(string silo)
    {
        if (silo == CoordinatorSilo) return await HandOverAsync();
        if (_drains is not null && _phase == RunPhase.Running) return await _drains.DrainAsync(silo);
        // The run's own stop takes its numbers: the silo stays until the final collection is in.
        if (_phase is RunPhase.Stopping) await _finalCollected.Task;
        return false;
    }

    /// <summary>
    /// This coordinator's own silo is stopping and the coordinator goes with it: while the run goes, the silo drains
    /// as any other and the run is handed over (<see cref="CoordinatorHandover"/>); during the run's stop the silo
    /// stays until the driver has the result. Either bounded, inside the silo's drain patience.
    /// </summary>
    private async Task<bool> HandOverAsync()
    {
        var by = time.GetUtcNow() + SiloDrain.Patience - CoordinatorHandover.Margin;
        if (_drains is not null && _roster is not null && _plan is not null && _phase == RunPhase.Running)
        {
            logger.LogWarning("run {RunId}: this silo is stopping; handing the run's coordinator over", _plan.RunId);
            var hereWithClients = _roster.Live.Any(s => s.Name == CoordinatorSilo);
            if (await _handover.RunAsync(_drains, CoordinatorSilo, hereWithClients, _loopEnded.Task, () => _phase == RunPhase.Running, by))
            {
                logger.LogWarning("run {RunId}: the coordinator's final checkpoint was taken at {Second:0.##} s; a survivor carries the run on", _plan.RunId, _clock.SecondsOfRun);
                return true;
            }
            if (_handover.Frozen)
            {
                logger.LogWarning("run {RunId}: the driver did not take the coordinator's final checkpoint in time", _plan.RunId);
                return false;
            }
        }
        if (_phase is RunPhase.Stopping or RunPhase.Completed or RunPhase.Failed)
        {
            // A result not taken soon after it was ready has no driver waiting for it (a driver asks every second).
            var left = by - time.GetUtcNow();
            if (_phase != RunPhase.Stopping && left > CoordinatorHandover.FetchWindow) left = CoordinatorHandover.FetchWindow;
            if (left > TimeSpan.Zero)
            {
                try { await _resultTaken.Task.WaitAsync(left, time); }
                catch (TimeoutException) { logger.LogWarning("run {RunId}: the driver had not taken the result when this silo had to leave", _plan?.RunId); }
            }
        }
        return false;
    }

    public Task<RunResult?> GetResult()
    {
        if (_result is not null) _resultTaken.TrySetResult();
        return Task.FromResult(_result);
    }

    public Task<RunResult?> GetInterimResult() => Task.FromResult(_result ?? (_plan is null || _phase == RunPhase.Arming ? null : BuildResult(_plan)));

    public Task<RunCheckpoint?> GetCheckpoint(int afterSecond)
    {
        if (_plan is null || _accumulator is null || _roster is null || _phase == RunPhase.Arming) return Task.FromResult<RunCheckpoint?>(null);
        var checkpoint = RunCheckpoints.Take(_phase, _clock, _accumulator, _roster, CoordinatorSilo, _notes, _losses, Failovers(), _abortReason, _started, afterSecond, _handover.ReadyAtUtc);
        _handover.CheckpointTaken();
        return Task.FromResult<RunCheckpoint?>(checkpoint);
    }

    public Task<bool> TakeOver(RunTakeover takeover)
    {
        if (_plan is not null) return Task.FromResult(_plan.RunId == takeover.Plan.RunId);
        var checkpoint = takeover.Checkpoint;
        if (checkpoint.Phase is not (RunPhase.Running or RunPhase.Stopping)) return Task.FromResult(false);
        var plan = _plan = takeover.Plan;
        _clock.Resume(checkpoint.RequestedAtUtc, checkpoint.StartsAtUtc, checkpoint.ActiveEndedAtUtc, checkpoint.CollectedAtUtc);
        _accumulator = RunCheckpoints.Accumulator(plan, checkpoint);
        _roster = RunRoster.Restore(plan, checkpoint.Silos, GrainFactory);
        _notes.AddRange(checkpoint.Notes);
        _failovers.AddRange(checkpoint.Failovers.Select(f => new FailoverEntry(f, null)));
        _started = checkpoint.Started;
        if (checkpoint.AbortReason is not null) Abort(checkpoint.AbortReason);
        _phase = checkpoint.Phase;
        _message = "taking the run over";
        DelayDeactivation(plan.Duration + TimeSpan.FromMinutes(30));
        here.Coordinating(plan.RunId);
        _ = ResumeAsync(plan, _roster, takeover); // continues on this activation's scheduler
        return Task.FromResult(true);
    }

    private async Task RunAsync(RunPlan plan)
    {
        try
        {
            var roster = await ArmAsync(plan);
            var (losses, drains, collector) = Handlers(plan, roster);
            _ = WatchMembershipAsync(losses, _done.Token);
            var startAt = _clock.FixStart();
            await Task.WhenAll(roster.All.Select(s => s.Agent.Start(startAt)));
            _started = plan.Clients;
            _phase = RunPhase.Running;
            await CarryOnAsync(plan, roster, losses, drains, collector);
        }
        catch (Exception e) { await FailAsync(plan, e); }
        finally { Done(); }
    }

    /// <summary>
    /// A take-over: the survivors' clients and numbers are read, the lost silos' clients adopted, and the run goes on
    /// from the phase the checkpoint had (a stop under way is made again: stopping a stopped client is harmless).
    /// </summary>
    private async Task ResumeAsync(RunPlan plan, RunRoster roster, RunTakeover takeover)
    {
        try
        {
            var (losses, drains, collector) = Handlers(plan, roster);
            losses.Seed(takeover.Checkpoint.LostClients, takeover.Checkpoint.ReactivatedClients);
            var outcome = await new CoordinatorTakeover(plan, roster, _accumulator!, _clock, losses, _notes, GrainFactory, time, logger).RunAsync(takeover, CoordinatorSilo);
            collector.ContinueAfter(outcome.Second);
            _failovers.Add(new FailoverEntry(outcome.Failover, outcome.LostCoordinator));
            _ = WatchMembershipAsync(losses, _done.Token);
            _message = null;
            await CarryOnAsync(plan, roster, losses, drains, collector);
        }
        catch (Exception e) { await FailAsync(plan, e); }
        finally { Done(); }
    }

    private (SiloLossHandler, SiloDrainHandler, RunCollector) Handlers(RunPlan plan, RunRoster roster)
    {
        // Once handed over, this activation changes nothing: the survivor that takes the run over does.
        var losses = _losses = new SiloLossHandler(plan, roster, _accumulator!, _clock, _notes, GrainFactory, () => _phase == RunPhase.Running && !_handover.Frozen, logger);
        var drains = _drains = new SiloDrainHandler(plan, roster, _clock, _notes, () => _phase == RunPhase.Running && !_handover.Frozen, logger);
        return (losses, drains, new RunCollector(plan, roster, _accumulator!, _clock, losses, _notes, time, logger));
    }

    /// <summary>From the running phase (or a stop already under way) to the result.</summary>
    private async Task CarryOnAsync(RunPlan plan, RunRoster roster, SiloLossHandler losses, SiloDrainHandler drains, RunCollector collector)
    {
        if (_phase == RunPhase.Running)
        {
            if (await collector.UntilEndAsync(Task.WhenAny(_abort.Task, _handover.Freezing)))
            {
                // Handed over: the run goes on from the final checkpoint, on a survivor (an abort taken is in it).
                if (_handover.Frozen) return;
                _notes.Add($"aborted after {_clock.SecondsOfRun:F1} s: {_abortReason}");
            }
            _clock.ActiveEnded();
        }
        _phase = RunPhase.Stopping;
        _message = "stopping clients";
        await collector.WhileAsync(new RunStopper(plan, roster, losses, drains, _notes, time, logger).StopAllAsync());
        await collector.FinalAsync();
        _finalCollected.TrySetResult();
        if (plan.TimelineClients.Length > 0) _message = "collecting client timelines";
        _timelines = await TimelineSampler.CollectAsync(plan, GrainFactory, _notes, logger);
        if (plan.Groups.Any(g => g.Malformed is not null))
        {
            _message = "probing the target after the attack";
            _afterAttackProbe = await AttackProbe.RunAsync(plan, time, _notes);
        }
        await RunStopper.ReleaseAsync(plan, _roster, time, logger);
        _result = BuildResult(plan);
        _phase = RunPhase.Completed;
    }

    private async Task FailAsync(RunPlan plan, Exception e)
    {
        logger.LogError(e, "run {RunId} failed", plan.RunId);
        _notes.Add($"run failed: {e.GetBaseException().Message}");
        _message = e.GetBaseException().Message;
        await RunStopper.HaltAsync(plan, _roster, time, logger); // no load may outlive a failed run
        await RunStopper.ReleaseAsync(plan, _roster, time, logger);
        _result = BuildResult(plan) with { Aborted = true, AbortReason = _abortReason ?? $"the run failed: {e.GetBaseException().Message}" };
        _phase = RunPhase.Failed;
    }

    private void Done()
    {
        _finalCollected.TrySetResult();
        _done.Cancel();
        _loopEnded.TrySetResult();
    }

    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        if (_plan is not null) here.NotCoordinating(_plan.RunId);
        return Task.CompletedTask;
    }

    /// <summary>The take-overs so far, each with the clients of its lost silo the survivors have started again by now.</summary>
    private CoordinatorFailover[] Failovers() =>
        [.. _failovers.Select(f => f.Lost is null ? f.Failover : f.Failover with { ClientsReactivated = f.Lost.ReactivatedClients })];

    /// <summary>A take-over; <see cref="Lost"/> is the old coordinator's silo in this roster (null when it was not found gone).</summary>
    private sealed record FailoverEntry(CoordinatorFailover Failover, RunSilo? Lost);

    /// <summary>
    /// Membership updates as they come (this silo's view, gossiped when a silo is declared dead): a lost silo's
    /// clients are re-activated as soon as it is declared dead, not at the next collection it misses.
    /// </summary>
    private async Task WatchMembershipAsync(SiloLossHandler losses, CancellationToken ct)
    {
        try
        {
            await foreach (var snapshot in membership.MembershipUpdates.WithCancellation(ct))
                losses.OnMembership(snapshot.Members.ToDictionary(m => m.Key, m => m.Value.Status));
        }
        catch (OperationCanceledException) { }
        catch (Exception e)
        {
            // The per-second collections still find dead silos (HandleAsync): slower, not wrong.
            logger.LogWarning("membership updates ended: {Error}", e.GetBaseException().Message);
        }
    }

    private async Task<RunRoster> ArmAsync(RunPlan plan)
    {
        var hosts = await GrainFactory.GetGrain<IManagementGrain>(0).GetHosts(onlyActive: true);
        var roster = RunRoster.Spread(plan, [.. hosts.Keys], GrainFactory);
        _message = $"arming {plan.Clients} clients on {roster.Count} silo(s)";
        _roster = roster;
        await Task.WhenAll(roster.All.Select(s => s.Agent.Arm(plan, s.Share, s.Slice, roster.Count)));
        _message = null;
        return roster;
    }

    private RunResult BuildResult(RunPlan plan) =>
        RunResultAssembler.Build(plan, _clock, _started, _accumulator, _roster, CoordinatorSilo, _notes, _abortReason, _afterAttackProbe, _timelines) with { Failovers = Failovers() };
}
