using SimCluster.Abstractions.Plans;

namespace SimCluster.Grains.Reconnect;

/// <summary>Reconnect policies by the name a scenario uses.</summary>
public static class ReconnectPolicyRegistry
{
    private static readonly Dictionary<string, Func<ReconnectPlan, IReconnectPolicy>> Factories = new()
    {
        ["immediate"] = p => new ImmediateReconnect(p.MaxAttempts),
        ["fixed"] = p => new FixedReconnect(p.Base, p.Jitter, p.MaxAttempts),
        ["exponential"] = p => new ExponentialReconnect(p.Base, p.Max, p.Jitter, p.MaxAttempts),
    };

    public static IReadOnlyCollection<string> Names => Factories.Keys;

    public static IReconnectPolicy Create(ReconnectPlan plan)
    {
        if (!Enum.IsDefined(plan.Jitter)) throw new ArgumentOutOfRangeException(nameof(plan), plan.Jitter, "unknown jitter");
        return Factories.TryGetValue(plan.Policy, out var create)
            ? create(plan)
            : throw new ArgumentException($"unknown reconnect policy '{plan.Policy}' ({string.Join(", ", Names)})");
    }
}
