using System.Text.Json.Nodes;
using SimCluster.Abstractions.Runs;
using SimCluster.Cli.Reports;
using SimCluster.Scenarios;

namespace SimCluster.Cli.Api;

/// <summary>
/// Feeds the live run page: each second, the run's report so far (the coordinator's merged interim result,
/// graded by the same <see cref="Report"/> the final report uses, verdict <c>running</c>), and at the end the
/// report.json the run wrote. A publish still under way when the next second comes is not doubled up, and a
/// failed one never touches the run: the page is a view. Every call is bounded, and the final publish does not
/// wait for an interim one: a call caught on a silo that died (the old coordinator after a take-over) hangs until
/// its timeout, and the command must not return that much later (the live runs grain keeps a final frame against
/// an interim one that lands after it).
/// </summary>
public sealed class LivePublisher(IGrainFactory grains, Scenario scenario, string runId, long seed, IReadOnlyList<Uri> targets, TimeProvider time)
{
    /// <summary>The longest one call of a publish may take.</summary>
    private static readonly TimeSpan CallTimeout = TimeSpan.FromSeconds(10);

    private readonly ILiveRunsGrain _live = grains.GetGrain<ILiveRunsGrain>(0);
    private readonly DateTime _startedAt = time.GetUtcNow().UtcDateTime;
    private Task _pending = Task.CompletedTask;

    /// <summary>Called with every second's progress; returns at once.</summary>
    public void OnProgress(RunProgress progress)
    {
        if (!_pending.IsCompleted) return;
        _pending = PublishInterimAsync(progress);
    }

    private async Task PublishInterimAsync(RunProgress progress)
    {
        try
        {
            var interim = progress.Phase is RunPhase.Arming ? null
                : await grains.GetGrain<IRunCoordinatorGrain>(runId).GetInterimResult().WaitAsync(CallTimeout, time);
            var phase = progress.Phase.ToString().ToLowerInvariant();
            var report = interim is null ? Arming(progress) : Report.Create(scenario, seed, targets, interim, null, null, interrupted: null).ToJson();
            report["verdict"] = "running";
            report["live"] = new JsonObject { ["phase"] = phase, ["progress"] = ControlApi.ProgressJson(progress) };
            await _live.Publish(Frame(report, phase, final: false, "running")).WaitAsync(CallTimeout, time);
        }
        catch (Exception e) when (e is not OutOfMemoryException) { } // the next second tries again
    }

    /// <summary>The run's final report (the one written to report.json): the page shows it and stops polling.</summary>
    public async Task PublishFinalAsync(JsonObject report)
    {
        try
        {
            var verdict = report["verdict"]?.GetValue<string>() ?? "unknown";
            await _live.Publish(Frame(report, "completed", final: true, verdict)).WaitAsync(CallTimeout, time);
        }
        catch (Exception e) when (e is not OutOfMemoryException) { }
    }

    private JsonObject Arming(RunProgress progress) => new()
    {
        ["schema"] = Report.Schema,
        ["scenario"] = scenario.Name,
        ["runId"] = runId,
        ["seed"] = seed,
        ["startedAt"] = _startedAt.ToString("O"),
        ["clients"] = new JsonObject { ["planned"] = progress.Planned, ["started"] = progress.Started },
    };

    private LiveRunFrame Frame(JsonObject report, string phase, bool final, string verdict) => new()
    {
        RunId = runId,
        Scenario = scenario.Name,
        Phase = phase,
        UpdatedAtUtc = time.GetUtcNow().UtcDateTime,
        StartedAtUtc = _startedAt,
        ReportJson = report.ToJsonString(),
        Final = final,
        Verdict = verdict,
    };
}
