using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using SimCluster.Cli.Runs;
using SimCluster.Tests.Support;
using Xunit.Abstractions;

namespace SimCluster.Tests.Hostile;

/// <summary>
/// Issue 23, hostile input to the real command line (./simcluster as a child process, so a stack overflow
/// would show as exit 134, an unhandled exception as 1): deep nesting, endless input, Unicode digits and huge
/// numbers in options, unusable or busy report folders, and a target whose /stats answer is malformed.
/// </summary>
[Collection(HostileProbesCollection.Name)]
[Trait("Category", "Integration")]
public sealed class HostileCliTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _temp = Simcluster.TempFolder("hostile-cli");

    public void Dispose()
    {
        try { Directory.Delete(_temp, recursive: true); } catch (IOException) { }
    }

    private static string Smoke => Path.Combine(Simcluster.RepoRoot, "scenarios", "smoke.yaml");

    private async Task<ProcessResult> RunAsync(params string[] args)
    {
        var result = await Simcluster.RunAsync(args);
        output.WriteLine(result.ToString().Length > 4000 ? result.ToString()[..4000] : result.ToString());
        return result;
    }

    [Theory]
    [InlineData("map", 100_000)]   // 600 KB: a stack overflow and exit 134 before the depth limit
    [InlineData("flow-list", 100_000)]
    [InlineData("flow-map", 20_000)]
    public async Task Validate_of_nesting_far_past_the_limit_exits_104_with_the_depth_error(string shape, int depth)
    {
        var path = Path.Combine(_temp, $"deep-{shape}.yaml");
        var text = shape == "map"
            ? "name: deep\ntarget: embedded\nclients: " + string.Concat(Enumerable.Repeat("{a: ", depth)) + "1" + new string('}', depth) + "\nduration: 1s\n"
            : "name: deep\ntarget: embedded\nclients: 1\nduration: 1s\ndeep: " + HostileScenarioTests.Nest(shape, depth);
        await File.WriteAllTextAsync(path, text);

        var result = await RunAsync("validate", path);

        Assert.True(result.ExitCode == 104, $"exit {result.ExitCode}");
        Assert.Contains("nested more than 256 levels", result.Stderr);
        Assert.True(result.Stderr.Length < 4_000, $"{result.Stderr.Length} characters of errors");
    }

    [Fact]
    public async Task Validate_of_dev_zero_exits_104_with_the_size_limit()
    {
        var result = await RunAsync("validate", "/dev/zero");
        Assert.True(result.ExitCode == 104, $"exit {result.ExitCode}");
        Assert.Contains("/dev/zero: the scenario is larger than the limit of 4 MiB", result.Stderr);
        Assert.DoesNotContain(":0:0", result.Stderr);
    }

    [Theory]
    [InlineData("--duration", "٣s", "duration: expected a duration")]
    [InlineData("--duration", "99999999999999999999999999999s", "duration: a number in '99999999999999999999999999999s' has too many digits")]
    [InlineData("--clients", "٣", "clients: expected a whole number from 1 to 1000000, got '٣'")]
    [InlineData("--clients", "99999999999999999999999999999", "clients: must be from 1 to 1000000")]
    [InlineData("--set", "population[0].share=٥٠%", "population[0].share: expected a percentage")]
    [InlineData("--set", "network.bandwidthDown=99999999999999999999999999999Mbps", "network.bandwidthDown: bandwidth must be from 1bps to 1000Gbps")]
    public async Task Unicode_digits_and_huge_numbers_in_options_exit_104_naming_the_key(string option, string value, string message)
    {
        var result = await RunAsync("run", Smoke, option, value, "--no-live", "--out", Path.Combine(_temp, "never"));
        Assert.True(result.ExitCode == 104, $"exit {result.ExitCode}");
        // A shortcut's error is labelled with the shortcut itself, without a position in text the user never typed.
        if (option == "--set") Assert.Contains("--set:1:", result.Stderr);
        else Assert.StartsWith($"{option}: ", result.Stderr);
        if (option != "--set") Assert.DoesNotContain("--set", result.Stderr);
        Assert.Contains(message, result.Stderr);
        Assert.False(Directory.Exists(Path.Combine(_temp, "never")), "the report folder was made for a run that never started");
    }

    [Fact]
    public async Task An_out_that_is_a_file_or_under_one_exits_104_before_anything_starts()
    {
        var file = Path.Combine(_temp, "a-file");
        await File.WriteAllTextAsync(file, "not a folder");

        foreach (var outDir in new[] { file, Path.Combine(file, "report") })
        {
            var result = await RunAsync("run", Smoke, "--no-live", "--out", outDir);
            Assert.True(result.ExitCode == 104, $"exit {result.ExitCode} for --out {outDir}");
            Assert.Contains("error: --out:", result.Stderr);
            Assert.DoesNotContain("clients for", result.Stdout); // the run's header: nothing was started
        }
        Assert.Equal("not a folder", await File.ReadAllTextAsync(file));
    }

    [Fact]
    public async Task An_out_in_use_by_another_run_exits_105_and_leaves_it_alone()
    {
        var outDir = Path.Combine(_temp, "busy");
        using var other = OutputFolder.Claim(outDir, "other", DateTime.Now, out var refusal);
        Assert.True(other is not null, refusal?.Message);

        var result = await RunAsync("run", Smoke, "--no-live", "--out", outDir);

        Assert.True(result.ExitCode == 105, $"exit {result.ExitCode}");
        Assert.Contains("is in use by another run", result.Stderr);
        Assert.DoesNotContain("clients for", result.Stdout);
        Assert.False(File.Exists(Path.Combine(outDir, "report.json")));
    }

    [Theory]
    [InlineData("""{"openConnections": "many"}""", "openConnections is not a whole number")]
    [InlineData("""{"openConnections": 1.5, "process": {"rssBytes": 1}}""", "openConnections is not a whole number")]
    [InlineData("""{"openConnections": 3, "process": "big"}""", "process is not an object")]
    [InlineData("""{"openConnections": 3, "process": {"rssBytes": 99999999999999999999999, "managedHeapBytes": 1}}""", "process.rssBytes is not a whole number")]
    public async Task A_malformed_stats_answer_is_a_note_and_the_report_is_written(string stats, string why)
    {
        await using var target = new StatsOnlyServer(stats);
        var scenario = Path.Combine(_temp, "stats.yaml");
        await File.WriteAllTextAsync(scenario, $"name: bad-stats\ntarget: {target.Url}\nclients: 2\nduration: 2s\nseed: 23\n");
        var outDir = Path.Combine(_temp, "stats");

        var result = await RunAsync("run", scenario, "--no-live", "--out", outDir);

        // Completed, and failed without a threshold: every upgrade was refused, and a run in which no connection opened never passes.
        Assert.True(result.ExitCode == 99, $"exit {result.ExitCode}");
        Assert.True(target.StatsRequests >= 1, "the /stats probe never came");
        var report = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(outDir, "report.json")))!.AsObject();
        Assert.Contains(why, report["notes"]!.ToJsonString());
        Assert.Null(report["targetStats"]);
        Assert.True(Contract.Count(report, "connect_failures") > 0); // its upgrade answer is a 404: the clients did run
        Assert.True(report["noConnectionOpened"]!.GetValue<bool>());
    }

    [Fact]
    public void Default_report_folders_are_unique_per_run_even_in_the_same_second()
    {
        var root = Path.Combine(_temp, "simcluster-reports");
        var second = new DateTime(2026, 1, 2, 3, 4, 5);
        using var first = OutputFolder.Claim(null, "same", second, out _, root);
        using var concurrent = OutputFolder.Claim(null, "same", second, out _, root);
        Assert.NotNull(first);
        Assert.NotNull(concurrent);
        Assert.NotEqual(first!.Path, concurrent!.Path);
        File.WriteAllText(Path.Combine(first.Path, "report.json"), "{}");
        first.Dispose();
        using var later = OutputFolder.Claim(null, "same", second, out _, root); // the first run is done: its report stays
        Assert.NotNull(later);
        Assert.Equal(Path.Combine(root, "same-20260102-030405-3"), later!.Path);
    }

    [Theory]
    [InlineData("0.0.0.0")]
    [InlineData("::")]
    [InlineData("::ffff:10.0.0.1")] // IPv4-mapped: seen through, not taken for loopback or crashed on
    public async Task A_control_api_off_loopback_without_a_token_exits_105_before_anything_listens(string host)
    {
        var stderr = new StringWriter();
        var options = new SimCluster.Silo.SiloOptions { HttpHost = host, HttpPort = BackgroundProcess.FreeLoopbackPort() };

        var code = await SimCluster.Cli.Commands.SiloCommand.ExecuteAsync(options, TextWriter.Null, stderr, CancellationToken.None);

        Assert.True(code == 105, $"exit {code}: {stderr}");
        Assert.Contains($"--http-host: {host} is not loopback", stderr.ToString());
        // Another problem besides is a mistyped command line: 104, as before.
        var both = await SimCluster.Cli.Commands.SiloCommand.ExecuteAsync(options with { SiloPort = 0 }, TextWriter.Null, TextWriter.Null, CancellationToken.None);
        Assert.Equal(104, both);
    }

    /// <summary>An HTTP server on loopback that answers /stats with the given body and every other request (the upgrades) with 404.</summary>
    private sealed class StatsOnlyServer : IAsyncDisposable
    {
        private readonly LoopbackListener _listener;
        private int _statsRequests;

        public StatsOnlyServer(string stats) => _listener = new LoopbackListener(async (s, ct) =>
        {
            var buffer = new byte[8192];
            var read = 0;
            while (read < buffer.Length && !Encoding.ASCII.GetString(buffer, 0, read).Contains("\r\n\r\n", StringComparison.Ordinal))
            {
                var n = await s.ReceiveAsync(buffer.AsMemory(read), ct);
                if (n == 0) return;
                read += n;
            }
            var isStats = Encoding.ASCII.GetString(buffer, 0, read).StartsWith("GET /stats", StringComparison.Ordinal);
            if (isStats) Interlocked.Increment(ref _statsRequests);
            var body = isStats ? stats : "no";
            await s.SendAsync(Encoding.UTF8.GetBytes(
                $"HTTP/1.1 {(isStats ? "200 OK" : "404 Not Found")}\r\nContent-Type: application/json\r\nContent-Length: {Encoding.UTF8.GetByteCount(body)}\r\nConnection: close\r\n\r\n{body}"), ct);
        });

        public Uri Url => new($"ws://127.0.0.1:{_listener.Port}/ws");

        public int StatsRequests => Volatile.Read(ref _statsRequests);

        public ValueTask DisposeAsync() => _listener.DisposeAsync();
    }
}
