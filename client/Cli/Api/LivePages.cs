using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using SimCluster.Abstractions.Runs;
using SimCluster.Cli.Reports;

namespace SimCluster.Cli.Api;

/// <summary>
/// The live run page, on every silo's HTTP port and on an embedded run's <c>--dashboard</c> port:
///   GET /runs                   the runs this cluster knows (newest first), refreshed every few seconds
///   GET /runs/{id}              the run's page: report.html's sections and charts, redrawn every second
///   GET /runs/{id}/live         what the page polls: {phase, final, verdict, updatedAt, html, report}
///   GET /runs/assets/{file}     the report's own bundled scripts and style (Chart.js included): nothing from a CDN
/// Its data is what the process driving the run publishes into <see cref="ILiveRunsGrain"/> (LivePublisher).
/// </summary>
public static class LivePages
{
    public const string Prefix = "/runs";
    private const string Csp = "default-src 'none'; connect-src 'self'; img-src data:; style-src 'self' 'unsafe-inline'; script-src 'self'";
    private static readonly string[] Assets = ["chart.umd.min.js", "report.js", "live.js", "report.css"];

    public static void Map(IEndpointRouteBuilder app, IGrainFactory grains, LiveAudience? audience = null)
    {
        var live = grains.GetGrain<ILiveRunsGrain>(0);
        app.MapGet(Prefix, async (HttpContext context) => await Html(context, RunList(await live.List())));
        app.MapGet($"{Prefix}/assets/{{file}}", (string file) => Assets.Contains(file)
            ? Results.Text(HtmlReport.Asset(file), file.EndsWith(".css", StringComparison.Ordinal) ? "text/css; charset=utf-8" : "text/javascript; charset=utf-8")
            : Results.NotFound());
        app.MapGet($"{Prefix}/{{id}}", async (string id, HttpContext context) =>
        {
            if (await live.Get(id) is null) context.Response.StatusCode = StatusCodes.Status404NotFound;
            await Html(context, Shell(id));
        });
        app.MapGet($"{Prefix}/{{id}}/live", async (string id) =>
        {
            if (await live.Get(id) is not { } frame)
                return Results.Json(new JsonObject { ["error"] = $"no run '{id}' on this cluster; {Prefix} lists them" }, statusCode: 404);
            var report = JsonNode.Parse(frame.ReportJson)!.AsObject();
            audience?.Served(frame.Final);
            return Results.Json(new JsonObject
            {
                ["runId"] = frame.RunId,
                ["phase"] = frame.Phase,
                ["final"] = frame.Final,
                ["verdict"] = frame.Verdict,
                ["updatedAt"] = frame.UpdatedAtUtc.ToString("O"),
                ["html"] = HtmlReport.Body(report),
                ["report"] = report,
            });
        });
    }

    /// <summary>Whether anyone watches an embedded run's page: its process then waits briefly for the page to fetch the final report.</summary>
    public sealed class LiveAudience
    {
        private readonly TaskCompletionSource _final = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _polls;

        public bool Watching => Volatile.Read(ref _polls) > 0;

        public Task FinalServed => _final.Task;

        internal void Served(bool final)
        {
            Interlocked.Increment(ref _polls);
            if (final) _final.TrySetResult();
        }
    }

    /// <summary>Where a run's page is on <paramref name="baseUrl"/> (printed by the run, linked from the dashboard).</summary>
    public static string PageUrl(string baseUrl, string runId) => $"{baseUrl.TrimEnd('/')}{Prefix}/{Uri.EscapeDataString(runId)}";

    private static async Task Html(HttpContext context, string html)
    {
        context.Response.ContentType = "text/html; charset=utf-8";
        context.Response.Headers.ContentSecurityPolicy = Csp;
        context.Response.Headers.CacheControl = "no-store";
        await context.Response.WriteAsync(html);
    }

    private static string Head(string title) =>
        "<!DOCTYPE html>\n<html lang=\"en\" data-ready=\"false\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n" +
        $"<title>{HtmlReport.E(title)}</title>\n<link rel=\"stylesheet\" href=\"{Prefix}/assets/report.css\">\n</head>\n";

    private static string Shell(string runId) =>
        Head($"{runId}: live - SimCluster") +
        $"<body data-run=\"{HtmlReport.E(runId)}\">\n<div class=\"live-status\" id=\"live-status\">connecting to run <code>{HtmlReport.E(runId)}</code>…</div>\n" +
        "<div id=\"live-root\"></div>\n" +
        $"<script src=\"{Prefix}/assets/chart.umd.min.js\"></script>\n<script src=\"{Prefix}/assets/report.js\"></script>\n<script src=\"{Prefix}/assets/live.js\"></script>\n</body>\n</html>\n";

    private static string RunList(LiveRunSummary[] runs)
    {
        var h = new StringBuilder(Head("Runs - SimCluster"));
        h.Append("<body>\n<header><h1>SimCluster runs</h1><p class=\"note\">The runs this cluster drove recently, newest first; open one to watch it live. ")
            .Append("<a href=\"/dashboard\">Orleans dashboard</a></p></header>\n<main>\n");
        if (runs.Length == 0)
            h.Append("<p class=\"note\">No run yet. Start one: <code>./simcluster run scenarios/smoke.yaml --cluster …</code> or POST /api/runs.</p>\n");
        else
        {
            h.Append("<table class=\"runs\"><thead><tr><th>run</th><th>scenario</th><th>phase</th><th>verdict</th><th>started (UTC)</th><th>updated (UTC)</th></tr></thead><tbody>\n");
            foreach (var r in runs)
            {
                h.Append("<tr><td><a href=\"").Append(HtmlReport.E(PageUrl("", r.RunId))).Append("\"><code>").Append(HtmlReport.E(r.RunId)).Append("</code></a></td><td>")
                    .Append(HtmlReport.E(r.Scenario)).Append("</td><td>").Append(HtmlReport.E(r.Phase)).Append("</td><td>").Append(HtmlReport.E(r.Verdict)).Append("</td><td>")
                    .Append(r.StartedAtUtc.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture)).Append("</td><td>")
                    .Append(r.UpdatedAtUtc.ToString("HH:mm:ss", CultureInfo.InvariantCulture)).Append("</td></tr>\n");
            }
            h.Append("</tbody></table>\n");
        }
        h.Append("</main>\n<script src=\"").Append(Prefix).Append("/assets/live.js\"></script>\n</body>\n</html>\n");
        return h.ToString();
    }
}
