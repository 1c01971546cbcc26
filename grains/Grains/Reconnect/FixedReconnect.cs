using SimCluster.Abstractions.Plans;

namespace SimCluster.Grains.Reconnect;

/// <summary>The same wait (<c>base</c>) before every attempt, with optional jitter.</summary>
public sealed class FixedReconnect(TimeSpan delay, JitterKind jitter, int maxAttempts) : IReconnectPolicy
{
    public string Name => "fixed";

    public TimeSpan? DelayBefore(int attempt, Random random) =>
        maxAttempts > 0 && attempt > maxAttempts ? null : jitter.Apply(delay, random);
}
