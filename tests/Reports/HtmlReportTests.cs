using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using SimCluster.Cli.Reports;

namespace SimCluster.Tests.Reports;

[Trait("Category", "Unit")]
public sealed partial class HtmlReportTests
{
    internal const string Hostile = "</script><img id=\"pwned\" src=x onerror=\"document.title='pwned'\"><!--";

    /// <summary>A report whose every free text tries to break out of its place in the page.</summary>
    internal static JsonObject HostileReport()
    {
        var report = JunitReportTests.SampleReport();
        report["notes"] = new JsonArray(Hostile, "plain note");
        report["scenarioFile"] = new JsonObject
        {
            ["path"] = "scenarios/<evil>.yaml",
            ["text"] = "name: demo\n# " + Hostile + "\n# </pre><script>document.title='pwned'</script>\n",
            ["overrides"] = new JsonArray("clients=5\"><b>x</b>"),
        };
        report["cases"]![0]!["title"] = Hostile;
        report["thresholds"]![0]!["note"] = Hostile;
        report["connectErrors"] = new JsonObject { [Hostile] = 1 };
        report["timelines"]![0]!["group"] = Hostile;
        report["timelines"]![0]!["events"]![2]!["detail"] = Hostile;
        report["disconnectCauses"]![Hostile] = 1;
        return report;
    }

    [Fact]
    public void The_verdict_and_thresholds_come_before_the_charts_and_every_section_is_there()
    {
        var sample = JunitReportTests.SampleReport();
        sample["scenarioFile"] = new JsonObject { ["path"] = "scenarios/demo.yaml", ["text"] = "name: demo\n" };
        var html = HtmlReport.Render(sample);
        string[] order = ["class=\"badge\">FAIL", "id=\"thresholds\"", "id=\"timeline\"", "id=\"breakdowns\"", "id=\"groups\"", "id=\"metrics\"", "id=\"cases\"", "id=\"run\"", "id=\"scenario\""];
        var positions = order.Select(s => html.IndexOf(s, StringComparison.Ordinal)).ToList();
        Assert.All(positions.Zip(order), p => Assert.True(p.First >= 0, $"missing {p.Second}"));
        Assert.Equal(positions.Order(), positions);
        foreach (var chart in new[] { "chart-open", "chart-churn", "chart-rtt", "chart-messages", "chart-close-codes", "chart-connect-errors" })
            Assert.Contains($"id=\"{chart}\"", html);
    }

    [Fact]
    public void Thresholds_groups_and_cases_are_rendered_as_tables()
    {
        var html = HtmlReport.Render(JunitReportTests.SampleReport());
        Assert.Contains("1 of 4 passed", html);
        Assert.Contains("<tr class=\"fail\"><td class=\"mark\">✗</td><td><code>reconnect_time</code></td><td><code>p(95)&lt;1500</code></td><td class=\"num\">1734.2</td>", html);
        Assert.Contains("<code>flappers</code></td><td>flapping</td><td class=\"num\">100</td>", html);
        Assert.Contains("<td class=\"verdict bad\">WRONG-CODE</td>", html);
        Assert.Contains("<span class=\"chip ok\">OK: 1</span>", html);
        Assert.Contains("abnormal closure (no close frame)", html);
        Assert.DoesNotContain("No malformed cases in this run", html);
    }

    [Fact]
    public void A_section_with_nothing_to_show_is_left_out_and_so_is_its_link()
    {
        var report = JunitReportTests.SampleReport("pass");
        report["cases"] = new JsonArray();
        report["closeCodes"] = new JsonObject { ["1000"] = 0 };
        report["connectErrors"] = new JsonObject();
        report["thresholds"] = new JsonArray();
        var html = HtmlReport.Render(report);
        Assert.Contains("class=\"badge\">PASS", html);
        foreach (var id in new[] { "cases", "breakdowns", "thresholds", "scenario", "collateral", "baseline" })
        {
            Assert.DoesNotContain($"id=\"{id}\"", html);
            Assert.DoesNotContain($"href=\"#{id}\"", html);
        }
        Assert.DoesNotContain("class=\"empty\"", html);
        Assert.DoesNotContain("No connection was closed by the server", html);
        Assert.Contains("No thresholds in this scenario", html); // said once, in the header
    }

    [Fact]
    public void All_metrics_lists_what_happened_and_names_the_zeros_in_one_line()
    {
        var report = JunitReportTests.SampleReport();
        var metrics = report["metrics"]!.AsObject();
        metrics["messages_lost"] = new JsonObject { ["type"] = "counter", ["value"] = 0, ["rate"] = 0 };
        metrics["heartbeat_rtt"] = new JsonObject { ["type"] = "trend", ["unit"] = "ms", ["count"] = 0 };
        var html = HtmlReport.Render(report);
        Assert.DoesNotContain("<tr data-metric=\"messages_lost\">", html);
        Assert.DoesNotContain("<tr data-metric=\"heartbeat_rtt\">", html);
        Assert.Matches("Zero, or no data, in this run.*<code>messages_lost</code>.*<code>heartbeat_rtt</code>", html);
        var shown = Regex.Matches(html, "<tr data-metric=\"([^\"]+)\">").Select(m => m.Groups[1].Value).ToList();
        Assert.NotEmpty(shown);
    }

    [Fact]
    public void Each_trend_with_samples_gets_a_distribution_and_a_per_second_chart_graded_ones_first()
    {
        var report = JunitReportTests.SampleReport();
        report["distributions"] = new JsonObject
        {
            ["connect_time"] = new JsonObject { ["count"] = 3, ["percentiles"] = new JsonArray(), ["buckets"] = new JsonArray(new JsonArray(1, 2, 3)) },
            ["reconnect_time"] = new JsonObject { ["count"] = 2, ["percentiles"] = new JsonArray(), ["buckets"] = new JsonArray(new JsonArray(100, 200, 2)) },
        };
        report["timeline"]![0]!["trends"] = new JsonObject { ["connect_time"] = new JsonObject { ["count"] = 3, ["p50"] = 1.2, ["p95"] = 1.9, ["p99"] = 1.9 } };
        var html = HtmlReport.Render(report);
        // reconnect_time is graded (a threshold), so it comes first; it has no per-second samples, and says why.
        Assert.True(html.IndexOf("id=\"trend-reconnect_time\"", StringComparison.Ordinal) < html.IndexOf("id=\"trend-connect_time\"", StringComparison.Ordinal));
        Assert.Contains("id=\"chart-dist-reconnect_time\"", html);
        Assert.DoesNotContain("id=\"chart-pct-reconnect_time\"", html);
        Assert.Contains("there is no per-second series", html);
        Assert.Contains("id=\"chart-dist-connect_time\"", html);
        Assert.Contains("id=\"chart-pct-connect_time\"", html);
        Assert.Matches("id=\"trend-reconnect_time\"><h3><code>reconnect_time</code> <span class=\"chip soft\">graded</span>", html);
    }

    [Theory]
    [InlineData("server:close-1002", "the server closed with 1002 (protocol error)")]
    [InlineData("server:close-1005", "the server sent a Close frame without a status code")]
    [InlineData("server:close-4001", "the server closed with 4001 (token expired (session protocol))")]
    [InlineData("server:close-4500", "the server closed with 4500 (application-defined)")]
    [InlineData("server:reset", "the server reset the connection (RST) without a close frame")]
    [InlineData("server:closed-mid-frame", "the connection ended in the middle of a frame")]
    [InlineData("server:closed-without-handshake", "the connection ended between frames without a close handshake")]
    [InlineData("server:message-too-big", "the server announced a message over the maximum message size; the client reset the connection")]
    [InlineData("server:stalled-fragment", "the server started a fragmented message and did not finish it within lossTimeout; the client reset the connection")]
    [InlineData("server:protocol-error", "the server broke the WebSocket protocol (bad frame, invalid UTF-8); the client failed the connection")]
    [InlineData("connect:http-403", "the upgrade was answered with HTTP 403 instead of 101")]
    [InlineData("connect:refused", "a connection attempt failed: the connection was refused (nothing listening)")]
    [InlineData("connect:closed-during-handshake", "a connection attempt failed: the server closed or reset the connection during the upgrade")]
    [InlineData("tool:close", "the tool's own side ended the connection unexpectedly")]
    [InlineData("zombie:evicted", "a zombie the server gave up on")]
    [InlineData("forced:blackhole", "dropped by the scenario (blackhole)")]
    [InlineData("switch:fin", "network switch: the old path ended by fin")]
    [InlineData("mystery", "mystery (a label this version does not know)")]
    public void Every_disconnect_cause_label_has_its_own_wording(string label, string meaning) => Assert.Equal(meaning, HtmlReport.CauseMeaning(label));

    [Fact]
    public void Free_text_is_escaped_everywhere()
    {
        var html = HtmlReport.Render(HostileReport());
        Assert.DoesNotContain("<img id=\"pwned\"", html);
        Assert.DoesNotContain("<script>document.title", html);
        Assert.DoesNotContain("<b>x</b>", html);
        Assert.Contains("&lt;/script&gt;&lt;img id=&quot;pwned&quot;", html);
        Assert.Contains("&lt;/pre&gt;&lt;script&gt;document.title=&#39;pwned&#39;&lt;/script&gt;", html);

        // The embedded report.json: no '<' at all, so nothing in it can close the script element.
        var data = DataBlock().Match(html);
        Assert.True(data.Success);
        Assert.DoesNotContain("<", data.Groups[1].Value);
        Assert.Equal(HostileReport().ToJsonString(), JsonNode.Parse(data.Groups[1].Value)!.ToJsonString());

        // Exactly three script elements: the data, the chart library, the page script.
        Assert.Equal(3, Regex.Matches(html, "<script[ >]").Count);
        Assert.Equal(3, Regex.Matches(html, "</script>").Count);
    }

    [Fact]
    public void The_page_needs_no_network_and_runs_only_its_own_scripts()
    {
        var html = HtmlReport.Render(JunitReportTests.SampleReport());
        Assert.DoesNotMatch(@"(src|href)\s*=\s*""(https?:)?//", html);
        Assert.DoesNotContain("sourceMappingURL", html);

        var csp = Regex.Match(html, "http-equiv=\"Content-Security-Policy\" content=\"([^\"]+)\"").Groups[1].Value;
        Assert.Contains("default-src 'none'", csp);
        var hashes = Regex.Matches(csp, "'sha256-([^']+)'").Select(m => m.Groups[1].Value).ToList();
        var scripts = Regex.Matches(html, "<script>(.*?)</script>", RegexOptions.Singleline).Select(m => m.Groups[1].Value).ToList();
        Assert.Equal(2, scripts.Count);
        Assert.Equal(scripts.Select(s => Convert.ToBase64String(SHA256.HashData(Encoding.UTF8.GetBytes(s)))), hashes);
        Assert.Contains("Chart.js v4", scripts[0]);
    }

    [Fact]
    public void The_chart_library_ships_with_its_license()
    {
        var assets = Repo.PathOf("client/Cli/Reports/assets");
        Assert.True(File.Exists(Path.Combine(assets, "chart.umd.min.js")));
        Assert.Contains("MIT License", File.ReadAllText(Path.Combine(assets, "chart.js.LICENSE.md")));
    }

    [Fact]
    public async Task The_report_command_re_renders_from_report_json_alone()
    {
        var dir = Repo.TempDirectory("simcluster-report");
        try
        {
            await File.WriteAllTextAsync(Path.Combine(dir, "report.json"), JunitReportTests.SampleReport().ToJsonString());
            var stdout = new StringWriter();
            var stderr = new StringWriter();
            Assert.Equal(0, await ReportCommands.ReportAsync(dir, open: false, stdout, stderr));
            Assert.Equal("", stderr.ToString());
            Assert.Contains("file://", stdout.ToString());
            Assert.Contains("id=\"chart-open\"", await File.ReadAllTextAsync(Path.Combine(dir, "report.html")));
            JunitReportTests.AssertValidJunit(await File.ReadAllTextAsync(Path.Combine(dir, "report.junit.xml")));

            // A folder without report.json: an invalid-input exit that says what to pass instead.
            var empty = Repo.TempDirectory("simcluster-empty");
            Assert.Equal(104, await ReportCommands.ReportAsync(empty, open: false, stdout, stderr));
            Assert.Contains("has no report.json; pass a folder written by ./simcluster run", stderr.ToString());
            Directory.Delete(empty, true);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void The_scenarios_command_lists_each_shipped_scenario_with_its_first_comment_line()
    {
        var stdout = new StringWriter();
        Assert.Equal(0, ReportCommands.Scenarios(Repo.PathOf("scenarios"), stdout, new StringWriter()));
        var lines = stdout.ToString().Split('\n');
        foreach (var file in Repo.ShippedScenarios())
        {
            var name = Path.GetFileNameWithoutExtension(file);
            var description = ScenarioCatalog.Describe(File.ReadLines(file));
            Assert.DoesNotContain("yaml-language-server", description);
            Assert.DoesNotContain("(no description", description);
            Assert.Contains(lines, l => l.StartsWith(name + " ", StringComparison.Ordinal) && l.Contains(description, StringComparison.Ordinal) && !l.Contains("invalid"));
        }
        Assert.Contains("Run one: ./simcluster run", stdout.ToString());
    }

    [GeneratedRegex("<script id=\"report-data\" type=\"application/json\">(.*?)</script>", RegexOptions.Singleline)]
    private static partial Regex DataBlock();
}
