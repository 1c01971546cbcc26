using System.Net.WebSockets;
using System.Text.Json;
using SimCluster.Target;
using static SimCluster.Tests.Target.TargetTestClient;

namespace SimCluster.Tests.Target;

public sealed class SessionProtocolTests
{
    private static async Task<(ClientWebSocket Ws, JsonElement Welcome)> HelloAsync(ReferenceTarget target, string session, long lastSeq = 0)
    {
        var ws = await ConnectAsync(target);
        await SendJsonAsync(ws, new { type = "hello", session, lastSeq });
        var welcome = await ReceiveJsonAsync(ws);
        Assert.Equal("welcome", welcome.GetProperty("type").GetString());
        Assert.Equal(session, welcome.GetProperty("session").GetString());
        return (ws, welcome);
    }

    private static Task SendMsgAsync(WebSocket ws, long seq, string body = "b") =>
        SendJsonAsync(ws, new { type = "msg", seq, ts = 1_700_000_000_000 + seq, body });

    private static async Task<JsonElement> ReceiveEchoAsync(WebSocket ws, long expectedEcho)
    {
        var frame = await ReceiveJsonAsync(ws);
        Assert.Equal("msg", frame.GetProperty("type").GetString());
        Assert.Equal(expectedEcho, frame.GetProperty("echo").GetInt64());
        return frame;
    }

    /// <summary>A ping/pong round trip proves nothing else (replay, echo) was queued before it.</summary>
    private static async Task AssertNothingPendingAsync(WebSocket ws)
    {
        await SendJsonAsync(ws, new { type = "ping", ts = 42 });
        var pong = await ReceiveJsonAsync(ws);
        Assert.Equal("pong", pong.GetProperty("type").GetString());
        Assert.Equal(42, pong.GetProperty("ts").GetInt64());
    }

    [Fact]
    public async Task New_session_is_welcomed_and_each_message_echoed_once()
    {
        await using var target = await StartAsync();
        var (ws, welcome) = await HelloAsync(target, "s-new");
        Assert.False(welcome.GetProperty("resumed").GetBoolean());
        Assert.Equal(0, welcome.GetProperty("lastSeq").GetInt64());

        await SendJsonAsync(ws, new { type = "msg", seq = 1, ts = 1234, body = new { nested = new[] { 1, 2 } } });
        var echo = await ReceiveEchoAsync(ws, 1);
        Assert.Equal(1, echo.GetProperty("seq").GetInt64());
        Assert.Equal(1234, echo.GetProperty("ts").GetInt64());
        Assert.Equal("""{"nested":[1,2]}""", echo.GetProperty("body").GetRawText());

        // Seq 1 again is a duplicate: dropped. Seq 2 is echoed with server seq 2.
        await SendMsgAsync(ws, 1);
        await SendMsgAsync(ws, 2);
        var second = await ReceiveEchoAsync(ws, 2);
        Assert.Equal(2, second.GetProperty("seq").GetInt64());
        await AssertNothingPendingAsync(ws);

        var stats = target.GetStats();
        Assert.Equal(1, stats.Sessions.Created);
        Assert.Equal(1, stats.Sessions.Active);
        Assert.Equal(1, stats.Sessions.DuplicatesDropped);
        await CloseQuietlyAsync(ws);
        stats = await WaitForStatsAsync(target, s => s.Sessions.Active == 0);
        Assert.Equal(0, stats.Sessions.Active);
    }

    [Fact]
    public async Task Resume_replays_unacknowledged_messages_in_order_and_reports_contiguous_client_seq()
    {
        await using var target = await StartAsync();
        var (ws, _) = await HelloAsync(target, "s-resume");
        await SendMsgAsync(ws, 1);
        await SendMsgAsync(ws, 2);
        await SendMsgAsync(ws, 4); // gap at 3: still echoed once, but M stays 2
        await ReceiveEchoAsync(ws, 1);
        await ReceiveEchoAsync(ws, 2);
        await ReceiveEchoAsync(ws, 4);
        ws.Abort(); // connection lost, no close handshake
        ws.Dispose();
        await WaitForStatsAsync(target, s => s.Sessions.Active == 0);

        // The client saw server seq 1 only; the server replays 2 and 3.
        var (again, welcome) = await HelloAsync(target, "s-resume", lastSeq: 1);
        Assert.True(welcome.GetProperty("resumed").GetBoolean());
        Assert.Equal(2, welcome.GetProperty("lastSeq").GetInt64());
        var r2 = await ReceiveEchoAsync(again, 2);
        Assert.Equal(2, r2.GetProperty("seq").GetInt64());
        var r3 = await ReceiveEchoAsync(again, 4);
        Assert.Equal(3, r3.GetProperty("seq").GetInt64());

        // Re-sending 3 (the gap) and 4 (already echoed): only 3 is new, server seq continues at 4.
        await SendMsgAsync(again, 3);
        await SendMsgAsync(again, 4);
        var r4 = await ReceiveEchoAsync(again, 3);
        Assert.Equal(4, r4.GetProperty("seq").GetInt64());
        await AssertNothingPendingAsync(again);

        var stats = target.GetStats();
        Assert.Equal(1, stats.Sessions.Resumed);
        Assert.Equal(2, stats.Sessions.ReplayedMessages);
        Assert.Equal(1, stats.Sessions.DuplicatesDropped);
        Assert.Equal(1, stats.Closes.Aborted);
        await CloseQuietlyAsync(again);
    }

    [Fact]
    public async Task Ack_frees_the_buffer_so_nothing_is_replayed()
    {
        await using var target = await StartAsync();
        var (ws, _) = await HelloAsync(target, "s-ack");
        for (var seq = 1; seq <= 3; seq++)
        {
            await SendMsgAsync(ws, seq);
            await ReceiveEchoAsync(ws, seq);
        }

        await SendJsonAsync(ws, new { type = "ack", seq = 3 });
        await AssertNothingPendingAsync(ws); // the ack is processed before the ping
        await CloseQuietlyAsync(ws);
        await WaitForStatsAsync(target, s => s.Sessions.Active == 0);

        // lastSeq 0 would replay everything still buffered: nothing is.
        var (again, welcome) = await HelloAsync(target, "s-ack", lastSeq: 0);
        Assert.True(welcome.GetProperty("resumed").GetBoolean());
        Assert.Equal(3, welcome.GetProperty("lastSeq").GetInt64());
        await AssertNothingPendingAsync(again);
        Assert.Equal(0, target.GetStats().Sessions.ReplayedMessages);
        await CloseQuietlyAsync(again);
    }

    [Fact]
    public async Task Full_buffer_drops_the_oldest_and_counts_the_overflow()
    {
        await using var target = await StartAsync(new TargetOptions { SessionBufferLimit = 2 });
        var (ws, _) = await HelloAsync(target, "s-overflow");
        for (var seq = 1; seq <= 4; seq++)
        {
            await SendMsgAsync(ws, seq);
            await ReceiveEchoAsync(ws, seq);
        }

        await CloseQuietlyAsync(ws);
        await WaitForStatsAsync(target, s => s.Sessions.Active == 0);

        var (again, _) = await HelloAsync(target, "s-overflow", lastSeq: 0);
        Assert.Equal(3, (await ReceiveEchoAsync(again, 3)).GetProperty("seq").GetInt64());
        Assert.Equal(4, (await ReceiveEchoAsync(again, 4)).GetProperty("seq").GetInt64());
        await AssertNothingPendingAsync(again);
        Assert.Equal(2, target.GetStats().Sessions.SessionBufferOverflows);
        await CloseQuietlyAsync(again);
    }

    [Fact]
    public async Task Session_is_forgotten_after_the_resume_window()
    {
        await using var target = await StartAsync(new TargetOptions { SessionResumeWindow = TimeSpan.FromMilliseconds(200) });
        var (ws, _) = await HelloAsync(target, "s-forget");
        await SendMsgAsync(ws, 1);
        await ReceiveEchoAsync(ws, 1);
        await CloseQuietlyAsync(ws);

        var stats = await WaitForStatsAsync(target, s => s.Sessions.Expired == 1);
        Assert.Equal(1, stats.Sessions.Expired);

        var (again, welcome) = await HelloAsync(target, "s-forget", lastSeq: 1);
        Assert.False(welcome.GetProperty("resumed").GetBoolean());
        Assert.Equal(0, welcome.GetProperty("lastSeq").GetInt64());

        // A fresh session: server seqs start at 1 again.
        await SendMsgAsync(again, 1);
        Assert.Equal(1, (await ReceiveEchoAsync(again, 1)).GetProperty("seq").GetInt64());
        stats = target.GetStats();
        Assert.Equal(1, stats.Sessions.Forgotten);
        Assert.Equal(2, stats.Sessions.Created);
        Assert.Equal(0, stats.Sessions.Resumed);
        await CloseQuietlyAsync(again);
    }

    [Fact]
    public async Task Second_connection_supersedes_the_first()
    {
        await using var target = await StartAsync();
        var (first, _) = await HelloAsync(target, "s-switch");
        await SendMsgAsync(first, 1);
        await ReceiveEchoAsync(first, 1);

        // Make-before-break: the new path says hello while the old one is still open.
        var (second, welcome) = await HelloAsync(target, "s-switch", lastSeq: 1);
        Assert.True(welcome.GetProperty("resumed").GetBoolean());
        Assert.Equal(1, welcome.GetProperty("lastSeq").GetInt64());

        var closed = await ReceiveAsync(first);
        Assert.Equal(WebSocketMessageType.Close, closed.Type);
        Assert.Equal(WebSocketCloseStatus.NormalClosure, closed.CloseStatus);
        Assert.Equal("superseded", closed.CloseDescription);
        await CloseQuietlyAsync(first);

        await SendMsgAsync(second, 2);
        Assert.Equal(2, (await ReceiveEchoAsync(second, 2)).GetProperty("seq").GetInt64());

        var stats = await WaitForStatsAsync(target, s => s.OpenConnections == 1);
        Assert.Equal(1, stats.Sessions.Superseded);
        Assert.Equal(1, stats.Sessions.Active);
        Assert.Equal(1, stats.Closes.ServerInitiated.OrZero("1000"));
        await CloseQuietlyAsync(second);
    }

    [Fact]
    public async Task Pushes_arrive_in_seq_order_and_are_replayed_after_a_gap()
    {
        await using var target = await StartAsync(new TargetOptions { PushRate = 50 });
        var (ws, _) = await HelloAsync(target, "s-push");
        long last = 0;
        for (var i = 0; i < 3; i++)
        {
            var push = await ReceiveJsonAsync(ws);
            Assert.Equal("msg", push.GetProperty("type").GetString());
            Assert.False(push.TryGetProperty("echo", out _));
            Assert.True(push.GetProperty("ts").GetInt64() > 0);
            Assert.Equal(last + 1, push.GetProperty("seq").GetInt64());
            last++;
        }

        ws.Abort();
        ws.Dispose();
        await Task.Delay(200); // pushes keep being buffered while the session is away

        var (again, _) = await HelloAsync(target, "s-push", lastSeq: last);
        for (var i = 0; i < 5; i++)
        {
            var push = await ReceiveJsonAsync(again);
            Assert.Equal(last + 1, push.GetProperty("seq").GetInt64());
            last++;
        }

        var stats = target.GetStats();
        Assert.True(stats.Sessions.PushedMessages >= last);
        Assert.True(stats.Sessions.ReplayedMessages > 0);
        await CloseQuietlyAsync(again);
    }

    [Fact]
    public async Task Unknown_type_gets_an_error_and_invalid_json_closes_1008()
    {
        await using var target = await StartAsync();
        var (ws, _) = await HelloAsync(target, "s-bad");

        // auth.refresh is known (an extension), but a target without token checks rejects it.
        await SendJsonAsync(ws, new { type = "auth.refresh", token = "t" });
        var rejected = await ReceiveJsonAsync(ws);
        Assert.Equal("auth.rejected", rejected.GetProperty("type").GetString());
        Assert.Equal("authentication is off", rejected.GetProperty("reason").GetString());

        await SendJsonAsync(ws, new { type = "no.such.type", token = "t" });
        var error = await ReceiveJsonAsync(ws);
        Assert.Equal("error", error.GetProperty("type").GetString());
        Assert.Equal("unknown type", error.GetProperty("reason").GetString());

        await SendTextAsync(ws, "{not json");
        var close = await ReceiveAsync(ws);
        Assert.Equal(WebSocketCloseStatus.PolicyViolation, close.CloseStatus);
        Assert.Equal("invalid message", close.CloseDescription);
        await CloseQuietlyAsync(ws);

        var stats = await WaitForStatsAsync(target, s => s.OpenConnections == 0);
        Assert.Equal(1, stats.Sessions.UnknownTypes);
        Assert.Equal(1, stats.Sessions.InvalidMessages);
        Assert.Equal(1, stats.Closes.ServerInitiated.OrZero("1008"));
    }

    [Theory]
    [InlineData("""{"type":"msg","seq":"1","body":"x"}""")]
    [InlineData("""{"type":"msg","body":"x"}""")]
    [InlineData("""[1,2,3]""")]
    [InlineData("""{"type":"ack","seq":1} {"type":"ack","seq":2}""")]
    public async Task Wrong_field_types_and_shapes_close_1008(string frame)
    {
        await using var target = await StartAsync();
        var (ws, _) = await HelloAsync(target, "s-shape");
        await SendTextAsync(ws, frame);
        var close = await ReceiveAsync(ws);
        Assert.Equal(WebSocketCloseStatus.PolicyViolation, close.CloseStatus);
        await CloseQuietlyAsync(ws);
    }

    [Fact]
    public async Task Oversize_and_binary_frames_are_refused_in_session_mode()
    {
        await using var target = await StartAsync(new TargetOptions { MaxMessageSize = 200 });
        var (big, _) = await HelloAsync(target, "s-big");
        await SendMsgAsync(big, 1, new string('x', 500));
        var tooBig = await ReceiveAsync(big);
        Assert.Equal(WebSocketCloseStatus.MessageTooBig, tooBig.CloseStatus);
        await CloseQuietlyAsync(big);

        var (binary, _) = await HelloAsync(target, "s-binary");
        await binary.SendAsync(new byte[] { 1, 2, 3 }, WebSocketMessageType.Binary, true, CancellationToken.None);
        var refused = await ReceiveAsync(binary);
        Assert.Equal(WebSocketCloseStatus.InvalidMessageType, refused.CloseStatus);
        await CloseQuietlyAsync(binary);

        var stats = await WaitForStatsAsync(target, s => s.OpenConnections == 0);
        Assert.Equal(1, stats.Closes.ServerInitiated.OrZero("1009"));
        Assert.Equal(1, stats.Closes.ServerInitiated.OrZero("1003"));
    }

    [Fact]
    public async Task Deeply_nested_body_is_rejected_without_harm()
    {
        await using var target = await StartAsync();
        var (ws, _) = await HelloAsync(target, "s-deep");
        var deep = new string('[', 10_000) + new string(']', 10_000);
        await SendTextAsync(ws, $$"""{"type":"msg","seq":1,"body":{{deep}}}""");
        var close = await ReceiveAsync(ws);
        Assert.Equal(WebSocketCloseStatus.PolicyViolation, close.CloseStatus);
        await CloseQuietlyAsync(ws);

        // The target still serves new sessions.
        var (other, welcome) = await HelloAsync(target, "s-after");
        Assert.False(welcome.GetProperty("resumed").GetBoolean());
        await CloseQuietlyAsync(other);
    }
}
