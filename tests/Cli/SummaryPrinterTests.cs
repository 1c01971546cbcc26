using HdrHistogram;
using SimCluster.Abstractions.Metrics;
using SimCluster.Abstractions.Runs;
using SimCluster.Cli.Output;
using SimCluster.Cli.Reports;
using SimCluster.Scenarios;

namespace SimCluster.Tests.Cli;

/// <summary>The end-of-run summary: the rows of the scenario's own behaviours, and no line broken in a log.</summary>
[Trait("Category", "Unit")]
public sealed class SummaryPrinterTests
{
    private static readonly DateTime Start = new(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc);

    private static Scenario Load(string population, string extra = "")
    {
        var loaded = ScenarioLoader.Parse($"name: t\ntarget: ws://127.0.0.1:5080/ws\nclients: 10\nduration: 60s\n{extra}population:\n{population}", "t.yaml");
        Assert.True(loaded.Ok, string.Join("\n", loaded.Errors));
        return loaded.Scenario!;
    }

    private static byte[] Trend(params double[] milliseconds)
    {
        HistogramBase histogram = HistogramCodec.Create();
        foreach (var ms in milliseconds) histogram.RecordValue(HistogramCodec.ToMicros(TimeSpan.FromMilliseconds(ms)));
        return HistogramCodec.Encode(histogram);
    }

    private static Report Run(Scenario scenario, Dictionary<string, long>? counters = null, Dictionary<string, byte[]>? trends = null) =>
        SimCluster.Cli.Reports.Report.Create(scenario, 1, [new Uri("ws://127.0.0.1:5080/ws")], new RunResult
        {
            RunId = "t-1",
            StartedAtUtc = Start,
            EndedAtUtc = Start.AddSeconds(60),
            ActiveSeconds = 60,
            Planned = 10,
            Started = 10,
            Groups =
            [
                new GroupResult
                {
                    Name = scenario.Population[0].Name, Behavior = scenario.Population[0].Behavior, Clients = 10,
                    Counters = counters ?? new() { [MetricNames.Connects] = 10, [MetricNames.MessagesSent] = 100, [MetricNames.MessagesReceived] = 100 },
                    Trends = trends ?? new() { [MetricNames.MessageRtt] = Trend(1, 2, 3) },
                    CloseCodes = [],
                },
            ],
            Timeline = [],
            Silos = [new SiloResult { Address = "127.0.0.1:11111@1", Clients = 10 }],
        }, null, null, null);

    private static List<string> Rows(Report report) => [.. SummaryPrinter.MetricRows(report).Select(r => r.Metric)];

    [Fact]
    public void A_steady_echo_run_shows_connections_and_messages_only_and_hides_metrics_without_data()
    {
        var rows = Rows(Run(Load("  - { name: steady, share: 100% }\n")));

        Assert.Contains(MetricNames.Connects, rows);
        Assert.Contains(MetricNames.MessagesLost, rows); // a counter at 0 is data
        Assert.Contains(MetricNames.MessageRtt, rows);
        Assert.DoesNotContain(MetricNames.ConnectTime, rows); // a trend without samples has no data
        Assert.DoesNotContain(MetricNames.TargetRssGrowthMb, rows); // no /stats read
        foreach (var absent in new[] { MetricNames.Switches, MetricNames.SwitchResumeTime, MetricNames.MessagesReplayed, MetricNames.SessionsForgotten,
                     MetricNames.Zombies, MetricNames.TokenRefreshes, MetricNames.ForcedDrops, MetricNames.MalformedCases, MetricNames.HeartbeatRtt })
            Assert.DoesNotContain(absent, rows);
    }

    [Fact]
    public void A_zombie_run_shows_zombie_rows()
    {
        var rows = Rows(Run(Load("  - { name: z, share: 100%, behavior: zombie, zombie: { kind: silent-app, after: 2s, observeFor: 10s } }\n"),
            new() { [MetricNames.Connects] = 10, [MetricNames.Zombies] = 10, [MetricNames.ZombiesDetected] = 8, [MetricNames.ZombiesUndetected] = 2 },
            new() { [MetricNames.ZombieDetectTime] = Trend(900, 1100) }));

        foreach (var present in new[] { MetricNames.Zombies, MetricNames.ZombiesDetected, MetricNames.ZombieDetectionRatio, MetricNames.ZombieDetectTime, MetricNames.ZombiesUndetected })
            Assert.Contains(present, rows);
        Assert.DoesNotContain(MetricNames.Switches, rows);
        Assert.DoesNotContain(MetricNames.TokenRefreshes, rows);
    }

    [Fact]
    public void A_token_run_shows_token_rows()
    {
        var rows = Rows(Run(Load("  - { name: steady, share: 100% }\n", "protocol: session\nauth: { jwt: { generateKey: true, lifetime: 30s }, refresh: { mode: in-band } }\n"),
            new() { [MetricNames.Connects] = 10, [MetricNames.TokenRefreshes] = 20 },
            new() { [MetricNames.TokenRefreshTime] = Trend(4, 5) }));

        foreach (var present in new[] { MetricNames.TokenRefreshes, MetricNames.TokenRefreshFailures, MetricNames.TokenRefreshTime, MetricNames.AuthRejections, MetricNames.ExpiredCloses })
            Assert.Contains(present, rows);
        Assert.Contains(MetricNames.MessagesReplayed, rows); // the session protocol's rows
        Assert.DoesNotContain(MetricNames.Zombies, rows);
        Assert.DoesNotContain(MetricNames.Switches, rows);
    }

    [Fact]
    public void A_switching_run_shows_switch_rows()
    {
        var rows = Rows(Run(Load("  - { name: movers, share: 100%, behavior: switching, switching: { interfaces: [wifi-good, 4g], every: 5s } }\n", "protocol: session\n"),
            new() { [MetricNames.Connects] = 30, [MetricNames.Switches] = 20 },
            new() { [MetricNames.SwitchResumeTime] = Trend(50, 80) }));

        Assert.Contains(MetricNames.Switches, rows);
        Assert.Contains(MetricNames.SwitchResumeTime, rows);
        Assert.Contains(MetricNames.ForcedDrops, rows);
        Assert.DoesNotContain(MetricNames.Zombies, rows);
    }

    [Fact]
    public void Redirected_the_summary_breaks_no_line_however_long()
    {
        var output = new StringWriter();
        var folder = "/tmp/" + string.Join("/", Enumerable.Repeat("a-rather-long-folder-name", 12));
        var report = Run(Load("  - { name: steady, share: 100% }\n", "thresholds:\n  messages_lost: [\"count==0\"]\n  connects: [\"count>1000\"]\n"));

        SummaryPrinter.Print(StdoutConsole.Unwrapped(output), report, folder);

        var lines = output.ToString().Split('\n').Select(l => l.TrimEnd('\r')).ToList();
        Assert.Contains($"verdict: FAIL   report: {Path.Combine(folder, "report.json")}", lines);
        Assert.Contains(lines, l => l.Contains("connects count>1000 (actual 10)", StringComparison.Ordinal));
        var rtt = Assert.Single(lines, l => l.TrimStart().StartsWith(MetricNames.MessageRtt, StringComparison.Ordinal));
        Assert.Matches(@"avg=\S+ med=\S+ p95=\S+ p99=\S+ max=\S+ ms \(n=3\)$", rtt.TrimEnd());
        Assert.DoesNotContain("\u001b", output.ToString());
    }
}
