namespace SimCluster.Transport.Faults;

/// <summary>
/// A reader that falls behind (zombie kind slow-reader): once active, bytes reach the application no faster
/// than the given rate, so the server's send buffers fill. Inactive until <see cref="Activate"/>.
/// </summary>
public sealed class SlowReadFault(long bytesPerSecond, TimeProvider time) : IStreamFault
{
    private readonly BandwidthFault _limit = new(Math.Max(1, bytesPerSecond) * 8, time);
    private volatile bool _active;

    public string Name => "slow-read";

    public void Activate() => _active = true;

    public long? Schedule(int byteCount, long due) => _active ? _limit.Schedule(byteCount, due) : due;
}
