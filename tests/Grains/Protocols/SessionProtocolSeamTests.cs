using System.Text.Json;
using Microsoft.Extensions.Time.Testing;
using SimCluster.Abstractions.Metrics;
using SimCluster.Abstractions.Plans;
using SimCluster.Grains.Auth;
using SimCluster.Grains.Metrics;
using SimCluster.Grains.Protocols;

namespace SimCluster.Tests.Grains.Protocols;

/// <summary>
/// The session protocol through the seam (<see cref="IProtocol"/> from the registry) on fake time, the test playing
/// the server over fake connections: the handshake before anything is sent, correlation, duplicates both ways,
/// resumption with replay after a reconnect, the app-level heartbeat and the in-band refresh frames.
/// </summary>
[Trait("Category", "Unit")]
public sealed class SessionProtocolSeamTests : IDisposable
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
    private readonly GroupRecorder _metrics = new("g");
    private readonly IProtocol _session;
    private readonly List<bool> _ready = [];
    private FakeChannel _channel = new();
    private long _serverSeq;

    public SessionProtocolSeamTests()
    {
        var plan = new MessagePlan { Interval = TimeSpan.FromSeconds(1), Size = 64, LossTimeout = TimeSpan.FromSeconds(5) };
        _session = ProtocolRegistry.Create(ProtocolKind.Session, new ProtocolContext(2, "s-2", plan, _metrics, _time, new Random(6)));
        _session.Ready += _ready.Add;
        _session.Schedule(_time.GetTimestamp(), _time.GetTimestamp() + 60 * _time.TimestampFrequency);
    }

    public void Dispose() => _session.Dispose();

    private long this[string counter] => _metrics.Read(counter);

    private static JsonElement Parse(string frame) => JsonDocument.Parse(frame).RootElement;

    /// <summary>Attaches a new connection and answers its hello; returns the lastSeq the hello carried.</summary>
    private long Connect(bool resumed, long serverHolds)
    {
        _channel = new FakeChannel();
        _session.Attach(_channel);
        var hello = Parse(Assert.Single(_channel.Take()));
        Assert.Equal("hello", hello.GetProperty("type").GetString());
        Assert.Equal("s-2", hello.GetProperty("session").GetString());
        _session.OnText($$"""{"type":"welcome","session":"s-2","resumed":{{(resumed ? "true" : "false")}},"lastSeq":{{serverHolds}}}""");
        return hello.GetProperty("lastSeq").GetInt64();
    }

    /// <summary>The client messages sent since the last call (acks and pings left out), by their seq.</summary>
    private List<long> SentMessages() => [.. _channel.Take().Select(Parse)
        .Where(e => e.GetProperty("type").GetString() == "msg").Select(e => e.GetProperty("seq").GetInt64())];

    private void ServerEchoes(long clientSeq) =>
        _session.OnText($$"""{"type":"msg","seq":{{++_serverSeq}},"echo":{{clientSeq}},"ts":0,"body":"x"}""");

    [Fact]
    public void Nothing_is_sent_before_the_welcome_and_what_came_due_meanwhile_goes_right_after_it()
    {
        _session.Attach(_channel);
        Assert.Equal("hello", Parse(Assert.Single(_channel.Take())).GetProperty("type").GetString());
        _time.Advance(TimeSpan.FromSeconds(2));
        Assert.Empty(_channel.Take());
        Assert.Empty(_ready);
        Assert.Equal(0, this[MetricNames.MessagesSent]);

        _session.OnText("""{"type":"welcome","session":"s-2","resumed":false,"lastSeq":0}""");

        Assert.Equal([false], _ready);
        Assert.Equal([1L, 2L], SentMessages());
        Assert.Equal(2, this[MetricNames.MessagesSent]);
    }

    [Fact]
    public void Echoes_close_their_messages_and_a_second_echo_or_a_repeated_server_seq_is_a_duplicate()
    {
        Connect(resumed: false, serverHolds: 0);
        _time.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal([1L, 2L], SentMessages());

        ServerEchoes(1);
        ServerEchoes(2);
        Assert.Equal(0, _session.Pending);
        Assert.Equal(2, this[MetricNames.MessagesReceived]);
        Assert.Equal(2, HistogramCodec.Decode(_metrics.TakeSnapshot().Trends[MetricNames.MessageRtt]).TotalCount);

        _session.OnText("""{"type":"msg","seq":2,"echo":2,"ts":0,"body":"x"}"""); // the same server message again
        Assert.Equal(1, this[MetricNames.MessagesDuplicated]);
        ServerEchoes(1); // a new server message echoing client message 1 a second time
        Assert.Equal(2, this[MetricNames.MessagesDuplicated]);

        _session.Finish();
        Assert.Equal(0, this[MetricNames.MessagesLost]);
    }

    [Fact]
    public void After_a_reconnect_the_client_resumes_replays_only_what_the_server_lacks_and_loses_nothing()
    {
        Connect(resumed: false, serverHolds: 0);
        _time.Advance(TimeSpan.FromSeconds(3));
        Assert.Equal([1L, 2L, 3L], SentMessages());
        ServerEchoes(1);
        _session.Detach(); // the link dies; 2 and 3 are unechoed, kept for replay
        Assert.Equal(0, this[MetricNames.MessagesInterrupted]);
        Assert.Equal(2, _session.Pending);

        _time.Advance(TimeSpan.FromMilliseconds(500));
        var helloLastSeq = Connect(resumed: true, serverHolds: 2); // the server has client message 2, not 3

        Assert.Equal(1, helloLastSeq); // the client holds server message 1
        Assert.Equal([true], _ready.Skip(1));
        Assert.Equal([3L], SentMessages());
        Assert.Equal(1, this[MetricNames.MessagesReplayed]);

        ServerEchoes(2); // the echo of 2, late, on the new connection
        ServerEchoes(3);
        Assert.Equal(0, _session.Pending);
        _session.Finish();
        Assert.Equal(0, this[MetricNames.MessagesLost]);
        Assert.Equal(0, this[MetricNames.MessagesDuplicated]);
        Assert.Equal(3, this[MetricNames.MessagesReceived]);
    }

    [Fact]
    public void A_server_that_forgot_the_session_counts_its_undelivered_messages_lost()
    {
        Connect(resumed: false, serverHolds: 0);
        _time.Advance(TimeSpan.FromSeconds(1));
        SentMessages();
        _session.OnText("""{"type":"msg","seq":3,"body":"push"}"""); // a push; server messages 1 and 2 never came
        _session.Detach();

        Connect(resumed: false, serverHolds: 0);

        Assert.Equal(1, this[MetricNames.SessionsForgotten]);
        Assert.Equal(2, this[MetricNames.MessagesLost]);
        Assert.Equal([false, false], _ready);
    }

    [Fact]
    public void Abandoning_interrupts_what_was_unechoed_instead_of_replaying_it()
    {
        Connect(resumed: false, serverHolds: 0);
        _time.Advance(TimeSpan.FromSeconds(2));
        SentMessages();
        _session.Abandon();
        Assert.Equal(2, this[MetricNames.MessagesInterrupted]);
        Assert.Equal(0, _session.Pending);
    }

    [Fact]
    public void The_app_level_heartbeat_is_a_ping_frame_whose_pong_hands_the_timestamp_back()
    {
        Connect(resumed: false, serverHolds: 0);
        var heartbeat = _session.Heartbeat!;
        var pongs = new List<long>();
        heartbeat.PongSeen += pongs.Add;

        heartbeat.SendPing(12345);
        var ping = Parse(Assert.Single(_channel.Take()));
        Assert.Equal("ping", ping.GetProperty("type").GetString());
        Assert.Equal(12345, ping.GetProperty("ts").GetInt64());

        _session.OnText("""{"type":"pong","ts":12345}""");
        Assert.Equal([12345L], pongs);
    }

    [Fact]
    public void The_refresh_frames_offer_the_token_and_read_the_answers()
    {
        var frames = _session.RefreshFrames!;
        var offer = Parse(frames.Refresh("a\"b"));
        Assert.Equal("auth.refresh", offer.GetProperty("type").GetString());
        Assert.Equal("a\"b", offer.GetProperty("token").GetString());

        Assert.Equal(RefreshAnswer.Refreshed, frames.Read("""{"type":"auth.refreshed","exp":1}""", waiting: true));
        Assert.Equal(RefreshAnswer.Rejected, frames.Read("""{"type":"auth.rejected"}""", waiting: false));
        Assert.Null(frames.Read("""{"type":"msg","seq":1,"body":"auth.refreshed"}""", waiting: true));
        Assert.Null(frames.Read("""{"type":"auth.refreshed""", waiting: true)); // not JSON
    }
}
