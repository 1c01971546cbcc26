using Microsoft.Extensions.Logging;
using SimCluster.Abstractions.Plans;
using SimCluster.Abstractions.Runs;

namespace SimCluster.Grains.Runs;

/// <summary>
/// The collection loop: asks every live silo's agent for its snapshot once a second of the run, merges the
/// answers into the accumulator as that second's timeline point, and hands silent silos to the loss handler.
/// The timeline's latest second is <see cref="LastSecond"/>: each collection is the point of the second of the
/// run's clock it happens in (ticks that came late, after a collection waited on a silent silo, are collected at
/// once to catch up).
/// </summary>
public sealed class RunCollector(RunPlan plan, RunRoster roster, RunAccumulator accumulator, RunClock clock, SiloLossHandler losses, List<string> notes, TimeProvider time, ILogger logger)
{
    public static readonly TimeSpan CollectTimeout = TimeSpan.FromSeconds(5);

    public int LastSecond { get; private set; }

    /// <summary>A coordinator taking the run over carries the timeline on after the second it collected last.</summary>
    public void ContinueAfter(int second) => LastSecond = second;

    /// <summary>
    /// Collects every second until the planned end (the last second is collected beside the stop, so the stop is
    /// not held up). Returns true when <paramref name="abort"/> ended it first.
    /// </summary>
    public async Task<bool> UntilEndAsync(Task abort)
    {
        var end = clock.StartsAtUtc + plan.Duration;
        var second = LastSecond;
        while (true)
        {
            var nextTick = clock.EndOfSecond(second + 1);
            var wait = (nextTick < end ? nextTick : end) - clock.Now;
            if (wait > TimeSpan.Zero) await Task.WhenAny(Task.Delay(wait, time), abort);
            if (abort.IsCompleted) return true;
            second = SecondOfRun(after: second);
            if (clock.Now >= end) return false;
            await CollectAsync(second, final: false);
        }
    }

    /// <summary>
    /// Keeps collecting once a second while <paramref name="work"/> (the stop and its drain) runs, so the
    /// timeline goes on through the run's last second and the drain; the final collection follows it.
    /// </summary>
    public async Task WhileAsync(Task work)
    {
        while (!work.IsCompleted)
        {
            var wait = clock.EndOfSecond(LastSecond + 1) - clock.Now;
            if (wait > TimeSpan.Zero) await Task.WhenAny(work, Task.Delay(wait, time));
            if (work.IsCompleted) break;
            await CollectAsync(SecondOfRun(after: LastSecond), final: false);
        }
        await work;
    }

    /// <summary>
    /// The second of the run a collection round stands for: the clock's, not a count of rounds, so a round held
    /// up by a slow or dying silo does not shift every later point (and the second a silo was lost) back in time.
    /// </summary>
    private int SecondOfRun(int after) => Math.Max(after + 1, (int)Math.Floor(clock.SecondsOfRun));

    /// <summary>The collection after the stop: a live silo silent now is named, its numbers since its last answer missing.</summary>
    public Task FinalAsync() => CollectAsync(SecondOfRun(after: LastSecond), final: true);

    private async Task CollectAsync(int second, bool final)
    {
        clock.CollectedAtUtc = clock.Now;
        var collectedAt = Math.Round((clock.CollectedAtUtc - clock.StartsAtUtc).TotalSeconds, 2);
        var calls = roster.Live.ToList().Select(async silo =>
        {
            try
            {
                var snapshot = await silo.Agent.Collect(plan.RunId).WaitAsync(CollectTimeout);
                silo.Unanswering = false;
                silo.LastAnswerSecond = second;
                // As of the collection's start, not its answer: the hole after it is then never shorter than it was.
                silo.LastCollectedAtSecond = collectedAt;
                silo.Pace.Observe(snapshot, collectedAt);
                return snapshot;
            }
            catch (Exception e)
            {
                if (!silo.Unanswering)
                    logger.LogWarning("silo {Silo} did not answer at {Second} s: {Error}", silo.Name, second, e.GetBaseException().Message);
                silo.Unanswering = true;
                return null;
            }
        });
        var snapshots = (await Task.WhenAll(calls)).OfType<SiloSnapshot>().ToList();
        // A drained silo is gone from the cluster, its numbers complete: they stay in every round.
        snapshots.AddRange(roster.Drained.Select(s => s.Final).OfType<SiloSnapshot>());
        accumulator.Add(snapshots, second);
        LastSecond = second;
        if (roster.Live.Any(s => s.Unanswering)) await losses.HandleAsync();
        if (!final) return;
        foreach (var silo in roster.Live.Where(s => s.Unanswering).OrderBy(s => s.Name, StringComparer.Ordinal))
        {
            // Alive to membership, so its clients may have gone on counting: what they measured since its last answer is missing.
            silo.MissedFinal = true;
            var last = silo.LastAnswerSecond is { } at ? $"its last answer was at {at} s" : "it never answered one";
            notes.Add($"silo {silo.Name} did not answer the final collection ({last}); its clients' numbers since then are missing");
        }
    }
}
