using SimCluster.Abstractions.Runs;

namespace SimCluster.Cli.Output;

/// <summary>Where live progress goes: a Spectre.Console live table on a terminal, plain lines otherwise.</summary>
public interface IProgressView
{
    Task RunAsync(Func<Action<RunProgress>, Task> body);
}

public static class ProgressFormat
{
    public static string Line(RunProgress p, double durationSeconds) =>
        $"[{p.Phase.ToString().ToLowerInvariant(),-9}] t={p.ElapsedSeconds,5:F0}/{durationSeconds:F0}s open={p.Open} connects={p.Connects} " +
        $"drops={p.ForcedDrops} disconnects={p.Disconnects} reconnects={p.Reconnects} msg/s={p.MessagesPerSecond:F0} " +
        $"rtt_p95={p.RttP95Ms:F2}ms lost={p.MessagesLost} connect_errors={p.ConnectFailures} silos={p.Silos}" +
        (p.ZombiesEvicted > 0 ? $" zombies_evicted={p.ZombiesEvicted}" : "") +
        (p.TokenRefreshes > 0 ? $" token_refreshes={p.TokenRefreshes}" : "") +
        (p.Attacks > 0 ? $" attacks={p.Attacks}" : "") +
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
                output.WriteLine($"coordinator on silo {coordinator = c}");
            output.WriteLine(ProgressFormat.Line(p, durationSeconds));
        });
    }
}
