using SimCluster.Transport;

namespace SimCluster.Grains.Clients;

/// <summary>
/// The application traffic a client runs over its connections, and its accounting: the echo protocol
/// (<see cref="EchoTraffic"/>) or the session protocol (<see cref="SessionTraffic"/>). Called from grain
/// turns, timers and socket threads; implementations guard their own state.
/// </summary>
public interface ITraffic : IDisposable
{
    /// <summary>A connection opened: start (or resume) over it.</summary>
    void Attach(SimulatedConnection connection);

    /// <summary>The connection ended. Echo: what was in flight is interrupted. Session: kept for replay.</summary>
    void Detach();

    /// <summary>Stop sending, keep listening (a clean stop lets answers in flight arrive).</summary>
    void StopSending();

    /// <summary>The application itself died: stop. Echo: what was in flight is interrupted. Session: forgotten (not the server's fault).</summary>
    void Abandon();

    /// <summary>Messages sent and not yet answered.</summary>
    int Pending { get; }

    void OnText(string text);

    /// <summary>The run is over for this client: settle the books (session: what never arrived is lost).</summary>
    void Finish();
}
