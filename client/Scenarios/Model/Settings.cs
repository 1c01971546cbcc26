using SimCluster.Abstractions.Plans;

namespace SimCluster.Scenarios;

/// <summary>Application messages each client sends. Every message carries a header, hence the 16-byte minimum.</summary>
public sealed record MessagesSpec
{
    /// <summary>Time between two messages of one client; zero = no application messages.</summary>
    public TimeSpan Interval { get; init; } = TimeSpan.FromSeconds(1);
    /// <summary>Payload bytes, 16 .. 16 MiB.</summary>
    public int Size { get; init; } = 64;
    /// <summary>An echo that has not come back after this long (connection still open) counts as lost.</summary>
    public TimeSpan LossTimeout { get; init; } = TimeSpan.FromSeconds(5);
    /// <summary>
    /// Largest message a client accepts from the server, in bytes (all fragments): a frame header announcing
    /// more resets the connection unread (disconnect cause <c>message-too-big</c>). Bounds the tool's memory
    /// against a hostile server.
    /// </summary>
    public int MaxReceiveSize { get; init; } = MaxSize;

    public const int MinSize = 16;
    public const int MaxSize = 16 * 1024 * 1024;
    public const int MinReceiveSize = 125;
    public const int MaxReceiveSizeLimit = 64 * 1024 * 1024;
}

/// <summary>What a graphql-ws client subscribes to and how it reads the pushes (docs/protocols.md, graphql-ws).</summary>
public sealed record GraphqlWsSpec
{
    /// <summary>The GraphQL document of the <c>subscribe</c> message; null = no subscription (init, ack and pings only).</summary>
    public string? Query { get; init; }
    /// <summary>The operation's variables as JSON object text (checked to be one); null = none.</summary>
    public string? Variables { get; init; }
    public string? OperationName { get; init; }
    /// <summary>Property names from a <c>next</c> payload to its sequence number (<c>data.ticks.seq</c>); empty = pushes only counted.</summary>
    public IReadOnlyList<string> SequencePath { get; init; } = [];
    /// <summary>False: the clients never send connection_init (the server must close them 4408 after its init timeout).</summary>
    public bool SendInit { get; init; } = true;
    /// <summary>The connection_init payload property carrying the token (auth.send: protocol).</summary>
    public string TokenField { get; init; } = "token";
}

public sealed record HeartbeatSpec
{
    /// <summary>Time between client-sent PINGs (heartbeat_rtt); zero = off.</summary>
    public TimeSpan Interval { get; init; } = TimeSpan.Zero;
    /// <summary>How long the client waits for the PONG before it gives the connection up; zero = it never does.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.Zero;
    /// <summary>Send application pings (<c>{"type":"ping"}</c>) instead of WebSocket PING frames.</summary>
    public bool AppLevel { get; init; }
}

/// <summary>
/// Link shaping. <see cref="Profile"/> names a link profile; each inline value, when set, replaces the
/// profile's (null = take the profile's, or no shaping when there is no profile).
/// </summary>
public sealed record NetworkSpec
{
    public string? Profile { get; init; }
    public TimeSpan? Latency { get; init; }
    public TimeSpan? Jitter { get; init; }
    /// <summary>Bits per second.</summary>
    public long? BandwidthDownBps { get; init; }
    /// <summary>Bits per second.</summary>
    public long? BandwidthUpBps { get; init; }
    /// <summary>A fraction: <c>0.2%</c> in the file is 0.002 here.</summary>
    public double? Loss { get; init; }
    /// <summary>CIDR ranges inside 127.0.0.0/8 (for example 127.0.1.0/24) that clients bind their sockets to.</summary>
    public IReadOnlyList<string>? SourceAddresses { get; init; }
}

public sealed record ReconnectSpec
{
    /// <summary>A reconnect policy from the vocabulary: immediate, fixed or exponential.</summary>
    public string Policy { get; init; } = "exponential";
    public TimeSpan Base { get; init; } = TimeSpan.FromMilliseconds(100);
    public TimeSpan Max { get; init; } = TimeSpan.FromSeconds(30);
    public JitterKind Jitter { get; init; } = JitterKind.Full;
    /// <summary>Zero = keep trying until the run ends.</summary>
    public int MaxAttempts { get; init; }
}

/// <summary>
/// Options for the reference target a run starts itself (<c>target: embedded</c>): the server side of the
/// experiment, such as a heartbeat for zombie tests. Null values keep the target's defaults.
/// </summary>
public sealed record EmbeddedTargetSpec
{
    public TimeSpan? HeartbeatInterval { get; init; }
    public TimeSpan? HeartbeatTimeout { get; init; }
    public TimeSpan? EchoDelay { get; init; }
    public int? MaxMessageSize { get; init; }
    /// <summary>Token checks: how far past exp a token is still accepted (and the grace before the 4001 close).</summary>
    public TimeSpan? AuthClockSkew { get; init; }
    /// <summary>Token checks: false = never close a connection when its token expires.</summary>
    public bool? AuthEnforceExpiry { get; init; }
    /// <summary>The target's SignalR hub (protocol: signalr).</summary>
    public EmbeddedSignalRSpec SignalR { get; init; } = new();

    /// <summary>The same settings as `simcluster target` options.</summary>
    public IReadOnlyList<string> ToArguments()
    {
        var args = new List<string>();
        if (HeartbeatInterval is { } hi) args.AddRange(["--heartbeat-interval", Units.FormatDuration(hi)]);
        if (HeartbeatTimeout is { } ht) args.AddRange(["--heartbeat-timeout", Units.FormatDuration(ht)]);
        if (EchoDelay is { } ed) args.AddRange(["--echo-delay", Units.FormatDuration(ed)]);
        if (MaxMessageSize is { } mm) args.AddRange(["--max-message-size", mm.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        if (AuthClockSkew is { } skew) args.AddRange(["--auth-clock-skew", Units.FormatDuration(skew)]);
        if (AuthEnforceExpiry == false) args.Add("--auth-no-expiry");
        args.AddRange(SignalR.ToArguments());
        return args;
    }
}

/// <summary><c>embeddedTarget.signalr</c>: the reference target's SignalR hub. Null values keep the target's defaults.</summary>
public sealed record EmbeddedSignalRSpec
{
    public string? Path { get; init; }
    public TimeSpan? KeepAliveInterval { get; init; }
    public TimeSpan? ClientTimeout { get; init; }
    public TimeSpan? PushInterval { get; init; }
    public bool? StatefulReconnect { get; init; }
    public long? StatefulReconnectBufferSize { get; init; }
    public TimeSpan? ReconnectWindow { get; init; }

    /// <summary>Paths the target serves itself (its WebSocket endpoint and HTTP endpoints); the hub cannot take them.</summary>
    public static readonly string[] ReservedPaths = ["/ws", "/stats", "/metrics", "/health"];

    public const long MaxBufferSize = 1L << 30;

    /// <summary>The target's own defaults (SignalRTargetOptions), for the schema and docs; a test keeps the two equal.</summary>
    public static readonly EmbeddedSignalRSpec TargetDefaults = new()
    {
        Path = "/hub",
        KeepAliveInterval = TimeSpan.FromSeconds(5),
        ClientTimeout = TimeSpan.FromSeconds(30),
        PushInterval = TimeSpan.Zero,
        StatefulReconnect = true,
        StatefulReconnectBufferSize = 100_000,
        ReconnectWindow = TimeSpan.FromSeconds(15),
    };

    public IReadOnlyList<string> ToArguments()
    {
        var args = new List<string>();
        if (Path is { } path) args.AddRange(["--signalr-path", path]);
        if (KeepAliveInterval is { } ka) args.AddRange(["--signalr-keep-alive", Units.FormatDuration(ka)]);
        if (ClientTimeout is { } ct) args.AddRange(["--signalr-client-timeout", Units.FormatDuration(ct)]);
        if (PushInterval is { } pi) args.AddRange(["--signalr-push-interval", Units.FormatDuration(pi)]);
        if (StatefulReconnect == false) args.Add("--signalr-no-stateful-reconnect");
        if (StatefulReconnectBufferSize is { } size) args.AddRange(["--signalr-stateful-buffer", size.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        if (ReconnectWindow is { } rw) args.AddRange(["--signalr-reconnect-window", Units.FormatDuration(rw)]);
        return args;
    }
}

/// <summary>What the report keeps beyond the metrics.</summary>
public sealed record ReportSpec
{
    /// <summary>Clients (sampled deterministically, spread over the groups) whose every state change the report lists; 0 = none.</summary>
    public int Timelines { get; init; } = SimCluster.Abstractions.Plans.TimelineSample.DefaultCount;
    /// <summary>Most events one sampled client keeps; later ones are only counted.</summary>
    public int TimelineEvents { get; init; } = 500;

    public const int MinTimelineEvents = 10;
    public const int MaxTimelineEvents = 100_000;
}

/// <summary><c>socketio:</c> (protocol socketio only): namespace, Engine.IO path, the event each message is (its args, with or without an ack), the server's sequenced pushes, recovery.</summary>
public sealed record SocketioSpec
{
    public string Namespace { get; init; } = "/";
    public string Path { get; init; } = "/socket.io/";
    /// <summary>The event each paced message is emitted as.</summary>
    public string Event { get; init; } = "message";
    /// <summary>The event's arguments, a JSON array template; null: the fixed <c>{"seq","t","p"}</c> object.</summary>
    public string? Args { get; init; }
    /// <summary>Each event asks for an ack the server must answer.</summary>
    public bool Ack { get; init; } = true;
    /// <summary>The server-emitted events checked for a sequence number; empty: every server event is only counted.</summary>
    public IReadOnlyList<string> PushEvents { get; init; } = [];
    /// <summary>The field of those events' first argument holding the sequence number.</summary>
    public string? PushSequence { get; init; }
    /// <summary>Connection state recovery: present pid and offset on reconnect.</summary>
    public bool Recovery { get; init; }

    public const string NamePattern = "^/[A-Za-z0-9._~/-]*$";
    public const string EventPattern = "^[A-Za-z0-9._:-]{1,100}$";
    public const string FieldPattern = "^[A-Za-z_$][A-Za-z0-9_$]{0,99}$";
    /// <summary>Most push events one scenario names (each is a stream of every client's books).</summary>
    public const int MaxPushEvents = 16;
}
