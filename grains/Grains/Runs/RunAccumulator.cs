using HdrHistogram;
using SimCluster.Abstractions.Metrics;
using SimCluster.Abstractions.Plans;
using SimCluster.Abstractions.Runs;

namespace SimCluster.Grains.Runs;

/// <summary>
/// Merges silo snapshots into run-wide numbers: the "then per run" step. Counters and close codes are
/// cumulative per silo (the latest snapshot of each silo wins); trend intervals are added once each.
/// Also derives the per-second timeline. Plain class: the coordinator grain owns one.
/// </summary>
public sealed class RunAccumulator
{
    private readonly RunPlan _plan;
    private readonly Dictionary<(string Silo, string Group), GroupSnapshot> _latest = [];
    private readonly Dictionary<string, Dictionary<string, HistogramBase>> _trends = [];
    private readonly List<TimelinePoint> _timeline = [];
    private Totals _previous;

    public RunAccumulator(RunPlan plan)
    {
        _plan = plan;
        foreach (var group in plan.Groups)
        {
            _trends[group.Name] = MetricNames.All.Where(m => m.Value == MetricKind.Trend)
                .ToDictionary(m => m.Key, HistogramBase (_) => HistogramCodec.Create());
        }
    }

    public IReadOnlyList<TimelinePoint> Timeline => _timeline;

    public Totals Current { get; private set; }

    public double LastRttP95Ms { get; private set; }

    /// <summary>Adds one collection round (one snapshot per reachable silo) and returns the run totals.</summary>
    public Totals Add(IEnumerable<SiloSnapshot> snapshots, int secondOfRun)
    {
        var intervalRtt = HistogramCodec.Create();
        foreach (var silo in snapshots)
        {
            foreach (var group in silo.Groups)
            {
                _latest[(silo.Silo, group.Group)] = group;
                if (!_trends.TryGetValue(group.Group, out var trends)) continue;
                foreach (var (name, encoded) in group.TrendIntervals)
                {
                    if (!trends.TryGetValue(name, out var histogram) || encoded.Length == 0) continue;
                    var interval = HistogramCodec.Decode(encoded);
                    histogram.Add(interval);
                    if (name == MetricNames.MessageRtt) intervalRtt.Add(interval);
                }
            }
        }
        Current = SumLatest();
        LastRttP95Ms = intervalRtt.TotalCount > 0 ? intervalRtt.GetValueAtPercentile(95) / 1000.0 : 0;
        if (secondOfRun > 0)
        {
            _timeline.Add(new TimelinePoint
            {
                T = secondOfRun,
                Open = Current.Open,
                Connects = Current.Connects - _previous.Connects,
                ConnectFailures = Current.ConnectFailures - _previous.ConnectFailures,
                Disconnects = Current.Disconnects - _previous.Disconnects,
                ForcedDrops = Current.ForcedDrops - _previous.ForcedDrops,
                MessagesSent = Current.MessagesSent - _previous.MessagesSent,
                MessagesReceived = Current.MessagesReceived - _previous.MessagesReceived,
                MessagesLost = Current.MessagesLost - _previous.MessagesLost,
                RttP95Ms = Math.Round(LastRttP95Ms, 3),
            });
            _previous = Current;
        }
        return Current;
    }

    public GroupResult[] Results() => [.. _plan.Groups.Select(group =>
    {
        var snapshots = _latest.Where(l => l.Key.Group == group.Name).Select(l => l.Value).ToList();
        return new GroupResult
        {
            Name = group.Name,
            Behavior = group.Behavior,
            Clients = group.Clients,
            Counters = MetricNames.All.Where(m => m.Value == MetricKind.Counter)
                .ToDictionary(m => m.Key, m => snapshots.Sum(s => s.Counters.GetValueOrDefault(m.Key))),
            Trends = _trends[group.Name].ToDictionary(t => t.Key, t => HistogramCodec.Encode(t.Value)),
            CloseCodes = snapshots.SelectMany(s => s.CloseCodes).GroupBy(c => c.Key).ToDictionary(g => g.Key, g => g.Sum(c => c.Value)),
        };
    })];

    private Totals SumLatest()
    {
        long Sum(string counter) => _latest.Values.Sum(g => g.Counters.GetValueOrDefault(counter));
        return new Totals(
            Open: _latest.Values.Sum(g => g.Open),
            Connects: Sum(MetricNames.Connects),
            ConnectFailures: Sum(MetricNames.ConnectFailures),
            Disconnects: Sum(MetricNames.Disconnects),
            Reconnects: Sum(MetricNames.Reconnects),
            ForcedDrops: Sum(MetricNames.ForcedDrops),
            MessagesSent: Sum(MetricNames.MessagesSent),
            MessagesReceived: Sum(MetricNames.MessagesReceived),
            MessagesLost: Sum(MetricNames.MessagesLost));
    }

    public readonly record struct Totals(
        int Open, long Connects, long ConnectFailures, long Disconnects, long Reconnects, long ForcedDrops,
        long MessagesSent, long MessagesReceived, long MessagesLost);
}
