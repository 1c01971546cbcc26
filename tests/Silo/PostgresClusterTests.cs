using System.Diagnostics;
using System.Text.Json.Nodes;
using Npgsql;
using SimCluster.Tests.Support;

namespace SimCluster.Tests.Silo;

/// <summary>
/// ADO.NET clustering on a real PostgreSQL server on this machine: `simcluster db init` applies the schema,
/// two `simcluster silo` processes join through it, `simcluster run --cluster postgres://...` spreads its
/// clients over both, and a silo killed afterwards is marked dead in the membership table.
/// </summary>
// Two silo processes and 40 clients: light enough to run beside the heavy collection (see LightRunsCollection).
[Collection(LightRunsCollection.Name)]
public sealed class PostgresClusterTests(Xunit.Abstractions.ITestOutputHelper output)
{
    private const int Clients = 40;

    [Fact]
    public async Task Two_silos_share_a_postgres_membership_table_and_a_run_spreads_over_both()
    {
        var clock = Stopwatch.StartNew();
        await Simcluster.EnsureBuiltAsync(); // builds the CLI once, before any clock starts
        await using var postgres = await PostgresServer.StartAsync();
        var folder = Simcluster.TempFolder("postgres-cluster");
        var silos = new List<(BackgroundProcess Process, int SiloPort, int HttpPort)>();
        try
        {
            // The password reaches every command through PGPASSWORD only: the URL carries none.
            var init = await Simcluster.RunWithEnvironmentAsync(postgres.Environment, "db", "init", "--cluster", postgres.Spec);
            Assert.True(init.ExitCode == 0, init.ToString());
            var again = await Simcluster.RunWithEnvironmentAsync(postgres.Environment, "db", "init", "--cluster", postgres.Spec);
            Assert.True(again.ExitCode == 0, $"db init is not idempotent: {again}");

            for (var i = 0; i < 2; i++)
            {
                var (siloPort, gatewayPort, httpPort) = (BackgroundProcess.FreeLoopbackPort(), BackgroundProcess.FreeLoopbackPort(), BackgroundProcess.FreeLoopbackPort());
                var info = ChildProcess.StartInfo(Path.Combine(Simcluster.RepoRoot, "simcluster"),
                    ["silo", "--cluster", postgres.Spec, "--silo-port", $"{siloPort}", "--gateway-port", $"{gatewayPort}", "--http-port", $"{httpPort}"], Simcluster.RepoRoot);
                foreach (var (name, value) in postgres.Environment) info.Environment[name] = value;
                silos.Add((BackgroundProcess.Start($"silo {i + 1}", info), siloPort, httpPort));
            }
            foreach (var silo in silos) await silo.Process.WaitForLineAsync(l => l.StartsWith("silo ready", StringComparison.Ordinal), "the silo starting", TimeSpan.FromSeconds(90));
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
            foreach (var silo in silos)
            {
                await Eventually.TrueAsync(() =>
                {
                    var view = JsonNode.Parse(http.GetStringAsync($"http://127.0.0.1:{silo.HttpPort}/api/cluster").GetAwaiter().GetResult())!;
                    return view["silos"]!.AsArray().Count(s => s!["status"]!.GetValue<string>() == "active") == 2;
                }, $"{silo.Process.Name} seeing 2 active silos", TimeSpan.FromSeconds(60));
            }

            // Membership lives in PostgreSQL: one Active row (status 3) per silo, with its gateway port.
            var rows = await postgres.MembershipAsync();
            output.WriteLine($"membership rows: {string.Join("; ", rows)}");
            Assert.Equal(2, rows.Count(r => r.Status == 3));
            Assert.All(silos, s => Assert.Contains(rows, r => r.Port == s.SiloPort && r.Status == 3 && r.ProxyPort > 0));

            var scenario = await RedisCluster.WriteFlappingScenarioAsync(Path.Combine(folder, "postgres.yaml"), "postgres-cluster", Clients, "12s", seed: 11);
            var outDir = Path.Combine(folder, "report");
            var run = await Simcluster.RunWithEnvironmentAsync(postgres.Environment, "run", scenario, "--cluster", postgres.Spec, "--no-live", "--out", outDir);
            output.WriteLine(run.ToString());
            Assert.True(run.ExitCode == 0, run.ToString());
            var report = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(outDir, "report.json")))!.AsObject();
            Contract.AssertReportShape(report);
            Assert.False(report["partial"]!.GetValue<bool>());
            Assert.Equal(Clients, report["clients"]!["started"]!.GetValue<int>());
            var spread = report["silos"]!.AsArray().Select(s => s!.AsObject()).ToList();
            output.WriteLine($"clients per silo: {string.Join(", ", spread.Select(s => $"{s["address"]}={s["clients"]}"))}");
            Assert.Equal(2, spread.Count);
            Assert.All(spread, s => Assert.Equal(Clients / 2, s["clients"]!.GetValue<int>())); // spread evenly: checked, not assumed
            Assert.All(silos, s => Assert.Contains(spread, r => r["address"]!.GetValue<string>().Contains($":{s.SiloPort}@", StringComparison.Ordinal)));
            Assert.True(Contract.Value(report, "messages_received") > 0, "no echoes came back");
            Assert.Equal(0, Contract.Value(report, "target_open_after_run"));

            // A silo lost without a goodbye: the survivor's membership protocol writes it Dead (status 6) into PostgreSQL.
            silos[1].Process.KillHard();
            await Eventually.TrueAsync(() => postgres.MembershipAsync().GetAwaiter().GetResult().Any(r => r.Port == silos[1].SiloPort && r.Status == 6),
                "the killed silo marked dead in the membership table", TimeSpan.FromSeconds(90));
            var after = await postgres.MembershipAsync();
            output.WriteLine($"membership rows after the loss: {string.Join("; ", after)}");
            Assert.Contains(after, r => r.Port == silos[0].SiloPort && r.Status == 3);
            Assert.False(silos[0].Process.HasExited, $"the surviving silo exited\n{silos[0].Process.Output}");

            // The password never shows: not in any command's output, the silos' logs or the report.
            var everything = string.Join("\n", [init.ToString(), again.ToString(), run.ToString(), .. silos.Select(s => s.Process.Output),
                await File.ReadAllTextAsync(Path.Combine(outDir, "report.json"))]);
            Assert.DoesNotContain(postgres.Password, everything);
            output.WriteLine($"postgres cluster test took {clock.Elapsed.TotalSeconds:F1} s");
        }
        finally
        {
            foreach (var silo in silos)
            {
                output.WriteLine($"--- {silo.Process.Name} (silo port {silo.SiloPort})\n{silo.Process.Output}");
                await silo.Process.DisposeAsync();
            }
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public async Task A_missing_schema_and_an_unreachable_server_are_named_with_what_fixes_them()
    {
        await Simcluster.EnsureBuiltAsync();
        await using var postgres = await PostgresServer.StartAsync();
        string[] siloArgs() => ["silo", "--cluster", postgres.Spec, "--http-port", "0",
            "--silo-port", $"{BackgroundProcess.FreeLoopbackPort()}", "--gateway-port", $"{BackgroundProcess.FreeLoopbackPort()}"];

        // The server answers, but nobody ran `db init`.
        var silo = await Simcluster.RunWithEnvironmentAsync(postgres.Environment, siloArgs());
        Assert.True(silo.ExitCode == 105, silo.ToString());
        Assert.Contains("the Orleans membership schema is missing", silo.Stderr);
        Assert.Contains($"./simcluster db init --cluster {postgres.Spec}", silo.Stderr);
        var run = await Simcluster.RunWithEnvironmentAsync(postgres.Environment, "run", "scenarios/smoke.yaml", "--cluster", postgres.Spec, "--no-live");
        Assert.True(run.ExitCode == 105, run.ToString());
        Assert.Contains("./simcluster db init", run.Stderr);
        var check = await Simcluster.RunWithEnvironmentAsync(postgres.Environment, "db", "check", "--cluster", postgres.Spec);
        Assert.True(check.ExitCode == 105 && check.Stderr.Contains("schema is missing", StringComparison.Ordinal), check.ToString());

        // A wrong password: refused, named, and the password itself not repeated.
        var wrong = await Simcluster.RunWithEnvironmentAsync(new Dictionary<string, string> { ["PGPASSWORD"] = "not-the-password-" + postgres.Password }, "db", "check", "--cluster", postgres.Spec);
        Assert.True(wrong.ExitCode == 105, wrong.ToString());
        Assert.Contains("password authentication failed", wrong.Stderr);
        Assert.DoesNotContain("not-the-password-", wrong.Stdout + wrong.Stderr);

        // --init-schema lets the silo create it itself, then the same silo starts.
        var (siloPort, gatewayPort) = (BackgroundProcess.FreeLoopbackPort(), BackgroundProcess.FreeLoopbackPort());
        var info = ChildProcess.StartInfo(Path.Combine(Simcluster.RepoRoot, "simcluster"),
            ["silo", "--cluster", postgres.Spec, "--init-schema", "--http-port", "0", "--silo-port", $"{siloPort}", "--gateway-port", $"{gatewayPort}"], Simcluster.RepoRoot);
        foreach (var (name, value) in postgres.Environment) info.Environment[name] = value;
        await using (var initializing = BackgroundProcess.Start("silo --init-schema", info))
        {
            await initializing.WaitForLineAsync(l => l.StartsWith("silo ready", StringComparison.Ordinal), "the silo starting", TimeSpan.FromSeconds(90));
        }
        Assert.Contains(await postgres.MembershipAsync(), r => r.Port == siloPort);

        // The stored queries a short test run never reaches (dead-row cleanup, forgetting a cluster), run as the
        // provider runs them: the text from OrleansQuery, parameters typed as Orleans types them, another cluster id.
        var dead = new Dictionary<string, (System.Data.DbType, object?)>
        {
            ["DeploymentId"] = (System.Data.DbType.String, "probe"), ["Address"] = (System.Data.DbType.AnsiString, "127.0.0.9"),
            ["Port"] = (System.Data.DbType.Int32, 1), ["Generation"] = (System.Data.DbType.Int32, 7), ["SiloName"] = (System.Data.DbType.String, "probe-silo"),
            ["HostName"] = (System.Data.DbType.String, "probe-host"), ["Status"] = (System.Data.DbType.Int32, 6), ["ProxyPort"] = (System.Data.DbType.Int32, 0),
            ["StartTime"] = (System.Data.DbType.DateTime, DateTime.UtcNow.AddMinutes(-10)), ["IAmAliveTime"] = (System.Data.DbType.DateTime, DateTime.UtcNow.AddMinutes(-5)),
            ["SuspectTimes"] = (System.Data.DbType.String, null), ["Version"] = (System.Data.DbType.Int32, 0),
        };
        Assert.Equal(true, await postgres.StoredQueryAsync("InsertMembershipVersionKey", dead));
        Assert.Equal(false, await postgres.StoredQueryAsync("InsertMembershipVersionKey", dead)); // once per cluster
        Assert.Equal(true, await postgres.StoredQueryAsync("InsertMembershipKey", dead));
        Assert.Equal(false, await postgres.StoredQueryAsync("InsertMembershipKey", dead)); // version 0 is stale now
        var read = await postgres.StoredRowsAsync("MembershipReadAllKey", dead);
        var stored = Assert.Single(read);
        Assert.Equal(1, stored["version"]);
        var captured = new Dictionary<string, (System.Data.DbType, object?)>(dead)
        {
            ["StartTime"] = (System.Data.DbType.DateTime, ((DateTime)stored["starttime"]!)),
            ["IAmAliveTime"] = (System.Data.DbType.DateTime, ((DateTime)stored["iamalivetime"]!)),
        };
        await postgres.StoredQueryAsync("CleanupDefunctSiloEntryKey", captured);
        Assert.Null(Assert.Single(await postgres.StoredRowsAsync("MembershipReadAllKey", dead))["starttime"]); // the row went, the version row stayed
        Assert.Equal(true, await postgres.StoredQueryAsync("InsertMembershipKey", new Dictionary<string, (System.Data.DbType, object?)>(dead)
        {
            ["Version"] = (System.Data.DbType.Int32, 1), ["Generation"] = (System.Data.DbType.Int32, 8),
        }));
        await postgres.StoredQueryAsync("CleanupDefunctSiloEntriesKey", new Dictionary<string, (System.Data.DbType, object?)>(dead) { ["IAmAliveTime"] = (System.Data.DbType.DateTime, DateTime.UtcNow) });
        Assert.Null(Assert.Single(await postgres.StoredRowsAsync("MembershipReadAllKey", dead))["starttime"]);
        await postgres.StoredQueryAsync("DeleteMembershipTableEntriesKey", dead);
        Assert.Empty(await postgres.StoredRowsAsync("MembershipReadAllKey", dead));
        Assert.Contains(await postgres.MembershipAsync(), r => r.Port == siloPort); // the real cluster untouched

        // Nobody listens on this port: the silo, the run and db init say so and exit, no hang.
        var port = BackgroundProcess.FreeLoopbackPort();
        var nowhere = $"postgres://simcluster@127.0.0.1:{port}/postgres";
        var unreachableSilo = await Simcluster.RunWithEnvironmentAsync(postgres.Environment, "silo", "--cluster", nowhere, "--http-port", "0",
            "--silo-port", $"{BackgroundProcess.FreeLoopbackPort()}", "--gateway-port", $"{BackgroundProcess.FreeLoopbackPort()}");
        Assert.True(unreachableSilo.ExitCode == 105, unreachableSilo.ToString());
        Assert.Contains($"cannot reach PostgreSQL at 127.0.0.1:{port}", unreachableSilo.Stderr);
        var unreachableRun = await Simcluster.RunWithEnvironmentAsync(postgres.Environment, "run", "scenarios/smoke.yaml", "--cluster", nowhere, "--no-live");
        Assert.True(unreachableRun.ExitCode == 105, unreachableRun.ToString());
        Assert.Contains($"cannot reach PostgreSQL at 127.0.0.1:{port}", unreachableRun.Stderr);
        var unreachableInit = await Simcluster.RunWithEnvironmentAsync(postgres.Environment, "db", "init", "--cluster", nowhere);
        Assert.True(unreachableInit.ExitCode == 105 && unreachableInit.Stderr.Contains($"cannot reach PostgreSQL at 127.0.0.1:{port}", StringComparison.Ordinal), unreachableInit.ToString());

        // A password in the URL is masked wherever the address is shown.
        var withPassword = $"postgres://simcluster:url-secret-123@127.0.0.1:{port}/postgres";
        var masked = await Simcluster.RunAsync("db", "check", "--cluster", withPassword);
        Assert.True(masked.ExitCode == 105, masked.ToString());
        Assert.DoesNotContain("url-secret-123", masked.Stdout + masked.Stderr);
    }
}

/// <summary>
/// A throw-away PostgreSQL server: initdb into a temp folder and `postgres` on a free loopback port, with a
/// random password for the superuser `simcluster`. initdb refuses to run as root, so as root both run as the
/// `postgres` OS user (runuser). Disposing it kills the server and deletes the folder.
/// </summary>
/// <summary>
/// The PostgreSQL membership store goes away mid-run: the server and every backend are paused (SIGSTOP) for 20 s
/// while three silos run a flapping run, then resumed. No silo is declared dead, no client is lost, the run completes
/// with the target's counts, and the silos converge on the table once the server answers again.
/// </summary>
[Collection(IntegrationCollection.Name)]
[Trait("Category", "Integration")]
public sealed class PostgresStoreOutageTests(Xunit.Abstractions.ITestOutputHelper output)
{
    private const int Clients = 60;
    private const int Seconds = 26;

    [Fact]
    public async Task PostgreSQL_stopped_for_20_s_mid_run_loses_no_silo_and_no_client_and_the_run_completes()
    {
        await Simcluster.EnsureBuiltAsync(); // builds the CLI once, before any clock starts
        await using var postgres = await PostgresServer.StartAsync();
        var folder = Simcluster.TempFolder("postgres-outage");
        var silos = new List<(BackgroundProcess Process, int SiloPort, int HttpPort)>();
        var paused = false;
        try
        {
            var init = await Simcluster.RunWithEnvironmentAsync(postgres.Environment, "db", "init", "--cluster", postgres.Spec);
            Assert.True(init.ExitCode == 0, init.ToString());
            for (var i = 0; i < 3; i++)
            {
                var (siloPort, gatewayPort, httpPort) = (BackgroundProcess.FreeLoopbackPort(), BackgroundProcess.FreeLoopbackPort(), BackgroundProcess.FreeLoopbackPort());
                var info = ChildProcess.StartInfo(Path.Combine(Simcluster.RepoRoot, "simcluster"),
                    ["silo", "--cluster", postgres.Spec, "--silo-port", $"{siloPort}", "--gateway-port", $"{gatewayPort}", "--http-port", $"{httpPort}"], Simcluster.RepoRoot);
                foreach (var (name, value) in postgres.Environment) info.Environment[name] = value;
                silos.Add((BackgroundProcess.Start($"silo {i + 1}", info), siloPort, httpPort));
            }
            foreach (var silo in silos) await silo.Process.WaitForLineAsync(l => l.StartsWith("silo ready", StringComparison.Ordinal), "the silo starting", TimeSpan.FromSeconds(300));
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
            async Task AllActiveAsync(string when)
            {
                foreach (var silo in silos)
                {
                    await Eventually.TrueAsync(() =>
                    {
                        var view = JsonNode.Parse(http.GetStringAsync($"http://127.0.0.1:{silo.HttpPort}/api/cluster").GetAwaiter().GetResult())!;
                        return view["silos"]!.AsArray().Count(s => s!["status"]!.GetValue<string>() == "active") == 3;
                    }, $"{silo.Process.Name} seeing 3 active silos {when}", TimeSpan.FromSeconds(120));
                }
            }
            await AllActiveAsync("before the run");

            var scenario = await RedisCluster.WriteFlappingScenarioAsync(Path.Combine(folder, "outage.yaml"), "postgres-outage", Clients, $"{Seconds}s", seed: 23);
            var outDir = Path.Combine(folder, "report");
            var runInfo = ChildProcess.StartInfo(Path.Combine(Simcluster.RepoRoot, "simcluster"), ["run", scenario, "--cluster", postgres.Spec, "--no-live", "--out", outDir], Simcluster.RepoRoot);
            foreach (var (name, value) in postgres.Environment) runInfo.Environment[name] = value;
            await using var run = BackgroundProcess.Start("simcluster run", runInfo);
            await RedisCluster.CoordinatorLineAsync(run);
            await run.WaitForRunSecondAsync(3, TimeSpan.FromSeconds(120));
            var stopped = await postgres.SignalAsync("STOP");
            paused = true;
            output.WriteLine($"paused {stopped} PostgreSQL processes");
            Assert.True(stopped >= 2, "the server and its backends were not all paused");
            await Task.Delay(TimeSpan.FromSeconds(20));
            await postgres.SignalAsync("CONT");
            paused = false;

            var exit = await run.WaitForExitAsync(TimeSpan.FromMinutes(3));
            output.WriteLine(run.Output);
            Assert.True(exit is 0, $"exit {exit}\n{run.Output}");
            var report = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(outDir, "report.json")))!.AsObject();
            Contract.AssertReportShape(report);
            StoreOutageTests.AssertNothingLostThrough(report, Clients, Seconds, output);

            // Converged: every silo alive and active in the table and in every silo's view.
            foreach (var silo in silos) Assert.False(silo.Process.HasExited, $"{silo.Process.Name} exited\n{silo.Process.Output}");
            await AllActiveAsync("after the outage");
            Assert.Equal(3, (await postgres.MembershipAsync()).Count(r => r.Status == 3));
        }
        finally
        {
            if (paused) await postgres.SignalAsync("CONT");
            foreach (var silo in silos)
            {
                output.WriteLine($"--- {silo.Process.Name} (silo port {silo.SiloPort})\n{silo.Process.Output}");
                await silo.Process.DisposeAsync();
            }
            Directory.Delete(folder, recursive: true);
        }
    }
}

internal sealed class PostgresServer : IAsyncDisposable
{
    public sealed record MembershipRow(int Port, int Status, int ProxyPort, string SiloName)
    {
        public override string ToString() => $"{SiloName} port {Port} status {Status} gateway {ProxyPort}";
    }

    private const string User = "simcluster";
    private readonly BackgroundProcess _server;
    private readonly string _folder;

    private PostgresServer(BackgroundProcess server, string folder, int port, string password)
    {
        _server = server;
        _folder = folder;
        Port = port;
        Password = password;
    }

    public int Port { get; }

    public string Password { get; }

    /// <summary>The --cluster address, without the password (that comes from <see cref="Environment"/>).</summary>
    public string Spec => $"postgres://{User}@127.0.0.1:{Port}/postgres";

    public IReadOnlyDictionary<string, string> Environment => new Dictionary<string, string> { ["PGPASSWORD"] = Password };

    public static async Task<PostgresServer> StartAsync()
    {
        var bin = FindBinaries();
        var asRoot = System.Environment.UserName == "root";
        var folder = Simcluster.TempFolder("postgres");
        var password = "pw-" + Guid.NewGuid().ToString("N");
        var passwordFile = Path.Combine(folder, "pwfile");
        await File.WriteAllTextAsync(passwordFile, password + "\n");
        if (asRoot)
        {
            var chown = await ChildProcess.RunAsync(ChildProcess.StartInfo("chown", ["-R", "postgres", folder], folder), TimeSpan.FromSeconds(30));
            Assert.True(chown.ExitCode == 0, $"could not hand {folder} to the postgres OS user (initdb refuses root): {chown}");
        }
        var data = Path.Combine(folder, "data");
        var initdb = await ChildProcess.RunAsync(AsServerUser(asRoot, Path.Combine(bin, "initdb"),
            ["-D", data, "-U", User, "--auth=scram-sha-256", $"--pwfile={passwordFile}", "-E", "UTF8", "--no-sync"], folder), TimeSpan.FromMinutes(2));
        Assert.True(initdb.ExitCode == 0, $"initdb failed: {initdb}");
        File.Delete(passwordFile);

        var port = BackgroundProcess.FreeLoopbackPort();
        var server = BackgroundProcess.Start("postgres", AsServerUser(asRoot, Path.Combine(bin, "postgres"),
            ["-D", data, "-p", $"{port}", "-h", "127.0.0.1", "-k", folder, "-c", "fsync=off", "-c", "max_connections=200"], folder));
        var postgres = new PostgresServer(server, folder, port, password);
        try
        {
            await server.WaitForLineAsync(l => l.Contains("database system is ready to accept connections", StringComparison.Ordinal), "postgres starting", TimeSpan.FromSeconds(60));
        }
        catch
        {
            await postgres.DisposeAsync();
            throw;
        }
        return postgres;
    }

    /// <summary>PostgreSQL's server programs: /usr/lib/postgresql/N/bin (Debian, Ubuntu), else on PATH; a clear failure when absent.</summary>
    private static string FindBinaries()
    {
        var candidates = Directory.Exists("/usr/lib/postgresql")
            ? Directory.GetDirectories("/usr/lib/postgresql").Select(d => Path.Combine(d, "bin")).OrderByDescending(d => d, StringComparer.Ordinal).ToList()
            : [];
        candidates.AddRange((System.Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries));
        var bin = candidates.FirstOrDefault(d => File.Exists(Path.Combine(d, "initdb")) && File.Exists(Path.Combine(d, "postgres")));
        Assert.True(bin is not null,
            "PostgreSQL server programs (initdb, postgres) were not found in /usr/lib/postgresql/*/bin or on PATH: install postgresql " +
            "(apt-get install postgresql; .ci/run does) to run the PostgreSQL clustering tests");
        return bin!;
    }

    private static ProcessStartInfo AsServerUser(bool asRoot, string program, string[] arguments, string workingDirectory) => asRoot
        ? ChildProcess.StartInfo("runuser", ["-u", "postgres", "--", program, .. arguments], workingDirectory)
        : ChildProcess.StartInfo(program, arguments, workingDirectory);

    /// <summary>The rows of OrleansMembershipTable, read directly.</summary>
    /// <summary>
    /// Sends <paramref name="signal"/> (STOP, CONT) to the server this started and every process under it (the
    /// postmaster's backends hold the pooled connections); returns how many processes were signalled.
    /// </summary>
    public Task<int> SignalAsync(string signal)
    {
        var tree = new List<int> { _server.Pid };
        for (var i = 0; i < tree.Count; i++) tree.AddRange(Children(tree[i]));
        foreach (var pid in tree) Signals.Send(pid, signal); // a backend may have ended meanwhile
        return Task.FromResult(tree.Count);
    }

    private static IEnumerable<int> Children(int parent)
    {
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid)) continue;
            string stat;
            try { stat = File.ReadAllText(Path.Combine(dir, "stat")); }
            catch (IOException) { continue; }
            // pid (comm) state ppid ...: comm may hold spaces, so read after its closing parenthesis.
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            if (fields.Length > 1 && int.TryParse(fields[1], out var ppid) && ppid == parent) yield return pid;
        }
    }

    public async Task<IReadOnlyList<MembershipRow>> MembershipAsync()
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT Port, Status, COALESCE(ProxyPort, 0), SiloName FROM OrleansMembershipTable ORDER BY Port", connection);
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<MembershipRow>();
        while (await reader.ReadAsync()) rows.Add(new MembershipRow(reader.GetInt32(0), reader.GetInt32(1), reader.GetInt32(2), reader.GetString(3)));
        return rows;
    }

    private string ConnectionString => new NpgsqlConnectionStringBuilder { Host = "127.0.0.1", Port = Port, Username = User, Password = Password, Database = "postgres", Timeout = 10 }.ConnectionString;

    /// <summary>Runs the text stored under <paramref name="key"/> with the named, typed parameters; the first column of the first row, if any.</summary>
    public async Task<object?> StoredQueryAsync(string key, IReadOnlyDictionary<string, (System.Data.DbType Type, object? Value)> parameters) =>
        (await StoredRowsAsync(key, parameters)).FirstOrDefault()?.Values.FirstOrDefault();

    /// <summary>Runs a stored query; every row as column name (lower case, as PostgreSQL names them) to value.</summary>
    public async Task<IReadOnlyList<Dictionary<string, object?>>> StoredRowsAsync(string key, IReadOnlyDictionary<string, (System.Data.DbType Type, object? Value)> parameters)
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        string text;
        await using (var lookup = new NpgsqlCommand("SELECT QueryText FROM OrleansQuery WHERE QueryKey = @key", connection))
        {
            lookup.Parameters.AddWithValue("key", key);
            text = (string)(await lookup.ExecuteScalarAsync())!;
        }
        await using var command = new NpgsqlCommand(text, connection);
        foreach (var (name, (type, value)) in parameters)
        {
            command.Parameters.Add(new NpgsqlParameter { ParameterName = name, DbType = type, Value = value ?? DBNull.Value });
        }
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<Dictionary<string, object?>>();
        do
        {
            while (await reader.ReadAsync())
            {
                rows.Add(Enumerable.Range(0, reader.FieldCount).ToDictionary(reader.GetName, i => reader.IsDBNull(i) ? null : reader.GetValue(i)));
            }
        } while (await reader.NextResultAsync());
        return rows;
    }

    public async ValueTask DisposeAsync()
    {
        await _server.DisposeAsync();
        try { Directory.Delete(_folder, recursive: true); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }
}
