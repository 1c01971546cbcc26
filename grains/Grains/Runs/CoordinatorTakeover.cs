using Microsoft.Extensions.Logging;
using SimCluster.Abstractions.Plans;
using SimCluster.Abstractions.Runs;

namespace SimCluster.Grains.Runs;

/// <summary>
/// A coordinator re-activated after its silo was lost takes the run over from the driver's checkpoint: every
/// silo membership still shows active reports the clients it holds and its cumulative numbers (exact, whatever the
/// checkpoint's age), which go in as one collection; the silos that are gone (the old coordinator's among them)
/// are lost, and the clients no survivor holds are re-activated on the survivors as after any loss. A checkpoint the
/// old coordinator handed over (<see cref="CoordinatorHandover"/>: its silo asked to stop) has that silo drained and its
/// clients migrated already: nothing is lost, and the failover is a handover.
/// </summary>
public sealed class CoordinatorTakeover(RunPlan plan, RunRoster roster, RunAccumulator accumulator, RunClock clock, SiloLossHandler losses,
    List<string> notes, IGrainFactory grains, TimeProvider time, ILogger logger)
{
    private static readonly TimeSpan MembershipPatience = TimeSpan.FromSeconds(10);

    /// <summary>Reads the survivors and settles the books for this coordinator, now on <paramref name="newSilo"/>.</summary>
    public async Task<TakeoverOutcome> RunAsync(RunTakeover takeover, string newSilo)
    {
        var checkpoint = takeover.Checkpoint;
        var lastSecond = checkpoint.Timeline.LastOrDefault()?.T ?? 0;
        var detectedAtSecond = clock.SecondOf(takeover.DetectedAtUtc);
        var statuses = await StatusesAsync();
        var askedAt = Math.Round(clock.SecondsOfRun, 2);
        var holdings = await Task.WhenAll(roster.Live.ToList().Select(async silo =>
        {
            if (statuses.GetValueOrDefault(silo.Address, SiloStatus.Dead) != SiloStatus.Active) return (silo.Name, (SiloHolding?)null);
            try { return (silo.Name, await silo.Agent.Holding(plan.RunId).WaitAsync(RunCollector.CollectTimeout, time)); }
            catch (Exception e)
            {
                logger.LogWarning("silo {Silo} did not report its clients on the take-over: {Error}", silo.Name, e.GetBaseException().Message);
                return (silo.Name, null);
            }
        }));
        var books = TakeoverBooks.Settle(roster, statuses, holdings.ToDictionary(h => h.Name, h => h.Item2));
        var second = Math.Max(lastSecond + 1, (int)Math.Floor(clock.SecondsOfRun));
        clock.CollectedAtUtc = clock.StartsAtUtc + TimeSpan.FromSeconds(askedAt);
        foreach (var (silo, holding) in books.Answered)
        {
            silo.LastAnswerSecond = second;
            silo.LastCollectedAtSecond = askedAt;
            silo.Pace.Observe(holding.Snapshot, askedAt);
        }
        accumulator.Add([.. books.Answered.Select(a => a.Holding.Snapshot), .. roster.Drained.Select(s => s.Final).OfType<SiloSnapshot>()], second);
        foreach (var lost in books.Lost)
            losses.DeclareLost(lost.Silo, lost.Clients, lost.Orphans, detectedAtSecond, "was gone when the run's coordinator was taken over (it held the coordinator, or left with it)");
        var lostCoordinator = books.Lost.FirstOrDefault(l => l.Silo.Name == checkpoint.CoordinatorSilo);
        var handedOverBy = checkpoint.HandedOverAtUtc is null ? null : roster.All.FirstOrDefault(s => s.Name == checkpoint.CoordinatorSilo);
        var failover = new CoordinatorFailover
        {
            LostSilo = checkpoint.CoordinatorSilo,
            NewSilo = newSilo,
            CheckpointAtSecond = clock.SecondOf(checkpoint.CollectedAtUtc),
            LastAnsweredAtSecond = clock.SecondOf(takeover.LastAnsweredAtUtc),
            DetectedAtSecond = detectedAtSecond,
            ResumedAtSecond = Math.Round(clock.SecondsOfRun, 2),
            ClientsLost = lostCoordinator?.Clients.Length ?? 0,
            SilosRead = books.Answered.Count,
            Cause = checkpoint.HandedOverAtUtc is null ? FailoverCause.Lost : FailoverCause.Handover,
            HandedOverAtSecond = checkpoint.HandedOverAtUtc is { } handedOver ? clock.SecondOf(handedOver) : null,
            ClientsMigrated = handedOverBy?.MigratedClients ?? 0,
        };
        var from = $"silo {newSilo} took the run over at {failover.ResumedAtSecond:0.##} s from the numbers of {failover.SilosRead} surviving silo(s)";
        notes.Add(failover.Cause == FailoverCause.Handover
            ? $"silo {failover.LostSilo}, asked to stop, handed the run's coordinator over at {failover.HandedOverAtSecond:0.##} s (its clients stopped, its final numbers in, {failover.ClientsMigrated} of its {handedOverBy?.DrainedClients ?? 0} clients migrated; " +
              $"found gone at {detectedAtSecond:0.##} s); {from} and that final checkpoint"
            : $"the run's coordinator was lost with silo {failover.LostSilo} (last answer at {failover.LastAnsweredAtSecond:0.##} s, found gone at {detectedAtSecond:0.##} s); " +
              $"{from} and the checkpoint of {failover.CheckpointAtSecond:0.##} s");
        logger.LogWarning("run {RunId} taken over at {Second:0.##} s after its coordinator's silo {Silo} {Went}", plan.RunId, failover.ResumedAtSecond, failover.LostSilo,
            failover.Cause == FailoverCause.Handover ? "handed it over" : "was lost");
        return new TakeoverOutcome(second, failover, lostCoordinator?.Silo);
    }

    /// <summary>Membership as the cluster has it now (bounded retries: the store may be slow while a silo is being declared dead).</summary>
    private async Task<Dictionary<SiloAddress, SiloStatus>> StatusesAsync()
    {
        var giveUpAt = time.GetUtcNow() + MembershipPatience;
        while (true)
        {
            try { return await grains.GetGrain<IManagementGrain>(0).GetHosts(onlyActive: false).WaitAsync(RunCollector.CollectTimeout, time); }
            catch (Exception e) when (time.GetUtcNow() < giveUpAt)
            {
                logger.LogWarning("membership could not be read on the take-over: {Error}", e.GetBaseException().Message);
                await Task.Delay(TimeSpan.FromSeconds(1), time);
            }
        }
    }
}

/// <summary>What a take-over did: the second its collection stands for, the failover, and the old coordinator's silo if it was found gone.</summary>
public sealed record TakeoverOutcome(int Second, CoordinatorFailover Failover, RunSilo? LostCoordinator);

/// <summary>A silo found gone on a take-over: its clients, and those of them no survivor holds.</summary>
public sealed record LostOnTakeover(RunSilo Silo, int[] Clients, int[] Orphans);

/// <summary>
/// The books of a take-over, from membership and what each live silo of the checkpoint reported: pure, so each rule
/// is tested on its own. A silo membership shows active that reported is a survivor, its share now what it holds
/// (after the checkpoint's list, so the stop reaches every client it runs); one that is active but silent is left to
/// the collections (a slow silo must not have its clients run twice); any other is lost with its checkpoint share,
/// and its clients no survivor holds are orphans.
/// </summary>
public static class TakeoverBooks
{
    public static (List<(RunSilo Silo, SiloHolding Holding)> Answered, List<LostOnTakeover> Lost) Settle(RunRoster roster,
        IReadOnlyDictionary<SiloAddress, SiloStatus> statuses, IReadOnlyDictionary<string, SiloHolding?> holdings)
    {
        var answered = new List<(RunSilo, SiloHolding)>();
        var gone = new List<RunSilo>();
        foreach (var silo in roster.Live.ToList())
        {
            var status = statuses.GetValueOrDefault(silo.Address, SiloStatus.Dead);
            if (status != SiloStatus.Active) gone.Add(silo);
            else if (holdings.GetValueOrDefault(silo.Name) is { } holding) answered.Add((silo, holding));
            else silo.Unanswering = true;
        }
        var held = answered.SelectMany(a => a.Item2.Clients).ToHashSet();
        foreach (var (silo, holding) in answered)
        {
            var extra = holding.Clients.Except(silo.Share).ToArray();
            // Clients it took over after the checkpoint (an adoption the lost coordinator had begun).
            silo.Adopted += extra.Count(c => gone.Any(g => g.Share.Contains(c)));
            silo.Share = [.. silo.Share, .. extra];
        }
        var lost = gone.Select(g => new LostOnTakeover(g, g.Share, [.. g.Share.Where(c => !held.Contains(c))])).ToList();
        return (answered, lost);
    }
}
