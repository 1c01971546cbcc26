namespace SimCluster.Grains.Reconnect;

/// <summary>How long a client waits before each reconnect attempt after losing its connection.</summary>
public interface IReconnectPolicy
{
    string Name { get; }

    /// <summary>
    /// The wait before attempt <paramref name="attempt"/> (1 = the first try after the loss), or null when
    /// the client should give up (maxAttempts reached).
    /// </summary>
    TimeSpan? DelayBefore(int attempt, Random random);
}
