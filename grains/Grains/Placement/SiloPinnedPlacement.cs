using Orleans.Runtime.Placement;

namespace SimCluster.Grains.Placement;

/// <summary>
/// Places a grain on the silo named in its key (<c>anything|SILO-ADDRESS</c>). The run's agent grains use
/// it so that each silo gets exactly one agent, which then activates its share of clients locally: even
/// spreading is decided by the coordinator, not left to random placement.
/// </summary>
[Serializable, GenerateSerializer, Immutable, SuppressReferenceTracking]
public sealed class SiloPinnedPlacement : PlacementStrategy
{
    public static SiloPinnedPlacement Instance { get; } = new();

    public static string KeyFor(string prefix, SiloAddress silo) => $"{prefix}|{silo.ToParsableString()}";
}

[AttributeUsage(AttributeTargets.Class, AllowMultiple = false)]
public sealed class SiloPinnedPlacementAttribute() : PlacementAttribute(SiloPinnedPlacement.Instance);

public sealed class SiloPinnedPlacementDirector : IPlacementDirector
{
    public Task<SiloAddress> OnAddActivation(PlacementStrategy strategy, PlacementTarget target, IPlacementContext context)
    {
        var key = target.GrainIdentity.Key.ToString()!;
        var wanted = key[(key.LastIndexOf('|') + 1)..];
        foreach (var silo in context.GetCompatibleSilos(target))
        {
            if (silo.ToParsableString() == wanted) return Task.FromResult(silo);
        }
        throw new OrleansException($"silo {wanted} is not active: cannot place {key} there");
    }
}
