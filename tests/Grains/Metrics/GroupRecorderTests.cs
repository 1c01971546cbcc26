using SimCluster.Abstractions.Metrics;
using SimCluster.Grains.Metrics;

namespace SimCluster.Tests.Grains.Metrics;

[Trait("Category", "Unit")]
public sealed class GroupRecorderTests
{
    [Fact]
    public void Snapshots_carry_every_trend_sample_since_the_start_not_only_the_latest_interval()
    {
        var recorder = new GroupRecorder("steady");
        for (var i = 1; i <= 10; i++) recorder.Record(MetricNames.MessageRtt, TimeSpan.FromMilliseconds(i));
        var first = recorder.TakeSnapshot();
        for (var i = 11; i <= 25; i++) recorder.Record(MetricNames.MessageRtt, TimeSpan.FromMilliseconds(i));
        var second = recorder.TakeSnapshot();
        var third = recorder.TakeSnapshot(); // nothing new

        Assert.Equal(10, HistogramCodec.Decode(first.Trends[MetricNames.MessageRtt]).TotalCount);
        Assert.Equal(25, HistogramCodec.Decode(second.Trends[MetricNames.MessageRtt]).TotalCount);
        Assert.Equal(25, HistogramCodec.Decode(third.Trends[MetricNames.MessageRtt]).TotalCount);
        Assert.Equal(15, HistogramCodec.Decode(HistogramCodec.Subtract(second.Trends[MetricNames.MessageRtt], first.Trends[MetricNames.MessageRtt])).TotalCount);
        Assert.Empty(third.Trends[MetricNames.ConnectTime]); // an empty trend travels as nothing
    }
}
