using SimCluster.Abstractions.Plans;

namespace SimCluster.Grains.Behaviors;

/// <summary>A planned outage: after the connection has been up for <see cref="After"/>, drop it and stay offline for <see cref="Outage"/>.</summary>
public sealed record PlannedDrop(TimeSpan After, DropMode Mode, TimeSpan Outage);

/// <summary>
/// What a simulated client does to its own connection. Behaviours only decide; the client grain acts,
/// keeps the state machine and measures.
/// </summary>
public interface IClientBehavior
{
    string Name { get; }

    /// <summary>
    /// Server-initiated closes of a client with this behaviour count as <c>false_disconnects</c>
    /// (the server gave up on a client that did nothing wrong).
    /// </summary>
    bool IsWellBehaved { get; }

    /// <summary>Called each time a connection opens: the next drop to inject, or null to stay connected.</summary>
    PlannedDrop? NextDrop(int dropsSoFar, Random random);
}
