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
        var html = HtmlReport.Render(JunitReportTests.SampleReport());
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
    public void A_run_without_cases_says_so()
    {
        var report = JunitReportTests.SampleReport("pass");
        report["cases"] = new JsonArray();
        var html = HtmlReport.Render(report);
        Assert.Contains("No malformed cases in this run.", html);
        Assert.Contains("class=\"badge\">PASS", html);
    }

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
