using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using System.Xml.Linq;
using SimCluster.Tests.Support;

namespace SimCluster.Tests.Silo;

/// <summary>
/// The control API is cluster-wide: two `simcluster silo` processes joined through redis-server, a run started
/// on silo A, and everything else (list, state, event stream with a dropped connection resumed by
/// Last-Event-ID, stop, the report as JSON, HTML and JUnit) asked of silo B.
/// </summary>
[Collection(IntegrationCollection.Name)]
public sealed class ClusterControlApiTests(Xunit.Abstractions.ITestOutputHelper output)
{
    [Fact]
    public async Task A_run_started_on_one_silo_is_listed_streamed_stopped_and_fetched_through_another()
    {
        await Simcluster.EnsureBuiltAsync(); // builds the CLI once, before any clock starts
        var folder = Simcluster.TempFolder("cluster-api");
        await using var cluster = await RedisCluster.StartAsync(silos: 2, i => ["--data-dir", Path.Combine(folder, $"data-{i}")]);
        try
        {
            var (a, b) = (cluster.Silos[0], cluster.Silos[1]);
            using var httpA = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{a.HttpPort}"), Timeout = TimeSpan.FromSeconds(30) };
            using var httpB = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{b.HttpPort}"), Timeout = TimeSpan.FromSeconds(30) };

            // A few clients for up to a minute: the stop below ends it. reconnect.base is ignored by policy immediate: a warning.
            var scenario = File.ReadAllText(Path.Combine(Simcluster.RepoRoot, "scenarios", "smoke.yaml"))
                .Replace("duration: 8s", "duration: 60s", StringComparison.Ordinal)
                .Replace("reconnect: { policy: exponential, base: 50ms, max: 2s, jitter: full }", "reconnect: { policy: immediate, base: 50ms }", StringComparison.Ordinal);
            Assert.Contains("policy: immediate", scenario);
            using var post = await httpA.PostAsJsonAsync("/api/runs", new { scenario, set = new[] { "clients=4" } });
            var started = (await post.Content.ReadFromJsonAsync<JsonObject>())!;
            Assert.True(post.StatusCode == HttpStatusCode.Created, started.ToJsonString());
            var runId = started["runId"]!.GetValue<string>();
            Assert.Equal($"/api/runs/{runId}", post.Headers.Location?.ToString());
            var warning = Assert.Single(started["warnings"]!.AsArray(), w => w!["key"]!.GetValue<string>() == "reconnect.base")!;
            Assert.Equal(10, warning["line"]!.GetValue<int>());
            Assert.Contains("ignored", warning["message"]!.GetValue<string>());

            // Silo B lists it and knows that A runs it.
            var listed = Assert.Single((await httpB.GetFromJsonAsync<JsonArray>("/api/runs"))!, r => r!["runId"]!.GetValue<string>() == runId)!;
            Assert.True(a.Named(listed["silo"]!.GetValue<string>()), listed.ToJsonString());
            using (var location = await httpB.GetAsync(post.Headers.Location))
                Assert.Equal(HttpStatusCode.OK, location.StatusCode);

            // Streamed through B, dropped after a few events, resumed with Last-Event-ID once more were sent meanwhile.
            var seen = new List<SseEvent>();
            await using (var first = await SseReader.OpenAsync(httpB, runId, lastEventId: null))
            {
                while (seen.Count(e => e.Name == "progress") < 3) seen.Add(await first.NextAsync());
            }
            var lastBeforeDrop = seen[^1];
            var elapsedAtDrop = JsonNode.Parse(lastBeforeDrop.Data)!["elapsedSeconds"]!.GetValue<double>();
            await Eventually.TrueAsync(() => State(httpB, runId)["progress"]?["elapsedSeconds"]?.GetValue<double>() >= elapsedAtDrop + 2,
                "two more seconds of progress while no stream was open", TimeSpan.FromSeconds(60));
            var resumedAt = seen.Count;
            await using (var resumed = await SseReader.OpenAsync(httpB, runId, lastEventId: lastBeforeDrop.Id))
            {
                var progressAfterResume = 0;
                var stopped = false;
                while (seen[^1].Name != "completed")
                {
                    var e = await resumed.NextAsync();
                    seen.Add(e);
                    if (e.Name == "progress" && ++progressAfterResume == 3 && !stopped)
                    {
                        // Stopped through B too: A, which runs it, learns it from the cluster.
                        using var stop = await httpB.PostAsync($"/api/runs/{runId}/stop", null);
                        Assert.Equal(HttpStatusCode.Accepted, stop.StatusCode);
                        stopped = true;
                    }
                }
                Assert.True(stopped, "the run completed before it was stopped");
            }
            var ids = seen.Select(e => e.Id).ToList();
            output.WriteLine($"event ids: {string.Join(",", ids)} (resumed at index {resumedAt})");
            // Nothing lost, nothing repeated: every id once, consecutive across the drop (a run without attackers has no "cases").
            Assert.Equal(lastBeforeDrop.Id + 1, seen[resumedAt].Id);
            Assert.True(ids.Zip(ids.Skip(1)).All(p => p.Second == p.First + 1), string.Join(",", ids));
            Assert.True(seen.Count - resumedAt >= 5, $"{seen.Count - resumedAt} events after the resume");
            var completed = JsonNode.Parse(seen[^1].Data)!.AsObject();
            Assert.Equal(105, completed["exitCode"]!.GetValue<int>());
            Assert.Equal("partial", completed["verdict"]!.GetValue<string>());

            // A stopped run always has its report, on either silo, in all three forms.
            using var json = await httpB.GetAsync($"/api/runs/{runId}/report");
            Assert.Equal(HttpStatusCode.OK, json.StatusCode);
            Assert.Equal("application/json", json.Content.Headers.ContentType?.MediaType);
            var report = JsonNode.Parse(await json.Content.ReadAsStringAsync())!.AsObject();
            Contract.AssertReportShape(report);
            Assert.Equal(runId, report["runId"]!.GetValue<string>());
            Assert.True(report["partial"]!.GetValue<bool>());
            Assert.Equal(4, report["clients"]!["planned"]!.GetValue<int>());
            Assert.True(report["durationSeconds"]!.GetValue<double>() < 50);
            Assert.Equal(report.ToJsonString(), JsonNode.Parse(await httpA.GetStringAsync($"/api/runs/{runId}/report.json"))!.ToJsonString());

            using var html = await httpB.GetAsync($"/api/runs/{runId}/report.html");
            Assert.Equal(HttpStatusCode.OK, html.StatusCode);
            Assert.Equal("text/html", html.Content.Headers.ContentType?.MediaType);
            var page = await html.Content.ReadAsStringAsync();
            Assert.StartsWith("<!DOCTYPE html>", page);
            Assert.Contains(runId, page);

            using var junit = await httpB.GetAsync($"/api/runs/{runId}/report.junit.xml");
            Assert.Equal(HttpStatusCode.OK, junit.StatusCode);
            Assert.Equal("application/xml", junit.Content.Headers.ContentType?.MediaType);
            var suites = XDocument.Parse(await junit.Content.ReadAsStringAsync());
            Assert.NotEmpty(suites.Descendants("testcase"));

            // The files are the ones the run wrote into A's data directory.
            var state = State(httpB, runId);
            var reportFolder = Path.Combine(state["reportFolder"]!.GetValue<string>(), "report");
            Assert.StartsWith(Path.Combine(folder, "data-0"), reportFolder);
            Assert.Equal(page, File.ReadAllText(Path.Combine(reportFolder, "report.html")));

            // A run this cluster does not know is a 404 on every silo, for every route.
            foreach (var path in new[] { "", "/events", "/report", "/report.html", "/report.junit.xml" })
                Assert.Equal(HttpStatusCode.NotFound, (await httpB.GetAsync($"/api/runs/no-such-run{path}")).StatusCode);
        }
        finally
        {
            foreach (var silo in cluster.Silos) output.WriteLine($"--- {silo.Process.Name}\n{silo.Process.Output}");
            Directory.Delete(folder, recursive: true);
        }
    }

    private static JsonObject State(HttpClient http, string runId) => http.GetFromJsonAsync<JsonObject>($"/api/runs/{runId}").GetAwaiter().GetResult()!;
}

internal sealed record SseEvent(long Id, string Name, string Data);

/// <summary>One open GET /api/runs/{id}/events, read event by event.</summary>
internal sealed class SseReader : IAsyncDisposable
{
    private readonly HttpResponseMessage _response;
    private readonly StreamReader _reader;

    private SseReader(HttpResponseMessage response, StreamReader reader)
    {
        _response = response;
        _reader = reader;
    }

    public static async Task<SseReader> OpenAsync(HttpClient http, string runId, long? lastEventId)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/api/runs/{runId}/events");
        if (lastEventId is { } id) request.Headers.Add("Last-Event-ID", id.ToString(System.Globalization.CultureInfo.InvariantCulture));
        var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        return new SseReader(response, new StreamReader(await response.Content.ReadAsStreamAsync()));
    }

    /// <summary>The next event (comments skipped); fails when the stream ends first. Every event must carry an id.</summary>
    public async Task<SseEvent> NextAsync()
    {
        long? id = null;
        string? name = null, data = null;
        while (await _reader.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(60)) is { } line)
        {
            if (line.Length == 0 && data is not null)
            {
                Assert.True(id is not null, $"event {name} without an id");
                return new SseEvent(id.Value, name!, data);
            }
            if (line.StartsWith("id: ", StringComparison.Ordinal)) id = long.Parse(line[4..], System.Globalization.CultureInfo.InvariantCulture);
            else if (line.StartsWith("event: ", StringComparison.Ordinal)) name = line[7..];
            else if (line.StartsWith("data: ", StringComparison.Ordinal)) data = line[6..];
        }
        throw new Xunit.Sdk.XunitException("the event stream ended before the next event");
    }

    public ValueTask DisposeAsync()
    {
        _reader.Dispose();
        _response.Dispose();
        return ValueTask.CompletedTask;
    }
}
