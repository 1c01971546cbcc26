using SimCluster.Abstractions.Plans;
using SimCluster.Transport;

namespace SimCluster.Grains.Behaviors.Zombies;

/// <summary>Z6: keeps sending but reads at a trickle, so the server's send buffers fill. Back-pressure limits find it.</summary>
public sealed class SlowReaderZombie : IZombieKind
{
    public string Name => "slow-reader";
    public bool KeepsSending => true;
    public bool ServerSeesItAtOnce => false;

    public ConnectOptions Prepare(ConnectOptions options, ZombiePlan plan) => options with { SlowReadBytesPerSecond = plan.ReadBytesPerSecond };

    public void Apply(SimulatedConnection connection) => connection.Stream.StartSlowReading();
}
