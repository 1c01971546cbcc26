using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using SimCluster.Abstractions.Runs;
using SimCluster.Cli.Commands;
using SimCluster.Cli.Output;
using SimCluster.Cli.Reports;
using SimCluster.Scenarios;
using Spectre.Console;

namespace SimCluster.Cli.Api;

/// <summary>
/// The silo's HTTP control API (mounted by `simcluster silo`): start a run from a scenario, follow its
/// progress (JSON or server-sent events), stop it, fetch its report. Runs execute inside this silo's
/// process through the same pipeline as `simcluster run` (<see cref="RunCommand"/>), on this silo's cluster.
/// Routes:
///   POST /api/runs                 body {"scenario": "YAML text", "set": ["k=v"], "allowTargets": ["host"]} → 202 {runId, ...}; 400 {errors} when invalid
///   GET  /api/cluster              the silos membership knows, with their status (active, dead, ...) and, per silo,
///                                  the source-address slice and clients of each unfinished run this silo started
///   GET  /api/runs                 the runs this silo started
///   GET  /api/runs/{id}            state, latest progress, and once done: verdict and exit code
///   GET  /api/runs/{id}/events     text/event-stream: "progress" every second, "cases" whenever the malformed-case
///                                  verdicts changed (runs with attackers), then one "completed"
///   POST /api/runs/{id}/stop       ends the run early (its report is marked partial)
///   GET  /api/runs/{id}/report     report.json once the run is done (409 before)
/// Access control (a bearer token unless bound to loopback) is the silo's (SiloHost), for every route alike.
/// </summary>
public static class ControlApi
{
    public const string Prefix = "/api";
    /// <summary>Largest scenario accepted: scenario files are small; this keeps a stray upload from filling memory.</summary>
    public const int MaxScenarioBytes = 256 * 1024;
    /// <summary>Deepest JSON body accepted (the body is an object of strings and lists: three levels).</summary>
    public const int MaxJsonDepth = 16;

    public static void Map(IEndpointRouteBuilder app, string dataDirectory)
    {
        var runs = new ApiRuns(dataDirectory, app.ServiceProvider.GetRequiredService<IGrainFactory>());
        var api = app.MapGroup(Prefix);
        api.MapPost("/runs", async (HttpRequest request) =>
        {
            // Whatever a request holds, the answer says what was wrong: nothing it sends may take the silo down.
            try { return await runs.StartAsync(request); }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                return Results.Json(new JsonObject { ["errors"] = new JsonArray(new JsonObject { ["message"] = $"the run could not be started: {Excerpt.Message(e.Message)}" }) }, statusCode: 500);
            }
        });
        // This silo's own membership view, not the management grain: that grain lives on one silo, and a call to a
        // frozen one would hang this answer for the response timeout, exactly when a user wants to see the cluster.
        api.MapGet("/cluster", (IClusterMembershipService membership) =>
        {
            var members = membership.CurrentSnapshot.Members.Values;
            return Results.Json(new JsonObject
            {
                ["silos"] = new JsonArray([.. members.OrderBy(m => m.SiloAddress.ToParsableString()).Select(m => (JsonNode)new JsonObject
                {
                    ["address"] = m.SiloAddress.ToParsableString(),
                    ["name"] = m.Name,
                    ["status"] = m.Status.ToString().ToLowerInvariant(),
                    ["runs"] = runs.SourcesOn(m.SiloAddress.ToParsableString()),
                })]),
            });
        });
        api.MapGet("/runs", () => Results.Json(new JsonArray([.. runs.All.Select(r => (JsonNode)r.State())])));
        api.MapGet("/runs/{id}", (string id) => runs.Find(id) is { } run ? Results.Json(run.State()) : NotFound(id));
        api.MapGet("/runs/{id}/events", async (string id, HttpContext context) =>
        {
            if (runs.Find(id) is { } run) await run.StreamAsync(context);
            else await NotFound(id).ExecuteAsync(context);
        });
        api.MapPost("/runs/{id}/stop", (string id) =>
        {
            if (runs.Find(id) is not { } run) return NotFound(id);
            run.Stop();
            return Results.Accepted($"{Prefix}/runs/{id}", run.State());
        });
        api.MapGet("/runs/{id}/report", (string id) => runs.Find(id) is not { } run ? NotFound(id)
            : run.ReportJson is { } report ? Results.Text(report, "application/json")
            : Results.Json(new JsonObject { ["error"] = $"run {id} has no report yet ({run.Phase}); follow {Prefix}/runs/{id}/events" }, statusCode: 409));
    }

    private static IResult NotFound(string id) => Results.Json(new JsonObject { ["error"] = $"no run '{id}' on this silo; GET {Prefix}/runs lists them" }, statusCode: 404);

    /// <summary>The runs this silo started, by id.</summary>
    private sealed class ApiRuns(string dataDirectory, IGrainFactory grains)
    {
        private readonly ConcurrentDictionary<string, ApiRun> _runs = new();

        public IEnumerable<ApiRun> All => _runs.Values.OrderBy(r => r.StartedAt);

        public ApiRun? Find(string id) => _runs.GetValueOrDefault(id);

        /// <summary>For each unfinished run: the silo's slice of its source addresses and the clients drawing from it.</summary>
        public JsonArray SourcesOn(string silo) => new([.. All.Where(r => r.Phase != "done")
            .SelectMany(r => r.Progress?.SiloSources.Where(s => s.Silo == silo).Select(s => (r.RunId, Source: s)) ?? [])
            .Select(x => (JsonNode)new JsonObject
            {
                ["runId"] = x.RunId,
                ["sourceRange"] = x.Source.Range.Length == 0 ? null : x.Source.Range,
                ["sourceAddresses"] = x.Source.Addresses,
                ["clients"] = x.Source.Clients,
            })]);

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
            var run = new ApiRun(runId, folder);
            _runs[runId] = run;
            run.Begin(new RunArguments
            {
                ScenarioPath = scenarioPath,
                Sets = sets,
                AllowTargets = allow,
                Out = Path.Combine(folder, "report"),
                NoLive = true,
                RunId = runId,
                Grains = grains,
            });
            return Results.Json(run.State(), statusCode: 202);
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

    /// <summary>One run started through the API: its latest progress, and its outcome once it ends.</summary>
    private sealed class ApiRun(string runId, string folder)
    {
        private readonly CancellationTokenSource _stop = new();
        private readonly TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly StringWriter _errors = new();
        private volatile RunProgress? _progress;
        private event Action<RunProgress>? Progressed;
        private int? _exitCode;

        public DateTime StartedAt { get; } = DateTime.UtcNow;

        public string RunId => runId;

        public RunProgress? Progress => _progress;

        public string Phase => _exitCode is not null ? "done" : _progress?.Phase.ToString().ToLowerInvariant() ?? "starting";

        public string? ReportJson { get; private set; }

        public void Begin(RunArguments args)
        {
            var view = new CallbackView(p =>
            {
                _progress = p;
                Progressed?.Invoke(p);
            });
            // The summary a terminal would show goes nowhere: the API's answer is the report.
            var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(TextWriter.Null), Ansi = AnsiSupport.No });
            _ = Task.Run(async () =>
            {
                try
                {
                    var exitCode = await RunCommand.ExecuteAsync(args with { View = view, Output = TextWriter.Null }, console, _errors, _stop.Token);
                    var reportPath = Path.Combine(args.Out!, "report.json");
                    if (File.Exists(reportPath)) ReportJson = await File.ReadAllTextAsync(reportPath);
                    _exitCode = exitCode; // last: a reader that sees the exit code also sees the report
                }
                catch (Exception e)
                {
                    _errors.WriteLine($"error: {e.GetBaseException().Message}");
                    _exitCode = ExitCodes.CouldNotRun;
                }
                finally
                {
                    _done.TrySetResult();
                }
            });
        }

        public void Stop() => _stop.Cancel();

        public JsonObject State()
        {
            var state = new JsonObject
            {
                ["runId"] = runId,
                ["phase"] = Phase,
                ["startedAt"] = StartedAt.ToString("O"),
                ["progress"] = _progress is { } p ? ProgressJson(p) : null,
                ["links"] = new JsonObject
                {
                    ["self"] = $"{Prefix}/runs/{runId}",
                    ["events"] = $"{Prefix}/runs/{runId}/events",
                    ["stop"] = $"{Prefix}/runs/{runId}/stop",
                    ["report"] = $"{Prefix}/runs/{runId}/report",
                },
            };
            if (_exitCode is { } code)
            {
                state["exitCode"] = code;
                state["verdict"] = ReportJson is null ? "error" : JsonNode.Parse(ReportJson)?["verdict"]?.GetValue<string>();
                var errors = _errors.ToString().Trim();
                if (errors.Length > 0) state["errors"] = errors;
                state["reportFolder"] = folder;
            }
            return state;
        }

        /// <summary>
        /// Server-sent events: the latest progress now and every second, the case verdicts whenever they changed,
        /// then "completed" with the outcome.
        /// </summary>
        public async Task StreamAsync(HttpContext context)
        {
            context.Response.Headers.ContentType = "text/event-stream";
            context.Response.Headers.CacheControl = "no-cache";
            var ct = context.RequestAborted;
            var latest = new TaskCompletionSource<RunProgress>(TaskCreationOptions.RunContinuationsAsynchronously);
            void OnProgress(RunProgress p) => latest.TrySetResult(p);
            Progressed += OnProgress;
            try
            {
                string? casesSent = null;
                async Task SendProgressAsync(RunProgress p)
                {
                    await SendAsync(context, "progress", ProgressJson(p), ct);
                    if (p.Cases.Length == 0) return;
                    var cases = CasesJson(p).ToJsonString();
                    if (cases == casesSent) return;
                    casesSent = cases;
                    await SendAsync(context, "cases", JsonNode.Parse(cases)!, ct);
                }
                if (_progress is { } first) await SendProgressAsync(first);
                while (!_done.Task.IsCompleted && !ct.IsCancellationRequested)
                {
                    var next = await Task.WhenAny(latest.Task, _done.Task, Task.Delay(TimeSpan.FromSeconds(15), ct));
                    if (next == latest.Task)
                    {
                        var p = await latest.Task;
                        latest = new TaskCompletionSource<RunProgress>(TaskCreationOptions.RunContinuationsAsynchronously);
                        await SendProgressAsync(p);
                    }
                    else if (next != _done.Task)
                    {
                        await context.Response.WriteAsync(": keep-alive\n\n", ct); // proxies close silent streams
                        await context.Response.Body.FlushAsync(ct);
                    }
                }
                if (_done.Task.IsCompleted) await SendAsync(context, "completed", State(), ct);
            }
            catch (OperationCanceledException) { } // the client went away
            finally
            {
                Progressed -= OnProgress;
            }
        }

        private static async Task SendAsync(HttpContext context, string name, JsonNode data, CancellationToken ct)
        {
            await context.Response.WriteAsync($"event: {name}\ndata: {data.ToJsonString()}\n\n", ct);
            await context.Response.Body.FlushAsync(ct);
        }
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

    /// <summary>Hands each second's progress to the API run instead of drawing it.</summary>
    private sealed class CallbackView(Action<RunProgress> onProgress) : IProgressView
    {
        public Task RunAsync(Func<Action<RunProgress>, Task> body) => body(onProgress);
    }
}
