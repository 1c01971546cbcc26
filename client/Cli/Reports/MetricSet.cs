using System.Text.Json.Nodes;
using HdrHistogram;
using SimCluster.Abstractions.Metrics;
using SimCluster.Abstractions.Runs;
using SimCluster.Scenarios;

namespace SimCluster.Cli.Reports;

/// <summary>
/// The metrics of one scope (the whole run, or one group) in the form thresholds and reports read:
/// counters, ratios derived from them, trends as full histograms (any percentile can be asked for),
/// and gauges measured outside the clients (the target's memory).
/// </summary>
public sealed class MetricSet
{
    private readonly Dictionary<string, long> _counters;
    private readonly Dictionary<string, HistogramBase> _trends;
    private readonly Dictionary<string, double> _gauges;
    private readonly double _durationSeconds;

    public MetricSet(IEnumerable<GroupResult> groups, double durationSeconds, IReadOnlyDictionary<string, double>? gauges = null)
    {
        var list = groups.ToList();
        _durationSeconds = durationSeconds;
        _counters = MetricNames.All.Where(m => m.Value == MetricKind.Counter)
            .ToDictionary(m => m.Key, m => list.Sum(g => g.Counters.GetValueOrDefault(m.Key)));
        _trends = MetricNames.All.Where(m => m.Value == MetricKind.Trend).ToDictionary(m => m.Key, HistogramBase (m) =>
        {
            var histogram = HistogramCodec.Create();
            foreach (var g in list)
            {
                if (g.Trends.TryGetValue(m.Key, out var encoded)) HistogramCodec.AddEncoded(histogram, encoded);
            }
            return histogram;
        });
        _gauges = gauges?.ToDictionary() ?? [];
        CloseCodes = list.SelectMany(g => g.CloseCodes).GroupBy(c => c.Key).ToDictionary(c => c.Key, c => c.Sum(x => x.Value));
        Causes = list.SelectMany(g => g.Causes).GroupBy(c => c.Key).ToDictionary(c => c.Key, c => c.Sum(x => x.Value));
    }

    public IReadOnlyDictionary<string, long> CloseCodes { get; }

    /// <summary>Counts per disconnect cause (<c>DisconnectCauses</c> labels such as <c>forced:reset</c>).</summary>
    public IReadOnlyDictionary<string, long> Causes { get; }

    public long Counter(string name) => _counters.GetValueOrDefault(name);

    public HistogramBase Trend(string name) => _trends[name];

    /// <summary>Ratios are derived, not recorded: the share of attempts that went well.</summary>
    public double Ratio(string name) => name switch
    {
        MetricNames.ConnectSuccessRatio => Share(Counter(MetricNames.Connects), Counter(MetricNames.ConnectFailures)),
        // Restored by the end / tried to restore: a client given up on, or still trying when the run ended, was not restored.
        MetricNames.ReconnectSuccessRatio => Share(Counter(MetricNames.Reconnects), Counter(MetricNames.RestoresAttempted) - Counter(MetricNames.Reconnects)),
        // Zombies the run's end cut off inside observeFor were not watched long enough to count either way.
        MetricNames.ZombieDetectionRatio => Counter(MetricNames.Zombies) - Counter(MetricNames.ZombiesUnobserved) is var watched and > 0 ? (double)Counter(MetricNames.ZombiesDetected) / watched : 0,
        _ => 0,
    };

    private static double Share(long good, long bad) => good + bad == 0 ? 0 : (double)good / (good + bad);

    public bool TryGet(string metric, Aggregation aggregation, double? percentile, out double value)
    {
        value = double.NaN;
        if (!MetricNames.All.TryGetValue(metric, out var kind)) return false;
        switch (kind)
        {
            case MetricKind.Counter:
                var count = Counter(metric);
                value = aggregation == Aggregation.Rate ? (_durationSeconds > 0 ? count / _durationSeconds : 0) : count;
                return aggregation is Aggregation.Count or Aggregation.Value or Aggregation.Rate;
            case MetricKind.Ratio:
                value = Ratio(metric);
                return aggregation is Aggregation.Value or Aggregation.Rate;
            case MetricKind.Gauge:
                if (!_gauges.TryGetValue(metric, out value)) return false;
                return aggregation == Aggregation.Value;
            case MetricKind.Trend:
                var h = _trends[metric];
                if (aggregation == Aggregation.Count) { value = h.TotalCount; return true; }
                if (h.TotalCount == 0) return false;
                value = aggregation switch
                {
                    Aggregation.Percentile => Ms(h.GetValueAtPercentile(percentile ?? 50)),
                    Aggregation.Med => Ms(h.GetValueAtPercentile(50)),
                    Aggregation.Avg => h.GetMean() / 1000.0,
                    Aggregation.Min => Ms(MinOf(h)),
                    Aggregation.Max => Ms(h.GetMaxValue()),
                    _ => double.NaN,
                };
                return !double.IsNaN(value);
        }
        return false;
    }

    public JsonObject ToJson()
    {
        var json = new JsonObject();
        foreach (var (name, kind) in MetricNames.All)
        {
            switch (kind)
            {
                case MetricKind.Counter:
                    json[name] = new JsonObject
                    {
                        ["type"] = "counter",
                        ["value"] = Counter(name),
                        ["rate"] = Round(_durationSeconds > 0 ? Counter(name) / _durationSeconds : 0),
                    };
                    break;
                case MetricKind.Ratio:
                    json[name] = new JsonObject { ["type"] = "ratio", ["value"] = Round(Ratio(name), 6) };
                    break;
                case MetricKind.Gauge:
                    if (_gauges.TryGetValue(name, out var gauge)) json[name] = new JsonObject { ["type"] = "gauge", ["value"] = Round(gauge) };
                    break;
                case MetricKind.Trend:
                    json[name] = TrendJson(_trends[name]);
                    break;
            }
        }
        return json;
    }

    private static JsonObject TrendJson(HistogramBase h)
    {
        var empty = h.TotalCount == 0;
        double P(double p) => empty ? 0 : Round(Ms(h.GetValueAtPercentile(p)));
        return new JsonObject
        {
            ["type"] = "trend",
            ["unit"] = "ms",
            ["count"] = h.TotalCount,
            ["min"] = empty ? 0 : Round(Ms(MinOf(h))),
            ["avg"] = empty ? 0 : Round(h.GetMean() / 1000.0),
            ["med"] = P(50),
            ["p90"] = P(90),
            ["p95"] = P(95),
            ["p99"] = P(99),
            ["max"] = empty ? 0 : Round(Ms(h.GetMaxValue())),
        };
    }

    private static long MinOf(HistogramBase h)
    {
        foreach (var v in h.RecordedValues()) return h.LowestEquivalentValue(v.ValueIteratedTo);
        return 0;
    }

    private static double Ms(long micros) => micros / 1000.0;

    private static double Round(double value, int digits = 3) => Math.Round(value, digits);
}
