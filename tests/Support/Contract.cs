using System.Text.Json.Nodes;

namespace SimCluster.Tests.Support;

/// <summary>What report.json promises its readers (README, docs/report.md), written out independently of the code.</summary>
internal static class Contract
{
    public const string Schema = "simcluster.report/v1";

    /// <summary>"Metrics every run reports (zero when nothing happened)", with their type.</summary>
    public static readonly IReadOnlyDictionary<string, string> Metrics = new Dictionary<string, string>
    {
        ["connects"] = "counter",
        ["connect_failures"] = "counter",
        ["connect_time"] = "trend",
        ["connect_success_ratio"] = "ratio",
        ["disconnects"] = "counter",
        ["reconnect_time"] = "trend",
        ["messages_sent"] = "counter",
        ["messages_received"] = "counter",
        ["message_rtt"] = "trend",
        ["messages_lost"] = "counter",
        ["messages_interrupted"] = "counter",
        ["messages_duplicated"] = "counter",
        ["messages_reordered"] = "counter",
        ["heartbeat_rtt"] = "trend",
        ["false_disconnects"] = "counter",
        ["zombies"] = "counter",
        ["zombies_detected"] = "counter",
        ["zombie_detection_ratio"] = "ratio",
        ["zombie_detect_time"] = "trend",
        ["switches"] = "counter",
        ["switch_resume_time"] = "trend",
        ["token_refreshes"] = "counter",
        ["token_refresh_failures"] = "counter",
        ["token_refresh_time"] = "trend",
        ["auth_rejections"] = "counter",
        ["expired_closes"] = "counter",
        // Added in v1.1 (client side: offered load, the drain, late echoes, zombies cut by the end).
        ["messages_planned"] = "counter",
        ["messages_unresolved"] = "counter",
        ["messages_late"] = "counter",
        ["send_lag"] = "trend",
        ["zombies_unobserved"] = "counter",
    };

    public static readonly string[] TopLevelFields =
        ["schema", "scenario", "runId", "seed", "target", "startedAt", "endedAt", "durationSeconds", "clients", "verdict",
         "metrics", "closeCodes", "thresholds", "groups", "timeline", "cases", "failovers"];

    public static readonly string[] TrendFields = ["unit", "count", "min", "avg", "med", "p90", "p95", "p99", "max"];

    /// <summary>Checks the shape every report has: schema fields, every contract metric with its type and fields.</summary>
    public static void AssertReportShape(JsonObject report)
    {
        foreach (var field in TopLevelFields) Assert.True(report.ContainsKey(field), $"report.json lacks '{field}'");
        Assert.Equal(Schema, (string?)report["schema"]);
        Assert.True(DateTime.TryParse((string?)report["startedAt"], out _));
        Assert.True(DateTime.TryParse((string?)report["endedAt"], out _));
        Assert.Contains((string?)report["verdict"], new[] { "pass", "fail", "partial", "tool-limited" });
        Assert.NotNull(report["clients"]?["planned"]);
        Assert.NotNull(report["clients"]?["started"]);
        Assert.IsType<JsonArray>(report["thresholds"]);
        Assert.IsType<JsonArray>(report["timeline"]);
        Assert.IsType<JsonArray>(report["cases"]);
        Assert.IsType<JsonObject>(report["closeCodes"]);
        Assert.IsType<JsonObject>(report["groups"]);

        var metrics = Assert.IsType<JsonObject>(report["metrics"]);
        foreach (var (name, type) in Metrics)
        {
            var metric = Assert.IsType<JsonObject>(metrics[name] ?? throw new Xunit.Sdk.XunitException($"metrics lack '{name}'"));
            Assert.Equal(type, (string?)metric["type"]);
            if (type == "trend")
            {
                foreach (var field in TrendFields) Assert.True(metric.ContainsKey(field), $"{name} lacks '{field}'");
                Assert.Equal("ms", (string?)metric["unit"]);
            }
            else if (type == "ratio")
            {
                // A ratio with nothing to divide by has no data: value null, total 0.
                Assert.True(metric.ContainsKey("value"), $"{name} lacks 'value'");
                if (metric["value"] is null) Assert.Equal(0, metric["total"]!.GetValue<long>());
            }
            else
            {
                Assert.NotNull(metric["value"]);
            }
        }
    }

    /// <summary>
    /// The run went to its end and was graded: exit 0 or 99, or 105 with the verdict "tool-limited" (only timing
    /// thresholds failed while the tool itself was the bottleneck, which a busy machine can make of any run).
    /// </summary>
    public static bool Graded(int? exitCode, string reportFolder) => exitCode switch
    {
        0 or 99 => true,
        105 => File.Exists(Path.Combine(reportFolder, "report.json"))
               && (string?)JsonNode.Parse(File.ReadAllText(Path.Combine(reportFolder, "report.json")))?["verdict"] == "tool-limited",
        _ => false,
    };

    public static double Value(JsonObject report, string metric) => report["metrics"]![metric]!["value"]!.GetValue<double>();

    public static long Count(JsonObject report, string metric) => (long)Value(report, metric);
}
