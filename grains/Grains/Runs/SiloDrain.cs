using Microsoft.Extensions.Logging;
using SimCluster.Abstractions.Runs;

namespace SimCluster.Grains.Runs;

/// <summary>
/// The graceful drain of a stopping silo (SIGTERM, a pod deletion): before Orleans' own shutdown (deactivations,
/// leaving membership), every run with clients here is asked, through its coordinator, to take this silo's final
/// numbers and start its clients on the other silos (<see cref="SiloDrainHandler"/>); a run whose coordinator is
/// here is handed over as well (<see cref="CoordinatorHandover"/>). Bounded, so a coordinator that does not answer
/// cannot hold the silo past its shutdown timeout.
/// </summary>
public sealed class SiloDrain(SiloRunClients started, IGrainFactory grains, ILocalSiloDetails silo, ILogger<SiloDrain> logger) : ILifecycleParticipant<ISiloLifecycle>
{
    /// <summary>The longest a drain may take: inside the silo's 30 s shutdown timeout, with room for Orleans' own stop.</summary>
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    public void Participate(ISiloLifecycle lifecycle) =>
        // Stops before the Active stage's stop, while this silo still takes and sends grain calls.
        lifecycle.Subscribe(nameof(SiloDrain), ServiceLifecycleStage.Active + 1, _ => Task.CompletedTask, DrainAsync);

    private async Task DrainAsync(CancellationToken ct)
    {
        started.Draining = true;
        var runs = started.RunsToHandOver;
        if (runs.Count == 0) return;
        var self = silo.SiloAddress.ToParsableString();
        logger.LogWarning("stopping: handing over the clients of {Runs} run(s)", runs.Count);
        await Task.WhenAll(runs.Select(async runId =>
        {
            try
            {
                var drained = await grains.GetGrain<IRunCoordinatorGrain>(runId).Drain(self).WaitAsync(Patience, ct);
                if (drained) logger.LogWarning("run {RunId} took this silo's drain", runId);
                else logger.LogWarning("run {RunId} took no drain from this silo (not running, ending, or its handover did not finish in time)", runId);
            }
            catch (Exception e)
            {
                logger.LogWarning("run {RunId} did not take this silo's drain: {Error}", runId, e.GetBaseException().Message);
            }
        }));
    }
}
