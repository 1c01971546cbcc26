using HdrHistogram;

namespace SimCluster.Abstractions.Metrics;

/// <summary>
/// Trends are HdrHistograms of microseconds (1 µs to 1 h, 3 significant digits). They travel between
/// silos, coordinator and CLI in HdrHistogram's compressed encoding.
/// </summary>
public static class HistogramCodec
{
    public const long Lowest = 1;
    public const long Highest = 3_600_000_000; // one hour in microseconds
    public const int Digits = 3;

    public static LongHistogram Create() => new(Lowest, Highest, Digits);

    /// <summary>Many threads record into one recorder, so its histograms must take concurrent writes.</summary>
    public static Recorder CreateRecorder() =>
        new(Lowest, Highest, Digits, (id, low, high, digits) => new LongConcurrentHistogram(id, low, high, digits));

    /// <summary>
    /// Encodes the non-empty buckets as (value, count) pairs of 7-bit varints. HdrHistogram's own compressed
    /// encoding fails to decode large histograms in this version ("does not contain the indicated payload
    /// amount"), so we keep our own: a few kilobytes at most, exact to the bucket.
    /// </summary>
    public static byte[] Encode(HistogramBase histogram)
    {
        using var stream = new MemoryStream();
        using (var writer = new BinaryWriter(stream))
        {
            foreach (var bucket in histogram.RecordedValues())
            {
                writer.Write7BitEncodedInt64(histogram.MedianEquivalentValue(bucket.ValueIteratedTo));
                writer.Write7BitEncodedInt64(bucket.CountAtValueIteratedTo);
            }
        }
        return stream.ToArray();
    }

    public static HistogramBase Decode(byte[] bytes)
    {
        var histogram = Create();
        foreach (var (value, count) in Pairs(bytes)) histogram.RecordValueWithCount(Math.Clamp(value, Lowest, Highest), count);
        return histogram;
    }

    /// <summary>Adds an encoded histogram into <paramref name="into"/>.</summary>
    public static void AddEncoded(HistogramBase into, byte[] bytes)
    {
        if (bytes.Length == 0) return;
        into.Add(Decode(bytes));
    }

    /// <summary>
    /// The samples of <paramref name="cumulative"/> that <paramref name="earlier"/> (an older snapshot of the same
    /// cumulative histogram) did not have yet, encoded: what was recorded between the two snapshots.
    /// </summary>
    public static byte[] Subtract(byte[] cumulative, byte[] earlier)
    {
        if (earlier.Length == 0) return cumulative;
        var before = Pairs(earlier).ToDictionary(p => p.Value, p => p.Count);
        using var stream = new MemoryStream();
        using (var writer = new BinaryWriter(stream))
        {
            foreach (var (value, count) in Pairs(cumulative))
            {
                var added = count - before.GetValueOrDefault(value);
                if (added <= 0) continue; // a bucket that shrank (recorders started over) adds nothing
                writer.Write7BitEncodedInt64(value);
                writer.Write7BitEncodedInt64(added);
            }
        }
        return stream.ToArray();
    }

    private static IEnumerable<(long Value, long Count)> Pairs(byte[] bytes)
    {
        using var reader = new BinaryReader(new MemoryStream(bytes));
        while (reader.BaseStream.Position < bytes.Length) yield return (reader.Read7BitEncodedInt64(), reader.Read7BitEncodedInt64());
    }

    /// <summary>Records a duration, clamped into the trackable range.</summary>
    public static long ToMicros(TimeSpan duration) => Math.Clamp((long)(duration.Ticks / 10.0), Lowest, Highest);
}
