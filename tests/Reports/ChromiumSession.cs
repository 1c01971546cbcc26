using System.Net.WebSockets;
using System.Text;
using System.Text.Json.Nodes;
using SimCluster.Tests.Support;

namespace SimCluster.Tests.Reports;

/// <summary>
/// One headless Chromium page driven over the DevTools protocol (its own WebSocket, no driver library): for pages
/// that change while a test watches them (the live run page). <see cref="EvaluateAsync"/> runs an expression in
/// the page and, when it is a promise, waits for it, so a test waits for a condition inside the page (a DOM
/// mutation) instead of sleeping.
/// </summary>
internal sealed class ChromiumSession : IAsyncDisposable
{
    private readonly BackgroundProcess _browser;
    private readonly ClientWebSocket _socket;
    private readonly string _profile;
    private readonly byte[] _buffer = new byte[1 << 16];
    private int _nextId;
    private bool _loaded;

    private ChromiumSession(BackgroundProcess browser, ClientWebSocket socket, string profile)
    {
        _browser = browser;
        _socket = socket;
        _profile = profile;
    }

    public static async Task<ChromiumSession> StartAsync(int width = 1280, int height = 1800)
    {
        var executable = Chromium.Find().Executable;
        var profile = Repo.TempDirectory("simcluster-cdp");
        var browser = BackgroundProcess.Start("chromium", ChildProcess.StartInfo(executable,
        [
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--disable-extensions", "--remote-debugging-address=127.0.0.1", "--remote-debugging-port=0",
            $"--user-data-dir={profile}", $"--window-size={width},{height}", "--hide-scrollbars", "about:blank",
        ], Path.GetTempPath()));
        var line = await browser.WaitForLineAsync(l => l.Contains("DevTools listening on ws://", StringComparison.Ordinal), "Chromium's DevTools endpoint", TimeSpan.FromSeconds(60));
        var endpoint = new Uri(line[line.IndexOf("ws://", StringComparison.Ordinal)..].Trim());
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        var targets = JsonNode.Parse(await http.GetStringAsync($"http://{endpoint.Authority}/json/list"))!.AsArray();
        var page = targets.First(t => (string?)t!["type"] == "page")!;
        var socket = new ClientWebSocket();
        socket.Options.KeepAliveInterval = TimeSpan.Zero;
        await socket.ConnectAsync(new Uri((string)page["webSocketDebuggerUrl"]!), CancellationToken.None);
        var session = new ChromiumSession(browser, socket, profile);
        await session.SendAsync("Emulation.setDeviceMetricsOverride", new JsonObject { ["width"] = width, ["height"] = height, ["deviceScaleFactor"] = 1, ["mobile"] = false });
        return session;
    }

    /// <summary>Opens <paramref name="url"/> and returns once the page's load event fired (its scripts ran).</summary>
    public async Task NavigateAsync(string url)
    {
        await SendAsync("Page.enable", []);
        _loaded = false;
        await SendAsync("Page.navigate", new JsonObject { ["url"] = url });
        using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while (!_loaded) await ReceiveAsync(bound.Token);
    }

    /// <summary>The expression's value (JSON); a promise is awaited in the page, up to <paramref name="within"/>.</summary>
    public async Task<JsonNode?> EvaluateAsync(string expression, TimeSpan within)
    {
        var result = await SendAsync("Runtime.evaluate", new JsonObject
        {
            ["expression"] = expression,
            ["returnByValue"] = true,
            ["awaitPromise"] = true,
            ["timeout"] = (int)within.TotalMilliseconds,
        }, within + TimeSpan.FromSeconds(10));
        if (result["exceptionDetails"] is { } error) Assert.Fail($"the page threw: {error.ToJsonString()}");
        return result["result"]?["value"]?.DeepClone();
    }

    /// <summary>A PNG of the whole page (beyond the window).</summary>
    public async Task ScreenshotAsync(string png)
    {
        var result = await SendAsync("Page.captureScreenshot", new JsonObject { ["format"] = "png", ["captureBeyondViewport"] = true });
        await File.WriteAllBytesAsync(png, Convert.FromBase64String((string)result["data"]!));
    }

    private async Task<JsonNode> SendAsync(string method, JsonObject parameters, TimeSpan? within = null)
    {
        var id = Interlocked.Increment(ref _nextId);
        var message = new JsonObject { ["id"] = id, ["method"] = method, ["params"] = parameters }.ToJsonString();
        using var bound = new CancellationTokenSource(within ?? TimeSpan.FromSeconds(60));
        await _socket.SendAsync(Encoding.UTF8.GetBytes(message), WebSocketMessageType.Text, true, bound.Token);
        while (true)
        {
            var reply = await ReceiveAsync(bound.Token);
            if ((int?)reply["id"] != id) continue; // an event, or an answer to nothing we wait for
            if (reply["error"] is { } error) Assert.Fail($"DevTools {method} failed: {error.ToJsonString()}");
            return reply["result"]!;
        }
    }

    /// <summary>The next message from the page; notes the load event on the way.</summary>
    private async Task<JsonNode> ReceiveAsync(CancellationToken ct)
    {
        using var text = new MemoryStream();
        WebSocketReceiveResult received;
        do
        {
            received = await _socket.ReceiveAsync(_buffer, ct);
            text.Write(_buffer, 0, received.Count);
        }
        while (!received.EndOfMessage);
        var message = JsonNode.Parse(text.ToArray())!;
        if ((string?)message["method"] == "Page.loadEventFired") _loaded = true;
        return message;
    }

    public async ValueTask DisposeAsync()
    {
        try { await _socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None); }
        catch (WebSocketException) { }
        _socket.Dispose();
        await _browser.DisposeAsync();
        try { Directory.Delete(_profile, recursive: true); } catch (IOException) { /* a helper process may still hold a file */ }
    }
}
