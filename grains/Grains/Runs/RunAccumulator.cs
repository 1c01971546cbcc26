using HdrHistogram;
using SimCluster.Abstractions.Metrics;
using SimCluster.Abstractions.Plans;
using SimCluster.Abstractions.Runs;
using SimCluster.Transport.Malformed;

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
    /// <summary>Silos declared dead: their last counters and trends stay in the run, their open connections do not.</summary>
    private readonly HashSet<string> _lost = [];
    private readonly List<TimelinePoint> _timeline = [];
    private Totals _previous;

    // Malformed attacks (test 8): case tallies per silo, and every group's health before vs during the attack.
    private readonly bool _attacked;
    private readonly Dictionary<string, CaseTally[]> _cases = [];
    private readonly Dictionary<string, HistogramBase> _rttBefore = [];
    private readonly Dictionary<string, HistogramBase> _rttDuring = [];
    private Dictionary<string, (long Disconnects, long FalseDisconnects, long Lost)>? _atAttack;
    private int? _firstAttackSecond;

    public RunAccumulator(RunPlan plan)
    {
        _plan = plan;
        _attacked = plan.Groups.Any(g => g.Malformed is not null);
        foreach (var group in plan.Groups)
        {
            if (_attacked)
            {
                _rttBefore[group.Name] = HistogramCodec.Create();
                _rttDuring[group.Name] = HistogramCodec.Create();
            }
        }
    }

    public IReadOnlyList<TimelinePoint> Timeline => _timeline;

    /// <summary>The first second of the run an attacker started a case in; null before any did.</summary>
    public int? FirstAttackSecond => _firstAttackSecond;

    /// <summary>Every silo's latest snapshot as merged (its groups and case tallies): what a checkpoint keeps.</summary>
    public SiloSnapshot[] Latest() => [.. _latest.GroupBy(l => l.Key.Silo).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => new SiloSnapshot
    {
        Silo = g.Key,
        Groups = [.. g.Select(l => l.Value)],
        Cases = _cases.GetValueOrDefault(g.Key) ?? [],
    })];

    /// <summary>
    /// A coordinator taking the run over starts from a checkpoint: each silo's latest snapshot, the timeline so far
    /// and the silos already lost. The next <see cref="Add"/> then counts from these numbers, so its timeline point
    /// holds everything since the checkpoint. The attack's before/during RTT split starts again empty.
    /// </summary>
    public void Seed(IEnumerable<SiloSnapshot> latest, IEnumerable<TimelinePoint> timeline, IEnumerable<string> lost, int? firstAttackSecond)
    {
        foreach (var silo in latest)
        {
            if (silo.Cases.Length > 0) _cases[silo.Silo] = silo.Cases;
            foreach (var group in silo.Groups) _latest[(silo.Silo, group.Group)] = group;
        }
        _timeline.AddRange(timeline);
        foreach (var silo in lost) _lost.Add(silo);
        _firstAttackSecond = firstAttackSecond;
        if (firstAttackSecond is not null) _atAttack = GroupCounters();
        Current = SumLatest();
        _previous = Current;
    }

    public Totals Current { get; private set; }

    public double LastRttP95Ms { get; private set; }

    /// <summary>
    /// A silo membership declared dead: its clients' connections are gone (or re-opened elsewhere, where they
    /// are counted again), so its last <c>Open</c> no longer counts; its counters and trends stay.
    /// </summary>
    public void MarkLost(string silo)
    {
        _lost.Add(silo);
        Current = SumLatest();
    }

    /// <summary>
    /// Adds one collection round (one snapshot per silo that answered) as the timeline point for second
    /// <paramref name="secondOfRun"/> (each round a later second than the one before) and returns the run totals.
    /// </summary>
    public Totals Add(IEnumerable<SiloSnapshot> snapshots, int secondOfRun)
    {
        var intervalRtt = HistogramCodec.Create();
        var intervalTrends = new Dictionary<string, HistogramBase>();
        var groupRtt = new List<(string Group, HistogramBase Interval)>();
        var beforeThisRound = _attacked && _firstAttackSecond is null ? GroupCounters() : null;
        foreach (var silo in snapshots)
        {
            if (silo.Cases.Length > 0) _cases[silo.Silo] = silo.Cases;
            foreach (var group in silo.Groups)
            {
                var key = (silo.Silo, group.Group);
                _latest.TryGetValue(key, out var previous);
                _latest[key] = group;
                foreach (var (name, cumulative) in group.Trends)
                {
                    // The samples this silo recorded since its previous answer, however many rounds ago that was.
                    var added = HistogramCodec.Subtract(cumulative, previous?.Trends.GetValueOrDefault(name) ?? []);
                    if (added.Length == 0) continue;
                    var interval = HistogramCodec.Decode(added);
                    if (interval.TotalCount == 0) continue;
                    if (!intervalTrends.TryGetValue(name, out var second)) intervalTrends[name] = second = HistogramCodec.Create();
                    second.Add(interval);
                    if (name == MetricNames.MessageRtt)
                    {
                        intervalRtt.Add(interval);
                        if (_attacked) groupRtt.Add((group.Group, interval));
                    }
                }
            }
        }
        Current = SumLatest();
        if (beforeThisRound is not null && Current.Attacks > 0)
        {
            // The attack began during this collection interval: what came before it is the baseline.
            _firstAttackSecond = secondOfRun;
            _atAttack = beforeThisRound;
        }
        foreach (var (group, interval) in groupRtt)
        {
            var phase = _firstAttackSecond is null ? _rttBefore : _rttDuring;
            if (phase.TryGetValue(group, out var histogram)) histogram.Add(interval);
        }
        LastRttP95Ms = intervalRtt.TotalCount > 0 ? intervalRtt.GetValueAtPercentile(95) / 1000.0 : 0;
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
            Attacks = Current.Attacks - _previous.Attacks,
            ZombiesEvicted = Current.ZombiesEvicted - _previous.ZombiesEvicted,
            TokenRefreshes = Current.TokenRefreshes - _previous.TokenRefreshes,
            TokenRefreshFailures = Current.TokenRefreshFailures - _previous.TokenRefreshFailures,
            Trends = intervalTrends.ToDictionary(t => t.Key, t => TrendSecondOf(t.Value)),
        });
        _previous = Current;
        return Current;
    }

    private static TrendSecond TrendSecondOf(HistogramBase h) => new()
    {
        Count = h.TotalCount,
        P50 = Math.Round(h.GetValueAtPercentile(50) / 1000.0, 3),
        P95 = Math.Round(h.GetValueAtPercentile(95) / 1000.0, 3),
        P99 = Math.Round(h.GetValueAtPercentile(99) / 1000.0, 3),
    };

    public GroupResult[] Results()
    {
        var notRun = NotRunByGroup();
        return [.. _plan.Groups.Select(group =>
        {
            var result = GroupResult(group);
            if (notRun.GetValueOrDefault(group.Name) is > 0 and var n) result.Counters[MetricNames.MalformedCasesNotRun] = n;
            return result;
        })];
    }

    private GroupResult GroupResult(GroupPlan group)
    {
        var snapshots = _latest.Where(l => l.Key.Group == group.Name).Select(l => l.Value).ToList();
        return new GroupResult
        {
            Name = group.Name,
            Behavior = group.Behavior,
            Clients = group.Clients,
            Counters = MetricNames.All.Where(m => m.Value == MetricKind.Counter)
                .ToDictionary(m => m.Key, m => snapshots.Sum(s => s.Counters.GetValueOrDefault(m.Key))),
            Trends = MetricNames.All.Where(m => m.Value == MetricKind.Trend).ToDictionary(m => m.Key, m => MergedTrend(snapshots, m.Key)),
            CloseCodes = snapshots.SelectMany(s => s.CloseCodes).GroupBy(c => c.Key).ToDictionary(g => g.Key, g => g.Sum(c => c.Value)),
            Causes = snapshots.SelectMany(s => s.Causes).GroupBy(c => c.Key).ToDictionary(g => g.Key, g => g.Sum(c => c.Value)),
        };
    }

    /// <summary>
    /// Planned cases without a graded run, per group: each case counted once, for the first group that planned it
    /// (a case planned by two groups shares one tally).
    /// </summary>
    private Dictionary<string, long> NotRunByGroup()
    {
        if (!_attacked) return [];
        var graded = CasesSoFar.Where(c => c.Worst is not null).Select(c => c.Id).ToHashSet();
        var counted = new HashSet<string>();
        return _plan.Groups.Where(g => g.Malformed is not null).ToDictionary(g => g.Name,
            g => (long)g.Malformed!.Cases.Count(id => !graded.Contains(id) && counted.Add(id)));
    }

    /// <summary>One trend over every silo's latest snapshot of a group: each sample exactly once.</summary>
    private static byte[] MergedTrend(List<GroupSnapshot> snapshots, string trend)
    {
        var parts = snapshots.Select(s => s.Trends.GetValueOrDefault(trend) ?? []).Where(e => e.Length > 0).ToList();
        if (parts.Count <= 1) return parts.FirstOrDefault() ?? [];
        var merged = HistogramCodec.Create();
        foreach (var part in parts) HistogramCodec.AddEncoded(merged, part);
        return HistogramCodec.Encode(merged);
    }

    private Totals SumLatest()
    {
        long Sum(string counter) => _latest.Values.Sum(g => g.Counters.GetValueOrDefault(counter));
        return new Totals(
            Open: _latest.Where(l => !_lost.Contains(l.Key.Silo)).Sum(l => l.Value.Open),
            Connects: Sum(MetricNames.Connects),
            ConnectFailures: Sum(MetricNames.ConnectFailures),
            Disconnects: Sum(MetricNames.Disconnects),
            Reconnects: Sum(MetricNames.Reconnects),
            ForcedDrops: Sum(MetricNames.ForcedDrops),
            MessagesSent: Sum(MetricNames.MessagesSent),
            MessagesReceived: Sum(MetricNames.MessagesReceived),
            MessagesLost: Sum(MetricNames.MessagesLost),
            Attacks: Sum(MetricNames.MalformedCases),
            ZombiesEvicted: Sum(MetricNames.ZombiesDetected),
            TokenRefreshes: Sum(MetricNames.TokenRefreshes),
            TokenRefreshFailures: Sum(MetricNames.TokenRefreshFailures));
    }

    public readonly record struct Totals(
        int Open, long Connects, long ConnectFailures, long Disconnects, long Reconnects, long ForcedDrops,
        long MessagesSent, long MessagesReceived, long MessagesLost, long Attacks = 0,
        long ZombiesEvicted = 0, long TokenRefreshes = 0, long TokenRefreshFailures = 0);

    /// <summary>
    /// Every silo's latest case tallies, merged, plus an ungraded tally for each planned case no attacker has
    /// reported yet (empty for a run without malformed attackers).
    /// </summary>
    public CaseTally[] CasesSoFar
    {
        get
        {
            if (!_attacked) return [];
            var reported = Attacks.SiloCaseResults.Merge(_cases.Values.SelectMany(c => c));
            var missing = _plan.Groups.Where(g => g.Malformed is not null).SelectMany(g => g.Malformed!.Cases).Distinct()
                .Where(id => reported.All(r => r.Id != id) && CaseCatalogue.TryGet(id, out _))
                .Select(id => CaseCatalogue.Get(id))
                .Select(c => new CaseTally { Id = c.Id, Title = c.Title, Expected = c.Expected.Describe(), RfcSection = c.RfcSection });
            return [.. reported.Concat(missing).OrderBy(c => c.Id, StringComparer.Ordinal)];
        }
    }

    /// <summary>Case verdicts and collateral damage; null for a run without malformed attackers.</summary>
    public MalformedResult? Malformed(ServerProbeResult? afterRun)
    {
        if (!_attacked) return null;
        var now = GroupCounters();
        return new MalformedResult
        {
            Cases = CasesSoFar,
            FirstAttackSecond = _firstAttackSecond,
            AfterRun = afterRun,
            CanaryGroups = [.. _plan.Groups.Where(g => g.CanaryOf is not null).Select(g => g.Name)],
            Groups = _plan.Groups.ToDictionary(g => g.Name, g =>
            {
                var end = now.GetValueOrDefault(g.Name);
                var start = _atAttack?.GetValueOrDefault(g.Name) ?? end;
                return new AttackPhaseStats
                {
                    RttBefore = HistogramCodec.Encode(_rttBefore[g.Name]),
                    RttDuring = HistogramCodec.Encode(_rttDuring[g.Name]),
                    DisconnectsBefore = start.Disconnects,
                    DisconnectsDuring = end.Disconnects - start.Disconnects,
                    FalseDisconnectsDuring = end.FalseDisconnects - start.FalseDisconnects,
                    MessagesLostDuring = end.Lost - start.Lost,
                };
            }),
        };
    }

    /// <summary>Cumulative disconnect and loss counters per group, over every silo's latest snapshot.</summary>
    private Dictionary<string, (long Disconnects, long FalseDisconnects, long Lost)> GroupCounters() =>
        _latest.GroupBy(l => l.Key.Group).ToDictionary(g => g.Key, g => (
            g.Sum(l => l.Value.Counters.GetValueOrDefault(MetricNames.Disconnects)),
            g.Sum(l => l.Value.Counters.GetValueOrDefault(MetricNames.FalseDisconnects)),
            g.Sum(l => l.Value.Counters.GetValueOrDefault(MetricNames.MessagesLost))));
}
