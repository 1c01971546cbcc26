using System.Text.Json.Nodes;
using SimCluster.Tests.Support;

namespace SimCluster.Tests.Cli;

/// <summary>The real <c>./simcluster</c> from the repository root, as a user or a CI pipeline runs it.</summary>
[Collection(ProbesCollection.Name)]
[Trait("Category", "Integration")]
public sealed class CliEndToEndTests : IDisposable
{
    private readonly string _temp = Simcluster.TempFolder("cli");

    public void Dispose()
    {
        try { Directory.Delete(_temp, recursive: true); } catch (IOException) { }
    }

    private static JsonObject ReadReport(string folder)
    {
        var path = Path.Combine(folder, "report.json");
        Assert.True(File.Exists(path), $"no report at {path}");
        return JsonNode.Parse(File.ReadAllText(path))!.AsObject();
    }

    private string WriteScenario(string name, string yaml)
    {
        var path = Path.Combine(_temp, name);
        File.WriteAllText(path, yaml);
        return path;
    }

    [Fact]
    public async Task Version_prints_the_version()
    {
        var result = await Simcluster.RunAsync("version");
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Matches(@"^simcluster \d+\.\d+\.\d+", result.Stdout.Trim());
    }

    [Fact]
    public async Task The_smoke_scenario_passes_and_writes_a_complete_report()
    {
        var outDir = Path.Combine(_temp, "smoke");
        var result = await Simcluster.RunAsync("run", "scenarios/smoke.yaml", "--no-live", "--out", outDir);

        Assert.True(result.ExitCode == 0, result.ToString());
        var report = ReadReport(outDir);
        Contract.AssertReportShape(report);
        Assert.Equal("pass", (string?)report["verdict"]);
        Assert.Equal("smoke", (string?)report["scenario"]);
        Assert.Equal(7, (long)report["seed"]!);
        Assert.StartsWith("ws://127.0.0.1:", (string?)report["target"]);
        Assert.Equal(20, (int)report["clients"]!["planned"]!);
        Assert.Equal(20, (int)report["clients"]!["started"]!);
        Assert.All(report["thresholds"]!.AsArray(), t => Assert.True((bool)t!["passed"]!, t!.ToJsonString()));

        var timeline = report["timeline"]!.AsArray();
        Assert.NotEmpty(timeline);
        Assert.All(timeline, p => Assert.NotNull(p!["messagesSent"]));
        Assert.Contains(timeline, p => (int)p!["open"]! > 0);

        // smoke.yaml: 10 flappers x 3 cycles; every message echoed, interrupted by a drop, or lost (none).
        var sent = Contract.Count(report, "messages_sent");
        Assert.True(sent > 0);
        Assert.Equal(0, Contract.Count(report, "messages_lost"));
        Assert.Equal(sent, Contract.Count(report, "messages_received") + Contract.Count(report, "messages_interrupted") + Contract.Count(report, "messages_lost"));
        Assert.Equal(0, Contract.Count(report, "connect_failures"));
        Assert.Equal(1.0, Contract.Value(report, "connect_success_ratio"));
        Assert.Equal(10, (int)report["groups"]!["flappers"]!["clients"]!);

        // The summary went to stdout, plain (no live view without a terminal).
        Assert.Contains("verdict: PASS", result.Stdout);
        Assert.DoesNotContain("\u001b[?25l", result.Stdout); // no cursor hiding: not the live view
    }

    [Fact]
    public async Task A_failing_threshold_exits_99_and_says_which()
    {
        var outDir = Path.Combine(_temp, "failing");
        var result = await Simcluster.RunAsync("run", "scenarios/smoke.yaml", "--no-live", "--duration", "3s", "--out", outDir,
            "--set", """thresholds.connects=["count<1"]""");

        Assert.True(result.ExitCode == 99, result.ToString());
        var report = ReadReport(outDir);
        Assert.Equal("fail", (string?)report["verdict"]);
        var connects = report["thresholds"]!.AsArray().Single(t => (string?)t!["metric"] == "connects")!;
        Assert.Equal("count<1", (string?)connects["expression"]);
        Assert.False((bool)connects["passed"]!);
        Assert.True((double)connects["actual"]! >= 20);
        Assert.Contains("verdict: FAIL", result.Stdout);
    }

    [Fact]
    public async Task An_abort_on_fail_threshold_stops_the_run_early_with_99()
    {
        var outDir = Path.Combine(_temp, "abort");
        var result = await Simcluster.RunAsync("run", "scenarios/smoke.yaml", "--no-live", "--duration", "60s", "--out", outDir,
            "--set", """thresholds.messages_sent=[{ threshold: "count<40", abortOnFail: true, delayAbortEval: 2s }]""");

        Assert.True(result.ExitCode == 99, result.ToString());
        var report = ReadReport(outDir);
        Assert.Equal("fail", (string?)report["verdict"]);
        Assert.False((bool)report["partial"]!);
        Assert.StartsWith("messages_sent count<40 (actual ", (string?)report["abortedByThreshold"]);
        Assert.True((double)report["durationSeconds"]! < 30, $"the run went on for {report["durationSeconds"]} s");
        Assert.Contains("stopped early by threshold messages_sent count<40", result.Stdout);
    }

    public static TheoryData<string, string, int, int, string, string> BadScenarios() => new()
    {
        {
            "typo.yaml", "name: t\ntarget: embedded\nclinets: 20\nclients: 5\nduration: 5s\n",
            3, 1, "clinets", "clients"
        },
        {
            "negative.yaml", "name: t\ntarget: embedded\nclients: -5\nduration: 5s\n",
            3, 10, "clients", "-5"
        },
        {
            "duration.yaml", "name: t\ntarget: embedded\nclients: 5\nduration: 5 seconds\n",
            4, 11, "duration", "5 seconds"
        },
        {
            "shares.yaml", "name: t\ntarget: embedded\nclients: 10\nduration: 5s\npopulation:\n  - { name: a, share: 50% }\n  - { name: b, share: 40% }\n",
            5, 1, "population", "90%"
        },
    };

    [Theory]
    [MemberData(nameof(BadScenarios))]
    public async Task Validate_names_the_line_column_and_key_of_each_problem(string file, string yaml, int line, int column, string key, string mentioned)
    {
        var path = WriteScenario(file, yaml);

        var result = await Simcluster.RunAsync("validate", path);

        Assert.True(result.ExitCode == 104, result.ToString());
        Assert.Contains($"{path}:{line}:{column}: {key}:", result.Stderr);
        Assert.Contains(mentioned, result.Stderr);
        Assert.Contains("nothing was run", result.Stderr);
    }

    [Fact]
    public async Task Validate_lists_every_problem_of_a_file_at_once()
    {
        var path = WriteScenario("many.yaml", "name: t\ntarget: embedded\nclients: -5\nduration: 5 seconds\nrampup: 1s\n");

        var result = await Simcluster.RunAsync("validate", path);

        Assert.True(result.ExitCode == 104, result.ToString());
        Assert.Contains($"{path}:3:", result.Stderr);
        Assert.Contains($"{path}:4:", result.Stderr);
        Assert.Contains($"{path}:5:", result.Stderr);
    }

    [Fact]
    public async Task Validate_prints_a_warning_and_still_exits_0()
    {
        var path = WriteScenario("warned.yaml", "name: t\ntarget: embedded\nclients: 5\nduration: 5s\nreconnect:\n  policy: fixed\n  max: 5s\n");

        var result = await Simcluster.RunAsync("validate", path);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains($"warning: {path}:7:3: reconnect.max: ignored: policy fixed does not read max", result.Stderr);
        Assert.Contains("OK", result.Stdout);
        Assert.Contains("1 warning(s)", result.Stdout);
    }

    [Fact]
    public async Task Validate_accepts_the_smoke_scenario()
    {
        var result = await Simcluster.RunAsync("validate", "scenarios/smoke.yaml");
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("OK", result.Stdout);
    }

    [Fact]
    public async Task Run_refuses_an_invalid_scenario_with_104_and_runs_nothing()
    {
        var path = WriteScenario("typo.yaml", "name: t\ntarget: embedded\nclinets: 20\nclients: 5\nduration: 5s\n");
        var outDir = Path.Combine(_temp, "never");

        var result = await Simcluster.RunAsync("run", path, "--no-live", "--out", outDir);

        Assert.True(result.ExitCode == 104, result.ToString());
        Assert.Contains($"{path}:3:1: clinets:", result.Stderr);
        Assert.False(Directory.Exists(outDir));
    }

    [Fact]
    public async Task Run_refuses_client_pings_over_wss_before_connecting_anything()
    {
        // Client PINGs are written on the raw socket; under TLS they would corrupt the stream, so the run is refused.
        var path = WriteScenario("wss-ping.yaml", "name: t\ntarget: wss://127.0.0.1:9/ws\nclients: 2\nduration: 5s\nheartbeat: { interval: 1s }\n");
        var outDir = Path.Combine(_temp, "wss-ping");

        var result = await Simcluster.RunAsync("run", path, "--no-live", "--out", outDir);

        Assert.True(result.ExitCode == 104, result.ToString());
        Assert.Contains("heartbeat.interval: client PINGs over wss://", result.Stderr);
        Assert.False(Directory.Exists(outDir));
    }

    [Fact]
    public async Task A_target_off_loopback_is_refused_with_105_before_anything_starts()
    {
        var outDir = Path.Combine(_temp, "refused-target");

        var result = await Simcluster.RunAsync("run", "scenarios/smoke.yaml", "--target", "ws://10.1.2.3/ws", "--no-live", "--out", outDir);

        Assert.True(result.ExitCode == 105, result.ToString());
        Assert.Contains("10.1.2.3", result.Stderr);
        Assert.Contains("--allow-target", result.Stderr);
        Assert.DoesNotContain("clients for", result.Stdout); // the run never began
        Assert.False(Directory.Exists(outDir));
    }

    [Fact]
    public async Task Unknown_options_are_invalid_arguments()
    {
        var result = await Simcluster.RunAsync("run", "scenarios/smoke.yaml", "--clientz", "5");
        Assert.True(result.ExitCode == 104, result.ToString());
        Assert.Contains("--clientz", result.Stderr);
    }
}
