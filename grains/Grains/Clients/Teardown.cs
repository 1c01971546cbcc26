namespace SimCluster.Grains.Clients;

/// <summary>What the client does to the socket of a connection it ends (the <c>how</c> of <see cref="ClientRuntime.EndConnection"/>).</summary>
public enum TeardownKind
{
    /// <summary>The connection already ended (the server closed it, or it was lost): nothing left to do to the socket.</summary>
    Gone,
    /// <summary>A WebSocket close handshake (1000).</summary>
    Close,
    /// <summary>An abrupt TCP RST, no close frame.</summary>
    Reset,
    /// <summary>Silence both ways, no FIN; the socket is held until the server gives up (<c>dead_connection_hold_time</c>).</summary>
    Blackhole,
    /// <summary>A TCP FIN without a WebSocket close.</summary>
    Fin,
    /// <summary>The socket and its traffic stay as they are (a zombie): the behaviour acts on it and lets it go later.</summary>
    Keep,
    /// <summary>The end of the run: the traffic drains, then a close handshake.</summary>
    Drain,
}

/// <param name="Reason">The close frame's reason, for <see cref="TeardownKind.Close"/> and <see cref="TeardownKind.Drain"/>.</param>
public readonly record struct Teardown(TeardownKind Kind, string? Reason = null)
{
    public static readonly Teardown Gone = new(TeardownKind.Gone);
    public static readonly Teardown Reset = new(TeardownKind.Reset);
    public static readonly Teardown Blackhole = new(TeardownKind.Blackhole);
    public static readonly Teardown Fin = new(TeardownKind.Fin);
    public static readonly Teardown Keep = new(TeardownKind.Keep);

    public static Teardown Close(string reason) => new(TeardownKind.Close, reason);

    public static Teardown Drain(string reason) => new(TeardownKind.Drain, reason);
}
