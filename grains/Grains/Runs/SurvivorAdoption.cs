using Microsoft.Extensions.Logging;
using SimCluster.Abstractions.Plans;

namespace SimCluster.Grains.Runs;

/// <summary>
/// Starts clients that left a silo (lost, or handed over by a draining one) on the survivors: dealt round robin
/// (<see cref="RunRoster.PlaceOnSurvivors"/>), each survivor's agent adopts its part, sourcing from its own slice
/// after the clients it already has. One way of moving clients, whatever made them move.
/// </summary>
public static class SurvivorAdoption
{
    /// <summary>The survivors that may take clients now: live, answering, not draining.</summary>
    public static List<RunSilo> Survivors(RunRoster roster) => [.. roster.Live.Where(s => !s.Unanswering && !s.Draining)];

    /// <summary>The moves made and, per move, how many of its clients were started.</summary>
    public static async Task<(ClientMove[] Moves, int[] Started)> StartAsync(RunPlan plan, RunRoster roster, RunClock clock, int[] clients, IReadOnlyList<RunSilo> survivors, ILogger logger)
    {
        var moves = roster.PlaceOnSurvivors(clients, survivors);
        var started = await Task.WhenAll(moves.Select(async m =>
        {
            try { return await m.To.Agent.Adopt(plan, m.Clients, clock.StartsAtUtc, m.To.Slice, roster.Count, m.FirstPosition); }
            catch (Exception e)
            {
                logger.LogWarning("silo {Silo} could not adopt clients: {Error}", m.To.Name, e.GetBaseException().Message);
                return 0;
            }
        }));
        return (moves, started);
    }
}
