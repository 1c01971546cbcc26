using SimCluster.Silo;

namespace SimCluster.Tests.Silo;

/// <summary>postgres:// cluster addresses: what they map to, where the password comes from, and that it never shows.</summary>
[Trait("Category", "Unit")]
public sealed class PostgresClusteringOptionsTests
{
    private static readonly Func<string, string?> NoEnvironment = _ => null;

    [Theory]
    [InlineData("postgres://sim@db.local:6543/members", "db.local", 6543, "members")]
    [InlineData("postgresql://sim@127.0.0.1/members", "127.0.0.1", 5432, "members")]
    public void An_address_maps_to_an_npgsql_connection_string(string spec, string host, int port, string database)
    {
        var postgres = PostgresClustering.Parse(spec, null, NoEnvironment);
        var builder = new Npgsql.NpgsqlConnectionStringBuilder(postgres.ConnectionString);
        Assert.Equal((host, port, database, "sim"), (builder.Host, builder.Port, builder.Database, builder.Username));
        Assert.Null(builder.Password);
        Assert.Equal($"postgres://sim@{host}:{port}/{database}", postgres.Display);
        Assert.Equal("Npgsql", PostgresClustering.Invariant);
    }

    [Fact]
    public void The_password_comes_from_the_url_then_the_file_then_PGPASSWORD_and_is_never_displayed()
    {
        var file = Path.GetTempFileName();
        try
        {
            File.WriteAllText(file, "from-file\nsecond line ignored\n");
            Func<string, string?> environment = name => name == "PGPASSWORD" ? "from-env" : null;
            string Password(string spec, string? passwordFile) =>
                new Npgsql.NpgsqlConnectionStringBuilder(PostgresClustering.Parse(spec, passwordFile, environment).ConnectionString).Password!;
            Assert.Equal("p@ss:word", Password("postgres://sim:p%40ss%3Aword@h/db", file));
            Assert.Equal("from-file", Password("postgres://sim@h/db", file));
            Assert.Equal("from-env", Password("postgres://sim@h/db", null));

            var postgres = PostgresClustering.Parse("postgres://sim:hunter2-secret@h/db", null, environment);
            Assert.DoesNotContain("hunter2", postgres.Display + postgres.ToString());
            var options = new SiloOptions { Cluster = "postgres://sim:hunter2-secret@h/db", HttpPort = 0 };
            Assert.DoesNotContain("hunter2", options.ClusterDisplay);
            Assert.Empty(options.Validate());
        }
        finally { File.Delete(file); }
    }

    [Fact]
    public void A_silo_takes_PGPASSWORD_from_its_environment_and_never_prints_it()
    {
        var options = new SiloOptions { Cluster = "postgres://sim@127.0.0.1:5432/db", HttpPort = 0 }
            .WithEnvironment(name => name == "PGPASSWORD" ? " env-secret-42 " : null);
        Assert.Equal(" env-secret-42 ", new Npgsql.NpgsqlConnectionStringBuilder(options.Postgres.ConnectionString).Password);
        Assert.DoesNotContain("env-secret-42", options.ToString());
        Assert.DoesNotContain("env-secret-42", options.ClusterDisplay);
    }

    [Theory]
    [InlineData("postgres://h/db", "no user")]
    [InlineData("postgres://sim@h", "no database")]
    [InlineData("postgres://sim:pw-secret@h/db?sslmode=require", "query strings")]
    [InlineData("postgres://", "is not a postgres://")]
    public void A_malformed_address_is_an_error_that_names_the_option_and_hides_the_password(string spec, string expected)
    {
        var e = Assert.Throws<ArgumentException>(() => PostgresClustering.Parse(spec, null, NoEnvironment));
        Assert.StartsWith("--cluster:", e.Message);
        Assert.Contains(expected, e.Message);
        Assert.DoesNotContain("pw-secret", e.Message);
        var errors = new SiloOptions { Cluster = spec, HttpPort = 0 }.Validate();
        Assert.Contains(errors, x => x.Contains(expected, StringComparison.Ordinal));
    }

    [Fact]
    public void Schema_options_belong_to_postgres_clusters_only()
    {
        var errors = new SiloOptions { Cluster = "redis://127.0.0.1:6379", InitSchema = true, ClusterPasswordFile = "pw", HttpPort = 0 }.Validate();
        Assert.Contains(errors, e => e.StartsWith("--init-schema", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("--cluster-password-file", StringComparison.Ordinal));
    }

    [Fact]
    public void The_embedded_schema_defines_every_query_the_provider_reads_and_is_idempotent_by_construction()
    {
        var script = PostgresClustering.SchemaScript();
        foreach (var key in PostgresClustering.QueryKeys) Assert.Contains($"('{key}', $q$", script);
        Assert.Contains("ON CONFLICT (QueryKey) DO UPDATE", script);
        Assert.Equal(3, System.Text.RegularExpressions.Regex.Matches(script, "CREATE TABLE IF NOT EXISTS").Count);
        Assert.DoesNotContain("CREATE TABLE Orleans", script);
    }
}
