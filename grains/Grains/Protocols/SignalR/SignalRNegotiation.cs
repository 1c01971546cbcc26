using System.Collections.Concurrent;
using System.Net.Sockets;
using System.Text.Json;
using SimCluster.Transport;

namespace SimCluster.Grains.Protocols.SignalR;

/// <summary>What the hub's negotiate answer gave the connection: its token, and whether stateful reconnect was granted.</summary>
public sealed record Negotiated(string ConnectionToken, bool StatefulReconnect);

/// <summary>
/// SignalR's negotiate request, <c>POST {hub}/negotiate?negotiateVersion=1</c>, over the tool's one egress path
/// (<see cref="Egress"/>: the target's own rule, no proxy, no redirects followed). Every failure is a
/// <see cref="ConnectFailedException"/>, so the attempt counts as a classified connect failure.
/// </summary>
public static class SignalRNegotiation
{
    /// <summary>A negotiate answer is a few hundred bytes; a larger one is not a hub's.</summary>
    private const int MaxAnswerBytes = 64 * 1024;

    private static readonly ConcurrentDictionary<string, HttpClient> Clients = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>The negotiate URL of the hub at <paramref name="hub"/> (ws:// or wss://, its query kept: a carried access_token goes along).</summary>
    public static Uri NegotiateUri(Uri hub, bool statefulReconnect)
    {
        var builder = new UriBuilder(hub)
        {
            Scheme = hub.Scheme is "wss" or "https" ? "https" : "http",
            Path = hub.AbsolutePath.TrimEnd('/') + "/negotiate",
        };
        var query = hub.Query.TrimStart('?');
        var extra = "negotiateVersion=1" + (statefulReconnect ? "&useStatefulReconnect=true" : "");
        builder.Query = query.Length == 0 ? extra : query + "&" + extra;
        builder.Port = hub.Port; // UriBuilder would keep it, but a scheme change must not move it to a default port
        return builder.Uri;
    }

    /// <summary>Reads a negotiate answer; a refusal, a redirect to another server, or an answer without a WebSockets transport fails the attempt.</summary>
    public static Negotiated Read(string json)
    {
        try
        {
            using var doc = JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = 16 });
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object) throw Bad("the negotiate answer is not a JSON object");
            if (root.TryGetProperty("error", out var error))
                throw Bad($"the hub refused negotiate: {Excerpt(error.ToString())}");
            if (root.TryGetProperty("url", out _))
                throw Bad("the negotiate answer redirects to another server, which is not followed");
            if (root.TryGetProperty("availableTransports", out var transports) && transports.ValueKind == JsonValueKind.Array
                && !transports.EnumerateArray().Any(t => t.ValueKind == JsonValueKind.Object && t.TryGetProperty("transport", out var name) && name.ValueKind == JsonValueKind.String && name.GetString() == "WebSockets"))
                throw Bad("the hub offers no WebSockets transport");
            var token = root.TryGetProperty("connectionToken", out var t1) && t1.ValueKind == JsonValueKind.String ? t1.GetString()
                : root.TryGetProperty("connectionId", out var t0) && t0.ValueKind == JsonValueKind.String ? t0.GetString() : null;
            if (string.IsNullOrEmpty(token)) throw Bad("the negotiate answer has no connectionToken");
            var stateful = root.TryGetProperty("useStatefulReconnect", out var s) && s.ValueKind == JsonValueKind.True;
            return new Negotiated(token, stateful);
        }
        catch (JsonException)
        {
            throw Bad("the negotiate answer is not JSON");
        }
    }

    public static async Task<Negotiated> NegotiateAsync(Uri hub, bool statefulReconnect, TimeSpan timeout, CancellationToken ct)
    {
        var uri = NegotiateUri(hub, statefulReconnect);
        using var bounded = CancellationTokenSource.CreateLinkedTokenSource(ct);
        bounded.CancelAfter(timeout);
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, uri) { Content = new ByteArrayContent([]) };
            using var response = await ClientFor(hub).SendAsync(request, HttpCompletionOption.ResponseHeadersRead, bounded.Token).ConfigureAwait(false);
            var status = (int)response.StatusCode;
            if (status is < 200 or >= 300)
                throw new ConnectFailedException(ConnectFailure.HttpStatus, $"negotiate answered HTTP {status}" + (status is >= 300 and < 400 ? " (a redirect, not followed)" : ""), status);
            if (response.Content.Headers.ContentLength is > MaxAnswerBytes) throw Bad("the negotiate answer is too large");
            await using var body = await response.Content.ReadAsStreamAsync(bounded.Token).ConfigureAwait(false);
            var buffer = new byte[MaxAnswerBytes + 1];
            var read = 0;
            int n;
            while (read < buffer.Length && (n = await body.ReadAsync(buffer.AsMemory(read), bounded.Token).ConfigureAwait(false)) > 0) read += n;
            if (read > MaxAnswerBytes) throw Bad("the negotiate answer is too large");
            return Read(System.Text.Encoding.UTF8.GetString(buffer, 0, read));
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            throw new ConnectFailedException(ConnectFailure.Timeout, $"negotiate did not answer within {timeout.TotalMilliseconds:0} ms");
        }
        catch (HttpRequestException e)
        {
            if (Egress.Refusal(e) is { } refused) throw new ConnectFailedException(ConnectFailure.Egress, refused.Message, inner: refused);
            var refusedBySocket = e.InnerException is SocketException { SocketErrorCode: SocketError.ConnectionRefused };
            throw new ConnectFailedException(refusedBySocket ? ConnectFailure.Refused : ConnectFailure.Other, $"negotiate failed: {e.GetType().Name}", inner: e);
        }
    }

    /// <summary>One pooled client per egress rule: loopback targets share one, any other host has its own (the rule names it).</summary>
    private static HttpClient ClientFor(Uri hub)
    {
        var rule = EgressRule.For(hub);
        var key = rule == EgressRule.LoopbackOnly ? "" : hub.DnsSafeHost;
        return Clients.GetOrAdd(key, _ => new HttpClient(Egress.HttpHandler(rule, Timeout.InfiniteTimeSpan)) { Timeout = Timeout.InfiniteTimeSpan });
    }

    private static ConnectFailedException Bad(string message) => new(ConnectFailure.BadResponse, message);

    private static string Excerpt(string text) => text.Length <= 120 ? text : text[..120] + "...";
}
