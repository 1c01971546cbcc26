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
/// metrics while the run goes, stops the run when <c>ct</c> fires, and notices when the silo holding the
/// coordinator is lost (the run's state is gone with it).
/// </summary>
public sealed class RunDriver(IGrainFactory grains, Scenario scenario, RunPlan plan, TimeProvider time)
{
    /// <summary>How long progress may go unanswered before the coordinator counts as lost.</summary>
    private static readonly TimeSpan CoordinatorPatience = TimeSpan.FromSeconds(60);

    /// <summary>How often the driver keeps a copy of the merged numbers, against losing the coordinator's silo.</summary>
    private static readonly TimeSpan KeepEvery = TimeSpan.FromSeconds(5);

    private RunResult? _lastKept;
    private long _keptAt;

    public async Task<RunOutcome> RunAsync(Func<RunProgress, Task> onProgress, CancellationToken ct)
    {
        var coordinator = grains.GetGrain<IRunCoordinatorGrain>(plan.RunId);
        await coordinator.Start(plan);
        var liveThresholds = scenario.Thresholds.Where(t => t.AbortOnFail).ToList();
        var interrupted = false;
        string? abortedBy = null;
        var seenRunning = false;
        var lastAnswer = time.GetTimestamp();
        while (true)
        {
            RunProgress progress;
            try
            {
                progress = await coordinator.GetProgress().WaitAsync(TimeSpan.FromSeconds(10), CancellationToken.None);
                lastAnswer = time.GetTimestamp();
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                if (time.GetElapsedTime(lastAnswer) > CoordinatorPatience)
                    return Lost($"the run's coordinator stopped answering ({e.GetBaseException().Message})");
                await Task.Delay(1000, CancellationToken.None);
                continue;
            }
            // Orleans re-activates a lost coordinator elsewhere, empty: the run it held is gone.
            if (seenRunning && progress.Planned == 0)
                return Lost("the silo holding the run's coordinator was lost; the run's state went with it (its clients stop themselves a minute after the planned end)");
            seenRunning |= progress.Phase == RunPhase.Running;
            await onProgress(progress);
            if (progress.Phase == RunPhase.Running) await KeepInterimAsync(coordinator);
            if (progress.Phase is RunPhase.Completed or RunPhase.Failed) break;

            if (!interrupted && abortedBy is null && progress.Phase == RunPhase.Running && liveThresholds.Count > 0)
            {
                abortedBy = await FailingThresholdAsync(coordinator, liveThresholds, progress.ElapsedSeconds);
                if (abortedBy is not null) await coordinator.Abort($"threshold {abortedBy} failed (abortOnFail)");
            }
            // Once interrupted, ct stays cancelled: waiting on it again would throw out of the stop, losing the report.
            if (interrupted)
            {
                await Task.Delay(500, CancellationToken.None);
                continue;
            }
            try { await Task.Delay(1000, ct); }
            catch (OperationCanceledException)
            {
                interrupted = true;
                await coordinator.Abort("interrupted (Ctrl-C, SIGTERM or a stop request)");
            }
        }
        var result = await coordinator.GetResult();
        return result is null
            ? new RunOutcome { Failure = "the run ended without a result" }
            : new RunOutcome { Result = result, Interrupted = interrupted, AbortedByThreshold = abortedBy };
    }

    /// <summary>Keeps the merged numbers every few seconds; a failed call keeps the previous copy.</summary>
    private async Task KeepInterimAsync(IRunCoordinatorGrain coordinator)
    {
        if (_lastKept is not null && time.GetElapsedTime(_keptAt) < KeepEvery) return;
        try
        {
            if (await coordinator.GetInterimResult().WaitAsync(TimeSpan.FromSeconds(10), CancellationToken.None) is { } interim)
            {
                _lastKept = interim;
                _keptAt = time.GetTimestamp();
            }
        }
        catch (Exception e) when (e is not OperationCanceledException) { }
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
        if (await coordinator.GetInterimResult() is not { } interim) return null;
        var graded = Report.Create(scenario with { Thresholds = due }, plan.Seed, [], interim, null, null, interrupted: null).Thresholds;
        // "No data" is not a failure yet while the run goes: the metric may simply not have happened so far.
        var failed = graded.FirstOrDefault(t => !t.Passed && t.Actual is not null);
        return failed is null ? null : $"{failed.Metric}{(failed.Group is null ? "" : $"{{group:{failed.Group}}}")} {failed.Expression} (actual {failed.Actual:0.###})";
    }
}
