using SimCluster.Abstractions.Plans;
using SimCluster.Grains.Behaviors.Zombies;

namespace SimCluster.Grains.Behaviors;

/// <summary>
/// Resilience test 7: healthy for <c>after</c>, then the client turns into a zombie of one kind and times
/// how long the server takes to give up on it (at most <c>observeFor</c>). One episode per client.
/// </summary>
public sealed class ZombieBehavior(ZombiePlan plan) : IClientBehavior
{
    public string Name => "zombie";

    /// <summary>A zombie is misbehaving by design: the server closing it is the point, not a false kill.</summary>
    public bool IsWellBehaved => false;

    public ZombiePlan Plan => plan;

    public IZombieKind Kind { get; } = ZombieKinds.Get(plan.Kind);

    public PlannedDrop? NextDrop(int dropsSoFar, Random random) => null;
}
