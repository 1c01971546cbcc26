using System.Text.Json.Nodes;

namespace SimCluster.Cli.Runs;

/// <summary>
/// Reads a target's <c>/stats</c> (the reference target has one; other servers usually do not). Used
/// before and after a run to check the server's own counts and memory against what the clients saw.
/// </summary>
public sealed class TargetProbe(Uri webSocketUri) : IDisposable
{
    /// <summary>Bounded in time and size: a hostile target cannot hold the run or fill its memory through /stats.</summary>
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(3), MaxResponseContentBufferSize = 1024 * 1024 };

    public Uri StatsUri { get; } = new UriBuilder(webSocketUri) { Scheme = webSocketUri.Scheme == "wss" ? "https" : "http", Path = "/stats", Query = "" }.Uri;

    /// <summary>The stats as JSON, or null when the target offers none. <paramref name="collectGarbage"/> asks for a full GC first (leak checks).</summary>
    public async Task<JsonObject?> ReadAsync(bool collectGarbage, CancellationToken ct)
    {
        try
        {
            var uri = collectGarbage ? new Uri(StatsUri + "?gc=1") : StatsUri;
            using var response = await _http.GetAsync(uri, ct);
            if (!response.IsSuccessStatusCode) return null;
            var body = await response.Content.ReadAsStringAsync(ct);
            return JsonNode.Parse(body) is JsonObject stats && stats.ContainsKey("openConnections") ? stats : null;
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or System.Text.Json.JsonException)
        {
            return null;
        }
    }

    /// <summary>Waits (bounded) for the target's open connection count to settle after the clients closed.</summary>
    public async Task<JsonObject?> ReadSettledAsync(TimeSpan within, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow + within;
        JsonObject? stats;
        while ((stats = await ReadAsync(collectGarbage: false, ct)) is not null
               && OpenConnections(stats) > 0 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(200, ct);
        }
        return stats is null ? null : await ReadAsync(collectGarbage: true, ct) ?? stats;
    }

    public static long OpenConnections(JsonObject stats) => stats["openConnections"]?.GetValue<long>() ?? 0;

    public static long RssBytes(JsonObject stats) => stats["process"]?["rssBytes"]?.GetValue<long>() ?? 0;

    public static long HeapBytes(JsonObject stats) => stats["process"]?["managedHeapBytes"]?.GetValue<long>() ?? 0;

    public void Dispose() => _http.Dispose();
}
