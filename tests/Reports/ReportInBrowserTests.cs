using SimCluster.Tests.Support;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using SimCluster.Cli.Reports;

namespace SimCluster.Tests.Reports;

/// <summary>
/// The HTML report of a real run (./simcluster run scenarios/smoke.yaml, as a user starts it), opened in
/// headless Chromium: the charts must have drawn (the page marks &lt;html data-ready="true"&gt; and, on
/// each chart canvas, how many values it drew and how many pixels it painted), with no script error.
/// Keeps a screenshot; with SIMCLUSTER_UPDATE_SCREENSHOT=1 (or when it is missing) it becomes
/// docs/report-screenshot.png, the picture the README shows. Needs Debian's chromium
/// (.ci/run installs it: apt-get install -y chromium).
/// </summary>
public sealed partial class ReportInBrowserTests
{
    private const string ScreenshotPath = "docs/report-screenshot.png";
    private static readonly string[] TimelineCharts = ["chart-open", "chart-churn", "chart-rtt", "chart-messages"];

    [Fact]
    public async Task The_report_of_a_real_run_draws_its_charts_in_Chromium()
    {
        var chromium = Chromium.Find();
        var outDir = Repo.TempDirectory("simcluster-smoke");
        try
        {
            var run = await Processes.RunAsync(Repo.PathOf("simcluster"), ["run", "scenarios/smoke.yaml", "--no-live", "--out", outDir], Repo.Root, TimeSpan.FromMinutes(8));
            Assert.True(Contract.Graded(run.ExitCode, outDir), $"the smoke run failed: {run}");
            Assert.Contains("report.html", run.Stdout);
            var html = Path.Combine(outDir, ReportFiles.HtmlName);
            Assert.True(File.Exists(html), $"no report.html after the run: {run}");

            // The report carries the scenario as run, and report.html shows it.
            var json = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(outDir, ReportFiles.JsonName)))!.AsObject();
            Assert.Equal(await File.ReadAllTextAsync(Repo.PathOf("scenarios/smoke.yaml")), (string?)json["scenarioFile"]?["text"]);
            Assert.Contains("name: smoke", await File.ReadAllTextAsync(html));

            // report.junit.xml: one test case per threshold, valid.
            var junit = JunitReportTests.AssertValidJunit(await File.ReadAllTextAsync(Path.Combine(outDir, ReportFiles.JunitName)));
            Assert.Equal(json["thresholds"]!.AsArray().Count, junit.Descendants("testcase").Count());

            // Client timelines and disconnect causes, measured: the smoke run's flappers drop on schedule.
            var timelines = json["timelines"]!.AsArray().Select(t => t!.AsObject()).ToList();
            Assert.Equal(10, timelines.Count); // the default sample
            Assert.Equal(["flappers", "steady"], timelines.Select(t => (string)t["group"]!).Distinct().Order(StringComparer.Ordinal));
            var flapper = timelines.First(t => (string)t["group"]! == "flappers")["events"]!.AsArray().Select(e => e!.AsObject()).ToList();
            Assert.Contains(flapper, e => (string)e["event"]! == "dropped" && ((string?)e["detail"] ?? "").StartsWith("forced:", StringComparison.Ordinal));
            Assert.Equal("closed", (string)flapper[^1]["state"]!);
            Assert.True(flapper.Select(e => (double)e["atMs"]!).SequenceEqual(flapper.Select(e => (double)e["atMs"]!).Order()), "events out of order");
            var causes = json["disconnectCauses"]!.AsObject();
            var lost = causes.Where(c => !c.Key.StartsWith("connect:", StringComparison.Ordinal) && !c.Key.StartsWith("zombie:", StringComparison.Ordinal)).Sum(c => (long)c.Value!);
            Assert.Equal((long)json["metrics"]!["disconnects"]!["value"]!, lost); // every disconnect has exactly one cause
            Assert.True(causes.Where(c => c.Key.StartsWith("forced:", StringComparison.Ordinal)).Sum(c => (long)c.Value!) == (long)json["metrics"]!["forced_drops"]!["value"]!,
                $"forced causes do not add up to forced_drops: {causes.ToJsonString()}");

            var dom = await chromium.DumpDomAsync(html);
            AssertChartsDrew(dom, [.. TimelineCharts, "chart-causes", "chart-client-timelines"]);

            var screenshot = Path.Combine(outDir, "screenshot.png");
            await chromium.ScreenshotAsync(html, screenshot);
            var bytes = await File.ReadAllBytesAsync(screenshot);
            Assert.True(bytes.Length > 20_000 && bytes.AsSpan(0, 8).SequenceEqual(new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A }),
                $"the screenshot is not a plausible PNG ({bytes.Length} bytes)");
            Repo.KeepScreenshot(screenshot, ScreenshotPath);

            // `./simcluster report DIR` renders the same page again from report.json alone.
            var before = await File.ReadAllTextAsync(html);
            File.Delete(html);
            var rerender = await Processes.RunAsync(Repo.PathOf("simcluster"), ["report", outDir], Repo.Root, TimeSpan.FromMinutes(5));
            Assert.True(rerender.ExitCode == 0, rerender.ToString());
            Assert.Equal(before, await File.ReadAllTextAsync(html));
        }
        finally
        {
            Directory.Delete(outDir, recursive: true);
        }
    }

    [Fact]
    public async Task Hostile_text_in_a_report_stays_text_in_the_browser()
    {
        var chromium = Chromium.Find();
        var dir = Repo.TempDirectory("simcluster-hostile");
        try
        {
            var html = Path.Combine(dir, ReportFiles.HtmlName);
            await File.WriteAllTextAsync(html, HtmlReport.Render(HtmlReportTests.HostileReport()));
            var dom = await chromium.DumpDomAsync(html);
            AssertChartsDrew(dom, [.. TimelineCharts, "chart-close-codes", "chart-connect-errors", "chart-causes", "chart-client-timelines"]);
            Assert.DoesNotContain("<img id=\"pwned\"", dom);
            Assert.DoesNotContain("<title>pwned", dom);
            Assert.Contains("&lt;/script&gt;&lt;img id=\"pwned\"", dom); // the note, shown as text
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static void AssertChartsDrew(string dom, IEnumerable<string> charts)
    {
        var html = HtmlTag().Match(dom);
        Assert.True(html.Success, "no <html> element in the dumped DOM:\n" + dom[..Math.Min(dom.Length, 2000)]);
        var error = Regex.Match(html.Value, "data-error=\"([^\"]*)\"");
        Assert.False(error.Success, $"the page reported a script error: {error.Groups[1].Value}");
        Assert.Contains("data-ready=\"true\"", html.Value);
        foreach (var id in charts)
        {
            var canvas = Regex.Match(dom, $"<canvas id=\"{id}\"[^>]*>");
            Assert.True(canvas.Success, $"no canvas {id}");
            var points = int.Parse(Regex.Match(canvas.Value, "data-points=\"(\\d+)\"").Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
            var painted = int.Parse(Regex.Match(canvas.Value, "data-painted=\"(-?\\d+)\"").Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
            Assert.True(points > 0, $"{id} drew no values: {canvas.Value}");
            Assert.True(painted > 1000, $"{id} painted almost nothing: {canvas.Value}");
        }
    }

    [GeneratedRegex("<html[^>]*>")]
    private static partial Regex HtmlTag();
}

/// <summary>Headless Chromium, driven by its own command-line switches (no driver library needed).</summary>
internal sealed class Chromium(string executable)
{
    public string Executable => executable;

    public static Chromium Find()
    {
        var candidates = new[] { Environment.GetEnvironmentVariable("SIMCLUSTER_CHROMIUM"), "/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome" };
        var found = candidates.FirstOrDefault(c => !string.IsNullOrEmpty(c) && File.Exists(c));
        Assert.True(found is not null, "Chromium is needed to check report.html: apt-get install -y chromium (.ci/run does), or set SIMCLUSTER_CHROMIUM to a Chrome/Chromium binary");
        return new Chromium(found!);
    }

    public async Task<string> DumpDomAsync(string htmlFile)
    {
        var result = await RunAsync(["--dump-dom", new Uri(htmlFile).AbsoluteUri]);
        Assert.DoesNotContain("Uncaught", result.Stderr);
        return result.Stdout;
    }

    public async Task ScreenshotAsync(string htmlFile, string png)
    {
        await RunAsync([$"--screenshot={png}", "--window-size=1280,2400", "--hide-scrollbars", new Uri(htmlFile).AbsoluteUri]);
        Assert.True(File.Exists(png), "Chromium wrote no screenshot");
    }

    private async Task<ProcessOutcome> RunAsync(IEnumerable<string> arguments)
    {
        var profile = Repo.TempDirectory("simcluster-chromium");
        try
        {
            string[] common =
            [
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--disable-extensions", "--enable-logging=stderr", "--v=0", $"--user-data-dir={profile}",
            ];
            var result = await Processes.RunAsync(executable, [.. common, .. arguments], Path.GetTempPath(), TimeSpan.FromMinutes(2));
            Assert.True(result.ExitCode == 0, $"chromium failed: {result}");
            return result;
        }
        finally
        {
            try { Directory.Delete(profile, recursive: true); } catch (IOException) { /* a helper process may still hold a file */ }
        }
    }
}
