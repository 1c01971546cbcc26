using System.Text.Json.Nodes;
using HdrHistogram;
using SimCluster.Abstractions.Metrics;
using SimCluster.Abstractions.Runs;
using SimCluster.Cli.Reports;
using SimCluster.Scenarios;
using SimCluster.Tests.Support;

namespace SimCluster.Tests.Cli;

/// <summary>Grading and report.json from a synthetic <see cref="RunResult"/>: no cluster, no sockets.</summary>
[Trait("Category", "Unit")]
public sealed class ReportTests
{
    private static readonly DateTime Start = new(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc);

    private const string Yaml = """
        name: report-test
        target: ws://127.0.0.1:5080/ws
        clients: 10
        duration: 10s
        population:
          - { name: steady, share: 60% }
          - name: flappers
            share: 40%
            behavior: flapping
            flapping: { up: 1s..2s, down: 100ms..200ms, drop: reset, cycles: 2 }
        thresholds:
          connects: ["count==18", "rate>1.7", "value<18"]
          connect_failures: ["count<=2"]
          connect_success_ratio: ["value>=0.9", "value==1"]
          connect_time: ["p(95)<96", "p(95)<94", "avg<51", "avg<49", "min>=0.99", "max<=101", "med<51", "count==100"]
          messages_lost: ["count==0"]
          messages_lost{group:steady}: ["count==0"]
          reconnect_time{group:flappers}: ["p(99)<400", "min>=99"]
          reconnect_success_ratio: ["value==1"]
          heartbeat_rtt: ["p(95)<100", "count==0"]
          target_rss_growth_mb: ["value<10"]
          target_open_after_run: ["value==0"]
        """;

    private static Scenario LoadScenario(string yaml = Yaml)
    {
        var loaded = ScenarioLoader.Parse(yaml, "report-test.yaml");
        Assert.True(loaded.Ok, string.Join("\n", loaded.Errors));
        return loaded.Scenario!;
    }

    private static byte[] Trend(IEnumerable<double> milliseconds)
    {
        HistogramBase histogram = HistogramCodec.Create();
        foreach (var ms in milliseconds) histogram.RecordValue(HistogramCodec.ToMicros(TimeSpan.FromMilliseconds(ms)));
        return HistogramCodec.Encode(histogram);
    }

    private static Dictionary<string, long> Counters(params (string Name, long Value)[] values) =>
        values.ToDictionary(v => v.Name, v => v.Value);

    /// <summary>6 steady clients and 4 flappers; 18 connects, 2 failures, 4 lost messages among the flappers.</summary>
    private static RunResult Result(bool aborted = false) => new()
    {
        RunId = "report-test-1",
        StartedAtUtc = Start,
        EndedAtUtc = Start.AddSeconds(10.5),
        ActiveSeconds = 10,
        Planned = 10,
        Started = 10,
        Aborted = aborted,
        Groups =
        [
            new GroupResult
            {
                Name = "steady", Behavior = "steady", Clients = 6,
                Counters = Counters((MetricNames.Connects, 6), (MetricNames.MessagesSent, 600), (MetricNames.MessagesReceived, 598), (MetricNames.MessagesInterrupted, 2)),
                Trends = new() { [MetricNames.ConnectTime] = Trend(Enumerable.Range(1, 100).Select(i => (double)i)) },
                CloseCodes = new() { ["1000"] = 1 },
            },
            new GroupResult
            {
                Name = "flappers", Behavior = "flapping", Clients = 4,
                Counters = Counters((MetricNames.Connects, 12), (MetricNames.ConnectFailures, 2), (MetricNames.ForcedDrops, 8), (MetricNames.Reconnects, 8), (MetricNames.RestoresAttempted, 8),
                    (MetricNames.Disconnects, 8), (MetricNames.MessagesSent, 400), (MetricNames.MessagesReceived, 390), (MetricNames.MessagesLost, 4), (MetricNames.MessagesInterrupted, 6)),
                Trends = new() { [MetricNames.ReconnectTime] = Trend(Enumerable.Range(0, 201).Select(i => 100.0 + i)) },
                CloseCodes = new() { ["1000"] = 2, ["1006"] = 5, ["connect-error:refused"] = 2 },
            },
        ],
        Timeline =
        [
            new TimelinePoint { T = 1, Open = 10, Connects = 10, MessagesSent = 90, MessagesReceived = 88 },
            new TimelinePoint { T = 2, Open = 8, Connects = 2, Disconnects = 4, ForcedDrops = 4, MessagesSent = 100, MessagesReceived = 100 },
        ],
        Silos = [new SiloResult { Address = "127.0.0.1:11111@1", Clients = 10 }],
    };

    private static JsonObject Stats(double rssMb, long open) => new()
    {
        ["openConnections"] = open,
        ["process"] = new JsonObject { ["rssBytes"] = (long)(rssMb * 1_048_576), ["managedHeapBytes"] = 20L * 1_048_576 },
    };

    private static Report Create(Scenario? scenario = null, RunResult? result = null, bool partial = false, bool withStats = true) =>
        Report.Create(scenario ?? LoadScenario(), 42, [new Uri("ws://127.0.0.1:5080/ws")], result ?? Result(),
            withStats ? Stats(100, 3) : null, withStats ? Stats(105, 0) : null, partial ? "interrupted (SIGTERM)" : null);

    /// <summary>report.json as a reader sees it (numbers parsed from text).</summary>
    private static JsonObject Json(Report report) => JsonNode.Parse(report.ToJson().ToJsonString())!.AsObject();

    [Fact]
    public void Thresholds_are_graded_on_counters_trends_ratios_and_gauges()
    {
        var report = Create();
        var graded = report.Thresholds.ToDictionary(t => $"{t.Metric}{(t.Group is null ? "" : $"{{group:{t.Group}}}")} {t.Expression}");

        void Passed(string key, double actual, double tolerance = 0)
        {
            Assert.True(graded.TryGetValue(key, out var t), $"no threshold '{key}'");
            Assert.True(t.Passed, $"'{key}' failed with {t.Actual}");
            Assert.NotNull(t.Actual);
            Assert.Equal(actual, t.Actual!.Value, tolerance);
        }
        void Failed(string key, double? actual = null, double tolerance = 0)
        {
            Assert.True(graded.TryGetValue(key, out var t), $"no threshold '{key}'");
            Assert.False(t.Passed, $"'{key}' passed with {t.Actual}");
            if (actual is { } a) Assert.Equal(a, t.Actual!.Value, tolerance);
        }

        // Counters: count and value are the total over groups, rate is per second of the run's active time.
        Passed("connects count==18", 18);
        Passed("connects rate>1.7", 1.8, 1e-9);
        Failed("connects value<18", 18);
        Passed("connect_failures count<=2", 2);
        Failed("messages_lost count==0", 4);
        Passed("messages_lost{group:steady} count==0", 0);

        // Ratios are derived from counters.
        Passed("connect_success_ratio value>=0.9", 0.9, 1e-9);
        Failed("connect_success_ratio value==1", 0.9, 1e-9);
        Passed("reconnect_success_ratio value==1", 1);

        // Trends in milliseconds, any percentile; 1..100 ms, HdrHistogram precise to 0.1 %.
        Passed("connect_time p(95)<96", 95, 0.1);
        Failed("connect_time p(95)<94", 95, 0.1);
        Passed("connect_time avg<51", 50.5, 0.1);
        Failed("connect_time avg<49", 50.5, 0.1);
        Passed("connect_time min>=0.99", 1, 0.01);
        Passed("connect_time max<=101", 100, 0.1);
        Passed("connect_time med<51", 50, 0.1);
        Passed("connect_time count==100", 100);
        Passed("reconnect_time{group:flappers} p(99)<400", 298, 0.5);
        Passed("reconnect_time{group:flappers} min>=99", 100, 0.1);

        // A trend without samples: a percentile cannot be checked (fails), its count is 0.
        Failed("heartbeat_rtt p(95)<100");
        Assert.Equal(ThresholdEvaluator.NoData, graded["heartbeat_rtt p(95)<100"].Note);
        Passed("heartbeat_rtt count==0", 0);

        // Gauges come from the target's stats before and after.
        Passed("target_rss_growth_mb value<10", 5, 1e-6);
        Passed("target_open_after_run value==0", 0);

        Assert.Equal(23, report.Thresholds.Count);
        Assert.False(report.Passed);
        Assert.Equal("fail", report.Verdict);
    }

    [Fact]
    public void Gauge_thresholds_without_target_stats_fail_for_lack_of_data()
    {
        var report = Create(withStats: false);
        var rss = Assert.Single(report.Thresholds, t => t.Metric == MetricNames.TargetRssGrowthMb);
        Assert.False(rss.Passed);
        Assert.Null(rss.Actual);
        Assert.False(report.Overall.TryGet(MetricNames.TargetRssGrowthMb, Aggregation.Value, null, out _));
    }

    [Fact]
    public void Every_threshold_passing_is_a_pass_and_an_interrupted_run_is_partial()
    {
        var scenario = LoadScenario() with { Thresholds = [] };
        var passing = LoadScenario(Yaml.Split("thresholds:")[0] + """
            thresholds:
              connects: ["count>0"]
              message_rtt: ["count==0"]
            """);

        Assert.Equal("pass", Create(passing).Verdict);
        Assert.Equal(0, Create(passing).Thresholds.Count(t => !t.Passed));
        Assert.Equal("pass", Create(scenario).Verdict); // no thresholds: nothing can fail

        var partial = Create(passing, partial: true);
        Assert.Equal("partial", partial.Verdict);
        Assert.False(partial.Passed);
        Assert.Equal("interrupted (SIGTERM)", (string?)Json(partial)["partialReason"]);
        Assert.True((bool)Json(partial)["partial"]!);
        Assert.Null(Json(Create(passing))["partialReason"]);
        Assert.Equal("partial", Create(passing, Result(aborted: true)).Verdict);
        Assert.Equal("the run was aborted", Create(passing, Result(aborted: true)).PartialReason);
    }

    [Fact]
    public void Metric_sets_merge_groups_and_answer_only_what_fits_each_kind()
    {
        var result = Result();
        var set = new MetricSet(result.Groups, 10);

        Assert.Equal(18, set.Counter(MetricNames.Connects));
        Assert.Equal(1000, set.Counter(MetricNames.MessagesSent));
        Assert.Equal(0, set.Counter(MetricNames.Zombies));
        Assert.Equal(100, set.Trend(MetricNames.ConnectTime).TotalCount);
        Assert.Equal(201, set.Trend(MetricNames.ReconnectTime).TotalCount);
        Assert.Equal(
            [KeyValuePair.Create("1000", 3L), KeyValuePair.Create("1006", 5L), KeyValuePair.Create("connect-error:refused", 2L)],
            set.CloseCodes.OrderBy(c => c.Key, StringComparer.Ordinal));

        Assert.True(set.TryGet(MetricNames.MessagesSent, Aggregation.Rate, null, out var rate));
        Assert.Equal(100, rate);
        Assert.False(set.TryGet(MetricNames.MessagesSent, Aggregation.Percentile, 95, out _));
        Assert.False(set.TryGet(MetricNames.ConnectSuccessRatio, Aggregation.Count, null, out _));
        Assert.False(set.TryGet("no_such_metric", Aggregation.Count, null, out _));
        Assert.False(set.TryGet(MetricNames.ZombieDetectionRatio, Aggregation.Value, null, out _)); // no zombies: no data, not 0
        Assert.Null(set.Ratio(MetricNames.ZombieDetectionRatio));
        Assert.Equal((18L, 20L), set.RatioParts(MetricNames.ConnectSuccessRatio));
    }

    [Fact]
    public void Rate_divides_by_the_active_time_so_far_as_abortOnFail_sees_it_mid_run()
    {
        // Second 5 of a 60 s run: 100 messages sent so far is 20 per second, not 100 / 60.
        var scenario = LoadScenario(Yaml.Split("thresholds:")[0].Replace("duration: 10s", "duration: 60s") + """
            thresholds:
              messages_sent: ["rate<15", "rate>19.9"]
            """);
        var interim = Result() with
        {
            EndedAtUtc = Start.AddSeconds(5.3),
            ActiveSeconds = 5,
            Groups = [Result().Groups[0] with { Counters = Counters((MetricNames.MessagesSent, 100)) }],
        };
        var report = Create(scenario, interim);
        Assert.Equal([false, true], report.Thresholds.Select(t => t.Passed));
        Assert.All(report.Thresholds, t => Assert.Equal(20, t.Actual!.Value, 1e-9));
        Assert.Equal(20, Json(report)["metrics"]!["messages_sent"]!["rate"]!.GetValue<double>());
        Assert.Equal(5, Json(report)["activeSeconds"]!.GetValue<double>());

        // Before the run was active there is no rate to speak of.
        var before = Create(scenario, interim with { ActiveSeconds = 0 });
        Assert.All(before.Thresholds, t => Assert.Equal(ThresholdEvaluator.NoData, t.Note));
    }

    [Fact]
    public void A_ratio_with_nothing_to_divide_by_is_no_data_for_thresholds_and_in_report_json()
    {
        var scenario = LoadScenario(Yaml.Split("thresholds:")[0] + """
            thresholds:
              zombie_detection_ratio: ["value>=0"]
              connect_success_ratio: ["value>0.8"]
            """);
        var report = Create(scenario);
        var zombie = Assert.Single(report.Thresholds, t => t.Metric == MetricNames.ZombieDetectionRatio);
        Assert.False(zombie.Passed);
        Assert.Null(zombie.Actual);
        Assert.Equal(ThresholdEvaluator.NoData, zombie.Note);
        Assert.True(Assert.Single(report.Thresholds, t => t.Metric == MetricNames.ConnectSuccessRatio).Passed);

        var json = Json(report);
        var ratio = json["metrics"]!["zombie_detection_ratio"]!.AsObject();
        Assert.Equal("ratio", (string?)ratio["type"]);
        Assert.True(ratio.ContainsKey("value"));
        Assert.Null(ratio["value"]);
        Assert.Equal(0, ratio["total"]!.GetValue<long>());
        // The page and the summary say so in words.
        var html = HtmlReport.Render(json);
        var row = html[html.IndexOf("<code>zombie_detection_ratio</code>", StringComparison.Ordinal)..];
        Assert.Contains("no data", row[..row.IndexOf("</tr>", StringComparison.Ordinal)]);
        var connect = json["metrics"]!["connect_success_ratio"]!.AsObject();
        Assert.Equal(0.9, connect["value"]!.GetValue<double>(), 1e-9);
        Assert.Equal(18, connect["passes"]!.GetValue<long>());
        Assert.Equal(20, connect["total"]!.GetValue<long>());
    }

    [Fact]
    public void A_silo_silent_at_the_final_collection_makes_the_report_partial_and_is_named()
    {
        var silent = "127.0.0.1:11112@2";
        var result = Result() with
        {
            Silos = [new SiloResult { Address = "127.0.0.1:11111@1", Clients = 5 }, new SiloResult { Address = silent, Clients = 5, MissedFinalCollection = true }],
        };
        var report = Create(LoadScenario(Yaml.Split("thresholds:")[0]), result);
        Assert.Equal("partial", report.Verdict);
        Assert.Contains("did not answer the final collection", report.PartialReason);
        Assert.Contains(silent, report.PartialReason);
        var silos = Json(report)["silos"]!.AsArray();
        Assert.True(silos[1]!["missedFinalCollection"]!.GetValue<bool>());
        Assert.False(silos[0]!["missedFinalCollection"]!.GetValue<bool>());
    }

    [Fact]
    public void A_silo_that_did_not_confirm_its_stop_makes_the_report_partial_and_is_named()
    {
        var running = "127.0.0.1:11112@2";
        var result = Result() with
        {
            Silos = [new SiloResult { Address = "127.0.0.1:11111@1", Clients = 5 }, new SiloResult { Address = running, Clients = 5, StopUnconfirmed = true }],
        };
        var report = Create(LoadScenario(Yaml.Split("thresholds:")[0]), result);
        Assert.Equal("partial", report.Verdict);
        Assert.Contains("did not confirm that their clients stopped", report.PartialReason);
        Assert.Contains(running, report.PartialReason);
        var silos = Json(report)["silos"]!.AsArray();
        Assert.True(silos[1]!["stopUnconfirmed"]!.GetValue<bool>());
        Assert.False(silos[0]!["stopUnconfirmed"]!.GetValue<bool>());
    }

    [Fact]
    public void Report_json_has_the_schema_fields_and_every_contract_metric()
    {
        var json = Json(Create());

        Contract.AssertReportShape(json);
        Assert.Equal("report-test", (string?)json["scenario"]);
        Assert.Equal("report-test-1", (string?)json["runId"]);
        Assert.Equal(42, (long)json["seed"]!);
        Assert.Equal("ws://127.0.0.1:5080/ws", (string?)json["target"]);
        Assert.Equal(Start, DateTime.Parse((string)json["startedAt"]!).ToUniversalTime());
        Assert.Equal(10.5, (double)json["durationSeconds"]!);
        Assert.Equal(10, (int)json["clients"]!["planned"]!);
        Assert.Equal(10, (int)json["clients"]!["started"]!);
        Assert.Equal("fail", (string?)json["verdict"]);
    }

    [Fact]
    public void Report_json_carries_the_numbers()
    {
        var json = Json(Create());

        Assert.Equal(18, Contract.Count(json, "connects"));
        Assert.Equal(1000, Contract.Count(json, "messages_sent"));
        Assert.Equal(0.9, Contract.Value(json, "connect_success_ratio"), 6);
        Assert.Equal(0, Contract.Count(json, "zombies")); // zero when nothing happened
        var connectTime = json["metrics"]!["connect_time"]!;
        Assert.Equal(100, (long)connectTime["count"]!);
        Assert.Equal(95, (double)connectTime["p95"]!, 0.1);
        Assert.Equal(100, (double)connectTime["max"]!, 0.1);
        var empty = json["metrics"]!["heartbeat_rtt"]!;
        Assert.Equal(0, (long)empty["count"]!);
        Assert.Equal(0, (double)empty["p95"]!);
        Assert.Equal(5, Contract.Value(json, "target_rss_growth_mb"), 3);

        // Close codes and connect errors are reported apart.
        Assert.Equal(3, (long)json["closeCodes"]!["1000"]!);
        Assert.Equal(5, (long)json["closeCodes"]!["1006"]!);
        Assert.Null(json["closeCodes"]!["connect-error:refused"]);
        Assert.Equal(2, (long)json["connectErrors"]!["refused"]!);

        var thresholds = json["thresholds"]!.AsArray();
        Assert.Equal(23, thresholds.Count);
        var lost = thresholds.Single(t => (string?)t!["metric"] == "messages_lost" && (string?)t["expression"] == "count==0")!;
        Assert.Equal(4, (double)lost["actual"]!);
        Assert.False((bool)lost["passed"]!);
        Assert.Contains(thresholds, t => (string?)t!["metric"] == "reconnect_time{group:flappers}" && (bool)t["passed"]!);

        var flappers = json["groups"]!["flappers"]!;
        Assert.Equal(4, (int)flappers["clients"]!);
        Assert.Equal("flapping", (string?)flappers["behavior"]);
        Assert.Equal(8, (long)flappers["metrics"]!["forced_drops"]!["value"]!);
        Assert.Equal(12, (long)flappers["metrics"]!["connects"]!["value"]!);
        Assert.Equal(6, (long)json["groups"]!["steady"]!["metrics"]!["connects"]!["value"]!);

        var timeline = json["timeline"]!.AsArray();
        Assert.Equal(2, timeline.Count);
        Assert.Equal(1, (int)timeline[0]!["t"]!);
        Assert.Equal(10, (int)timeline[0]!["open"]!);
        Assert.Equal(90, (long)timeline[0]!["messagesSent"]!);
        Assert.Equal(88, (long)timeline[0]!["messagesReceived"]!);
    }

    [Fact]
    public void Several_targets_are_listed()
    {
        var report = Report.Create(LoadScenario(), 1, [new Uri("ws://127.0.0.1:1/ws"), new Uri("ws://127.0.0.2:1/ws")], Result(), null, null, null);
        var targets = Json(report)["target"]!.AsArray().Select(t => (string)t!).ToList();
        Assert.Equal(new List<string> { "ws://127.0.0.1:1/ws", "ws://127.0.0.2:1/ws" }, targets);
    }

    [Fact]
    public async Task The_report_is_written_as_report_json_in_the_folder()
    {
        var folder = Path.Combine(Path.GetTempPath(), "simcluster-report-test-" + Guid.NewGuid().ToString("N"));
        try
        {
            var report = Create();
            await report.WriteAsync(Path.Combine(folder, "nested"));

            var written = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(folder, "nested", "report.json")))!.AsObject();
            Contract.AssertReportShape(written);
            Assert.True(JsonNode.DeepEquals(Json(report), written));
            Assert.False(File.Exists(Path.Combine(folder, "nested", "report.json.tmp")));
        }
        finally
        {
            if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
        }
    }
}
