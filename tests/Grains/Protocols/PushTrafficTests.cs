using SimCluster.Abstractions.Metrics;
using SimCluster.Grains.Metrics;
using SimCluster.Grains.Protocols;

namespace SimCluster.Tests.Grains.Protocols;

/// <summary>The server-push books: gaps, late fills, duplicates, restarts and the bound on what a hostile server can make them hold.</summary>
[Trait("Category", "Unit")]
public sealed class PushTrafficTests
{
    private readonly GroupRecorder _metrics = new("g");

    private long this[string counter] => _metrics.Read(counter);

    [Fact]
    public void A_gap_filled_late_is_reordered_and_one_never_filled_is_lost_at_the_end()
    {
        var pushes = new PushTraffic(_metrics);
        foreach (var seq in (long[])[1, 2, 5, 3, 6]) pushes.Received("ticks", seq);
        Assert.Equal(1, pushes.OpenGaps); // 4
        Assert.Equal(0, this[MetricNames.PushesLost]);

        pushes.Finish();

        Assert.Equal(5, this[MetricNames.PushesReceived]);
        Assert.Equal(1, this[MetricNames.PushesReordered]);
        Assert.Equal(1, this[MetricNames.PushesLost]);
        Assert.Equal(0, this[MetricNames.PushesDuplicated]);
    }

    [Fact]
    public void A_number_seen_twice_is_a_duplicate_and_not_received_again()
    {
        var pushes = new PushTraffic(_metrics);
        foreach (var seq in (long[])[1, 2, 2, 3, 1]) pushes.Received("ticks", seq);
        pushes.Finish();

        Assert.Equal(3, this[MetricNames.PushesReceived]);
        Assert.Equal(2, this[MetricNames.PushesDuplicated]);
        Assert.Equal(0, this[MetricNames.PushesLost]);
    }

    [Fact]
    public void Streams_are_checked_apart_and_a_restart_loses_only_its_own_gaps()
    {
        var pushes = new PushTraffic(_metrics);
        pushes.Received("a", 1);
        pushes.Received("a", 4); // 2, 3 missing
        pushes.Received("b", 10);
        pushes.Received("b", 12); // 11 missing

        pushes.Restart("a");
        Assert.Equal(2, this[MetricNames.PushesLost]);
        pushes.Received("a", 1); // the new stream starts where it is first seen again
        pushes.Received("b", 11);
        pushes.Finish();

        Assert.Equal(2, this[MetricNames.PushesLost]);
        Assert.Equal(6, this[MetricNames.PushesReceived]);
        Assert.Equal(1, this[MetricNames.PushesReordered]);
    }

    [Fact]
    public void With_a_known_first_number_what_came_before_the_first_push_received_is_a_gap()
    {
        var pushes = new PushTraffic(_metrics, firstSeq: 1);
        pushes.Received("sub-1", 3);
        pushes.Finish();

        Assert.Equal(2, this[MetricNames.PushesLost]);
    }

    [Fact]
    public void A_jump_beyond_what_a_stream_keeps_open_is_lost_at_once_and_the_books_stay_bounded()
    {
        var pushes = new PushTraffic(_metrics);
        pushes.Received("s", 1);
        pushes.Received("s", 1 + PushTraffic.MaxOpenGaps + 1000 + 1);

        Assert.Equal(1000, this[MetricNames.PushesLost]);
        Assert.Equal(PushTraffic.MaxOpenGaps, pushes.OpenGaps);
        pushes.Finish();
        Assert.Equal(1000 + PushTraffic.MaxOpenGaps, this[MetricNames.PushesLost]);
    }

    [Fact]
    public void Pushes_of_streams_past_the_bound_are_counted_but_not_checked()
    {
        var pushes = new PushTraffic(_metrics);
        for (var s = 0; s < PushTraffic.MaxStreams + 10; s++)
        {
            pushes.Received($"s{s}", 1);
            pushes.Received($"s{s}", 3);
        }
        pushes.Received();
        pushes.Finish();

        Assert.Equal(2 * (PushTraffic.MaxStreams + 10) + 1, this[MetricNames.PushesReceived]);
        Assert.Equal(PushTraffic.MaxStreams, this[MetricNames.PushesLost]);
    }
}
