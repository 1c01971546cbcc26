using SimCluster.Abstractions.Plans;

namespace SimCluster.Grains.Behaviors;

/// <summary>
/// Resilience test 8: the client is an attacker. It does not run the echo/drop cycle at all; the client grain
/// hands it to an <see cref="Attacks.AttackerRunner"/>, which cycles through the group's malformed cases
/// until the run ends. The group's healthy canaries are a separate steady group (split off by the CLI).
/// </summary>
public sealed class MalformedBehavior(MalformedPlan plan) : IClientBehavior
{
    public string Name => "malformed";

    /// <summary>The server closing an attacker is the expected outcome, never a false disconnect.</summary>
    public bool IsWellBehaved => false;

    public MalformedPlan Plan => plan;

    public PlannedDrop? NextDrop(int dropsSoFar, Random random) => null;
}
