using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using SimCluster.Tests.Support;

namespace SimCluster.Tests.Silo;

/// <summary>
/// A real `simcluster silo` process and its HTTP control API: runs started over HTTP, followed as
/// server-sent events, stopped, their reports fetched; `simcluster run --api`; the token.
/// </summary>
[Collection(ProbesCollection.Name)]
public sealed class ControlApiTests(ControlApiTests.TokenSilo silo, Xunit.Abstractions.ITestOutputHelper output) : IClassFixture<ControlApiTests.TokenSilo>
{
    private const string Token = "test-token-0123456789abcdef";
    private readonly string _temp = silo.Temp;
    private readonly int _httpPort = silo.HttpPort;
    private readonly HttpClient _http = silo.Http;

    /// <summary>One silo with a token for the whole class: starting a silo takes seconds.</summary>
    public sealed class TokenSilo : IAsyncLifetime
    {
        private BackgroundProcess _process = null!;
        public string Temp { get; } = Simcluster.TempFolder("api");
        public int HttpPort { get; private set; }
        public HttpClient Http { get; private set; } = null!;

        public async Task InitializeAsync()
        {
            await Simcluster.EnsureBuiltAsync();
            (_process, HttpPort) = await StartSiloAsync(["--data-dir", Path.Combine(Temp, "data")], Token);
            Http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{HttpPort}"), Timeout = TimeSpan.FromSeconds(60) };
            Http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Token);
        }

        public async Task DisposeAsync()
        {
            Http.Dispose();
            await _process.DisposeAsync();
            try { Directory.Delete(Temp, recursive: true); } catch (IOException) { }
        }
    }

    internal static async Task<(BackgroundProcess Silo, int HttpPort)> StartSiloAsync(string[] extra, string? token)
    {
        var (siloPort, gatewayPort, httpPort) = (BackgroundProcess.FreeLoopbackPort(), BackgroundProcess.FreeLoopbackPort(), BackgroundProcess.FreeLoopbackPort());
        var info = ChildProcess.StartInfo(Path.Combine(Simcluster.RepoRoot, "simcluster"),
            ["silo", "--cluster", "localhost", "--silo-port", $"{siloPort}", "--primary-silo-port", $"{siloPort}", "--gateway-port", $"{gatewayPort}", "--http-port", $"{httpPort}", .. extra],
            Simcluster.RepoRoot);
        if (token is not null) info.Environment["SIMCLUSTER_API_TOKEN"] = token;
        var silo = BackgroundProcess.Start("silo", info);
        await silo.WaitForLineAsync(l => l.StartsWith("silo ready", StringComparison.Ordinal), "the silo starting", TimeSpan.FromSeconds(90));
        return (silo, httpPort);
    }

    private static string Smoke(string duration) =>
        File.ReadAllText(Path.Combine(Simcluster.RepoRoot, "scenarios", "smoke.yaml")).Replace("duration: 8s", $"duration: {duration}", StringComparison.Ordinal);

    [Fact]
    public async Task A_run_started_over_http_streams_progress_and_serves_its_report()
    {
        Assert.Contains("duration: 8s", File.ReadAllText(Path.Combine(Simcluster.RepoRoot, "scenarios", "smoke.yaml")));
        using var post = await _http.PostAsJsonAsync("/api/runs", new { scenario = Smoke("5s"), set = new[] { "clients=10" } });
        Assert.Equal(HttpStatusCode.Created, post.StatusCode);
        var started = (await post.Content.ReadFromJsonAsync<JsonObject>())!;
        var runId = started["runId"]!.GetValue<string>();
        Assert.Equal($"/api/runs/{runId}", post.Headers.Location?.ToString());
        Assert.Empty(started["warnings"]!.AsArray());

        // Server-sent events: progress every second, then one "completed" with the exit code.
        using var events = await _http.GetAsync($"/api/runs/{runId}/events", HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal("text/event-stream", events.Content.Headers.ContentType!.MediaType);
        var progress = new List<JsonObject>();
        JsonObject? completed = null;
        using (var reader = new StreamReader(await events.Content.ReadAsStreamAsync()))
        {
            string? name = null;
            while (await reader.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(60)) is { } line)
            {
                if (line.StartsWith("event: ", StringComparison.Ordinal)) name = line[7..];
                else if (line.StartsWith("data: ", StringComparison.Ordinal) && name == "progress") progress.Add(JsonNode.Parse(line[6..])!.AsObject());
                else if (line.StartsWith("data: ", StringComparison.Ordinal) && name == "completed") { completed = JsonNode.Parse(line[6..])!.AsObject(); break; }
            }
        }
        Assert.NotNull(completed);
        Assert.Equal(0, completed["exitCode"]!.GetValue<int>());
        Assert.Equal("pass", completed["verdict"]!.GetValue<string>());
        Assert.True(progress.Count >= 3, $"{progress.Count} progress events");
        Assert.Contains(progress, p => p["phase"]!.GetValue<string>() == "running" && p["open"]!.GetValue<int>() > 0);

        using var reportResponse = await _http.GetAsync($"/api/runs/{runId}/report");
        Assert.Equal(HttpStatusCode.OK, reportResponse.StatusCode);
        var report = (await reportResponse.Content.ReadFromJsonAsync<JsonObject>())!;
        Contract.AssertReportShape(report);
        Assert.Equal(runId, report["runId"]!.GetValue<string>());
        Assert.Equal(10, report["clients"]!["planned"]!.GetValue<int>());
        Assert.True(Contract.Count(report, "connects") >= 10);

        // The run is over: its series have left the silo's Prometheus endpoint (tests/Reports/LivePageTests scrapes them mid-run).
        await Eventually.TrueAsync(() => !_http.GetStringAsync("/metrics").GetAwaiter().GetResult().Contains($"run=\"{runId}\"", StringComparison.Ordinal),
            $"no series of run {runId} on /metrics", TimeSpan.FromSeconds(30));
    }

    [Fact]
    public async Task Malformed_case_verdicts_stream_as_they_arrive_and_end_as_the_report_grades_them()
    {
        // Four attackers start last in the ramp-up: every case is pending at first, then graded while the run goes.
        const string scenario = """
            name: api-cases
            target: embedded
            clients: 8
            duration: 10s
            rampUp: 6s
            seed: 3
            messages: { interval: 1s, size: 64, lossTimeout: 5s }
            population:
              - { name: steady, share: 50% }
              - name: attackers
                share: 50%
                behavior: malformed
                malformed: { cases: [F01, F11, F13, A01], canaryShare: 0% }
            """;
        using var post = await _http.PostAsJsonAsync("/api/runs", new { scenario });
        Assert.Equal(HttpStatusCode.Created, post.StatusCode);
        var runId = (await post.Content.ReadFromJsonAsync<JsonObject>())!["runId"]!.GetValue<string>();

        using var events = await _http.GetAsync($"/api/runs/{runId}/events", HttpCompletionOption.ResponseHeadersRead);
        var cases = new List<(string Phase, JsonObject Cases)>();
        var phase = "";
        JsonObject? completed = null;
        using (var reader = new StreamReader(await events.Content.ReadAsStreamAsync()))
        {
            string? name = null;
            while (await reader.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(60)) is { } line)
            {
                if (line.StartsWith("event: ", StringComparison.Ordinal)) name = line[7..];
                else if (!line.StartsWith("data: ", StringComparison.Ordinal)) continue;
                else if (name == "progress") phase = JsonNode.Parse(line[6..])!["phase"]!.GetValue<string>();
                else if (name == "cases") cases.Add((phase, JsonNode.Parse(line[6..])!.AsObject()));
                else if (name == "completed") { completed = JsonNode.Parse(line[6..])!.AsObject(); break; }
            }
        }
        Assert.NotNull(completed);
        Assert.Equal(0, completed["exitCode"]!.GetValue<int>());

        // Sent only when something changed, and more than once: verdicts arrive while the run goes.
        Assert.True(cases.Count >= 3, $"{cases.Count} cases events");
        Assert.Equal(cases.Count, cases.Select(c => c.Cases.ToJsonString()).Distinct().Count());
        Assert.All(cases, c => Assert.Equal(4, c.Cases["passed"]!.GetValue<int>() + c.Cases["failed"]!.GetValue<int>() + c.Cases["pending"]!.GetValue<int>()));
        var first = cases[0].Cases;
        Assert.Equal(4, first["pending"]!.GetValue<int>());
        Assert.Contains(cases, c => c.Phase == "running" && c.Cases["cases"]!.AsArray().Any(x => x!["passed"]!.GetValue<long>() > 0));
        // Graded runs only grow.
        var runs = cases.Select(c => c.Cases["cases"]!.AsArray().Sum(x => x!["passed"]!.GetValue<long>() + x["failed"]!.GetValue<long>())).ToList();
        Assert.True(runs.Zip(runs.Skip(1)).All(p => p.First <= p.Second), string.Join(",", runs));

        // The last event agrees with the report, case by case (the reference target grades OK everywhere).
        var last = cases[^1].Cases;
        Assert.Equal(0, last["pending"]!.GetValue<int>());
        var report = (await _http.GetFromJsonAsync<JsonObject>($"/api/runs/{runId}/report"))!;
        var graded = report["cases"]!.AsArray().ToDictionary(c => c!["id"]!.GetValue<string>());
        Assert.Equal(["A01", "F01", "F11", "F13"], graded.Keys.Order());
        foreach (var c in last["cases"]!.AsArray())
        {
            var entry = graded[c!["id"]!.GetValue<string>()]!;
            Assert.Equal(entry["runs"]!.GetValue<long>(), c["passed"]!.GetValue<long>() + c["failed"]!.GetValue<long>());
            Assert.Equal(entry["verdict"]!.GetValue<string>(), c["worst"]!.GetValue<string>());
            Assert.Equal(entry["verdict"]!.GetValue<string>() is "OK" or "NON-STRICT" ? "pass" : "fail", c["status"]!.GetValue<string>());
        }
        Assert.Equal(graded.Values.Count(c => c!["verdict"]!.GetValue<string>() is "OK" or "NON-STRICT"), last["passed"]!.GetValue<int>());
        output.WriteLine($"cases events: {cases.Count}; graded runs per event: {string.Join(",", runs)}; last: {last.ToJsonString()}");
    }

    [Fact]
    public async Task A_stop_request_ends_the_run_early_with_a_partial_report()
    {
        using var post = await _http.PostAsJsonAsync("/api/runs", new { scenario = Smoke("120s") });
        var runId = (await post.Content.ReadFromJsonAsync<JsonObject>())!["runId"]!.GetValue<string>();
        await Eventually.TrueAsync(() => State(runId)["progress"]?["phase"]?.GetValue<string>() == "running", "the run running", TimeSpan.FromSeconds(60));

        // While it runs, the cluster view gives the silo's slice of the source addresses (one silo: all of 127.1.0.0/16).
        var cluster = (await _http.GetFromJsonAsync<JsonObject>("/api/cluster"))!;
        var source = Assert.Single(cluster["silos"]!.AsArray().SelectMany(s => s!["runs"]!.AsArray()), r => r!["runId"]!.GetValue<string>() == runId)!;
        Assert.Equal("127.1.0.1-127.1.255.254", source["sourceRange"]!.GetValue<string>());
        Assert.Equal(65_534, source["sourceAddresses"]!.GetValue<long>());
        Assert.Equal(State(runId)["progress"]!["planned"]!.GetValue<int>(), source["clients"]!.GetValue<int>());

        using var stop = await _http.PostAsync($"/api/runs/{runId}/stop", null);
        Assert.Equal(HttpStatusCode.Accepted, stop.StatusCode);
        await Eventually.TrueAsync(() => State(runId)["exitCode"] is not null, "the run ending", TimeSpan.FromSeconds(60));
        var state = State(runId);
        Assert.Equal(105, state["exitCode"]!.GetValue<int>());
        Assert.Equal("partial", state["verdict"]!.GetValue<string>());
        var report = (await _http.GetFromJsonAsync<JsonObject>($"/api/runs/{runId}/report"))!;
        Assert.True(report["partial"]!.GetValue<bool>());
        Assert.True(report["durationSeconds"]!.GetValue<double>() < 60);
    }

    [Fact]
    public async Task A_stop_right_after_the_start_still_ends_with_a_partial_report()
    {
        // Asked for before the run's target is up: it is held until the run's driver reports, which then ends the run
        // with its report; cancelling the start itself would end it with "A task was canceled." and none.
        using var post = await _http.PostAsJsonAsync("/api/runs", new { scenario = Smoke("60s"), set = new[] { "clients=2" } });
        var runId = (await post.Content.ReadFromJsonAsync<JsonObject>())!["runId"]!.GetValue<string>();
        using var stop = await _http.PostAsync($"/api/runs/{runId}/stop", null);
        Assert.Equal(HttpStatusCode.Accepted, stop.StatusCode);
        Assert.True((await stop.Content.ReadFromJsonAsync<JsonObject>())!["stopRequested"]!.GetValue<bool>());
        await Eventually.TrueAsync(() => State(runId)["exitCode"] is not null, "the run ending", TimeSpan.FromSeconds(60));
        var state = State(runId);
        Assert.True(state["verdict"]!.GetValue<string>() == "partial", state.ToJsonString());
        Assert.Equal(105, state["exitCode"]!.GetValue<int>());
        using var report = await _http.GetAsync($"/api/runs/{runId}/report");
        Assert.Equal(HttpStatusCode.OK, report.StatusCode);
        Assert.True((await report.Content.ReadFromJsonAsync<JsonObject>())!["partial"]!.GetValue<bool>());
    }

    private JsonObject State(string runId) => _http.GetFromJsonAsync<JsonObject>($"/api/runs/{runId}").GetAwaiter().GetResult()!;

    [Fact]
    public async Task An_invalid_scenario_is_a_400_naming_line_column_and_key_and_nothing_starts()
    {
        using var post = await _http.PostAsJsonAsync("/api/runs", new { scenario = "name: t\ntarget: embedded\nclients: -5\nduration: 5s\n" });
        Assert.Equal(HttpStatusCode.BadRequest, post.StatusCode);
        var error = Assert.Single((await post.Content.ReadFromJsonAsync<JsonObject>())!["errors"]!.AsArray())!;
        Assert.Equal(3, error["line"]!.GetValue<int>());
        Assert.Equal(10, error["column"]!.GetValue<int>());
        Assert.Equal("clients", error["key"]!.GetValue<string>());
        Assert.DoesNotContain((await _http.GetFromJsonAsync<JsonArray>("/api/runs"))!, r => r!["runId"]!.GetValue<string>().StartsWith("t-", StringComparison.Ordinal));

        using var offLoopback = await _http.PostAsJsonAsync("/api/runs", new { scenario = "name: t\ntarget: ws://192.0.2.1/ws\nclients: 1\nduration: 5s\n" });
        Assert.Equal(HttpStatusCode.Forbidden, offLoopback.StatusCode);
    }

    [Fact]
    public async Task Without_the_token_everything_but_health_is_refused()
    {
        using var anonymous = new HttpClient { BaseAddress = _http.BaseAddress };
        foreach (var path in new[] { "/api/runs", "/dashboard" })
            Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync(path)).StatusCode);
        anonymous.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Token + "x");
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync("/api/runs")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync("/health/ready")).StatusCode);
        // A browser opens the dashboard once with ?access_token= and gets a cookie for the rest.
        using var browser = new HttpClient(new HttpClientHandler { UseCookies = true }) { BaseAddress = _http.BaseAddress };
        Assert.Equal(HttpStatusCode.OK, (await browser.GetAsync($"/dashboard?access_token={Token}")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await browser.GetAsync("/api/runs")).StatusCode);
    }

    [Fact]
    public async Task Run_with_api_gives_the_embedded_report_shape_and_exit_code()
    {
        var outDir = Path.Combine(_temp, "cli-report");
        var info = ChildProcess.StartInfo(Path.Combine(Simcluster.RepoRoot, "simcluster"),
            ["run", "scenarios/smoke.yaml", "--api", $"http://127.0.0.1:{_httpPort}", "--no-live", "--duration", "4s", "--out", outDir], Simcluster.RepoRoot);
        info.Environment["SIMCLUSTER_API_TOKEN"] = Token;
        var result = await ChildProcess.RunAsync(info, TimeSpan.FromMinutes(2));
        var report = JsonNode.Parse(File.ReadAllText(Path.Combine(outDir, "report.json")))!.AsObject();
        Contract.AssertReportShape(report);
        // The exit code is the report's verdict (smoke grades latency, which a loaded machine may fail: that is 99, not a crash).
        Assert.True((string?)report["verdict"] != "partial", result.ToString());
        Assert.True(result.ExitCode == ((string?)report["verdict"] == "pass" ? 0 : 99), result.ToString());
        Assert.Equal(5, report["thresholds"]!.AsArray().Count);
        Assert.True(File.Exists(Path.Combine(outDir, "report.html")));

        info.Environment["SIMCLUSTER_API_TOKEN"] = "not-the-token-at-all";
        var refused = await ChildProcess.RunAsync(info, TimeSpan.FromMinutes(1));
        Assert.True(refused.ExitCode == 105, refused.ToString());
        Assert.Contains("refused the token (401)", refused.Stderr);
    }

    [Fact]
    public async Task A_silo_bound_off_loopback_without_a_token_refuses_to_start()
    {
        var result = await Simcluster.RunAsync("silo", "--cluster", "localhost", "--http-host", "0.0.0.0", "--http-port", $"{BackgroundProcess.FreeLoopbackPort()}");
        Assert.True(result.ExitCode == 105, result.ToString()); // "could not be carried out": the arguments are valid
        Assert.Contains("--http-host: 0.0.0.0 is not loopback", result.Stderr);
        Assert.Contains("SIMCLUSTER_API_TOKEN", result.Stderr);
    }
}
