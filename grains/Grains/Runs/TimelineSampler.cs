using Microsoft.Extensions.Logging;
using SimCluster.Abstractions.Plans;
using SimCluster.Abstractions.Runs;

namespace SimCluster.Grains.Runs;

/// <summary>
/// The event timelines of the sampled clients, asked of those clients directly once they have stopped (a few
/// dozen calls at most; the silo agents stay out of it). A client that does not answer is left out, with a note.
/// </summary>
public static class TimelineSampler
{
    public static async Task<ClientTimeline[]> CollectAsync(RunPlan plan, IGrainFactory grains, List<string> notes, ILogger logger)
    {
        if (plan.TimelineClients.Length == 0) return [];
        var calls = plan.TimelineClients.Select(async index =>
        {
            try { return await grains.GetGrain<IClientGrain>(SiloAgentGrain.ClientKey(plan.RunId, index)).GetTimeline().WaitAsync(RunCollector.CollectTimeout); }
            catch (Exception e)
            {
                logger.LogWarning("no timeline from client {Client}: {Error}", index, e.GetBaseException().Message);
                return null;
            }
        });
        var timelines = (await Task.WhenAll(calls)).OfType<ClientTimeline>().ToArray();
        if (timelines.Length < plan.TimelineClients.Length)
            notes.Add($"{plan.TimelineClients.Length - timelines.Length} of {plan.TimelineClients.Length} sampled clients returned no timeline");
        return timelines;
    }
}
