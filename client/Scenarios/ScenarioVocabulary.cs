using SimCluster.Abstractions.Plans;

namespace SimCluster.Scenarios;

/// <summary>
/// The names a scenario may use for behaviours, reconnect policies, link profiles, zombie kinds and
/// malformed-input cases. Passed in (rather than hard-wired) so the parts that implement them can hand
/// over what they actually support; <see cref="Default"/> is what SimCluster ships with.
/// </summary>
public sealed record ScenarioVocabulary(
    IReadOnlySet<string> Behaviors,
    IReadOnlySet<string> ReconnectPolicies,
    IReadOnlySet<string> LinkProfiles,
    IReadOnlySet<string> ZombieKinds,
    IReadOnlySet<string> MalformedCases)
{
    public static ScenarioVocabulary Default { get; } = new(
        Set("steady", "flapping", "zombie", "switching", "malformed"),
        Set("immediate", "fixed", "exponential"),
        Set("loopback", "ethernet", "wifi-good", "wifi-congested", "4g", "3g", "slow-3g", "edge", "satellite"),
        Set("silent-app", "app-dead", "blackhole", "half-close", "slow-reader", "reset"),
        Set([.. Ids('F', 25), .. Ids('A', 8), .. Ids('S', 3), .. Ids('G', 4)]));

    /// <summary>
    /// The malformed cases that break one protocol's messages (docs/malformed.md): a scenario may name them only with
    /// that protocol, and <c>cases: all</c> takes those of its protocol. Every other case applies to any server.
    /// </summary>
    public IReadOnlyDictionary<string, ProtocolKind> ProtocolCases { get; init; } =
        Ids('S', 3).Select(id => (id, ProtocolKind.Socketio)).Concat(Ids('G', 4).Select(id => (id, ProtocolKind.GraphqlWs)))
            .ToDictionary(p => p.id, p => p.Item2, StringComparer.Ordinal);

    /// <summary>Whether case <paramref name="id"/> applies to a run of <paramref name="protocol"/>.</summary>
    public bool CaseApplies(string id, ProtocolKind protocol) => !ProtocolCases.TryGetValue(id, out var own) || own == protocol;

    /// <summary>F01..F25 are the RFC 6455 frame cases, A01..A08 the application-level ones, S01..S03 Socket.IO's, G01..G04 graphql-ws's (docs/malformed.md).</summary>
    private static IEnumerable<string> Ids(char prefix, int count) =>
        Enumerable.Range(1, count).Select(i => $"{prefix}{i:00}");

    private static IReadOnlySet<string> Set(params string[] names) => new HashSet<string>(names, StringComparer.Ordinal);
}
