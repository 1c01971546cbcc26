using Microsoft.Extensions.Logging;
using SimCluster.Abstractions.Plans;
using SimCluster.Abstractions.Runs;

namespace SimCluster.Grains.Runs;

/// <summary>
/// Every live silo stops its clients at once (sending already stopped everywhere at the planned end). The final
/// numbers are only taken from clients that confirmed their stop: a silo that cannot confirm within the stop
/// grace and a margin for closing is named in a note and in <c>SiloResult.StopUnconfirmed</c>, because its
/// clients may still have been running when their numbers were read.
/// </summary>
public sealed class RunStopper(RunPlan plan, RunRoster roster, SiloLossHandler losses, SiloDrainHandler drains, List<string> notes, TimeProvider time, ILogger logger)
{
    /// <summary>Beyond the stop grace (the drain), time for every client's closing handshake.</summary>
    public static readonly TimeSpan StopCloseMargin = TimeSpan.FromSeconds(30);

    /// <summary>Every live silo lets go of the run's state once the final numbers are in (best effort, bounded).</summary>
    public static Task ReleaseAsync(RunPlan plan, RunRoster? roster, TimeProvider time, ILogger logger) => Task.WhenAll((roster?.Live ?? []).ToList().Select(async silo =>
    {
        try { await silo.Agent.Release(plan.RunId).WaitAsync(RunCollector.CollectTimeout, time); }
        catch (Exception e) { logger.LogWarning("silo {Silo} did not release run {RunId}: {Error}", silo.Name, plan.RunId, e.GetBaseException().Message); }
    }));

    /// <summary>
    /// A run that failed part-way: every live silo stops whatever clients of the run it started (<see cref="ISiloAgentGrain.Halt"/>),
    /// whether or not they were ever armed or started through this roster (best effort, bounded).
    /// </summary>
    public static Task HaltAsync(RunPlan plan, RunRoster? roster, TimeProvider time, ILogger logger) => Task.WhenAll((roster?.Live ?? []).ToList().Select(async silo =>
    {
        try { await silo.Agent.Halt(plan.RunId).WaitAsync(plan.StopGrace + StopCloseMargin, time); }
        catch (Exception e) { logger.LogWarning("silo {Silo} did not halt run {RunId}: {Error}", silo.Name, plan.RunId, e.GetBaseException().Message); }
    }));

    public async Task StopAllAsync()
    {
        // An adoption or migration still under way would otherwise start clients after the stop.
        await Task.WhenAll(losses.Reactivations, drains.Migrations);
        var bound = plan.StopGrace + StopCloseMargin;
        await Task.WhenAll(roster.Live.ToList().Select(async silo =>
        {
            try { await silo.Agent.Stop(plan, silo.Share).WaitAsync(bound, time); }
            catch (Exception e)
            {
                silo.StopUnconfirmed = true;
                var why = e is TimeoutException ? $"within {bound.TotalSeconds:0} s" : $"({e.GetBaseException().Message})";
                notes.Add($"silo {silo.Name} did not confirm that its clients stopped {why}: its final numbers may include clients still running");
                logger.LogWarning("silo {Silo} did not confirm the stop: {Error}", silo.Name, e.GetBaseException().Message);
            }
        }));
    }
}
