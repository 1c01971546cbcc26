using System.Collections.Concurrent;
using System.Collections.Frozen;
using System.Diagnostics.Metrics;
using SimCluster.Abstractions.Metrics;

namespace SimCluster.Grains.Metrics;

/// <summary>
/// This silo's run metrics as .NET instruments, for OpenTelemetry exporters such as the silo's Prometheus endpoint.
/// One meter per run (<see cref="RunMeterPrefix"/> + run id), made when the run is armed here and disposed when its
/// clients stopped here, so a finished run's series leave the scrape. Each run meter has every counter of
/// <see cref="MetricNames"/> as <c>simcluster_NAME</c>, the open connections as a gauge, and every trend as a
/// histogram in seconds (<c>simcluster_NAME_seconds_bucket</c>), each tagged with run, scenario, group and silo.
/// Counters and the gauge are observable (read from the interlocked counters at scrape time); histogram samples
/// are recorded as the clients measure them, beside their HdrHistogram.
/// </summary>
public sealed class SiloMeter : IDisposable
{
    /// <summary>Meter names start with this; exporters subscribe to <c>SimCluster.Run.*</c>.</summary>
    public const string RunMeterPrefix = "SimCluster.Run.";
    public const string MeterWildcard = RunMeterPrefix + "*";

    /// <summary>Histogram bucket bounds in seconds: 0.5 ms to a minute, dense where handshakes and RTTs fall.</summary>
    public static readonly IReadOnlyList<double> BucketBounds =
        [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

    private readonly SiloMetrics _metrics;
    private readonly string _silo;
    private readonly ConcurrentDictionary<string, RunInstruments> _runs = new();

    public SiloMeter(SiloMetrics metrics, ILocalSiloDetails? silo = null)
    {
        _metrics = metrics;
        _silo = silo?.Name ?? "";
        metrics.RecorderCreated += OnRecorder;
    }

    /// <summary>The run is armed on this silo: its series appear (every one of its <paramref name="groups"/>, at zero).</summary>
    public void RunBegan(string runId, string scenario, int groups) =>
        _runs.GetOrAdd(runId, id => new RunInstruments(id, scenario, _silo, groups, _metrics));

    /// <summary>
    /// Series each instrument of the run meter <paramref name="meterName"/> carries (one per group), for an
    /// exporter's view to size its streams by: OpenTelemetry allocates a stream's points up front and frees a
    /// disposed meter's streams only at its next collection, so an unscraped silo holds every finished run's
    /// streams until then. Sized to the groups, that is a few hundred bytes per instrument, not kilobytes.
    /// Null for a meter that is not a run meter being created.
    /// </summary>
    public static int? SeriesOf(string meterName) => Series.TryGetValue(meterName, out var groups) ? groups : null;

    private static readonly ConcurrentDictionary<string, int> Series = new();

    /// <summary>The run's clients on this silo stopped: its meter is disposed, and exporters drop its series.</summary>
    public void RunEnded(string runId)
    {
        if (!_runs.TryRemove(runId, out var run)) return;
        foreach (var (_, recorder) in _metrics.All.Where(r => r.Run == runId)) recorder.Sampled = null;
        run.Dispose();
    }

    /// <summary>Runs whose series are exported now.</summary>
    public IReadOnlyCollection<string> Runs => [.. _runs.Keys];

    private void OnRecorder(string runId, GroupRecorder recorder)
    {
        if (_runs.TryGetValue(runId, out var run)) recorder.Sampled = run.SinkFor(recorder.Group);
    }

    public void Dispose()
    {
        _metrics.RecorderCreated -= OnRecorder;
        foreach (var run in _runs.Values) run.Dispose();
        _runs.Clear();
    }

    /// <summary>One run's instruments; the meter carries the run id in its name so disposing it ends exactly this run's series.</summary>
    private sealed class RunInstruments : IDisposable
    {
        private readonly Meter _meter;
        private readonly string _runId;
        private readonly string _scenario;
        private readonly string _silo;
        private readonly FrozenDictionary<string, Histogram<double>> _histograms;

        public RunInstruments(string runId, string scenario, string silo, int groups, SiloMetrics metrics)
        {
            _runId = runId;
            _scenario = scenario;
            _silo = silo;
            // Read by exporters' views while the instruments below are created (instrument publication is synchronous).
            Series[RunMeterPrefix + runId] = Math.Max(1, groups);
            _meter = new Meter(RunMeterPrefix + runId);
            IEnumerable<GroupRecorder> Recorders() => metrics.All.Where(r => r.Run == runId).Select(r => r.Recorder);
            _meter.CreateObservableGauge("simcluster_open_connections",
                () => Recorders().Select(g => new Measurement<int>(g.Open, Tags(g.Group))),
                unit: "{connection}", description: "Connections of this silo's clients open now");
            foreach (var counter in MetricNames.All.Where(m => m.Value == MetricKind.Counter).Select(m => m.Key))
            {
                _meter.CreateObservableCounter($"simcluster_{counter}",
                    () => Recorders().Select(g => new Measurement<long>(g.Read(counter), Tags(g.Group))),
                    unit: "{event}", description: MetricNames.Definitions[counter].PlainDefinition);
            }
            var advice = new InstrumentAdvice<double> { HistogramBucketBoundaries = BucketBounds };
            _histograms = MetricNames.All.Where(m => m.Value == MetricKind.Trend).Select(m => m.Key).ToFrozenDictionary(t => t,
                t => _meter.CreateHistogram($"simcluster_{t}", unit: "s", description: MetricNames.Definitions[t].PlainDefinition, tags: null, advice: advice));
            Series.TryRemove(RunMeterPrefix + runId, out _);
        }

        /// <summary>What a group's recorder calls for each trend sample: the histogram, with the group's tags built once.</summary>
        public Action<string, TimeSpan> SinkFor(string group)
        {
            var tags = Tags(group);
            return (trend, duration) =>
            {
                if (_histograms.TryGetValue(trend, out var histogram)) histogram.Record(duration.TotalSeconds, tags);
            };
        }

        private KeyValuePair<string, object?>[] Tags(string group) =>
            [new("run", _runId), new("scenario", _scenario), new("group", group), new("silo", _silo)];

        public void Dispose() => _meter.Dispose();
    }
}
