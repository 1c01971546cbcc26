using SimCluster.Abstractions.Plans;
using SimCluster.Abstractions.Runs;
using SimCluster.Cli.Reports;
using SimCluster.Scenarios;

namespace SimCluster.Cli.Runs;

/// <summary>How a run driven by <see cref="RunDriver"/> ended.</summary>
public sealed record RunOutcome
{
    /// <summary>
    /// The run's result; when its coordinator was lost (<see cref="Failure"/> set), the last interim result the
    /// driver kept, so the numbers measured until then still make a (partial) report. Null if there was none.
    /// </summary>
    public RunResult? Result { get; init; }
    /// <summary>Stopped by Ctrl-C, SIGTERM or a stop request: the report is partial.</summary>
    public bool Interrupted { get; init; }
    /// <summary>The abortOnFail threshold that stopped the run, as "metric expression (actual)".</summary>
    public string? AbortedByThreshold { get; init; }
    /// <summary>Why the run could not be finished (its coordinator's silo was lost).</summary>
    public string? Failure { get; init; }
}

/// <summary>
/// Drives one run on a cluster, for `simcluster run` and for the silo's control API alike: starts the
/// coordinator, reports progress every second, checks abortOnFail thresholds on the cluster-wide merged
/// metrics while the run goes, stops the run when <c>ct</c> fires, and keeps a checkpoint of the coordinator's
/// state every few seconds: when the silo holding the coordinator is lost, Orleans re-activates it on a survivor,
/// empty, and the driver hands it the checkpoint to take the run over (<see cref="IRunCoordinatorGrain.TakeOver"/>).
/// A coordinator whose silo is asked to stop says so in its progress once its final checkpoint is ready, and the
/// driver takes that checkpoint at once: the take-over after the silo has left is then a handover with nothing lost.
/// Only a run that cannot be taken over (lost while arming) ends with the numbers kept until then.
/// </summary>
public sealed class RunDriver(IGrainFactory grains, Scenario scenario, RunPlan plan, TimeProvider time)
{
    /// <summary>How long progress may go unanswered before the coordinator counts as lost.</summary>
    private static readonly TimeSpan CoordinatorPatience = TimeSpan.FromSeconds(60);

    /// <summary>How often the driver keeps a copy of the merged numbers, against losing the coordinator's silo.</summary>
    private static readonly TimeSpan KeepEvery = TimeSpan.FromSeconds(5);

    /// <summary>How long one call to the coordinator may take: a frozen silo's gateway holds calls for the 30 s response timeout.</summary>
    private static readonly TimeSpan CallTimeout = TimeSpan.FromSeconds(10);

    /// <summary>How long a call to the coordinator goes unanswered before the driver asks whether its silo is still active.</summary>
    private static readonly TimeSpan SuspectAfter = TimeSpan.FromSeconds(1);

    /// <summary>How often the driver keeps a checkpoint for a take-over (only the new timeline points travel each time).</summary>
    private static readonly TimeSpan CheckpointEvery = TimeSpan.FromSeconds(2);

    private RunResult? _lastKept;
    private long _keptAt;
    private RunCheckpoint? _checkpoint;
    private readonly List<TimelinePoint> _timeline = [];
    private long _checkpointAt;
    private DateTime _lastAnsweredUtc;
    private readonly ProgressFloor _shown = new();
    /// <summary>The silo the coordinator last said it is on (its progress names it).</summary>
    private string? _coordinatorSilo;

    public async Task<RunOutcome> RunAsync(Func<RunProgress, Task> onProgress, CancellationToken ct)
    {
        var coordinator = grains.GetGrain<IRunCoordinatorGrain>(plan.RunId);
        await coordinator.Start(plan);
        try
        {
            var outcome = await DriveAsync(coordinator, onProgress, ct);
            // Orleans re-activated the coordinator elsewhere, empty: nobody stops the clients it started but the silos.
            if (outcome.Failure is not null) await HaltEverywhereAsync();
            return outcome;
        }
        catch (Exception)
        {
            // A fatal error here (the progress view, the process going down) must not leave the run's load behind.
            await TryAbortAsync(coordinator, "the run's driver failed");
            await HaltEverywhereAsync();
            throw;
        }
    }

    /// <summary>
    /// Every active silo stops whatever clients of this run it started (<see cref="ISiloAgentGrain.Halt"/>), bounded:
    /// when this returns, no client of the run still sends to the target, unless a silo did not answer.
    /// </summary>
    private async Task HaltEverywhereAsync()
    {
        try
        {
            var hosts = await grains.GetGrain<IManagementGrain>(0).GetHosts(onlyActive: true).WaitAsync(CallTimeout, time, CancellationToken.None);
            await Task.WhenAll(hosts.Keys.Select(async silo =>
            {
                try { await grains.GetGrain<ISiloAgentGrain>(Grains.Placement.SiloPinnedPlacement.KeyFor(plan.RunId, silo)).Halt(plan.RunId).WaitAsync(plan.StopGrace + CallTimeout, time, CancellationToken.None); }
                catch (Exception e) when (e is not OperationCanceledException) { } // that silo's clients stop themselves after the planned end
            }));
        }
        catch (Exception e) when (e is not OperationCanceledException) { }
    }

    private async Task<RunOutcome> DriveAsync(IRunCoordinatorGrain coordinator, Func<RunProgress, Task> onProgress, CancellationToken ct)
    {
        var liveThresholds = scenario.Thresholds.Where(t => t.AbortOnFail).ToList();
        var interrupted = false;
        string? abortedBy = null;
        string? abortToSend = null; // an abort the coordinator has not acknowledged yet: sent again each second
        string? abortAsked = null; // the latest abort asked for: a coordinator that takes the run over is told again
        var seenRunning = false;
        var lastAnswer = time.GetTimestamp();
        long? takingOverSince = null;
        while (true)
        {
            RunProgress progress;
            try
            {
                progress = await AskAsync(coordinator.GetProgress);
                lastAnswer = time.GetTimestamp();
                _coordinatorSilo = progress.CoordinatorSilo ?? _coordinatorSilo;
                if (progress.Planned > 0) _lastAnsweredUtc = time.GetUtcNow().UtcDateTime;
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                if (time.GetElapsedTime(lastAnswer) > CoordinatorPatience)
                    return Lost($"the run's coordinator stopped answering ({e.GetBaseException().Message})");
                await Task.Delay(TimeSpan.FromSeconds(1), time, CancellationToken.None);
                continue;
            }
            // Orleans re-activates a lost coordinator elsewhere, empty: it takes the run over from the checkpoint.
            if (seenRunning && progress.Planned == 0)
            {
                switch (await TakeOverAsync(coordinator))
                {
                    case true:
                        takingOverSince = null;
                        // The checkpoint may predate the abort the old coordinator took.
                        abortToSend ??= abortAsked;
                        continue;
                    case false:
                        return Lost("the silo holding the run's coordinator was lost before the run could be taken over; the run's state went with it (the surviving silos stopped its clients)");
                    default:
                        // The call failed or hung: asked again with the next progress, for as long as progress would be.
                        takingOverSince ??= time.GetTimestamp();
                        if (time.GetElapsedTime(takingOverSince.Value) > CoordinatorPatience)
                            return Lost("the silo holding the run's coordinator was lost and no surviving silo took the run over");
                        await Task.Delay(TimeSpan.FromSeconds(1), time, CancellationToken.None);
                        continue;
                }
            }
            seenRunning |= progress.Phase == RunPhase.Running;
            await onProgress(_shown.Apply(progress)); // a take-over's first answers may hold the checkpoint's lower totals
            // A coordinator whose silo is stopping waits for its final checkpoint to be taken before the silo leaves.
            if (progress.Phase is RunPhase.Running or RunPhase.Stopping)
                await KeepCheckpointAsync(coordinator, now: progress.HandingOver && _checkpoint?.HandedOverAtUtc is null);
            if (progress.Phase == RunPhase.Running) await KeepInterimAsync(coordinator);
            if (progress.Phase is RunPhase.Completed or RunPhase.Failed) break;

            if (!interrupted && abortedBy is null && progress.Phase == RunPhase.Running && liveThresholds.Count > 0)
            {
                abortedBy = await FailingThresholdAsync(coordinator, liveThresholds, progress.ElapsedSeconds);
                if (abortedBy is not null) abortToSend = abortAsked = $"threshold {abortedBy} failed (abortOnFail)";
            }
            if (abortToSend is not null && await TryAbortAsync(coordinator, abortToSend)) abortToSend = null;
            if (interrupted)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(500), time, CancellationToken.None);
                continue;
            }
            try { await Task.Delay(TimeSpan.FromSeconds(1), time, ct); }
            catch (OperationCanceledException)
            {
                interrupted = true;
                abortToSend = abortAsked = "interrupted (Ctrl-C, SIGTERM or a stop request)";
                if (await TryAbortAsync(coordinator, abortToSend)) abortToSend = null;
            }
        }
        // A frozen or dying silo's gateway can swallow a call until the response timeout: ask again, as for progress.
        var asked = time.GetTimestamp();
        while (true)
        {
            try
            {
                var result = await AskAsync(coordinator.GetResult);
                return result is null
                    ? new RunOutcome { Failure = "the run ended without a result" }
                    : new RunOutcome { Result = result, Interrupted = interrupted, AbortedByThreshold = abortedBy };
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                if (time.GetElapsedTime(asked) > CoordinatorPatience)
                    return Lost($"the run's coordinator did not hand over its result ({e.GetBaseException().Message})");
                await Task.Delay(TimeSpan.FromSeconds(1), time, CancellationToken.None);
            }
        }
    }

    /// <summary>
    /// One call to the coordinator, bounded by <see cref="CallTimeout"/>. A call in flight when the coordinator's silo
    /// dies is never answered (nothing fails it: the gateway forwarded it to a silo that is gone), so it would hang
    /// for the whole timeout and the take-over with it. While it goes unanswered the driver asks membership each
    /// <see cref="SuspectAfter"/>, and a coordinator whose silo is no longer active ends the wait at once: the next
    /// call reaches its re-activation. A slow but live coordinator is waited for as before.
    /// </summary>
    private async Task<T> AskAsync<T>(Func<Task<T>> call)
    {
        var asking = call();
        var started = time.GetTimestamp();
        while (true)
        {
            var left = CallTimeout - time.GetElapsedTime(started);
            if (left <= TimeSpan.Zero) throw new TimeoutException($"the run's coordinator did not answer within {CallTimeout.TotalSeconds:0} s");
            try { return await asking.WaitAsync(left < SuspectAfter ? left : SuspectAfter, time, CancellationToken.None); }
            catch (TimeoutException) when (!asking.IsCompleted) { }
            if (_coordinatorSilo is { } silo && await GoneAsync(silo))
                throw new TimeoutException($"the run's coordinator's silo {silo} is no longer active");
        }
    }

    /// <summary>Whether membership (as the gateway's silo sees it) no longer lists <paramref name="silo"/> as active; false when it cannot tell.</summary>
    private async Task<bool> GoneAsync(string silo)
    {
        try
        {
            var hosts = await grains.GetGrain<IManagementGrain>(0).GetHosts(onlyActive: true).WaitAsync(SuspectAfter, time, CancellationToken.None);
            return hosts.Count > 0 && !hosts.Keys.Any(h => h.ToParsableString() == silo);
        }
        catch (Exception e) when (e is not OutOfMemoryException) { return false; } // waited on, up to the call timeout
    }

    /// <summary>
    /// Keeps the coordinator's checkpoint every few seconds (at once when <paramref name="now"/>: a handover's final
    /// one), joining the timeline points it sends each time (only those after the kept ones); a failed call keeps the
    /// previous one.
    /// </summary>
    private async Task KeepCheckpointAsync(IRunCoordinatorGrain coordinator, bool now)
    {
        if (!now && _checkpoint is not null && time.GetElapsedTime(_checkpointAt) < CheckpointEvery) return;
        try
        {
            var after = _timeline.Count == 0 ? -1 : _timeline[^1].T;
            if (await AskAsync(() => coordinator.GetCheckpoint(after)) is not { } checkpoint) return;
            _timeline.AddRange(checkpoint.Timeline.Where(p => p.T > after));
            _checkpoint = checkpoint with { Timeline = [] };
            _checkpointAt = time.GetTimestamp();
        }
        catch (Exception e) when (e is not OperationCanceledException) { }
    }

    /// <summary>
    /// Hands the kept checkpoint to the coordinator's fresh activation: true when it took the run over, false when
    /// it cannot be (no checkpoint: the run was still arming; or it refused), null when the call failed.
    /// </summary>
    private async Task<bool?> TakeOverAsync(IRunCoordinatorGrain coordinator)
    {
        if (_checkpoint is null) return false;
        var takeover = new RunTakeover
        {
            Plan = plan,
            Checkpoint = _checkpoint with { Timeline = [.. _timeline] },
            LastAnsweredAtUtc = _lastAnsweredUtc,
            DetectedAtUtc = time.GetUtcNow().UtcDateTime,
        };
        try { return await AskAsync(() => coordinator.TakeOver(takeover)); }
        catch (Exception e) when (e is not OperationCanceledException) { return null; }
    }

    /// <summary>Keeps the merged numbers every few seconds; a failed call keeps the previous copy.</summary>
    private async Task KeepInterimAsync(IRunCoordinatorGrain coordinator)
    {
        if (_lastKept is not null && time.GetElapsedTime(_keptAt) < KeepEvery) return;
        try
        {
            if (await AskAsync(coordinator.GetInterimResult) is { } interim)
            {
                _lastKept = interim;
                _keptAt = time.GetTimestamp();
            }
        }
        catch (Exception e) when (e is not OperationCanceledException) { }
    }

    /// <summary>False when the call failed or hung (a frozen gateway): the caller sends it again.</summary>
    private async Task<bool> TryAbortAsync(IRunCoordinatorGrain coordinator, string reason)
    {
        try
        {
            await AskAsync(async () => { await coordinator.Abort(reason); return true; });
            return true;
        }
        catch (Exception e) when (e is not OperationCanceledException) { return false; }
    }

    /// <summary>The coordinator is gone: what was kept of its numbers is all the report can say.</summary>
    private RunOutcome Lost(string why) => new()
    {
        Result = _lastKept,
        Failure = _lastKept is null ? why : $"{why}; numbers up to {(_lastKept.EndedAtUtc - _lastKept.StartedAtUtc).TotalSeconds:0} s into the run",
    };

    /// <summary>The first abortOnFail threshold that fails on the metrics so far (past its delayAbortEval), or null.</summary>
    private async Task<string?> FailingThresholdAsync(IRunCoordinatorGrain coordinator, List<ThresholdSpec> thresholds, double elapsedSeconds)
    {
        var due = thresholds.Where(t => elapsedSeconds >= t.DelayAbortEval.TotalSeconds).ToList();
        if (due.Count == 0) return null;
        RunResult? interim;
        try { interim = await AskAsync(coordinator.GetInterimResult); }
        catch (Exception e) when (e is not OperationCanceledException) { return null; } // graded again a second later
        if (interim is null) return null;
        var graded = Report.Create(scenario with { Thresholds = due }, plan.Seed, [], interim, null, null, interrupted: null).Thresholds;
        // "No data" is not a failure yet while the run goes: the metric may simply not have happened so far.
        var failed = graded.FirstOrDefault(t => !t.Passed && t.Actual is not null);
        return failed is null ? null : $"{failed.Metric}{(failed.Group is null ? "" : $"{{group:{failed.Group}}}")} {failed.Expression} (actual {failed.Actual:0.###})";
    }
}
