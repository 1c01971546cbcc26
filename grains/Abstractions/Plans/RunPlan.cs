namespace SimCluster.Abstractions.Plans;

/// <summary>
/// A validated scenario, resolved into what the cluster needs to run it: every range, share and default
/// already decided by the CLI. Immutable, so Orleans passes it between local grains without copying.
/// </summary>
[GenerateSerializer, Immutable]
public sealed record RunPlan
{
    [Id(0)] public required string RunId { get; init; }
    [Id(1)] public required string ScenarioName { get; init; }
    [Id(2)] public required long Seed { get; init; }
    [Id(3)] public required string[] TargetUrls { get; init; }
    [Id(4)] public required int Clients { get; init; }
    [Id(5)] public required TimeSpan Duration { get; init; }
    [Id(6)] public TimeSpan RampUp { get; init; }
    /// <summary>The load shape's stages (targets resolved to client counts); empty = <see cref="RampUp"/> then a hold. See <see cref="LoadShape"/>.</summary>
    [Id(60)] public StagePlan[] Stages { get; init; } = [];
    /// <summary>New clients started per second at most (an arrival rate); zero = as fast as the shape plans.</summary>
    [Id(61)] public double ConnectRate { get; init; }
    [Id(7)] public ProtocolKind Protocol { get; init; } = ProtocolKind.Echo;
    [Id(8)] public MessagePlan Messages { get; init; } = new();
    /// <summary>The frames of <c>protocol: json</c>; null for every other protocol.</summary>
    [Id(195)] public JsonPlan? Json { get; init; }
    [Id(9)] public TimeSpan HeartbeatInterval { get; init; }
    /// <summary>No answer to a heartbeat for this long: the client gives up on the connection (zero: never).</summary>
    [Id(41)] public TimeSpan HeartbeatTimeout { get; init; }
    /// <summary>Heartbeats are the session protocol's ping/pong frames instead of WebSocket PINGs.</summary>
    [Id(42)] public bool HeartbeatAppLevel { get; init; }
    [Id(10)] public NetworkPlan Network { get; init; } = new();
    [Id(11)] public ReconnectPlan Reconnect { get; init; } = new();
    [Id(12)] public required GroupPlan[] Groups { get; init; }
    /// <summary>How long clients may take to close cleanly at the end before they are reset.</summary>
    [Id(13)] public TimeSpan StopGrace { get; init; } = TimeSpan.FromSeconds(5);
    [Id(14)] public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(10);
    [Id(15)] public ClientDriver Driver { get; init; } = ClientDrivers.Default;
    /// <summary>When a silo is lost mid-run: re-activate its clients on the surviving silos (true) or only count them as lost.</summary>
    [Id(40)] public bool ReactivateLostClients { get; init; } = true;
    /// <summary>Indices of the clients that keep an event timeline for the report (sorted; empty = none).</summary>
    [Id(16)] public int[] TimelineClients { get; init; } = [];
    /// <summary>Most events one sampled client keeps; later ones are only counted.</summary>
    [Id(17)] public int TimelineEventCap { get; init; } = 500;
    /// <summary>Tokens for the target; null = none.</summary>
    [Id(18)] public AuthPlan? Auth { get; init; }
    /// <summary>The hub method, keep-alive, server timeout and reconnect of <c>protocol: signalr</c>; the defaults otherwise.</summary>
    [Id(190)] public SignalrPlan Signalr { get; init; } = new();
    /// <summary>The Socket.IO side of <c>protocol: socketio</c>; the defaults for any other protocol (unused there).</summary>
    [Id(90)] public SocketioPlan Socketio { get; init; } = new();
    /// <summary>The graphql-ws protocol's operation and options (<c>graphqlWs:</c>); used by <c>protocol: graphql-ws</c> only.</summary>
    [Id(100)] public GraphqlWsPlan GraphqlWs { get; init; } = new();
    /// <summary>The <c>connect:</c> block: subprotocols, headers, Origin and query parameters of every upgrade, whatever the protocol.</summary>
    [Id(210)] public ConnectPlan Connect { get; init; } = new();

    /// <summary>The group a client index belongs to (groups own consecutive index ranges).</summary>
    public GroupPlan GroupOf(int clientIndex)
    {
        foreach (var group in Groups)
        {
            if (clientIndex >= group.FirstClient && clientIndex < group.FirstClient + group.Clients) return group;
        }
        throw new ArgumentOutOfRangeException(nameof(clientIndex), clientIndex, "no group owns this client");
    }
}

[GenerateSerializer, Immutable]
public sealed record MessagePlan
{
    /// <summary>Zero: no application messages.</summary>
    [Id(0)] public TimeSpan Interval { get; init; } = TimeSpan.FromSeconds(1);
    [Id(1)] public int Size { get; init; } = 64;
    [Id(2)] public TimeSpan LossTimeout { get; init; } = TimeSpan.FromSeconds(5);
    /// <summary>Largest message accepted from the server (bytes); a larger frame header resets the connection.</summary>
    [Id(3)] public int MaxReceiveSize { get; init; } = 16 * 1024 * 1024;
}

/// <summary>What a graphql-transport-ws client subscribes to, and how it reads the pushes (docs/protocols.md).</summary>
[GenerateSerializer, Immutable]
public sealed record GraphqlWsPlan
{
    /// <summary>The GraphQL document sent in <c>subscribe</c> (a subscription, or a query answered by one <c>next</c>); null: nothing is subscribed.</summary>
    [Id(0)] public string? Query { get; init; }
    /// <summary>The operation's variables as JSON object text; null: none sent.</summary>
    [Id(1)] public string? Variables { get; init; }
    /// <summary>The operation name; null: none sent.</summary>
    [Id(2)] public string? OperationName { get; init; }
    /// <summary>Property names from a <c>next</c> payload to its sequence number (<c>data.ticks.seq</c>); empty: pushes are only counted.</summary>
    [Id(3)] public string[] SequencePath { get; init; } = [];
    /// <summary>False: never send <c>connection_init</c> (a client the server must close with 4408 after its init timeout).</summary>
    [Id(4)] public bool SendInit { get; init; } = true;
    /// <summary>The <c>connection_init</c> payload property that carries the token (<c>auth.send: protocol</c>).</summary>
    [Id(5)] public string TokenField { get; init; } = "token";
}

[GenerateSerializer, Immutable]
public sealed record NetworkPlan
{
    [Id(0)] public string Profile { get; init; } = "loopback";
    [Id(1)] public TimeSpan Latency { get; init; }
    [Id(2)] public TimeSpan Jitter { get; init; }
    [Id(3)] public long BandwidthDownBps { get; init; }
    [Id(4)] public long BandwidthUpBps { get; init; }
    [Id(5)] public double Loss { get; init; }
    /// <summary>CIDR ranges in 127.0.0.0/8 to spread source addresses over; empty = the default range for loopback targets.</summary>
    [Id(6)] public string[] SourceRanges { get; init; } = [];
}

[GenerateSerializer, Immutable]
public sealed record ReconnectPlan
{
    [Id(0)] public string Policy { get; init; } = "exponential";
    [Id(1)] public TimeSpan Base { get; init; } = TimeSpan.FromMilliseconds(100);
    [Id(2)] public TimeSpan Max { get; init; } = TimeSpan.FromSeconds(30);
    [Id(3)] public JitterKind Jitter { get; init; } = JitterKind.Full;
    /// <summary>0 = unlimited.</summary>
    [Id(4)] public int MaxAttempts { get; init; }
}

[GenerateSerializer, Immutable]
public sealed record DurationRangePlan([property: Id(0)] TimeSpan Min, [property: Id(1)] TimeSpan Max)
{
    public TimeSpan Draw(Random random) =>
        Max <= Min ? Min : Min + TimeSpan.FromTicks((long)(random.NextDouble() * (Max - Min).Ticks));
}

[GenerateSerializer, Immutable]
public sealed record GroupPlan
{
    [Id(0)] public required string Name { get; init; }
    [Id(1)] public required string Behavior { get; init; }
    [Id(2)] public required int FirstClient { get; init; }
    [Id(3)] public required int Clients { get; init; }
    [Id(4)] public FlappingPlan? Flapping { get; init; }
    [Id(5)] public ZombiePlan? Zombie { get; init; }
    [Id(6)] public SwitchingPlan? Switching { get; init; }
    [Id(7)] public MalformedPlan? Malformed { get; init; }
    /// <summary>Set on the healthy canary group split off a malformed group: the name of that attacker group.</summary>
    [Id(8)] public string? CanaryOf { get; init; }
}

/// <summary>Attackers sending malformed input (docs/malformed.md); their canaries are a separate steady group.</summary>
[GenerateSerializer, Immutable]
public sealed record MalformedPlan
{
    /// <summary>Case ids (F01..F25, A01..A08) in the order each attacker cycles through them (offset by its index).</summary>
    [Id(0)] public required string[] Cases { get; init; }
    /// <summary>Multiplies every case deadline (slow links).</summary>
    [Id(2)] public double DeadlineScale { get; init; } = 1.0;
}

[GenerateSerializer, Immutable]
public sealed record SwitchingPlan
{
    /// <summary>Link profile names; each is also a simulated interface with its own source-address range.</summary>
    [Id(0)] public required string[] Interfaces { get; init; }
    [Id(1)] public required DurationRangePlan Every { get; init; }
    [Id(2)] public SwitchMode Mode { get; init; } = SwitchMode.BreakBeforeMake;
    [Id(3)] public TimeSpan Gap { get; init; }
    [Id(4)] public OldPathFate OldPath { get; init; } = OldPathFate.Blackhole;
    /// <summary>Switches keep the address and change only the source port.</summary>
    [Id(5)] public bool NatRebinding { get; init; }
}

[GenerateSerializer, Immutable]
public sealed record ZombiePlan
{
    /// <summary><c>silent-app</c>, <c>app-dead</c>, <c>blackhole</c>, <c>half-close</c>, <c>slow-reader</c>, <c>reset</c>.</summary>
    [Id(0)] public required string Kind { get; init; }
    /// <summary>Healthy time before turning zombie.</summary>
    [Id(1)] public required TimeSpan After { get; init; }
    /// <summary>How long to wait for the server to give up before counting the zombie as undetected.</summary>
    [Id(2)] public required TimeSpan ObserveFor { get; init; }
    /// <summary>The bound the server promises; detections within it are counted separately.</summary>
    [Id(3)] public TimeSpan? ExpectDetectWithin { get; init; }
    [Id(4)] public long ReadBytesPerSecond { get; init; } = 64;
}

[GenerateSerializer, Immutable]
public sealed record FlappingPlan
{
    [Id(0)] public required DurationRangePlan Up { get; init; }
    [Id(1)] public required DurationRangePlan Down { get; init; }
    /// <summary>Several mean a seeded mix.</summary>
    [Id(2)] public required DropMode[] Drops { get; init; }
    /// <summary>0 = flap until the run ends.</summary>
    [Id(3)] public int Cycles { get; init; }
}

/// <summary>
/// Tokens (resilience test 10). The plan never carries key material: only the name of the environment
/// variable or the path of the file holding it, read by each silo itself.
/// </summary>
[GenerateSerializer, Immutable]
public sealed record AuthPlan
{
    /// <summary>JWTs signed here, or fetched from <see cref="TokenUrl"/>.</summary>
    [Id(0)] public TokenSourceKind Source { get; init; } = TokenSourceKind.Minted;
    /// <summary>HS256/384/512 or RS256/384/512.</summary>
    [Id(1)] public string Algorithm { get; init; } = "HS256";
    [Id(2)] public string? KeyEnv { get; init; }
    /// <summary>An absolute path.</summary>
    [Id(3)] public string? KeyFile { get; init; }
    [Id(4)] public TimeSpan Lifetime { get; init; } = TimeSpan.FromSeconds(60);
    [Id(5)] public string? TokenUrl { get; init; }
    [Id(6)] public TokenPlacement Send { get; init; } = TokenPlacement.Query;
    [Id(7)] public RefreshMode RefreshMode { get; init; } = RefreshMode.InBand;
    /// <summary>How long before expiry the client refreshes.</summary>
    [Id(8)] public TimeSpan Before { get; init; } = TimeSpan.FromSeconds(10);
    /// <summary>Failure injection: refresh this long after expiry instead (null = on time).</summary>
    [Id(9)] public TimeSpan? Late { get; init; }
    /// <summary>How long to wait for auth.refreshed / auth.rejected.</summary>
    [Id(10)] public TimeSpan RefreshTimeout { get; init; } = TimeSpan.FromSeconds(5);
    /// <summary>Failure injection: share (0..1) of tokens signed with a wrong key.</summary>
    [Id(11)] public double BadSignature { get; init; }
    /// <summary>Failure injection: the client's clock is this far off (positive = ahead, negative = behind).</summary>
    [Id(12)] public TimeSpan ClockOffset { get; init; }
    /// <summary>Failure injection: every token expires on the same instants (multiples of the lifetime), a refresh storm.</summary>
    [Id(13)] public bool AlignedExpiry { get; init; }
    /// <summary>Failure injection: after each in-band refresh, offer the previous token again (a replay).</summary>
    [Id(14)] public bool ReplayOld { get; init; }
    /// <summary>Bound on one token request to <see cref="TokenUrl"/>.</summary>
    [Id(15)] public TimeSpan FetchTimeout { get; init; } = TimeSpan.FromSeconds(5);
    /// <summary>
    /// In-band refresh for servers that do not speak the session protocol: the text frame to send, with
    /// <c>{token}</c> where the new token goes; null = the session protocol's auth.refresh frame.
    /// </summary>
    [Id(16)] public string? RefreshMessage { get; init; }
    /// <summary>With <see cref="RefreshMessage"/>: a server text frame containing this acknowledges the refresh.</summary>
    [Id(17)] public string? RefreshedWhen { get; init; }
    /// <summary>With <see cref="RefreshMessage"/>: a server text frame containing this rejects it (optional).</summary>
    [Id(18)] public string? RejectedWhen { get; init; }
}

/// <summary>The <c>socketio:</c> block: where and what a Socket.IO client speaks.</summary>
[GenerateSerializer, Immutable]
public sealed record SocketioPlan
{
    /// <summary>The namespace every client connects to (<c>/</c> is the main one).</summary>
    [Id(0)] public string Namespace { get; init; } = "/";
    /// <summary>The Engine.IO path on the target (the server's <c>path</c> option).</summary>
    [Id(1)] public string Path { get; init; } = "/socket.io/";
    /// <summary>The event each paced message is emitted as.</summary>
    [Id(2)] public string Event { get; init; } = "message";
    /// <summary>The server-emitted events whose first argument carries a sequence number, one stream each; empty: pushes are only counted.</summary>
    [Id(3)] public string[] PushEvents { get; init; } = [];
    /// <summary>The field of the push events' first argument that holds the sequence number.</summary>
    [Id(4)] public string? PushSequence { get; init; }
    /// <summary>Connection state recovery: keep the server's pid and the last offset, present them on reconnect.</summary>
    [Id(5)] public bool Recovery { get; init; }
    /// <summary>
    /// The event's arguments after its name, a JSON array as text with <c>{seq}</c>, <c>{ts}</c>, <c>{client}</c> and
    /// <c>{body}</c> (padding to <c>messages.size</c>) filled per message; null: one object <c>{"seq","t","p"}</c>.
    /// </summary>
    [Id(6)] public string? Args { get; init; }
    /// <summary>Each event asks for an ack (<c>42&lt;id&gt;[...]</c>, the request books); false: emitted without one, only counted.</summary>
    [Id(7)] public bool Ack { get; init; } = true;
}
