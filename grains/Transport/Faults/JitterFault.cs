namespace SimCluster.Transport.Faults;

/// <summary>
/// A random extra delay, uniform in [0, jitter], drawn from a seeded source. The stream keeps bytes in
/// order afterwards, as TCP does, so jitter shows up as bunching rather than reordering.
/// </summary>
public sealed class JitterFault(TimeSpan jitter, Random random, TimeProvider time) : IStreamFault
{
    private readonly long _maxTicks = FaultTime.ToTimestampTicks(jitter, time);

    public string Name => "jitter";

    public long? Schedule(int byteCount, long due) =>
        _maxTicks <= 0 ? due : due + (long)(random.NextDouble() * _maxTicks);
}
