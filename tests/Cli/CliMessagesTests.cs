using System.Text.RegularExpressions;
using SimCluster.Abstractions.Metrics;
using SimCluster.Tests.Silo;
using SimCluster.Tests.Support;

namespace SimCluster.Tests.Cli;

/// <summary>
/// What the real <c>./simcluster</c> says when the command line is wrong, and what its output looks like in CI:
/// every error labelled with what the user typed, a "did you mean" for typos, no .NET type names or stack traces,
/// and no line of a redirected run broken in the middle of a field.
/// </summary>
[Collection(ProbesCollection.Name)]
[Trait("Category", "Integration")]
public sealed class CliMessagesTests : IDisposable
{
    private readonly string _temp = Simcluster.TempFolder("cli-messages");

    public void Dispose()
    {
        try { Directory.Delete(_temp, recursive: true); } catch (IOException) { }
    }

    private static void AssertPlain(ProcessResult result)
    {
        Assert.DoesNotContain("System.", result.Stderr);     // no .NET type names (System.Nullable`1[...])
        Assert.DoesNotContain("   at ", result.Stderr);      // no stack trace
        Assert.DoesNotContain(":0:0", result.Stderr);
    }

    [Theory]
    [InlineData("run|scenarios/smoke.yaml|--seed|abc", "error: --seed: expected a whole number, got 'abc'")]
    [InlineData("run|scenarios/smoke.yaml|--dashboard|abc", "error: --dashboard: expected a whole number, got 'abc'")]
    [InlineData("target|--port|abc", "error: --port: expected a whole number, got 'abc'")]
    [InlineData("target|--push-rate|fast", "error: --push-rate: expected a number such as 2 or 0.5, got 'fast'")]
    [InlineData("silo|--gateway-port|x1", "error: --gateway-port: expected a whole number, got 'x1'")]
    [InlineData("run|scenarios/smoke.yaml|--clients|abc", "--clients: expected a whole number from 1 to 1000000, got 'abc'")]
    [InlineData("run|scenarios/smoke.yaml|--cluster|bogus", "error: --cluster: 'bogus' is not 'localhost', 'redis://HOST:PORT' or 'postgres://")]
    [InlineData("scenarios|--dir|/nonexistent-scenarios-folder", "error: --dir: no scenarios folder at /nonexistent-scenarios-folder")]
    [InlineData("report|/nonexistent-report-folder", "error: DIR: /nonexistent-report-folder does not exist")]
    public async Task A_bad_option_value_is_named_with_its_option(string args, string message)
    {
        var result = await Simcluster.RunAsync(args.Split('|'));

        Assert.True(result.ExitCode == 104, result.ToString());
        Assert.StartsWith(message, result.Stderr);
        Assert.DoesNotContain("clients for", result.Stdout); // refused before anything started
        AssertPlain(result);
    }

    [Fact]
    public async Task A_duration_error_is_labelled_duration_not_set()
    {
        var result = await Simcluster.RunAsync("run", "scenarios/smoke.yaml", "--duration", "5x", "--no-live", "--out", Path.Combine(_temp, "never"));

        Assert.True(result.ExitCode == 104, result.ToString());
        Assert.StartsWith("--duration: unknown duration unit 'x' in '5x'; use ms, s, m or h", result.Stderr);
        Assert.DoesNotContain("--set", result.Stderr);
        AssertPlain(result);
        Assert.False(Directory.Exists(Path.Combine(_temp, "never")));
    }

    [Fact]
    public async Task An_unknown_option_before_the_file_is_blamed_not_the_file()
    {
        var result = await Simcluster.RunAsync("run", "--bogus", "scenarios/smoke.yaml");

        Assert.True(result.ExitCode == 104, result.ToString());
        Assert.StartsWith("error: --bogus: unknown option of 'run'", result.Stderr);
        Assert.DoesNotContain("smoke.yaml", result.Stderr);
        AssertPlain(result);
    }

    [Theory]
    [InlineData("run|scenarios/smoke.yaml|--clientz|5", "error: --clientz: unknown option of 'run' - did you mean '--clients'?")]
    [InlineData("run|scenarios/smoke.yaml|--no-lve", "error: --no-lve: unknown option of 'run' - did you mean '--no-live'?")]
    [InlineData("validate|scenarios/smoke.yaml|--sett|a=1", "error: --sett: unknown option of 'validate' - did you mean '--set'?")]
    [InlineData("rnu|scenarios/smoke.yaml", "error: rnu: unknown command - did you mean 'run'? (commands: run, validate,")]
    [InlineData("valdate|scenarios/smoke.yaml", "error: valdate: unknown command - did you mean 'validate'?")]
    [InlineData("report|comapre|a|b", "error: comapre: unknown command of 'report' - did you mean 'compare'?")]
    [InlineData("run|scenarios/smoke.yaml|scenarios/flapping.yaml", "error: scenarios/flapping.yaml: unexpected argument of 'run' (it takes SCENARIO)")]
    public async Task A_mistyped_option_or_command_gets_a_did_you_mean(string args, string message)
    {
        var result = await Simcluster.RunAsync(args.Split('|'));

        Assert.True(result.ExitCode == 104, result.ToString());
        Assert.StartsWith(message, result.Stderr);
        Assert.DoesNotContain("Unrecognized command or argument", result.Stderr);
        Assert.DoesNotContain("Required command was not provided", result.Stderr);
        AssertPlain(result);
    }

    [Fact]
    public async Task Version_and_dash_dash_version_print_one_string()
    {
        var command = await Simcluster.RunAsync("version");
        var option = await Simcluster.RunAsync("--version");

        Assert.True(command.ExitCode == 0, command.ToString());
        Assert.True(option.ExitCode == 0, option.ToString());
        Assert.Matches(@"^simcluster \d+\.\d+\.\d+\S*\n$", command.Stdout.Replace("\r", ""));
        Assert.Equal(command.Stdout, option.Stdout);
    }

    [Theory]
    [InlineData("run")]
    [InlineData("validate")]
    public async Task A_missing_file_is_reported_missing_with_its_path(string command)
    {
        var missing = Path.Combine(_temp, "nope.yaml");
        var result = await Simcluster.RunAsync(command, missing);

        Assert.True(result.ExitCode == 104, result.ToString());
        Assert.StartsWith($"{missing}: file not found", result.Stderr);
        AssertPlain(result);

        var relative = await Simcluster.RunAsync(command, "scenarios/nope.yaml");
        Assert.StartsWith($"scenarios/nope.yaml: file not found ({Path.Combine(Simcluster.RepoRoot, "scenarios", "nope.yaml")})", relative.Stderr);

        var folder = await Simcluster.RunAsync(command, "scenarios");
        Assert.StartsWith("scenarios: is a folder, not a scenario file", folder.Stderr);
    }

    [Fact]
    public async Task Cluster_wait_is_checked_like_every_other_option()
    {
        var embedded = await Simcluster.RunAsync("run", "scenarios/smoke.yaml", "--cluster-wait", "5s");
        Assert.True(embedded.ExitCode == 104, embedded.ToString());
        Assert.StartsWith("error: --cluster-wait: only with --cluster", embedded.Stderr);

        var bad = await Simcluster.RunAsync("run", "scenarios/smoke.yaml", "--cluster", "redis://127.0.0.1:1", "--cluster-wait", "5 s");
        Assert.True(bad.ExitCode == 104, bad.ToString());
        Assert.StartsWith("error: --cluster-wait: ", bad.Stderr);
    }

    [Fact]
    public async Task The_cluster_clients_timings_are_checked_like_every_other_option()
    {
        foreach (var option in new[] { "--response-timeout", "--gateway-refresh" })
        {
            var embedded = await Simcluster.RunAsync("run", "scenarios/smoke.yaml", option, "5s");
            Assert.True(embedded.ExitCode == 104, embedded.ToString());
            Assert.StartsWith($"error: {option}: only with --cluster", embedded.Stderr);

            var bad = await Simcluster.RunAsync("run", "scenarios/smoke.yaml", "--cluster", "redis://127.0.0.1:1", option, "5 s");
            Assert.True(bad.ExitCode == 104, bad.ToString());
            Assert.StartsWith($"error: {option}: ", bad.Stderr);

            var tiny = await Simcluster.RunAsync("run", "scenarios/smoke.yaml", "--cluster", "redis://127.0.0.1:1", option, "10ms");
            Assert.True(tiny.ExitCode == 104, tiny.ToString());
            Assert.StartsWith($"error: {option}: must be within 100ms..10m, got '10ms'", tiny.Stderr);
        }
    }

    [Fact]
    public async Task A_cluster_no_silo_joined_says_so_within_the_wait_and_exits_105()
    {
        await using var redis = await RedisCluster.StartAsync(silos: 0);
        var outDir = Path.Combine(_temp, "no-silo");

        var result = await Simcluster.RunAsync("run", "scenarios/smoke.yaml", "--cluster", redis.Spec, "--cluster-wait", "2s", "--no-live", "--out", outDir);

        Assert.True(result.ExitCode == 105, result.ToString());
        Assert.Contains($"error: the run could not be carried out: no silo has joined cluster {redis.Spec} within 2 s", result.Stderr);
        Assert.Contains($"./simcluster silo --cluster {redis.Spec}", result.Stderr);
        Assert.DoesNotContain("A task was canceled", result.Stderr);
        Assert.DoesNotContain("Hosting failed", result.Stderr);
        AssertPlain(result);
    }

    [Fact]
    public async Task A_redirected_run_breaks_no_line_in_the_middle_of_a_field()
    {
        // A report folder deep enough that the verdict line is far beyond 80 columns.
        var outDir = Path.Combine(_temp, string.Join(Path.DirectorySeparatorChar, Enumerable.Repeat("a-folder-with-a-long-name", 5)), "run");
        var result = await Simcluster.RunAsync("run", "scenarios/smoke.yaml", "--duration", "4s", "--out", outDir,
            "--set", """thresholds.connects=["count<1"]""");

        Assert.True(result.ExitCode == 99, result.ToString());
        var lines = result.Stdout.Replace("\r", "").Split('\n');
        Assert.Contains($"verdict: FAIL   report: {Path.Combine(outDir, "report.json")}", lines);
        Assert.Contains(lines, l => l.StartsWith("✗ connects count<1 (actual ", StringComparison.Ordinal) && l.EndsWith(')'));

        // The plain progress lines are whole: each ends with its last field.
        var progress = lines.Where(l => l.StartsWith('[')).ToList();
        Assert.NotEmpty(progress);
        Assert.All(progress, l => Assert.Matches(@"^\[\w+\s*\] t=\s*\d+/\d+s open=\d+ .* silos=\d+", l));

        // Every metric row of the summary table is whole: a trend row ends with its sample count.
        var rows = lines.Select(l => l.Trim()).Where(l => MetricNames.All.ContainsKey(l.Split(' ')[0])).ToList();
        Assert.Contains(rows, r => r.StartsWith(MetricNames.MessageRtt + " ", StringComparison.Ordinal));
        Assert.All(rows.Where(r => MetricNames.All[r.Split(' ')[0]] == MetricKind.Trend), r => Assert.Matches(@"avg=\S+ med=\S+ p95=\S+ p99=\S+ max=\S+ ms \(n=\d+\)$", r));
        Assert.All(rows.Where(r => MetricNames.All[r.Split(' ')[0]] != MetricKind.Trend), r => Assert.Matches(@"^\S+\s+\S+$", r));
        // No row continues on the next line: every non-empty line of the table starts with a metric name or the header.
        var table = lines.SkipWhile(l => !Regex.IsMatch(l.Trim(), @"^metric\s+value$")).Skip(2).TakeWhile(l => l.Trim().Length > 0 && !l.Trim().StartsWith("──", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(table);
        Assert.All(table, l => Assert.True(MetricNames.All.ContainsKey(l.Trim().Split(' ')[0]), $"a broken row: '{l}'"));
    }
}
