using SimCluster.Abstractions.Runs;

namespace SimCluster.Grains.Runs;

/// <summary>The cluster's list of control-API runs (key 0), bounded to the newest <see cref="Keep"/>.</summary>
public sealed class ApiRunsGrain : Grain, IApiRunsGrain
{
    public const int Keep = 100;
    private static readonly TimeSpan KeepFor = TimeSpan.FromDays(1);
    private readonly List<(string RunId, DateTime StartedAtUtc)> _runs = [];

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        DelayDeactivation(KeepFor);
        return Task.CompletedTask;
    }

    public async Task Register(string runId, DateTime startedAtUtc)
    {
        DelayDeactivation(KeepFor);
        if (_runs.Any(r => r.RunId == runId)) return;
        _runs.Add((runId, startedAtUtc));
        _runs.Sort((a, b) => a.StartedAtUtc.CompareTo(b.StartedAtUtc));
        var forgotten = _runs.Take(Math.Max(0, _runs.Count - Keep)).ToList();
        _runs.RemoveRange(0, forgotten.Count);
        await Task.WhenAll(forgotten.Select(r => GrainFactory.GetGrain<IApiRunGrain>(r.RunId).Forget()));
    }

    public Task<string[]> List() => Task.FromResult<string[]>([.. _runs.Select(r => r.RunId)]);
}
