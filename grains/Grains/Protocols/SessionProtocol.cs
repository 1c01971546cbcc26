using System.Text;
using System.Text.Json;
using SimCluster.Abstractions.Metrics;
using SimCluster.Abstractions.Plans;
using SimCluster.Grains.Metrics;
using SimCluster.Transport;

using SimCluster.Grains.Auth;
using SimCluster.Grains.Clients;

namespace SimCluster.Grains.Protocols;

/// <summary>
/// The session protocol (docs/session-protocol.md), client side, with loss accounting in both directions.
/// Sequence numbers survive reconnects: after every connect the client says hello with the highest server
/// sequence it holds contiguously, the server's welcome says which client messages it holds, and both
/// sides replay the rest. Up: a client message is delivered when its echo arrives; one never echoed by
/// the end of the run is lost, whatever its neighbours did. Down: a server sequence number seen twice is a
/// duplicate, one seen after a higher one is reordered, a gap left at the end (or forgotten by the server)
/// is lost, unless it is the missing echo of a client message already counted lost.
/// Everything the server sends is bounded: numbers are validated, open gaps are capped.
/// The up direction is <see cref="RequestTraffic"/>'s books, kept to the end of the run
/// (<see cref="KeptRequests.RunEnd"/>); the down direction, the server's own numbering, is kept here.
/// </summary>
public sealed class SessionProtocol : IProtocol, IAppHeartbeat
{
    /// <summary>A server sequence number further than this beyond the highest seen is a protocol error, not a gap.</summary>
    internal const long MaxAhead = 65_536;
    /// <summary>Server messages held beyond a gap at most; past it the lowest gap is given up (counted lost).</summary>
    internal const int MaxHeldAhead = 1_024;

    private readonly string _sessionId;
    private readonly MessagePlan _plan;
    private readonly GroupRecorder _metrics;
    private readonly TimeProvider _time;
    private readonly object _gate = new();

    // Up: client messages not yet echoed, each marked with the highest server seq seen when first sent (its echo,
    // if the server numbered one, comes after it). Lock order: this object's gate, then the requests' own.
    private readonly RequestTraffic _requests;

    // Down: server sequence numbers.
    private long _contiguous;            // every server seq <= this has arrived (or was given up)
    private readonly SortedSet<long> _ahead = []; // arrived beyond a gap, at most MaxHeldAhead
    private long _highestServerSeq;
    private long _lastAckSent;
    private long _helloLastSeq;                      // what we told the server we hold, on this connection
    private RecentSequences _seenOnConnection = new(); // server seqs received on this connection

    private ITextChannel? _connection;
    private ITimer? _ackTimer;
    private bool _welcomed;
    private bool _established;
    private bool _finished;

    public SessionProtocol(string sessionId, MessagePlan plan, GroupRecorder metrics, TimeProvider time, Random random)
    {
        _sessionId = sessionId;
        _plan = plan;
        _metrics = metrics;
        _time = time;
        // The mark is read under the requests' lock, so it reads the field without taking this object's gate.
        _requests = new RequestTraffic(plan, metrics, time, random, Build, KeptRequests.RunEnd, () => Volatile.Read(ref _highestServerSeq));
    }

    /// <summary>The hello/welcome handshake comes first: messages are sent after the welcome.</summary>
    public bool ReadyOnAttach => false;

    /// <summary>Raised (on a socket thread) when a welcome arrives: the session is resumed or started.</summary>
    public event Action<bool>? Ready;

    /// <summary>Unechoed messages are kept across reconnects and replayed after the next welcome.</summary>
    public bool Resumes => true;

    /// <summary>The session protocol speaks on the target's URL as given, no subprotocol.</summary>
    public ConnectOptions PrepareUpgrade(ConnectOptions options) => options;

    /// <summary>The <c>ping</c>/<c>pong</c> frames below.</summary>
    public IAppHeartbeat Heartbeat => this;

    IAppHeartbeat? IProtocol.Heartbeat => this;

    public IRefreshFrames? RefreshFrames { get; } = new AuthFrames();

    /// <summary>No token of its own: it rides in the upgrade request (auth.send query or header).</summary>
    public ITokenCarrier? Tokens => null;

    /// <summary>Raised (on a socket thread) with the timestamp a <see cref="SendPing"/> carried, when its pong arrives.</summary>
    public event Action<long>? PongSeen;

    /// <summary>The application-level heartbeat: <c>{"type":"ping","ts":T}</c>, T a timestamp of our clock the server hands back.</summary>
    public void SendPing(long timestamp)
    {
        ITextChannel? connection;
        lock (_gate) connection = _connection;
        connection?.Send($"{{\"type\":\"ping\",\"ts\":{timestamp}}}");
    }

    public int Pending => _requests.Pending;

    /// <summary>Server messages held beyond a gap (bounded by <see cref="MaxHeldAhead"/>).</summary>
    internal int HeldAhead { get { lock (_gate) return _ahead.Count; } }

    public void Schedule(long start, long end) => _requests.Schedule(start, end);

    public void Attach(ITextChannel connection)
    {
        lock (_gate)
        {
            _connection = connection;
            _welcomed = false;
            _helloLastSeq = _contiguous;
            _seenOnConnection = new RecentSequences();
            _requests.Detach(); // nothing goes out before this connection's welcome
            _requests.Opening(); // what comes due before the welcome goes out right after it // what comes due before the welcome goes out right after it
            connection.Send($"{{\"type\":\"hello\",\"session\":\"{_sessionId}\",\"lastSeq\":{_contiguous}}}");
            _ackTimer?.Dispose();
            // Acks at least once a second while messages arrive.
            _ackTimer = _time.CreateTimer(_ => Ack(), null, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1));
        }
    }

    public void Detach()
    {
        lock (_gate) StopLocked(); // nothing is interrupted: unechoed messages are replayed on the next connection
    }

    public void StopSending() => _requests.StopSending();

    /// <summary>The application died: what it had sent and not seen echoed can no longer be answered to it (interrupted).</summary>
    public void Abandon()
    {
        lock (_gate)
        {
            StopLocked();
            _requests.Abandon();
        }
    }

    private void StopLocked()
    {
        _ackTimer?.Dispose();
        _ackTimer = null;
        _connection = null;
        _welcomed = false;
        _requests.Detach();
    }

    private void Ack()
    {
        ITextChannel? connection;
        string? frame = null;
        lock (_gate)
        {
            connection = _connection;
            if (connection is null || !_welcomed || _contiguous <= _lastAckSent) return;
            frame = $"{{\"type\":\"ack\",\"seq\":{_contiguous}}}";
            _lastAckSent = _contiguous;
        }
        connection.Send(frame);
    }

    private string Build(long seq, long unixMs)
    {
        var sb = new StringBuilder(Math.Max(_plan.Size, 64));
        sb.Append("{\"type\":\"msg\",\"seq\":").Append(seq).Append(",\"ts\":").Append(unixMs).Append(",\"body\":\"");
        var pad = _plan.Size - sb.Length - 2;
        if (pad > 0) sb.Append('x', pad);
        sb.Append("\"}");
        return sb.ToString();
    }

    public void OnText(string text)
    {
        if (!TryRead(text, out var frame))
        {
            // A garbled frame costs the client nothing but this count: the connection is kept, so a hostile
            // server cannot make it reconnect in a loop.
            _metrics.Count(MetricNames.SessionProtocolErrors);
            return;
        }
        switch (frame.Type)
        {
            case "welcome": OnWelcome(frame.Resumed, frame.LastSeq); break;
            case "msg" when frame.Seq is { } seq: OnServerMessage(seq, frame.Echo); break;
            case "msg": _metrics.Count(MetricNames.SessionProtocolErrors); break;
            case "pong" when frame.Ts is { } at: PongSeen?.Invoke(at); break;
        }
    }

    internal readonly record struct Frame(string? Type, long? Seq, long? Echo, long LastSeq, bool Resumed, long? Ts = null);

    /// <summary>
    /// Reads a server frame. A number that is not a positive whole number within <see cref="long"/> makes the
    /// frame unusable (false); text that is not JSON, or JSON of no protocol type, is not ours (true, no type).
    /// </summary>
    internal static bool TryRead(string text, out Frame frame)
    {
        frame = default;
        string? type = null;
        long? seq = null, echo = null;
        long lastSeq = 0;
        long? ts = null;
        var resumed = false;
        try
        {
            var reader = new Utf8JsonReader(Encoding.UTF8.GetBytes(text), new JsonReaderOptions { MaxDepth = 16 });
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject) return true;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var name = reader.GetString();
                reader.Read();
                switch (name)
                {
                    case "type": type = reader.TokenType == JsonTokenType.String ? reader.GetString() : null; break;
                    case "seq": if (!Positive(ref reader, out var s)) return false; seq = s; break;
                    case "echo": if (!Positive(ref reader, out var e)) return false; echo = e; break;
                    case "lastSeq": if (!Positive(ref reader, out var l, allowZero: true)) return false; lastSeq = l; break;
                    case "resumed": resumed = reader.TokenType == JsonTokenType.True; break;
                    case "ts": ts = reader.TokenType == JsonTokenType.Number && reader.TryGetInt64(out var t) ? t : null; break;
                    default: reader.Skip(); break;
                }
            }
        }
        catch (JsonException)
        {
            return true; // not a protocol frame: nothing to account
        }
        frame = new Frame(type, seq, echo, lastSeq, resumed, ts);
        return true;
    }

    private static bool Positive(ref Utf8JsonReader reader, out long value, bool allowZero = false)
    {
        value = 0;
        return reader.TokenType == JsonTokenType.Number && reader.TryGetInt64(out value) && (value > 0 || (allowZero && value == 0));
    }

    private void OnWelcome(bool resumed, long serverHolds)
    {
        lock (_gate)
        {
            var connection = _connection;
            if (connection is null) return;
            if (!resumed && _established)
            {
                // The server forgot the session: whatever it had not delivered of its own is lost, and it starts
                // numbering again, so our view of its sequence restarts too.
                _metrics.Count(MetricNames.SessionsForgotten);
                _metrics.Count(MetricNames.MessagesLost, LostDownLocked([]));
                _contiguous = 0;
                _ahead.Clear();
                Volatile.Write(ref _highestServerSeq, 0);
                _lastAckSent = 0;
                _helloLastSeq = 0;
                _requests.Remark(0);
            }
            _established = true;
            _welcomed = true;
            // What the server lacks goes again first (each one's RTT runs from this send), then what came due meanwhile.
            var replay = _requests.Replay(after: serverHolds);
            _metrics.Count(MetricNames.MessagesReplayed, replay.Count);
            foreach (var frame in replay) connection.Send(frame);
            _requests.Attach(connection);
        }
        Ready?.Invoke(resumed);
    }

    private void OnServerMessage(long seq, long? echoOf)
    {
        lock (_gate)
        {
            if (seq > _highestServerSeq + MaxAhead)
            {
                _metrics.Count(MetricNames.SessionProtocolErrors); // not a gap anyone could close: ignored
                return;
            }
            var limit = Math.Max(_highestServerSeq, seq) + 1;
            if (seq <= _contiguous || _ahead.Contains(seq))
            {
                // Dropped either way (the application never sees a message twice). It is the server's duplicate
                // when we had told it we hold this one, or it came twice on this connection; a replay of what
                // sat beyond a gap we could not acknowledge is the protocol working as designed.
                if (seq <= _helloLastSeq || _seenOnConnection.Seen(seq, limit)) _metrics.Count(MetricNames.MessagesDuplicated);
                _seenOnConnection.Mark(seq, limit);
                return;
            }
            _seenOnConnection.Mark(seq, limit);
            if (seq < _highestServerSeq) _metrics.Count(MetricNames.MessagesReordered);
            Volatile.Write(ref _highestServerSeq, Math.Max(_highestServerSeq, seq));
            if (seq == _contiguous + 1)
            {
                _contiguous = seq;
                while (_ahead.Remove(_contiguous + 1)) _contiguous++;
            }
            else
            {
                _ahead.Add(seq);
                if (_ahead.Count > MaxHeldAhead) AbandonLowestGapLocked();
            }
            _metrics.Count(MetricNames.MessagesReceived);

            // The echo closes client message K (RTT, reordered, or a duplicate when K was echoed before); the
            // server message carrying it was counted received above.
            if (echoOf is { } k) _requests.Answered(k, countReceived: false);
        }
    }

    /// <summary>Too many messages held beyond gaps: stop waiting for the lowest gap, count it lost, move on.</summary>
    private void AbandonLowestGapLocked()
    {
        var next = _ahead.Min;
        _metrics.Count(MetricNames.MessagesLost, next - _contiguous - 1);
        _metrics.Count(MetricNames.SessionGapsAbandoned);
        _contiguous = next;
        _ahead.Remove(next);
        while (_ahead.Remove(_contiguous + 1)) _contiguous++;
    }

    /// <summary>
    /// The server messages that never arrived (gaps below the highest seen), less those that can be the missing
    /// echo of a client message that is itself counted lost: a gap after the server seq a message was sent
    /// behind may be its echo, and one loss is counted once. Each unechoed message pairs with the lowest such
    /// gap, in order.
    /// </summary>
    /// <param name="lostUp">The marks (server seq before) of the client messages counted lost, in sequence order.</param>
    private long LostDownLocked(IReadOnlyList<long> lostUp)
    {
        using var gaps = Gaps().GetEnumerator();
        long unpaired = 0, from = 0, to = -1;
        bool Next()
        {
            if (!gaps.MoveNext()) return false;
            (from, to) = gaps.Current;
            return true;
        }
        var has = Next();
        // In sequence order the server seq each message was sent behind never decreases.
        foreach (var before in lostUp)
        {
            while (has && to <= before)
            {
                unpaired += to - from + 1; // wholly before this message was sent: cannot be its echo
                has = Next();
            }
            if (!has) break;
            if (from <= before)
            {
                unpaired += before - from + 1;
                from = before + 1;
            }
            from++; // this gap seq is taken as the message's missing echo
            if (from > to) has = Next();
        }
        while (has)
        {
            unpaired += to - from + 1;
            has = Next();
        }
        return unpaired;
    }

    /// <summary>The missing server sequence ranges below the highest seen, in order (at most MaxHeldAhead + 1 of them).</summary>
    private IEnumerable<(long From, long To)> Gaps()
    {
        var from = _contiguous + 1;
        foreach (var held in _ahead)
        {
            if (held > from) yield return (from, held - 1);
            from = held + 1;
        }
    }

    public Task DrainAsync(TimeSpan grace) => _requests.DrainAsync(grace);

    /// <summary>
    /// Whatever never arrived, after every replay, is lost: every client message never echoed (the server lost it
    /// or its echo), and every gap in the server's sequence that is not one of those echoes. A message the stop
    /// grace cut off while still inside its <c>lossTimeout</c> on an open connection is unresolved instead.
    /// </summary>
    public void Finish()
    {
        lock (_gate)
        {
            if (_finished) return;
            _finished = true;
            StopLocked();
            var lostUp = _requests.Finish(); // books the client messages never echoed, lost or unresolved
            _metrics.Count(MetricNames.MessagesLost, LostDownLocked(lostUp));
        }
    }

    /// <summary>
    /// In-band refresh, session protocol: <c>{"type":"auth.refresh","token":"…"}</c>, answered by <c>auth.refreshed</c>
    /// or <c>auth.rejected</c>. Answers are consumed whether or not a refresh waits (a late answer is still ours).
    /// </summary>
    private sealed class AuthFrames : IRefreshFrames
    {
        public string Refresh(string token) => $"{{\"type\":\"auth.refresh\",\"token\":{JsonSerializer.Serialize(token)}}}";

        public RefreshAnswer? Read(string text, bool waiting)
        {
            if (!text.Contains("\"auth.", StringComparison.Ordinal)) return null;
            string? type = null;
            try
            {
                var reader = new Utf8JsonReader(Encoding.UTF8.GetBytes(text));
                if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject) return null;
                while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                {
                    var name = reader.GetString();
                    reader.Read();
                    if (name == "type" && reader.TokenType == JsonTokenType.String) type = reader.GetString();
                    else reader.Skip();
                }
            }
            catch (JsonException)
            {
                return null;
            }
            return type switch
            {
                "auth.refreshed" => RefreshAnswer.Refreshed,
                "auth.rejected" => RefreshAnswer.Rejected,
                _ => null,
            };
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _ackTimer?.Dispose();
            _ackTimer = null;
            _connection = null;
            _requests.Dispose();
        }
    }
}
