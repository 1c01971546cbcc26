using System.Text.Json.Nodes;
using HdrHistogram;
using SimCluster.Abstractions.Metrics;
using SimCluster.Abstractions.Runs;
using SimCluster.Scenarios;

namespace SimCluster.Cli.Reports;

/// <summary>
/// The metrics of one scope (the whole run, or one group) in the form thresholds and reports read:
/// counters, ratios derived from them, trends as full histograms (any percentile can be asked for),
/// and gauges measured outside the clients (the target's memory). Counter rates divide by the run's
/// active seconds; a ratio with nothing to divide by, like an empty trend, has no data.
/// </summary>
public sealed class MetricSet
{
    private readonly Dictionary<string, long> _counters;
    private readonly Dictionary<string, HistogramBase> _trends;
    private readonly Dictionary<string, double> _gauges;
    private readonly double _activeSeconds;

    /// <param name="activeSeconds">The run's active time so far (<see cref="RunResult.ActiveSeconds"/>); 0 leaves rates without data.</param>
    public MetricSet(IEnumerable<GroupResult> groups, double activeSeconds, IReadOnlyDictionary<string, double>? gauges = null)
    {
        var list = groups.ToList();
        _activeSeconds = activeSeconds;
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

    /// <summary>
    /// Ratios are derived, not recorded: the table's passes counter over the sum of its out-of counters.
    /// Null when that sum is 0: nothing was tried, so there is no share to grade.
    /// </summary>
    public double? Ratio(string name)
    {
        var (passes, total) = RatioParts(name);
        return total == 0 ? null : (double)passes / total;
    }

    /// <summary>A ratio's numerator and denominator.</summary>
    public (long Passes, long Total) RatioParts(string name)
    {
        var definition = MetricNames.Definitions[name];
        if (definition.Kind != MetricKind.Ratio || definition.Passes is not { } passes)
            throw new ArgumentException($"{name} is not a ratio", nameof(name));
        return (Counter(passes), definition.OutOf.Sum(Counter));
    }

    /// <summary>Events per second of the run's active time; null before the run was active.</summary>
    private double? Rate(long count) => _activeSeconds > 0 ? count / _activeSeconds : null;

    public bool TryGet(string metric, Aggregation aggregation, double? percentile, out double value)
    {
        value = double.NaN;
        if (!MetricNames.All.TryGetValue(metric, out var kind)) return false;
        switch (kind)
        {
            case MetricKind.Counter:
                var count = Counter(metric);
                if (aggregation == Aggregation.Rate)
                {
                    if (Rate(count) is not { } rate) return false;
                    value = rate;
                    return true;
                }
                value = count;
                return aggregation is Aggregation.Count or Aggregation.Value;
            case MetricKind.Ratio:
                if (aggregation is not (Aggregation.Value or Aggregation.Rate) || Ratio(metric) is not { } ratio) return false;
                value = ratio;
                return true;
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
                        ["rate"] = Rate(Counter(name)) is { } rate ? Round(rate) : null,
                    };
                    break;
                case MetricKind.Ratio:
                    // value null = no data (nothing to divide by), which is not the same as 0.
                    var (passes, total) = RatioParts(name);
                    json[name] = new JsonObject
                    {
                        ["type"] = "ratio",
                        ["value"] = Ratio(name) is { } ratio ? Round(ratio, 6) : null,
                        ["passes"] = passes,
                        ["total"] = total,
                    };
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

    /// <summary>Percentiles the distribution curve is drawn through (denser towards the tail, where the grades are).</summary>
    private static readonly double[] CurvePercentiles =
        [0, 5, 10, 20, 30, 40, 50, 60, 70, 75, 80, 85, 90, 92.5, 95, 96, 97, 98, 99, 99.5, 99.9, 99.95, 99.99, 100];

    /// <summary>
    /// Each trend that has samples, from its merged histogram: the percentile curve (<c>[percentile, ms]</c>) and
    /// the sample counts in 1-2-5 millisecond buckets (<c>[fromMs, toMs, count]</c>, empty buckets left out).
    /// </summary>
    public JsonObject Distributions()
    {
        var json = new JsonObject();
        foreach (var (name, h) in _trends.Where(t => t.Value.TotalCount > 0))
        {
            json[name] = new JsonObject
            {
                ["count"] = h.TotalCount,
                ["percentiles"] = new JsonArray([.. CurvePercentiles.Select(p => (JsonNode)new JsonArray(p, Round(Ms(p == 0 ? MinOf(h) : h.GetValueAtPercentile(p)))))]),
                ["buckets"] = new JsonArray([.. Buckets(h).Select(b => (JsonNode)new JsonArray(b.From, b.To, b.Count))]),
            };
        }
        return json;
    }

    /// <summary>Bucket edges 0.01, 0.02, 0.05, 0.1 … ms: equal widths on a log axis, so microseconds and minutes both read.</summary>
    private static IEnumerable<(double From, double To, long Count)> Buckets(HistogramBase h)
    {
        static double Edge(int i) => Math.Pow(10, Math.Floor(i / 3.0) - 2) * (i % 3) switch { 0 => 1, 1 => 2, _ => 5 };
        var counts = new SortedDictionary<int, long>();
        foreach (var v in h.RecordedValues())
        {
            var ms = Ms(h.HighestEquivalentValue(v.ValueIteratedTo));
            var i = 0;
            while (Edge(i + 1) < ms && i < 60) i++;
            counts[i] = counts.GetValueOrDefault(i) + v.CountAtValueIteratedTo;
        }
        return counts.Select(c => (c.Key == 0 ? 0 : Edge(c.Key), Edge(c.Key + 1), c.Value));
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
