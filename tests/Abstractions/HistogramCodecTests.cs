using HdrHistogram;
using SimCluster.Abstractions.Metrics;

namespace SimCluster.Tests.Abstractions;

[Trait("Category", "Unit")]
public sealed class HistogramCodecTests
{
    private static readonly double[] Percentiles = [0, 1, 10, 25, 50, 75, 90, 95, 99, 99.9, 100];

    private static HistogramBase Sample(int seed, int count, long max = 10_000_000)
    {
        var histogram = HistogramCodec.Create();
        var random = new Random(seed);
        for (var i = 0; i < count; i++) histogram.RecordValue(1 + (long)(Math.Pow(random.NextDouble(), 3) * max));
        return histogram;
    }

    private static void AssertSameDistribution(HistogramBase expected, HistogramBase actual)
    {
        Assert.Equal(expected.TotalCount, actual.TotalCount);
        foreach (var p in Percentiles) Assert.Equal(expected.GetValueAtPercentile(p), actual.GetValueAtPercentile(p));
        Assert.Equal(expected.GetMaxValue(), actual.GetMaxValue());
        Assert.Equal(expected.GetMean(), actual.GetMean(), 6);
    }

    [Fact]
    public void Encode_then_decode_keeps_counts_and_percentiles()
    {
        var original = Sample(seed: 1, count: 10_000);
        AssertSameDistribution(original, HistogramCodec.Decode(HistogramCodec.Encode(original)));
    }

    [Fact]
    public void Large_histograms_over_the_whole_range_round_trip()
    {
        // Many distinct buckets and large counts: the case HdrHistogram's own compressed encoding failed on.
        var original = HistogramCodec.Create();
        var random = new Random(2);
        for (var i = 0; i < 200_000; i++) original.RecordValueWithCount(HistogramCodec.Lowest + (long)(random.NextDouble() * (HistogramCodec.Highest - 1)), 1 + random.Next(1000));
        original.RecordValueWithCount(HistogramCodec.Highest, 5);
        original.RecordValueWithCount(HistogramCodec.Lowest, 5_000_000_000);

        var bytes = HistogramCodec.Encode(original);
        AssertSameDistribution(original, HistogramCodec.Decode(bytes));
    }

    [Fact]
    public void An_empty_histogram_encodes_to_nothing_and_back()
    {
        var bytes = HistogramCodec.Encode(HistogramCodec.Create());
        Assert.Empty(bytes);
        Assert.Equal(0, HistogramCodec.Decode(bytes).TotalCount);

        var into = Sample(seed: 3, count: 10);
        HistogramCodec.AddEncoded(into, bytes);
        Assert.Equal(10, into.TotalCount);
    }

    [Fact]
    public void Adding_encoded_parts_equals_the_whole()
    {
        var a = Sample(seed: 4, count: 5_000);
        var b = Sample(seed: 5, count: 7_000, max: 3_000_000_000);
        var whole = HistogramCodec.Create();
        whole.Add(a);
        whole.Add(b);

        var merged = HistogramCodec.Create();
        HistogramCodec.AddEncoded(merged, HistogramCodec.Encode(a));
        HistogramCodec.AddEncoded(merged, HistogramCodec.Encode(b));

        AssertSameDistribution(whole, merged);
    }

    [Fact]
    public void Interval_histograms_from_a_recorder_add_up_to_everything_recorded()
    {
        var recorder = HistogramCodec.CreateRecorder();
        var total = HistogramCodec.Create();
        var merged = HistogramCodec.Create();
        for (var round = 0; round < 5; round++)
        {
            Parallel.For(0, 4, _ =>
            {
                for (var i = 0; i < 1000; i++) recorder.RecordValue(1 + i * 17);
            });
            for (var t = 0; t < 4; t++) for (var i = 0; i < 1000; i++) total.RecordValue(1 + i * 17);
            HistogramCodec.AddEncoded(merged, HistogramCodec.Encode(recorder.GetIntervalHistogram()));
        }
        Assert.Equal(20_000, merged.TotalCount);
        AssertSameDistribution(total, merged);
    }

    [Fact]
    public void Decoding_clamps_values_outside_the_trackable_range()
    {
        using var stream = new MemoryStream();
        using (var writer = new BinaryWriter(stream))
        {
            writer.Write7BitEncodedInt64(0); // below the lowest
            writer.Write7BitEncodedInt64(3);
            writer.Write7BitEncodedInt64(HistogramCodec.Highest * 10); // above the highest
            writer.Write7BitEncodedInt64(2);
        }
        var decoded = HistogramCodec.Decode(stream.ToArray());

        Assert.Equal(5, decoded.TotalCount);
        Assert.True(decoded.GetMaxValue() >= HistogramCodec.Highest);
        Assert.True(decoded.GetValueAtPercentile(50) <= HistogramCodec.Lowest);
    }

    [Theory]
    [InlineData(0, 1)]               // zero still counts as one microsecond
    [InlineData(1.5, 1500)]
    [InlineData(250, 250_000)]
    [InlineData(7_200_000, 3_600_000_000)] // two hours: clamped to one
    public void Durations_are_recorded_in_microseconds_within_range(double ms, long micros) =>
        Assert.Equal(micros, HistogramCodec.ToMicros(TimeSpan.FromMilliseconds(ms)));
}
