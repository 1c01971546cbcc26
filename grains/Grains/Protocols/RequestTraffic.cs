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
/// <c>messages_sent</c> = received + failed + lost + interrupted + unresolved (+ unacked, for requests that ask for no reply).
/// The session protocol keeps its requests to the end of the run instead (<see cref="KeptRequests.RunEnd"/>).
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
    private readonly KeptRequests _kept;
    private readonly Func<long>? _mark;
    private readonly bool _expectReplies;
    private readonly SendSchedule _schedule;
    private readonly Dictionary<long, Request> _pending = [];
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
    private bool _stopped;
    /// <summary>The schedule was opened for the connection being set up (<see cref="Opening"/>), before its handshake.</summary>
    private bool _opening;
    /// <summary>When the end-of-run drain on an open connection ended (<see cref="KeptRequests.RunEnd"/>).</summary>
    private long? _settledAt;

    /// <summary>A request in flight: when it was (last) sent, the protocol's mark, and its frame when it may be replayed.</summary>
    private readonly record struct Request(long SentAt, long Mark, string? Frame);

    /// <param name="expectReplies">False: requests ask for no answer (a Socket.IO event without an ack id); each is counted sent and unacked, never pending.</param>
    public RequestTraffic(MessagePlan plan, GroupRecorder metrics, TimeProvider time, Random random, RequestBuilder build, bool keepAcrossReconnects = false, bool expectReplies = true)
        : this(plan, metrics, time, random, build, keepAcrossReconnects ? KeptRequests.NextConnection : KeptRequests.None, expectReplies: expectReplies)
    {
    }

    /// <param name="mark">
    /// Read when a request is first sent and kept with it (<see cref="KeptRequests.RunEnd"/>): the session protocol's
    /// highest server sequence number, so a request lost at the end can be paired with a gap in the server's numbering.
    /// Called under this object's lock: it must not take the protocol's.
    /// </param>
    /// <param name="expectReplies">False: requests ask for no answer; each is counted sent and unacked, never pending.</param>
    public RequestTraffic(MessagePlan plan, GroupRecorder metrics, TimeProvider time, Random random, RequestBuilder build, KeptRequests kept, Func<long>? mark = null, bool expectReplies = true)
    {
        _expectReplies = expectReplies;
        _plan = plan;
        _metrics = metrics;
        _time = time;
        _build = build;
        _kept = kept;
        _mark = mark;
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

    /// <summary>
    /// A connection opened whose handshake comes before any request (the session's hello and welcome): the schedule
    /// opens now, so the slots that come due during the handshake go out when it is done (<see cref="Attach"/>).
    /// Without it, the schedule opens at <see cref="Attach"/>.
    /// </summary>
    public void Opening()
    {
        if (!Enabled) return;
        lock (_gate)
        {
            _schedule.Opened(_time.GetTimestamp());
            _opening = true;
        }
    }

    /// <summary>Starts sending over <paramref name="connection"/>; a protocol with a handshake calls it once the connection is ready.</summary>
    public void Attach(ITextChannel connection)
    {
        if (!Enabled) return;
        lock (_gate)
        {
            var now = _time.GetTimestamp();
            if (!_opening) _schedule.Opened(now);
            _opening = false;
            if (_stopped) return; // the run's end began: nothing more is sent, whatever reconnects
            _connection = connection;
            if (_kept == KeptRequests.NextConnection)
            {
                // Kept requests are replayed over this connection by the protocol: their window starts again here.
                foreach (var seq in _pending.Keys.ToList()) _pending[seq] = _pending[seq] with { SentAt = now };
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
            _opening = false;
            StopSendingLocked();
            ExpireLocked(_time.GetTimestamp());
            if (_kept == KeptRequests.None) InterruptLocked();
        }
    }

    /// <summary>
    /// The server said after a reconnect that it holds every request up to <paramref name="after"/> (<see cref="KeptRequests.RunEnd"/>):
    /// the frames of the later ones, in order, for the protocol to send again; each one's RTT runs from now.
    /// </summary>
    public IReadOnlyList<string> Replay(long after)
    {
        lock (_gate)
        {
            var now = _time.GetTimestamp();
            List<string> frames = [];
            foreach (var seq in _pending.Keys.Where(s => s > after).Order().ToList())
            {
                var request = _pending[seq];
                _pending[seq] = request with { SentAt = now };
                if (request.Frame is { } frame) frames.Add(frame);
            }
            return frames;
        }
    }

    /// <summary>Gives every request in flight the mark <paramref name="mark"/> (the session's server started numbering again).</summary>
    public void Remark(long mark)
    {
        lock (_gate)
        {
            foreach (var seq in _pending.Keys.ToList()) _pending[seq] = _pending[seq] with { Mark = mark };
        }
    }

    /// <summary>
    /// The client itself chose a new session that will not replay what it kept (a token refreshed by a new
    /// connection): what was in flight is interrupted, as on a connection that ends without resumption.
    /// </summary>
    public void Interrupt()
    {
        lock (_gate) InterruptLocked();
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
        lock (_gate)
        {
            _stopped = true;
            StopSendingLocked();
        }
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
            _stopped = true;
            StopSendingLocked();
            if (_drain is not null) return _drain.Done;
            var now = _time.GetTimestamp();
            ExpireLocked(now);
            if (_pending.Count == 0) return Task.CompletedTask;
            var window = _time.GetElapsedTime(_pending.Values.Max(r => r.SentAt), now);
            _drain = new Drain(_time, Drain.Wait(_plan.LossTimeout - window, grace), Settle);
            return _drain.Done;
        }
    }

    /// <summary>Whether request <paramref name="seq"/> was ever issued: a reply naming another id answers nothing this client sent.</summary>
    public bool Issued(long seq)
    {
        lock (_gate) return seq >= 1 && seq < _nextSeq;
    }

    /// <summary>A reply to request <paramref name="seq"/>: received (RTT, reordered), late after being counted lost, or a duplicate; unknown ids are ignored.</summary>
    /// <param name="countReceived">False when the protocol counts <c>messages_received</c> itself (the session counts every server message, echo or not).</param>
    public void Answered(long seq, bool countReceived = true)
    {
        var now = _time.GetTimestamp();
        lock (_gate)
        {
            if (_pending.Remove(seq, out var request))
            {
                if (countReceived) _metrics.Count(MetricNames.MessagesReceived);
                _metrics.Record(MetricNames.MessageRtt, _time.GetElapsedTime(request.SentAt, now));
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

    /// <summary>
    /// The run is over for this client: counts the planned sends; what is still pending (a drain that never ran) is
    /// interrupted. With <see cref="KeptRequests.RunEnd"/> it is lost instead (unresolved when it was still inside its
    /// window as the drain on an open connection ended), and the marks of the lost ones are returned, in request order.
    /// </summary>
    public IReadOnlyList<long> Finish()
    {
        lock (_gate)
        {
            if (_finished || !Enabled) return [];
            _finished = true;
            _stopped = true;
            StopSendingLocked();
            _metrics.Count(MetricNames.MessagesPlanned, _schedule.Planned);
            if (_kept == KeptRequests.RunEnd) return SettleAtEndLocked();
            ExpireLocked(_time.GetTimestamp());
            InterruptLocked();
            return [];
        }
    }

    private List<long> SettleAtEndLocked()
    {
        List<long> lost = [];
        long unresolved = 0;
        foreach (var (_, request) in _pending.OrderBy(p => p.Key))
        {
            if (_settledAt is { } at && _time.GetElapsedTime(request.SentAt, at) <= _plan.LossTimeout) unresolved++;
            else lost.Add(request.Mark);
        }
        _pending.Clear();
        _metrics.Count(MetricNames.MessagesLost, lost.Count);
        _metrics.Count(MetricNames.MessagesUnresolved, unresolved);
        return lost;
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

    /// <summary>The drain is over: overdue requests are lost, the rest unresolved (kept to the end: booked by <see cref="Finish"/>).</summary>
    private void Settle()
    {
        lock (_gate)
        {
            if (_kept == KeptRequests.RunEnd)
            {
                _settledAt = _time.GetTimestamp();
                return;
            }
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
                var frame = _build(seq, _time.GetUtcNow().ToUnixTimeMilliseconds());
                var keptToEnd = _kept == KeptRequests.RunEnd;
                if (_expectReplies) _pending[seq] = new Request(now, keptToEnd ? _mark?.Invoke() ?? 0 : 0, keptToEnd ? frame : null);
                // Kept to the end, a frame the socket refused is the session's all the same: the next connection replays it.
                if (!connection.Send(frame) && !keptToEnd)
                {
                    _pending.Remove(seq); // never sent: not counted at all
                    continue;
                }
                _metrics.Count(MetricNames.MessagesSent);
                if (!_expectReplies) _metrics.Count(MetricNames.MessagesUnacked);
                _metrics.Record(MetricNames.SendLag, _time.GetElapsedTime(plannedAt, now));
            }
            ArmLocked(now);
        }
    }

    /// <summary>Counts requests whose reply is overdue as lost: the connection is still open, so the server dropped them.</summary>
    private void ExpireLocked(long now)
    {
        if (_pending.Count == 0 || _kept == KeptRequests.RunEnd) return; // kept to the end: nothing is lost before it
        List<long>? expired = null;
        foreach (var (seq, request) in _pending)
        {
            if (_time.GetElapsedTime(request.SentAt, now) > _plan.LossTimeout) (expired ??= []).Add(seq);
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

/// <summary>What becomes of a request whose connection ends before its answer.</summary>
public enum KeptRequests
{
    /// <summary>Interrupted with its connection.</summary>
    None,

    /// <summary>Kept for the next connection, which the protocol replays it over with a fresh window; interrupted if the run ends first.</summary>
    NextConnection,

    /// <summary>
    /// Kept to the end of the run over every reconnect (the session protocol, whose server says after each reconnect
    /// which requests it holds, so the protocol replays only the rest: <see cref="RequestTraffic.Replay"/>). Nothing is
    /// counted lost while the run goes on; a frame the socket refused is kept too. What never got its answer is lost
    /// at the end, or unresolved when it was still inside its <c>lossTimeout</c> as the drain on an open connection ended.
    /// </summary>
    RunEnd,
}
