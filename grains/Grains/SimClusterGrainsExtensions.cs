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
        services.AddSingleton<Runs.SiloRunClients>();
        services.AddPlacementDirector<SiloPinnedPlacement, SiloPinnedPlacementDirector>();
        return services;
    }

    /// <summary>
    /// The graceful drain of a standalone silo on SIGTERM (<see cref="Runs.SiloDrain"/>). Not in a `run` process's
    /// embedded silo: it holds the coordinator, and there is no other silo to hand clients to.
    /// </summary>
    public static IServiceCollection AddSiloDrain(this IServiceCollection services)
    {
        services.AddSingleton<Runs.SiloDrain>();
        services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>>(sp => sp.GetRequiredService<Runs.SiloDrain>());
        return services;
    }
}
