using System.Globalization;
using System.Text.Json.Nodes;
using SimCluster.Cli.Reports;
using SimCluster.Tests.Silo;
using SimCluster.Tests.Support;

namespace SimCluster.Tests.Reports;

/// <summary>
/// The live run page in headless Chromium during real runs: an embedded run with <c>--dashboard</c>, and a run on a
/// two-silo Redis cluster watched through a silo's HTTP port. From the DOM: the page redraws while the run goes, its
/// charts gain a point for every new second, and once the run ends it shows exactly the numbers of the report.json
/// the run wrote. The embedded run's page becomes docs/live-screenshot.png (with SIMCLUSTER_UPDATE_SCREENSHOT=1, or
/// when it is missing).
/// </summary>
[Collection(LightRunsCollection.Name)]
[Trait("Category", "Integration")]
public sealed class LivePageTests(Xunit.Abstractions.ITestOutputHelper output)
{
    private const string LiveScreenshot = "docs/live-screenshot.png";

    [Fact]
    public async Task An_embedded_runs_live_page_draws_each_second_and_ends_on_the_reports_numbers()
    {
        await Simcluster.EnsureBuiltAsync(); // builds the CLI before any clock starts
        var folder = Simcluster.TempFolder("live-embedded");
        try
        {
            var outDir = Path.Combine(folder, "report");
            // Chromium first: on a loaded machine its start can take longer than the run has seconds to show.
            await using var browser = await ChromiumSession.StartAsync();
            await using var run = BackgroundProcess.Start("simcluster run", ChildProcess.StartInfo(Path.Combine(Simcluster.RepoRoot, "simcluster"),
                ["run", "scenarios/smoke.yaml", "--duration", "12s", "--no-live", "--dashboard", "--out", outDir], Simcluster.RepoRoot));
            var line = await run.WaitForLineAsync(l => l.StartsWith("live: http://127.0.0.1:", StringComparison.Ordinal), "the live page's address", TimeSpan.FromSeconds(120));
            await browser.NavigateAsync(line["live: ".Length..].Trim());
            var watched = await LivePage.WatchAsync(browser);
            await browser.ScreenshotAsync(Path.Combine(folder, "live.png"));
            Repo.KeepScreenshot(Path.Combine(folder, "live.png"), LiveScreenshot);
            var final = await LivePage.FinalAsync(browser);
            var exit = await run.WaitForExitAsync(TimeSpan.FromMinutes(2));
            output.WriteLine(run.Output);
            Assert.True(Contract.Graded(exit, outDir), $"exit {exit}\n{run.Output}");
            LivePage.AssertSameNumbers(final, await LivePage.ReadReportAsync(outDir), watched);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}

/// <summary>The same on a two-silo Redis cluster, the page opened on the silo the CLI did not start the run from.</summary>
[Collection(IntegrationCollection.Name)]
[Trait("Category", "Integration")]
public sealed class LivePageOnClusterTests(Xunit.Abstractions.ITestOutputHelper output)
{
    [Fact]
    public async Task A_cluster_runs_live_page_on_a_silo_draws_each_second_and_ends_on_the_reports_numbers()
    {
        await Simcluster.EnsureBuiltAsync();
        await using var cluster = await RedisCluster.StartAsync(silos: 2);
        var folder = Simcluster.TempFolder("live-cluster");
        try
        {
            var outDir = Path.Combine(folder, "report");
            // Chromium first: on a loaded machine its start can take longer than the run has seconds to show.
            await using var browser = await ChromiumSession.StartAsync();
            await using var run = BackgroundProcess.Start("simcluster run", ChildProcess.StartInfo(Path.Combine(Simcluster.RepoRoot, "simcluster"),
                ["run", "scenarios/smoke.yaml", "--duration", "16s", "--no-live", "--cluster", cluster.Spec, "--out", outDir], Simcluster.RepoRoot));
            var line = await run.WaitForLineAsync(l => l.StartsWith("live: /runs/", StringComparison.Ordinal), "the live page's path", TimeSpan.FromSeconds(120));
            var path = line["live: ".Length..].Split(' ')[0];
            // The second silo: the page reads the cluster's live runs wherever the run's grains are.
            await browser.NavigateAsync($"http://127.0.0.1:{cluster.Silos[1].HttpPort}{path}");
            var runId = path["/runs/".Length..];
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
            // Mid-run, each silo's /metrics has the run's trends as histograms. The scrapes start now and run beside the
            // page: on a loaded machine watching the page can take most of the run, and the series go when it ends.
            var scrapes = cluster.Silos.Select(silo => ScrapeUntilRunSamplesAsync(http, $"http://127.0.0.1:{silo.HttpPort}/metrics", runId)).ToList();
            var watched = await LivePage.WatchAsync(browser);
            foreach (var scrape in await Task.WhenAll(scrapes))
                PrometheusScrape.AssertRunHistograms(scrape, runId, "message_rtt");
            var final = await LivePage.FinalAsync(browser);
            var exit = await run.WaitForExitAsync(TimeSpan.FromMinutes(2));
            output.WriteLine(run.Output);
            Assert.True(Contract.Graded(exit, outDir), $"exit {exit}\n{run.Output}");
            // Once the run ended, none of its series is left on any silo.
            foreach (var silo in cluster.Silos)
            {
                await Eventually.TrueAsync(() => !PrometheusScrape.Series(http.GetStringAsync($"http://127.0.0.1:{silo.HttpPort}/metrics").GetAwaiter().GetResult())
                    .Any(s => s.Labels.GetValueOrDefault("run") == runId), $"no series of run {runId} on silo {silo.HttpPort}", TimeSpan.FromSeconds(30));
            }
            var report = await LivePage.ReadReportAsync(outDir);
            Assert.Equal(2, report["silos"]!.AsArray().Count);
            LivePage.AssertSameNumbers(final, report, watched);

            // The silo's run list links the run, and the Orleans dashboard page links the list.
            var list = await http.GetStringAsync($"http://127.0.0.1:{cluster.Silos[0].HttpPort}/runs");
            Assert.Contains($"href=\"{path}\"", list);
            var dashboard = await http.GetStringAsync($"http://127.0.0.1:{cluster.Silos[0].HttpPort}/dashboard");
            Assert.Contains("href=\"/runs\"", dashboard);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>Scrapes until the run's trend and connects are there (the run is 16 s), and returns that scrape.</summary>
    private static Task<string> ScrapeUntilRunSamplesAsync(HttpClient http, string url, string runId) =>
        Eventually.ValueAsync(() =>
            {
                try { return http.GetStringAsync(url).GetAwaiter().GetResult(); }
                catch (HttpRequestException) { return ""; } // the silo's endpoint not up yet
            },
            scrape => PrometheusScrape.HasRunSamples(scrape, runId, "message_rtt"), $"run {runId}'s series at {url}", TimeSpan.FromSeconds(60));
}

/// <summary>Reading the live page from the DOM, and checking it against the report.</summary>
internal static class LivePage
{
    /// <summary>The page's state: redraws, phase, last second charted, points per chart.</summary>
    private const string Snapshot = """
        (() => { const r = document.documentElement; const points = {};
          document.querySelectorAll('canvas[data-points]').forEach(c => points[c.id] = +c.getAttribute('data-points'));
          return { updates: +(r.dataset.updates || 0), lastT: +(r.dataset.lastT || 0), phase: r.dataset.phase || '', final: r.dataset.final === 'true',
                   error: r.dataset.error || null, points: points }; })()
        """;

    /// <summary>Resolves in the page once <paramref name="condition"/> (over the root element r) holds: a DOM mutation wakes it.</summary>
    private static string When(string condition) => $$"""
        new Promise(resolve => { const r = document.documentElement;
          const check = () => { if ({{condition}}) { observer.disconnect(); resolve({{Snapshot}}); } };
          const observer = new MutationObserver(check); observer.observe(r, { attributes: true }); check(); })
        """;

    /// <summary>
    /// Follows the page through redraws while the run goes: every redraw that charts a later second has more points on
    /// the connection and message charts than the one before. Returns the redraws seen.
    /// </summary>
    public static async Task<List<JsonObject>> WatchAsync(ChromiumSession browser)
    {
        var seen = new List<JsonObject>();
        var updates = 0;
        // Until four later seconds were charted (or the run ended): a 12 s run has enough of them.
        while (seen.Select(s => (int)s["lastT"]!).Distinct().Count() < 5)
        {
            var snapshot = (await browser.EvaluateAsync(When($"+(r.dataset.updates || 0) > {updates}"), TimeSpan.FromSeconds(60)))!.AsObject();
            Assert.True(snapshot["error"] is null, $"the page reported a script error: {snapshot.ToJsonString()}");
            updates = (int)snapshot["updates"]!;
            if ((bool)snapshot["final"]!) break;
            if ((string)snapshot["phase"]! == "running" && (int)snapshot["lastT"]! > 0) seen.Add(snapshot);
        }
        Assert.True(seen.Count >= 3, $"the page redrew too rarely while the run went: {string.Join(" | ", seen.Select(s => s.ToJsonString()))}");
        for (var i = 1; i < seen.Count; i++)
        {
            int T(int k) => (int)seen[k]["lastT"]!;
            int Points(int k, string chart) => (int?)seen[k]["points"]![chart] ?? 0;
            Assert.True(T(i) >= T(i - 1), "the page went back in time");
            if (T(i) == T(i - 1)) continue;
            foreach (var chart in new[] { "chart-open", "chart-messages", "chart-churn" })
                Assert.True(Points(i, chart) > Points(i - 1, chart), $"{chart} gained no point from second {T(i - 1)} to {T(i)}: {seen[i - 1].ToJsonString()} -> {seen[i].ToJsonString()}");
        }
        Assert.True((int)seen[^1]["lastT"]! - (int)seen[0]["lastT"]! >= 3, $"fewer than 3 seconds charted while watching: {string.Join(" | ", seen.Select(s => s.ToJsonString()))}");
        return seen;
    }

    /// <summary>Waits for the final report on the page; then reads its metric table, thresholds and verdict.</summary>
    public static async Task<JsonObject> FinalAsync(ChromiumSession browser)
    {
        await browser.EvaluateAsync(When("r.dataset.final === 'true'"), TimeSpan.FromSeconds(90));
        return (await browser.EvaluateAsync("""
            (() => ({
              verdict: document.querySelector('header .badge').textContent,
              metrics: Object.fromEntries([...document.querySelectorAll('tr[data-metric]')].map(tr => [tr.dataset.metric, tr.querySelector('td[data-value]').dataset.value])),
              thresholds: [...document.querySelectorAll('table.thresholds tbody tr')].map(tr => tr.querySelectorAll('td')[3].textContent),
              charts: [...document.querySelectorAll('canvas[data-points]')].filter(c => +c.dataset.points > 0).map(c => c.id),
            }))()
            """, TimeSpan.FromSeconds(10)))!.AsObject();
    }

    public static async Task<JsonObject> ReadReportAsync(string outDir) =>
        JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(outDir, ReportFiles.JsonName)))!.AsObject();

    public static void AssertSameNumbers(JsonObject page, JsonObject report, List<JsonObject> watched)
    {
        Assert.Equal(((string)report["verdict"]!).ToUpperInvariant(), (string)page["verdict"]!);
        var metrics = report["metrics"]!.AsObject();
        var expected = metrics.Where(m => (string)m.Value!["type"]! switch
            {
                "trend" => (long)m.Value!["count"]! > 0,
                "counter" => (double)m.Value!["value"]! > 0,
                "ratio" => m.Value!["value"] is not null, // null: no data
                _ => true,
            })
            .ToDictionary(m => m.Key, m => (double)((string)m.Value!["type"]! == "trend" ? m.Value!["count"]! : m.Value!["value"]!));
        var shown = page["metrics"]!.AsObject().ToDictionary(m => m.Key, m => double.Parse((string)m.Value!, CultureInfo.InvariantCulture));
        Assert.Equal(expected.OrderBy(e => e.Key), shown.OrderBy(e => e.Key));
        Assert.True(expected["connects"] > 0 && expected["messages_sent"] > 0, "the run sent nothing");
        var actuals = report["thresholds"]!.AsArray().Select(t => t!["actual"] is { } a ? HtmlReport.Num((double)a) : "no value").ToList();
        Assert.Equal(actuals, page["thresholds"]!.AsArray().Select(t => (string)t!).ToList());
        // The final page charts the whole run: more seconds than any redraw while it went.
        var final = report["timeline"]!.AsArray().Count;
        Assert.True(final >= (int)watched[^1]["lastT"]!, $"the report has {final} seconds, the page showed {watched[^1]["lastT"]} while running");
        Assert.Contains("chart-dist-reconnect_time", page["charts"]!.AsArray().Select(c => (string)c!));
    }
}
