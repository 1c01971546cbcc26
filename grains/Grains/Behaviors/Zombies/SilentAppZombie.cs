using SimCluster.Transport;

namespace SimCluster.Grains.Behaviors.Zombies;

/// <summary>Z1: TCP alive, the app reads nothing and answers no PING. Only a heartbeat can find it.</summary>
public sealed class SilentAppZombie : IZombieKind
{
    public string Name => "silent-app";
    public bool KeepsSending => false;
    public bool ServerSeesItAtOnce => false;

    public void Apply(SimulatedConnection connection) => connection.FreezeReads();
}
