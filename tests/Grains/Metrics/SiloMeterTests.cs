using System.Diagnostics.Metrics;
using SimCluster.Abstractions.Metrics;
using SimCluster.Grains.Metrics;

namespace SimCluster.Tests.Grains.Metrics;

/// <summary>SiloMeter's instruments as a MeterListener (what OpenTelemetry uses) sees them: per run, and gone when the run ends.</summary>
[Trait("Category", "Unit")]
public sealed class SiloMeterTests
{
    private sealed class Listener : IDisposable
    {
        private readonly MeterListener _listener = new();
        public readonly List<(string Instrument, string Meter, double Value, Dictionary<string, object?> Tags)> Seen = [];
        public readonly HashSet<string> Completed = [];

        /// <summary>Listens to the given runs' meters only: other tests' silos in this process have run meters too.</summary>
        public Listener(params string[] runs)
        {
            _listener.InstrumentPublished = (instrument, l) =>
            {
                if (runs.Any(r => instrument.Meter.Name == SiloMeter.RunMeterPrefix + r)) l.EnableMeasurementEvents(instrument);
            };
            _listener.MeasurementsCompleted = (instrument, _) => Completed.Add($"{instrument.Meter.Name}/{instrument.Name}");
            _listener.SetMeasurementEventCallback<long>((i, v, tags, _) => Add(i, v, tags));
            _listener.SetMeasurementEventCallback<int>((i, v, tags, _) => Add(i, v, tags));
            _listener.SetMeasurementEventCallback<double>((i, v, tags, _) => Add(i, v, tags));
            _listener.Start();
        }

        private void Add(Instrument i, double v, ReadOnlySpan<KeyValuePair<string, object?>> tags) =>
            Seen.Add((i.Name, i.Meter.Name, v, tags.ToArray().ToDictionary(t => t.Key, t => t.Value)));

        public void Observe() => _listener.RecordObservableInstruments();

        public void Dispose() => _listener.Dispose();
    }

    [Fact]
    public void A_runs_counters_gauge_and_histograms_carry_its_tags_and_end_with_it()
    {
        var metrics = new SiloMetrics();
        using var meter = new SiloMeter(metrics);
        using var listener = new Listener("run-1", "other-run");
        meter.RunBegan("run-1", "demo", 1);
        var recorder = metrics.For("run-1", "steady");
        recorder.Count(MetricNames.Connects, 3);
        recorder.Opened();
        recorder.Record(MetricNames.MessageRtt, TimeSpan.FromMilliseconds(2));
        metrics.For("other-run", "steady").Count(MetricNames.Connects); // not armed here: not exported

        listener.Observe();
        var connects = Assert.Single(listener.Seen, s => s.Instrument == "simcluster_connects");
        Assert.Equal(3, connects.Value);
        Assert.Equal(new Dictionary<string, object?> { ["run"] = "run-1", ["scenario"] = "demo", ["group"] = "steady", ["silo"] = "" }, connects.Tags);
        Assert.Equal(1, Assert.Single(listener.Seen, s => s.Instrument == "simcluster_open_connections").Value);
        var rtt = Assert.Single(listener.Seen, s => s.Instrument == "simcluster_message_rtt");
        Assert.Equal(0.002, rtt.Value, 6);

        meter.RunEnded("run-1");
        Assert.Contains($"{SiloMeter.RunMeterPrefix}run-1/simcluster_connects", listener.Completed);
        Assert.Contains($"{SiloMeter.RunMeterPrefix}run-1/simcluster_message_rtt", listener.Completed);
        listener.Seen.Clear();
        recorder.Record(MetricNames.MessageRtt, TimeSpan.FromMilliseconds(2));
        listener.Observe();
        Assert.Empty(listener.Seen);
        Assert.Empty(meter.Runs);
    }
}
