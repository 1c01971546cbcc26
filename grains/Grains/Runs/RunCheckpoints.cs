using SimCluster.Abstractions.Plans;
using SimCluster.Abstractions.Runs;

namespace SimCluster.Grains.Runs;

/// <summary>
/// The coordinator's state as a <see cref="RunCheckpoint"/> (the driver keeps one every few seconds) and back: what a
/// coordinator re-activated on a survivor needs to carry the run on (<see cref="CoordinatorTakeover"/>).
/// </summary>
public static class RunCheckpoints
{
    public static RunCheckpoint Take(RunPhase phase, RunClock clock, RunAccumulator accumulator, RunRoster roster, string coordinatorSilo,
        IEnumerable<string> notes, SiloLossHandler? losses, CoordinatorFailover[] failovers, string? abortReason, int started, int afterSecond, DateTime? handedOverAtUtc = null) => new()
    {
        Phase = phase,
        RequestedAtUtc = clock.RequestedAtUtc,
        StartsAtUtc = clock.StartsAtUtc,
        ActiveEndedAtUtc = clock.ActiveEndedAtUtc,
        CollectedAtUtc = clock.CollectedAtUtc,
        CoordinatorSilo = coordinatorSilo,
        Latest = accumulator.Latest(),
        Timeline = [.. accumulator.Timeline.Where(p => p.T > afterSecond)],
        Silos = roster.Checkpoint(),
        Notes = [.. notes],
        LostClients = losses?.LostClients ?? 0,
        ReactivatedClients = losses?.ReactivatedClients ?? 0,
        Failovers = failovers,
        AbortReason = abortReason,
        Started = started,
        FirstAttackSecond = accumulator.FirstAttackSecond,
        HandedOverAtUtc = handedOverAtUtc,
    };

    /// <summary>The merged numbers as of the checkpoint (its timeline whole: the driver joined the parts it was sent).</summary>
    public static RunAccumulator Accumulator(RunPlan plan, RunCheckpoint checkpoint)
    {
        var accumulator = new RunAccumulator(plan);
        accumulator.Seed(checkpoint.Latest, checkpoint.Timeline, checkpoint.Silos.Where(s => s.LostAtSecond is not null).Select(s => s.Name), checkpoint.FirstAttackSecond);
        return accumulator;
    }
}
