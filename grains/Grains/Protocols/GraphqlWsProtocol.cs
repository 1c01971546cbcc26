using System.Text;
using System.Text.Json;
using SimCluster.Abstractions.Metrics;
using SimCluster.Abstractions.Plans;
using SimCluster.Grains.Metrics;
using SimCluster.Transport;

namespace SimCluster.Grains.Protocols;

/// <summary>
/// GraphQL over WebSocket, the <c>graphql-transport-ws</c> subprotocol of graphql-ws 5+ (its PROTOCOL.md), client
/// side. The upgrade offers the subprotocol; on the open socket the client writes <c>connection_init</c> (with the
/// token in its payload for <c>auth.send: protocol</c>), waits for <c>connection_ack</c>, then subscribes once with
/// the scenario's operation. Each <c>next</c> is a server push (<see cref="PushTraffic"/>), numbered by the field at
/// <see cref="GraphqlWsPlan.SequencePath"/>; <c>error</c> and <c>complete</c> end the operation. A server <c>ping</c>
/// is answered with a <c>pong</c>; the client's own pings are the app-level heartbeat. Every reconnect subscribes
/// again: the server starts a new stream, so what the old one never delivered is lost.
/// </summary>
public sealed class GraphqlWsProtocol : IProtocol, IAppHeartbeat, ITokenCarrier
{
    public const string SubProtocol = "graphql-transport-ws";

    private readonly GraphqlWsPlan _plan;
    private readonly GroupRecorder _metrics;
    private readonly TimeProvider _time;
    private readonly PushTraffic _pushes;
    private readonly object _gate = new();
    /// <summary>Null: the scenario gave no query, so a connection inits and pings and subscribes to nothing.</summary>
    private readonly string? _subscribePayload;

    private ITextChannel? _connection;
    private string? _token;
    private long _initSentAt;
    private bool _acked;
    /// <summary>The id of this connection's subscription, while it runs (null: none, or the server ended it).</summary>
    private string? _active;
    private long _nextId;

    public GraphqlWsProtocol(GraphqlWsPlan plan, GroupRecorder metrics, TimeProvider time)
    {
        _plan = plan;
        _metrics = metrics;
        _time = time;
        _pushes = new PushTraffic(metrics);
        _subscribePayload = plan.Query is null ? null : SubscribePayload(plan);
    }

    /// <summary>connection_ack comes first: the subscription is written after it.</summary>
    public bool ReadyOnAttach => false;

    /// <summary>Raised with false on every ack: the server never resumes a graphql-ws connection.</summary>
    public event Action<bool>? Ready;

    /// <summary>Nothing is replayed: a new connection is a new subscription.</summary>
    public bool Resumes => false;

    /// <summary>Offers graphql-transport-ws; a server that does not speak it closes 4406 (or picks another, which fails the upgrade).</summary>
    public ConnectOptions PrepareUpgrade(ConnectOptions options) => options.Offer([SubProtocol]);

    IAppHeartbeat? IProtocol.Heartbeat => this;

    /// <summary>A token is renewed by reconnecting (a new connection_init): the protocol has no in-band refresh.</summary>
    public IRefreshFrames? RefreshFrames => null;

    ITokenCarrier? IProtocol.Tokens => this;

    /// <summary>The token rides in the next connection_init's payload; the upgrade request is unchanged.</summary>
    public ConnectOptions Carry(ConnectOptions options, string token)
    {
        lock (_gate) _token = token;
        return options;
    }

    public event Action<long>? PongSeen;

    /// <summary><c>{"type":"ping","payload":{"ts":T}}</c>: graphql-ws servers hand the payload back in their pong.</summary>
    public void SendPing(long timestamp)
    {
        ITextChannel? connection;
        lock (_gate) connection = _connection;
        connection?.Send($"{{\"type\":\"ping\",\"payload\":{{\"ts\":{timestamp}}}}}");
    }

    public int Pending => 0;

    /// <summary>Nothing is sent on a schedule: the server pushes.</summary>
    public void Schedule(long start, long end) { }

    public void Attach(ITextChannel connection)
    {
        string? init = null;
        lock (_gate)
        {
            _connection = connection;
            _acked = false;
            _active = null;
            if (_plan.SendInit)
            {
                init = InitFrame(_token);
                _initSentAt = _time.GetTimestamp();
            }
        }
        if (init is not null) connection.Send(init);
    }

    /// <summary>The connection ended: its stream is over, and what it never delivered is lost.</summary>
    public bool RefusesCredentials(int? closeCode) => GraphqlWsCloseCodes.IsAuthRejection(closeCode);

    public string? CloseCodeName(int? closeCode) => GraphqlWsCloseCodes.Name(closeCode);

    public void Detach()
    {
        lock (_gate)
        {
            _connection = null;
            _acked = false;
            _active = null;
        }
        _pushes.RestartAll();
    }

    public void StopSending() { }

    public void Abandon() => Detach();

    public Task DrainAsync(TimeSpan grace) => Task.CompletedTask;

    public void OnText(string text)
    {
        if (!TryRead(text, _plan.SequencePath, out var frame))
        {
            _metrics.Count(MetricNames.GraphqlProtocolErrors);
            return;
        }
        switch (frame.Type)
        {
            case "connection_ack": OnAck(); break;
            case "ping": Reply("{\"type\":\"pong\"}"); break;
            case "pong":
                if (frame.Ts is { } ts) PongSeen?.Invoke(ts);
                break;
            case "next": OnNext(frame); break;
            case "error": if (Ends(frame.Id)) _metrics.Count(MetricNames.GraphqlErrors); break;
            case "complete": if (Ends(frame.Id)) _metrics.Count(MetricNames.GraphqlCompletes); break;
            default: _metrics.Count(MetricNames.GraphqlProtocolErrors); break;
        }
    }

    private void OnAck()
    {
        ITextChannel? connection;
        string id;
        lock (_gate)
        {
            connection = _connection;
            if (connection is null || _acked) return;
            _acked = true;
            _metrics.Count(MetricNames.GraphqlAcks);
            if (_plan.SendInit) _metrics.Record(MetricNames.GraphqlAckTime, _time.GetElapsedTime(_initSentAt));
            if (_subscribePayload is null)
            {
                id = "";
            }
            else
            {
                id = (++_nextId).ToString(System.Globalization.CultureInfo.InvariantCulture);
                _active = id;
            }
        }
        Ready?.Invoke(false);
        if (_subscribePayload is null) return;
        connection.Send($"{{\"id\":\"{id}\",\"type\":\"subscribe\",\"payload\":{_subscribePayload}}}");
        _metrics.Count(MetricNames.GraphqlSubscribes);
    }

    private void OnNext(Frame frame)
    {
        lock (_gate)
        {
            if (_active is null || frame.Id != _active)
            {
                _metrics.Count(MetricNames.GraphqlProtocolErrors);
                return;
            }
        }
        if (_plan.SequencePath.Length == 0) _pushes.Received();
        else if (frame.Seq is { } seq) _pushes.Received("subscription", seq);
        else _metrics.Count(MetricNames.GraphqlProtocolErrors);
    }

    /// <summary>The server ended the running operation (error or complete); false for an id that is not running.</summary>
    private bool Ends(string? id)
    {
        lock (_gate)
        {
            if (_active is null || id != _active)
            {
                _metrics.Count(MetricNames.GraphqlProtocolErrors);
                return false;
            }
            _active = null;
            return true;
        }
    }

    private void Reply(string frame)
    {
        ITextChannel? connection;
        lock (_gate) connection = _connection;
        connection?.Send(frame);
    }

    public void Finish() => _pushes.Finish();

    public void Dispose() { }

    internal string InitFrame(string? token)
    {
        if (token is null) return "{\"type\":\"connection_init\"}";
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("type", "connection_init");
            w.WriteStartObject("payload");
            w.WriteString(_plan.TokenField, token);
            w.WriteEndObject();
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    internal static string SubscribePayload(GraphqlWsPlan plan)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("query", plan.Query ?? "");
            if (plan.OperationName is { } name) w.WriteString("operationName", name);
            if (plan.Variables is { } variables)
            {
                w.WritePropertyName("variables");
                using var doc = JsonDocument.Parse(variables); // validated as a JSON object by the scenario binder
                doc.RootElement.WriteTo(w);
            }
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    internal readonly record struct Frame(string Type, string? Id, long? Seq, long? Ts);

    /// <summary>
    /// Reads a server message: its type, id, the whole number at <paramref name="sequencePath"/> under the payload
    /// (for next) and a pong's <c>payload.ts</c>. False: not a JSON object with a string type.
    /// </summary>
    internal static bool TryRead(string text, string[] sequencePath, out Frame frame)
    {
        frame = default;
        try
        {
            using var doc = JsonDocument.Parse(text, new JsonDocumentOptions { MaxDepth = 64 });
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("type", out var type) || type.ValueKind != JsonValueKind.String)
                return false;
            string? id = root.TryGetProperty("id", out var idNode) && idNode.ValueKind == JsonValueKind.String ? idNode.GetString() : null;
            long? seq = null, ts = null;
            if (root.TryGetProperty("payload", out var payload))
            {
                if (sequencePath.Length > 0 && Walk(payload, sequencePath) is { ValueKind: JsonValueKind.Number } s && s.TryGetInt64(out var n)) seq = n;
                if (payload.ValueKind == JsonValueKind.Object && payload.TryGetProperty("ts", out var t) && t.ValueKind == JsonValueKind.Number && t.TryGetInt64(out var at)) ts = at;
            }
            frame = new Frame(type.GetString()!, id, seq, ts);
            return true;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    private static JsonElement? Walk(JsonElement node, string[] path)
    {
        foreach (var name in path)
        {
            if (node.ValueKind != JsonValueKind.Object || !node.TryGetProperty(name, out node)) return null;
        }
        return node;
    }
}

/// <summary>What a graphql-transport-ws close code says about the connection it ended.</summary>
public enum GraphqlWsCloseKind
{
    /// <summary>Not one of the protocol's codes (1000, 1001, 1006, ...): a WebSocket close like any other.</summary>
    Other,
    /// <summary>The server says the client broke the protocol: 4400 bad request, 4401 subscribe before ack, 4409 id in use, 4429 a second init.</summary>
    ClientError,
    /// <summary>4403: the server's onConnect refused connection_init, a missing or bad token.</summary>
    AuthRejection,
    /// <summary>4406: the upgrade did not select graphql-transport-ws.</summary>
    SubprotocolRefused,
    /// <summary>4408: no connection_init within the server's connectionInitWaitTimeout.</summary>
    InitTimeout,
    /// <summary>4500: the server failed on its own side.</summary>
    ServerError,
}

/// <summary>The close codes of graphql-transport-ws (PROTOCOL.md), as the labels of <c>server:close-CODE-NAME</c> disconnect causes.</summary>
public static class GraphqlWsCloseCodes
{
    private static readonly Dictionary<int, (string Name, GraphqlWsCloseKind Kind)> Codes = new()
    {
        [4400] = ("bad-request", GraphqlWsCloseKind.ClientError),            // a message the server could not parse or did not expect
        [4401] = ("unauthorized", GraphqlWsCloseKind.ClientError),           // subscribe before connection_ack
        [4403] = ("forbidden", GraphqlWsCloseKind.AuthRejection),            // the server's onConnect rejected connection_init (a bad token)
        [4406] = ("subprotocol-not-acceptable", GraphqlWsCloseKind.SubprotocolRefused),
        [4408] = ("init-timeout", GraphqlWsCloseKind.InitTimeout),           // no connection_init within the server's connectionInitWaitTimeout
        [4409] = ("subscriber-exists", GraphqlWsCloseKind.ClientError),      // a subscribe with an id already running
        [4429] = ("too-many-init-requests", GraphqlWsCloseKind.ClientError), // a second connection_init
        [4500] = ("internal-error", GraphqlWsCloseKind.ServerError),
    };

    private static readonly Dictionary<int, string> Names = Codes.ToDictionary(c => c.Key, c => c.Value.Name);

    /// <summary>The name of a graphql-transport-ws close code, or null for any other code.</summary>
    public static string? Name(int? code) => code is { } c && Codes.TryGetValue(c, out var entry) ? entry.Name : null;

    /// <summary>What the code says happened; <see cref="GraphqlWsCloseKind.Other"/> for a code the protocol does not define.</summary>
    public static GraphqlWsCloseKind Kind(int? code) => code is { } c && Codes.TryGetValue(c, out var entry) ? entry.Kind : GraphqlWsCloseKind.Other;

    /// <summary>4403: the server refused the client's credentials (counted with the other auth rejections).</summary>
    public static bool IsAuthRejection(int? code) => Kind(code) == GraphqlWsCloseKind.AuthRejection;

    public static IReadOnlyDictionary<int, string> All => Names;
}
