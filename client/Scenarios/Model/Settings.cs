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
