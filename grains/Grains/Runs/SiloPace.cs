using SimCluster.Abstractions.Metrics;
using SimCluster.Abstractions.Runs;

namespace SimCluster.Grains.Runs;

/// <summary>
/// How fast one silo's clients counted, from its successive answers: the peak per-second rate of each counter a
/// lost silo's hole is sized by. A silo's snapshots are cumulative, so each answer after the first gives the
/// rate over the time since the previous one.
/// </summary>
public sealed class SiloPace
{
    /// <summary>The counters a hole is sized by: what the target also sees, so a reader can check the bound.</summary>
    public static readonly string[] Counters = [MetricNames.Connects, MetricNames.Disconnects, MetricNames.MessagesSent, MetricNames.MessagesReceived];

    private readonly Dictionary<string, long> _last = [];
    private readonly Dictionary<string, double> _peak = [];
    private double? _lastAt;

    /// <summary>The peak per-second rate of each counter so far (kept in a checkpoint).</summary>
    public IReadOnlyDictionary<string, double> PeakRates => _peak;

    /// <summary>A coordinator taking the run over starts from the peaks it had measured.</summary>
    public void Seed(IReadOnlyDictionary<string, double> peaks)
    {
        foreach (var (counter, rate) in peaks) _peak[counter] = Math.Max(_peak.GetValueOrDefault(counter), rate);
    }

    /// <summary>Its latest answer, taken at <paramref name="atSeconds"/> of the run.</summary>
    public void Observe(SiloSnapshot snapshot, double atSeconds)
    {
        foreach (var counter in Counters)
        {
            var total = snapshot.Groups.Sum(g => g.Counters.GetValueOrDefault(counter));
            if (_lastAt is { } before && atSeconds > before && _last.TryGetValue(counter, out var previous))
            {
                // An interval under a second (collections catching up) would inflate the rate: count it as one.
                var rate = (total - previous) / Math.Max(1, atSeconds - before);
                _peak[counter] = Math.Max(_peak.GetValueOrDefault(counter), rate);
            }
            _last[counter] = total;
        }
        _lastAt = atSeconds;
    }

    /// <summary>
    /// What a window of <paramref name="seconds"/> after its last answer may hold, per counter: the peak rate over
    /// the window (rounded up), and for connects one more per client (an upgrade in flight when the silo died is
    /// seen by the target but never counted by its client).
    /// </summary>
    public Dictionary<string, long> AtMost(double seconds, int clients) => Counters.ToDictionary(c => c, c =>
        (long)Math.Ceiling(_peak.GetValueOrDefault(c) * Math.Max(0, seconds)) + (c == MetricNames.Connects ? clients : 0));
}
