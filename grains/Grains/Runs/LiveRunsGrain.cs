using SimCluster.Abstractions.Runs;

namespace SimCluster.Grains.Runs;

/// <summary>
/// Holds the latest frame of each recent run for the live page. In memory only: a page is a view, and the
/// report folder stays the record. Bounded: the newest <see cref="Keep"/> runs.
/// </summary>
public sealed class LiveRunsGrain : Grain, ILiveRunsGrain
{
    public const int Keep = 20;
    private readonly Dictionary<string, LiveRunFrame> _runs = [];

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        DelayDeactivation(TimeSpan.FromHours(2)); // idle between runs; a page opened after a run still finds it
        return Task.CompletedTask;
    }

    public Task Publish(LiveRunFrame frame)
    {
        // A late interim frame must not replace the final report.
        if (_runs.TryGetValue(frame.RunId, out var known) && known.Final && !frame.Final) return Task.CompletedTask;
        _runs[frame.RunId] = frame;
        foreach (var old in _runs.Values.OrderByDescending(r => r.StartedAtUtc).Skip(Keep).Select(r => r.RunId).ToList()) _runs.Remove(old);
        DelayDeactivation(TimeSpan.FromHours(2));
        return Task.CompletedTask;
    }

    public Task<LiveRunSummary[]> List() => Task.FromResult<LiveRunSummary[]>([.. _runs.Values.OrderByDescending(r => r.StartedAtUtc).Select(r => new LiveRunSummary
    {
        RunId = r.RunId,
        Scenario = r.Scenario,
        Phase = r.Phase,
        Verdict = r.Verdict,
        StartedAtUtc = r.StartedAtUtc,
        UpdatedAtUtc = r.UpdatedAtUtc,
    })]);

    public Task<LiveRunFrame?> Get(string runId) => Task.FromResult(_runs.GetValueOrDefault(runId));
}
