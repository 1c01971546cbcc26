using SimCluster.Transport;

namespace SimCluster.Grains.Behaviors.Zombies;

/// <summary>
/// One way a client can go dead while its server still believes in it (the README's `zombie:` kinds).
/// A kind only changes the connection; the client grain times how long the server takes to give up.
/// </summary>
public interface IZombieKind
{
    string Name { get; }

    /// <summary>The WebSocket keeps processing frames, so a server's Close reaches the client normally.</summary>
    bool KeepsListening { get; }

    /// <summary>The application keeps sending its messages (only a slow reader does).</summary>
    bool KeepsSending { get; }

    /// <summary>The server learns at once (an RST): there is nothing to wait for.</summary>
    bool ServerSeesItAtOnce { get; }

    void Apply(SimulatedConnection connection);
}
