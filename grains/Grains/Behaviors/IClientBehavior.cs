using SimCluster.Abstractions.Plans;
using SimCluster.Grains.Clients;
using SimCluster.Transport;

namespace SimCluster.Grains.Behaviors;

/// <summary>A planned outage: after the connection has been up for <see cref="After"/>, drop it and stay offline for <see cref="Outage"/>.</summary>
public sealed record PlannedDrop(TimeSpan After, DropMode Mode, TimeSpan Outage);

/// <summary>
/// What a simulated client does to its own connections: a strategy that hears the client's events and acts
/// through <see cref="IClientControl"/>. The runtime keeps the state machine, the connection and the books;
/// a behaviour keeps only its own schedule. Every event arrives in the client's turn, one at a time.
/// One file per behaviour, one line in <see cref="BehaviorRegistry"/>.
/// </summary>
public interface IClientBehavior
{
    string Name { get; }

    /// <summary>
    /// Server-initiated closes of a client with this behaviour count as <c>false_disconnects</c> (the server gave
    /// up on a client that did nothing wrong), and such a client finishes a handover cut off by the run's end.
    /// </summary>
    bool IsWellBehaved { get; }

    /// <summary>The connect options of every connection, decided once at arm (a zombie watches frames).</summary>
    ConnectOptions Prepare(ConnectOptions options) => options;

    /// <summary>The connect options of the next connection (a switching client's current interface).</summary>
    ConnectOptions OptionsNow(ConnectOptions armed, ClientContext context) => armed;

    /// <summary>The run starts for this client after <paramref name="delay"/> (its ramp-up place).</summary>
    void OnStart(IClientControl client, TimeSpan delay) => client.ConnectAfter(delay);

    /// <summary>A connection opened and the traffic runs over it.</summary>
    void OnOpened(IClientControl client) { }

    /// <summary>
    /// A connection of the current generation ended without the client asking. True when the behaviour took it
    /// (a zombie's episode); otherwise the runtime counts the loss and reconnects.
    /// </summary>
    bool OnLost(IClientControl client, ConnectionClosed closed) => false;

    /// <summary>The wake-up asked for with <see cref="IClientControl.Wake"/> came, and the connection it was asked on is still the current one.</summary>
    void OnTimer(IClientControl client) { }

    /// <summary>The session is whole again on a new connection (session protocol: welcomed; echo: opened).</summary>
    void OnResumed(IClientControl client) { }

    /// <summary>The run is over for this client (before its connection, if any, is drained and closed).</summary>
    void OnStopping(IClientControl client) { }
}

/// <summary>Something that runs in place of the connect/drop cycle (an attacker), stopped with the client.</summary>
public interface IClientRun
{
    void Start(TimeSpan delay);

    Task StopAsync();
}
