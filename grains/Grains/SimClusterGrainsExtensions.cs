using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using SimCluster.Grains.Metrics;
using SimCluster.Grains.Placement;

namespace SimCluster.Grains;

public static class SimClusterGrainsExtensions
{
    /// <summary>What every SimCluster silo needs besides the grains themselves.</summary>
    public static IServiceCollection AddSimClusterGrains(this IServiceCollection services)
    {
        services.TryAddSingleton(TimeProvider.System);
        // One wheel per silo for the clients' per-message timers (sends, heartbeats): see TimerWheel.
        services.TryAddSingleton(sp => new Transport.TimerWheel(sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton<SiloMetrics>();
        services.AddSingleton<SiloMeter>();
        services.AddSingleton<Attacks.SiloCaseResults>();
        services.AddPlacementDirector<SiloPinnedPlacement, SiloPinnedPlacementDirector>();
        return services;
    }
}
