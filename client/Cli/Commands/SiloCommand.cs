using Microsoft.Extensions.DependencyInjection;
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
            // Valid arguments that would open the control API to the network without a token: refused, not mistyped.
            return errors.Count == 1 && errors[0] == options.UnprotectedExposure() ? ExitCodes.CouldNotRun : ExitCodes.InvalidInput;
        }
        // A port taken by another process (often a second silo with the same ports) is found at once,
        // rather than as a bind failure deep in Orleans' start.
        var taken = SiloHost.PortsInUse(options);
        if (taken.Count > 0)
        {
            foreach (var e in taken) stderr.WriteLine($"error: {e}");
            return ExitCodes.CouldNotRun;
        }
        // Runs started over HTTP write there: an unusable directory is said now, not as a failed POST /api/runs.
        if (options.HttpPort > 0 && DataDirectory.Problem(options.DataDirectory) is { } dataProblem)
        {
            stderr.WriteLine($"error: {dataProblem}");
            return ExitCodes.CouldNotRun;
        }
        if (PostgresClustering.IsPostgres(options.Cluster))
        {
            // Reach the server and find the schema before Orleans starts: its own failure would be a retry loop
            // and a stack trace. --init-schema creates the schema first (idempotent).
            var postgres = options.Postgres;
            try
            {
                if (options.InitSchema)
                {
                    await postgres.ApplySchemaAsync(ct);
                    stdout.WriteLine($"schema applied: {postgres.Display}");
                }
                await postgres.CheckAsync(ct);
            }
            catch (PostgresClusteringException e)
            {
                stderr.WriteLine($"error: {e.Message}");
                return ExitCodes.CouldNotRun;
            }
        }
        try
        {
            await using var app = SiloHost.BuildServer(options);
            if (options.HttpPort > 0)
            {
                Api.ControlApi.Map(app, Path.GetFullPath(options.DataDirectory));
                Api.LivePages.Map(app, app.Services.GetRequiredService<IGrainFactory>());
            }
            using (var joining = CancellationTokenSource.CreateLinkedTokenSource(ct))
            {
                joining.CancelAfter(SiloHost.JoinTimeout);
                try { await app.StartAsync(joining.Token); }
                catch (OperationCanceledException) when (!ct.IsCancellationRequested)
                {
                    stderr.WriteLine($"error: the silo could not join cluster {options.ClusterDisplay} within {SiloHost.JoinTimeout.TotalSeconds:0} s: " +
                                     (options.Cluster == "localhost" ? $"is the primary silo (--primary-silo-port {options.PrimarySiloPort}) running?" : "are the other silos and the membership store reachable?"));
                    return ExitCodes.CouldNotRun;
                }
            }
            stdout.WriteLine($"silo ready: cluster {options.ClusterDisplay}, silo port {options.SiloPort}, gateway port {options.GatewayPort}" +
                             (options.HttpPort > 0 ? $", dashboard http://{options.HttpHost}:{options.HttpPort}/dashboard, control API http://{options.HttpHost}:{options.HttpPort}{Api.ControlApi.Prefix}/runs, live runs http://{options.HttpHost}:{options.HttpPort}{Api.LivePages.Prefix}" +
                              (options.Token is null ? "" : " (token required)") : ""));
            try { await Task.Delay(Timeout.Infinite, ct); }
            catch (OperationCanceledException) { }
            await app.StopAsync(CancellationToken.None);
            return ExitCodes.Passed;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            stderr.WriteLine($"error: the silo could not run: {SiloHost.Explain(e, options.Cluster)}");
            return ExitCodes.CouldNotRun;
        }
    }
}
