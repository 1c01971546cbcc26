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

    /// <summary>Many threads record into one recorder, so its histograms must take concurrent writes.</summary>
    public static Recorder CreateRecorder() =>
        new(Lowest, Highest, Digits, (id, low, high, digits) => new LongConcurrentHistogram(id, low, high, digits));

    public static byte[] Encode(HistogramBase histogram)
    {
        var buffer = ByteBuffer.Allocate(histogram.GetNeededByteBufferCapacity());
        var length = histogram.EncodeIntoCompressedByteBuffer(buffer);
        // ByteBuffer exposes no array in this version; read the encoded bytes back one by one (a few hundred).
        buffer.Position = 0;
        var bytes = new byte[length];
        for (var i = 0; i < length; i++) bytes[i] = buffer.Get();
        return bytes;
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
