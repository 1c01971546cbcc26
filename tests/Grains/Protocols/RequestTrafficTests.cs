using Microsoft.Extensions.Time.Testing;
using SimCluster.Abstractions.Metrics;
using SimCluster.Abstractions.Plans;
using SimCluster.Grains.Metrics;
using SimCluster.Grains.Protocols;

namespace SimCluster.Tests.Grains.Protocols;

/// <summary>
/// The request/reply books every correlating protocol shares, on fake time with the test as the server: error
/// replies, requests kept across a reconnect, the conservation law with every outcome present at once.
/// </summary>
[Trait("Category", "Unit")]
public sealed class RequestTrafficTests
{
    private sealed class Rig : IDisposable
    {
        public FakeTimeProvider Time { get; } = new(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        public GroupRecorder Metrics { get; } = new("g");
        public RequestTraffic Traffic { get; }

        public Rig(bool keepAcrossReconnects = false) =>
            Traffic = new RequestTraffic(Plan, Metrics, Time, new Random(3), Frame, keepAcrossReconnects);

        /// <summary>Requests kept to the end of the run, each marked with the current value of <paramref name="mark"/>.</summary>
        public Rig(Func<long> mark) =>
            Traffic = new RequestTraffic(Plan, Metrics, Time, new Random(3), Frame, KeptRequests.RunEnd, mark);

        private static MessagePlan Plan => new() { Interval = TimeSpan.FromSeconds(1), Size = 16, LossTimeout = TimeSpan.FromSeconds(3) };

        private static string Frame(long seq, long unixMs) => seq.ToString(System.Globalization.CultureInfo.InvariantCulture);

        public long this[string counter] => Metrics.Read(counter);

        public static IEnumerable<long> Sequences(FakeChannel channel) => channel.Take().Select(long.Parse);

        public void AssertBooksBalance() => Assert.Equal(
            this[MetricNames.MessagesSent],
            this[MetricNames.MessagesReceived] + this[MetricNames.MessagesFailed] + this[MetricNames.MessagesLost]
            + this[MetricNames.MessagesInterrupted] + this[MetricNames.MessagesUnresolved]);

        public void Dispose() => Traffic.Dispose();
    }

    [Fact]
    public void An_error_reply_is_failed_not_received_and_a_second_answer_is_a_duplicate()
    {
        using var rig = new Rig();
        var channel = new FakeChannel();
        rig.Traffic.Attach(channel);
        rig.Time.Advance(TimeSpan.FromSeconds(2));
        var sent = Rig.Sequences(channel).ToList();
        Assert.Equal(2, sent.Count);

        rig.Traffic.Failed(sent[0]);
        rig.Traffic.Answered(sent[1]);
        rig.Traffic.Failed(sent[0]);

        Assert.Equal(1, rig[MetricNames.MessagesFailed]);
        Assert.Equal(1, rig[MetricNames.MessagesReceived]);
        Assert.Equal(1, rig[MetricNames.MessagesDuplicated]);
        Assert.Equal(0, rig.Traffic.Pending);
        rig.AssertBooksBalance();
    }

    [Fact]
    public void Kept_requests_survive_a_reconnect_and_get_a_fresh_window_on_the_next_connection()
    {
        using var rig = new Rig(keepAcrossReconnects: true);
        var first = new FakeChannel();
        rig.Traffic.Attach(first);
        rig.Time.Advance(TimeSpan.FromSeconds(2));
        var unanswered = Rig.Sequences(first).ToList();
        rig.Traffic.Detach();
        Assert.Equal(2, rig.Traffic.Pending);
        Assert.Equal(0, rig[MetricNames.MessagesInterrupted]);

        // Down for longer than lossTimeout: the kept requests are not lost, their window starts on the new connection.
        rig.Time.Advance(TimeSpan.FromSeconds(5));
        var second = new FakeChannel();
        rig.Traffic.Attach(second);
        rig.Time.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal(0, rig[MetricNames.MessagesLost]);
        foreach (var seq in unanswered) rig.Traffic.Answered(seq);

        Assert.Equal(2, rig[MetricNames.MessagesReceived]);
        Assert.Equal(2, rig.Traffic.Pending); // the two sent over the second connection
        rig.Traffic.Abandon();
        Assert.Equal(2, rig[MetricNames.MessagesInterrupted]); // an abandoning app interrupts even kept requests
        rig.AssertBooksBalance();
    }

    [Fact]
    public void Every_outcome_at_once_still_balances_the_books()
    {
        using var rig = new Rig();
        var channel = new FakeChannel();
        rig.Traffic.Schedule(rig.Time.GetTimestamp(), rig.Time.GetTimestamp() + 20 * rig.Time.TimestampFrequency);
        rig.Traffic.Attach(channel);
        var all = new List<long>();
        for (var second = 0; second < 10; second++)
        {
            rig.Time.Advance(TimeSpan.FromSeconds(1));
            foreach (var seq in Rig.Sequences(channel))
            {
                all.Add(seq);
                if (seq % 5 == 0) rig.Traffic.Failed(seq);
                else if (seq % 3 != 0) rig.Traffic.Answered(seq); // every third is dropped by "the server"
            }
        }
        rig.Traffic.Detach(); // the recent unanswered ones are interrupted, the overdue ones lost
        rig.Traffic.Finish();

        Assert.Equal(all.Count, rig[MetricNames.MessagesSent]);
        Assert.True(rig[MetricNames.MessagesLost] > 0);
        Assert.True(rig[MetricNames.MessagesInterrupted] > 0);
        Assert.Equal(all.Count(s => s % 5 == 0), rig[MetricNames.MessagesFailed]);
        Assert.Equal(20, rig[MetricNames.MessagesPlanned]);
        rig.AssertBooksBalance();
    }

    [Fact]
    public void Kept_to_the_end_nothing_is_lost_while_the_run_goes_on_only_what_never_got_its_answer_at_the_end()
    {
        long mark = 7;
        using var rig = new Rig(() => mark);
        var first = new FakeChannel();
        rig.Traffic.Opening();
        rig.Time.Advance(TimeSpan.FromSeconds(2)); // a slow handshake: what came due meanwhile goes out when it is done
        rig.Traffic.Attach(first);
        var sent = Rig.Sequences(first).ToList();
        Assert.Equal(2, sent.Count);

        // Long past lossTimeout on the open connection, then a refused send and a reconnect: still nothing lost.
        rig.Time.Advance(TimeSpan.FromSeconds(5));
        first.Open = false;
        mark = 9;
        rig.Time.Advance(TimeSpan.FromSeconds(1)); // refused by the socket: kept all the same, counted sent
        rig.Traffic.Detach();
        Assert.Equal(0, rig[MetricNames.MessagesLost] + rig[MetricNames.MessagesInterrupted]);
        var total = rig[MetricNames.MessagesSent];
        Assert.Equal(total, rig.Traffic.Pending);
        rig.Traffic.Answered(sent[0], countReceived: false); // late by any window, answered all the same: not counted received here
        Assert.Equal(0, rig[MetricNames.MessagesReceived]);
        Assert.Equal(1, HistogramCodec.Decode(rig.Metrics.TakeSnapshot().Trends[MetricNames.MessageRtt]).TotalCount);

        // The server holds the second request: only the later ones go again, in order, timed from this send.
        var second = new FakeChannel();
        rig.Traffic.Opening();
        Assert.Equal(Enumerable.Range(3, (int)total - 2).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)), rig.Traffic.Replay(after: sent[1]));
        rig.Traffic.Remark(0);
        rig.Traffic.StopSending();
        rig.Traffic.Attach(second); // the run's end began: nothing more is sent
        Assert.Empty(second.Take());

        Assert.Equal([0L, 0], rig.Traffic.Finish().Take(2)); // the marks of the lost ones, in request order
        Assert.Equal(total - 1, rig[MetricNames.MessagesLost]);
        Assert.Equal(0, rig[MetricNames.MessagesInterrupted]);
    }
}
