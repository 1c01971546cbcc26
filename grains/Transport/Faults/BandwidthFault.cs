namespace SimCluster.Transport.Faults;

/// <summary>
/// A link that carries at most <c>bitsPerSecond</c>: each chunk leaves when the previous one has finished
/// serialising, and takes its size divided by the rate. Queued chunks therefore wait their turn.
/// </summary>
public sealed class BandwidthFault : IStreamFault
{
    private readonly double _ticksPerByte;
    private long _linkFreeAt;

    public BandwidthFault(long bitsPerSecond, TimeProvider time)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(bitsPerSecond);
        _ticksPerByte = time.TimestampFrequency * 8.0 / bitsPerSecond;
    }

    public string Name => "bandwidth";

    public long? Schedule(int byteCount, long due)
    {
        var start = Math.Max(due, _linkFreeAt);
        _linkFreeAt = start + (long)(byteCount * _ticksPerByte);
        return _linkFreeAt;
    }
}
