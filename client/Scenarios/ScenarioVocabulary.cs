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
        Set([.. Ids('F', 25), .. Ids('A', 8)]));

    /// <summary>F01..F25 are the RFC 6455 frame cases, A01..A08 the application-level ones (docs/malformed.md).</summary>
    private static IEnumerable<string> Ids(char prefix, int count) =>
        Enumerable.Range(1, count).Select(i => $"{prefix}{i:00}");

    private static IReadOnlySet<string> Set(params string[] names) => new HashSet<string>(names, StringComparer.Ordinal);
}
