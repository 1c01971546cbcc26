using System.Text.Json.Nodes;
using SimCluster.Transport;

namespace SimCluster.Cli.Runs;

/// <summary>
/// Reads a target's <c>/stats</c> (the reference target has one; other servers usually do not). Used
/// before and after a run to check the server's own counts and memory against what the clients saw.
/// Whatever the target answers, the run goes on and is reported: an answer that cannot be used (malformed,
/// a redirect, an address the egress rule refuses) leaves the stats out and becomes a note in
/// <see cref="Problems"/>.
/// </summary>
public sealed class TargetProbe(Uri webSocketUri, EgressRule egress, TimeProvider time) : IDisposable
{
    /// <summary>Bounded in time and size: a hostile target cannot hold the run or fill its memory through /stats. No redirects.</summary>
    private readonly HttpClient _http = new(Egress.HttpHandler(egress, TimeSpan.FromSeconds(3)))
    {
        Timeout = TimeSpan.FromSeconds(3),
        MaxResponseContentBufferSize = 1024 * 1024,
    };

    private readonly List<string> _problems = [];

    public TargetProbe(Uri webSocketUri) : this(webSocketUri, EgressRule.For(webSocketUri), TimeProvider.System) { }

    public Uri StatsUri { get; } = new UriBuilder(webSocketUri) { Scheme = webSocketUri.Scheme == "wss" ? "https" : "http", Path = "/stats", Query = "" }.Uri;

    /// <summary>Why stats were left out, once per kind of problem, for the report's notes.</summary>
    public IReadOnlyList<string> Problems => _problems;

    /// <summary>How long a target whose /stats times out is asked again: a busy machine delays one answer, not several.</summary>
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    /// <summary>
    /// The stats as JSON, or null when the target offers none (or none usable). <paramref name="collectGarbage"/>
    /// asks for a full GC first (leak checks). A read that times out is tried again for
    /// <see cref="Patience"/>, then noted.
    /// </summary>
    public async Task<JsonObject?> ReadAsync(bool collectGarbage, CancellationToken ct)
    {
        var deadline = time.GetUtcNow() + Patience;
        while (true)
        {
            var (stats, failure) = await ReadOnceAsync(collectGarbage, ct);
            if (failure is null) return stats;
            if (time.GetUtcNow() >= deadline)
            {
                Note($"the target's {StatsUri.AbsolutePath} did not answer within {Patience.TotalSeconds:0} s ({failure}); its stats are left out");
                return null;
            }
            await Task.Delay(TimeSpan.FromMilliseconds(500), time, ct);
        }
    }

    /// <summary>One read: the stats (or null when there are none to use), or why the read failed and may succeed later.</summary>
    private async Task<(JsonObject? Stats, string? Failure)> ReadOnceAsync(bool collectGarbage, CancellationToken ct)
    {
        try
        {
            var uri = collectGarbage ? new Uri(StatsUri + "?gc=1") : StatsUri;
            using var response = await _http.GetAsync(uri, ct);
            if ((int)response.StatusCode is >= 300 and < 400)
            {
                Note($"the target's {StatsUri.AbsolutePath} answered HTTP {(int)response.StatusCode} (a redirect, not followed); its stats are left out");
                return (null, null);
            }
            if (!response.IsSuccessStatusCode) return (null, null);
            var body = await response.Content.ReadAsStringAsync(ct);
            if (JsonNode.Parse(body, documentOptions: new System.Text.Json.JsonDocumentOptions { MaxDepth = 16 }) is not JsonObject stats || !stats.ContainsKey("openConnections"))
                return (null, null); // not a stats endpoint: nothing to say
            if (Malformed(stats) is { } why)
            {
                Note($"the target's {StatsUri.AbsolutePath} answer is malformed ({why}); its stats are left out");
                return (null, null);
            }
            return (stats, null);
        }
        catch (Exception e) when (Egress.Refusal(e) is { } refused)
        {
            Note($"the target's {StatsUri.AbsolutePath} was not read: {refused.Message}");
            return (null, null);
        }
        catch (Exception e) when (e is TaskCanceledException && !ct.IsCancellationRequested)
        {
            return (null, "timed out");
        }
        catch (Exception e) when (e is HttpRequestException or System.Text.Json.JsonException or InvalidOperationException)
        {
            return (null, null);
        }
    }

    /// <summary>Waits (bounded) for the target's open connection count to settle after the clients closed.</summary>
    public async Task<JsonObject?> ReadSettledAsync(TimeSpan within, CancellationToken ct)
    {
        var deadline = time.GetUtcNow() + within;
        JsonObject? stats;
        while ((stats = await ReadAsync(collectGarbage: false, ct)) is not null
               && OpenConnections(stats) > 0 && time.GetUtcNow() < deadline)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(200), time, ct);
        }
        return stats is null ? null : await ReadAsync(collectGarbage: true, ct) ?? stats;
    }

    public static long OpenConnections(JsonObject stats) => Whole(stats["openConnections"]) ?? 0;

    public static long RssBytes(JsonObject stats) => Whole((stats["process"] as JsonObject)?["rssBytes"]) ?? 0;

    public static long HeapBytes(JsonObject stats) => Whole((stats["process"] as JsonObject)?["managedHeapBytes"]) ?? 0;

    /// <summary>What is wrong with the fields the report reads, or null.</summary>
    private static string? Malformed(JsonObject stats)
    {
        if (Whole(stats["openConnections"]) is null) return "openConnections is not a whole number";
        if (!stats.ContainsKey("process")) return null;
        if (stats["process"] is not JsonObject process) return "process is not an object";
        foreach (var field in new[] { "rssBytes", "managedHeapBytes" })
            if (process.ContainsKey(field) && Whole(process[field]) is null) return $"process.{field} is not a whole number";
        return null;
    }

    private static long? Whole(JsonNode? node) =>
        node is JsonValue v && v.TryGetValue<long>(out var n) && n >= 0 ? n : null;

    private void Note(string problem)
    {
        if (!_problems.Contains(problem)) _problems.Add(problem);
    }

    public void Dispose() => _http.Dispose();
}
