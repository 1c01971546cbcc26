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

    /// <summary>Asks membership about the silent silos; those it declares dead are lost now.</summary>
    public async Task HandleAsync()
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
            if (status == SiloStatus.Dead) DeclareLost(silo);
        }
    }

    /// <summary>
    /// A membership update (the coordinator watches them): a silo of the run it shows dead is lost at once, without
    /// waiting for it to miss a collection, so its clients are re-activated as soon as membership allows.
    /// </summary>
    public void OnMembership(IReadOnlyDictionary<SiloAddress, SiloStatus> statuses)
    {
        foreach (var silo in roster.Live.ToList())
        {
            if (statuses.TryGetValue(silo.Address, out var status) && status == SiloStatus.Dead) DeclareLost(silo);
        }
    }

    /// <summary>A coordinator taking the run over starts from the checkpoint's counts.</summary>
    public void Seed(int lostClients, int reactivatedClients)
    {
        LostClients = lostClients;
        ReactivatedClients = reactivatedClients;
    }

    private void DeclareLost(RunSilo silo) => DeclareLost(silo, silo.Share, silo.Share, Math.Round(clock.SecondsOfRun, 2), "was declared dead by membership");

    /// <summary>
    /// <paramref name="silo"/> is lost at <paramref name="at"/> s with its clients <paramref name="lost"/>, of which
    /// <paramref name="orphans"/> run nowhere (on a take-over, survivors may already hold some: an adoption the lost
    /// coordinator had begun); those are re-activated on the survivors as for any loss.
    /// </summary>
    public void DeclareLost(RunSilo silo, int[] lost, int[] orphans, double at, string why)
    {
        if (silo.IsLost) return;
        silo.Unanswering = false;
        silo.LostAtSecond = at;
        accumulator.MarkLost(silo.Name);
        silo.LostClients = lost.Length;
        LostClients += lost.Length;
        var since = silo.LastCollectedAtSecond is { } last ? $"{last:0.##} s" : "the start";
        notes.Add($"silo {silo.Name} {why} at {at:0.##} s; its {lost.Length} clients were lost (their metrics up to its last answer, at {since}, are kept)");
        logger.LogWarning("silo {Silo} lost at {Second:0.##} s with {Clients} clients", silo.Name, at, lost.Length);
        // Not awaited: adopting may take a while and the per-second collection must go on meanwhile.
        var held = lost.Length - orphans.Length;
        ReactivatedClients += held;
        silo.ReactivatedClients += held;
        if (reactivating() && plan.ReactivateLostClients && orphans.Length > 0)
            _reactivations = Task.WhenAll(_reactivations, ReactivateAsync(silo, orphans));
    }

    private async Task ReactivateAsync(RunSilo lostSilo, int[] clients)
    {
        var survivors = SurvivorAdoption.Survivors(roster);
        if (survivors.Count == 0)
        {
            notes.Add($"no surviving silo could take over the {clients.Length} clients of {lostSilo.Name}");
            return;
        }
        var (moves, started) = await SurvivorAdoption.StartAsync(plan, roster, clock, clients, survivors, logger);
        for (var s = 0; s < moves.Length; s++) moves[s].To.Adopted += started[s];
        ReactivatedClients += started.Sum();
        lostSilo.ReactivatedClients += started.Sum();
        var at = Math.Round(clock.SecondsOfRun, 2);
        if (started.Sum() > 0) lostSilo.ReactivatedAtSecond = at;
        notes.Add($"{started.Sum()} of the {clients.Length} clients of {lostSilo.Name} were re-activated on {survivors.Count} surviving silo(s) by {at:0.##} s");
    }
}
