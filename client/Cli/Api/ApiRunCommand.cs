using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using SimCluster.Abstractions.Runs;
using SimCluster.Cli.Commands;
using SimCluster.Cli.Output;
using SimCluster.Cli.Reports;
using SimCluster.Cli.Runs;
using SimCluster.Scenarios;
using SimCluster.Silo;
using SimCluster.Transport;
using Spectre.Console;

namespace SimCluster.Cli.Api;

/// <summary>
/// `simcluster run SCENARIO --api URL`: the run executes on a silo cluster reached over its HTTP control
/// API (from outside the cluster, where the Orleans gateway is not reachable). The scenario is checked
/// here first, then posted; progress comes back as server-sent events; the report is fetched and written
/// locally exactly as `simcluster run` writes it, and the exit code is the run's.
/// </summary>
public static class ApiRunCommand
{
    public static async Task<int> ExecuteAsync(RunArguments args, Uri api, ApiToken? token, IAnsiConsole console, TextWriter stderr, CancellationToken ct)
    {
        var overrides = RunCommand.Overrides(args);
        var loaded = ScenarioLoader.LoadFile(args.ScenarioPath, RunCommand.LabelledOverrides(args), ScenarioVocabulary.Default);
        if (!loaded.Ok)
        {
            ValidateCommand.PrintProblems(loaded, stderr);
            return ExitCodes.InvalidInput;
        }
        ValidateCommand.PrintWarnings(loaded.Warnings, stderr); // the run goes on: a warning is not an error
        var scenario = loaded.Scenario!;
        using var output = OutputFolder.Claim(args.Out, scenario.Name, DateTime.Now, out var refusal);
        if (output is null)
        {
            stderr.WriteLine($"error: {refusal!.Message}");
            return refusal.InUse ? ExitCodes.CouldNotRun : ExitCodes.InvalidInput;
        }
        // The API's own host was named by the user (--api); a redirect is never followed, to it or elsewhere.
        using var http = new HttpClient(Egress.HttpHandler(EgressRule.Allowing([api.DnsSafeHost, .. args.AllowTargets]), TimeSpan.FromSeconds(10)))
        {
            BaseAddress = api,
            Timeout = Timeout.InfiniteTimeSpan,
            MaxResponseContentBufferSize = 256L * 1024 * 1024, // a report.json with every timeline is tens of MB at most
        };
        if (token is not null) http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token.Reveal());

        JsonObject started;
        try
        {
            using var post = await http.PostAsJsonAsync($"{ControlApi.Prefix}/runs", new JsonObject
            {
                ["scenario"] = await File.ReadAllTextAsync(args.ScenarioPath, ct),
                ["set"] = new JsonArray([.. overrides.Select(o => (JsonNode)o)]),
                ["allowTargets"] = new JsonArray([.. args.AllowTargets.Select(a => (JsonNode)a)]),
            }, ct).WaitAsync(TimeSpan.FromSeconds(30), ct);
            var body = await ReadJsonAsync(post, ct);
            // 201 with a Location; a silo of an earlier build answers 202.
            if (post.StatusCode is not (HttpStatusCode.Created or HttpStatusCode.Accepted))
                return Refused(post.StatusCode, body, args.ScenarioPath, api, stderr);
            started = body!;
        }
        catch (Exception e) when (Egress.Refusal(e) is { } refused)
        {
            stderr.WriteLine($"error: the control API at {api} was not contacted: {refused.Message}");
            return ExitCodes.CouldNotRun;
        }
        catch (Exception e) when (e is HttpRequestException or TimeoutException or TaskCanceledException)
        {
            stderr.WriteLine($"error: cannot reach the control API at {api}: {e.GetBaseException().Message}; is `simcluster silo` running with --http-port there?");
            return ExitCodes.CouldNotRun;
        }

        if (started["runId"] is not JsonValue runIdValue || !runIdValue.TryGetValue<string>(out var runId))
        {
            stderr.WriteLine($"error: {api} answered 202 without a run id; is it a SimCluster silo?");
            return ExitCodes.CouldNotRun;
        }
        console.MarkupLine($"[bold]{Markup.Escape(scenario.Name)}[/]: run {Markup.Escape(runId)} started on {Markup.Escape(api.ToString())}");
        console.WriteLine($"live: {LivePages.PageUrl(api.ToString(), runId)}");
        var view = args.NoLive || Console.IsOutputRedirected || !console.Profile.Capabilities.Interactive
            ? (IProgressView)new PlainProgressView(Console.Out, scenario.Duration.TotalSeconds)
            : new LiveProgressView(console, scenario.Name, scenario.Duration.TotalSeconds, scenario.RampUp.TotalSeconds, ScenarioFeatures.Of(scenario), scenario.Clients);
        JsonObject? completed = null;
        await view.RunAsync(async show => completed = await FollowAsync(http, runId, show, stderr, ct));
        if (completed is null)
        {
            stderr.WriteLine($"error: lost the event stream of run {runId}; GET {api}{ControlApi.Prefix.TrimStart('/')}/runs/{runId} tells how it ended");
            return ExitCodes.CouldNotRun;
        }

        var exitCode = completed["exitCode"] is JsonValue code && code.TryGetValue<int>(out var c) ? c : ExitCodes.CouldNotRun;
        if (completed["errors"] is JsonValue errorsValue && errorsValue.TryGetValue<string>(out var errors)) stderr.WriteLine(errors);
        using var reportResponse = await http.GetAsync($"{ControlApi.Prefix}/runs/{runId}/report", CancellationToken.None);
        if (reportResponse.StatusCode != HttpStatusCode.OK) return exitCode;
        var report = (await ReadJsonAsync(reportResponse, CancellationToken.None))!;
        var outDir = output.Path;
        await Report.WriteJsonAsync(outDir, report);
        await ReportFiles.WriteAsync(outDir, report, Console.Out, stderr);
        PrintVerdict(console, report, outDir);
        return exitCode;
    }

    /// <summary>How many times a dropped event stream is resumed (Last-Event-ID) before the run counts as lost to this CLI.</summary>
    private const int Resumes = 5;

    /// <summary>
    /// Reads the run's event stream until "completed"; a dropped stream is resumed after the last event read, on
    /// whichever silo the API address reaches now. Ctrl-C asks the silo to stop the run and keeps reading.
    /// </summary>
    private static async Task<JsonObject?> FollowAsync(HttpClient http, string runId, Action<RunProgress> show, TextWriter stderr, CancellationToken ct)
    {
        using var stopOnCancel = ct.Register(() => _ = http.PostAsync($"{ControlApi.Prefix}/runs/{runId}/stop", null));
        string? lastId = null;
        for (var attempt = 0; attempt <= Resumes; attempt++)
        {
            if (attempt > 0) await Task.Delay(TimeSpan.FromSeconds(1), CancellationToken.None);
            try
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, $"{ControlApi.Prefix}/runs/{runId}/events");
                if (lastId is not null) request.Headers.Add(RunEventStream.LastEventIdHeader, lastId);
                using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, CancellationToken.None);
                if (!response.IsSuccessStatusCode) continue;
                using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(CancellationToken.None));
                string? eventName = null;
                while (await ReadLineAsync(reader) is { } line)
                {
                    if (line.StartsWith("id: ", StringComparison.Ordinal)) lastId = line["id: ".Length..];
                    else if (line.StartsWith("event: ", StringComparison.Ordinal)) eventName = line["event: ".Length..];
                    else if (line.StartsWith("data: ", StringComparison.Ordinal))
                    {
                        var data = line["data: ".Length..];
                        try
                        {
                            if (eventName == "progress" && JsonSerializer.Deserialize<RunProgress>(data, ControlApi.ProgressJsonOptions) is { } progress) show(progress);
                            else if (eventName == "completed") return JsonNode.Parse(data) as JsonObject;
                        }
                        catch (JsonException) { } // a garbled event is skipped; "completed" decides
                    }
                }
            }
            catch (Exception e) when (e is HttpRequestException or IOException) { } // dropped: resumed after the last event read
        }
        return null;
    }

    /// <summary>Longest event line accepted: a progress event is a few KB; an endless line is a broken (or hostile) stream.</summary>
    private const int MaxEventLine = 16 * 1024 * 1024;

    /// <summary>One line of the event stream, or null at its end or when a line exceeds <see cref="MaxEventLine"/>.</summary>
    private static async Task<string?> ReadLineAsync(StreamReader reader)
    {
        var line = new System.Text.StringBuilder();
        var one = new char[1];
        while (await reader.ReadAsync(one.AsMemory(), CancellationToken.None) == 1)
        {
            if (one[0] == '\n') return line.ToString().TrimEnd('\r');
            if (line.Length == MaxEventLine) return null;
            line.Append(one[0]);
        }
        return line.Length > 0 ? line.ToString() : null;
    }

    private static int Refused(HttpStatusCode status, JsonObject? body, string scenarioPath, Uri api, TextWriter stderr)
    {
        var errors = body?["errors"] as JsonArray ?? [];
        switch (status)
        {
            case HttpStatusCode.Unauthorized:
                stderr.WriteLine($"error: {api} refused the token (401): set {ApiToken.Variable} or --api-token-file to the silo's token");
                return ExitCodes.CouldNotRun;
            case HttpStatusCode.BadRequest:
                // The silo validated the same file: point its errors at the local path.
                foreach (var e in errors)
                    stderr.WriteLine(e?["line"] is null ? $"{scenarioPath}: {e?["message"]}" : $"{scenarioPath}:{e["line"]}:{e["column"]}: {e["key"]}: {e["message"]}");
                return ExitCodes.InvalidInput;
            default:
                stderr.WriteLine($"error: {api} refused the run ({(int)status}): {string.Join("; ", errors.Select(e => e?["message"]?.ToString()))}");
                return ExitCodes.CouldNotRun;
        }
    }

    private static async Task<JsonObject?> ReadJsonAsync(HttpResponseMessage response, CancellationToken ct)
    {
        try { return JsonNode.Parse(await response.Content.ReadAsStringAsync(ct)) as JsonObject; }
        catch (JsonException) { return null; }
    }

    private static void PrintVerdict(IAnsiConsole console, JsonObject report, string outDir)
    {
        foreach (var t in report["thresholds"]?.AsArray() ?? [])
        {
            var passed = t?["passed"]?.GetValue<bool>() == true;
            console.MarkupLine($"{(passed ? "[green]✓[/]" : "[red]✗[/]")} {Markup.Escape($"{t?["metric"]} {t?["expression"]} (actual {t?["actual"]})")}");
        }
        console.MarkupLine($"verdict: {Markup.Escape(report["verdict"]?.ToString() ?? "?")}   report: {Markup.Escape(Path.Combine(outDir, "report.json"))}");
    }
}
