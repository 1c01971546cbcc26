using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using SimCluster.Abstractions.Metrics;

namespace SimCluster.Tests.Deploy;

/// <summary>deploy/grafana/simcluster-dashboard.json reads only series the silos export (SiloMeter's names as Prometheus writes them).</summary>
[Trait("Category", "Unit")]
public sealed partial class GrafanaDashboardTests
{
    private static JsonObject Dashboard() =>
        JsonNode.Parse(File.ReadAllText(Path.Combine(SimCluster.Tests.Support.Simcluster.RepoRoot, "deploy/grafana/simcluster-dashboard.json")))!.AsObject();

    private static List<string> Expressions(JsonObject dashboard) =>
        [.. dashboard["panels"]!.AsArray().SelectMany(p => p!["targets"] as JsonArray ?? []).Select(t => (string)t!["expr"]!)];

    [Fact]
    public void Every_query_names_a_series_the_silos_export()
    {
        var exported = new HashSet<string>(StringComparer.Ordinal) { "simcluster_open_connections" };
        foreach (var (name, kind) in MetricNames.All)
        {
            if (kind == MetricKind.Counter) exported.Add($"simcluster_{name}_total");
            if (kind == MetricKind.Trend) exported.Add($"simcluster_{name}_seconds_bucket");
        }
        var expressions = Expressions(Dashboard());
        Assert.NotEmpty(expressions);
        foreach (var expr in expressions)
        {
            var names = SeriesName().Matches(expr).Select(m => m.Value).ToList();
            Assert.NotEmpty(names);
            foreach (var name in names) Assert.True(exported.Contains(name), $"the dashboard queries {name}, which no silo exports: {expr}");
            Assert.Contains("run=~\"$run\"", expr);
        }
    }

    [Theory]
    [InlineData("message_rtt")]
    [InlineData("connect_time")]
    [InlineData("reconnect_time")]
    [InlineData("recovery_time")]
    [InlineData("zombie_detect_time")]
    [InlineData("switch_resume_time")]
    [InlineData("token_refresh_time")]
    public void Each_graded_trend_has_its_percentiles(string trend)
    {
        var expressions = Expressions(Dashboard());
        foreach (var quantile in new[] { "0.5", "0.95", "0.99" })
            Assert.Contains(expressions, e => e.StartsWith($"histogram_quantile({quantile}, ", StringComparison.Ordinal) && e.Contains($"simcluster_{trend}_seconds_bucket", StringComparison.Ordinal));
    }

    [GeneratedRegex("simcluster_[a-z0-9_]+")]
    private static partial Regex SeriesName();
}
