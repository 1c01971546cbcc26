using HdrHistogram;
using HdrHistogram.Utilities;

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

    public static Recorder CreateRecorder() =>
        new(Lowest, Highest, Digits, (id, low, high, digits) => new LongHistogram(id, low, high, digits));

    public static byte[] Encode(HistogramBase histogram)
    {
        var backing = new byte[histogram.GetNeededByteBufferCapacity()];
        var length = histogram.EncodeIntoCompressedByteBuffer(ByteBuffer.Allocate(backing));
        return backing.AsSpan(0, length).ToArray();
    }

    public static HistogramBase Decode(byte[] bytes) =>
        HistogramEncoding.DecodeFromCompressedByteBuffer(ByteBuffer.Allocate(bytes), Highest);

    /// <summary>Adds an encoded histogram into <paramref name="into"/>.</summary>
    public static void AddEncoded(HistogramBase into, byte[] bytes)
    {
        if (bytes.Length == 0) return;
        into.Add(Decode(bytes));
    }

    /// <summary>Records a duration, clamped into the trackable range.</summary>
    public static long ToMicros(TimeSpan duration) => Math.Clamp((long)(duration.Ticks / 10.0), Lowest, Highest);
}
