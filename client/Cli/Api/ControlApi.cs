using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using SimCluster.Abstractions.Runs;
using SimCluster.Cli.Commands;
using SimCluster.Cli.Reports;
using SimCluster.Scenarios;

namespace SimCluster.Cli.Api;

/// <summary>
/// The silo's HTTP control API (mounted by `simcluster silo`): start a run from a scenario, follow its
/// progress (JSON or server-sent events), stop it, fetch its report. A run executes inside the silo that
/// accepted it, through the same pipeline as `simcluster run` (<see cref="RunCommand"/>), and is registered in
/// the cluster (<see cref="IApiRunsGrain"/>, <see cref="IApiRunGrain"/>): every silo answers for every run, so a
/// load balancer may send each request anywhere.
/// Routes:
///   POST /api/runs                      body {"scenario": "YAML text", "set": ["k=v"], "allowTargets": ["host"]} → 201 {runId, warnings, ...}
///                                       with Location: /api/runs/{id}; 400 {errors} when invalid
///   GET  /api/cluster                   the silos membership knows, with their status (active, dead, ...) and, per silo,
///                                       the source-address slice and clients of each unfinished API run
///   GET  /api/runs                      the runs started through the API on this cluster, oldest first
///   GET  /api/runs/{id}                 state, latest progress, and once done: verdict and exit code
///   GET  /api/runs/{id}/events          text/event-stream, each event with an id (resume with Last-Event-ID): "progress"
///                                       every second, "cases" whenever the malformed-case verdicts changed, then one "completed"
///   POST /api/runs/{id}/stop            ends the run early (its report is marked partial)
///   GET  /api/runs/{id}/report          report.json once the run is done (409 before); also report.json, report.html, report.junit.xml
/// Access control (a bearer token unless bound to loopback) is the silo's (SiloHost), for every route alike.
/// </summary>
public static class ControlApi
{
    public const string Prefix = "/api";
    /// <summary>Largest scenario accepted: scenario files are small; this keeps a stray upload from filling memory.</summary>
    public const int MaxScenarioBytes = 256 * 1024;
    /// <summary>Deepest JSON body accepted (the body is an object of strings and lists: three levels).</summary>
    public const int MaxJsonDepth = 16;

    /// <summary>The report files a finished run serves, by the name they have in its report folder.</summary>
    public static readonly IReadOnlyList<(string File, ApiReportFormat Format, string ContentType)> ReportFormats =
    [
        (ReportFiles.JsonName, ApiReportFormat.Json, "application/json; charset=utf-8"),
        (ReportFiles.HtmlName, ApiReportFormat.Html, "text/html; charset=utf-8"),
        (ReportFiles.JunitName, ApiReportFormat.Junit, "application/xml; charset=utf-8"),
    ];

    public static void Map(IEndpointRouteBuilder app, string dataDirectory)
    {
        var grains = app.ServiceProvider.GetRequiredService<IGrainFactory>();
        var registry = grains.GetGrain<IApiRunsGrain>(0);
        var time = app.ServiceProvider.GetRequiredService<TimeProvider>();
        var starter = new ApiRunStarter(dataDirectory, grains, registry, time,
            () => app.ServiceProvider.GetRequiredService<ILocalSiloDetails>().SiloAddress.ToParsableString());
        IApiRunGrain Run(string id) => grains.GetGrain<IApiRunGrain>(id);
        var api = app.MapGroup(Prefix);
        api.MapPost("/runs", async (HttpRequest request) =>
        {
            // Whatever a request holds, the answer says what was wrong: nothing it sends may take the silo down.
            try { return await starter.StartAsync(request); }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                return Results.Json(new JsonObject { ["errors"] = new JsonArray(new JsonObject { ["message"] = $"the run could not be started: {Excerpt.Message(e.Message)}" }) }, statusCode: 500);
            }
        });
        // This silo's own membership view, not the management grain: that grain lives on one silo, and a call to a
        // frozen one would hang this answer for the response timeout, exactly when a user wants to see the cluster.
        // The runs come from the registry, which may live on such a silo too: they are bounded, the silos are not.
        api.MapGet("/cluster", async (IClusterMembershipService membership) =>
        {
            var members = membership.CurrentSnapshot.Members.Values;
            List<ApiRunRecord>? unfinished = null;
            try { unfinished = [.. (await AllAsync(grains, registry).WaitAsync(ClusterRunsPatience, time)).Where(r => r.ExitCode is null)]; }
            catch (Exception e) when (e is TimeoutException or OrleansException) { }
            var view = new JsonObject
            {
                ["silos"] = new JsonArray([.. members.OrderBy(m => m.SiloAddress.ToParsableString()).Select(m => (JsonNode)new JsonObject
                {
                    ["address"] = m.SiloAddress.ToParsableString(),
                    ["name"] = m.Name,
                    ["status"] = m.Status.ToString().ToLowerInvariant(),
                    ["runs"] = unfinished is null ? null : SourcesOn(unfinished, m.SiloAddress.ToParsableString()),
                })]),
            };
            if (unfinished is null) view["runsError"] = $"the cluster's run registry did not answer within {ClusterRunsPatience.TotalSeconds:0} s (is a silo frozen?)";
            return Results.Json(view);
        });
        api.MapGet("/runs", async () => Results.Json(new JsonArray([.. (await AllAsync(grains, registry)).Select(r => (JsonNode)StateJson(r))])));
        api.MapGet("/runs/{id}", async (string id) => await Run(id).Get() is { } run ? Results.Json(StateJson(run)) : NotFound(id));
        api.MapGet("/runs/{id}/events", (string id, HttpContext context) => RunEventStream.ServeAsync(Run(id), id, context));
        api.MapPost("/runs/{id}/stop", async (string id) => await Run(id).RequestStop() is { } run
            ? Results.Accepted(RunPath(id), StateJson(run))
            : NotFound(id));
        api.MapGet("/runs/{id}/report", (string id, HttpContext context) => ReportAsync(Run(id), id, ReportFormats[0], context));
        foreach (var format in ReportFormats)
            api.MapGet($"/runs/{{id}}/{format.File}", (string id, HttpContext context) => ReportAsync(Run(id), id, format, context));
    }

    /// <summary>How long GET /api/cluster waits for the run registry before it answers with the silos alone.</summary>
    private static readonly TimeSpan ClusterRunsPatience = TimeSpan.FromSeconds(2);

    public static string RunPath(string runId) => $"{Prefix}/runs/{Uri.EscapeDataString(runId)}";

    internal static IResult NotFound(string id) => Results.Json(new JsonObject { ["error"] = $"no run '{id}' on this cluster; GET {Prefix}/runs lists them" }, statusCode: 404);

    private static async Task ReportAsync(IApiRunGrain grain, string id, (string File, ApiReportFormat Format, string ContentType) format, HttpContext context)
    {
        if (await grain.Get() is not { } run)
        {
            await NotFound(id).ExecuteAsync(context);
            return;
        }
        if (run.ExitCode is null)
        {
            await Results.Json(new JsonObject { ["error"] = $"run {id} has no report yet ({Phase(run)}); follow {RunPath(id)}/events" }, statusCode: 409).ExecuteAsync(context);
            return;
        }
        if (await grain.ReportFile(format.Format) is not { } text)
        {
            await Results.Json(new JsonObject { ["error"] = $"run {id} ended (exit {run.ExitCode}) without a {format.File}: {run.Errors ?? "no error was reported"}" }, statusCode: 404).ExecuteAsync(context);
            return;
        }
        context.Response.Headers.ContentDisposition = $"inline; filename=\"{id}.{format.File}\"";
        context.Response.Headers.XContentTypeOptions = "nosniff";
        // The report page's own scripts run, but in an opaque origin: nothing in it can call this API with the viewer's token cookie.
        if (format.Format == ApiReportFormat.Html) context.Response.Headers.ContentSecurityPolicy = "sandbox allow-scripts";
        await Results.Text(text, format.ContentType).ExecuteAsync(context);
    }

    /// <summary>Every registered run that still exists, oldest first.</summary>
    private static async Task<List<ApiRunRecord>> AllAsync(IGrainFactory grains, IApiRunsGrain registry)
    {
        var ids = await registry.List();
        var records = await Task.WhenAll(ids.Select(id => grains.GetGrain<IApiRunGrain>(id).Get()));
        return [.. records.OfType<ApiRunRecord>()];
    }

    /// <summary>For each unfinished run: the silo's slice of its source addresses and the clients drawing from it.</summary>
    private static JsonArray SourcesOn(IEnumerable<ApiRunRecord> runs, string silo) => new([.. runs
        .SelectMany(r => r.Progress?.SiloSources.Where(s => s.Silo == silo).Select(s => (r.RunId, Source: s)) ?? [])
        .Select(x => (JsonNode)new JsonObject
        {
            ["runId"] = x.RunId,
            ["sourceRange"] = x.Source.Range.Length == 0 ? null : x.Source.Range,
            ["sourceAddresses"] = x.Source.Addresses,
            ["clients"] = x.Source.Clients,
        })]);

    public static string Phase(ApiRunRecord run) => run.ExitCode is not null ? "done" : run.Progress?.Phase.ToString().ToLowerInvariant() ?? "starting";

    /// <summary>A run as GET /api/runs/{id} shows it (also the data of its "completed" event).</summary>
    public static JsonObject StateJson(ApiRunRecord run)
    {
        var self = RunPath(run.RunId);
        var state = new JsonObject
        {
            ["runId"] = run.RunId,
            ["phase"] = Phase(run),
            ["startedAt"] = run.StartedAtUtc.ToString("O"),
            ["silo"] = run.Silo,
            ["progress"] = run.Progress is { } p ? ProgressJson(p) : null,
            ["warnings"] = WarningsJson(run.Warnings),
            ["stopRequested"] = run.StopRequested,
            ["links"] = new JsonObject
            {
                ["self"] = self,
                ["events"] = $"{self}/events",
                ["stop"] = $"{self}/stop",
                ["report"] = $"{self}/report",
                ["reportHtml"] = $"{self}/{ReportFiles.HtmlName}",
                ["reportJunit"] = $"{self}/{ReportFiles.JunitName}",
            },
        };
        if (run.ExitCode is { } code)
        {
            state["exitCode"] = code;
            state["verdict"] = run.Verdict ?? "error";
            if (run.Errors is { Length: > 0 } errors) state["errors"] = errors;
            state["reportFolder"] = run.ReportFolder;
        }
        return state;
    }

    private static JsonArray WarningsJson(IEnumerable<ApiRunWarning> warnings) => new([.. warnings.Select(w => (JsonNode)new JsonObject
    {
        ["file"] = w.Source, ["line"] = w.Line, ["column"] = w.Column, ["key"] = w.Key, ["message"] = w.Message,
    })]);

    /// <summary>Validates a posted scenario, registers the run in the cluster and starts it on this silo.</summary>
    private sealed class ApiRunStarter(string dataDirectory, IGrainFactory grains, IApiRunsGrain registry, TimeProvider time, Func<string> localSilo)
    {
        public async Task<IResult> StartAsync(HttpRequest request)
        {
            var (body, error) = await ReadBodyAsync(request);
            if (body is null) return BadRequest(error!);
            if (body["scenario"] is not JsonValue scenarioValue || scenarioValue.GetValueKind() != JsonValueKind.String)
                return BadRequest("the body needs \"scenario\": the scenario file's YAML text");
            var sets = Strings(body, "set", out var setError);
            var allow = Strings(body, "allowTargets", out var allowError);
            if ((setError ?? allowError) is { } listError) return BadRequest(listError);

            // Validated here, so a bad scenario is a 400 with every problem, and nothing starts.
            var yaml = scenarioValue.GetValue<string>();
            var loaded = ScenarioLoader.Parse(yaml, "scenario", sets, ScenarioVocabulary.Default);
            if (!loaded.Ok)
                return Results.Json(new JsonObject { ["errors"] = new JsonArray([.. loaded.Errors.Select(e => (JsonNode)ErrorJson(e))]) }, statusCode: 400);

            var scenario = loaded.Scenario!;
            // The allow-list is checked before anything starts: a refused target is the caller's error.
            var refused = Runs.TargetGuard.Check(scenario.Target.Urls, [.. scenario.AllowTargets, .. allow]);
            if (refused.Count > 0)
                return Results.Json(new JsonObject { ["errors"] = new JsonArray([.. refused.Select(r => (JsonNode)new JsonObject { ["message"] = r })]) }, statusCode: 403);

            var runId = RunCommand.NewRunId(scenario.Name);
            var folder = Path.Combine(dataDirectory, runId);
            Directory.CreateDirectory(folder);
            var scenarioPath = Path.Combine(folder, "scenario.yaml");
            await File.WriteAllTextAsync(scenarioPath, yaml);
            var record = new ApiRunRecord
            {
                RunId = runId,
                Silo = localSilo(),
                StartedAtUtc = time.GetUtcNow().UtcDateTime,
                ReportFolder = folder,
                Warnings = [.. loaded.Warnings.Select(w => new ApiRunWarning(w.Source, w.Line, w.Column, w.Key, w.Message))],
            };
            // Registered before the answer: the Location it gives works on every silo at once.
            var grain = grains.GetGrain<IApiRunGrain>(runId);
            await grain.Publish(record, []);
            await registry.Register(runId, record.StartedAtUtc);
            new ApiRunOwner(grain, record, time).Begin(new RunArguments
            {
                ScenarioPath = scenarioPath,
                Sets = sets,
                AllowTargets = allow,
                Out = Path.Combine(folder, "report"),
                NoLive = true,
                RunId = runId,
                Grains = grains,
            });
            return Results.Created(RunPath(runId), StateJson(record));
        }

        /// <summary>
        /// At most <see cref="MaxScenarioBytes"/>, whatever Content-Length says (a chunked body has none), and JSON
        /// at most <see cref="MaxJsonDepth"/> deep: a request that breaks either is a 400 that says which.
        /// </summary>
        private static async Task<(JsonObject? Body, string? Error)> ReadBodyAsync(HttpRequest request)
        {
            var tooLarge = $"the body is larger than the limit of {MaxScenarioBytes} bytes";
            if (request.ContentLength > MaxScenarioBytes) return (null, tooLarge);
            var bytes = new MemoryStream();
            var chunk = new byte[16 * 1024];
            int read;
            while ((read = await request.Body.ReadAsync(chunk, request.HttpContext.RequestAborted)) > 0)
            {
                if (bytes.Length + read > MaxScenarioBytes) return (null, tooLarge);
                bytes.Write(chunk, 0, read);
            }
            try
            {
                var node = JsonNode.Parse(bytes.ToArray(), documentOptions: new JsonDocumentOptions { MaxDepth = MaxJsonDepth });
                return node is JsonObject o ? (o, null) : (null, "the body must be a JSON object like {\"scenario\": \"name: ...\"}");
            }
            catch (JsonException e)
            {
                return (null, $"the body is not JSON that can be used (at most {MaxJsonDepth} levels deep): {Excerpt.Message(e.Message)}");
            }
        }

        private static List<string> Strings(JsonObject body, string key, out string? error)
        {
            error = null;
            if (body[key] is null) return [];
            if (body[key] is JsonArray array && array.All(i => i is JsonValue v && v.GetValueKind() == JsonValueKind.String))
                return [.. array.Select(i => i!.GetValue<string>())];
            error = $"\"{key}\" must be a list of strings";
            return [];
        }

        private static IResult BadRequest(string message) => Results.Json(new JsonObject { ["errors"] = new JsonArray(new JsonObject { ["message"] = message }) }, statusCode: 400);

        private static JsonObject ErrorJson(ScenarioError e) => new()
        {
            ["file"] = e.Source, ["line"] = e.Line, ["column"] = e.Column, ["key"] = e.Key, ["message"] = e.Message,
        };
    }

    /// <summary>The "cases" event: per case pass/fail run counts, worst verdict and status, and the totals.</summary>
    public static JsonObject CasesJson(RunProgress p) => new()
    {
        ["passed"] = p.CasesPassed,
        ["failed"] = p.CasesFailed,
        ["pending"] = p.CasesPending,
        ["cases"] = JsonSerializer.SerializeToNode(p.Cases, ProgressJsonOptions),
    };

    public static JsonObject ProgressJson(RunProgress p) => JsonSerializer.SerializeToNode(p, ProgressJsonOptions)!.AsObject();

    internal static readonly JsonSerializerOptions ProgressJsonOptions = new(JsonSerializerDefaults.Web)
    {
        Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
    };
}
