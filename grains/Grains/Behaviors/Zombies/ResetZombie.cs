using SimCluster.Transport;

namespace SimCluster.Grains.Behaviors.Zombies;

/// <summary>
/// Z7: an abrupt RST with no close frame. The server's kernel knows at once; what is left to check is that
/// the server cleans up (the target's open connection count after the run).
/// </summary>
public sealed class ResetZombie : IZombieKind
{
    public string Name => "reset";
    public bool KeepsSending => false;
    public bool ServerSeesItAtOnce => true;

    public void Apply(SimulatedConnection connection) => connection.Reset();
}
