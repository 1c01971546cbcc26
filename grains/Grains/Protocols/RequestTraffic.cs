using SimCluster.Abstractions.Metrics;
using SimCluster.Abstractions.Plans;
using SimCluster.Grains.Clients;
using SimCluster.Grains.Metrics;
using SimCluster.Transport;

namespace SimCluster.Grains.Protocols;

/// <summary>
/// Paced requests and the books of their replies, for every protocol whose replies name their request (an echo's
/// sequence number, a SignalR invocation id, a Socket.IO ack id, a JSON correlation field). Requests go out on the
/// open-loop <see cref="SendSchedule"/>; a reply closes its request (RTT); a request unanswered for
/// <c>lossTimeout</c> while its connection stayed open is lost; one whose connection closed first is interrupted,
/// or, with <c>keepAcrossReconnects</c>, kept and given a fresh window on the next connection (the protocol replays
/// it); at the end of the run an open connection drains, and what is still inside its window then is unresolved.
/// <c>messages_sent</c> = received + failed + lost + interrupted + unresolved.
/// Runs on timer and socket threads, so its state is guarded by one lock.
/// </summary>
public sealed class RequestTraffic : IDisposable
{
    /// <summary>The frame of request <paramref name="seq"/>, sent at <paramref name="unixMs"/> (UTC milliseconds).</summary>
    public delegate string RequestBuilder(long seq, long unixMs);

    private readonly MessagePlan _plan;
    private readonly GroupRecorder _metrics;
    private readonly TimeProvider _time;
    private readonly RequestBuilder _build;
    private readonly bool _keepAcrossReconnects;
    private readonly SendSchedule _schedule;
    private readonly Dictionary<long, long> _pending = [];
    private readonly RecentSequences _answered = new();
    /// <summary>Recently counted lost: a reply to one of these arriving after all is late, not a duplicate.</summary>
    private readonly RecentSequences _expired = new();
    private readonly object _gate = new();

    private ITextChannel? _connection;
    private ITimer? _timer;
    private long _nextSeq = 1;
    private long _highestAnswer;
    private Drain? _drain;
    private bool _finished;

    public RequestTraffic(MessagePlan plan, GroupRecorder metrics, TimeProvider time, Random random, RequestBuilder build, bool keepAcrossReconnects = false)
    {
        _plan = plan;
        _metrics = metrics;
        _time = time;
        _build = build;
        _keepAcrossReconnects = keepAcrossReconnects;
        _schedule = SendSchedule.Spread(time, plan.Interval, random);
    }

    /// <summary>The plan sends application messages (a non-zero interval).</summary>
    public bool Enabled => _plan.Interval > TimeSpan.Zero;

    /// <summary>Requests sent and not yet answered.</summary>
    public int Pending { get { lock (_gate) return _pending.Count; } }

    /// <summary>The send window, as timestamps of the clock: see <see cref="IProtocol.Schedule"/>.</summary>
    public void Schedule(long start, long end)
    {
        lock (_gate) _schedule.Begin(start, end);
    }

    /// <summary>Starts sending over <paramref name="connection"/>; a protocol with a handshake calls it once the connection is ready.</summary>
    public void Attach(ITextChannel connection)
    {
        if (!Enabled) return;
        lock (_gate)
        {
            var now = _time.GetTimestamp();
            _connection = connection;
            _schedule.Opened(now);
            if (_keepAcrossReconnects)
            {
                // Kept requests are replayed over this connection by the protocol: their window starts again here.
                foreach (var seq in _pending.Keys.ToList()) _pending[seq] = now;
            }
            _timer?.Dispose();
            _timer = _time.CreateTimer(_ => Tick(), null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
            ArmLocked(now);
        }
    }

    /// <summary>
    /// The connection ended: nothing more is sent over it; requests already overdue are lost (their connection was
    /// open all through their window); the rest are interrupted, or kept for the next connection.
    /// </summary>
    public void Detach()
    {
        lock (_gate)
        {
            StopSendingLocked();
            ExpireLocked(_time.GetTimestamp());
            if (!_keepAcrossReconnects) InterruptLocked();
        }
    }

    /// <summary>
    /// The application itself died (a zombie): what was in flight can no longer be answered to it, so it counts as
    /// interrupted (not lost: not the server's fault), whether or not requests are kept across reconnects.
    /// </summary>
    public void Abandon()
    {
        lock (_gate)
        {
            StopSendingLocked();
            ExpireLocked(_time.GetTimestamp());
            InterruptLocked();
        }
    }

    /// <summary>Stops sending but keeps listening, so replies in flight can still arrive before a clean stop.</summary>
    public void StopSending()
    {
        lock (_gate) StopSendingLocked();
    }

    /// <summary>
    /// The end of the run on an open connection: nothing more is sent; it stays open until every reply is in or the
    /// newest request's <c>lossTimeout</c> has passed, at most <paramref name="grace"/>. Then what is overdue is lost
    /// and what is still inside its window unresolved, so the close that follows interrupts nothing.
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
            _drain = new Drain(_time, Drain.Wait(_plan.LossTimeout - window, grace), Settle);
            return _drain.Done;
        }
    }

    /// <summary>A reply to request <paramref name="seq"/>: received (RTT, reordered), late after being counted lost, or a duplicate; unknown ids are ignored.</summary>
    public void Answered(long seq)
    {
        var now = _time.GetTimestamp();
        lock (_gate)
        {
            if (_pending.Remove(seq, out var sentAt))
            {
                _metrics.Count(MetricNames.MessagesReceived);
                _metrics.Record(MetricNames.MessageRtt, _time.GetElapsedTime(sentAt, now));
                if (seq < _highestAnswer) _metrics.Count(MetricNames.MessagesReordered);
                else _highestAnswer = seq;
                _answered.Mark(seq, _nextSeq);
                if (_pending.Count == 0) _drain?.Finish();
            }
            else if (_expired.Seen(seq, _nextSeq))
            {
                _expired.Issue(seq); // a second late copy is a duplicate
                _answered.Mark(seq, _nextSeq);
                _metrics.Count(MetricNames.MessagesLate);
            }
            else if (_answered.Seen(seq, _nextSeq))
            {
                _metrics.Count(MetricNames.MessagesDuplicated);
            }
        }
    }

    /// <summary>The server answered request <paramref name="seq"/> with an error: it is failed, not received; a second answer is a duplicate.</summary>
    public void Failed(long seq)
    {
        lock (_gate)
        {
            if (_pending.Remove(seq))
            {
                _metrics.Count(MetricNames.MessagesFailed);
                _answered.Mark(seq, _nextSeq);
                if (_pending.Count == 0) _drain?.Finish();
            }
            else if (_answered.Seen(seq, _nextSeq))
            {
                _metrics.Count(MetricNames.MessagesDuplicated);
            }
        }
    }

    /// <summary>The run is over for this client: counts the planned sends; what is still pending (a drain that never ran) is interrupted.</summary>
    public void Finish()
    {
        lock (_gate)
        {
            if (_finished || !Enabled) return;
            _finished = true;
            StopSendingLocked();
            ExpireLocked(_time.GetTimestamp());
            InterruptLocked();
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

    private void StopSendingLocked()
    {
        _timer?.Dispose();
        _timer = null;
        _connection = null;
    }

    private void InterruptLocked()
    {
        if (_pending.Count == 0) return;
        _metrics.Count(MetricNames.MessagesInterrupted, _pending.Count);
        _pending.Clear();
    }

    /// <summary>The drain is over: overdue requests are lost, the rest unresolved.</summary>
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
    /// <see cref="Detach"/> on another thread therefore sees a request either not yet issued or already counted sent,
    /// never in between. <see cref="ITextChannel.Send"/> only queues the frame (it never waits on the network), so
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
                if (!connection.Send(_build(seq, _time.GetUtcNow().ToUnixTimeMilliseconds())))
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

    /// <summary>Counts requests whose reply is overdue as lost: the connection is still open, so the server dropped them.</summary>
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
}
