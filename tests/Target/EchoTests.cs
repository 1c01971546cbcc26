using System.Net;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text;
using SimCluster.Target;
using static SimCluster.Tests.Target.TargetTestClient;

namespace SimCluster.Tests.Target;

public sealed class EchoTests
{
    [Fact]
    public async Task Echoes_text_and_binary_unchanged_and_stats_agree()
    {
        await using var target = await StartAsync();
        var ws = await ConnectAsync(target);

        await SendTextAsync(ws, "hello, echo");
        var text = await ReceiveAsync(ws);
        Assert.Equal(WebSocketMessageType.Text, text.Type);
        Assert.Equal("hello, echo", text.Text);

        var binary = new byte[] { 0, 1, 2, 254, 255 };
        await ws.SendAsync(binary, WebSocketMessageType.Binary, true, CancellationToken.None);
        var echoed = await ReceiveAsync(ws);
        Assert.Equal(WebSocketMessageType.Binary, echoed.Type);
        Assert.Equal(binary, echoed.Data);

        // A JSON object that is not a hello keeps the connection in echo mode.
        await SendTextAsync(ws, """{"type":"msg","seq":1}""");
        Assert.Equal("""{"type":"msg","seq":1}""", (await ReceiveAsync(ws)).Text);

        await ws.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", CancellationToken.None);

        var stats = await WaitForStatsAsync(target, s => s.OpenConnections == 0 && s.Closes.ClientInitiated.OrZero("1000") == 1);
        Assert.Equal(1, stats.Upgrades);
        Assert.Equal(0, stats.OpenConnections);
        Assert.Equal(3, stats.MessagesIn);
        Assert.Equal(3, stats.MessagesOut);
        var bytes = Encoding.UTF8.GetByteCount("hello, echo") + binary.Length + Encoding.UTF8.GetByteCount("""{"type":"msg","seq":1}""");
        Assert.Equal(bytes, stats.BytesIn);
        Assert.Equal(bytes, stats.BytesOut);
        Assert.Equal(1, stats.Closes.ClientInitiated.OrZero("1000"));
        Assert.Equal(1, stats.Closes.ByCode.OrZero("1000"));
        Assert.Empty(stats.Closes.ServerInitiated);
        Assert.Equal(0, stats.Closes.Aborted);
        Assert.Equal(1, stats.SourceAddresses.OrZero("127.0.0.1"));
    }

    [Fact]
    public async Task Reassembles_multi_frame_messages_and_echoes_them_whole()
    {
        await using var target = await StartAsync();
        var ws = await ConnectAsync(target);

        // 3 frames of 20,000 bytes each: larger than the server's first pooled buffer, so it must grow.
        var part = Enumerable.Range(0, 20_000).Select(i => (byte)('a' + (i % 26))).ToArray();
        await ws.SendAsync(part, WebSocketMessageType.Text, endOfMessage: false, CancellationToken.None);
        await ws.SendAsync(part, WebSocketMessageType.Text, endOfMessage: false, CancellationToken.None);
        await ws.SendAsync(part, WebSocketMessageType.Text, endOfMessage: true, CancellationToken.None);

        var echoed = await ReceiveAsync(ws);
        Assert.Equal(WebSocketMessageType.Text, echoed.Type);
        Assert.Equal(part.Concat(part).Concat(part).ToArray(), echoed.Data);

        // An empty message is a message too.
        await ws.SendAsync(Array.Empty<byte>(), WebSocketMessageType.Binary, true, CancellationToken.None);
        var empty = await ReceiveAsync(ws);
        Assert.Equal(WebSocketMessageType.Binary, empty.Type);
        Assert.Empty(empty.Data);

        var stats = target.GetStats();
        Assert.Equal(2, stats.MessagesIn);
        Assert.Equal(60_000, stats.BytesIn);
        await CloseQuietlyAsync(ws);
    }

    [Fact]
    public async Task Oversize_message_gets_1009_and_is_counted_as_server_close()
    {
        await using var target = await StartAsync(new TargetOptions { MaxMessageSize = 1000 });
        var ws = await ConnectAsync(target);

        // Exactly at the limit is fine.
        await ws.SendAsync(new byte[1000], WebSocketMessageType.Binary, true, CancellationToken.None);
        Assert.Equal(1000, (await ReceiveAsync(ws)).Data.Length);

        // Over the limit across two frames.
        await ws.SendAsync(new byte[600], WebSocketMessageType.Binary, false, CancellationToken.None);
        await ws.SendAsync(new byte[600], WebSocketMessageType.Binary, true, CancellationToken.None);
        var close = await ReceiveAsync(ws);
        Assert.Equal(WebSocketMessageType.Close, close.Type);
        Assert.Equal(WebSocketCloseStatus.MessageTooBig, close.CloseStatus);
        Assert.Equal("message too big", close.CloseDescription);
        await CloseQuietlyAsync(ws);

        var stats = await WaitForStatsAsync(target, s => s.OpenConnections == 0);
        Assert.Equal(1, stats.Closes.ServerInitiated.OrZero("1009"));
        Assert.Equal(1, stats.Closes.ByCode.OrZero("1009"));
        Assert.Empty(stats.Closes.ClientInitiated);
        Assert.Equal(1, stats.MessagesIn);
    }

    [Fact]
    public async Task Invalid_utf8_text_is_closed_1007_and_counted()
    {
        await using var target = await StartAsync();
        var ws = await ConnectAsync(target);

        // ClientWebSocket does not validate outgoing text, so it can send a lone continuation byte.
        await ws.SendAsync(new byte[] { (byte)'o', (byte)'k', 0x80 }, WebSocketMessageType.Text, true, CancellationToken.None);
        var close = await ReceiveAsync(ws);
        Assert.Equal(WebSocketMessageType.Close, close.Type);
        Assert.Equal(WebSocketCloseStatus.InvalidPayloadData, close.CloseStatus);
        await CloseQuietlyAsync(ws);

        var stats = await WaitForStatsAsync(target, s => s.OpenConnections == 0);
        Assert.Equal(1, stats.Closes.ServerInitiated.OrZero("1007"));
        Assert.Equal(1, stats.Closes.ByCode.OrZero("1007"));
        Assert.Equal(0, stats.MessagesOut);
    }

    [Fact]
    public async Task Abrupt_client_disconnect_counts_as_aborted()
    {
        await using var target = await StartAsync();
        var ws = await ConnectAsync(target);
        await SendTextAsync(ws, "x");
        await ReceiveAsync(ws);
        ws.Abort();

        var stats = await WaitForStatsAsync(target, s => s.OpenConnections == 0);
        Assert.Equal(0, stats.OpenConnections);
        Assert.Equal(1, stats.Closes.Aborted);
        Assert.Empty(stats.Closes.ByCode);
    }

    [Fact]
    public async Task Plain_http_request_to_the_websocket_path_is_rejected_and_counted()
    {
        await using var target = await StartAsync();
        using var http = new HttpClient { Timeout = Patience };
        var response = await http.GetAsync(target.WebSocketUri.ToString().Replace("ws://", "http://", StringComparison.Ordinal));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(1, target.GetStats().RejectedHandshakes);
        Assert.Equal(0, target.GetStats().Upgrades);
    }

    [Fact]
    public async Task Stop_closes_open_sockets_with_1001_within_bounds()
    {
        var target = await StartAsync();
        var ws = await ConnectAsync(target);
        await SendTextAsync(ws, "x");
        await ReceiveAsync(ws);

        var receive = ReceiveAsync(ws);
        var stop = target.StopAsync();
        var close = await receive;
        Assert.Equal(WebSocketCloseStatus.EndpointUnavailable, close.CloseStatus);
        await CloseQuietlyAsync(ws);
        await stop.WaitAsync(TimeSpan.FromMinutes(1)); // a hang guard: the stop's own bound is seconds
        Assert.Equal(1, target.GetStats().Closes.ServerInitiated.OrZero("1001"));
        await target.DisposeAsync();

        // The port is released.
        using var probe = new TcpClient();
        await Assert.ThrowsAnyAsync<SocketException>(() => probe.ConnectAsync(IPAddress.Loopback, target.WebSocketUri.Port));
    }
}
