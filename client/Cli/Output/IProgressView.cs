using SimCluster.Abstractions.Runs;

namespace SimCluster.Cli.Output;

/// <summary>Where live progress goes: a Spectre.Console live table on a terminal, plain lines otherwise.</summary>
public interface IProgressView
{
    Task RunAsync(Func<Action<RunProgress>, Task> body);
}

public static class ProgressFormat
{
    /// <summary>Malformed-case verdicts so far: "18 pass/3 fail/4 pending" and the failing ones with their worst verdict.</summary>
    public static string Cases(RunProgress p)
    {
        var failing = p.Cases.Where(c => c.Status == "fail").Select(c => $"{c.Id}:{c.Worst}").ToList();
        return $"{p.CasesPassed}pass/{p.CasesFailed}fail/{p.CasesPending}pending" + (failing.Count == 0 ? "" : $" [{string.Join(" ", failing)}]");
    }

    public static string Line(RunProgress p, double durationSeconds) =>
        $"[{p.Phase.ToString().ToLowerInvariant(),-9}] t={p.ElapsedSeconds,5:F0}/{durationSeconds:F0}s open={p.Open} connects={p.Connects} " +
        $"drops={p.ForcedDrops} disconnects={p.Disconnects} reconnects={p.Reconnects} msg/s={p.MessagesPerSecond:F0} " +
        $"rtt_p95={p.RttP95Ms:F2}ms lost={p.MessagesLost} connect_errors={p.ConnectFailures} silos={p.Silos}" +
        (p.ZombiesEvicted > 0 ? $" zombies_evicted={p.ZombiesEvicted}" : "") +
        (p.TokenRefreshes > 0 ? $" token_refreshes={p.TokenRefreshes}" : "") +
        (p.Attacks > 0 ? $" attacks={p.Attacks}" : "") +
        (p.Cases.Length > 0 ? $" cases={Cases(p)}" : "") +
        (p.LostClients > 0 ? $" lost_clients={p.LostClients} reactivated={p.ReactivatedClients}" : "") +
        (p.Message is null ? "" : $" ({p.Message})");
}

/// <summary>One line per second; what CI logs and pipes get.</summary>
public sealed class PlainProgressView(TextWriter output, double durationSeconds) : IProgressView
{
    public Task RunAsync(Func<Action<RunProgress>, Task> body)
    {
        string? coordinator = null;
        return body(p =>
        {
            // Once: where the run's coordinator lives (losing that silo ends the run).
            if (coordinator is null && p.CoordinatorSilo is { } c && p.Phase != RunPhase.Arming)
            {
                output.WriteLine($"coordinator on silo {coordinator = c}");
                // On a cluster, each silo's own source addresses (its clients connect from there).
                if (p.SiloSources.Length > 1)
                    foreach (var s in p.SiloSources)
                        output.WriteLine($"silo {s.Silo}: {s.Clients} clients from {(s.Range.Length == 0 ? "addresses the OS chooses" : $"{s.Range} ({s.Addresses} addresses)")}");
            }
            output.WriteLine(ProgressFormat.Line(p, durationSeconds));
        });
    }
}
