using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using SimCluster.Abstractions.Runs;
using SimCluster.Scenarios;

namespace SimCluster.Cli.Api;

/// <summary>
/// GET /api/runs/{id}/events on any silo: the run's server-sent events from its <see cref="IApiRunGrain"/>, each
/// with its id. A stream that sends <c>Last-Event-ID</c> (as EventSource does when it reconnects; or
/// <c>?lastEventId=</c>) resumes after that event: nothing lost, nothing repeated. A new stream starts with the
/// latest progress and case verdicts. The stream ends after "completed".
/// </summary>
public static class RunEventStream
{
    public const string LastEventIdHeader = "Last-Event-ID";
    public const string LastEventIdQuery = "lastEventId";

    /// <summary>How long one read waits for the next event; a quiet stream then gets a comment (proxies close silent streams).</summary>
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    public static async Task ServeAsync(IApiRunGrain run, string runId, HttpContext context)
    {
        var given = context.Request.Headers[LastEventIdHeader].ToString() is { Length: > 0 } header ? (Source: LastEventIdHeader, Value: header)
            : context.Request.Query[LastEventIdQuery].ToString() is { Length: > 0 } query ? (Source: $"?{LastEventIdQuery}", Value: query)
            : (Source: null, Value: null);
        long? after = null;
        if (given.Value is not null)
        {
            if (!long.TryParse(given.Value.Trim(), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var id))
            {
                await Results.Json(new JsonObject { ["error"] = $"{given.Source}: '{Excerpt.Message(given.Value)}' is not an event id of this stream (the number after \"id:\")" }, statusCode: 400).ExecuteAsync(context);
                return;
            }
            after = id;
        }
        var ct = context.RequestAborted;
        if (await run.Read(after, TimeSpan.Zero) is not { } page)
        {
            await ControlApi.NotFound(runId).ExecuteAsync(context);
            return;
        }
        context.Response.Headers.ContentType = "text/event-stream";
        context.Response.Headers.CacheControl = "no-cache";
        try
        {
            await context.Response.StartAsync(ct);
            while (true)
            {
                foreach (var e in page.Events)
                {
                    await context.Response.WriteAsync($"id: {e.Id}\nevent: {Name(e.Kind)}\ndata: {e.Data}\n\n", ct);
                    after = e.Id;
                }
                if (page.Events.Length > 0) await context.Response.Body.FlushAsync(ct);
                if (page.Events.Any(e => e.Kind == ApiRunEventKind.Completed) || page.Ended) return;
                if (page.Events.Length == 0)
                {
                    await context.Response.WriteAsync(": keep-alive\n\n", ct);
                    await context.Response.Body.FlushAsync(ct);
                }
                // The run forgotten while streaming (the registry's bound): nothing more will come.
                if (await run.Read(after, Wait).WaitAsync(ct) is not { } next) return;
                page = next;
            }
        }
        catch (OperationCanceledException) { } // the client went away
    }

    public static string Name(ApiRunEventKind kind) => kind switch
    {
        ApiRunEventKind.Progress => "progress",
        ApiRunEventKind.Cases => "cases",
        ApiRunEventKind.Completed => "completed",
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
    };
}
