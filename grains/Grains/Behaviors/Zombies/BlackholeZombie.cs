using SimCluster.Transport;

namespace SimCluster.Grains.Behaviors.Zombies;

/// <summary>Z3: cable pulled, radio lost: no bytes either way, no FIN.</summary>
public sealed class BlackholeZombie : IZombieKind
{
    public string Name => "blackhole";
    public bool KeepsSending => false;
    public bool ServerSeesItAtOnce => false;

    public void Apply(SimulatedConnection connection) => connection.Blackhole();
}
