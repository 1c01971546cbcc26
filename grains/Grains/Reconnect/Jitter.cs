using SimCluster.Abstractions.Plans;

namespace SimCluster.Grains.Reconnect;

public static class JitterExtensions
{
    public static TimeSpan Apply(this JitterKind jitter, TimeSpan delay, Random random) => jitter switch
    {
        JitterKind.Full => TimeSpan.FromTicks((long)(random.NextDouble() * delay.Ticks)),
        JitterKind.Equal => delay / 2 + TimeSpan.FromTicks((long)(random.NextDouble() * delay.Ticks / 2)),
        JitterKind.None => delay,
        _ => throw new ArgumentOutOfRangeException(nameof(jitter), jitter, "unknown jitter"),
    };
}
