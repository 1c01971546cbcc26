using System.Collections.Concurrent;

namespace SimCluster.Target;

/// <summary>Live counters of the hub: plain fields bumped with Interlocked; the cause dictionary is touched once per disconnect.</summary>
internal sealed class SignalRStats
{
    // Disconnect causes, as the hub sees them in OnDisconnectedAsync.
    internal const string CauseClosed = "closed";
    internal const string CauseClientTimeout = "client-timeout";
    internal const string CauseAuthExpired = "auth-expired";
    internal const string CauseError = "error";

    public long Connections;
    public long Open;
    public long InvocationsReceived;
    public long Invocations;
    public long MethodErrors;
    public long Completions;
    public long CompletionErrors;
    public long PingsReceived;
    public long StatefulReconnects;
    public long PushesSent;
    public long PushesNotSent;
    public long PushGaps;
    public long TokensAccepted;
    public long TokensRefused;
    public long Unauthorized;

    private readonly ConcurrentDictionary<string, long> _disconnects = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, long> _invocationsByAgent = new(StringComparer.Ordinal);

    /// <summary>Distinct user agents counted apart at most; any further one counts as "other" (a client cannot grow the books).</summary>
    internal const int MaxAgents = 16;

    /// <summary>An invocation that reached a hub method, by the product its connection's User-Agent names ("none" without one).</summary>
    public void RecordInvocation(string? userAgent)
    {
        var agent = AgentOf(userAgent);
        if (!_invocationsByAgent.ContainsKey(agent) && _invocationsByAgent.Count >= MaxAgents)
        {
            agent = "other";
        }

        _invocationsByAgent.AddOrUpdate(agent, 1, static (_, n) => n + 1);
    }

    /// <summary>The product of a User-Agent: what comes before its first '/' ("Microsoft SignalR" of the .NET client's), at most 40 characters.</summary>
    internal static string AgentOf(string? userAgent)
    {
        if (string.IsNullOrWhiteSpace(userAgent))
        {
            return "none";
        }

        var slash = userAgent.IndexOf('/', StringComparison.Ordinal);
        var product = (slash < 0 ? userAgent : userAgent[..slash]).Trim();
        return product.Length == 0 ? "none" : product.Length <= 40 ? product : product[..40];
    }

    public void RecordDisconnect(string cause) => _disconnects.AddOrUpdate(cause, 1, static (_, n) => n + 1);

    public long DisconnectsBy(string cause) => _disconnects.TryGetValue(cause, out var n) ? n : 0;

    public TargetSignalRStats Snapshot(SignalRTargetOptions options, bool authOn, bool closeOnExpiry) => new()
    {
        Path = options.Path,
        Connections = Interlocked.Read(ref Connections),
        Open = Interlocked.Read(ref Open),
        Disconnects = new Dictionary<string, long>(_disconnects, StringComparer.Ordinal),
        InvocationsReceived = Interlocked.Read(ref InvocationsReceived),
        Invocations = Interlocked.Read(ref Invocations),
        MethodErrors = Interlocked.Read(ref MethodErrors),
        Completions = Interlocked.Read(ref Completions),
        CompletionErrors = Interlocked.Read(ref CompletionErrors),
        PingsReceived = Interlocked.Read(ref PingsReceived),
        Evictions = DisconnectsBy(CauseClientTimeout),
        StatefulReconnects = Interlocked.Read(ref StatefulReconnects),
        PushesSent = Interlocked.Read(ref PushesSent),
        PushesNotSent = Interlocked.Read(ref PushesNotSent),
        PushGaps = Interlocked.Read(ref PushGaps),
        InvocationsByAgent = new Dictionary<string, long>(_invocationsByAgent, StringComparer.Ordinal),
        ExpiredCloses = DisconnectsBy(CauseAuthExpired),
        TokensAccepted = Interlocked.Read(ref TokensAccepted),
        TokensRefused = Interlocked.Read(ref TokensRefused),
        Unauthorized = Interlocked.Read(ref Unauthorized),
        KeepAliveIntervalMs = options.KeepAliveInterval.TotalMilliseconds,
        ClientTimeoutMs = options.ClientTimeout.TotalMilliseconds,
        PushIntervalMs = options.PushInterval.TotalMilliseconds,
        PushCount = options.PushCount,
        StatefulReconnect = options.StatefulReconnect,
        StatefulReconnectBufferSize = options.StatefulReconnectBufferSize,
        ReconnectWindowMs = options.ReconnectWindow.TotalMilliseconds,
        Auth = authOn,
        CloseOnAuthenticationExpiration = authOn && closeOnExpiry,
    };
}

/// <summary>
/// The <c>signalr</c> section of <c>GET /stats</c>: the hub's own ground truth. Every connection the hub saw
/// (<see cref="Connections"/>, OnConnectedAsync) is open or counted once in <see cref="Disconnects"/>.
/// </summary>
public sealed record TargetSignalRStats
{
    public string Path { get; init; } = "";

    /// <summary>OnConnectedAsync calls: hub connections made (a stateful reconnect is not a new one).</summary>
    public long Connections { get; init; }

    public long Open { get; init; }

    /// <summary>OnDisconnectedAsync by cause: closed (no error), client-timeout (ClientTimeoutInterval), auth-expired (the token's exp had passed: CloseOnAuthenticationExpiration), error (the transport failed).</summary>
    public Dictionary<string, long> Disconnects { get; init; } = new();

    /// <summary>Invocation messages (type 1) parsed off the wire, unknown methods included; a message a stateful reconnect resent is counted again.</summary>
    public long InvocationsReceived { get; init; }

    /// <summary>Invocations that reached a hub method (the hub filter): unknown methods and resent duplicates never do.</summary>
    public long Invocations { get; init; }

    /// <summary>Hub methods that threw.</summary>
    public long MethodErrors { get; init; }

    /// <summary>Completion messages (type 3) the hub wrote, once each however often stateful reconnect replayed them.</summary>
    public long Completions { get; init; }

    /// <summary>Completions carrying an error: unknown methods, bad arguments, methods that threw.</summary>
    public long CompletionErrors { get; init; }

    /// <summary>Ping messages (type 6) received from clients.</summary>
    public long PingsReceived { get; init; }

    /// <summary>Connections dropped by ClientTimeoutInterval (the same as disconnects["client-timeout"]).</summary>
    public long Evictions { get; init; }

    /// <summary>Stateful reconnects the hub accepted (IStatefulReconnectFeature.OnReconnected).</summary>
    public long StatefulReconnects { get; init; }

    /// <summary><c>push</c> invocations handed to a connection.</summary>
    public long PushesSent { get; init; }

    /// <summary>
    /// Pushes skipped because the connection's previous push was still waiting: its stateful-reconnect buffer was
    /// full (SignalR then holds sends until the client acks) or its socket was slow. Each skipped push keeps its
    /// seq, so a client sees exactly this many gaps. SignalR itself drops nothing from the buffer and exposes no
    /// count of what it held; this is what the hub could not deliver.
    /// </summary>
    public long PushesNotSent { get; init; }

    /// <summary>
    /// Pushes not sent (<see cref="PushesNotSent"/>) that a later push to the same connection went out after: the
    /// gaps a client that received every push sent sees, so its reported pushes lost must equal this. Skips after a
    /// connection's last push are not gaps anyone can see.
    /// </summary>
    public long PushGaps { get; init; }

    /// <summary>Invocations that reached a hub method, by the product the connection's User-Agent names: "Microsoft SignalR" for the .NET client, "none" without a User-Agent (SimCluster sends none).</summary>
    public Dictionary<string, long> InvocationsByAgent { get; init; } = new();

    /// <summary>Connections closed because their token expired (the same as disconnects["auth-expired"]).</summary>
    public long ExpiredCloses { get; init; }

    /// <summary>Requests to the hub (negotiate and connect each) whose token JwtBearer accepted.</summary>
    public long TokensAccepted { get; init; }

    /// <summary>Requests to the hub whose token JwtBearer refused (bad signature, expired, malformed).</summary>
    public long TokensRefused { get; init; }

    /// <summary>Requests to the hub answered 401 (no token, or a refused one).</summary>
    public long Unauthorized { get; init; }

    public double KeepAliveIntervalMs { get; init; }
    public double ClientTimeoutMs { get; init; }
    public double PushIntervalMs { get; init; }
    public long PushCount { get; init; }
    public bool StatefulReconnect { get; init; }
    public long StatefulReconnectBufferSize { get; init; }
    public double ReconnectWindowMs { get; init; }
    public bool Auth { get; init; }
    public bool CloseOnAuthenticationExpiration { get; init; }
}
