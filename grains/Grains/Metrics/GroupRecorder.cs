using System.Collections.Concurrent;
using System.Collections.Frozen;
using HdrHistogram;
using SimCluster.Abstractions.Metrics;
using SimCluster.Abstractions.Runs;

namespace SimCluster.Grains.Metrics;

/// <summary>
/// One group's measurements on this silo for one run. Every client of the group records here directly,
/// from any thread: counters are interlocked, trends go into HdrHistogram recorders (wait-free writers).
/// A histogram per client would cost more memory than the client itself, so clients share their group's.
/// Snapshots carry cumulative trends (every sample since the run began), like the counters: a collection
/// reply that comes late or never reaches the coordinator loses nothing, the next one has it all.
/// </summary>
public sealed class GroupRecorder(string group)
{
    private static readonly FrozenDictionary<string, int> CounterSlots = MetricNames.All
        .Where(m => m.Value == MetricKind.Counter).Select((m, i) => (m.Key, i)).ToFrozenDictionary(x => x.Key, x => x.i);

    private static readonly string[] TrendNames = [.. MetricNames.All.Where(m => m.Value == MetricKind.Trend).Select(m => m.Key)];

    private readonly long[] _counters = new long[CounterSlots.Count];
    private readonly FrozenDictionary<string, Recorder> _trends = TrendNames.ToFrozenDictionary(n => n, _ => HistogramCodec.CreateRecorder());
    /// <summary>
    /// Every interval taken from the recorders so far, per trend, created with the trend's first sample (most
    /// trends of a run stay empty); guarded by <see cref="_snapshotLock"/>.
    /// </summary>
    private readonly Dictionary<string, HistogramBase> _cumulative = [];
    /// <summary>The recorders' previous interval histograms, handed back to them so a snapshot allocates none.</summary>
    private readonly Dictionary<string, HistogramBase?> _spare = [];
    private readonly Lock _snapshotLock = new();
    private readonly ConcurrentDictionary<string, long> _closeCodes = new();
    private readonly ConcurrentDictionary<string, long> _causes = new();
    private int _open;

    public string Group { get; } = group;

    public int Open => Volatile.Read(ref _open);

    public void Count(string counter, long by = 1) => Interlocked.Add(ref _counters[CounterSlots[counter]], by);

    /// <summary>Set by SiloMeter while the run's series are exported: every trend sample also goes to its histogram instrument.</summary>
    public Action<string, TimeSpan>? Sampled { get; set; }

    public void Record(string trend, TimeSpan duration)
    {
        _trends[trend].RecordValue(HistogramCodec.ToMicros(duration));
        Sampled?.Invoke(trend, duration);
    }

    /// <summary>How a connection ended: a close code (<c>1000</c>) or a label (<c>1006</c> for no close frame).</summary>
    public void CountClose(string code) => _closeCodes.AddOrUpdate(code, 1, (_, n) => n + 1);

    /// <summary>Why a connection ended or never opened: a <c>DisconnectCauses</c> label such as <c>server:close-1001</c>.</summary>
    public void CountCause(string category, string detail) => _causes.AddOrUpdate(DisconnectCauses.Of(category, detail), 1, (_, n) => n + 1);

    public void Opened() => Interlocked.Increment(ref _open);

    public void Closed() => Interlocked.Decrement(ref _open);

    public long Read(string counter) => Volatile.Read(ref _counters[CounterSlots[counter]]);

    /// <summary>Cumulative counters and cumulative trends: everything recorded since the run began.</summary>
    public GroupSnapshot TakeSnapshot()
    {
        lock (_snapshotLock)
        {
            var trends = new Dictionary<string, byte[]>(_trends.Count);
            foreach (var (name, recorder) in _trends)
            {
                var interval = recorder.GetIntervalHistogram(_spare.GetValueOrDefault(name));
                _spare[name] = interval;
                if (interval.TotalCount > 0)
                {
                    if (!_cumulative.TryGetValue(name, out var sum)) _cumulative[name] = sum = HistogramCodec.Create();
                    sum.Add(interval);
                }
                trends[name] = _cumulative.TryGetValue(name, out var cumulative) ? HistogramCodec.Encode(cumulative) : [];
            }
            return new()
            {
                Group = Group,
                Counters = CounterSlots.ToDictionary(s => s.Key, s => Volatile.Read(ref _counters[s.Value])),
                Trends = trends,
                CloseCodes = new Dictionary<string, long>(_closeCodes),
                Causes = new Dictionary<string, long>(_causes),
                Open = Open,
            };
        }
    }
}
