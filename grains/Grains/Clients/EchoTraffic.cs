using System.Globalization;
using SimCluster.Abstractions.Metrics;
using SimCluster.Abstractions.Plans;
using SimCluster.Grains.Metrics;
using SimCluster.Transport;

namespace SimCluster.Grains.Clients;

/// <summary>
/// The echo protocol's traffic and accounting for one client. Each message carries the client id, a
/// sequence number that survives reconnects and the send time: <c>{"c":17,"s":42,"t":1712..,"p":"xxx"}</c>,
/// padded to the configured size. An echo closes its message (RTT); a message whose echo has not come
/// back within <c>lossTimeout</c> while the connection stayed open is lost; one whose connection closed
/// first is interrupted. Runs on timer and socket threads, so its state is guarded by one lock.
/// </summary>
public sealed class EchoTraffic : ITraffic
{

    private readonly int _clientIndex;
    private readonly MessagePlan _plan;
    private readonly GroupRecorder _metrics;
    private readonly TimeProvider _time;
    private readonly TimeSpan _phase;
    private readonly Dictionary<long, long> _pending = [];
    private readonly RecentSequences _answered = new();
    private readonly string _prefix;
    private readonly object _gate = new();

    private SimulatedConnection? _connection;
    private ITimer? _timer;
    private long _nextSeq = 1;
    private long _highestEcho;
    private long _lastTick;

    public EchoTraffic(int clientIndex, MessagePlan plan, GroupRecorder metrics, TimeProvider time, Random random)
    {
        _clientIndex = clientIndex;
        _plan = plan;
        _metrics = metrics;
        _time = time;
        // Spread clients' send instants over the interval so a thousand clients do not fire in one millisecond.
        _phase = plan.Interval > TimeSpan.Zero ? TimeSpan.FromTicks((long)(random.NextDouble() * plan.Interval.Ticks)) : TimeSpan.Zero;
        _prefix = "{\"c\":" + clientIndex.ToString(CultureInfo.InvariantCulture) + ",\"s\":";
    }

    public bool Enabled => _plan.Interval > TimeSpan.Zero;

    /// <summary>Messages sent and not yet answered.</summary>
    public int Pending { get { lock (_gate) return _pending.Count; } }

    /// <summary>Starts sending over a freshly opened connection.</summary>
    public void Attach(SimulatedConnection connection)
    {
        if (!Enabled) return;
        lock (_gate)
        {
            _connection = connection;
            _lastTick = _time.GetTimestamp() + (long)(_phase.TotalSeconds * _time.TimestampFrequency) - (long)(_plan.Interval.TotalSeconds * _time.TimestampFrequency);
            _timer?.Dispose();
            _timer = _time.CreateTimer(_ => Tick(), null, _phase, _plan.Interval);
        }
    }

    /// <summary>Stops sending; every message still waiting for its echo counts as interrupted.</summary>
    public void Detach()
    {
        lock (_gate)
        {
            StopSendingLocked();
            if (_pending.Count > 0)
            {
                _metrics.Count(MetricNames.MessagesInterrupted, _pending.Count);
                _pending.Clear();
            }
        }
    }

    /// <summary>
    /// The application itself died (a zombie): stop; what was in flight can no longer be answered to it, so it
    /// counts as interrupted (not lost: not the server's fault), and every message sent stays accounted for.
    /// </summary>
    public void Abandon() => Detach();

    /// <summary>Stops sending but keeps listening, so echoes in flight can still arrive before a clean stop.</summary>
    public void StopSending()
    {
        lock (_gate) StopSendingLocked();
    }

    private void StopSendingLocked()
    {
        _timer?.Dispose();
        _timer = null;
        _connection = null;
    }

    /// <summary>
    /// Sends the next message. The whole of it, from taking a sequence number to counting it sent, happens
    /// under the lock: a <see cref="Detach"/> (the connection was lost, on another thread) therefore sees the
    /// message either not yet issued or already counted sent, never in between. Before, a drop between the
    /// two counted a message interrupted whose send then failed and was never counted sent, and a failed send
    /// removed the newest sequence number instead of its own (the soak's sent + 2 = received + interrupted).
    /// <see cref="SimulatedConnection.Send"/> only queues the message (it never waits on the network), so
    /// holding the lock around it costs nothing.
    /// </summary>
    private void Tick()
    {
        lock (_gate)
        {
            var connection = _connection;
            if (connection is null) return;
            var now = _time.GetTimestamp();
            var late = _time.GetElapsedTime(_lastTick, now) - _plan.Interval;
            _lastTick = now;
            if (late > TimeSpan.Zero) _metrics.Record(MetricNames.SchedulingDelay, late);
            ExpireLocked(now);
            var seq = _nextSeq++;
            _answered.Issue(seq);
            _pending[seq] = now;
            if (connection.Send(Build(seq, now))) _metrics.Count(MetricNames.MessagesSent);
            else _pending.Remove(seq); // never sent: not counted at all
        }
    }

    /// <summary>Counts messages whose echo is overdue as lost; the connection is still open, so the server dropped them.</summary>
    private void ExpireLocked(long now)
    {
        if (_pending.Count == 0) return;
        List<long>? expired = null;
        foreach (var (seq, sentAt) in _pending)
        {
            if (_time.GetElapsedTime(sentAt, now) > _plan.LossTimeout) (expired ??= []).Add(seq);
        }
        if (expired is null) return;
        // Not remembered as seen: a late echo of a lost message is neither received nor a duplicate.
        foreach (var seq in expired) _pending.Remove(seq);
        _metrics.Count(MetricNames.MessagesLost, expired.Count);
    }

    public void OnText(string text)
    {
        if (!TryParse(text, out var client, out var seq) || client != _clientIndex) return; // not one of ours
        var now = _time.GetTimestamp();
        lock (_gate)
        {
            if (_pending.Remove(seq, out var sentAt))
            {
                _metrics.Count(MetricNames.MessagesReceived);
                _metrics.Record(MetricNames.MessageRtt, _time.GetElapsedTime(sentAt, now));
                if (seq < _highestEcho) _metrics.Count(MetricNames.MessagesReordered);
                else _highestEcho = seq;
                Remember(seq);
            }
            else if (WasSeen(seq))
            {
                _metrics.Count(MetricNames.MessagesDuplicated);
            }
        }
    }

    private void Remember(long seq) => _answered.Mark(seq, _nextSeq);

    private bool WasSeen(long seq) => _answered.Seen(seq, _nextSeq);

    /// <summary>The message text, written straight into the string (one allocation per message).</summary>
    private string Build(long seq, long now)
    {
        var unixMs = _time.GetUtcNow().ToUnixTimeMilliseconds();
        var head = _prefix.Length + Digits(seq) + TimeKey.Length + Digits(unixMs) + PadKey.Length;
        var length = Math.Max(_plan.Size, head + 2);
        return string.Create(length, (Prefix: _prefix, Seq: seq, UnixMs: unixMs), static (span, m) =>
        {
            m.Prefix.CopyTo(span);
            var at = m.Prefix.Length;
            m.Seq.TryFormat(span[at..], out var n, provider: CultureInfo.InvariantCulture);
            at += n;
            TimeKey.CopyTo(span[at..]);
            at += TimeKey.Length;
            m.UnixMs.TryFormat(span[at..], out n, provider: CultureInfo.InvariantCulture);
            at += n;
            PadKey.CopyTo(span[at..]);
            at += PadKey.Length;
            span[at..^2].Fill('x');
            "\"}".CopyTo(span[^2..]);
        });
    }

    private const string TimeKey = ",\"t\":";
    private const string PadKey = ",\"p\":\"";

    private static int Digits(long value)
    {
        var digits = 1;
        for (; value >= 10; value /= 10) digits++;
        return digits;
    }

    /// <summary>Reads the client id and sequence number from the start of an echoed message, without a JSON parser.</summary>
    internal static bool TryParse(ReadOnlySpan<char> text, out int client, out long seq)
    {
        client = 0;
        seq = 0;
        if (!text.StartsWith("{\"c\":")) return false;
        text = text[5..];
        var comma = text.IndexOf(',');
        if (comma < 0 || !int.TryParse(text[..comma], NumberStyles.None, CultureInfo.InvariantCulture, out client)) return false;
        text = text[(comma + 1)..];
        if (!text.StartsWith("\"s\":")) return false;
        text = text[4..];
        comma = text.IndexOf(',');
        return comma > 0 && long.TryParse(text[..comma], NumberStyles.None, CultureInfo.InvariantCulture, out seq);
    }

    /// <summary>Echo accounting is settled message by message; nothing is left at the end.</summary>
    public void Finish() { }

    public void Dispose()
    {
        lock (_gate) StopSendingLocked();
    }
}
