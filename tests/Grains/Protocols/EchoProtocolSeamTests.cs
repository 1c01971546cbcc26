using Microsoft.Extensions.Time.Testing;
using SimCluster.Abstractions.Metrics;
using SimCluster.Abstractions.Plans;
using SimCluster.Grains.Metrics;
using SimCluster.Grains.Protocols;

namespace SimCluster.Tests.Grains.Protocols;

/// <summary>
/// The echo protocol through the seam (<see cref="IProtocol"/> from the registry) on fake time, the test playing
/// the echo server over a fake connection: correlation, loss, duplicates, late echoes, reordering, interruption.
/// </summary>
[Trait("Category", "Unit")]
public sealed class EchoProtocolSeamTests : IDisposable
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
    private readonly GroupRecorder _metrics = new("g");
    private readonly FakeChannel _channel = new();
    private readonly IProtocol _echo;

    public EchoProtocolSeamTests()
    {
        var plan = new MessagePlan { Interval = TimeSpan.FromSeconds(1), Size = 64, LossTimeout = TimeSpan.FromSeconds(2) };
        _echo = ProtocolRegistry.Create(ProtocolKind.Echo, new ProtocolContext(4, "unused", plan, _metrics, _time, new Random(8)));
        _echo.Schedule(_time.GetTimestamp(), _time.GetTimestamp() + 60 * _time.TimestampFrequency);
        _echo.Attach(_channel);
    }

    public void Dispose() => _echo.Dispose();

    private long this[string counter] => _metrics.Read(counter);

    /// <summary>The frames sent since the last call, by sequence number.</summary>
    private Dictionary<long, string> Sent() => _channel.Take().ToDictionary(t =>
    {
        Assert.True(EchoProtocol.TryParse(t, out var client, out var seq));
        Assert.Equal(4, client);
        return seq;
    });

    private void AssertBooksBalance() => Assert.Equal(this[MetricNames.MessagesSent],
        this[MetricNames.MessagesReceived] + this[MetricNames.MessagesLost] + this[MetricNames.MessagesInterrupted] + this[MetricNames.MessagesUnresolved]);

    [Fact]
    public void Each_echo_closes_its_message_and_gives_one_rtt_sample()
    {
        _time.Advance(TimeSpan.FromSeconds(3));
        var sent = Sent();
        Assert.Equal([1L, 2L, 3L], sent.Keys.Order());
        Assert.Equal(3, _echo.Pending);

        _time.Advance(TimeSpan.FromMilliseconds(40));
        foreach (var text in sent.Values) _echo.OnText(text);

        Assert.Equal(0, _echo.Pending);
        Assert.Equal(3, this[MetricNames.MessagesReceived]);
        Assert.Equal(3, HistogramCodec.Decode(_metrics.TakeSnapshot().Trends[MetricNames.MessageRtt]).TotalCount);
        AssertBooksBalance();
    }

    [Fact]
    public void An_echo_overdue_on_an_open_connection_is_lost_and_one_arriving_later_is_late_then_a_duplicate()
    {
        _time.Advance(TimeSpan.FromSeconds(1));
        var first = Sent().Single();
        _time.Advance(TimeSpan.FromSeconds(3)); // the next sends expire the first: 2 s loss timeout passed
        Sent();
        Assert.Equal(1, this[MetricNames.MessagesLost]);

        _echo.OnText(first.Value);
        Assert.Equal(1, this[MetricNames.MessagesLate]);
        Assert.Equal(0, this[MetricNames.MessagesDuplicated]);
        Assert.Equal(0, this[MetricNames.MessagesReceived]);

        _echo.OnText(first.Value);
        Assert.Equal(1, this[MetricNames.MessagesLate]);
        Assert.Equal(1, this[MetricNames.MessagesDuplicated]);
    }

    [Fact]
    public void A_second_echo_of_an_answered_message_is_a_duplicate_and_an_older_one_after_a_newer_is_reordered()
    {
        _time.Advance(TimeSpan.FromSeconds(2));
        var sent = Sent();
        _echo.OnText(sent[2]);
        _echo.OnText(sent[1]);
        _echo.OnText(sent[1]);

        Assert.Equal(2, this[MetricNames.MessagesReceived]);
        Assert.Equal(1, this[MetricNames.MessagesReordered]);
        Assert.Equal(1, this[MetricNames.MessagesDuplicated]);
        AssertBooksBalance();
    }

    [Fact]
    public void What_is_in_flight_when_the_connection_ends_is_interrupted_and_nothing_is_replayed()
    {
        _time.Advance(TimeSpan.FromSeconds(2));
        var sent = Sent();
        _echo.OnText(sent[1]);
        _echo.Detach();
        Assert.Equal(1, this[MetricNames.MessagesInterrupted]);

        var next = new FakeChannel();
        _echo.Attach(next);
        _time.Advance(TimeSpan.FromSeconds(1));
        var resent = next.Take();
        Assert.Single(resent);
        Assert.True(EchoProtocol.TryParse(resent[0], out _, out var seq));
        Assert.Equal(3, seq); // sequence numbers go on, message 2 is not sent again

        _echo.OnText(sent[2]); // its echo after all: already counted interrupted, so nothing more
        Assert.Equal(1, this[MetricNames.MessagesReceived]);
        Assert.Equal(0, this[MetricNames.MessagesDuplicated]);
    }

    [Fact]
    public void Text_that_is_not_ours_counts_nothing()
    {
        _time.Advance(TimeSpan.FromSeconds(1));
        Sent();
        _echo.OnText("""{"c":5,"s":1,"t":0,"p":"x"}"""); // another client's
        _echo.OnText("hello");
        Assert.Equal(0, this[MetricNames.MessagesReceived]);
        Assert.Equal(0, this[MetricNames.MessagesDuplicated]);
        Assert.Equal(1, _echo.Pending);
    }

    [Fact]
    public void A_frame_the_connection_refuses_is_not_counted_sent()
    {
        _channel.Open = false;
        _time.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal(0, this[MetricNames.MessagesSent]);
        Assert.Equal(0, _echo.Pending);
    }
}
