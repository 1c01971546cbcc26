using System.Text.Json;
using HdrHistogram;
using Microsoft.Extensions.Time.Testing;
using SimCluster.Abstractions.Metrics;
using SimCluster.Abstractions.Plans;
using SimCluster.Grains.Clients;
using SimCluster.Grains.Protocols;
using SimCluster.Grains.Metrics;
using SimCluster.Tests.Support;

namespace SimCluster.Tests.Grains.Protocols;

/// <summary>
/// The session protocol's books, on fake time with the test playing the server frame by frame: the open-loop
/// schedule, what counts as lost in both directions, replays, and a hostile server's numbers.
/// </summary>
[Trait("Category", "Unit")]
public sealed class SessionBooksTests
{
    private static readonly DateTimeOffset T0 = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private sealed class Rig : IDisposable
    {
        public FakeTimeProvider Time { get; } = new(T0);
        public GroupRecorder Metrics { get; } = new("g");
        public RecordingConnection Connection { get; private set; } = new();
        public SessionProtocol Session { get; }
        private long _serverSeq;

        public Rig(TimeSpan interval, TimeSpan? window = null, TimeSpan? lossTimeout = null)
        {
            Session = new SessionProtocol("s-1", new MessagePlan { Interval = interval, Size = 64, LossTimeout = lossTimeout ?? TimeSpan.FromSeconds(5) }, Metrics, Time, new Random(5));
            if (window is { } w) Session.Schedule(Time.GetTimestamp(), Time.GetTimestamp() + (long)(w.TotalSeconds * Time.TimestampFrequency));
        }

        public long this[string counter] => Metrics.Read(counter);

        public void Connect(bool resumed = true, long serverHolds = 0, bool newNumbering = false)
        {
            Connection = new RecordingConnection();
            Session.Attach(Connection);
            Assert.Contains("\"type\":\"hello\"", Connection.Take()[0]);
            if (newNumbering) _serverSeq = 0;
            Session.OnText($$"""{"type":"welcome","session":"s-1","resumed":{{(resumed ? "true" : "false")}},"lastSeq":{{serverHolds}}}""");
        }

        /// <summary>The client messages sent so far (their seq), taken out.</summary>
        public List<long> TakeSent() => [.. Connection.Take()
            .Select(t => JsonDocument.Parse(t).RootElement)
            .Where(e => e.GetProperty("type").GetString() == "msg")
            .Select(e => e.GetProperty("seq").GetInt64())];

        /// <summary>The server numbers its echo of <paramref name="clientSeq"/>; <paramref name="deliver"/> false drops it after numbering.</summary>
        public void Echo(long clientSeq, bool deliver = true)
        {
            var seq = ++_serverSeq;
            if (deliver) Session.OnText($$"""{"type":"msg","seq":{{seq}},"echo":{{clientSeq}},"ts":0,"body":"x"}""");
        }

        public void Dispose()
        {
            Session.Dispose();
            Connection.Dispose();
        }
    }

    [Fact]
    public void A_late_fire_sends_every_slot_that_came_due_instead_of_skipping_them()
    {
        using var rig = new Rig(TimeSpan.FromMilliseconds(200), window: TimeSpan.FromSeconds(10));
        rig.Connect();
        rig.Time.Advance(TimeSpan.FromSeconds(1)); // one late fire: five slots were due
        Assert.Equal(5, rig[MetricNames.MessagesSent]);
        Assert.Equal([1L, 2, 3, 4, 5], rig.TakeSent());
    }

    [Fact]
    public void An_interval_above_a_second_keeps_its_own_rhythm()
    {
        using var rig = new Rig(TimeSpan.FromMilliseconds(1500), window: TimeSpan.FromSeconds(6));
        rig.Connect();
        for (var i = 0; i < 80; i++) rig.Time.Advance(TimeSpan.FromMilliseconds(100)); // 8 s in small steps
        Assert.Equal(4, rig[MetricNames.MessagesSent]); // phase + 0, 1.5, 3, 4.5 s (whole seconds gave 3)
        rig.Session.Finish();
        Assert.Equal(4, rig[MetricNames.MessagesPlanned]);
    }

    [Fact]
    public void Slots_due_before_the_welcome_go_out_with_it()
    {
        using var rig = new Rig(TimeSpan.FromMilliseconds(100), window: TimeSpan.FromSeconds(10));
        rig.Session.Attach(rig.Connection);
        rig.Time.Advance(TimeSpan.FromMilliseconds(600)); // a satellite link: the welcome takes its time
        Assert.Equal(0, rig[MetricNames.MessagesSent]);
        rig.Session.OnText("""{"type":"welcome","session":"s-1","resumed":false,"lastSeq":0}""");
        Assert.Equal(6, rig[MetricNames.MessagesSent]);
    }

    [Fact]
    public void A_message_the_server_discarded_before_numbering_it_is_lost_though_later_ones_were_echoed()
    {
        using var rig = new Rig(TimeSpan.FromMilliseconds(100));
        rig.Connect();
        rig.Time.Advance(TimeSpan.FromMilliseconds(300));
        Assert.Equal([1L, 2, 3], rig.TakeSent());
        rig.Echo(1);
        rig.Echo(3); // 2 never numbered: no gap in the server's sequence
        rig.Session.Detach();
        rig.Session.Finish();
        Assert.Equal(1, rig[MetricNames.MessagesLost]);
    }

    [Fact]
    public void A_lost_echo_is_one_loss_not_two()
    {
        using var rig = new Rig(TimeSpan.FromMilliseconds(100));
        rig.Connect();
        rig.Time.Advance(TimeSpan.FromMilliseconds(300));
        rig.TakeSent();
        rig.Echo(1);
        rig.Echo(2, deliver: false); // numbered 2, never sent: a gap that is message 2's echo
        rig.Echo(3);
        rig.Session.Detach();
        rig.Session.Finish();
        Assert.Equal(1, rig[MetricNames.MessagesLost]);
        Assert.Equal(2, rig[MetricNames.MessagesReceived]);
    }

    [Fact]
    public void Gaps_of_a_session_the_server_forgot_are_lost()
    {
        using var rig = new Rig(TimeSpan.FromMilliseconds(100));
        rig.Connect();
        rig.Time.Advance(TimeSpan.FromMilliseconds(300));
        rig.TakeSent();
        rig.Echo(1);
        rig.Echo(2, deliver: false);
        rig.Echo(3);
        rig.Session.Detach();
        rig.Connect(resumed: false, newNumbering: true); // forgotten: seq 2 will never come
        Assert.Equal(1, rig[MetricNames.SessionsForgotten]);
        Assert.Equal(1, rig[MetricNames.MessagesLost]);
        var replayed = rig.TakeSent();
        Assert.Contains(2L, replayed); // message 2 itself is replayed to the new session
        rig.Echo(2);
        rig.Session.Detach();
        rig.Session.Finish();
        Assert.Equal(1, rig[MetricNames.MessagesLost]);
    }

    [Fact]
    public void A_replayed_message_is_timed_from_its_last_send()
    {
        using var rig = new Rig(TimeSpan.FromMilliseconds(100), window: TimeSpan.FromMilliseconds(100));
        rig.Connect();
        rig.Time.Advance(TimeSpan.FromMilliseconds(100));
        Assert.Equal([1L], rig.TakeSent());
        rig.Session.Detach();
        rig.Time.Advance(TimeSpan.FromSeconds(10)); // ten seconds down
        rig.Connect(serverHolds: 0);
        Assert.Equal([1L], rig.TakeSent()); // replayed
        rig.Time.Advance(TimeSpan.FromMilliseconds(40));
        rig.Echo(1);
        var rtt = HistogramCodec.Decode(rig.Metrics.TakeSnapshot().Trends[MetricNames.MessageRtt]);
        Assert.Equal(1, rtt.TotalCount);
        Assert.InRange(rtt.GetMaxValue(), 39_000, 41_000); // 40 ms, not 10 s
    }

    [Fact]
    public void Messages_abandoned_unanswered_are_counted_interrupted()
    {
        using var rig = new Rig(TimeSpan.FromMilliseconds(100));
        rig.Connect();
        rig.Time.Advance(TimeSpan.FromMilliseconds(300));
        rig.Echo(1);
        rig.Session.Abandon();
        Assert.Equal(2, rig[MetricNames.MessagesInterrupted]);
        rig.Session.Finish();
        Assert.Equal(3, rig[MetricNames.MessagesSent]);
        Assert.Equal(rig[MetricNames.MessagesSent], rig[MetricNames.MessagesReceived] + rig[MetricNames.MessagesLost] + rig[MetricNames.MessagesInterrupted]);
    }

    [Fact]
    public async Task The_drain_books_what_is_overdue_lost_and_what_is_inside_its_window_unresolved()
    {
        using var rig = new Rig(TimeSpan.FromMilliseconds(500), window: TimeSpan.FromSeconds(2), lossTimeout: TimeSpan.FromSeconds(3));
        rig.Connect();
        for (var i = 0; i < 20; i++) rig.Time.Advance(TimeSpan.FromMilliseconds(100)); // on time: at phase, 0.5, 1, 1.5 s
        Assert.Equal([1L, 2, 3, 4], rig.TakeSent());
        rig.Echo(1);
        var drained = rig.Session.DrainAsync(TimeSpan.FromMilliseconds(1800));
        rig.Time.Advance(TimeSpan.FromMilliseconds(1800)); // message 2 (out at 0.6 s) is overdue by then, 3 and 4 are not
        await drained.WaitAsync(TimeSpan.FromSeconds(10));
        rig.Session.Detach();
        rig.Session.Finish();
        Assert.Equal(1, rig[MetricNames.MessagesLost]);
        Assert.Equal(2, rig[MetricNames.MessagesUnresolved]);
        Assert.Equal(4, rig[MetricNames.MessagesSent]);
    }

    // ---------------------------------------------------------------- hostile servers (issue 23)

    [Fact]
    public void A_sequence_number_near_the_top_of_long_cannot_overflow_the_loss_count()
    {
        using var rig = new Rig(TimeSpan.FromMilliseconds(100));
        rig.Connect();
        rig.Time.Advance(TimeSpan.FromMilliseconds(100));
        rig.Session.OnText("""{"type":"msg","seq":9223372036854775807,"echo":1,"ts":0,"body":"x"}""");
        rig.Session.Detach();
        rig.Session.Finish();
        Assert.Equal(1, rig[MetricNames.SessionProtocolErrors]);
        Assert.Equal(1, rig[MetricNames.MessagesLost]); // message 1, never properly echoed
    }

    [Fact]
    public void A_server_numbering_with_gaps_holds_bounded_state_and_every_gap_is_lost()
    {
        using var rig = new Rig(TimeSpan.Zero);
        rig.Connect();
        for (var seq = 2L; seq <= 20_000; seq += 2) rig.Session.OnText($$"""{"type":"msg","seq":{{seq}},"ts":0,"body":"x"}""");
        Assert.True(rig.Session.HeldAhead <= SessionProtocol.MaxHeldAhead, $"{rig.Session.HeldAhead} held");
        Assert.True(rig[MetricNames.SessionGapsAbandoned] > 0);
        rig.Session.Detach();
        rig.Session.Finish();
        Assert.Equal(10_000, rig[MetricNames.MessagesReceived]);
        Assert.Equal(10_000, rig[MetricNames.MessagesLost]); // 1, 3, 5, ... 19,999
    }

    [Theory]
    [InlineData("""{"type":"msg","seq":99999999999999999999,"ts":0}""")]
    [InlineData("""{"type":"msg","seq":1e400,"ts":0}""")]
    [InlineData("""{"type":"msg","seq":1.5,"ts":0}""")]
    [InlineData("""{"type":"msg","seq":-4,"ts":0}""")]
    [InlineData("""{"type":"msg","seq":"7","ts":0}""")]
    [InlineData("""{"type":"msg","seq":1,"echo":18446744073709551616}""")]
    [InlineData("""{"type":"welcome","session":"s-1","resumed":true,"lastSeq":1e30}""")]
    public void A_garbled_number_is_a_counted_protocol_error_that_keeps_the_connection(string frame)
    {
        using var rig = new Rig(TimeSpan.FromMilliseconds(100));
        rig.Connect();
        rig.Session.OnText(frame); // must not throw: a throw ends the receive loop and the connection with it
        Assert.Equal(1, rig[MetricNames.SessionProtocolErrors]);
        Assert.True(rig.Connection.IsOpen);
        rig.Time.Advance(TimeSpan.FromMilliseconds(100));
        Assert.Equal(1, rig[MetricNames.MessagesSent]); // and it goes on sending
    }
}
