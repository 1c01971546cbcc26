using SimCluster.Transport;

namespace SimCluster.Grains.Behaviors.Zombies;

/// <summary>
/// Z2: the transport lives on (the WebSocket still answers PINGs) but the application is dead: no
/// messages, no application heartbeats. Only an application-level timeout can find it.
/// </summary>
public sealed class AppDeadZombie : IZombieKind
{
    public string Name => "app-dead";
    public bool KeepsSending => false;
    public bool ServerSeesItAtOnce => false;

    public void Apply(SimulatedConnection connection) { }
}
