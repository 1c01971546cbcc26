using SimCluster.Abstractions.Plans;
using SimCluster.Grains.Metrics;
using SimCluster.Grains.Protocols.SocketIo;

namespace SimCluster.Grains.Protocols;

/// <summary>What a protocol is made from: one client's identity, its message plan, its group's recorder, its clock and its seeded random source.</summary>
/// <param name="Json">The json block of the plan (<c>protocol: json</c> only).</param>
/// <param name="Socketio">The socketio block of the plan (<c>protocol: socketio</c> only).</param>
/// <param name="GraphqlWs">The graphqlWs block of the plan (<c>protocol: graphql-ws</c> only).</param>
public sealed record ProtocolContext(int ClientIndex, string SessionId, MessagePlan Messages, GroupRecorder Metrics, TimeProvider Time, Random Random, JsonPlan? Json = null, SocketioPlan? Socketio = null, GraphqlWsPlan? GraphqlWs = null)
{
    /// <summary>The hub method and connection rules of <c>protocol: signalr</c>.</summary>
    public SignalrPlan Signalr { get; init; } = new();
}

/// <summary>Protocols by the plan's <see cref="ProtocolKind"/> (the scenario's <c>protocol</c>).</summary>
public static class ProtocolRegistry
{
    private static readonly Dictionary<ProtocolKind, Func<ProtocolContext, IProtocol>> Factories = new()
    {
        [ProtocolKind.Echo] = c => new EchoProtocol(c.ClientIndex, c.Messages, c.Metrics, c.Time, c.Random),
        [ProtocolKind.Session] = c => new SessionProtocol(c.SessionId, c.Messages, c.Metrics, c.Time, c.Random),
        // Connect only: the plan carries no messages (interval zero), so the echo protocol sends and expects nothing.
        [ProtocolKind.Signalr] = c => new SignalR.SignalRProtocol(c.ClientIndex, c.Signalr, c.Messages, c.Metrics, c.Time, c.Random),
        [ProtocolKind.None] = c => new EchoProtocol(c.ClientIndex, c.Messages, c.Metrics, c.Time, c.Random),
        [ProtocolKind.Json] = c => new JsonProtocol(c.ClientIndex, c.Json ?? throw new ArgumentException("protocol json needs the plan's json block", nameof(c)), c.Messages, c.Metrics, c.Time, c.Random),
        [ProtocolKind.Socketio] = c => new SocketioProtocol(c.Socketio ?? new SocketioPlan(), c.Messages, c.Metrics, c.Time, c.Random, c.ClientIndex),
        [ProtocolKind.GraphqlWs] = c => new GraphqlWsProtocol(c.GraphqlWs ?? new GraphqlWsPlan(), c.Metrics, c.Time),
    };

    public static IReadOnlyCollection<ProtocolKind> Kinds => Factories.Keys;

    public static IProtocol Create(ProtocolKind kind, ProtocolContext context) =>
        Factories.TryGetValue(kind, out var create)
            ? create(context)
            : throw new ArgumentOutOfRangeException(nameof(kind), kind, $"no protocol of this kind in this build ({string.Join(", ", Kinds.Select(k => k.Spelled()))})");
}
