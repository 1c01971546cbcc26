using SimCluster.Abstractions.Plans;
using SimCluster.Transport;

namespace SimCluster.Grains.Behaviors.Zombies;

/// <summary>
/// One way a client can go dead while its server still believes in it (the README's `zombie:` kinds).
/// A kind only changes the connection; its behaviour (<see cref="ZombieBehavior"/>) times how long the server takes to give up.
/// </summary>
public interface IZombieKind
{
    string Name { get; }

    /// <summary>The application keeps sending its messages (only a slow reader does).</summary>
    bool KeepsSending { get; }

    /// <summary>The server learns at once (an RST): there is nothing to wait for.</summary>
    bool ServerSeesItAtOnce { get; }

    /// <summary>The connect options every connection of such a zombie needs from the start (a slow reader's read rate).</summary>
    ConnectOptions Prepare(ConnectOptions options, ZombiePlan plan) => options;

    void Apply(SimulatedConnection connection);
}
