using Microsoft.Extensions.Time.Testing;
using SimCluster.Abstractions.Metrics;
using SimCluster.Abstractions.Plans;
using SimCluster.Grains.Metrics;
using SimCluster.Grains.Protocols;
using SimCluster.Grains.Protocols.SocketIo;
using SimCluster.Transport;

namespace SimCluster.Tests.Grains.Protocols.SocketIo;

/// <summary>The Socket.IO client on fake time over a fake channel: codec, handshake, acks, ping/pong, recovery, connect errors.</summary>
[Trait("Category", "Unit")]
public sealed class SocketioProtocolTests
{
    private const string Open = """0{"sid":"e1","upgrades":[],"pingInterval":300,"pingTimeout":200,"maxPayload":1000000}""";

    private static readonly MessagePlan Messages = new() { Interval = TimeSpan.FromSeconds(1), Size = 64, LossTimeout = TimeSpan.FromSeconds(2) };

    private static (SocketioProtocol Protocol, FakeTimeProvider Time, GroupRecorder Metrics) Create(SocketioPlan? plan = null, MessagePlan? messages = null)
    {
        var time = new FakeTimeProvider(DateTimeOffset.UnixEpoch.AddDays(20_000));
        var metrics = new GroupRecorder("g");
        var protocol = new SocketioProtocol(plan ?? new SocketioPlan(), messages ?? Messages, metrics, time, new Random(7));
        return (protocol, time, metrics);
    }

    [Theory]
    [InlineData("2[\"tick\",1]", '2', "/", null, "[\"tick\",1]")]
    [InlineData("27[\"x\"]", '2', "/", 7L, "[\"x\"]")]
    [InlineData("2/chat,7[\"x\"]", '2', "/chat", 7L, "[\"x\"]")]
    [InlineData("3/chat,12[]", '3', "/chat", 12L, "[]")]
    [InlineData("0{\"sid\":\"a\"}", '0', "/", null, "{\"sid\":\"a\"}")]
    [InlineData("4{\"message\":\"no\"}", '4', "/", null, "{\"message\":\"no\"}")]
    [InlineData("1/chat,", '1', "/chat", null, "")]
    public void Parses_a_packet(string text, char type, string nsp, long? id, string json)
    {
        Assert.True(SocketioPacket.TryParse(text, out var p));
        Assert.Equal(new SocketioPacket(type, nsp, id, json), p);
    }

    [Theory]
    [InlineData("")]
    [InlineData("7[]")]
    [InlineData("x")]
    [InlineData("51-[\"bin\",{\"_placeholder\":true,\"num\":0}]")]
    [InlineData("31234567890123456[]")] // an ack id beyond what we ever issue
    public void Refuses_what_is_no_packet(string text) => Assert.False(SocketioPacket.TryParse(text, out _));

    [Fact]
    public void The_upgrade_goes_to_the_engine_io_path_with_its_query()
    {
        Assert.Equal("ws://127.0.0.1:3000/socket.io/?EIO=4&transport=websocket", SocketioPacket.UpgradeUri(new Uri("ws://127.0.0.1:3000"), "/socket.io/").ToString());
        Assert.Equal("ws://h:1/io/?a=1&EIO=4&transport=websocket", SocketioPacket.UpgradeUri(new Uri("ws://h:1/x?a=1"), "/io/").ToString());
    }

    [Fact]
    public void Handshake_connects_the_namespace_with_the_token_and_is_ready_on_the_sid()
    {
        var (protocol, _, _) = Create(new SocketioPlan { Namespace = "/chat" });
        var ready = new List<bool>();
        protocol.Ready += ready.Add;
        protocol.Carry(new ConnectOptions { Target = new Uri("ws://127.0.0.1:1") }, "tok.en");
        var channel = new FakeChannel();
        protocol.Attach(channel);
        Assert.Empty(channel.Take());
        protocol.OnText(Open);
        Assert.Equal(["40/chat,{\"token\":\"tok.en\"}"], channel.Take());
        Assert.Equal((TimeSpan.FromMilliseconds(300), TimeSpan.FromMilliseconds(200)), protocol.PingTimes);
        protocol.OnText("40/chat,{\"sid\":\"s1\"}");
        Assert.Equal([false], ready);
    }

    [Fact]
    public void Events_ask_for_acks_and_acks_close_them_with_rtt_duplicates_and_losses_counted()
    {
        var (protocol, time, metrics) = Create();
        protocol.Schedule(time.GetTimestamp(), time.GetTimestamp() + (long)(10 * time.TimestampFrequency));
        var channel = new FakeChannel();
        protocol.Attach(channel);
        protocol.OnText(Open);
        protocol.OnText("40{\"sid\":\"s1\"}");
        channel.Take();
        for (var i = 0; i < 30; i++)
        {
            time.Advance(TimeSpan.FromMilliseconds(100));
            if (i % 2 == 1) protocol.OnText("2");
        }
        var sent = channel.Take().Where(f => f.StartsWith("42", StringComparison.Ordinal)).ToList();
        Assert.Equal(3, sent.Count);
        Assert.All(sent, f => Assert.Matches("^42[0-9]+\\[\"message\",\\{\"seq\":[0-9]+,", f));
        var ids = sent.Select(f => long.Parse(f[2..f.IndexOf('[')])).ToList();
        protocol.OnText($"43{ids[0]}[\"ok\"]");
        protocol.OnText($"43{ids[0]}[\"ok\"]"); // a second ack of the same id
        protocol.OnText($"43{ids[1]}not json"); // a malformed ack: failed, never a hang
        time.Advance(TimeSpan.FromSeconds(3));
        protocol.OnText("2");
        protocol.Finish();
        Assert.Equal(1, metrics.Read(MetricNames.MessagesReceived));
        Assert.Equal(1, metrics.Read(MetricNames.MessagesDuplicated));
        Assert.Equal(1, metrics.Read(MetricNames.MessagesFailed));
        Assert.Equal(1, metrics.Read(MetricNames.SocketioMalformed));
        Assert.True(metrics.Read(MetricNames.MessagesLost) >= 1);
        Assert.Equal(metrics.Read(MetricNames.MessagesSent),
            metrics.Read(MetricNames.MessagesReceived) + metrics.Read(MetricNames.MessagesFailed) + metrics.Read(MetricNames.MessagesLost)
            + metrics.Read(MetricNames.MessagesInterrupted) + metrics.Read(MetricNames.MessagesUnresolved));
    }

    [Fact]
    public void Pings_are_ponged_until_the_application_dies()
    {
        var (protocol, _, metrics) = Create(messages: new MessagePlan { Interval = TimeSpan.Zero });
        var channel = new FakeChannel();
        protocol.Attach(channel);
        protocol.OnText(Open);
        protocol.OnText("40{\"sid\":\"s1\"}");
        channel.Take();
        protocol.OnText("2");
        Assert.Equal(["3"], channel.Take());
        protocol.Abandon();
        protocol.OnText("2");
        Assert.Empty(channel.Take());
        Assert.Equal(0, metrics.Read(MetricNames.SocketioPingTimeouts));
    }

    [Fact]
    public void No_ping_within_interval_plus_timeout_gives_the_connection_up_once()
    {
        var (protocol, time, metrics) = Create(messages: new MessagePlan { Interval = TimeSpan.Zero });
        protocol.Attach(new FakeChannel());
        protocol.OnText(Open);
        time.Advance(TimeSpan.FromMilliseconds(450));
        protocol.OnText("2"); // in time: the deadline moves
        time.Advance(TimeSpan.FromMilliseconds(499));
        Assert.Equal(0, metrics.Read(MetricNames.SocketioPingTimeouts));
        time.Advance(TimeSpan.FromMilliseconds(2));
        Assert.Equal(1, metrics.Read(MetricNames.SocketioPingTimeouts));
        time.Advance(TimeSpan.FromSeconds(5));
        Assert.Equal(1, metrics.Read(MetricNames.SocketioPingTimeouts));
    }

    [Fact]
    public void Recovery_presents_pid_and_last_offset_and_counts_a_recovered_connect()
    {
        var (protocol, _, metrics) = Create(new SocketioPlan { Recovery = true, PushEvents = ["tick"], PushSequence = "seq" }, new MessagePlan { Interval = TimeSpan.Zero });
        Assert.True(protocol.Resumes);
        var ready = new List<bool>();
        protocol.Ready += ready.Add;
        var first = new FakeChannel();
        protocol.Attach(first);
        protocol.OnText(Open);
        Assert.Equal(["40"], first.Take());
        protocol.OnText("40{\"sid\":\"s1\",\"pid\":\"p1\"}");
        protocol.OnText("42[\"tick\",{\"seq\":1},\"off-1\"]");
        protocol.OnText("42[\"tick\",{\"seq\":2},\"off-2\"]");
        Assert.Equal(("p1", "off-2"), protocol.RecoveryState);
        protocol.Detach();

        var second = new FakeChannel();
        protocol.Attach(second);
        protocol.OnText(Open);
        Assert.Equal(["40{\"pid\":\"p1\",\"offset\":\"off-2\"}"], second.Take());
        protocol.OnText("40{\"sid\":\"s2\",\"pid\":\"p1\"}");
        protocol.OnText("42[\"tick\",{\"seq\":3},\"off-3\"]"); // replayed
        protocol.OnText("42[\"tick\",{\"seq\":5},\"off-5\"]"); // 4 never comes
        protocol.Detach();

        var third = new FakeChannel();
        protocol.Attach(third);
        protocol.OnText(Open);
        third.Take();
        protocol.OnText("40{\"sid\":\"s3\",\"pid\":\"p9\"}"); // the server had forgotten the session
        protocol.Finish();
        Assert.Equal([false, true, false], ready);
        Assert.Equal(1, metrics.Read(MetricNames.SocketioRecovered));
        Assert.Equal(4, metrics.Read(MetricNames.PushesReceived));
        Assert.Equal(1, metrics.Read(MetricNames.PushesLost));
    }

    [Theory]
    [InlineData("44{\"message\":\"Invalid namespace\"}", 0, "connect:socketio-invalid-namespace")]
    [InlineData("44{\"message\":\"not authorized\"}", 1, "connect:socketio-rejected")]
    [InlineData("44not json", 1, "connect:socketio-rejected")]
    public void A_connect_error_is_counted_classified_and_gives_the_connection_up(string frame, int authRejections, string cause)
    {
        var (protocol, _, metrics) = Create(messages: new MessagePlan { Interval = TimeSpan.Zero });
        var ready = 0;
        protocol.Ready += _ => ready++;
        var failures = new List<ProtocolFailure>();
        ((IProtocol)protocol).Failed += failures.Add;
        protocol.Carry(new ConnectOptions { Target = new Uri("ws://127.0.0.1:1") }, "t");
        protocol.Attach(new FakeChannel());
        protocol.OnText(Open);
        protocol.OnText(frame);
        protocol.OnText("40{\"sid\":\"s1\"}"); // a connect after the refusal, on the same connection
        protocol.OnText(frame); // a refusal after a connect refuses nothing
        Assert.Equal(1, metrics.Read(MetricNames.SocketioConnectErrors));
        Assert.Equal(authRejections, metrics.Read(MetricNames.AuthRejections));
        Assert.Equal(1, ready);
        Assert.Equal([new ProtocolFailure(cause, ClosedByServer: false, Handshake: true)], failures);
    }

    [Fact]
    public void A_namespace_the_server_disconnects_and_a_silent_server_end_the_connection_with_their_causes()
    {
        var (protocol, time, _) = Create(messages: new MessagePlan { Interval = TimeSpan.Zero });
        var failures = new List<ProtocolFailure>();
        ((IProtocol)protocol).Failed += failures.Add;
        protocol.Attach(new FakeChannel());
        protocol.OnText(Open);
        protocol.OnText("40{\"sid\":\"s1\"}");
        protocol.OnText("41");
        Assert.Equal([new ProtocolFailure("server:socketio-disconnect", ClosedByServer: true)], failures);
        time.Advance(TimeSpan.FromMilliseconds(501));
        Assert.Equal(new ProtocolFailure("heartbeat:socketio-ping-timeout", ClosedByServer: false, ServerTimeout: true), failures[^1]);
        Assert.Equal(2, failures.Count);
    }

    [Fact]
    public void An_ack_for_an_id_never_sent_is_counted_malformed_and_answers_nothing()
    {
        var (protocol, time, metrics) = Create();
        protocol.Schedule(time.GetTimestamp(), time.GetTimestamp() + (long)(10 * time.TimestampFrequency));
        var channel = new FakeChannel();
        protocol.Attach(channel);
        protocol.OnText(Open);
        protocol.OnText("40{\"sid\":\"s1\"}");
        for (var i = 0; i < 11; i++)
        {
            time.Advance(TimeSpan.FromMilliseconds(100));
            protocol.OnText("2");
        }
        var sent = channel.Take().Where(f => f.StartsWith("42", StringComparison.Ordinal)).ToList();
        var id = long.Parse(sent[0][2..sent[0].IndexOf('[')]);
        protocol.OnText($"43{id + 1000}[]");
        protocol.OnText("430[]");
        Assert.Equal(2, metrics.Read(MetricNames.SocketioMalformed));
        Assert.Equal(sent.Count, protocol.Pending);
        protocol.OnText($"43{id}[{{\"seq\":{id}}}]");
        Assert.Equal(1, metrics.Read(MetricNames.MessagesReceived));
        Assert.Equal(0, metrics.Read(MetricNames.MessagesDuplicated));
        Assert.Equal(0, metrics.Read(MetricNames.MessagesFailed));
    }

    [Fact]
    public void Args_and_event_shape_the_frame_and_without_acks_nothing_waits_for_an_answer()
    {
        var plan = new SocketioPlan { Namespace = "/chat", Event = "chat:send", Args = """["room-{client}", {"n": {seq}, "text": "{body}"}]""", Ack = false };
        var time = new FakeTimeProvider(DateTimeOffset.UnixEpoch.AddDays(20_000));
        var metrics = new GroupRecorder("g");
        var protocol = new SocketioProtocol(plan, Messages with { Size = 80 }, metrics, time, new Random(7), clientIndex: 3);
        Assert.False(protocol.Resumes);
        protocol.Schedule(time.GetTimestamp(), time.GetTimestamp() + (long)(10 * time.TimestampFrequency));
        var channel = new FakeChannel();
        protocol.Attach(channel);
        protocol.OnText(Open);
        protocol.OnText("40/chat,{\"sid\":\"s1\"}");
        for (var i = 0; i < 12; i++)
        {
            time.Advance(TimeSpan.FromMilliseconds(250));
            protocol.OnText("2");
        }
        var events = channel.Take().Where(f => f.StartsWith("42", StringComparison.Ordinal)).ToList();
        Assert.True(events.Count >= 2, $"{events.Count} events");
        Assert.All(events, f => Assert.Matches("""^42/chat,\["chat:send","room-3", \{"n": [0-9]+, "text": "x*"\}\]$""", f));
        Assert.All(events, f => Assert.Equal(80, f.Length));
        Assert.Equal(0, protocol.Pending);
        protocol.OnText("43/chat,1[]"); // an ack nobody asked for
        protocol.StopSending();
        time.Advance(TimeSpan.FromSeconds(5));
        protocol.Finish();
        Assert.Equal(events.Count, metrics.Read(MetricNames.MessagesSent));
        Assert.Equal(events.Count, metrics.Read(MetricNames.MessagesUnacked));
        Assert.Equal(0, metrics.Read(MetricNames.MessagesLost) + metrics.Read(MetricNames.MessagesReceived) + metrics.Read(MetricNames.MessagesInterrupted));
        Assert.Equal(1, metrics.Read(MetricNames.SocketioMalformed));
    }

    [Fact]
    public void Each_named_push_event_is_its_own_stream_and_other_events_are_only_counted()
    {
        var (protocol, _, metrics) = Create(new SocketioPlan { PushEvents = ["tick", "news"], PushSequence = "seq" }, new MessagePlan { Interval = TimeSpan.Zero });
        protocol.Attach(new FakeChannel());
        protocol.OnText(Open);
        protocol.OnText("40{\"sid\":\"s1\"}");
        foreach (var frame in new[] { """42["tick",{"seq":1}]""", """42["news",{"seq":7}]""", """42["tick",{"seq":3}]""", """42["news",{"seq":8}]""", """42["other",{"seq":99}]""", """42["tick",{"seq":3}]""" })
            protocol.OnText(frame);
        protocol.Finish();
        Assert.Equal(5, metrics.Read(MetricNames.PushesReceived));
        Assert.Equal(1, metrics.Read(MetricNames.PushesLost)); // tick 2
        Assert.Equal(1, metrics.Read(MetricNames.PushesDuplicated));
    }

    [Theory]
    [InlineData("9")]
    [InlineData("0not json")]
    [InlineData("42not json")]
    [InlineData("42[1,2]")]
    [InlineData("47[]")]
    [InlineData("43[]")]
    public void Garbage_is_counted_malformed_and_changes_nothing_else(string frame)
    {
        var (protocol, _, metrics) = Create(messages: new MessagePlan { Interval = TimeSpan.Zero });
        var channel = new FakeChannel();
        protocol.Attach(channel);
        if (frame[0] != '0') protocol.OnText(Open);
        channel.Take();
        protocol.OnText(frame);
        Assert.Equal(1, metrics.Read(MetricNames.SocketioMalformed));
        Assert.Equal(0, metrics.Read(MetricNames.PushesReceived));
    }

    [Fact]
    public void A_server_event_asking_for_an_ack_is_acknowledged()
    {
        var (protocol, _, metrics) = Create(messages: new MessagePlan { Interval = TimeSpan.Zero });
        var channel = new FakeChannel();
        protocol.Attach(channel);
        protocol.OnText(Open);
        protocol.OnText("40{\"sid\":\"s1\"}");
        channel.Take();
        protocol.OnText("29[\"hello\",1]".Insert(0, "4"));
        Assert.Equal(["439[]"], channel.Take());
        Assert.Equal(1, metrics.Read(MetricNames.PushesReceived));
    }
}
