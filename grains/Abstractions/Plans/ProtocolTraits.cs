namespace SimCluster.Abstractions.Plans;

/// <summary>What the scenario validator must know of a protocol before any grain exists.</summary>
public static class ProtocolTraits
{
    /// <summary>
    /// The protocol has a place of its own for the client's token (SignalR's <c>access_token</c> query, Socket.IO's
    /// auth payload, graphql-transport-ws's <c>connection_init</c> payload), so <c>auth.send: protocol</c> means something.
    /// </summary>
    public static bool CarriesTokens(this ProtocolKind kind) => kind switch
    {
        ProtocolKind.Signalr => true,
        ProtocolKind.Socketio => true,
        ProtocolKind.GraphqlWs => true,
        _ => false,
    };
}
