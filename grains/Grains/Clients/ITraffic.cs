using SimCluster.Transport;

namespace SimCluster.Grains.Clients;

/// <summary>
/// The application traffic a client runs over its connections, and its accounting: the echo protocol
/// (<see cref="EchoTraffic"/>) or the session protocol (<see cref="SessionTraffic"/>). Called from grain
/// turns, timers and socket threads; implementations guard their own state.
/// </summary>
public interface ITraffic : IDisposable
{
    /// <summary>
    /// The send window, as timestamps of the traffic's clock: from the client's start to the run's planned end,
    /// the same instant for every client. Without it the schedule starts with the first connection and never ends.
    /// </summary>
    void Schedule(long start, long end);

    /// <summary>A connection opened: start (or resume) over it.</summary>
    void Attach(SimulatedConnection connection);

    /// <summary>The connection ended. Echo: what was in flight is interrupted. Session: kept for replay.</summary>
    void Detach();

    /// <summary>Stop sending, keep listening (a clean stop lets answers in flight arrive).</summary>
    void StopSending();

    /// <summary>The application itself died: stop. Echo: what was in flight is interrupted. Session: forgotten (not the server's fault).</summary>
    void Abandon();

    /// <summary>
    /// The run is over and the connection is still open: stop sending and keep listening until every answer is in
    /// or the newest message's <c>lossTimeout</c> has passed, at most <paramref name="grace"/>; then what is overdue
    /// is lost and what is still inside its window unresolved. The caller closes the connection afterwards.
    /// </summary>
    Task DrainAsync(TimeSpan grace);

    /// <summary>Messages sent and not yet answered.</summary>
    int Pending { get; }

    void OnText(string text);

    /// <summary>The run is over for this client: settle the books (session: what never arrived is lost) and count the planned sends.</summary>
    void Finish();
}
