using System.Globalization;
using SimCluster.Abstractions.Metrics;
using SimCluster.Abstractions.Plans;
using SimCluster.Grains.Metrics;
using SimCluster.Transport;

using SimCluster.Grains.Clients;

namespace SimCluster.Grains.Protocols;

/// <summary>
/// The echo protocol's traffic and accounting for one client. Each message carries the client id, a
/// sequence number that survives reconnects and the send time: <c>{"c":17,"s":42,"t":1712..,"p":"xxx"}</c>,
/// padded to the configured size. An echo closes its message (RTT); a message whose echo has not come
/// back within <c>lossTimeout</c> while the connection stayed open is lost; one whose connection closed
/// first is interrupted. Runs on timer and socket threads, so its state is guarded by one lock.
/// </summary>
public sealed class EchoProtocol : IProtocol
{
    private readonly int _clientIndex;
    private readonly MessagePlan _plan;
    private readonly GroupRecorder _metrics;
    private readonly TimeProvider _time;
    private readonly SendSchedule _schedule;
    private readonly Dictionary<long, long> _pending = [];
    private readonly RecentSequences _answered = new();
    /// <summary>Recently counted lost: an echo of one of these arriving after all is late, not a duplicate.</summary>
    private readonly RecentSequences _expired = new();
    private readonly string _prefix;
    private readonly object _gate = new();

    private ITextChannel? _connection;
    private ITimer? _timer;
    private long _nextSeq = 1;
    private long _highestEcho;
    private Drain? _drain;
    private bool _finished;

    public EchoProtocol(int clientIndex, MessagePlan plan, GroupRecorder metrics, TimeProvider time, Random random)
    {
        _clientIndex = clientIndex;
        _plan = plan;
        _metrics = metrics;
        _time = time;
        // Spread clients' send instants over the interval so a thousand clients do not fire in one millisecond.
        var phase = plan.Interval > TimeSpan.Zero ? TimeSpan.FromTicks((long)(random.NextDouble() * plan.Interval.Ticks)) : TimeSpan.Zero;
        _schedule = new SendSchedule(time, plan.Interval, phase);
        _prefix = "{\"c\":" + clientIndex.ToString(CultureInfo.InvariantCulture) + ",\"s\":";
    }

    public bool Enabled => _plan.Interval > TimeSpan.Zero;

    /// <summary>No handshake: an echo server echoes from the first frame.</summary>
    public bool ReadyOnAttach => true;

    public event Action<bool>? Ready { add { } remove { } }

    /// <summary>Nothing is replayed: what was in flight when a connection ends is interrupted.</summary>
    public bool Resumes => false;

    public ConnectOptions PrepareUpgrade(ConnectOptions options) => options;

    public IAppHeartbeat? Heartbeat => null;

    /// <summary>An echo server has no refresh of its own; an in-band refresh needs the scenario's refresh.message.</summary>
    public IRefreshFrames? RefreshFrames => null;

    /// <summary>Messages sent and not yet answered.</summary>
    public int Pending { get { lock (_gate) return _pending.Count; } }

    public void Schedule(long start, long end)
    {
        lock (_gate) _schedule.Begin(start, end);
    }

    /// <summary>Starts sending over a freshly opened connection.</summary>
    public void Attach(ITextChannel connection)
    {
        if (!Enabled) return;
        lock (_gate)
        {
            _connection = connection;
            _schedule.Opened(_time.GetTimestamp());
            _timer?.Dispose();
            _timer = _time.CreateTimer(_ => Tick(), null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
            ArmLocked(_time.GetTimestamp());
        }
    }

    /// <summary>
    /// Stops sending; messages whose echo is already overdue are lost (the connection was open all through
    /// their window), every other message still waiting for its echo counts as interrupted.
    /// </summary>
    public void Detach()
    {
        lock (_gate)
        {
            StopSendingLocked();
            ExpireLocked(_time.GetTimestamp());
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
    /// The end of the run on an open connection: nothing more is sent; the connection stays open until every
    /// echo is back or the newest message's <c>lossTimeout</c> has passed, at most <paramref name="grace"/>. Then
    /// what is overdue is lost and what is still inside its window is unresolved, so the close that follows
    /// interrupts nothing.
    /// </summary>
    public Task DrainAsync(TimeSpan grace)
    {
        lock (_gate)
        {
            StopSendingLocked();
            if (_drain is not null) return _drain.Done;
            var now = _time.GetTimestamp();
            ExpireLocked(now);
            if (_pending.Count == 0) return Task.CompletedTask;
            var window = _time.GetElapsedTime(_pending.Values.Max(), now);
            var wait = Drain.Wait(_plan.LossTimeout - window, grace);
            _drain = new Drain(_time, wait, Settle);
            return _drain.Done;
        }
    }

    /// <summary>The drain is over: overdue messages are lost, the rest unresolved.</summary>
    private void Settle()
    {
        lock (_gate)
        {
            ExpireLocked(_time.GetTimestamp());
            if (_pending.Count == 0) return;
            _metrics.Count(MetricNames.MessagesUnresolved, _pending.Count);
            _pending.Clear();
        }
    }

    /// <summary>Arms the timer for the next slot of the schedule, or lets it rest when the window is over.</summary>
    private void ArmLocked(long now)
    {
        if (_timer is null) return;
        if (_schedule.UntilNext(now) is { } due) _timer.Change(due, Timeout.InfiniteTimeSpan);
        else StopSendingLocked();
    }

    /// <summary>
    /// Sends every slot that is due, each under the lock from taking a sequence number to counting it sent: a
    /// <see cref="Detach"/> (the connection was lost, on another thread) therefore sees a message either not yet
    /// issued or already counted sent, never in between (the soak once showed sent + 2 = received + interrupted).
    /// <see cref="ITextChannel.Send"/> only queues the message (it never waits on the network), so
    /// holding the lock around it costs nothing.
    /// </summary>
    private void Tick()
    {
        lock (_gate)
        {
            var connection = _connection;
            if (connection is null) return;
            var now = _time.GetTimestamp();
            ExpireLocked(now);
            while (_schedule.TryTakeDue(now, out _, out var plannedAt))
            {
                var seq = _nextSeq++;
                _answered.Issue(seq);
                _expired.Issue(seq);
                _pending[seq] = now;
                if (!connection.Send(Build(seq, now)))
                {
                    _pending.Remove(seq); // never sent: not counted at all
                    continue;
                }
                _metrics.Count(MetricNames.MessagesSent);
                _metrics.Record(MetricNames.SendLag, _time.GetElapsedTime(plannedAt, now));
            }
            ArmLocked(now);
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
        foreach (var seq in expired)
        {
            _pending.Remove(seq);
            _expired.Mark(seq, _nextSeq);
        }
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
                if (_pending.Count == 0) _drain?.Finish();
            }
            else if (_expired.Seen(seq, _nextSeq))
            {
                _expired.Issue(seq); // a second late copy is a duplicate
                _answered.Mark(seq, _nextSeq);
                _metrics.Count(MetricNames.MessagesLate);
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

    /// <summary>Echo accounting is settled message by message; what is left is the schedule's planned count.</summary>
    public void Finish()
    {
        lock (_gate)
        {
            if (_finished || !Enabled) return;
            _finished = true;
            _metrics.Count(MetricNames.MessagesPlanned, _schedule.Planned);
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            StopSendingLocked();
            _drain?.Dispose();
        }
    }
}
