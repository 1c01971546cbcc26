using Microsoft.Extensions.Logging;
using SimCluster.Abstractions.Plans;

namespace SimCluster.Grains.Runs;

/// <summary>
/// A silo asked to stop (SIGTERM, a pod deletion) leaves the run without a hole: its agent stops and deactivates
/// its clients and hands over its final numbers, which stand for it in every later collection; then the survivors
/// start those clients again (counted as migrated, not lost). The silo waits for this before Orleans' own
/// shutdown (<see cref="SiloDrain"/>).
/// </summary>
public sealed class SiloDrainHandler(RunPlan plan, RunRoster roster, RunClock clock, List<string> notes, Func<bool> running, ILogger logger)
{
    /// <summary>Beyond the stop grace, time for the clients' closing handshakes and their deactivation.</summary>
    public static readonly TimeSpan DrainMargin = TimeSpan.FromSeconds(10);

    private Task _migrations = Task.CompletedTask;

    public int MigratedClients { get; private set; }

    /// <summary>Migrations still under way (the stop waits for them, or they would start clients after it).</summary>
    public Task Migrations => _migrations;

    /// <summary>
    /// Drains <paramref name="siloName"/>: returns once its final numbers are in (true), or false when it is not a
    /// live silo of this running run (the run's own stop then takes its numbers, or it was already lost).
    /// </summary>
    public async Task<bool> DrainAsync(string siloName)
    {
        var silo = roster.Live.FirstOrDefault(s => s.Name == siloName);
        if (silo is null || silo.Draining || !running()) return false;
        silo.Draining = true;
        var asked = Math.Round(clock.SecondsOfRun, 2);
        try
        {
            silo.Final = await silo.Agent.Drain(plan.RunId).WaitAsync(plan.StopGrace + DrainMargin);
        }
        catch (Exception e)
        {
            // Left to membership: once it has gone it is declared dead and handled as a lost silo.
            silo.Draining = false;
            notes.Add($"silo {silo.Name} was asked to stop at {asked:0.##} s but did not hand over its final numbers ({e.GetBaseException().Message})");
            logger.LogWarning("silo {Silo} did not drain: {Error}", silo.Name, e.GetBaseException().Message);
            return false;
        }
        var clients = silo.Share;
        silo.DrainedClients = clients.Length;
        silo.DrainedAtSecond = Math.Round(clock.SecondsOfRun, 2);
        logger.LogWarning("silo {Silo} drained at {Second:0.##} s with {Clients} clients", silo.Name, silo.DrainedAtSecond, clients.Length);
        _migrations = Task.WhenAll(_migrations, MigrateAsync(silo, clients, asked));
        return true;
    }

    private async Task MigrateAsync(RunSilo drained, int[] clients, double asked)
    {
        var survivors = SurvivorAdoption.Survivors(roster);
        if (survivors.Count == 0 || !running())
        {
            notes.Add($"silo {drained.Name} was asked to stop at {asked:0.##} s and delivered its final numbers at {drained.DrainedAtSecond:0.##} s; " +
                      (survivors.Count == 0 ? $"no other silo could take over its {clients.Length} clients" : "the run was ending, so its clients were not started again"));
            return;
        }
        var (moves, started) = await SurvivorAdoption.StartAsync(plan, roster, clock, clients, survivors, logger);
        for (var s = 0; s < moves.Length; s++) moves[s].To.MigratedIn += started[s];
        drained.MigratedClients = started.Sum();
        MigratedClients += started.Sum();
        notes.Add($"silo {drained.Name} was asked to stop at {asked:0.##} s: its {clients.Length} clients stopped and its final numbers were delivered at {drained.DrainedAtSecond:0.##} s; " +
                  $"{started.Sum()} of them were migrated to {survivors.Count} silo(s) by {clock.SecondsOfRun:0.##} s");
    }
}
