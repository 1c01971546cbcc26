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
/// The echo protocol's books at the edges of a run, on fake time with the test playing the server: the
/// open-loop schedule, the drain at the end (lost, unresolved, never interrupted by our own close), loss
/// before a drop, late echoes.
/// </summary>
[Trait("Category", "Unit")]
public sealed class EchoEndOfRunTests
{
    private static readonly DateTimeOffset T0 = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private sealed class Rig : IDisposable
    {
        public FakeTimeProvider Time { get; } = new(T0);
        public GroupRecorder Metrics { get; } = new("g");
        public RecordingConnection Connection { get; } = new();
        public EchoProtocol Echo { get; }

        public Rig(TimeSpan interval, TimeSpan lossTimeout, TimeSpan? window = null)
        {
            Echo = new EchoProtocol(7, new MessagePlan { Interval = interval, Size = 64, LossTimeout = lossTimeout }, Metrics, Time, new Random(11));
            if (window is { } w) Echo.Schedule(Time.GetTimestamp(), Time.GetTimestamp() + (long)(w.TotalSeconds * Time.TimestampFrequency));
            Echo.Attach(Connection);
        }

        public long this[string counter] => Metrics.Read(counter);

        /// <summary>Echoes every message sent so far except those <paramref name="drop"/> picks (by sequence number).</summary>
        public void EchoAll(Func<long, bool>? drop = null)
        {
            foreach (var text in Connection.Take())
            {
                Assert.True(EchoProtocol.TryParse(text, out _, out var seq));
                if (drop?.Invoke(seq) != true) Echo.OnText(text);
            }
        }

        public void AssertBooksBalance() => Assert.Equal(
            this[MetricNames.MessagesSent],
            this[MetricNames.MessagesReceived] + this[MetricNames.MessagesLost] + this[MetricNames.MessagesInterrupted] + this[MetricNames.MessagesUnresolved]);

        public void Dispose()
        {
            Echo.Dispose();
            Connection.Dispose();
        }
    }

    [Fact]
    public void A_late_timer_sends_every_slot_that_came_due_and_send_lag_shows_how_late()
    {
        using var rig = new Rig(TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(5), window: TimeSpan.FromSeconds(10));

        rig.Time.Advance(TimeSpan.FromSeconds(1)); // one fire, a whole second late

        Assert.Equal(10, rig[MetricNames.MessagesSent]);
        var lag = HistogramCodec.Decode(rig.Metrics.TakeSnapshot().Trends[MetricNames.SendLag]);
        Assert.Equal(10, lag.TotalCount);
        // Slot k was due at phase + k x 100 ms and went out at 1 s: the first one 900 ms or more late, the last under 100 ms.
        Assert.True(lag.GetMaxValue() >= 900_000, $"max lag {lag.GetMaxValue()} us");
        Assert.True(HistogramCodec.ToMicros(TimeSpan.FromMilliseconds(100)) >= lag.GetValueAtPercentile(0), $"min lag {lag.GetValueAtPercentile(0)} us");

        rig.Time.Advance(TimeSpan.FromMilliseconds(100)); // back on schedule: one more slot, on time
        Assert.Equal(11, rig[MetricNames.MessagesSent]);
    }

    [Fact]
    public void Sending_stops_at_the_end_of_the_window_and_planned_counts_every_slot_outages_included()
    {
        using var rig = new Rig(TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(5), window: TimeSpan.FromSeconds(2));
        rig.Time.Advance(TimeSpan.FromMilliseconds(500));
        var beforeOutage = rig[MetricNames.MessagesSent];
        rig.Echo.Detach();
        rig.Time.Advance(TimeSpan.FromMilliseconds(500)); // five slots fall in the outage
        rig.Echo.Attach(rig.Connection);
        rig.Time.Advance(TimeSpan.FromSeconds(3));       // past the window's end
        rig.Echo.Finish();

        Assert.Equal(20, rig[MetricNames.MessagesPlanned]);
        Assert.Equal(15, rig[MetricNames.MessagesSent]); // the outage's five were not sent, nothing after the end
        Assert.InRange(beforeOutage, 4, 5);
    }

    [Fact]
    public void Loss_is_booked_before_a_drop_counts_the_rest_interrupted_when_interval_is_above_loss_timeout()
    {
        // interval 3 s >= lossTimeout 2 s: no send comes along to expire message 1 before the connection drops.
        using var rig = new Rig(TimeSpan.FromSeconds(3), TimeSpan.FromSeconds(2));
        while (rig[MetricNames.MessagesSent] == 0) rig.Time.Advance(TimeSpan.FromMilliseconds(10)); // message 1 out
        rig.Connection.Take();                     // the server drops it
        rig.Time.Advance(TimeSpan.FromMilliseconds(2500)); // before message 2 is due

        rig.Echo.Detach();

        Assert.Equal(1, rig[MetricNames.MessagesLost]);
        Assert.Equal(0, rig[MetricNames.MessagesInterrupted]);
        rig.AssertBooksBalance();
    }

    [Fact]
    public async Task The_drain_keeps_the_connection_until_the_newest_loss_window_has_passed_then_books_what_is_missing_lost()
    {
        // The run in small: a server that drops every 10th message, lossTimeout 2 s, the run ending mid-window.
        using var rig = new Rig(TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(2), window: TimeSpan.FromSeconds(3));
        for (var i = 0; i < 30; i++)
        {
            rig.Time.Advance(TimeSpan.FromMilliseconds(100));
            rig.EchoAll(drop: seq => seq % 10 == 0);
        }
        Assert.Equal(30, rig[MetricNames.MessagesSent]);
        var drained = rig.Echo.DrainAsync(TimeSpan.FromSeconds(5));
        Assert.False(drained.IsCompleted); // messages 20 and 30 are still inside their window

        rig.Time.Advance(TimeSpan.FromMilliseconds(1990));
        Assert.False(drained.IsCompleted); // message 30 went out at 3 s: its window is open until 5 s
        rig.Time.Advance(TimeSpan.FromMilliseconds(20));
        await drained.WaitAsync(TimeSpan.FromSeconds(10));
        rig.Echo.Detach(); // our own close afterwards interrupts nothing

        Assert.Equal(3, rig[MetricNames.MessagesLost]);
        Assert.Equal(0, rig[MetricNames.MessagesInterrupted]);
        Assert.Equal(0, rig[MetricNames.MessagesUnresolved]);
        Assert.Equal(27, rig[MetricNames.MessagesReceived]);
        rig.AssertBooksBalance();
    }

    [Fact]
    public async Task The_drain_ends_as_soon_as_every_echo_is_in()
    {
        using var rig = new Rig(TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(2), window: TimeSpan.FromSeconds(1));
        rig.Time.Advance(TimeSpan.FromSeconds(1));
        var drained = rig.Echo.DrainAsync(TimeSpan.FromSeconds(5));
        Assert.False(drained.IsCompleted);
        rig.EchoAll();
        await drained.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(0, rig[MetricNames.MessagesLost] + rig[MetricNames.MessagesUnresolved] + rig[MetricNames.MessagesInterrupted]);
        rig.AssertBooksBalance();
    }

    [Fact]
    public async Task Messages_still_inside_their_window_when_the_stop_grace_runs_out_are_unresolved()
    {
        // lossTimeout 10 s is longer than the grace of 3 s: nothing can be called lost yet.
        using var rig = new Rig(TimeSpan.FromMilliseconds(500), TimeSpan.FromSeconds(10), window: TimeSpan.FromSeconds(2));
        rig.Time.Advance(TimeSpan.FromSeconds(2));
        rig.Connection.Take(); // nothing comes back
        var drained = rig.Echo.DrainAsync(TimeSpan.FromSeconds(3));
        rig.Time.Advance(TimeSpan.FromSeconds(3));
        await drained.WaitAsync(TimeSpan.FromSeconds(10));
        rig.Echo.Detach();

        Assert.Equal(4, rig[MetricNames.MessagesUnresolved]);
        Assert.Equal(0, rig[MetricNames.MessagesLost]);
        Assert.Equal(0, rig[MetricNames.MessagesInterrupted]);
        rig.AssertBooksBalance();
    }

    [Fact]
    public void An_echo_after_its_loss_timeout_is_late_not_received_nor_a_duplicate()
    {
        using var rig = new Rig(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2));
        rig.Time.Advance(TimeSpan.FromSeconds(1));
        var first = rig.Connection.Take();
        rig.Time.Advance(TimeSpan.FromSeconds(3)); // message 1 expires at the next send
        Assert.Equal(1, rig[MetricNames.MessagesLost]);

        foreach (var text in first) rig.Echo.OnText(text);
        foreach (var text in first) rig.Echo.OnText(text); // and once more

        Assert.Equal(1, rig[MetricNames.MessagesLate]);
        Assert.Equal(1, rig[MetricNames.MessagesDuplicated]);
        Assert.Equal(0, rig[MetricNames.MessagesReceived]);
    }
}
