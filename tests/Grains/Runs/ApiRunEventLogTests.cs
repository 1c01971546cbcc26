using SimCluster.Abstractions.Runs;
using SimCluster.Grains.Runs;

namespace SimCluster.Tests.Grains.Runs;

/// <summary>The event log behind a run's stream: resuming after an id loses nothing and repeats nothing.</summary>
[Trait("Category", "Unit")]
public sealed class ApiRunEventLogTests
{
    private static ApiRunEvent Progress(long id) => new(id, ApiRunEventKind.Progress, $"{{\"n\":{id}}}");

    [Fact]
    public void Events_after_an_id_are_each_later_event_once_in_order()
    {
        var log = new ApiRunEventLog();
        log.Append([Progress(1), Progress(2), new ApiRunEvent(3, ApiRunEventKind.Cases, "{}"), Progress(4)]);
        Assert.Equal([3, 4], log.After(2).Select(e => e.Id));
        Assert.Empty(log.After(4));
        Assert.Equal([1, 2, 3, 4], log.After(0).Select(e => e.Id));
    }

    [Fact]
    public void A_retried_publish_adds_nothing_twice()
    {
        var log = new ApiRunEventLog();
        log.Append([Progress(1), Progress(2)]);
        log.Append([Progress(2), Progress(3)]);
        Assert.Equal([1, 2, 3], log.After(0).Select(e => e.Id));
    }

    [Fact]
    public void A_new_stream_starts_from_the_latest_of_each_kind_and_nothing_follows_completed()
    {
        var log = new ApiRunEventLog();
        log.Append([Progress(1), new ApiRunEvent(2, ApiRunEventKind.Cases, "{}"), Progress(3), Progress(4)]);
        Assert.Equal([2, 4], log.After(null).Select(e => e.Id));
        log.Append([new ApiRunEvent(5, ApiRunEventKind.Completed, "{}"), Progress(6)]);
        Assert.True(log.Completed);
        Assert.Equal([2, 4, 5], log.After(null).Select(e => e.Id));
        Assert.Equal(5, log.LastId);
    }

    [Fact]
    public void Beyond_the_bound_the_oldest_progress_goes_and_the_rest_stays()
    {
        var log = new ApiRunEventLog();
        log.Append([new ApiRunEvent(1, ApiRunEventKind.Cases, "{}"), .. Enumerable.Range(2, ApiRunEventLog.MaxEvents + 9).Select(i => Progress(i))]);
        var kept = log.After(0);
        Assert.Equal(ApiRunEventLog.MaxEvents, kept.Length);
        Assert.Equal(1, kept[0].Id);
        Assert.Equal(12, kept[1].Id);
        Assert.Equal(ApiRunEventLog.MaxEvents + 10, kept[^1].Id);
    }
}
