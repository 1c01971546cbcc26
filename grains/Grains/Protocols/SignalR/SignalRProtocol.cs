using System.Globalization;
using System.Text;
using System.Text.Json;
using SimCluster.Abstractions.Metrics;
using SimCluster.Abstractions.Plans;
using SimCluster.Grains.Auth;
using SimCluster.Grains.Metrics;
using SimCluster.Transport;

namespace SimCluster.Grains.Protocols.SignalR;

/// <summary>
/// ASP.NET Core SignalR's JSON hub protocol, version 1, client side, as the .NET client speaks it (docs/protocols.md,
/// signalr). Each connection: negotiate (unless skipped) for a connection token, the WebSocket with <c>id=</c>, the
/// handshake record and its answer. Then the client invokes the scenario's hub method on the
/// <see cref="RequestTraffic"/> schedule, its <c>invocationId</c> the request's sequence number, and the completion
/// (type 3) closes it; server invocations are pushes (<see cref="PushTraffic"/>). The client pings (type 6) every
/// keepAliveInterval and gives the connection up when the hub sends nothing for serverTimeout. With stateful reconnect
/// granted, messages are numbered both ways, acknowledged (type 8), and a reconnect with the same token resends what
/// the other side has not acknowledged after a sequence message (type 9); the receiver drops what it already had.
/// Records are separated by 0x1E. Socket, timer and turn threads meet here: one lock guards the state.
/// </summary>
public sealed class SignalRProtocol : IProtocol, ITokenCarrier
{
    internal const char RecordSeparator = '\u001e';
    internal const string HandshakeRequest = "{\"protocol\":\"json\",\"version\":1}\u001e";
    /// <summary>Version 2 of the hub protocol carries stateful reconnect: a hub turns it off for a version-1 handshake.</summary>
    internal const string StatefulHandshakeRequest = "{\"protocol\":\"json\",\"version\":2}\u001e";
    internal const string PingRecord = "{\"type\":6}\u001e";
    /// <summary>The .NET client acknowledges what it received about once a second.</summary>
    internal static readonly TimeSpan AckInterval = TimeSpan.FromSeconds(1);
    /// <summary>Unacknowledged client messages kept for a resend at most; past it the oldest are given up (their requests then count lost).</summary>
    internal const int MaxBuffered = 10_000;
    /// <summary>
    /// Attempts to resume one dropped hub connection before a new one is negotiated. The .NET client reconnects its
    /// transport once with the same token; when that fails (a hub that already let the connection go answers 404,
    /// one still holding the old transport 409) it starts a new connection. Retrying the token would only repeat the refusal.
    /// </summary>
    internal const int MaxResumeAttempts = 1;

    private readonly int _clientIndex;
    private readonly SignalrPlan _hub;
    private readonly MessagePlan _messages;
    private readonly GroupRecorder _metrics;
    private readonly TimeProvider _time;
    private readonly RequestTraffic _traffic;
    private readonly PushTraffic _pushes;
    private readonly Func<Uri, bool, TimeSpan, CancellationToken, Task<Negotiated>> _negotiate;
    private readonly string _invocationHead;
    private readonly object _gate = new();

    private ITextChannel? _connection;
    private SequencedChannel? _sequenced;
    private ITimer? _pingTimer;
    private ITimer? _ackTimer;
    private ITimer? _watchdog;
    private long _lastReceived;
    private bool _handshaken;
    private bool _established;

    // The hub connection: its token, whether the hub granted stateful reconnect, whether this attempt resumes it.
    private string? _connectionToken;
    private bool _newTokenDropsKept;
    private bool _stateful;
    private bool _resuming;
    private long? _droppedAt;
    private bool _endedByClose;
    private int _resumeAttempts;
    /// <summary>A resume attempt is under way and no handshake answer has come over it yet: when the next attempt is prepared, it failed.</summary>
    private bool _resumePending;
    /// <summary>The query the hub connection was negotiated with: a new token (a refresh by reconnect) means a new connection.</summary>
    private string? _negotiatedQuery;

    // Stateful reconnect books: client messages numbered from 1 and kept until the hub acknowledges them; hub
    // messages numbered as they arrive.
    private long _sentSeq;
    private readonly LinkedList<(long Id, string Frame)> _unacked = new();
    private long _nextReceiveId = 1;
    private long _latestReceived;
    private long _lastAckSent;

    public SignalRProtocol(int clientIndex, SignalrPlan hub, MessagePlan messages, GroupRecorder metrics, TimeProvider time, Random random,
        Func<Uri, bool, TimeSpan, CancellationToken, Task<Negotiated>>? negotiate = null)
    {
        _clientIndex = clientIndex;
        _hub = hub;
        _messages = messages;
        _metrics = metrics;
        _time = time;
        _negotiate = negotiate ?? SignalRNegotiation.NegotiateAsync;
        _invocationHead = "\",\"target\":" + JsonSerializer.Serialize(hub.Method) + ",\"arguments\":";
        _traffic = new RequestTraffic(messages, metrics, time, random, Build, keepAcrossReconnects: Resumes);
        _pushes = new PushTraffic(metrics);
    }

    /// <summary>The handshake answer comes first: invocations start after it.</summary>
    public bool ReadyOnAttach => false;

    public event Action<bool>? Ready;

    public event Action<ProtocolFailure>? Failed;

    /// <summary>With stateful reconnect asked for (and a connection token to resume with), what is in flight is kept and resent after a reconnect.</summary>
    public bool Resumes => _hub.StatefulReconnect && !_hub.SkipNegotiation;

    /// <summary>CloseOnAuthenticationExpiration ends the connection cleanly, without a code saying why.</summary>
    public bool ExpiryCloseHasNoCode => true;

    public ConnectOptions PrepareUpgrade(ConnectOptions options) => options;

    /// <summary>SignalR's pings are the protocol's own (keepAliveInterval, serverTimeout), not heartbeat.appLevel's timed ping/pong.</summary>
    public IAppHeartbeat? Heartbeat => null;

    /// <summary>A token is refreshed by reconnecting with the new one (SignalR has no in-band refresh).</summary>
    public IRefreshFrames? RefreshFrames => null;

    public ITokenCarrier Tokens => this;

    ITokenCarrier? IProtocol.Tokens => this;

    /// <summary>SignalR's convention for WebSockets: the token in the query as <c>access_token</c> (negotiate carries it too).</summary>
    public ConnectOptions Carry(ConnectOptions options, string token) =>
        options with { Target = WithQuery(options.Target, "access_token", token) };

    public int Pending => _traffic.Pending;

    public void Schedule(long start, long end) => _traffic.Schedule(start, end);

    /// <summary>
    /// Negotiates a connection token for this attempt, or, with stateful reconnect granted and the connection dropped
    /// less than serverTimeout ago, reuses the one it holds to resume the hub connection.
    /// </summary>
    public async Task<ConnectOptions> PrepareConnectAsync(ConnectOptions options, CancellationToken ct)
    {
        if (_hub.SkipNegotiation)
        {
            lock (_gate) _resuming = false;
            return options;
        }
        bool resumeFailed;
        lock (_gate)
        {
            resumeFailed = _resumePending;
            _resumePending = false;
        }
        if (resumeFailed) _metrics.Count(MetricNames.SignalrResumesFailed);
        lock (_gate)
        {
            // One resume per drop: a hub that answers it with 404 (it let the connection go) or 409 (it still holds
            // the old socket) gets a new connection negotiated next, not a storm of the same refused token.
            if (_connectionToken is { } token && _stateful && _droppedAt is { } dropped && _time.GetElapsedTime(dropped) < _hub.ServerTimeout
                && _resumeAttempts < MaxResumeAttempts && options.Target.Query == _negotiatedQuery)
            {
                _resumeAttempts++;
                _resuming = true;
                _resumePending = true;
                return options with { Target = WithQuery(options.Target, "id", token) };
            }
        }
        var negotiated = await _negotiate(options.Target, _hub.StatefulReconnect, options.ConnectTimeout, ct).ConfigureAwait(false);
        lock (_gate)
        {
            // A new token (a refresh by reconnect) is the client's own choice of a new hub connection: nothing kept
            // will be resent over it. A hub that refused to resume is another matter: what it did not answer is lost.
            _newTokenDropsKept = _negotiatedQuery is not null && options.Target.Query != _negotiatedQuery;
            _connectionToken = negotiated.ConnectionToken;
            _negotiatedQuery = options.Target.Query;
            _stateful = negotiated.StatefulReconnect && _hub.StatefulReconnect;
            _resuming = false;
        }
        return options with { Target = WithQuery(options.Target, "id", negotiated.ConnectionToken) };
    }

    public void Attach(ITextChannel connection)
    {
        bool stateful, resume;
        lock (_gate)
        {
            StopTimersLocked();
            _connection = connection;
            _handshaken = false;
            _lastReceived = _time.GetTimestamp();
            // A silent hub is given up after serverTimeout, from the handshake on: a handshake never answered is no hang.
            _watchdog = _time.CreateTimer(_ => Watch(), null, _hub.ServerTimeout, Timeout.InfiniteTimeSpan);
            stateful = _stateful;
            resume = _resuming && _stateful;
        }
        // A stateful reconnect resumes the hub connection under the same token: the hub keeps its handshake and
        // speaks first with its sequence message, so the client resumes at once instead of asking again.
        if (resume)
        {
            _metrics.Count(MetricNames.SignalrResumes);
            OnHandshakeAnswer(default);
        }
        else connection.Send(stateful ? StatefulHandshakeRequest : HandshakeRequest);
    }

    public void Detach()
    {
        _traffic.Detach();
        bool closed;
        lock (_gate)
        {
            StopTimersLocked();
            // A transport lost can be resumed; a connection closed on purpose (a close frame from either side, the
            // hub's close message) is over for the hub too: it answers a resume with 404, so the next one negotiates.
            closed = _endedByClose && _stateful;
            if (_connection is not null) _droppedAt = _endedByClose ? null : _time.GetTimestamp();
            _endedByClose = false;
            _connection = null;
            _sequenced = null;
            _handshaken = false;
        }
        // Nor will anything in flight be answered over a new hub connection: the client's own close interrupted it.
        if (closed) _traffic.Interrupt();
    }

    public bool ReadsOnlyCurrentConnection => true;

    public void EndedByClose()
    {
        lock (_gate) _endedByClose = true;
    }

    public void StopSending() => _traffic.StopSending();

    /// <summary>The application died: no more pings, invocations or acks; the hub connection it held is not resumed by a new application.</summary>
    public void Abandon()
    {
        _traffic.Abandon();
        lock (_gate)
        {
            StopTimersLocked();
            _connection = null;
            _sequenced = null;
            _handshaken = false;
            _connectionToken = null;
            _droppedAt = null;
        }
    }

    public Task DrainAsync(TimeSpan grace) => _traffic.DrainAsync(grace);

    public void Finish()
    {
        _traffic.Finish();
        _pushes.Finish();
    }

    public void Dispose()
    {
        _traffic.Dispose();
        lock (_gate) StopTimersLocked();
    }

    public void OnText(string text)
    {
        var start = 0;
        while (start < text.Length)
        {
            var end = text.IndexOf(RecordSeparator, start);
            if (end < 0) end = text.Length; // an unterminated record: read it as one anyway
            if (end > start && !OnRecord(text.AsSpan(start, end - start))) return;
            start = end + 1;
        }
    }

    /// <summary>One record; false when the connection was given up on it (the rest of the frame is not read).</summary>
    private bool OnRecord(ReadOnlySpan<char> record)
    {
        bool handshaken;
        lock (_gate)
        {
            if (_connection is null) return false; // detached or dead: nothing more is read
            _lastReceived = _time.GetTimestamp();
            handshaken = _handshaken;
        }
        if (!Message.TryRead(record, _hub.PushSequence, out var message))
        {
            _metrics.Count(MetricNames.SignalrProtocolErrors);
            return true;
        }
        if (!handshaken) return OnHandshakeAnswer(message);
        if (message.IsSequenced && !ShouldProcess()) return true; // resent by the hub, and already had
        switch (message.Type)
        {
            case 1 when message.InvocationId is null: OnPush(message); break;
            case 3 when message.InvocationId is { } id && long.TryParse(id, NumberStyles.None, CultureInfo.InvariantCulture, out var seq):
                if (message.Error is not null) _traffic.Failed(seq);
                else _traffic.Answered(seq);
                break;
            case 6: break; // the hub's keep-alive: it reset the watchdog above
            case 7: OnClose(message); return false;
            case 8 when message.SequenceId is { } acked: OnAck(acked); break;
            case 9 when message.SequenceId is { } next: OnSequence(next); break;
        }
        return true;
    }

    private bool OnHandshakeAnswer(Message message)
    {
        lock (_gate) _resumePending = false;
        if (message.Type != 0 || message.HandshakeError is not null)
        {
            Raise(new ProtocolFailure(DisconnectCauses.Of(DisconnectCauses.Connect, "signalr-handshake"), ClosedByServer: false, Handshake: true));
            lock (_gate) StopTimersLocked();
            return false;
        }
        var replay = new List<string>();
        bool resumed;
        SequencedChannel channel;
        lock (_gate)
        {
            if (_connection is not { } connection) return false;
            resumed = _resuming && _stateful;
            if (!resumed)
            {
                // A new hub connection: nothing of the old one will be resent, and the hub's push numbers start over.
                _sentSeq = 0;
                _unacked.Clear();
                if (_newTokenDropsKept) _traffic.Interrupt();
                _newTokenDropsKept = false;
                _nextReceiveId = 1;
                _latestReceived = 0;
                _lastAckSent = 0;
                if (_established) _pushes.RestartAll();
            }
            else
            {
                replay.Add($"{{\"type\":9,\"sequenceId\":{(_unacked.First is { } first ? first.Value.Id : _sentSeq + 1)}}}{RecordSeparator}");
                replay.AddRange(_unacked.Select(m => m.Frame));
            }
            _established = true;
            _handshaken = true;
            _resumeAttempts = 0;
            channel = _sequenced = new SequencedChannel(this, connection);
            _pingTimer = _time.CreateTimer(_ => Ping(), null, _hub.KeepAliveInterval, _hub.KeepAliveInterval);
            if (_stateful) _ackTimer = _time.CreateTimer(_ => Ack(), null, AckInterval, AckInterval);
            foreach (var frame in replay) connection.Send(frame);
        }
        if (replay.Count > 1) _metrics.Count(MetricNames.MessagesReplayed, replay.Count - 1);
        _traffic.Attach(channel);
        Ready?.Invoke(resumed);
        return true;
    }

    /// <summary>Stateful reconnect: whether a hub message is new (numbered past what we had), or a resend we drop.</summary>
    private bool ShouldProcess()
    {
        lock (_gate)
        {
            if (!_stateful) return true;
            var id = _nextReceiveId++;
            if (id <= _latestReceived) return false;
            _latestReceived = id;
            return true;
        }
    }

    private void OnPush(Message message)
    {
        if (_hub.PushTarget is { } target && !string.Equals(message.Target, target, StringComparison.Ordinal)) return;
        if (_hub.PushSequence is not null && message.PushSeq is { } seq) _pushes.Received(message.Target ?? "", seq);
        else _pushes.Received();
    }

    private void OnClose(Message message)
    {
        // hub-close, hub-close-error, hub-close-reconnect, hub-close-error-reconnect. Without allowReconnect the
        // .NET client stops for good (no automatic reconnect); the runtime does the same with AllowReconnect false.
        var label = "hub-close" + (message.Error is null ? "" : "-error") + (message.AllowReconnect ? "-reconnect" : "");
        lock (_gate) StopTimersLocked();
        Raise(new ProtocolFailure(DisconnectCauses.Of(DisconnectCauses.Server, label), ClosedByServer: true, AllowReconnect: message.AllowReconnect));
    }

    private void OnAck(long acked)
    {
        lock (_gate)
        {
            while (_unacked.First is { } first && first.Value.Id <= acked) _unacked.RemoveFirst();
        }
    }

    private void OnSequence(long next)
    {
        lock (_gate)
        {
            // The hub's next message is numbered `next`; the ones up to what we hold are dropped as they come again.
            if (next < 1 || next > _latestReceived + 1) return; // it would skip messages we never had: keep counting our way
            _nextReceiveId = next;
        }
    }

    private void Ping()
    {
        ITextChannel? connection;
        lock (_gate) connection = _handshaken ? _connection : null;
        connection?.Send(PingRecord);
    }

    private void Ack()
    {
        ITextChannel? connection;
        long latest;
        lock (_gate)
        {
            connection = _handshaken ? _connection : null;
            latest = _latestReceived;
            if (connection is null || latest <= _lastAckSent) return;
            _lastAckSent = latest;
        }
        connection.Send($"{{\"type\":8,\"sequenceId\":{latest}}}{RecordSeparator}");
    }

    private void Watch()
    {
        bool handshaken;
        lock (_gate)
        {
            if (_connection is null || _watchdog is null) return;
            var silent = _time.GetElapsedTime(_lastReceived);
            if (silent < _hub.ServerTimeout)
            {
                _watchdog.Change(_hub.ServerTimeout - silent, Timeout.InfiniteTimeSpan);
                return;
            }
            handshaken = _handshaken;
            StopTimersLocked();
        }
        Raise(handshaken
            ? new ProtocolFailure(DisconnectCauses.Of(DisconnectCauses.Heartbeat, "server-timeout"), ClosedByServer: false, ServerTimeout: true)
            : new ProtocolFailure(DisconnectCauses.Of(DisconnectCauses.Connect, "signalr-handshake-timeout"), ClosedByServer: false, Handshake: true));
    }

    private void Raise(ProtocolFailure failure) => Failed?.Invoke(failure);

    private void StopTimersLocked()
    {
        _pingTimer?.Dispose();
        _pingTimer = null;
        _ackTimer?.Dispose();
        _ackTimer = null;
        _watchdog?.Dispose();
        _watchdog = null;
    }

    /// <summary>The invocation of request <paramref name="seq"/>: <c>{"type":1,"invocationId":"seq","target":M,"arguments":[...]}</c> and the separator.</summary>
    private string Build(long seq, long unixMs)
    {
        var id = seq.ToString(CultureInfo.InvariantCulture);
        var sb = new StringBuilder(Math.Max(_messages.Size, 96));
        sb.Append("{\"type\":1,\"invocationId\":\"").Append(id).Append(_invocationHead);
        if (_hub.Arguments is { } template)
        {
            var head = sb.Length + template.Length + 2;
            sb.Append(template
                .Replace("{seq}", id, StringComparison.Ordinal)
                .Replace("{ts}", unixMs.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal)
                .Replace("{client}", _clientIndex.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal)
                .Replace("{body}", new string('x', Math.Max(0, _messages.Size - head)), StringComparison.Ordinal));
        }
        else
        {
            var pad = Math.Max(0, _messages.Size - sb.Length - 6);
            sb.Append("[\"").Append('x', pad).Append("\"]");
        }
        return sb.Append('}').Append(RecordSeparator).ToString();
    }

    /// <summary>Numbers each invocation sent for stateful reconnect and keeps it until the hub acknowledges it.</summary>
    private sealed class SequencedChannel(SignalRProtocol protocol, ITextChannel inner) : ITextChannel
    {
        public bool Send(string text)
        {
            lock (protocol._gate)
            {
                if (!protocol._stateful) return inner.Send(text);
                if (!inner.Send(text)) return false;
                protocol._unacked.AddLast((++protocol._sentSeq, text));
                if (protocol._unacked.Count > MaxBuffered) protocol._unacked.RemoveFirst();
                return true;
            }
        }
    }

    internal static Uri WithQuery(Uri uri, string name, string value)
    {
        var builder = new UriBuilder(uri);
        var pair = name + "=" + Uri.EscapeDataString(value);
        var query = builder.Query.TrimStart('?');
        builder.Query = query.Length == 0 ? pair : query + "&" + pair;
        return builder.Uri;
    }

    /// <summary>One record of the hub: its type (0 for the handshake answer) and the fields the books need.</summary>
    internal readonly record struct Message(int Type, string? InvocationId, string? Target, string? Error, string? HandshakeError, bool AllowReconnect, long? SequenceId, long? PushSeq)
    {
        public bool IsSequenced => Type is >= 1 and <= 5;

        /// <summary>Reads a record; false when it is not JSON or not an object (counted as a protocol error, the connection kept).</summary>
        public static bool TryRead(ReadOnlySpan<char> record, string? pushSequence, out Message message)
        {
            message = default;
            try
            {
                using var doc = JsonDocument.Parse(record.ToString(), new JsonDocumentOptions { MaxDepth = 32 });
                var root = doc.RootElement;
                if (root.ValueKind != JsonValueKind.Object) return false;
                var type = root.TryGetProperty("type", out var t) && t.ValueKind == JsonValueKind.Number && t.TryGetInt32(out var ti) ? ti : 0;
                long? seq = null;
                if (pushSequence is not null && type == 1 && root.TryGetProperty("arguments", out var args) && args.ValueKind == JsonValueKind.Array
                    && args.GetArrayLength() > 0 && args[0].ValueKind == JsonValueKind.Object && args[0].TryGetProperty(pushSequence, out var s)
                    && s.ValueKind == JsonValueKind.Number && s.TryGetInt64(out var sv) && sv > 0)
                    seq = sv;
                message = new Message(
                    type,
                    Str(root, "invocationId"),
                    Str(root, "target"),
                    type != 0 && root.TryGetProperty("error", out var e) && e.ValueKind != JsonValueKind.Null ? e.ToString() : null,
                    type == 0 && root.TryGetProperty("error", out var he) && he.ValueKind != JsonValueKind.Null ? he.ToString() : null,
                    root.TryGetProperty("allowReconnect", out var ar) && ar.ValueKind == JsonValueKind.True,
                    root.TryGetProperty("sequenceId", out var sq) && sq.ValueKind == JsonValueKind.Number && sq.TryGetInt64(out var sqv) ? sqv : null,
                    seq);
                return true;
            }
            catch (JsonException)
            {
                return false;
            }
        }

        private static string? Str(JsonElement root, string name) =>
            root.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
    }
}
