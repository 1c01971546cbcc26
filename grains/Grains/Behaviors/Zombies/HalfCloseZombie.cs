using SimCluster.Transport;

namespace SimCluster.Grains.Behaviors.Zombies;

/// <summary>Z5: the client sends FIN (shutdown of its sending side) and keeps reading. The server's read sees EOF.</summary>
public sealed class HalfCloseZombie : IZombieKind
{
    public string Name => "half-close";
    public bool KeepsSending => false;
    public bool ServerSeesItAtOnce => false;

    public void Apply(SimulatedConnection connection) => connection.Stream.ShutdownSend();
}
