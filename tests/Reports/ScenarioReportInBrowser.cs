using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using SimCluster.Abstractions.Metrics;
using SimCluster.Cli.Reports;
using SimCluster.Tests.Support;

namespace SimCluster.Tests.Reports;

/// <summary>
/// A shipped scenario's report, from its scaled-down run (<c>ScaledScenarioTests</c>), opened in headless Chromium:
/// each trend a threshold grades has samples, its distribution and its per-second p50/p95/p99 chart drawn, no section
/// is empty, and "All metrics" lists only what happened.
/// </summary>
internal static partial class ScenarioReportInBrowser
{
    public static async Task AssertChartsEveryGradedTrendAsync(string scenario, string outDir)
    {
        var report = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(outDir, ReportFiles.JsonName)))!.AsObject();
        var graded = report["thresholds"]!.AsArray().Select(t => HtmlReport.TrendOf((string?)t!["metric"]))
            .Where(m => MetricNames.All.GetValueOrDefault(m) == MetricKind.Trend).Distinct().ToList();
        Assert.NotEmpty(graded);
        foreach (var trend in graded)
            Assert.True((long)report["metrics"]![trend]!["count"]! > 0, $"{scenario}: the scaled-down run measured no {trend}; bring its timing forward");

        var dom = await Chromium.Find().DumpDomAsync(Path.Combine(outDir, ReportFiles.HtmlName));
        Assert.DoesNotContain("data-error=", HtmlTag().Match(dom).Value);
        Assert.Contains("data-ready=\"true\"", HtmlTag().Match(dom).Value);
        foreach (var trend in graded)
        {
            AssertDrew(dom, $"chart-dist-{trend}");
            AssertDrew(dom, $"chart-pct-{trend}");
        }
        AssertNoEmptySection(dom);
        foreach (Match row in MetricRow().Matches(dom))
            Assert.True(double.Parse(row.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture) > 0, $"{scenario}: All metrics shows {row.Groups[1].Value} at zero");

        if (scenario == "flapping")
        {
            // The picture of the new sections the README shows (docs/report-timings.png).
            var shot = Path.Combine(outDir, "timings.png");
            await Chromium.Find().ScreenshotAsync(Path.Combine(outDir, ReportFiles.HtmlName), shot);
            Repo.KeepScreenshot(shot, "docs/report-timings.png");
        }
    }

    private static void AssertDrew(string dom, string id)
    {
        var canvas = Regex.Match(dom, $"<canvas id=\"{Regex.Escape(id)}\"[^>]*>");
        Assert.True(canvas.Success, $"no chart {id}");
        Assert.True(int.Parse(Regex.Match(canvas.Value, "data-points=\"(\\d+)\"").Groups[1].Value) > 0, $"{id} drew no values: {canvas.Value}");
        Assert.True(int.Parse(Regex.Match(canvas.Value, "data-painted=\"(-?\\d+)\"").Groups[1].Value) > 1000, $"{id} painted almost nothing: {canvas.Value}");
    }

    /// <summary>Every section has a table, a chart or the scenario text, no "nothing here" placeholder, and the navigation names only sections there are.</summary>
    private static void AssertNoEmptySection(string dom)
    {
        Assert.DoesNotContain("class=\"empty\"", dom);
        var sections = SectionBlock().Matches(dom).ToList();
        Assert.NotEmpty(sections);
        foreach (var section in sections)
            Assert.True(Regex.IsMatch(section.Value, "<(table|canvas|pre)\\b"), $"section {section.Groups[1].Value} shows nothing: {section.Value[..Math.Min(400, section.Value.Length)]}");
        var ids = sections.Select(s => s.Groups[1].Value).ToHashSet();
        foreach (Match link in Regex.Matches(Regex.Match(dom, "<nav>.*?</nav>", RegexOptions.Singleline).Value, "href=\"#([^\"]+)\""))
            Assert.Contains(link.Groups[1].Value, ids);
    }

    [GeneratedRegex("<html[^>]*>")]
    private static partial Regex HtmlTag();

    [GeneratedRegex("<section id=\"([^\"]+)\">.*?</section>", RegexOptions.Singleline)]
    private static partial Regex SectionBlock();

    [GeneratedRegex("<tr data-metric=\"([^\"]+)\"><td><code>[^<]*</code></td><td>(?:trend|counter)[^<]*</td><td class=\"num\" data-value=\"([^\"]+)\"")]
    private static partial Regex MetricRow();
}
