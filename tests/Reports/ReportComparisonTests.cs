using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using SimCluster.Cli.Reports;
using SimCluster.Grains.Metrics;
using SimCluster.Tests.Support;

namespace SimCluster.Tests.Reports;

/// <summary>`simcluster report compare` and `--baseline`: the comparison of two report.json files.</summary>
public sealed class ReportComparisonTests(Xunit.Abstractions.ITestOutputHelper output)
{
    private static JsonObject Report(long seed, double p95, long lost, bool passed) => new()
    {
        ["schema"] = "simcluster.report/v1", ["scenario"] = "flapping", ["runId"] = $"run-{seed}", ["seed"] = seed, ["verdict"] = passed ? "pass" : "fail",
        ["metrics"] = new JsonObject
        {
            ["connects"] = new JsonObject { ["type"] = "counter", ["value"] = 100 },
            ["messages_lost"] = new JsonObject { ["type"] = "counter", ["value"] = lost },
            ["messages_reordered"] = new JsonObject { ["type"] = "counter", ["value"] = 0 },
            ["reconnect_time"] = new JsonObject { ["type"] = "trend", ["count"] = 10, ["med"] = 100, ["p95"] = p95, ["p99"] = p95 + 10, ["max"] = p95 + 20 },
            ["heartbeat_rtt"] = new JsonObject { ["type"] = "trend", ["count"] = 0, ["med"] = 0, ["p95"] = 0, ["p99"] = 0, ["max"] = 0 },
            ["connect_success_ratio"] = new JsonObject { ["type"] = "ratio", ["value"] = 1.0 },
        },
        ["thresholds"] = new JsonArray(new JsonObject { ["metric"] = "reconnect_time", ["expression"] = "p(95)<500", ["actual"] = p95, ["passed"] = passed }),
    };

    [Fact]
    [Trait("Category", "Unit")]
    public void Each_metric_and_threshold_side_by_side_with_the_change_and_its_direction()
    {
        var comparison = ReportComparison.Compare(Report(1, 400, 0, true), Report(2, 600, 3, false));
        Assert.Equal(ReportComparison.Schema, (string)comparison["schema"]!);
        var rows = comparison["metrics"]!.AsArray().Select(r => r!.AsObject()).ToDictionary(r => $"{r["metric"]}.{r["field"]}");
        // Nothing in either run: no row. Same in both: a row with no change.
        Assert.DoesNotContain("messages_reordered.value", rows.Keys);
        Assert.DoesNotContain("heartbeat_rtt.p95", rows.Keys);
        Assert.Equal(0, (double)rows["connects.value"]["change"]!);
        Assert.False((bool)rows["connects.value"]["regressed"]!);
        var p95 = rows["reconnect_time.p95"];
        Assert.Equal((400.0, 600.0, 200.0, 50.0), ((double)p95["baseline"]!, (double)p95["current"]!, (double)p95["change"]!, (double)p95["changePercent"]!));
        Assert.Equal("lower", (string)p95["better"]!);
        Assert.True((bool)p95["regressed"]!);
        Assert.Equal("ms", (string)p95["unit"]!);
        Assert.True((bool)rows["messages_lost.value"]["regressed"]!); // 0 -> 3, and fewer is better
        Assert.Null(rows["messages_lost.value"]["changePercent"]); // no percentage of a zero
        var threshold = comparison["thresholds"]!.AsArray().Single()!;
        Assert.True((bool)threshold["changed"]!);
        Assert.True((bool)threshold["baseline"]!["passed"]!);
        Assert.False((bool)threshold["current"]!["passed"]!);
        // Three: the p95, p99 and max moved up, lost went up, and the threshold now fails = 5 regressions.
        Assert.Equal(5, (int)comparison["regressions"]!);

        var text = new StringWriter();
        ReportComparison.Print(comparison, text);
        Assert.Matches(@"reconnect_time p95\s+400\s+600\s+\+200\s+\+50\.0%\s+worse", text.ToString());
        Assert.Matches(@"reconnect_time p\(95\)<500\s+pass 400\s+FAIL 600\s+CHANGED", text.ToString());

        var html = HtmlReport.Render(Report(2, 600, 3, false), comparison);
        Assert.Contains("id=\"baseline\"", html);
        Assert.Contains("href=\"#baseline\"", html);
        Assert.Contains("id=\"chart-compare\"", html);
        Assert.Contains("<script id=\"comparison-data\" type=\"application/json\">", html);
    }

    /// <summary>Two real runs of scenarios/flapping.yaml (scaled down) with different seeds, compared by the CLI.</summary>
    [Fact]
    [Trait("Category", "Integration")]
    public async Task Two_flapping_runs_with_different_seeds_print_and_render_their_differences()
    {
        var folder = Repo.TempDirectory("simcluster-compare");
        try
        {
            var dirs = new List<string>();
            foreach (var seed in new[] { "1", "2" })
            {
                var dir = Path.Combine(folder, $"seed-{seed}");
                var run = await Processes.RunAsync(Repo.PathOf("simcluster"),
                    ["run", "scenarios/flapping.yaml", "--clients", "20", "--duration", "8s", "--set", "rampUp=1s", "--seed", seed, "--no-live", "--out", dir], Repo.Root, TimeSpan.FromMinutes(5));
                Assert.True(Contract.Graded(run.ExitCode, dir), run.ToString());
                dirs.Add(dir);
            }
            var compare = await Processes.RunAsync(Repo.PathOf("simcluster"), ["report", "compare", dirs[0], dirs[1]], Repo.Root, TimeSpan.FromMinutes(2));
            output.WriteLine(compare.ToString());
            Assert.True(compare.ExitCode is 0 or 99, compare.ToString());
            Assert.Contains("seed 1", compare.Stdout);
            Assert.Contains("seed 2", compare.Stdout);
            // Different seeds, different schedules: the forced drops and reconnect times differ.
            var comparison = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(dirs[1], ReportComparison.FileName)))!.AsObject();
            var changed = comparison["metrics"]!.AsArray().Where(r => r!["change"] is { } c && (double)c != 0).Select(r => $"{r!["metric"]}.{r["field"]}").ToList();
            Assert.Contains("reconnect_time.p95", changed);
            Assert.Matches(@"reconnect_time p95\s+\S+\s+\S+\s+[+-]", compare.Stdout);
            Assert.Equal((compare.ExitCode == 99), (int)comparison["regressions"]! > 0);

            var html = Path.Combine(dirs[1], ReportFiles.HtmlName);
            var dom = await Chromium.Find().DumpDomAsync(html);
            var canvas = Regex.Match(dom, "<canvas id=\"chart-compare\"[^>]*>").Value;
            Assert.True(int.Parse(Regex.Match(canvas, "data-points=\"(\\d+)\"").Groups[1].Value) > 0, $"the comparison chart drew nothing: {canvas}");
            Assert.Contains("Compared with the baseline", dom);
            var shot = Path.Combine(folder, "compare.png");
            await Chromium.Find().ScreenshotAsync(html, shot);
            Repo.KeepScreenshot(shot, "docs/report-compare.png");

            // The same section from `report DIR --baseline B`.
            File.Delete(html);
            var rerender = await Processes.RunAsync(Repo.PathOf("simcluster"), ["report", dirs[1], "--baseline", dirs[0]], Repo.Root, TimeSpan.FromMinutes(2));
            Assert.True(rerender.ExitCode == 0, rerender.ToString());
            Assert.Contains("id=\"chart-compare\"", await File.ReadAllTextAsync(html));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
