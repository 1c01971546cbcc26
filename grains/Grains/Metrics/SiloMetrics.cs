using System.Collections.Concurrent;

namespace SimCluster.Grains.Metrics;

/// <summary>
/// This silo's recorders, per run and group. A singleton: client grains record into it without any grain
/// call, and the run's agent grain on this silo reads it. This is the "merged per silo" step.
/// </summary>
public sealed class SiloMetrics
{
    private readonly ConcurrentDictionary<(string Run, string Group), GroupRecorder> _groups = new();

    public GroupRecorder For(string runId, string group) =>
        _groups.GetOrAdd((runId, group), key =>
        {
            var recorder = new GroupRecorder(key.Group);
            RecorderCreated?.Invoke(key.Run, recorder);
            return recorder;
        });

    /// <summary>A run's group got its recorder on this silo (SiloMeter hooks its histograms in).</summary>
    public event Action<string, GroupRecorder>? RecorderCreated;

    public IReadOnlyList<GroupRecorder> ForRun(string runId) =>
        [.. _groups.Where(g => g.Key.Run == runId).Select(g => g.Value)];

    /// <summary>Every recorder on this silo with its run (exporters read them all).</summary>
    public IEnumerable<(string Run, GroupRecorder Recorder)> All => _groups.Select(g => (g.Key.Run, g.Value));

    /// <summary>The runs that have recorders on this silo now.</summary>
    public IReadOnlyCollection<string> Runs => [.. _groups.Keys.Select(k => k.Run).Distinct()];

    /// <summary>Drops the run's recorders: its agent calls this once the run's final collection was taken.</summary>
    public void Forget(string runId)
    {
        foreach (var key in _groups.Keys.Where(k => k.Run == runId).ToList()) _groups.TryRemove(key, out _);
    }
}
