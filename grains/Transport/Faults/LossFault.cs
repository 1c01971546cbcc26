namespace SimCluster.Transport.Faults;

/// <summary>
/// Packet loss as TCP shows it to an application: the bytes still arrive, in order, but a lost segment
/// costs a retransmission timeout first, so loss appears as delay spikes and stalls.
/// </summary>
public sealed class LossFault(double probability, TimeSpan retransmissionTimeout, Random random, TimeProvider time) : IStreamFault
{
    private readonly long _rtoTicks = FaultTime.ToTimestampTicks(retransmissionTimeout, time);

    /// <summary>Linux's minimum retransmission timeout.</summary>
    public static readonly TimeSpan DefaultRetransmissionTimeout = TimeSpan.FromMilliseconds(200);

    public string Name => "loss";

    public long? Schedule(int byteCount, long due) =>
        probability > 0 && random.NextDouble() < probability ? due + _rtoTicks : due;
}
