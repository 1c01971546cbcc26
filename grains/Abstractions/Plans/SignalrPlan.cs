namespace SimCluster.Abstractions.Plans;

/// <summary>
/// <c>protocol: signalr</c>: what each client invokes on the hub and how it keeps its connection, as ASP.NET Core's
/// own client does (docs/protocols.md, signalr). Defaults are the .NET client's.
/// </summary>
[GenerateSerializer, Immutable]
public sealed record SignalrPlan
{
    /// <summary>The hub method each message invokes.</summary>
    [Id(0)] public string Method { get; init; } = "Echo";

    /// <summary>
    /// The invocation's <c>arguments</c>, a JSON array as text, with <c>{seq}</c>, <c>{ts}</c>, <c>{client}</c> and
    /// <c>{body}</c> (padding to <c>messages.size</c>) replaced per message; null = one string argument of <c>messages.size</c>.
    /// </summary>
    [Id(1)] public string? Arguments { get; init; }

    /// <summary>The client sends a ping (type 6) this often.</summary>
    [Id(2)] public TimeSpan KeepAliveInterval { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>Nothing from the hub for this long: the connection is lost (the .NET client's ServerTimeout).</summary>
    [Id(3)] public TimeSpan ServerTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Ask for stateful reconnect in negotiate; when the hub grants it, a reconnect resumes the same connection.</summary>
    [Id(4)] public bool StatefulReconnect { get; init; } = true;

    /// <summary>Connect straight to the WebSocket, without the negotiate request (no connection token: no stateful reconnect).</summary>
    [Id(5)] public bool SkipNegotiation { get; init; }

    /// <summary>Server invocations of this target are counted as pushes; null = every server invocation.</summary>
    [Id(6)] public string? PushTarget { get; init; }

    /// <summary>The field of a push's first argument holding its sequence number (loss, duplicates, reordering per target); null = pushes only counted.</summary>
    [Id(7)] public string? PushSequence { get; init; }
}
