using SimCluster.Abstractions.Plans;

namespace SimCluster.Grains.Reconnect;

/// <summary>
/// <c>min(max, base * 2^(attempt-1))</c> with jitter, as in AWS's "Exponential Backoff and Jitter": full
/// jitter draws from [0, d], equal jitter from [d/2, d].
/// </summary>
public sealed class ExponentialReconnect(TimeSpan baseDelay, TimeSpan maxDelay, JitterKind jitter, int maxAttempts) : IReconnectPolicy
{
    public string Name => "exponential";

    public TimeSpan? DelayBefore(int attempt, Random random)
    {
        if (maxAttempts > 0 && attempt > maxAttempts) return null;
        var exponent = Math.Min(attempt - 1, 30); // 2^30 * any base is past any sane max
        var ticks = Math.Min(maxDelay.Ticks, baseDelay.Ticks * (double)(1L << exponent));
        return jitter.Apply(TimeSpan.FromTicks((long)ticks), random);
    }
}
