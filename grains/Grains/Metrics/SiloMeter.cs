using System.Diagnostics.Metrics;
using SimCluster.Abstractions.Metrics;

namespace SimCluster.Grains.Metrics;

/// <summary>
/// This silo's run metrics as .NET instruments (meter <see cref="Name"/>), for OpenTelemetry exporters such
/// as the silo's Prometheus endpoint: every counter of <see cref="MetricNames"/> as <c>simcluster_NAME</c>
/// and the open connections as a gauge, tagged with run and group. Observable instruments read the same
/// interlocked counters the run's agent reads, so exporting costs nothing per message.
/// </summary>
public sealed class SiloMeter : IDisposable
{
    public const string Name = "SimCluster";
    private readonly Meter _meter = new(Name);

    public SiloMeter(SiloMetrics metrics)
    {
        _meter.CreateObservableGauge("simcluster_open_connections",
            () => metrics.All.Select(g => new Measurement<int>(g.Recorder.Open, Tags(g.Run, g.Recorder))),
            description: "Connections open now, per run and group");
        foreach (var counter in MetricNames.All.Where(m => m.Value == MetricKind.Counter).Select(m => m.Key))
        {
            _meter.CreateObservableCounter($"simcluster_{counter}",
                () => metrics.All.Select(g => new Measurement<long>(g.Recorder.Read(counter), Tags(g.Run, g.Recorder))),
                description: $"SimCluster metric {counter} (this silo's clients), per run and group");
        }
    }

    private static KeyValuePair<string, object?>[] Tags(string run, GroupRecorder recorder) =>
        [new("run", run), new("group", recorder.Group)];

    public void Dispose() => _meter.Dispose();
}
