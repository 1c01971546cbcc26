namespace SimCluster.Abstractions.Plans;

// The closed choices of a scenario, shared by the scenario model, the RunPlan and the grains. Their
// spelling in files, schema and reports is the member name in kebab case (Spelling).

/// <summary>What runs on an open connection (the protocol registry's names).</summary>
public enum ProtocolKind
{
    /// <summary>Any echo server: each message comes back unchanged.</summary>
    Echo,
    /// <summary>Session protocol v1 (docs/session-protocol.md): sequence numbers, acks, replay across reconnects.</summary>
    Session,
    /// <summary>Connect only; no application messages.</summary>
    None,
    /// <summary>ASP.NET Core SignalR, JSON hub protocol v1: negotiate, handshake, invocations and completions, pings, stateful reconnect.</summary>
    Signalr,
    /// <summary>Any request/response protocol over text frames, described by the scenario's <c>json</c> block (<see cref="JsonPlan"/>).</summary>
    Json,
    /// <summary>Socket.IO v5 over Engine.IO v4 on a WebSocket: namespace connect, acked events, server pings, connection state recovery.</summary>
    Socketio,
    /// <summary>GraphQL over WebSocket, the graphql-transport-ws subprotocol (graphql-ws 5+): init/ack, subscribe, next, complete.</summary>
    GraphqlWs,
}

/// <summary>Which code drives a simulated client's WebSocket above our connector and fault stream.</summary>
public enum ClientDriver
{
    /// <summary>Websocket.Client over our connection factory.</summary>
    WebsocketClient,
    /// <summary>
    /// A minimal receive loop of our own (the default): the same connector, faults and events, about 30 KB less per
    /// client (Websocket.Client keeps a 16 KB receive buffer and two send queues per connection).
    /// </summary>
    Lean,
}

/// <summary>The driver a scenario gets when it names none.</summary>
public static class ClientDrivers
{
    /// <summary>
    /// <see cref="ClientDriver.Lean"/>: on one silo it holds 15,000 clients and more, where Websocket.Client's
    /// per-connection receive array and send queues do not (docs/benchmarks.md, "The default driver").
    /// </summary>
    public const ClientDriver Default = ClientDriver.Lean;
}

/// <summary>How a deliberate drop ends a connection.</summary>
public enum DropMode
{
    /// <summary>A clean WebSocket close handshake (1000).</summary>
    Close,
    /// <summary>An abrupt TCP RST, no close frame.</summary>
    Reset,
    /// <summary>Silence both ways, no FIN: the server only notices through its own timeouts.</summary>
    Blackhole,
}

/// <summary>Whether a handover opens the new path before or after the old one goes.</summary>
public enum SwitchMode { BreakBeforeMake, MakeBeforeBreak }

/// <summary>What happens to the old connection at a handover.</summary>
public enum OldPathFate
{
    /// <summary>It dies silently (the realistic default: the server never hears about it).</summary>
    Blackhole,
    /// <summary>A TCP RST.</summary>
    Reset,
    /// <summary>A TCP FIN without a WebSocket close.</summary>
    Fin,
}

/// <summary>Backoff jitter as in the AWS architecture blog: none, equal (half fixed, half random), full (0..delay).</summary>
public enum JitterKind { None, Equal, Full }

/// <summary>How a client renews its token: an auth.refresh frame on the open connection, a new connection, or not at all.</summary>
public enum RefreshMode { InBand, Reconnect, None }

/// <summary>
/// Where the token goes: <c>?token=</c> or <c>Authorization: Bearer</c> in the upgrade request, or wherever the
/// protocol itself carries it (<see cref="ProtocolTraits.CarriesTokens"/>: SignalR's <c>access_token</c> query, Socket.IO's
/// auth payload, graphql-transport-ws's <c>connection_init</c> payload).
/// </summary>
public enum TokenPlacement { Query, Header, Protocol }

/// <summary>Where tokens come from: signed here, or fetched from a token URL.</summary>
public enum TokenSourceKind { Minted, Url }
