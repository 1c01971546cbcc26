using SimCluster.Transport;

namespace SimCluster.Grains.Behaviors.Zombies;

/// <summary>Z6: keeps sending but reads at a trickle, so the server's send buffers fill. Back-pressure limits find it.</summary>
public sealed class SlowReaderZombie : IZombieKind
{
    public string Name => "slow-reader";
    public bool KeepsListening => true;
    public bool KeepsSending => true;
    public bool ServerSeesItAtOnce => false;

    public void Apply(SimulatedConnection connection) => connection.Stream.StartSlowReading();
}
