namespace SimCluster.Grains.Reconnect;

/// <summary>Retry at once, every time: the worst case for a server (a reconnect storm).</summary>
public sealed class ImmediateReconnect(int maxAttempts) : IReconnectPolicy
{
    public string Name => "immediate";

    public TimeSpan? DelayBefore(int attempt, Random random) =>
        maxAttempts > 0 && attempt > maxAttempts ? null : TimeSpan.Zero;
}
