using System.Text.Json;
using System.Text.Json.Serialization;

namespace SimCluster.Target;

/// <summary>
/// Typed form of <c>GET /stats</c>. Closing bookkeeping: every accepted connection that has ended is counted
/// exactly once, in <see cref="TargetCloseStats.ClientInitiated"/>, in <see cref="TargetCloseStats.ServerInitiated"/>
/// (a close code, or an "abort:*" key when the server dropped it without a close handshake), or in
/// <see cref="TargetCloseStats.Aborted"/> when it just ended. Server aborts count in both "abort:*" and Aborted.
/// </summary>
public sealed record TargetStatsSnapshot
{
    public long OpenConnections { get; init; }

    /// <summary>Accepted WebSocket handshakes, total.</summary>
    public long Upgrades { get; init; }

    /// <summary>Requests to the WebSocket path that were not a valid upgrade (answered 400/426/503).</summary>
    public long RejectedHandshakes { get; init; }

    public long MessagesIn { get; init; }
    public long MessagesOut { get; init; }
    public long BytesIn { get; init; }
    public long BytesOut { get; init; }
    public TargetCloseStats Closes { get; init; } = new();
    public TargetSessionStats Sessions { get; init; } = new();
    public TargetAuthStats Auth { get; init; } = new();

    /// <summary>The SignalR hub's own counters.</summary>
    [JsonPropertyName("signalr")]
    public TargetSignalRStats SignalR { get; init; } = new();

    /// <summary>Accepted connections per remote IP; at most 1,000 addresses plus "other".</summary>
    public Dictionary<string, long> SourceAddresses { get; init; } = new();

    public TargetProcessStats Process { get; init; } = new();
    public double UptimeSeconds { get; init; }
    public TargetOptionsSummary Options { get; init; } = new();

    public string ToJson() => JsonSerializer.Serialize(this, TargetStatsJsonContext.Default.TargetStatsSnapshot);

    public static TargetStatsSnapshot FromJson(string json) =>
        JsonSerializer.Deserialize(json, TargetStatsJsonContext.Default.TargetStatsSnapshot)
        ?? throw new JsonException("stats JSON was null");
}

public sealed record TargetCloseStats
{
    /// <summary>Close codes of completed or started close handshakes, whoever sent the first Close frame.</summary>
    public Dictionary<string, long> ByCode { get; init; } = new();

    /// <summary>Server sent the first Close frame (by code), or dropped the connection ("abort:heartbeat", "abort:slow-consumer").</summary>
    public Dictionary<string, long> ServerInitiated { get; init; } = new();

    /// <summary>Client sent the first Close frame (by code; "1005" for a Close without a code).</summary>
    public Dictionary<string, long> ClientInitiated { get; init; } = new();

    /// <summary>Connections that ended with no close handshake (includes server aborts).</summary>
    public long Aborted { get; init; }
}

public sealed record TargetSessionStats
{
    /// <summary>Sessions with a live connection now.</summary>
    public long Active { get; init; }

    /// <summary>Sessions created by a hello the server did not recognise.</summary>
    public long Created { get; init; }

    /// <summary>Hellos answered with resumed:true.</summary>
    public long Resumed { get; init; }

    /// <summary>Sessions dropped because their resume window elapsed.</summary>
    public long Expired { get; init; }

    /// <summary>Hellos with lastSeq &gt; 0 for a session the server did not know (answered resumed:false).</summary>
    public long Forgotten { get; init; }

    public long ReplayedMessages { get; init; }
    public long DuplicatesDropped { get; init; }
    public long SessionBufferOverflows { get; init; }

    /// <summary>Connections replaced by a newer connection of the same session (closed 1000 "superseded").</summary>
    public long Superseded { get; init; }

    /// <summary>Session-protocol frames that were not valid (connection closed 1008).</summary>
    public long InvalidMessages { get; init; }

    /// <summary>Frames with a type the server does not handle (answered with an error frame).</summary>
    public long UnknownTypes { get; init; }

    public long PushedMessages { get; init; }
}

/// <summary>Tokens (when the target checks them): upgrades refused with 401, in-band refreshes, closes for expiry (4001).</summary>
public sealed record TargetAuthStats
{
    public long RejectedHandshakes { get; init; }
    public long Refreshes { get; init; }
    public long RefreshesRejected { get; init; }
    public long ExpiredCloses { get; init; }
}

public sealed record TargetProcessStats
{
    public long RssBytes { get; init; }
    public long ManagedHeapBytes { get; init; }

    /// <summary>GC counts of generations 0, 1 and 2.</summary>
    public long[] GcCollections { get; init; } = [];

    public int ThreadCount { get; init; }
}

public sealed record TargetOptionsSummary
{
    public double HeartbeatIntervalMs { get; init; }
    public double HeartbeatTimeoutMs { get; init; }
    public int MaxMessageSize { get; init; }
    public double EchoDelayMs { get; init; }
    public double PushRate { get; init; }
    public double SessionResumeWindowMs { get; init; }
    public int SessionBufferLimit { get; init; }
    /// <summary>Null when the target does not check tokens.</summary>
    public string? AuthAlgorithm { get; init; }
    public double AuthClockSkewMs { get; init; }
    public bool AuthEnforceExpiry { get; init; }
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, WriteIndented = false)]
[JsonSerializable(typeof(TargetStatsSnapshot))]
internal sealed partial class TargetStatsJsonContext : JsonSerializerContext;
