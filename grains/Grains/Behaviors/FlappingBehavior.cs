using SimCluster.Abstractions.Plans;

namespace SimCluster.Grains.Behaviors;

/// <summary>
/// A phone flapping between coverage (resilience test 6): up for a while, then the link drops (close,
/// reset or blackhole), stays down, and comes back; <c>cycles</c> times.
/// </summary>
public sealed class FlappingBehavior(FlappingPlan plan) : IClientBehavior
{
    private readonly DropMode[] _modes = plan.Drops.All(Enum.IsDefined)
        ? plan.Drops
        : throw new ArgumentOutOfRangeException(nameof(plan), string.Join(", ", plan.Drops), "unknown drop mode");

    public string Name => "flapping";

    public bool IsWellBehaved => true;

    public PlannedDrop? NextDrop(int dropsSoFar, Random random)
    {
        if (plan.Cycles > 0 && dropsSoFar >= plan.Cycles) return null;
        var mode = _modes.Length == 1 ? _modes[0] : _modes[random.Next(_modes.Length)];
        return new PlannedDrop(plan.Up.Draw(random), mode, plan.Down.Draw(random));
    }
}
