using SimCluster.Abstractions.Plans;

namespace SimCluster.Grains.Behaviors;

/// <summary>Client behaviours by the name a scenario uses.</summary>
public static class BehaviorRegistry
{
    private static readonly Dictionary<string, Func<GroupPlan, IClientBehavior>> Factories = new()
    {
        ["steady"] = _ => new SteadyBehavior(),
        ["flapping"] = g => new FlappingBehavior(g.Flapping ?? throw new ArgumentException($"group '{g.Name}' has no flapping block")),
        ["switching"] = g => new SwitchingBehavior(g.Switching ?? throw new ArgumentException($"group '{g.Name}' has no switching block")),
        ["zombie"] = g => new ZombieBehavior(g.Zombie ?? throw new ArgumentException($"group '{g.Name}' has no zombie block")),
        ["malformed"] = g => new MalformedBehavior(g.Malformed ?? throw new ArgumentException($"group '{g.Name}' has no malformed block")),
    };

    public static IReadOnlyCollection<string> Names => Factories.Keys;

    public static IClientBehavior Create(GroupPlan group) =>
        Factories.TryGetValue(group.Behavior, out var create)
            ? create(group)
            : throw new ArgumentException($"behaviour '{group.Behavior}' is not available in this build ({string.Join(", ", Names)})");
}
