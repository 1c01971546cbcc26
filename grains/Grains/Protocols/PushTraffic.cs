using SimCluster.Abstractions.Metrics;
using SimCluster.Grains.Metrics;

namespace SimCluster.Grains.Protocols;

/// <summary>
/// The books of what a server sends on its own, for every protocol with pushes (a SignalR server invocation, a
/// Socket.IO event, a GraphQL subscription's <c>next</c>, a JSON push). Every push is counted; where pushes carry a
/// sequence number the scenario names, each stream (a target, an event name, a subscription) is checked for gaps,
/// duplicates and reordering. A gap stays open while a replay may still fill it (a resumed session, a recovered
/// Socket.IO connection); it is lost when the run ends or when the server starts the stream over.
/// Called from socket threads and the client's turns alike: one lock guards the streams.
/// </summary>
public sealed class PushTraffic
{
    /// <summary>Open gaps one stream keeps at most; past it the oldest are counted lost at once (a hostile server cannot grow the books).</summary>
    public const int MaxOpenGaps = 4096;

    /// <summary>Sequenced streams one client tracks at most; pushes of further streams are counted but not checked.</summary>
    public const int MaxStreams = 64;

    private readonly GroupRecorder _metrics;
    private readonly long? _firstSeq;
    private readonly object _gate = new();
    private readonly Dictionary<string, Stream> _streams = new(StringComparer.Ordinal);

    /// <param name="firstSeq">
    /// The number a new stream starts at, when the protocol knows it (a subscription counting from 1): numbers
    /// below the first one received are then gaps. Null: the first number received is where the stream starts.
    /// </param>
    public PushTraffic(GroupRecorder metrics, long? firstSeq = null)
    {
        _metrics = metrics;
        _firstSeq = firstSeq;
    }

    /// <summary>A push without a sequence number.</summary>
    public void Received() => _metrics.Count(MetricNames.PushesReceived);

    /// <summary>A push numbered <paramref name="seq"/> in <paramref name="stream"/>.</summary>
    public void Received(string stream, long seq)
    {
        long lost = 0;
        var outcome = Outcome.Fresh;
        lock (_gate)
        {
            if (!_streams.TryGetValue(stream, out var books))
            {
                if (_streams.Count >= MaxStreams)
                {
                    _metrics.Count(MetricNames.PushesReceived);
                    return;
                }
                books = new Stream(_firstSeq is { } first ? first - 1 : seq - 1);
                _streams[stream] = books;
            }
            if (seq > books.Highest)
            {
                var skipped = seq - books.Highest - 1;
                var kept = Math.Min(skipped, MaxOpenGaps);
                lost += skipped - kept; // beyond what one stream keeps open
                for (var missing = seq - kept; missing < seq; missing++) books.Missing.Add(missing);
                books.Highest = seq;
                while (books.Missing.Count > MaxOpenGaps)
                {
                    books.Missing.Remove(books.Missing.Min);
                    lost++;
                }
            }
            else if (seq <= books.Floor) outcome = Outcome.Reordered; // before where the stream was first seen: nothing to check it against
            else outcome = books.Missing.Remove(seq) ? Outcome.Reordered : Outcome.Duplicate;
        }
        if (lost > 0) _metrics.Count(MetricNames.PushesLost, lost);
        if (outcome == Outcome.Duplicate)
        {
            _metrics.Count(MetricNames.PushesDuplicated);
            return;
        }
        _metrics.Count(MetricNames.PushesReceived);
        if (outcome == Outcome.Reordered) _metrics.Count(MetricNames.PushesReordered);
    }

    /// <summary>The server starts <paramref name="stream"/> over (a new session, a resubscription): what it still misses is lost.</summary>
    public void Restart(string stream)
    {
        long lost;
        lock (_gate)
        {
            if (!_streams.Remove(stream, out var books)) return;
            lost = books.Missing.Count;
        }
        if (lost > 0) _metrics.Count(MetricNames.PushesLost, lost);
    }

    /// <summary>Every stream starts over (the server did not resume the session).</summary>
    public void RestartAll() => Settle();

    /// <summary>The run is over for this client: every gap still open is lost.</summary>
    public void Finish() => Settle();

    /// <summary>Gaps still open across every stream.</summary>
    public int OpenGaps
    {
        get { lock (_gate) return _streams.Values.Sum(s => s.Missing.Count); }
    }

    private void Settle()
    {
        long lost;
        lock (_gate)
        {
            lost = _streams.Values.Sum(s => (long)s.Missing.Count);
            _streams.Clear();
        }
        if (lost > 0) _metrics.Count(MetricNames.PushesLost, lost);
    }

    private enum Outcome { Fresh, Reordered, Duplicate }

    private sealed class Stream(long floor)
    {
        /// <summary>The number before the stream's start: nothing at or below it was ever expected.</summary>
        public readonly long Floor = floor;
        public long Highest = floor;
        public readonly SortedSet<long> Missing = [];
    }
}
