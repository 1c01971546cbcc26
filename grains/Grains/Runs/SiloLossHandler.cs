using Microsoft.Extensions.Logging;
using SimCluster.Abstractions.Plans;

namespace SimCluster.Grains.Runs;

/// <summary>
/// Silo loss and adoption. A silo that stops answering is only lost once membership declares it dead (a slow
/// silo must not have its clients run twice). Its metrics up to its last answer stay in the run; its clients
/// are counted as lost and, while <paramref name="reactivating"/> says so, re-activated on the survivors as the
/// run goes on.
/// </summary>
public sealed class SiloLossHandler(RunPlan plan, RunRoster roster, RunAccumulator accumulator, RunClock clock, List<string> notes, IGrainFactory grains, Func<bool> reactivating, ILogger logger)
{
    private Task _reactivations = Task.CompletedTask;

    public int LostClients { get; private set; }

    public int ReactivatedClients { get; private set; }

    /// <summary>Adoptions still under way (the stop waits for them, or they would start clients after it).</summary>
    public Task Reactivations => _reactivations;

    /// <summary>Asks membership about the silent silos; those it declares dead are lost as of <paramref name="second"/>.</summary>
    public async Task HandleAsync(int second)
    {
        Dictionary<SiloAddress, SiloStatus> hosts;
        try { hosts = await grains.GetGrain<IManagementGrain>(0).GetHosts(onlyActive: false); }
        catch (Exception e)
        {
            logger.LogWarning("membership could not be read: {Error}", e.GetBaseException().Message);
            return;
        }
        foreach (var silo in roster.Live.Where(s => s.Unanswering).ToList())
        {
            var status = hosts.TryGetValue(silo.Address, out var s) ? s : SiloStatus.Dead;
            if (status != SiloStatus.Dead) continue;
            silo.Unanswering = false;
            silo.LostAtSecond = second;
            accumulator.MarkLost(silo.Name);
            var lost = silo.Share;
            LostClients += lost.Length;
            notes.Add($"silo {silo.Name} was declared dead by membership at {second} s; its {lost.Length} clients were lost (their metrics up to its last answer are kept)");
            logger.LogWarning("silo {Silo} lost at {Second} s with {Clients} clients", silo.Name, second, lost.Length);
            // Not awaited: adopting may take a while and the per-second collection must go on meanwhile.
            if (reactivating() && plan.ReactivateLostClients)
                _reactivations = Task.WhenAll(_reactivations, ReactivateAsync(silo.Name, lost));
        }
    }

    private async Task ReactivateAsync(string lostSilo, int[] clients)
    {
        var survivors = roster.Live.Where(s => !s.Unanswering).ToList();
        if (survivors.Count == 0)
        {
            notes.Add($"no surviving silo could take over the {clients.Length} clients of {lostSilo}");
            return;
        }
        var moves = roster.PlaceOnSurvivors(clients, survivors);
        var started = await Task.WhenAll(moves.Select(async m =>
        {
            // Adopted clients source from the survivor's own slice, after its own clients' addresses.
            try { return await m.To.Agent.Adopt(plan, m.Clients, clock.StartsAtUtc, m.To.Slice, roster.Count, m.FirstPosition); }
            catch (Exception e)
            {
                logger.LogWarning("silo {Silo} could not adopt clients: {Error}", m.To.Name, e.GetBaseException().Message);
                return 0;
            }
        }));
        for (var s = 0; s < moves.Length; s++) moves[s].To.Adopted += started[s];
        ReactivatedClients += started.Sum();
        notes.Add($"{started.Sum()} of the {clients.Length} clients of {lostSilo} were re-activated on {survivors.Count} surviving silo(s) by {clock.SecondsOfRun:F0} s");
    }
}
