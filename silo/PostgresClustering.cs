using System.Reflection;
using Npgsql;
using SimCluster.Abstractions.Security;

namespace SimCluster.Silo;

/// <summary>
/// ADO.NET clustering on PostgreSQL: <c>--cluster postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE</c> (or
/// <c>postgresql://</c>) mapped to an Npgsql connection string and the ADO.NET invariant <see cref="Invariant"/>.
/// The password comes from the URL, else <c>--cluster-password-file</c>, else <c>PGPASSWORD</c>; it is never
/// shown: <see cref="Display"/> and <see cref="ToString"/> leave it out.
/// </summary>
public sealed class PostgresClustering
{
    /// <summary>The ADO.NET invariant Orleans resolves to Npgsql's factory.</summary>
    public const string Invariant = "Npgsql";
    public const string PasswordVariable = "PGPASSWORD";
    public const int DefaultPort = 5432;

    /// <summary>The query keys Microsoft.Orleans.Clustering.AdoNet 10.4.2 reads from OrleansQuery (all required).</summary>
    public static readonly IReadOnlyList<string> QueryKeys =
    [
        "InsertMembershipVersionKey", "InsertMembershipKey", "UpdateMembershipKey", "UpdateIAmAlivetimeKey",
        "MembershipReadRowKey", "MembershipReadAllKey", "GatewaysQueryKey", "DeleteMembershipTableEntriesKey",
        "CleanupDefunctSiloEntriesKey", "CleanupDefunctSiloEntryKey",
    ];

    private static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(10);

    private readonly string _connectionString;

    private PostgresClustering(string host, int port, string database, string user, string connectionString)
    {
        Host = host;
        Port = port;
        Database = database;
        User = user;
        _connectionString = connectionString;
    }

    public string Host { get; }
    public int Port { get; }
    public string Database { get; }
    public string User { get; }

    /// <summary>The address without any password: safe for logs, errors and reports.</summary>
    public string Display => $"postgres://{User}@{Host}:{Port}/{Database}";

    /// <summary>The Npgsql connection string, password included: only for Orleans' options and our own connections.</summary>
    public string ConnectionString => _connectionString;

    public override string ToString() => Display;

    public static bool IsPostgres(string? cluster) =>
        cluster is not null && (cluster.StartsWith("postgres://", StringComparison.OrdinalIgnoreCase) || cluster.StartsWith("postgresql://", StringComparison.OrdinalIgnoreCase));

    /// <summary>
    /// Parses <paramref name="cluster"/>; every error names <c>--cluster</c> and never repeats the password.
    /// <paramref name="passwordFile"/> (first line) and <paramref name="variable"/>(PGPASSWORD) are read only
    /// when the URL has no password.
    /// </summary>
    public static PostgresClustering Parse(string cluster, string? passwordFile, Func<string, string?> variable)
    {
        var shown = Secrets.Redact(cluster);
        if (!Uri.TryCreate(cluster, UriKind.Absolute, out var uri) || !IsPostgres(cluster) || string.IsNullOrEmpty(uri.Host))
            throw new ArgumentException($"--cluster: '{shown}' is not a postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE address");
        var userInfo = uri.UserInfo.Split(':', 2);
        var user = Uri.UnescapeDataString(userInfo[0]);
        var database = Uri.UnescapeDataString(uri.AbsolutePath.Trim('/'));
        var errors = new List<string>();
        if (user.Length == 0) errors.Add("no user (postgres://USER@HOST/DATABASE)");
        if (database.Length == 0 || database.Contains('/')) errors.Add("no database name after the host (postgres://USER@HOST:PORT/DATABASE)");
        if (uri.Query.Length > 0 || uri.Fragment.Length > 0) errors.Add("query strings and fragments are not supported");
        if (errors.Count > 0) throw new ArgumentException($"--cluster: '{shown}': {string.Join("; ", errors)}");

        var password = userInfo.Length > 1 ? Uri.UnescapeDataString(userInfo[1]) : null;
        if (password is null && passwordFile is not null)
        {
            try { password = File.ReadLines(passwordFile).FirstOrDefault()?.TrimEnd('\r') ?? ""; }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new ArgumentException($"--cluster-password-file: cannot read '{passwordFile}': {e.Message}", e);
            }
        }
        password ??= variable(PasswordVariable) is { Length: > 0 } fromEnvironment ? fromEnvironment : null;

        var port = uri.IsDefaultPort || uri.Port < 0 ? DefaultPort : uri.Port;
        var builder = new NpgsqlConnectionStringBuilder
        {
            Host = uri.Host.Trim('[', ']'),
            Port = port,
            Database = database,
            Username = user,
            Timeout = (int)ConnectTimeout.TotalSeconds,
            ApplicationName = "simcluster",
        };
        if (password is not null) builder.Password = password;
        return new PostgresClustering(builder.Host!, port, database, user, builder.ConnectionString);
    }

    /// <summary>The schema script embedded in this assembly (silo/Sql/postgresql-clustering.sql).</summary>
    public static string SchemaScript()
    {
        using var stream = typeof(PostgresClustering).Assembly.GetManifestResourceStream("SimCluster.Silo.Sql.postgresql-clustering.sql")
                           ?? throw new InvalidOperationException("the PostgreSQL schema is not embedded in SimCluster.Silo");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    /// <summary>Creates what is missing and replaces the query texts, in one transaction. Returns the query keys present afterwards.</summary>
    public async Task<IReadOnlyList<string>> ApplySchemaAsync(CancellationToken ct)
    {
        await using var connection = await OpenAsync(ct);
        await using (var transaction = await connection.BeginTransactionAsync(ct))
        {
            await using (var command = new NpgsqlCommand(SchemaScript(), connection, transaction))
            {
                await command.ExecuteNonQueryAsync(ct);
            }
            await transaction.CommitAsync(ct);
        }
        return await PresentKeysAsync(connection, ct);
    }

    /// <summary>
    /// Reaches the server and checks that the schema is there: a <see cref="PostgresClusteringException"/>
    /// says what is wrong and what fixes it.
    /// </summary>
    public async Task CheckAsync(CancellationToken ct)
    {
        await using var connection = await OpenAsync(ct);
        var present = await PresentKeysAsync(connection, ct);
        var missing = QueryKeys.Except(present).ToList();
        if (missing.Count == 0) return;
        throw new PostgresClusteringException(
            (present.Count == 0 ? $"the Orleans membership schema is missing in database '{Database}' at {Host}:{Port}"
                                : $"the Orleans membership schema in database '{Database}' at {Host}:{Port} lacks the queries {string.Join(", ", missing)}") +
            $": run `./simcluster db init --cluster {Display}` (or start the silo with --init-schema)");
    }

    private async Task<NpgsqlConnection> OpenAsync(CancellationToken ct)
    {
        var connection = new NpgsqlConnection(_connectionString);
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(ConnectTimeout + TimeSpan.FromSeconds(5));
            await connection.OpenAsync(timeout.Token);
            return connection;
        }
        catch (Exception e) when (e is NpgsqlException or OperationCanceledException or TimeoutException or ArgumentException && !ct.IsCancellationRequested)
        {
            await connection.DisposeAsync();
            throw new PostgresClusteringException(Explain(e), e);
        }
    }

    private static async Task<IReadOnlyList<string>> PresentKeysAsync(NpgsqlConnection connection, CancellationToken ct)
    {
        // to_regclass: NULL instead of an error when the table does not exist (search_path, like the provider's own query).
        await using var exists = new NpgsqlCommand("SELECT to_regclass('orleansquery') IS NOT NULL", connection);
        if (await exists.ExecuteScalarAsync(ct) is not true) return [];
        await using var command = new NpgsqlCommand("SELECT QueryKey FROM OrleansQuery", connection);
        await using var reader = await command.ExecuteReaderAsync(ct);
        var keys = new List<string>();
        while (await reader.ReadAsync(ct)) keys.Add(reader.GetString(0));
        return keys;
    }

    /// <summary>A connection failure in words a user can act on; never the password.</summary>
    public string Explain(Exception e)
    {
        var where = $"PostgreSQL at {Host}:{Port} (--cluster {Display})";
        return e switch
        {
            PostgresException { SqlState: "28P01" or "28000" } => $"{where} refused user '{User}': {Secrets.Redact(e.Message)} (password from the URL, --cluster-password-file or {PasswordVariable})",
            PostgresException { SqlState: "3D000" } => $"{where} has no database '{Database}': create it (createdb {Database}), then run `./simcluster db init --cluster {Display}`",
            PostgresException pg => $"{where}: {Secrets.Redact(pg.MessageText)} ({pg.SqlState})",
            _ => $"cannot reach {where}: is the server running and reachable from this machine? ({Secrets.Redact(e.GetBaseException().Message)})",
        };
    }
}

/// <summary>PostgreSQL clustering cannot be used as configured; the message says what to do.</summary>
public sealed class PostgresClusteringException : InvalidOperationException
{
    public PostgresClusteringException(string message) : base(message) { }
    public PostgresClusteringException(string message, Exception inner) : base(message, inner) { }
}
