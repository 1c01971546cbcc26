using SimCluster.Abstractions.Plans;
using SimCluster.Grains.Metrics;

namespace SimCluster.Grains.Protocols;

/// <summary>What a protocol is made from: one client's identity, its message plan, its group's recorder, its clock and its seeded random source.</summary>
public sealed record ProtocolContext(int ClientIndex, string SessionId, MessagePlan Messages, GroupRecorder Metrics, TimeProvider Time, Random Random);

/// <summary>Protocols by the plan's <see cref="ProtocolKind"/> (the scenario's <c>protocol</c>).</summary>
public static class ProtocolRegistry
{
    private static readonly Dictionary<ProtocolKind, Func<ProtocolContext, IProtocol>> Factories = new()
    {
        [ProtocolKind.Echo] = c => new EchoProtocol(c.ClientIndex, c.Messages, c.Metrics, c.Time, c.Random),
        [ProtocolKind.Session] = c => new SessionProtocol(c.SessionId, c.Messages, c.Metrics, c.Time, c.Random),
        // Connect only: the plan carries no messages (interval zero), so the echo protocol sends and expects nothing.
        [ProtocolKind.None] = c => new EchoProtocol(c.ClientIndex, c.Messages, c.Metrics, c.Time, c.Random),
    };

    public static IReadOnlyCollection<ProtocolKind> Kinds => Factories.Keys;

    public static IProtocol Create(ProtocolKind kind, ProtocolContext context) =>
        Factories.TryGetValue(kind, out var create)
            ? create(context)
            : throw new ArgumentOutOfRangeException(nameof(kind), kind, $"no protocol of this kind in this build ({string.Join(", ", Kinds.Select(k => k.Spelled()))})");
}
