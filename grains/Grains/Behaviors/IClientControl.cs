using SimCluster.Grains.Clients;
using SimCluster.Transport;

namespace SimCluster.Grains.Behaviors;

/// <summary>
/// What a behaviour may do to its client. Only called in the client's turn (from the behaviour's events);
/// callbacks it asks for (<see cref="WhenPeerGone"/>, <see cref="OpenBeside"/>) come back in a later turn.
/// </summary>
public interface IClientControl
{
    ClientContext Context { get; }

    /// <summary>The client's seeded random source (one per client: the order of draws is the schedule).</summary>
    Random Random { get; }

    ClientState State { get; }

    /// <summary>The connect options decided at arm (before <see cref="IClientBehavior.OptionsNow"/>).</summary>
    ConnectOptions ArmedOptions { get; }

    /// <summary>The open connection; null when the client is not open or is stopping.</summary>
    SimulatedConnection? Connection { get; }

    /// <summary>Calls <see cref="IClientBehavior.OnTimer"/> after <paramref name="due"/>, unless the current connection ends first. Replaces any pending wake-up or reconnect timer: a client has one.</summary>
    void Wake(TimeSpan due);

    /// <summary>Forgets the pending wake-up.</summary>
    void CancelWake();

    /// <summary>An event on the timeline (sampled clients only).</summary>
    void Note(string kind, string? detail);

    /// <summary>Connects after <paramref name="delay"/> (the start of the connect/drop cycle).</summary>
    void ConnectAfter(TimeSpan delay);

    /// <summary>Runs <paramref name="run"/> instead of the connect/drop cycle, from <paramref name="delay"/> until the client stops.</summary>
    void RunInstead(IClientRun run, TimeSpan delay);

    /// <summary>
    /// Ends the open connection on purpose. <paramref name="cause"/> (a <c>DisconnectCauses</c> label) makes it a
    /// disconnect (counted, with its cause); null ends it without one (a zombie's turn, a token refresh).
    /// </summary>
    void EndConnection(ClientTrigger trigger, string? cause, Teardown how, string? note = null);

    /// <summary>After an outage the client caused, the network is back in <paramref name="outage"/>: reconnect then (recovery time counts from there).</summary>
    void ReconnectAfter(TimeSpan outage);

    /// <summary>The application stops sending (a zombie whose application is dead).</summary>
    void AbandonTraffic();

    /// <summary>Lets go of the connection kept by <see cref="TeardownKind.Keep"/>: traffic detached, socket reset.</summary>
    void ReleaseKept();

    /// <summary>Calls <paramref name="inTurn"/> with the instant the server gave up on <paramref name="connection"/> (Close frame, FIN or RST seen below the WebSocket), unless the generation changed.</summary>
    void WhenPeerGone(SimulatedConnection connection, Action<long> inTurn);

    /// <summary>Opens a second connection beside the open one (with the behaviour's <see cref="IClientBehavior.OptionsNow"/>); the outcome comes back in a later turn with the connect time.</summary>
    void OpenBeside(Action<SimulatedConnection?, Exception?, TimeSpan> inTurn);

    /// <summary>Moves the traffic from the open connection to <paramref name="fresh"/> (already open) and kills the old path as <paramref name="oldPath"/> says.</summary>
    void Handover(SimulatedConnection fresh, Teardown oldPath, TimeSpan connectTime);
}
