using SimCluster.Silo;

namespace SimCluster.Cli.Commands;

/// <summary>`simcluster silo`: one silo in the foreground until SIGTERM or Ctrl-C.</summary>
public static class SiloCommand
{
    public static async Task<int> ExecuteAsync(SiloOptions options, TextWriter stdout, TextWriter stderr, CancellationToken ct)
    {
        var errors = options.Validate();
        if (errors.Count > 0)
        {
            foreach (var e in errors) stderr.WriteLine($"error: {e}");
            return ExitCodes.InvalidInput;
        }
        try
        {
            await using var app = SiloHost.BuildServer(options);
            if (options.HttpPort > 0) Api.ControlApi.Map(app, Path.GetFullPath(options.DataDirectory));
            await app.StartAsync(ct);
            stdout.WriteLine($"silo ready: cluster {options.Cluster}, silo port {options.SiloPort}, gateway port {options.GatewayPort}" +
                             (options.HttpPort > 0 ? $", dashboard http://{options.HttpHost}:{options.HttpPort}/dashboard, control API http://{options.HttpHost}:{options.HttpPort}{Api.ControlApi.Prefix}/runs" +
                              (options.Token is null ? "" : " (token required)") : ""));
            try { await Task.Delay(Timeout.Infinite, ct); }
            catch (OperationCanceledException) { }
            await app.StopAsync(CancellationToken.None);
            return ExitCodes.Passed;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            stderr.WriteLine($"error: the silo could not run: {e.GetBaseException().Message}");
            return ExitCodes.CouldNotRun;
        }
    }
}
