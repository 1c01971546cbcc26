using SimCluster.Abstractions.Plans;
using SimCluster.Abstractions.Runs;

namespace SimCluster.Grains.Runs;

/// <summary>What the coordinator knows about a run, as the result the CLI reports and grades (interim or final).</summary>
public static class RunResultAssembler
{
    public static RunResult Build(RunPlan plan, RunClock clock, int started, RunAccumulator? accumulator, RunRoster? roster, string coordinatorSilo,
        IEnumerable<string> notes, string? abortReason, ServerProbeResult? afterAttackProbe, ClientTimeline[] timelines)
    {
        var sources = SiloSourceRanges.For(plan, roster).ToDictionary(r => r.Silo);
        return new()
        {
            RunId = plan.RunId,
            StartedAtUtc = clock.StartsAtUtc == default ? clock.RequestedAtUtc : clock.StartsAtUtc,
            EndedAtUtc = clock.Now,
            Planned = plan.Clients,
            Started = started,
            Groups = accumulator?.Results() ?? [],
            Timeline = [.. accumulator?.Timeline ?? []],
            Silos = [.. (roster?.All ?? []).Select(s => new SiloResult
            {
                Address = s.Name,
                Clients = s.ArmedClients,
                Lost = s.IsLost,
                LostAtSeconds = s.LostAtSecond,
                Adopted = s.Adopted,
                StopUnconfirmed = s.StopUnconfirmed,
                Coordinator = s.Name == coordinatorSilo,
                SourceRange = sources.GetValueOrDefault(s.Name)?.Range,
                SourceAddresses = sources.GetValueOrDefault(s.Name)?.Addresses ?? 0,
                MissedFinalCollection = s.MissedFinal,
                LastCollectedAtSeconds = s.LastCollectedAtSecond,
                LostClients = s.LostClients,
                ReactivatedAtSeconds = s.ReactivatedAtSecond,
                DrainedAtSeconds = s.DrainedAtSecond,
                DrainedClients = s.DrainedClients,
                MigratedClients = s.MigratedClients,
                MigratedIn = s.MigratedIn,
                HoleAtMost = s.LostAtSecond is { } lostAt ? s.Pace.AtMost(lostAt - (s.LastCollectedAtSecond ?? 0), s.LostClients) : [],
            })],
            ActiveSeconds = clock.ActiveSeconds(),
            Notes = [.. notes],
            Aborted = abortReason is not null,
            AbortReason = abortReason,
            Malformed = accumulator?.Malformed(afterAttackProbe),
            Timelines = timelines,
        };
    }
}
