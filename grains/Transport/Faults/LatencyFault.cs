namespace SimCluster.Transport.Faults;

/// <summary>A fixed one-way delay. A link profile's round-trip latency is split half up, half down.</summary>
public sealed class LatencyFault(TimeSpan oneWay, TimeProvider time) : IStreamFault
{
    private readonly long _delayTicks = FaultTime.ToTimestampTicks(oneWay, time);

    public string Name => "latency";

    public long? Schedule(int byteCount, long due) => due + _delayTicks;
}
