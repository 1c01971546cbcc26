using SimCluster.Abstractions.Plans;

namespace SimCluster.Scenarios;

/// <summary><c>signalr:</c>, the hub method and connection rules of <c>protocol: signalr</c> (docs/protocols.md, signalr).</summary>
public sealed record SignalrSpec
{
    private static readonly SignalrPlan Defaults = new();

    public string Method { get; init; } = Defaults.Method;
    /// <summary>A JSON array with {seq}, {ts}, {client} and {body}; null = one string of messages.size.</summary>
    public string? Arguments { get; init; }
    public TimeSpan KeepAliveInterval { get; init; } = Defaults.KeepAliveInterval;
    public TimeSpan ServerTimeout { get; init; } = Defaults.ServerTimeout;
    public bool StatefulReconnect { get; init; } = Defaults.StatefulReconnect;
    public bool SkipNegotiation { get; init; } = Defaults.SkipNegotiation;
    public string? PushTarget { get; init; }
    public string? PushSequence { get; init; }

    public SignalrPlan ToPlan() => new()
    {
        Method = Method,
        Arguments = Arguments,
        KeepAliveInterval = KeepAliveInterval,
        ServerTimeout = ServerTimeout,
        StatefulReconnect = StatefulReconnect && !SkipNegotiation,
        SkipNegotiation = SkipNegotiation,
        PushTarget = PushTarget,
        PushSequence = PushSequence,
    };

    /// <summary>The placeholders of <see cref="Arguments"/>, each with a stand-in that keeps the JSON checkable.</summary>
    public static readonly IReadOnlyList<(string Name, string StandIn)> Placeholders = [("{seq}", "1"), ("{ts}", "1"), ("{client}", "0"), ("{body}", "x")];
}
