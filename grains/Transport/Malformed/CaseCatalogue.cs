using SimCluster.Abstractions.Plans;
using SimCluster.Transport.Malformed.Cases;

namespace SimCluster.Transport.Malformed;

/// <summary>
/// Every malformed-input case by id: F01..F25, the RFC 6455 catalogue of docs/malformed.md, and A01..A08,
/// application-level mutations in valid frames (A01 invalid JSON, A02 unknown type, A03 wrong field types,
/// A04 oversize field, A05 10,000-deep nesting, A06 duplicate ids, A07 binary where text is expected,
/// A08 message flood), and the protocol-level cases of one protocol each: S01..S03 for Socket.IO (bad packet
/// type, invalid JSON in an event, unknown namespace), G01..G04 for graphql-ws (subscribe before ack, duplicate
/// subscription id, invalid JSON, a second init). Case objects are stateless and shared.
/// </summary>
public static class CaseCatalogue
{
    private static readonly MalformedCase[] Cases =
    [
        new F01Rsv1WithoutExtension(),
        new F02ReservedBitsAfterValidText(),
        new F03ReservedDataOpcode(),
        new F04ReservedControlOpcode(),
        new F05UnmaskedClientFrame(),
        new F06OversizeControlFrame(),
        new F07FragmentedControlFrame(),
        new F08OrphanContinuation(),
        new F09NewMessageInsideFragments(),
        new F10PingBetweenFragmentsDribbled(),
        new F11InvalidUtf8(),
        new F12InvalidUtf8InMiddleFragment(),
        new F13UnusualValidUtf8(),
        new F14CloseWithOneBytePayload(),
        new F15CloseWithOversizeReason(),
        new F16CloseWithInvalidUtf8Reason(),
        new F17CloseWithInvalidCode(),
        new F18DataAfterClose(),
        new F19LengthWithMostSignificantBit(),
        new F20NonMinimalLength(),
        new F21HugeFrameHeader(),
        new F22EndlessFragments(),
        new F23DeflateBomb(),
        new F24BrokenHandshake(),
        new F25SlowAndFlood(),
        new A01InvalidJson(),
        new A02UnknownMessageType(),
        new A03WrongFieldTypes(),
        new A04OversizeField(),
        new A05DeepNesting(),
        new A06DuplicateIds(),
        new A07BinaryWhereTextExpected(),
        new A08MessageFlood(),
        new S01BadPacketType(),
        new S02InvalidJsonInEvent(),
        new S03UnknownNamespace(),
        new G01SubscribeBeforeAck(),
        new G02DuplicateSubscriptionId(),
        new G03InvalidJson(),
        new G04SecondInit(),
    ];

    private static readonly Dictionary<string, MalformedCase> ById = Cases.ToDictionary(c => c.Id, StringComparer.Ordinal);

    /// <summary>Every case, in catalogue order (F01..F25, A01..A08, S01..S03, G01..G04).</summary>
    public static IReadOnlyList<MalformedCase> All => Cases;

    /// <summary>The cases for any WebSocket server (F and A): what <c>cases: all</c> means for a protocol without cases of its own.</summary>
    public static IReadOnlyList<MalformedCase> AnyServer { get; } = [.. Cases.Where(c => c.Protocol is null)];

    /// <summary>The cases that apply to a run of <paramref name="protocol"/>: every F and A case and its own protocol-level ones.</summary>
    public static IReadOnlyList<MalformedCase> For(ProtocolKind protocol) => [.. Cases.Where(c => c.Protocol is null || c.Protocol == protocol)];

    public static IReadOnlyCollection<string> Ids => ById.Keys;

    public static MalformedCase Get(string id) =>
        ById.TryGetValue(id, out var c) ? c : throw new ArgumentException($"unknown malformed case '{id}' (known: {string.Join(", ", ById.Keys)})", nameof(id));

    public static bool TryGet(string id, out MalformedCase? @case) => ById.TryGetValue(id, out @case);
}
