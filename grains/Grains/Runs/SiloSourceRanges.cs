using SimCluster.Abstractions.Plans;
using SimCluster.Abstractions.Runs;
using SimCluster.Grains.Clients;

namespace SimCluster.Grains.Runs;

/// <summary>Each silo's slice of the run's source addresses and how many clients draw from it (lost silos included).</summary>
public static class SiloSourceRanges
{
    public static SiloSourceRange[] For(RunPlan? plan, RunRoster? roster)
    {
        if (plan is null || roster is null) return [];
        var pool = plan.TargetUrls.Select(u => SourceAddressPool.For(new Uri(u), plan.Network.SourceRanges)).FirstOrDefault(p => !p.IsEmpty);
        return [.. roster.All.OrderBy(s => s.Slice).Select(s =>
        {
            var slice = pool?.Slice(s.Slice, roster.Count);
            return new SiloSourceRange { Silo = s.Name, Range = slice?.Describe() ?? "", Addresses = slice?.Count ?? 0, Clients = s.Share.Length };
        })];
    }
}
