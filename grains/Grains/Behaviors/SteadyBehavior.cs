namespace SimCluster.Grains.Behaviors;

/// <summary>Connects, stays connected, sends its messages; reconnects only when something else ends the connection.</summary>
public sealed class SteadyBehavior : IClientBehavior
{
    public string Name => "steady";

    public bool IsWellBehaved => true;
}
