using SimCluster.Silo;

namespace SimCluster.Cli.Commands;

/// <summary>
/// `simcluster db init|check --cluster postgres://...`: applies (init) or checks (check) SimCluster's Orleans
/// membership schema in a PostgreSQL database. Bad input exits 104, an unreachable server or a missing schema 105.
/// </summary>
public static class DbCommand
{
    public static async Task<int> ExecuteAsync(bool apply, string cluster, string? passwordFile, TextWriter stdout, TextWriter stderr, CancellationToken ct)
    {
        PostgresClustering postgres;
        try
        {
            if (!PostgresClustering.IsPostgres(cluster))
                throw new ArgumentException($"--cluster: '{SimCluster.Abstractions.Security.Secrets.Redact(cluster)}' is not a postgres:// or postgresql:// address (only PostgreSQL membership has a schema to manage)");
            postgres = PostgresClustering.Parse(cluster, passwordFile, Environment.GetEnvironmentVariable);
        }
        catch (ArgumentException e)
        {
            stderr.WriteLine($"error: {e.Message}");
            return ExitCodes.InvalidInput;
        }
        try
        {
            if (apply)
            {
                var keys = await postgres.ApplySchemaAsync(ct);
                await postgres.CheckAsync(ct);
                stdout.WriteLine($"schema ready in {postgres.Display}: tables OrleansQuery, OrleansMembershipVersionTable, OrleansMembershipTable; {keys.Count} queries");
            }
            else
            {
                await postgres.CheckAsync(ct);
                stdout.WriteLine($"schema ok in {postgres.Display}: all {PostgresClustering.QueryKeys.Count} membership queries present");
            }
            return ExitCodes.Passed;
        }
        catch (PostgresClusteringException e)
        {
            stderr.WriteLine($"error: {e.Message}");
            return ExitCodes.CouldNotRun;
        }
        catch (Npgsql.NpgsqlException e)
        {
            stderr.WriteLine($"error: {postgres.Explain(e)}");
            return ExitCodes.CouldNotRun;
        }
    }
}
