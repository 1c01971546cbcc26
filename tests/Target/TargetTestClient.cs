using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using SimCluster.Target;

namespace SimCluster.Tests.Target;

/// <summary>Small helpers for talking to a <see cref="ReferenceTarget"/> over real loopback sockets.</summary>
internal static class TargetTestClient
{
    /// <summary>Generous bound for anything that should happen "at once"; tests never assert on tight timings.</summary>
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    public static Task<ReferenceTarget> StartAsync(TargetOptions? options = null) =>
        ReferenceTarget.StartAsync((options ?? new TargetOptions()) with { Port = 0 });

    public static async Task<ClientWebSocket> ConnectAsync(ReferenceTarget target, TimeSpan? keepAlive = null)
    {
        var ws = new ClientWebSocket();
        if (keepAlive is { } interval)
        {
            ws.Options.KeepAliveInterval = interval;
        }

        using var cts = new CancellationTokenSource(Patience);
        await ws.ConnectAsync(target.WebSocketUri, cts.Token);
        return ws;
    }

    public static Task SendTextAsync(WebSocket ws, string text) =>
        ws.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, endOfMessage: true, CancellationToken.None);

    public static Task SendJsonAsync(WebSocket ws, object frame) =>
        ws.SendAsync(JsonSerializer.SerializeToUtf8Bytes(frame), WebSocketMessageType.Text, endOfMessage: true, CancellationToken.None);

    /// <summary>One whole message (all frames), or the close result when the server closes.</summary>
    public static async Task<Received> ReceiveAsync(WebSocket ws, TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? Patience);
        var buffer = new byte[8192];
        using var message = new MemoryStream();
        while (true)
        {
            var result = await ws.ReceiveAsync(buffer, cts.Token);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                return new Received(WebSocketMessageType.Close, [], ws.CloseStatus, ws.CloseStatusDescription);
            }

            message.Write(buffer, 0, result.Count);
            if (result.EndOfMessage)
            {
                return new Received(result.MessageType, message.ToArray(), null, null);
            }
        }
    }

    public static async Task<JsonElement> ReceiveJsonAsync(WebSocket ws)
    {
        var received = await ReceiveAsync(ws);
        Assert.Equal(WebSocketMessageType.Text, received.Type);
        return JsonDocument.Parse(received.Data).RootElement.Clone();
    }

    /// <summary>Completes the close handshake the client started or answers the server's Close.</summary>
    public static async Task CloseQuietlyAsync(WebSocket ws)
    {
        using var cts = new CancellationTokenSource(Patience);
        try
        {
            if (ws.State is WebSocketState.Open or WebSocketState.CloseReceived)
            {
                await ws.CloseAsync(WebSocketCloseStatus.NormalClosure, "bye", cts.Token);
            }
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException)
        {
        }
    }

    /// <summary>Polls until <paramref name="condition"/> holds for the target's stats; returns the last snapshot.</summary>
    public static async Task<TargetStatsSnapshot> WaitForStatsAsync(ReferenceTarget target, Func<TargetStatsSnapshot, bool> condition)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (true)
        {
            var stats = target.GetStats();
            if (condition(stats) || DateTime.UtcNow > deadline)
            {
                return stats;
            }

            await Task.Delay(20);
        }
    }

    public static async Task<string> GetStringAsync(ReferenceTarget target, string relative)
    {
        using var http = new HttpClient { Timeout = Patience };
        return await http.GetStringAsync(new Uri(target.BaseUri, relative));
    }

    public static long OrZero(this Dictionary<string, long> map, string key) => map.TryGetValue(key, out var n) ? n : 0;

    internal sealed record Received(WebSocketMessageType Type, byte[] Data, WebSocketCloseStatus? CloseStatus, string? CloseDescription)
    {
        public string Text => Encoding.UTF8.GetString(Data);
    }
}
