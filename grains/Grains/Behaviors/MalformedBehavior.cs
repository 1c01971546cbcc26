using SimCluster.Abstractions.Plans;
using SimCluster.Grains.Attacks;

namespace SimCluster.Grains.Behaviors;

/// <summary>
/// Resilience test 8: the client is an attacker. It does not run the echo/drop cycle at all: at its start it
/// hands itself to an <see cref="AttackerRunner"/>, which cycles through the group's malformed cases until the
/// run ends. The group's healthy canaries are a separate steady group (split off by the CLI).
/// </summary>
public sealed class MalformedBehavior(MalformedPlan plan) : IClientBehavior
{
    public string Name => "malformed";

    /// <summary>The server closing an attacker is the expected outcome, never a false disconnect.</summary>
    public bool IsWellBehaved => false;

    public MalformedPlan Plan => plan;

    public void OnStart(IClientControl client, TimeSpan delay)
    {
        var c = client.Context;
        var armed = client.ArmedOptions;
        client.RunInstead(new AttackerRunner(c.Plan.RunId, plan, c.Index - c.Group.FirstClient, c.Group.Clients, c.Index, armed, c.Metrics, c.CaseResults, c.Time), delay);
    }
}
