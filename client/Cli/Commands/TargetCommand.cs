using System.Diagnostics;
using SimCluster.Target;

namespace SimCluster.Cli.Commands;

/// <summary>`simcluster target`: the reference target in the foreground until Ctrl-C, SIGTERM or its parent's exit.</summary>
public static class TargetCommand
{
    public static async Task<int> ExecuteAsync(TargetOptions options, int? parentPid, TextWriter stdout, TextWriter stderr, CancellationToken ct)
    {
        var errors = options.Validate();
        if (errors.Count > 0)
        {
            foreach (var e in errors) stderr.WriteLine($"error: {e}");
            return ExitCodes.InvalidInput;
        }
        ReferenceTarget target;
        try
        {
            target = await ReferenceTarget.StartAsync(options, ct);
        }
        catch (Exception e) when (e is IOException or InvalidOperationException or System.Net.Sockets.SocketException)
        {
            stderr.WriteLine($"error: the target could not start: {e.GetBaseException().Message}");
            return ExitCodes.CouldNotRun;
        }
        // The line the embedded run waits for; keep its shape.
        stdout.WriteLine($"SimCluster reference target listening on {target.WebSocketUri} (stats: {new Uri(target.BaseUri, "stats")}, metrics: {new Uri(target.BaseUri, "metrics")}, signalr hub: {target.HubUri})");
        stdout.Flush();
        try
        {
            var parentGone = parentPid is { } pid ? WaitForExitAsync(pid, ct) : Task.Delay(Timeout.Infinite, ct);
            await parentGone;
        }
        catch (OperationCanceledException) { }
        await target.StopAsync();
        return ExitCodes.Passed;
    }

    /// <summary>An embedded target must not outlive the run that started it, even if that run is killed.</summary>
    private static async Task WaitForExitAsync(int pid, CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            try
            {
                using var parent = Process.GetProcessById(pid);
                if (parent.HasExited) return;
            }
            catch (ArgumentException) { return; }
            await Task.Delay(1000, ct);
        }
    }
}
