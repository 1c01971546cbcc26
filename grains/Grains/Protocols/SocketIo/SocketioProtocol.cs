using System.Text.Json;
using SimCluster.Abstractions.Metrics;
using SimCluster.Abstractions.Plans;
using SimCluster.Grains.Auth;
using SimCluster.Grains.Metrics;
using SimCluster.Transport;

namespace SimCluster.Grains.Protocols.SocketIo;

/// <summary>
/// Socket.IO protocol v5 over Engine.IO v4 on a WebSocket (<c>/socket.io/?EIO=4&amp;transport=websocket</c>), client side.
/// The server opens with <c>0{sid,pingInterval,pingTimeout,maxPayload}</c>; the client connects its namespace with
/// <c>40{auth}</c> (the token, and with recovery the <c>pid</c> and last <c>offset</c> it holds) and is ready when the
/// server answers <c>40{sid,pid}</c>, refused by <c>44{message}</c> (a <see cref="SocketioRefusal"/>). Paced messages
/// are events (<see cref="SocketioFrames"/>), asking for an ack (<c>42&lt;id&gt;["event",...]</c>, answered
/// <c>43&lt;id&gt;[...]</c>) on <see cref="RequestTraffic"/> unless the scenario says not to; events the server emits
/// are <see cref="PushTraffic"/>. The server pings (<c>2</c>), the client pongs (<c>3</c>) and, like the real client,
/// gives the connection up when no ping came within pingInterval + pingTimeout.
/// </summary>
public sealed class SocketioProtocol : IProtocol, ITokenCarrier
{
    /// <summary>Engine.IO v4's defaults, used until the open packet says otherwise.</summary>
    internal static readonly TimeSpan DefaultPingInterval = TimeSpan.FromMilliseconds(25_000);
    internal static readonly TimeSpan DefaultPingTimeout = TimeSpan.FromMilliseconds(20_000);
    /// <summary>Requests kept for replay across reconnects at most (recovery on); older ones are only counted by the books.</summary>
    internal const int MaxReplayed = 4_096;

    private readonly SocketioPlan _plan;
    private readonly GroupRecorder _metrics;
    private readonly TimeProvider _time;
    private readonly RequestTraffic _requests;
    private readonly PushTraffic _pushes;
    private readonly SocketioFrames _frames;
    private readonly object _gate = new();
    /// <summary>With recovery: the frames of unanswered requests, replayed after a reconnect (the client's buffer).</summary>
    private readonly SortedDictionary<long, string> _unanswered = [];

    private ITextChannel? _connection;
    private ITimer? _watchdog;
    private bool _opened;
    private bool _connected;
    private bool _abandoned;
    private string? _token;
    private string? _pid;
    private string? _offset;
    /// <summary>The server speaks first: an open packet read before <see cref="Attach"/> ran (the receive loop is already going), handled by Attach.</summary>
    private string? _earlyOpen;
    private TimeSpan _pingInterval = DefaultPingInterval;
    private TimeSpan _pingTimeout = DefaultPingTimeout;

    public SocketioProtocol(SocketioPlan plan, MessagePlan messages, GroupRecorder metrics, TimeProvider time, Random random, int clientIndex = 0)
    {
        _plan = plan;
        _metrics = metrics;
        _time = time;
        _frames = new SocketioFrames(plan.Namespace, plan.Event, plan.Args, messages.Size, clientIndex);
        _requests = new RequestTraffic(messages, metrics, time, random, Build, keepAcrossReconnects: plan.Recovery && plan.Ack, expectReplies: plan.Ack);
        _pushes = new PushTraffic(metrics);
    }

    /// <summary>The open packet and the namespace connect come first.</summary>
    public bool ReadyOnAttach => false;

    public event Action<bool>? Ready;

    /// <summary>A refused namespace connect, a namespace the server disconnected, a server that stopped pinging: the client ends the connection with the cause and reconnects.</summary>
    public event Action<ProtocolFailure>? Failed;

    /// <summary>With connection state recovery, unanswered events are kept and emitted again after the reconnect.</summary>
    public bool Resumes => _plan.Recovery && _plan.Ack;

    public IAppHeartbeat? Heartbeat => null;

    /// <summary>Tokens are renewed by reconnecting (a new namespace connect with the new auth payload).</summary>
    public IRefreshFrames? RefreshFrames => null;

    public ITokenCarrier? Tokens => this;

    /// <summary>The server's last ping interval and timeout (the open packet's, or the defaults).</summary>
    internal (TimeSpan Interval, TimeSpan Timeout) PingTimes { get { lock (_gate) return (_pingInterval, _pingTimeout); } }

    /// <summary>The private session id and offset a reconnect would present.</summary>
    internal (string? Pid, string? Offset) RecoveryState { get { lock (_gate) return (_pid, _offset); } }

    /// <summary>The Engine.IO path and query on the target's host.</summary>
    public ConnectOptions PrepareUpgrade(ConnectOptions options) => options with { Target = SocketioPacket.UpgradeUri(options.Target, _plan.Path) };

    /// <summary>Kept for the namespace connect's auth payload; the upgrade request is unchanged.</summary>
    public ConnectOptions Carry(ConnectOptions options, string token)
    {
        lock (_gate) _token = token;
        return options;
    }

    public void Schedule(long start, long end) => _requests.Schedule(start, end);

    public void Attach(ITextChannel connection)
    {
        string? early;
        lock (_gate)
        {
            _connection = connection;
            _opened = false;
            _connected = false;
            _abandoned = false;
            _pingInterval = DefaultPingInterval;
            _pingTimeout = DefaultPingTimeout;
            _watchdog?.Dispose();
            _watchdog = _time.CreateTimer(_ => PingTimedOut(connection), null, DefaultPingInterval + DefaultPingTimeout, Timeout.InfiniteTimeSpan);
            early = _earlyOpen;
            _earlyOpen = null;
        }
        if (early is not null) OnOpen(early);
    }

    public void Detach()
    {
        lock (_gate)
        {
            StopLocked();
            if (_plan.Recovery) DropOverdueLocked();
        }
        _requests.Detach();
    }

    public void StopSending() => _requests.StopSending();

    /// <summary>The application died: no more pongs, no timers of its own; in flight is interrupted.</summary>
    public void Abandon()
    {
        lock (_gate)
        {
            _abandoned = true;
            _earlyOpen = null;
            _watchdog?.Dispose();
            _watchdog = null;
            _unanswered.Clear();
        }
        _requests.Abandon();
    }

    public Task DrainAsync(TimeSpan grace) => _requests.DrainAsync(grace);

    public int Pending => _requests.Pending;

    public void Finish()
    {
        lock (_gate) _unanswered.Clear();
        _requests.Finish();
        _pushes.Finish();
    }

    public void Dispose()
    {
        lock (_gate) StopLocked();
        _requests.Dispose();
    }

    private void StopLocked()
    {
        _earlyOpen = null;
        _watchdog?.Dispose();
        _watchdog = null;
        _connection = null;
        _opened = false;
        _connected = false;
    }

    /// <summary>Requests whose window passed are the books' to count lost; they are not emitted again.</summary>
    private void DropOverdueLocked()
    {
        // RequestTraffic restarts every kept window on the next connection, so only the size bound matters here.
        while (_unanswered.Count > MaxReplayed) _unanswered.Remove(_unanswered.Keys.First());
    }

    private string Build(long seq, long unixMs)
    {
        var frame = _frames.Event(seq, unixMs, _plan.Ack);
        if (_plan.Recovery && _plan.Ack)
        {
            lock (_gate)
            {
                _unanswered[seq] = frame;
                if (_unanswered.Count > MaxReplayed) _unanswered.Remove(_unanswered.Keys.First());
            }
        }
        return frame;
    }

    // ------------------------------------------------------------ receiving

    public void OnText(string text)
    {
        if (text.Length == 0)
        {
            Malformed();
            return;
        }
        switch (text[0])
        {
            case '0': OnOpen(text[1..]); break;
            case '1': break; // the server closes the transport: the close frame that follows ends the connection
            case '2': OnPing(text); break;
            case '3': break; // a pong to a ping we never send (v3 servers): nothing to time
            case '4': OnMessage(text.AsSpan(1)); break;
            case '6': break; // noop (polling upgrade only)
            default: Malformed(); break;
        }
    }

    private void OnOpen(string json)
    {
        TimeSpan interval, timeout;
        try
        {
            using var doc = JsonDocument.Parse(json);
            var root = doc.RootElement;
            interval = Millis(root, "pingInterval") ?? DefaultPingInterval;
            timeout = Millis(root, "pingTimeout") ?? DefaultPingTimeout;
        }
        catch (JsonException)
        {
            Malformed();
            return;
        }
        ITextChannel? connection;
        string frame;
        lock (_gate)
        {
            connection = _connection;
            if (connection is null && !_abandoned) _earlyOpen = json;
            if (connection is null || _opened || _abandoned) return;
            _opened = true;
            _pingInterval = interval;
            _pingTimeout = timeout;
            _watchdog?.Change(interval + timeout, Timeout.InfiniteTimeSpan);
            frame = _frames.Connect(AuthPayloadLocked());
        }
        connection.Send(frame);
    }

    private static TimeSpan? Millis(JsonElement root, string name) =>
        root.ValueKind == JsonValueKind.Object && root.TryGetProperty(name, out var v) && v.TryGetInt64(out var ms) && ms > 0 && ms <= int.MaxValue
            ? TimeSpan.FromMilliseconds(ms) : null;

    /// <summary>The namespace connect's auth object: the token, and with recovery the pid and offset held (none on a first connect).</summary>
    private string AuthPayloadLocked() => SocketioFrames.AuthPayload(_token, _plan.Recovery ? _pid : null, _plan.Recovery ? _offset : null);

    private void OnPing(string text)
    {
        ITextChannel? connection;
        lock (_gate)
        {
            connection = _connection;
            if (connection is null || _abandoned) return; // a dead application pongs nothing: the server must evict it
            _watchdog?.Change(_pingInterval + _pingTimeout, Timeout.InfiniteTimeSpan);
        }
        connection.Send(text.Length == 1 ? "3" : "3" + text[1..]);
    }

    private void PingTimedOut(ITextChannel connection)
    {
        lock (_gate)
        {
            if (!ReferenceEquals(_connection, connection) || _abandoned) return;
            _watchdog?.Dispose();
            _watchdog = null;
        }
        _metrics.Count(MetricNames.SocketioPingTimeouts);
        Failed?.Invoke(new ProtocolFailure(DisconnectCauses.Of(DisconnectCauses.Heartbeat, "socketio-ping-timeout"), ClosedByServer: false, ServerTimeout: true));
    }

    private void OnMessage(ReadOnlySpan<char> body)
    {
        if (!SocketioPacket.TryParse(body, out var packet))
        {
            Malformed();
            return;
        }
        if (packet.Namespace != _plan.Namespace) return; // another namespace on the same connection: not ours
        switch (packet.Type)
        {
            case '0': OnConnect(packet.Json); break;
            case '1': OnDisconnect(); break;
            case '2': OnEvent(packet); break;
            case '3': OnAck(packet); break;
            case '4': OnConnectError(packet.Json); break;
            default: Malformed(); break;
        }
    }

    private void OnConnect(string json)
    {
        string? pid;
        try
        {
            using var doc = JsonDocument.Parse(json);
            if (doc.RootElement.ValueKind != JsonValueKind.Object || !doc.RootElement.TryGetProperty("sid", out var sid) || sid.ValueKind != JsonValueKind.String)
            {
                Malformed();
                return;
            }
            pid = doc.RootElement.TryGetProperty("pid", out var p) && p.ValueKind == JsonValueKind.String ? p.GetString() : null;
        }
        catch (JsonException)
        {
            Malformed();
            return;
        }
        ITextChannel? connection;
        bool recovered;
        List<string> replay = [];
        lock (_gate)
        {
            connection = _connection;
            if (connection is null || _connected || _abandoned) return;
            _connected = true;
            // As socket.io-client decides it: recovered when the server kept the pid the client presented.
            recovered = _plan.Recovery && pid is not null && pid == _pid;
            if (_plan.Recovery)
            {
                _pid = pid;
                if (!recovered) _offset = null;
                replay.AddRange(_unanswered.Values);
            }
        }
        if (recovered) _metrics.Count(MetricNames.SocketioRecovered);
        _requests.Attach(connection);
        foreach (var frame in replay) connection.Send(frame); // kept requests: their windows restarted with the attach
        Ready?.Invoke(recovered);
    }

    /// <summary>The server disconnected the namespace (<c>41</c>, e.g. <c>socket.disconnect()</c>): the connection is of no use any more.</summary>
    private void OnDisconnect()
    {
        lock (_gate)
        {
            if (_connection is null || _abandoned) return;
        }
        Failed?.Invoke(new ProtocolFailure(DisconnectCauses.Of(DisconnectCauses.Server, "socketio-disconnect"), ClosedByServer: true));
    }

    private void OnConnectError(string json)
    {
        string? message = null;
        try
        {
            using var doc = JsonDocument.Parse(json.Length == 0 ? "{}" : json);
            if (doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("message", out var m) && m.ValueKind == JsonValueKind.String)
                message = m.GetString();
            else if (doc.RootElement.ValueKind == JsonValueKind.String) message = doc.RootElement.GetString(); // v4 servers
        }
        catch (JsonException)
        {
            Malformed(); // still a refusal: with no readable message, classified as a middleware's
        }
        bool tokened;
        lock (_gate)
        {
            if (_connection is null || _connected || _abandoned) return;
            tokened = _token is not null;
        }
        var refusal = SocketioRefusals.Classify(message);
        _metrics.Count(MetricNames.SocketioConnectErrors);
        if (refusal == SocketioRefusal.Rejected && tokened) _metrics.Count(MetricNames.AuthRejections);
        Failed?.Invoke(new ProtocolFailure(refusal.Cause(), ClosedByServer: false, Handshake: true));
    }

    private void OnEvent(SocketioPacket packet)
    {
        JsonDocument doc;
        try { doc = JsonDocument.Parse(packet.Json); }
        catch (JsonException)
        {
            Malformed();
            return;
        }
        using (doc)
        {
            var args = doc.RootElement;
            if (args.ValueKind != JsonValueKind.Array || args.GetArrayLength() == 0 || args[0].ValueKind != JsonValueKind.String)
            {
                Malformed();
                return;
            }
            var name = args[0].GetString()!;
            var count = args.GetArrayLength();
            lock (_gate)
            {
                if (_abandoned) return;
                // The server appends the offset as the last argument when it keeps sessions for recovery.
                if (_plan.Recovery && _pid is not null && count > 1 && args[count - 1].ValueKind == JsonValueKind.String)
                    _offset = args[count - 1].GetString();
            }
            if (_plan.PushSequence is { } field && Array.IndexOf(_plan.PushEvents, name) >= 0 && count > 1 && args[1].ValueKind == JsonValueKind.Object
                && args[1].TryGetProperty(field, out var seq) && seq.TryGetInt64(out var n))
                _pushes.Received(name, n);
            else _pushes.Received();
        }
        if (packet.Id is { } id)
        {
            ITextChannel? connection;
            lock (_gate) connection = _connection;
            connection?.Send(_frames.Ack(id)); // the application acknowledges what the server asked it to
        }
    }

    private void OnAck(SocketioPacket packet)
    {
        if (packet.Id is not { } id || !_plan.Ack || !_requests.Issued(id))
        {
            Malformed(); // no id, or one this client never sent: it answers nothing
            return;
        }
        lock (_gate) _unanswered.Remove(id);
        try
        {
            using var doc = JsonDocument.Parse(packet.Json);
            if (doc.RootElement.ValueKind != JsonValueKind.Array) throw new JsonException("an ack carries an array");
        }
        catch (JsonException)
        {
            Malformed();
            _requests.Failed(id);
            return;
        }
        _requests.Answered(id);
    }

    private void Malformed() => _metrics.Count(MetricNames.SocketioMalformed);
}
